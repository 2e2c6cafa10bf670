//! Byte limits on readers: a decompressor or an upload never yields more bytes than the
//! caller allowed, whatever sizes the input declares about itself.

use std::fmt;
use std::io::{self, Read};

/// The payload of the `io::Error` a [`LimitedReader`] returns when the input goes past its
/// limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitExceeded {
    pub limit: u64,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {} bytes", self.limit)
    }
}

impl std::error::Error for LimitExceeded {}

/// The limit an `io::Error` carries when a [`LimitedReader`] made it.
pub(crate) fn limit_exceeded(e: &io::Error) -> Option<u64> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<LimitExceeded>()).map(|l| l.limit)
}

/// Reads at most `limit` bytes from `inner`; one byte more is an error (not a silent
/// truncation), so the caller can tell a complete input from a cut one.
pub(crate) struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R> LimitedReader<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self { inner, remaining: limit, limit }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(LimitExceeded { limit: self.limit })),
            };
        }
        let max = buf.len().min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Reads all of `reader` into memory, refusing more than `limit` bytes.
pub(crate) fn read_all_limited(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    LimitedReader::new(reader, limit).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_within_its_limit_reads_everything() {
        let data = vec![7u8; 1000];
        assert_eq!(read_all_limited(&data[..], 1000).unwrap(), data);
    }

    #[test]
    fn one_byte_past_the_limit_is_an_error_naming_the_limit() {
        let data = vec![7u8; 1001];
        let e = read_all_limited(&data[..], 1000).unwrap_err();
        assert_eq!(limit_exceeded(&e), Some(1000));
    }
}
