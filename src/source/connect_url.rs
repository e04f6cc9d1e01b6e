//! Redis URLs rewritten for redis-rs, and shown without their passwords.

/// `unix://[user][:password]@/path` as redis-rs takes it: `unix:///path?user=…&pass=…`
/// (both stay percent-encoded, as they were in the URL). Other URLs are unchanged.
pub(super) fn unix_credentials_to_query(url: &str) -> String {
    let Some(rest) = url.strip_prefix("unix://") else {
        return url.to_string();
    };
    let path_start = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(path_start);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let mut pairs = Vec::new();
    if !user.is_empty() {
        pairs.push(format!("user={user}"));
    }
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        pairs.push(format!("pass={password}"));
    }
    if pairs.is_empty() {
        return format!("unix://{host}{path}");
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("unix://{host}{path}{sep}{}", pairs.join("&"))
}

/// Split a URL into its display form (password → `***`) and the password itself.
/// Handles `scheme://user:pass@host`, `scheme://:pass@host` and `?password=` / `?pass=` queries.
pub fn redact(url: &str) -> (String, Option<String>) {
    let mut display = url.to_string();
    let mut secret = None;
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                let password = &userinfo[colon + 1..];
                if !password.is_empty() {
                    secret = Some(password.to_string());
                    display = format!(
                        "{}://{}:***{}",
                        &url[..scheme_end],
                        &userinfo[..colon],
                        &rest[at..]
                    );
                }
            }
        }
    }
    if let Some(query_start) = display.find('?') {
        let (head, query) = display.split_at(query_start + 1);
        let mut parts = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some((key, value)) if key == "password" || key == "pass" => {
                    if !value.is_empty() {
                        secret = Some(value.to_string());
                    }
                    parts.push(format!("{key}=***"));
                }
                _ => parts.push(pair.to_string()),
            }
        }
        display = format!("{head}{}", parts.join("&"));
    }
    (display, secret)
}
