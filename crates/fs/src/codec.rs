//! Reading and writing the little-endian fields of on-disk structures (concept F2).
//!
//! Invariant: every multi-byte field on disk is little-endian, whatever the host; callers
//! pass offsets inside the slice (the structures' layouts are fixed, so an out-of-range
//! offset is a bug in this crate, not bad data).

pub(crate) fn get_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

pub(crate) fn get_u32(bytes: &[u8], at: usize) -> u32 {
    let mut field = [0; 4];
    field.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(field)
}

pub(crate) fn get_u64(bytes: &[u8], at: usize) -> u64 {
    let mut field = [0; 8];
    field.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(field)
}

pub(crate) fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

pub(crate) fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_little_endian() {
        let mut bytes = [0u8; 16];
        put_u16(&mut bytes, 0, 0x0102);
        put_u32(&mut bytes, 2, 0x0304_0506);
        put_u64(&mut bytes, 6, 0x0708_090a_0b0c_0d0e);
        assert_eq!(bytes[..8], [2, 1, 6, 5, 4, 3, 0x0e, 0x0d]);
        assert_eq!(get_u16(&bytes, 0), 0x0102);
        assert_eq!(get_u32(&bytes, 2), 0x0304_0506);
        assert_eq!(get_u64(&bytes, 6), 0x0708_090a_0b0c_0d0e);
    }
}
