//! `CLIENT LIST` text and connection names, as any server or client could write them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtop::source::bullmq::clients::classify;
use qtop::source::bullmq::workers::workers_from_clients;
use qtop::source::client_list::parse_client_list;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let clients = parse_client_list(&text);
    let prefixes = vec!["bull".to_string(), "{bull}".to_string()];
    for client in &clients {
        let _ = classify(&client.name, &prefixes, |_, q| q.len() % 2 == 0);
    }
    let _ = workers_from_clients(&clients, &prefixes, |_, _| true);
});
