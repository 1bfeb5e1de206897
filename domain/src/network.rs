//! Where the service may send requests on behalf of a ward: outside systems' webhooks must be
//! on the public internet. An address of this machine or of the network it sits in
//! (loopback, private, link-local such as the cloud metadata service, unique-local,
//! multicast, unspecified, shared or reserved) is refused unless the operator lists its
//! network as allowed (a receiver in the city's own network), so that a ward admin cannot use
//! the service to probe what only it can reach.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an IPv4 address is reachable on the public internet.
fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

/// Whether an IPv6 address is reachable on the public internet. Addresses that carry an IPv4
/// one (mapped, NAT64) are judged by it.
fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = ip.segments();
    // 64:ff9b::/96, the well-known NAT64 prefix, reaches the IPv4 address it ends with.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated), ::/96
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

/// The networks an operator allows besides the public internet, and what they allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Receivers in these networks are allowed, over plain `http` too.
    pub allowed: Vec<IpNet>,
}

impl TargetPolicy {
    /// Reads a comma-separated list of networks (`10.20.0.0/16, 127.0.0.1/32`).
    pub fn parse(list: &str) -> Result<TargetPolicy, String> {
        let allowed = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                n.parse()
                    .map_err(|_| format!("`{n}` is not a network such as 10.0.0.0/8"))
            })
            .collect::<Result<_, _>>()?;
        Ok(TargetPolicy { allowed })
    }

    /// Whether an address may be sent to: public, or in an allowed network.
    pub fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.listed(ip)
    }

    /// Whether an address is in a network the operator allowed (where plain `http` is fine).
    pub fn listed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.allowed.iter().any(|network| network.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_of_this_machine_and_its_networks_are_not_public() {
        for inside in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.10",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(inside)), "{inside}");
        }
        for outside in [
            "1.1.1.1",
            "203.162.4.191",
            "172.32.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(outside)), "{outside}");
        }
    }

    #[test]
    fn an_operator_allows_networks_of_their_own() {
        let policy = TargetPolicy::parse("127.0.0.0/8, 10.20.0.0/16").unwrap();
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(policy.listed(ip("::ffff:127.0.0.1")));
        assert!(policy.allows(ip("10.20.3.4")));
        assert!(!policy.allows(ip("10.21.0.1")));
        assert!(!policy.allows(ip("169.254.169.254")));
        assert!(policy.allows(ip("1.1.1.1")) && !policy.listed(ip("1.1.1.1")));
        assert!(TargetPolicy::parse("localhost").is_err());
        assert_eq!(TargetPolicy::parse("").unwrap(), TargetPolicy::default());
    }
}
