//! Who the client is: its address, as the connection shows it or, behind trusted proxies,
//! as `X-Forwarded-For` names it; and the per-address limit on public writes.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::extract::ConnectInfo;

use crate::{AppState, error::AppResult};

/// The client's address as the connection shows it (a proxy's, behind one); unspecified
/// when the server was not given one (a router called directly).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip());
        let forwarded: Vec<&str> = parts.headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect();
        Ok(ClientIp(client_address(peer, &forwarded, &state.config.trusted_proxies)))
    }
}

/// The client's address: the peer's, unless the peer is one of `trusted` proxies; then the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy. Addresses further
/// left were written by the client and may be forged, so they are never believed; without
/// trusted proxies the header is ignored altogether.
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded.iter().flat_map(|value| value.split(',')).filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|hop| !trusted.contains(hop)).unwrap_or(peer)
}

/// One public write (a widget session, a vote, a deflection) from the client's address:
/// 429 past `public_writes_per_ip` a minute.
pub fn public_write(state: &AppState, ClientIp(ip): ClientIp) -> AppResult<()> {
    state.limits.hit(&format!("public:{ip}"), state.config.public_writes_per_ip, Duration::from_secs(60), "too many requests from this address")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.2");
        // No trusted proxies: the header is ignored, whatever it says.
        assert_eq!(client_address(ip("198.51.100.7"), &["203.0.113.9"], &[]), ip("198.51.100.7"));
        // From a trusted proxy: the right-most untrusted hop, not the forgeable left ones.
        assert_eq!(client_address(proxy, &["1.1.1.1, 203.0.113.9"], &[proxy]), ip("203.0.113.9"));
        assert_eq!(client_address(proxy, &["203.0.113.9", "10.0.0.3"], &[proxy, ip("10.0.0.3")]), ip("203.0.113.9"));
        // A peer that is not a proxy cannot pretend to be someone else.
        assert_eq!(client_address(ip("203.0.113.50"), &["127.0.0.1"], &[proxy]), ip("203.0.113.50"));
        // Garbage or only proxies: the peer.
        assert_eq!(client_address(proxy, &["not an address"], &[proxy]), proxy);
    }
}
