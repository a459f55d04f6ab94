//! Byte images of ABI values: how a struct is copied across the user/kernel boundary with
//! safe code instead of reinterpreting memory.
//!
//! Invariants:
//! - A value's image is `SIZE` bytes, little-endian (riscv64 is little-endian), with every
//!   field at the byte offset the C compiler gives it (`core::mem::offset_of!`), so the
//!   image is exactly what Linux would read or write for the same struct.
//! - Padding bytes inside an image are zero.
//! - `read_le(write_le(v)) == v` for every value.
//! - A struct's image ends where its last field ends; this equals `size_of` for every struct
//!   in this crate except `fs::Dirent64Header`, whose name bytes start right after `d_type`.

/// A value with a fixed-size little-endian byte image that matches the Linux riscv64 layout.
pub trait WireFormat: Sized {
    /// Number of bytes in the image.
    const SIZE: usize;

    /// Writes the image into `out[..SIZE]`, zeroing padding.
    ///
    /// # Panics
    /// If `out` is shorter than `SIZE`.
    fn write_le(&self, out: &mut [u8]);

    /// Reads a value back from `bytes[..SIZE]`.
    ///
    /// # Panics
    /// If `bytes` is shorter than `SIZE`.
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! impl_wire_for_integers {
    ($($int:ty),* $(,)?) => {
        $(
            impl WireFormat for $int {
                const SIZE: usize = core::mem::size_of::<$int>();

                fn write_le(&self, out: &mut [u8]) {
                    out[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
                }

                fn read_le(bytes: &[u8]) -> Self {
                    let mut image = [0u8; core::mem::size_of::<$int>()];
                    image.copy_from_slice(&bytes[..Self::SIZE]);
                    <$int>::from_le_bytes(image)
                }
            }
        )*
    };
}

impl_wire_for_integers!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: WireFormat, const N: usize> WireFormat for [T; N] {
    const SIZE: usize = T::SIZE * N;

    fn write_le(&self, out: &mut [u8]) {
        for (element, slot) in self.iter().zip(out[..Self::SIZE].chunks_exact_mut(T::SIZE)) {
            element.write_le(slot);
        }
    }

    fn read_le(bytes: &[u8]) -> Self {
        core::array::from_fn(|index| T::read_le(&bytes[index * T::SIZE..]))
    }
}

/// Declares a `#[repr(C)]` ABI struct together with its [`WireFormat`] image and the
/// inherent `SIZE`, `to_bytes`, `from_bytes` and an all-zero `Default`.
macro_rules! abi_struct {
    (
        $(#[$struct_attr:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident : $field_type:ty,
            )*
        }
    ) => {
        $(#[$struct_attr])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$field_attr])*
                pub $field: $field_type,
            )*
        }

        impl $crate::wire::WireFormat for $name {
            const SIZE: usize = {
                let mut image_end = 0;
                $(
                    let field_end = core::mem::offset_of!($name, $field)
                        + <$field_type as $crate::wire::WireFormat>::SIZE;
                    if field_end > image_end {
                        image_end = field_end;
                    }
                )*
                image_end
            };

            fn write_le(&self, out: &mut [u8]) {
                out[..<Self as $crate::wire::WireFormat>::SIZE].fill(0);
                $(
                    $crate::wire::WireFormat::write_le(
                        &self.$field,
                        &mut out[core::mem::offset_of!($name, $field)..],
                    );
                )*
            }

            fn read_le(bytes: &[u8]) -> Self {
                Self {
                    $(
                        $field: <$field_type as $crate::wire::WireFormat>::read_le(
                            &bytes[core::mem::offset_of!($name, $field)..],
                        ),
                    )*
                }
            }
        }

        impl $name {
            /// Number of bytes Linux copies for this struct.
            pub const SIZE: usize = <Self as $crate::wire::WireFormat>::SIZE;

            /// The little-endian image Linux would see in memory.
            pub fn to_bytes(&self) -> [u8; <Self as $crate::wire::WireFormat>::SIZE] {
                let mut image = [0u8; <Self as $crate::wire::WireFormat>::SIZE];
                $crate::wire::WireFormat::write_le(self, &mut image);
                image
            }

            /// Rebuilds the struct from an image made by Linux or by [`Self::to_bytes`].
            pub fn from_bytes(image: &[u8; <Self as $crate::wire::WireFormat>::SIZE]) -> Self {
                <Self as $crate::wire::WireFormat>::read_le(image)
            }
        }

        impl Default for $name {
            /// Every field zero.
            fn default() -> Self {
                Self::from_bytes(&[0u8; <Self as $crate::wire::WireFormat>::SIZE])
            }
        }
    };
}

pub(crate) use abi_struct;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_little_endian() {
        let mut image = [0u8; 4];
        0x1234_5678u32.write_le(&mut image);
        assert_eq!(image, [0x78, 0x56, 0x34, 0x12]);
        assert_eq!(u32::read_le(&image), 0x1234_5678);
        assert_eq!(i64::read_le(&(-2i64).to_le_bytes()), -2);
    }

    #[test]
    fn arrays_lay_elements_end_to_end() {
        let values: [u16; 3] = [1, 0x0203, 0xffff];
        let mut image = [0u8; 6];
        values.write_le(&mut image);
        assert_eq!(image, [1, 0, 3, 2, 0xff, 0xff]);
        assert_eq!(<[u16; 3]>::read_le(&image), values);
    }
}
