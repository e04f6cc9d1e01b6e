//! A zero-copy reader of RESP2 replies: walks the bytes as they came off the socket and
//! hands out borrowed frames, so reading a busy events stream allocates nothing per field.
//! It never panics on what it reads: truncated input is `Incomplete`, anything else it
//! does not understand is `Malformed`.

/// Longest bulk string accepted (Redis's own `proto-max-bulk-len` default).
const MAX_BULK: usize = 512 * 1024 * 1024;

/// One RESP2 frame header, or a whole scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Simple(&'a [u8]),
    Error(&'a [u8]),
    Int(i64),
    /// `None`: the null bulk string.
    Bulk(Option<&'a [u8]>),
    /// The element count; `None`: the null array. The elements follow as frames.
    Array(Option<usize>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes end before the value does: read more.
    Incomplete,
    /// Not RESP2 (or a length out of bounds).
    Malformed(&'static str),
}

/// A cursor over a buffer of replies.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// The whole buffer being read.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The next frame.
    pub fn frame(&mut self) -> Result<Frame<'a>, ReadError> {
        let start = self.pos;
        let result = self.frame_inner();
        if result.is_err() {
            self.pos = start;
        }
        result
    }

    fn frame_inner(&mut self) -> Result<Frame<'a>, ReadError> {
        let kind = *self.buf.get(self.pos).ok_or(ReadError::Incomplete)?;
        self.pos += 1;
        let line = self.line()?;
        match kind {
            b'+' => Ok(Frame::Simple(line)),
            b'-' => Ok(Frame::Error(line)),
            b':' => Ok(Frame::Int(parse_int(line)?)),
            b'$' => match parse_int(line)? {
                -1 => Ok(Frame::Bulk(None)),
                len if len >= 0 && (len as usize) <= MAX_BULK => {
                    let len = len as usize;
                    let end = self.pos + len;
                    if self.buf.len() < end + 2 {
                        return Err(ReadError::Incomplete);
                    }
                    if &self.buf[end..end + 2] != b"\r\n" {
                        return Err(ReadError::Malformed("bulk string without CRLF"));
                    }
                    let bytes = &self.buf[self.pos..end];
                    self.pos = end + 2;
                    Ok(Frame::Bulk(Some(bytes)))
                }
                _ => Err(ReadError::Malformed("bulk length out of range")),
            },
            b'*' => match parse_int(line)? {
                -1 => Ok(Frame::Array(None)),
                len if len >= 0 => Ok(Frame::Array(Some(len as usize))),
                _ => Err(ReadError::Malformed("negative array length")),
            },
            _ => Err(ReadError::Malformed("unknown RESP2 type")),
        }
    }

    /// Up to (not including) the next CRLF; the cursor moves past it.
    fn line(&mut self) -> Result<&'a [u8], ReadError> {
        let rest = &self.buf[self.pos..];
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or(ReadError::Incomplete)?;
        if end == 0 || rest[end - 1] != b'\r' {
            return Err(ReadError::Malformed("line without CRLF"));
        }
        self.pos += end + 1;
        Ok(&rest[..end - 1])
    }

    /// Skip one whole value (an array with everything in it).
    pub fn skip(&mut self) -> Result<(), ReadError> {
        let start = self.pos;
        let mut pending: usize = 1;
        while pending > 0 {
            match self.frame() {
                Ok(Frame::Array(Some(len))) => pending = pending.saturating_add(len) - 1,
                Ok(_) => pending -= 1,
                Err(error) => {
                    self.pos = start;
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// The next frame as an array header; anything else is skipped and `None`.
    pub fn array(&mut self) -> Result<Option<usize>, ReadError> {
        let start = self.pos;
        match self.frame()? {
            Frame::Array(len) => Ok(len),
            _ => {
                self.pos = start;
                self.skip()?;
                Ok(None)
            }
        }
    }

    /// The next frame as text (bulk or simple string); anything else is skipped and `None`.
    pub fn text(&mut self) -> Result<Option<&'a [u8]>, ReadError> {
        let start = self.pos;
        match self.frame()? {
            Frame::Bulk(bytes) => Ok(bytes),
            Frame::Simple(bytes) => Ok(Some(bytes)),
            Frame::Array(_) => {
                self.pos = start;
                self.skip()?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

/// A RESP length or integer: optional `-`, then digits, anywhere in the i64 range (as
/// redis-rs reads them; the digits are summed negatively so `i64::MIN` fits too).
fn parse_int(line: &[u8]) -> Result<i64, ReadError> {
    let (negative, digits) = match line {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, line),
    };
    if digits.is_empty() || digits.len() > 19 {
        return Err(ReadError::Malformed("not an integer"));
    }
    let mut n: i64 = 0;
    for digit in digits {
        if !digit.is_ascii_digit() {
            return Err(ReadError::Malformed("not an integer"));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(i64::from(digit - b'0')))
            .ok_or(ReadError::Malformed("integer out of range"))?;
    }
    if negative {
        Ok(n)
    } else {
        n.checked_neg()
            .ok_or(ReadError::Malformed("integer out of range"))
    }
}

/// Finds where whole replies end as their bytes arrive, resuming where the last call
/// stopped: a big reply read in many chunks is still walked once.
#[derive(Debug, Default)]
pub struct ReplyScanner {
    /// Where the next frame starts.
    pos: usize,
    /// Values still to come in the reply being scanned (0: between replies).
    pending: usize,
    /// Where each complete reply ends.
    pub ends: Vec<usize>,
}

impl ReplyScanner {
    pub fn reset(&mut self) {
        self.pos = 0;
        self.pending = 0;
        self.ends.clear();
    }

    /// Scan what `buf` holds now (the same buffer, grown); `Ok(true)` once `n` replies are
    /// complete, `Ok(false)` while more bytes are needed.
    pub fn scan(&mut self, buf: &[u8], n: usize) -> Result<bool, ReadError> {
        let mut reader = Reader { buf, pos: self.pos };
        while self.ends.len() < n {
            if self.pending == 0 {
                self.pending = 1;
            }
            while self.pending > 0 {
                match reader.frame() {
                    Ok(Frame::Array(Some(len))) => {
                        self.pending = self.pending.saturating_add(len) - 1
                    }
                    Ok(_) => self.pending -= 1,
                    Err(ReadError::Incomplete) => return Ok(false),
                    Err(error) => return Err(error),
                }
                self.pos = reader.pos;
            }
            self.ends.push(reader.pos);
        }
        Ok(true)
    }
}

/// Append one command as a RESP array of bulk strings.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(arg.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_without_copying() {
        let buf = b"+OK\r\n-ERR no\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$0\r\n\r\n*-1\r\n";
        let mut r = Reader::new(buf);
        assert_eq!(r.frame(), Ok(Frame::Simple(b"OK")));
        assert_eq!(r.frame(), Ok(Frame::Error(b"ERR no")));
        assert_eq!(r.frame(), Ok(Frame::Int(42)));
        assert_eq!(r.frame(), Ok(Frame::Bulk(Some(b"hello"))));
        assert_eq!(r.frame(), Ok(Frame::Bulk(None)));
        assert_eq!(r.frame(), Ok(Frame::Array(Some(2))));
        assert_eq!(r.frame(), Ok(Frame::Bulk(Some(b""))));
        assert_eq!(r.frame(), Ok(Frame::Array(None)));
        assert_eq!(r.frame(), Err(ReadError::Incomplete));
        assert_eq!(r.position(), buf.len());
        let extremes = b":9223372036854775807\r\n:-9223372036854775808\r\n";
        let mut r = Reader::new(extremes);
        assert_eq!(r.frame(), Ok(Frame::Int(i64::MAX)));
        assert_eq!(r.frame(), Ok(Frame::Int(i64::MIN)));
    }

    #[test]
    fn every_truncation_is_incomplete_and_leaves_the_cursor() {
        let whole = b"*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$5\r\nevent\r\n$5\r\nadded\r\n:7\r\n";
        for cut in 0..whole.len() {
            let mut scanner = ReplyScanner::default();
            assert_eq!(scanner.scan(&whole[..cut], 1), Ok(false), "cut at {cut}");
            // Resumed on the whole buffer, the scan finds the same end.
            assert_eq!(scanner.scan(whole, 1), Ok(true), "cut at {cut}");
            assert_eq!(scanner.ends, vec![whole.len()]);
            let mut r = Reader::new(&whole[..cut]);
            assert!(r.skip().is_err());
            assert_eq!(r.position(), 0);
        }
    }

    #[test]
    fn replies_are_found_byte_by_byte() {
        let buf = b":1\r\n*1\r\n+a\r\n$1\r\nx\r\n";
        let mut scanner = ReplyScanner::default();
        for len in 0..buf.len() {
            assert_eq!(scanner.scan(&buf[..len], 3), Ok(false), "{len} bytes");
        }
        assert_eq!(scanner.scan(buf, 3), Ok(true));
        assert_eq!(scanner.ends, vec![4, 12, 19]);
        scanner.reset();
        assert_eq!(scanner.scan(&buf[..4], 1), Ok(true));
        assert_eq!(scanner.ends, vec![4]);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in [
            &b"?\r\n"[..],
            b"$abc\r\n",
            b"$-5\r\n",
            b"*-2\r\n",
            b"$3\r\nabcXY",
            b":1\n",
            b"$99999999999999999999\r\n",
            b":9223372036854775808\r\n",
            b":-9223372036854775809\r\n",
            b":12a\r\n",
            b":-\r\n",
        ] {
            let mut r = Reader::new(bad);
            assert!(
                matches!(r.frame(), Err(ReadError::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn commands_are_encoded_as_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&mut out, &[b"XREAD", b"COUNT", b"10"]);
        assert_eq!(out, b"*3\r\n$5\r\nXREAD\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n");
    }

    #[test]
    fn text_and_array_skip_what_they_are_not() {
        let mut r = Reader::new(b"*1\r\n:1\r\n$2\r\nhi\r\n:5\r\n");
        assert_eq!(r.text(), Ok(None));
        assert_eq!(r.array(), Ok(None));
        assert_eq!(r.frame(), Ok(Frame::Int(5)));
    }
}
