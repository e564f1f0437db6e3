//! The origins a realm's passkey ceremonies accept (the relying party's allowed origins,
//! used by [`super::webauthn::relying_party`]).
//!
//! **passgate's own** ([`passgate_origins`]): `public_url`'s origin plus, for every route
//! with an exact host equal to the RP id or under it, that host with `public_url`'s scheme
//! and port. The reasoning: `public_url` says how users reach passgate (scheme and port as
//! the browser sees them, which may differ from the listener behind a load balancer), and
//! every fronted host is reached through the same front door. When a wildcard route
//! (`*.x`, `*`) fronts hosts under the RP id, subdomains of the allowed origins are
//! accepted too (`allow_subdomains`), still with the same scheme and port. `allow_any_port`
//! stays off.
//!
//! **Trusted origins**: the `trusted_origins` of the realm's `embedded` authenticator
//! configurations, allowed exactly as written (scheme, host and port): pages passgate does
//! not serve that run ceremonies through the SDK. webauthn-rs has one `allow_subdomains`
//! switch for every allowed origin, so [`check_origin`] refuses, before webauthn-rs looks,
//! a subdomain of a trusted origin that a wildcard route would otherwise let through.

use webauthn_rs::prelude::Url;

use super::IdmError;
use crate::config::{Config, HostPattern};
use crate::store::RealmRecord;

fn origin_of(scheme: &str, host: &str, port: Option<u16>) -> Result<Url, IdmError> {
    let s = match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    };
    Url::parse(&s).map_err(|e| IdmError::Internal(format!("origin {s}: {e}")))
}

fn under(host: &str, rp_id: &str) -> bool {
    host == rp_id || host.ends_with(&format!(".{rp_id}"))
}

/// passgate's own origins for `rp_id` (see the module docs: `public_url` and fronted hosts),
/// and whether subdomains of them are allowed too.
pub fn passgate_origins(config: &Config, rp_id: &str) -> Result<(Vec<Url>, bool), IdmError> {
    let public = &config.public_url;
    let scheme = public.scheme();
    let port = public.port();
    let mut origins = vec![origin_of(scheme, &config.auth_host, port)?];
    let mut subdomains = false;
    for route in &config.routes {
        match &route.host {
            HostPattern::Exact(h) if under(h, rp_id) => {
                let o = origin_of(scheme, h, port)?;
                if !origins.contains(&o) {
                    origins.push(o);
                }
            }
            HostPattern::Wildcard(suffix) if under(suffix.trim_start_matches('.'), rp_id) => {
                subdomains = true;
            }
            HostPattern::Any => subdomains = true,
            _ => {}
        }
    }
    Ok((origins, subdomains))
}

/// Refuses `clientDataJSON` whose origin webauthn-rs would accept only as a subdomain of a
/// trusted origin (see the module docs). Unreadable client data is left to webauthn-rs.
pub fn check_origin(
    config: &Config,
    realm: &RealmRecord,
    client_data_json: &[u8],
) -> Result<(), IdmError> {
    let (passgate, subdomains) = passgate_origins(config, &realm.rp_id)?;
    if !subdomains {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct ClientData {
        origin: String,
    }
    let Some(origin) = serde_json::from_slice::<ClientData>(client_data_json)
        .ok()
        .and_then(|c| Url::parse(&c.origin).ok())
    else {
        return Ok(());
    };
    let trusted = config
        .realm(&realm.id)
        .into_iter()
        .flat_map(|r| r.trusted_origins())
        .any(|t| Url::parse(t).is_ok_and(|t| t.origin() == origin.origin()));
    let own = passgate
        .iter()
        .any(|p| webauthn_rs_proto::origin::origins_match(true, false, &origin, p));
    if trusted || own {
        Ok(())
    } else {
        Err(IdmError::invalid(
            "credential",
            format!(
                "the passkey could not be verified: origin {} is not allowed",
                origin.origin().ascii_serialization()
            ),
        ))
    }
}

#[cfg(test)]
mod origin_tests {
    use std::path::Path;

    use super::*;

    fn config(public_url: &str, routes: &str) -> Config {
        let src = format!(
            "public_url = \"{public_url}\"\n[[listeners]]\naddress = \"127.0.0.1:18443\"\n\
             [[realms]]\nid = \"default\"\nrp_id = \"example.com\"\n{routes}"
        );
        crate::config::from_str(&src, Path::new(".")).unwrap()
    }

    #[test]
    fn origins_are_public_url_and_exact_hosts_under_the_rp_id() {
        let routes = "[[routes]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:9\"\n\
                      [[routes]]\nhost = \"other.test\"\nupstream = \"http://127.0.0.1:9\"\n";
        let c = config("https://auth.example.com:8443", routes);
        let (origins, subdomains) = passgate_origins(&c, "example.com").unwrap();
        let got: Vec<&str> = origins.iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            [
                "https://auth.example.com:8443/",
                "https://app.example.com:8443/"
            ]
        );
        assert!(!subdomains, "no wildcard route");
    }

    #[test]
    fn wildcard_routes_under_the_rp_id_allow_subdomains() {
        let routes = "[[routes]]\nhost = \"*.example.com\"\nupstream = \"http://127.0.0.1:9\"\n";
        let c = config("https://auth.example.com", routes);
        let (origins, subdomains) = passgate_origins(&c, "example.com").unwrap();
        assert_eq!(origins.len(), 1);
        assert!(subdomains);
        let elsewhere = "[[routes]]\nhost = \"*.other.test\"\nupstream = \"http://127.0.0.1:9\"\n";
        let c = config("https://auth.example.com", elsewhere);
        assert!(!passgate_origins(&c, "example.com").unwrap().1);
    }
}
