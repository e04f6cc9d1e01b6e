//! `CLIENT LIST` text: one client per line, `key=value` fields separated by spaces.

/// The fields of one connection that a monitor uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientEntry {
    pub id: String,
    pub addr: String,
    pub name: String,
    pub age_s: u64,
    pub idle_s: u64,
    pub cmd: String,
    /// `lib-name` (Redis ≥ 7.2 with a client that sets it), empty otherwise.
    pub lib_name: String,
}

/// Parse the whole reply. Lines that carry no `addr` are skipped, never a panic.
pub fn parse_client_list(text: &str) -> Vec<ClientEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<ClientEntry> {
    let mut entry = ClientEntry::default();
    for field in line.split(' ') {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        match key {
            "id" => entry.id = value.to_string(),
            "addr" => entry.addr = value.to_string(),
            "name" => entry.name = value.to_string(),
            "age" => entry.age_s = value.parse().unwrap_or(0),
            "idle" => entry.idle_s = value.parse().unwrap_or(0),
            "cmd" => entry.cmd = value.to_string(),
            "lib-name" => entry.lib_name = value.to_string(),
            _ => {}
        }
    }
    (!entry.addr.is_empty()).then_some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_client_list_lines_parse() {
        let text = "id=7 addr=127.0.0.1:50412 laddr=127.0.0.1:6379 fd=9 name=bull:ZGVtbw==:w:w1 age=12 idle=0 flags=b db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=2000 events=r cmd=bzpopmin user=default redir=-1 resp=2\n\
id=8 addr=/tmp/r.sock:0 name= age=3 idle=3 cmd=client|list lib-name=redis-rs\n\
garbage line without fields\n";
        let clients = parse_client_list(text);
        assert_eq!(clients.len(), 2);
        assert_eq!(clients[0].name, "bull:ZGVtbw==:w:w1");
        assert_eq!(clients[0].age_s, 12);
        assert_eq!(clients[0].cmd, "bzpopmin");
        assert_eq!(clients[1].name, "");
        assert_eq!(clients[1].lib_name, "redis-rs");
    }

    #[test]
    fn non_numeric_ages_become_zero() {
        let clients = parse_client_list("addr=1.2.3.4:5 age=x idle=-1 name=a");
        assert_eq!(clients[0].age_s, 0);
        assert_eq!(clients[0].idle_s, 0);
    }
}
