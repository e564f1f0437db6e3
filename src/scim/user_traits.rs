//! Where a User's attributes live on a passgate identity: the five named traits and
//! `display_name`/`status` are columns; the other string attributes are free-form traits
//! under fixed names (this table), phone numbers one trait per type (`phone_work`, …).

use super::schema::{Home, ENTERPRISE};

/// A string attribute kept as a free-form trait.
#[derive(Debug, Clone, Copy)]
pub struct TraitAttr {
    pub home: Home,
    pub attr: &'static str,
    pub sub: Option<&'static str>,
    pub key: &'static str,
}

const fn core(attr: &'static str, sub: Option<&'static str>, key: &'static str) -> TraitAttr {
    TraitAttr {
        home: Home::Core,
        attr,
        sub,
        key,
    }
}

const fn ent(attr: &'static str, sub: Option<&'static str>, key: &'static str) -> TraitAttr {
    TraitAttr {
        home: Home::Extension(ENTERPRISE),
        attr,
        sub,
        key,
    }
}

pub static USER_TRAITS: &[TraitAttr] = &[
    core("name", Some("formatted"), "formatted_name"),
    core("name", Some("middleName"), "middle_name"),
    core("name", Some("honorificPrefix"), "honorific_prefix"),
    core("name", Some("honorificSuffix"), "honorific_suffix"),
    core("nickName", None, "nick_name"),
    core("profileUrl", None, "profile_url"),
    core("title", None, "title"),
    core("userType", None, "user_type"),
    core("preferredLanguage", None, "preferred_language"),
    core("locale", None, "locale"),
    core("timezone", None, "timezone"),
    ent("employeeNumber", None, "employee_number"),
    ent("costCenter", None, "cost_center"),
    ent("organization", None, "organization"),
    ent("division", None, "division"),
    ent("department", None, "department"),
    ent("manager", Some("value"), "manager_id"),
];

/// The phone number types kept (RFC 7643's canonical ones), each as trait `phone_<type>`.
pub static PHONE_TYPES: &[&str] = &["work", "mobile", "home", "other", "fax", "pager"];

/// The trait holding the phone number of `kind`.
pub fn phone_key(kind: &str) -> String {
    format!("phone_{kind}")
}

/// The trait of `home`/`attr`/`sub` (names canonical), if it is one.
pub fn trait_of(home: Home, attr: &str, sub: Option<&str>) -> Option<&'static str> {
    USER_TRAITS
        .iter()
        .find(|t| t.home == home && t.attr == attr && t.sub == sub)
        .map(|t| t.key)
}
