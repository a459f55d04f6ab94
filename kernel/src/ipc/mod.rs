//! System V IPC (concepts I3, I4, I7): objects named by a numeric key, found with `*get`,
//! used by id, removed with `*ctl(IPC_RMID)`. Message queues so far ([`msg`]).

pub mod msg;
