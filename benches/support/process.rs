//! Measuring another process from /proc: its CPU time and memory, and finding it by its
//! binary and command line. Shared by the process benches; included with `#[path]`.

/// utime + stime of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    field(11) + field(12)
}

/// A `kB` field of /proc/PID/status (`VmHWM:`, `VmRSS:`).
pub fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The process of binary `bin` whose command line contains `needle` (tmux runs it under a
/// shell, so its pid is not the one tmux knows).
pub fn find_process(bin: &str, needle: &str) -> Option<u32> {
    let exe = std::fs::canonicalize(bin).ok()?;
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let is_bin = std::fs::read_link(format!("/proc/{pid}/exe")).ok()? == exe;
        (is_bin && String::from_utf8_lossy(&cmdline).contains(needle)).then_some(pid)
    })
}

pub fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok();
    out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
