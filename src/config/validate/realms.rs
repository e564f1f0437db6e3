//! `[[realms]]`: ids, relying party ids (the auth host or a parent of it), binding
//! settings, console group and branding (`branding`); the `default` realm when none is
//! declared.

use super::super::branding::DEFAULT_ADMIN_GROUP as ADMIN_GROUP;
use super::super::file::RealmFile;
use super::super::model::*;
use super::super::problem::Problem;
use super::{identifier_rule, is_identifier, is_localhost, DEFAULT_REALM};

pub(super) fn realms(
    items: &[(usize, RealmFile)],
    auth_host: &str,
    base_dir: &std::path::Path,
    problems: &mut Vec<Problem>,
) -> Vec<Realm> {
    let mut out: Vec<Realm> = Vec::new();
    for (i, r) in items {
        let path = format!("realms[{i}]");
        if !is_identifier(&r.id) {
            problems.push(Problem::new(format!("{path}.id"), identifier_rule(&r.id)));
        }
        if out.iter().any(|o| o.id == r.id) {
            problems.push(Problem::new(
                format!("{path}.id"),
                format!("duplicate realm id \"{}\"", r.id),
            ));
        }
        let rp_id = r
            .rp_id
            .clone()
            .unwrap_or_else(|| auth_host.to_string())
            .to_ascii_lowercase();
        if !rp_id.contains('.') && !is_localhost(&rp_id) && !rp_id.is_empty() {
            problems.push(Problem::new(
                format!("{path}.rp_id"),
                format!("\"{rp_id}\" is a top-level domain: use the auth host or a registrable parent of it"),
            ));
        } else if !auth_host.is_empty()
            && rp_id != auth_host
            && !auth_host.ends_with(&format!(".{rp_id}"))
        {
            problems.push(Problem::new(
                format!("{path}.rp_id"),
                format!(
                    "\"{rp_id}\" must be the auth host \"{auth_host}\" or a parent domain of it (WebAuthn requires it)"
                ),
            ));
        }
        let binding = super::super::email::realm_binding(r, &path, problems);
        let scim_on_create = match r.scim.as_ref().and_then(|s| s.on_create.as_deref()) {
            None => ScimOnCreate::Nothing,
            Some("email_binding_link") => ScimOnCreate::EmailBindingLink,
            Some(other) => {
                problems.push(Problem::new(
                    format!("{path}.scim.on_create"),
                    format!("unknown value \"{other}\" (the one value is \"email_binding_link\")"),
                ));
                ScimOnCreate::Nothing
            }
        };
        let authenticator_configs = super::super::authenticator::authenticator_configs(
            &r.authenticator_configs,
            &path,
            &rp_id,
            problems,
        );
        let branding = super::super::branding::branding(
            r.logo.as_deref(),
            r.accent_color.as_deref(),
            base_dir,
            &path,
            problems,
        );
        let admin_group = r.admin_group.clone().unwrap_or_else(|| ADMIN_GROUP.into());
        if admin_group.trim().is_empty() || admin_group.len() > 256 {
            problems.push(Problem::new(
                format!("{path}.admin_group"),
                "must be a group name of 1 to 256 characters",
            ));
        }
        out.push(Realm {
            id: r.id.clone(),
            display_name: r.display_name.clone().unwrap_or_else(|| r.id.clone()),
            rp_name: r.rp_name.clone().unwrap_or_else(|| "passgate".into()),
            rp_id,
            link_base: binding.link_base,
            binding_link_ttl: binding.ttl,
            allowed_redirects: binding.allowed_redirects,
            attestation_required: binding.attestation_required,
            allowed_aaguids: binding.allowed_aaguids,
            scim_on_create,
            authenticator_configs,
            admin_group,
            branding,
        });
    }
    if out.is_empty() && items.is_empty() {
        out.push(Realm {
            id: DEFAULT_REALM.into(),
            display_name: "Default".into(),
            rp_id: auth_host.to_string(),
            rp_name: "passgate".into(),
            link_base: None,
            binding_link_ttl: super::super::model::DEFAULT_BINDING_LINK_TTL,
            allowed_redirects: Vec::new(),
            attestation_required: false,
            allowed_aaguids: Vec::new(),
            scim_on_create: ScimOnCreate::Nothing,
            authenticator_configs: Vec::new(),
            admin_group: ADMIN_GROUP.into(),
            branding: Default::default(),
        });
    }
    out
}
