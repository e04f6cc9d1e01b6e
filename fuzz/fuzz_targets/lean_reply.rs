//! Reply bytes as any server could send them, through the lean connection's readers: the
//! reply scanner (also fed in two parts), the XREAD/XRANGE readers and the value builder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtop::source::bullmq::lean_xread::{first_entry_id, parse_xread};
use qtop::source::lean::resp::ReplyScanner;
use qtop::source::lean::value::to_value;

fuzz_target!(|data: &[u8]| {
    let mut scanner = ReplyScanner::default();
    let _ = scanner.scan(&data[..data.len() / 2], 4);
    let _ = scanner.scan(data, 4);
    let _ = parse_xread(data);
    let _ = first_entry_id(data);
    let _ = to_value(data);
});
