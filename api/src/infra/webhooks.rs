//! Reaching outside systems' webhooks without reaching inside: the client resolves a
//! receiver's name itself and connects only to addresses the operator's policy allows
//! (`sos_domain::network`), checked on every connection, so a name that resolved to a public
//! address when the subscription was made cannot be turned to an inside one later (DNS
//! rebinding). It never follows a redirect. Plain `http` goes only to networks the operator
//! listed.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sos_domain::network::TargetPolicy;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a receiver cannot be sent to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("only http and https addresses are used")]
    Scheme,
    #[error("credentials in the address are not accepted; sign the requests with the secret")]
    Credentials,
    #[error("plain http is used only inside the networks the operator allowed; use https")]
    PlainHttp,
    #[error("the address is this machine or a network inside it, which webhooks may not reach")]
    Inside,
    #[error("the address names no host")]
    Unresolved,
}

/// Resolves names to the addresses a policy allows, and to nothing else.
struct Guarded {
    policy: Arc<TargetPolicy>,
    /// For plain `http`: only the networks the operator listed.
    listed_only: bool,
}

impl Guarded {
    fn allows(&self, ip: IpAddr) -> bool {
        if self.listed_only {
            self.policy.listed(ip)
        } else {
            self.policy.allows(ip)
        }
    }
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let listed_only = self.listed_only;
        Box::pin(async move {
            let guard = Guarded {
                policy,
                listed_only,
            };
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| guard.allows(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Refused::Inside) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The clients webhooks are sent with: one for `https`, one for plain `http`.
#[derive(Clone)]
pub struct WebhookClients {
    policy: Arc<TargetPolicy>,
    https: reqwest::Client,
    http: reqwest::Client,
}

impl WebhookClients {
    pub fn new(policy: &TargetPolicy) -> anyhow::Result<WebhookClients> {
        let policy = Arc::new(policy.clone());
        let client = |listed_only| {
            reqwest::Client::builder()
                .timeout(SEND_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(Guarded {
                    policy: policy.clone(),
                    listed_only,
                })
                .build()
        };
        Ok(WebhookClients {
            https: client(false)?,
            http: client(true)?,
            policy,
        })
    }

    /// The client for `url`, once its form and (for an address given as such) its address are
    /// allowed; names are checked as they are resolved, on every connection.
    pub fn for_url(&self, url: &reqwest::Url) -> Result<&reqwest::Client, Refused> {
        let plain = check_form(url)?;
        if let Some(ip) = literal_ip(url) {
            check_address(&self.policy, ip, plain)?;
        }
        Ok(if plain { &self.http } else { &self.https })
    }
}

/// Checks what a URL says of itself; true for plain `http`.
fn check_form(url: &reqwest::Url) -> Result<bool, Refused> {
    let plain = match url.scheme() {
        "https" => false,
        "http" => true,
        _ => return Err(Refused::Scheme),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    Ok(plain)
}

/// The address a URL names directly (`127.0.0.1`, `[::1]`, and their obfuscated forms, which
/// the URL parser has already written plainly: `2130706433`, `0x7f000001`).
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

fn check_address(policy: &TargetPolicy, ip: IpAddr, plain: bool) -> Result<(), Refused> {
    match (plain, policy.listed(ip), policy.allows(ip)) {
        (_, true, _) => Ok(()),
        (true, false, true) => Err(Refused::PlainHttp),
        (_, false, true) => Ok(()),
        (_, false, false) => Err(Refused::Inside),
    }
}

/// Checks a receiver when a subscription is made: its form, and the address it names
/// directly. A name is checked each time a connection is made, against what it resolves to
/// then; plain `http` to a name is accepted only where the operator allowed networks of their
/// own, which it must then resolve into.
pub fn check_receiver(policy: &TargetPolicy, url: &reqwest::Url) -> Result<(), Refused> {
    let plain = check_form(url)?;
    if let Some(ip) = literal_ip(url) {
        return check_address(policy, ip, plain);
    }
    let host = url.host_str().ok_or(Refused::Unresolved)?;
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(Refused::Inside);
    }
    if plain && policy.allowed.is_empty() {
        return Err(Refused::PlainHttp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap()
    }

    #[test]
    fn inside_and_disguised_receivers_are_refused_without_a_request() {
        let policy = TargetPolicy::default();
        for (target, why) in [
            ("http://localhost:8080/hook", Refused::Inside),
            ("https://localhost./hook", Refused::Inside),
            ("https://api.localhost/hook", Refused::Inside),
            ("https://[::1]/hook", Refused::Inside),
            ("https://0.0.0.0/hook", Refused::Inside),
            ("https://2130706433/hook", Refused::Inside),
            ("https://0x7f000001/hook", Refused::Inside),
            ("https://169.254.169.254/latest/meta-data", Refused::Inside),
            ("https://10.0.0.5/hook", Refused::Inside),
            ("https://[fd00::1]/hook", Refused::Inside),
            ("https://[::ffff:192.168.1.1]/hook", Refused::Inside),
            ("https://user:pass@203.162.4.191/hook", Refused::Credentials),
            ("http://203.162.4.191/hook", Refused::PlainHttp),
            ("ftp://203.162.4.191/hook", Refused::Scheme),
        ] {
            assert_eq!(check_receiver(&policy, &url(target)), Err(why), "{target}");
        }
        assert_eq!(
            check_receiver(&policy, &url("https://203.162.4.191/hook")),
            Ok(())
        );
        assert_eq!(
            check_receiver(&policy, &url("https://portal.example/hook")),
            Ok(())
        );
        assert_eq!(
            check_receiver(&policy, &url("http://portal.example/hook")),
            Err(Refused::PlainHttp)
        );
    }

    #[test]
    fn the_operators_networks_are_allowed_plain_http_included() {
        let policy = TargetPolicy::parse("127.0.0.0/8").unwrap();
        assert_eq!(
            check_receiver(&policy, &url("http://127.0.0.1:9000/hook")),
            Ok(())
        );
        assert_eq!(
            check_receiver(&policy, &url("http://portal.city/hook")),
            Ok(())
        );
        assert_eq!(
            check_receiver(&policy, &url("http://10.0.0.1/hook")),
            Err(Refused::Inside)
        );
    }

    #[tokio::test]
    async fn connections_resolve_only_to_allowed_addresses() {
        let inside = Guarded {
            policy: Arc::new(TargetPolicy::default()),
            listed_only: false,
        };
        // `localhost` resolves on this machine alone: the resolver gives nothing to connect to.
        let name: Name = "localhost".parse().unwrap();
        assert!(inside.resolve(name).await.is_err());
        let listed = Guarded {
            policy: Arc::new(TargetPolicy::parse("127.0.0.0/8, ::1/128").unwrap()),
            listed_only: true,
        };
        let name: Name = "localhost".parse().unwrap();
        let found: Vec<SocketAddr> = listed.resolve(name).await.unwrap().collect();
        assert!(!found.is_empty() && found.iter().all(|a| a.ip().is_loopback()));
        assert!(!inside.allows("169.254.169.254".parse().unwrap()));
        assert!(inside.allows("203.162.4.191".parse().unwrap()));
        assert!(
            !listed.allows("203.162.4.191".parse().unwrap()),
            "plain http stays inside"
        );
    }
}
