//! XREAD and XRANGE replies read straight from the reply bytes: per entry only its id and
//! the `event` and `jobId` fields are looked at, borrowed, never copied. Malformed parts
//! are skipped, as in the redis-rs path (`events::parse_xread`).

use super::events::{EventEntry, StreamEntries, StreamId};
use crate::source::lean::resp::{Frame, ReadError, Reader};

/// What an XREAD answered.
#[derive(Debug, PartialEq, Eq)]
pub enum XreadReply<'a> {
    Streams(Vec<StreamEntries<'a>>),
    /// A server error (`WRONGTYPE …`).
    Error(String),
}

/// Parse one XREAD reply (RESP2: `[[key, entries], …]`, or null when nothing is new).
pub fn parse_xread(bytes: &[u8]) -> XreadReply<'_> {
    let mut reader = Reader::new(bytes);
    let mut streams = Vec::new();
    let _ = read_streams(&mut reader, &mut streams);
    match Reader::new(bytes).frame() {
        Ok(Frame::Error(text)) => XreadReply::Error(String::from_utf8_lossy(text).into_owned()),
        _ => XreadReply::Streams(streams),
    }
}

fn read_streams<'a>(
    reader: &mut Reader<'a>,
    streams: &mut Vec<StreamEntries<'a>>,
) -> Result<(), ReadError> {
    let Some(count) = reader.array()? else {
        return Ok(());
    };
    for _ in 0..count {
        if !pair(reader)? {
            continue;
        }
        // Lossy, as the redis-rs path reads a key (`value::as_string`).
        let key = reader.text()?.map(String::from_utf8_lossy);
        let mut entries = Vec::new();
        read_entries(reader, &mut entries)?;
        if let Some(key) = key {
            streams.push((key.into_owned(), entries));
        }
    }
    Ok(())
}

/// `[[id, [field, value, …]], …]`, as XRANGE and each stream of XREAD answer.
fn read_entries<'a>(
    reader: &mut Reader<'a>,
    entries: &mut Vec<EventEntry<'a>>,
) -> Result<(), ReadError> {
    let Some(count) = reader.array()? else {
        return Ok(());
    };
    entries.reserve(count.min(100_000));
    for _ in 0..count {
        if !pair(reader)? {
            continue;
        }
        let id = reader
            .text()?
            .and_then(|id| std::str::from_utf8(id).ok())
            .and_then(StreamId::parse);
        let mut entry = EventEntry::default();
        if let Some(fields) = reader.array()? {
            for _ in 0..fields / 2 {
                let field = reader.text()?;
                let value = reader.text()?.and_then(|v| std::str::from_utf8(v).ok());
                if let Some(field) = field {
                    entry.set_field(field, value);
                }
            }
            if fields % 2 == 1 {
                reader.skip()?;
            }
        }
        if let Some(id) = id {
            entry.id = id;
            entries.push(entry);
        }
    }
    Ok(())
}

/// Whether the next value is an array of two (`[key, entries]`, `[id, fields]`): its two
/// elements follow; anything else is skipped whole.
fn pair(reader: &mut Reader<'_>) -> Result<bool, ReadError> {
    match reader.array()? {
        Some(2) => Ok(true),
        Some(len) => {
            for _ in 0..len {
                reader.skip()?;
            }
            Ok(false)
        }
        None => Ok(false),
    }
}

/// The id of the first entry of an XRANGE reply, if any.
pub fn first_entry_id(bytes: &[u8]) -> Option<StreamId> {
    let mut entries = Vec::new();
    let _ = read_entries(&mut Reader::new(bytes), &mut entries);
    entries.first().map(|entry| entry.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::lean::resp::encode;

    /// A reply as Redis would write it: nested arrays of bulk strings.
    enum R<'a> {
        B(&'a str),
        A(Vec<R<'a>>),
        I(i64),
    }

    fn write(out: &mut Vec<u8>, value: &R) {
        match value {
            R::B(text) => {
                out.extend_from_slice(format!("${}\r\n{text}\r\n", text.len()).as_bytes())
            }
            R::I(n) => out.extend_from_slice(format!(":{n}\r\n").as_bytes()),
            R::A(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for item in items {
                    write(out, item);
                }
            }
        }
    }

    fn entry<'a>(id: &'a str, fields: &[&'a str]) -> R<'a> {
        R::A(vec![
            R::B(id),
            R::A(fields.iter().map(|f| R::B(f)).collect()),
        ])
    }

    #[test]
    fn entries_keep_only_event_and_job_id() {
        let reply = R::A(vec![
            R::A(vec![
                R::B("bull:a:events"),
                R::A(vec![
                    entry("5-0", &["event", "added", "jobId", "7", "name", "x"]),
                    entry(
                        "6-1",
                        &["event", "completed", "jobId", "7", "returnvalue", "{}"],
                    ),
                ]),
            ]),
            R::A(vec![R::B("bull:b:events"), R::A(vec![])]),
        ]);
        let mut bytes = Vec::new();
        write(&mut bytes, &reply);
        let XreadReply::Streams(streams) = parse_xread(&bytes) else {
            panic!("not streams");
        };
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].0, "bull:a:events");
        let entries = &streams[0].1;
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, StreamId { ms: 5, seq: 0 });
        assert_eq!(entries[0].event, Some("added"));
        assert_eq!(entries[0].job_id, Some("7"));
        assert_eq!(entries[1].id, StreamId { ms: 6, seq: 1 });
        assert_eq!(entries[1].event, Some("completed"));
        assert!(streams[1].1.is_empty());
        assert_eq!(first_entry_id(&bytes), None, "an XREAD is not an XRANGE");
    }

    #[test]
    fn nothing_new_errors_and_garbage() {
        assert_eq!(parse_xread(b"*-1\r\n"), XreadReply::Streams(vec![]));
        assert_eq!(
            parse_xread(b"-WRONGTYPE Operation against a key\r\n"),
            XreadReply::Error("WRONGTYPE Operation against a key".to_string())
        );
        // Bad ids, odd field lists, wrong types: skipped, the rest kept.
        let reply = R::A(vec![
            R::I(3),
            R::A(vec![R::B("k")]),
            R::A(vec![
                R::B("bull:q:events"),
                R::A(vec![
                    entry("bad", &["event", "added"]),
                    R::I(4),
                    entry("9-0", &["event", "failed", "jobId"]),
                    R::A(vec![R::B("10-0"), R::I(1), R::B("extra")]),
                    entry("11-0", &["jobId", "3", "event", "active"]),
                ]),
            ]),
        ]);
        let mut bytes = Vec::new();
        write(&mut bytes, &reply);
        let XreadReply::Streams(streams) = parse_xread(&bytes) else {
            panic!("not streams");
        };
        assert_eq!(streams.len(), 1);
        let entries = &streams[0].1;
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0].event, Some("failed"));
        assert_eq!(entries[0].job_id, None);
        assert_eq!(entries[1].event, Some("active"));
        assert_eq!(entries[1].job_id, Some("3"));
        // Truncated or random bytes never panic.
        for cut in 0..bytes.len() {
            let _ = parse_xread(&bytes[..cut]);
            let _ = first_entry_id(&bytes[..cut]);
        }
        let mut noise = Vec::new();
        encode(&mut noise, &[b"*3", b"$-1", b"*2\r\n"]);
        let _ = parse_xread(&noise);
    }

    #[test]
    fn the_first_entry_of_an_xrange() {
        let mut bytes = Vec::new();
        write(
            &mut bytes,
            &R::A(vec![entry("42-3", &["event", "drained"])]),
        );
        assert_eq!(first_entry_id(&bytes), Some(StreamId { ms: 42, seq: 3 }));
        assert_eq!(first_entry_id(b"*0\r\n"), None);
    }
}
