//! Device drivers: glue between `hal`'s device registers and the kernel's sleeping and
//! waking (concepts F1, K6).

pub mod block;
