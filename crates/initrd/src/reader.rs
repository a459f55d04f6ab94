//! Reading an image in place: an iterator over its entries that never allocates.

use crate::newc::{
    F_FILESIZE, F_MODE, F_NAMESIZE, FIELD_LEN, HEADER_LEN, MAGIC, MAGIC_CRC, TRAILER, align4,
    normalize, parse_hex,
};
use crate::{Entry, InitrdError};

/// Iterates over the entries of an image, in archive order.
///
/// The iteration ends after the `TRAILER!!!` entry (which is not yielded), or after the
/// first error: a damaged image yields `Some(Err(..))` once and then `None`.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    image: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Reader<'a> {
    /// Starts reading `image`, which must begin with the archive's first entry.
    pub fn new(image: &'a [u8]) -> Self {
        Reader {
            image,
            pos: 0,
            done: false,
        }
    }

    /// Finds the entry called `name` (`/bin/init` or `bin/init`), searching the whole
    /// image from its start. Returns `None` if there is no such entry before the end of
    /// the archive or before the first damaged entry.
    pub fn find(&self, name: &str) -> Option<Entry<'a>> {
        let name = normalize(name);
        Reader::new(self.image)
            .map_while(Result::ok)
            .find(|entry| entry.name == name)
    }

    /// Parses the entry at `self.pos`: `Ok(None)` for the trailer, otherwise the entry
    /// and the offset of the next one.
    fn parse_entry(&self) -> Result<Option<(Entry<'a>, usize)>, InitrdError> {
        let rest = self.image.get(self.pos..).ok_or(InitrdError::Truncated)?;
        if rest.len() >= MAGIC.len() {
            let magic = &rest[..MAGIC.len()];
            if magic != MAGIC && magic != MAGIC_CRC {
                return Err(InitrdError::BadMagic);
            }
        }
        let header = rest.get(..HEADER_LEN).ok_or(InitrdError::Truncated)?;
        let field = |index: usize| {
            let start = MAGIC.len() + index * FIELD_LEN;
            parse_hex(&header[start..start + FIELD_LEN]).ok_or(InitrdError::BadHeader)
        };
        let mode = field(F_MODE)?;
        let file_size = usize::try_from(field(F_FILESIZE)?).map_err(|_| InitrdError::Truncated)?;
        let name_size = usize::try_from(field(F_NAMESIZE)?).map_err(|_| InitrdError::Truncated)?;

        let name_start = self.pos + HEADER_LEN;
        let name_end = name_start
            .checked_add(name_size)
            .ok_or(InitrdError::Truncated)?;
        let raw_name = self
            .image
            .get(name_start..name_end)
            .ok_or(InitrdError::Truncated)?;
        let (&nul, name) = raw_name.split_last().ok_or(InitrdError::BadHeader)?;
        if nul != 0 || name.contains(&0) {
            return Err(InitrdError::BadHeader);
        }
        let name = core::str::from_utf8(name).map_err(|_| InitrdError::BadHeader)?;
        if name == TRAILER {
            return Ok(None);
        }

        let data_start = align4(name_end).ok_or(InitrdError::Truncated)?;
        let data_end = data_start
            .checked_add(file_size)
            .ok_or(InitrdError::Truncated)?;
        let data = self
            .image
            .get(data_start..data_end)
            .ok_or(InitrdError::Truncated)?;
        let next = align4(data_end).ok_or(InitrdError::Truncated)?;
        let entry = Entry {
            name: normalize(name),
            mode,
            data,
        };
        Ok(Some((entry, next)))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Entry<'a>, InitrdError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.parse_entry() {
            Ok(Some((entry, next))) => {
                self.pos = next;
                Some(Ok(entry))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl core::iter::FusedIterator for Reader<'_> {}
