//! Typed user pointers (concept K3: the kernel/user boundary).
//!
//! A syscall argument that claims to be an address is an *allegation*: it may be null, point
//! into the kernel, be unmapped, or straddle the end of a region. [`UserPtr`] and
//! [`UserBuf`] wrap such addresses, and the only ways to read or write through them go
//! through an [`AddressSpace`] that checks every byte against the process's regions. A bad
//! pointer becomes `EFAULT`, never a kernel fault.

use super::AddressSpace;
use abi::errno::Errno;
use abi::wire::WireFormat;
use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;

/// A user address that claims to hold a `T` (in its Linux byte layout).
#[derive(Clone, Copy, Debug)]
pub struct UserPtr<T> {
    addr: usize,
    _points_to: PhantomData<T>,
}

impl<T: WireFormat> UserPtr<T> {
    pub fn new(addr: usize) -> Self {
        UserPtr {
            addr,
            _points_to: PhantomData,
        }
    }

    /// Reads the value, or `EFAULT`.
    pub fn read(&self, space: &AddressSpace) -> Result<T, Errno> {
        let mut bytes = vec![0; T::SIZE];
        space.copy_in(self.addr, &mut bytes)?;
        Ok(T::read_le(&bytes))
    }

    /// Writes the value, or `EFAULT`.
    pub fn write(&self, space: &mut AddressSpace, value: &T) -> Result<(), Errno> {
        let mut bytes = vec![0; T::SIZE];
        value.write_le(&mut bytes);
        space.copy_out(self.addr, &bytes)
    }
}

/// A user buffer `[addr, addr + len)` of bytes.
#[derive(Clone, Copy, Debug)]
pub struct UserBuf {
    addr: usize,
    len: usize,
}

impl UserBuf {
    pub fn new(addr: usize, len: usize) -> Self {
        UserBuf { addr, len }
    }

    /// The buffer's bytes, or `EFAULT` if any of them is not readable.
    pub fn read_all(&self, space: &AddressSpace) -> Result<Vec<u8>, Errno> {
        let mut bytes = vec![0; self.len];
        space.copy_in(self.addr, &mut bytes)?;
        Ok(bytes)
    }
}
