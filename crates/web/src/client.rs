//! The client's address, for rate limits and the audit log.

use gd_config::Config;

/// The socket's peer, or, when the peer is one of the configured reverse proxies
/// (`TRUST_PROXY`), the last `X-Forwarded-For` entry that is not a proxy itself (entries
/// further left are whatever the client sent).
pub fn client_ip_of(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    config: &Config,
) -> Option<String> {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())?;
    if !config.is_trusted_proxy(peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !config.is_trusted_proxy(client) {
                    break;
                }
            }
            // A malformed entry ends what can be trusted: the last good one stands.
            Err(_) => break,
        }
    }
    Some(client.to_string())
}

/// The part of an address that rate limits count by: an IPv4 address as it is, an IPv6
/// address by its /64 network (one customer line or host usually holds a whole /64, and
/// could otherwise pick a fresh address for every attempt).
pub fn rate_limit_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::rate_limit_key;

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(rate_limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            rate_limit_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(rate_limit_key("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(rate_limit_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(rate_limit_key("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
