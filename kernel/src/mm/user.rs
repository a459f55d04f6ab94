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

/// Memory the kernel can copy user data in and out of: an address space the caller holds
/// locked, or a shared one that each copy locks for itself.
pub trait UserMemory {
    /// Copies user memory at `addr` into `buf`, or `EFAULT` with nothing copied.
    fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies `data` to user memory at `addr`, or `EFAULT` with nothing written.
    fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno>;
}

impl UserMemory for AddressSpace {
    fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        AddressSpace::copy_in(self, addr, buf)
    }

    fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        AddressSpace::copy_out(self, addr, data)
    }
}

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
    pub fn read(&self, space: &mut impl UserMemory) -> Result<T, Errno> {
        let mut bytes = vec![0; T::SIZE];
        space.copy_in(self.addr, &mut bytes)?;
        Ok(T::read_le(&bytes))
    }

    /// Writes the value, or `EFAULT`.
    pub fn write(&self, space: &mut impl UserMemory, value: &T) -> Result<(), Errno> {
        let mut bytes = vec![0; T::SIZE];
        value.write_le(&mut bytes);
        space.copy_out(self.addr, &bytes)
    }
}

/// Reads a NUL-terminated string of at most `max` bytes at `addr` (`ENAMETOOLONG` beyond,
/// or `E2BIG` when `too_long` says so for argument strings).
pub fn read_c_string(
    space: &mut impl UserMemory,
    addr: usize,
    max: usize,
    too_long: Errno,
) -> Result<alloc::string::String, Errno> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        let at = addr.checked_add(bytes.len()).ok_or(Errno::EFAULT)?;
        // Read up to the end of the page only, so a string ending just before an unmapped
        // page is not refused.
        let room = (hal::PAGE_SIZE - at % hal::PAGE_SIZE).min(chunk.len());
        space.copy_in(at, &mut chunk[..room])?;
        if let Some(nul) = chunk[..room].iter().position(|&b| b == 0) {
            bytes.extend_from_slice(&chunk[..nul]);
            if bytes.len() > max {
                return Err(too_long);
            }
            return alloc::string::String::from_utf8(bytes).map_err(|_| Errno::EINVAL);
        }
        bytes.extend_from_slice(&chunk[..room]);
        if bytes.len() > max {
            return Err(too_long);
        }
    }
}

/// Reads a NULL-terminated array of user pointers (argv, envp) of at most `max` entries.
pub fn read_pointer_array(
    space: &mut impl UserMemory,
    addr: usize,
    max: usize,
) -> Result<Vec<usize>, Errno> {
    let mut pointers = Vec::new();
    if addr == 0 {
        return Ok(pointers);
    }
    loop {
        let at = addr.checked_add(pointers.len() * 8).ok_or(Errno::EFAULT)?;
        let pointer = UserPtr::<u64>::new(at).read(space)? as usize;
        if pointer == 0 {
            return Ok(pointers);
        }
        if pointers.len() == max {
            return Err(Errno::E2BIG);
        }
        pointers.push(pointer);
    }
}
