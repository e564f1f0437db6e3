//! The resource schemas passgate serves (RFC 7643): the core User with the enterprise
//! extension, and Group. One table per schema gives each attribute's type, plurality, case
//! rule, mutability and sub-attributes; it is what `/Schemas` answers, and what the filter
//! translation, PATCH and the attribute projection read to spell names canonically (SCIM
//! attribute names are case-insensitive) and to compare values with the right case rule.

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
}

/// One attribute's definition.
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub multi: bool,
    pub case_exact: bool,
    pub required: bool,
    pub mutability: Mutability,
    /// `always` for `id`; `default` otherwise.
    pub always: bool,
    pub unique: bool,
    pub description: &'static str,
    pub subs: &'static [Attr],
}

const fn s(name: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind: Kind::String,
        multi: false,
        case_exact: false,
        required: false,
        mutability: Mutability::ReadWrite,
        always: false,
        unique: false,
        description,
        subs: &[],
    }
}

const fn with_kind(mut a: Attr, kind: Kind) -> Attr {
    a.kind = kind;
    a
}

const fn read_only(mut a: Attr) -> Attr {
    a.mutability = Mutability::ReadOnly;
    a
}

const fn complex(
    name: &'static str,
    multi: bool,
    description: &'static str,
    subs: &'static [Attr],
) -> Attr {
    let mut a = s(name, description);
    a.kind = Kind::Complex;
    a.multi = multi;
    a.subs = subs;
    a
}

/// Attributes every resource has (RFC 7643 §3.1).
pub static COMMON: &[Attr] = &[
    {
        let mut a = read_only(s("id", "Unique identifier assigned by passgate."));
        a.case_exact = true;
        a.always = true;
        a.unique = true;
        a
    },
    {
        let mut a = s(
            "externalId",
            "Identifier assigned by the provisioning client.",
        );
        a.case_exact = true;
        a
    },
    read_only(complex(
        "meta",
        false,
        "Resource metadata.",
        &[
            read_only(s("resourceType", "User or Group.")),
            read_only(with_kind(
                s("created", "When the resource was created."),
                Kind::DateTime,
            )),
            read_only(with_kind(
                s("lastModified", "When it last changed."),
                Kind::DateTime,
            )),
            read_only(with_kind(
                s("location", "The resource's URI."),
                Kind::Reference,
            )),
            read_only(s("version", "Weak entity tag; changes on every write.")),
        ],
    )),
];

static MULTI_SUBS: &[Attr] = &[
    s("value", "The value."),
    s("type", "A label (work, home, …)."),
    with_kind(s("primary", "The primary value."), Kind::Boolean),
    s("display", "A human-readable name."),
];

pub static USER_ATTRS: &[Attr] = &[
    {
        let mut a = s("userName", "Unique name, case-insensitive.");
        a.required = true;
        a.unique = true;
        a
    },
    complex(
        "name",
        false,
        "The user's name.",
        &[
            s("formatted", "The full name."),
            s("familyName", "Family name."),
            s("givenName", "Given name."),
            s("middleName", "Middle name."),
            s("honorificPrefix", "Honorific prefix."),
            s("honorificSuffix", "Honorific suffix."),
        ],
    ),
    s("displayName", "Name shown to people."),
    s("nickName", "Casual name."),
    with_kind(s("profileUrl", "Profile page."), Kind::Reference),
    s("title", "Title."),
    s("userType", "Relationship to the organisation."),
    s("preferredLanguage", "Preferred language."),
    s("locale", "Locale."),
    s("timezone", "Time zone."),
    with_kind(
        s(
            "active",
            "false suspends the identity and ends its sessions.",
        ),
        Kind::Boolean,
    ),
    complex(
        "emails",
        true,
        "Email address (one is stored: the primary).",
        MULTI_SUBS,
    ),
    complex(
        "phoneNumbers",
        true,
        "Phone numbers (types work and mobile).",
        MULTI_SUBS,
    ),
    read_only(complex(
        "groups",
        true,
        "Groups the user is in (read-only; change them on the Group).",
        &[
            read_only(s("value", "Group id.")),
            read_only(with_kind(s("$ref", "Group URI."), Kind::Reference)),
            read_only(s("display", "Group name.")),
            read_only(s("type", "direct.")),
        ],
    )),
];

pub static ENTERPRISE_ATTRS: &[Attr] = &[
    s("employeeNumber", "Employee number."),
    s("costCenter", "Cost center."),
    s("organization", "Organization."),
    s("division", "Division."),
    s("department", "Department."),
    complex(
        "manager",
        false,
        "The user's manager.",
        &[
            s("value", "The manager's id."),
            read_only(with_kind(s("$ref", "The manager's URI."), Kind::Reference)),
            read_only(s("displayName", "The manager's name.")),
        ],
    ),
];

static MEMBER_SUBS: &[Attr] = &[
    {
        let mut a = s("value", "Member id.");
        a.case_exact = true;
        a.mutability = Mutability::Immutable;
        a
    },
    read_only(with_kind(s("$ref", "Member URI."), Kind::Reference)),
    read_only(s("display", "Member name.")),
    s("type", "User."),
];

pub static GROUP_ATTRS: &[Attr] = &[
    {
        let mut a = s("displayName", "The group's name.");
        a.required = true;
        a
    },
    complex("members", true, "Members (users).", MEMBER_SUBS),
];

/// The kinds of resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn core(self) -> &'static str {
        match self {
            ResourceKind::User => USER,
            ResourceKind::Group => GROUP,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    fn attrs(self) -> &'static [Attr] {
        match self {
            ResourceKind::User => USER_ATTRS,
            ResourceKind::Group => GROUP_ATTRS,
        }
    }

    /// The extension schemas this resource may carry.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            ResourceKind::User => &[ENTERPRISE],
            ResourceKind::Group => &[],
        }
    }
}

/// Where an attribute lives: in the core schema (with the common attributes) or an
/// extension (by its URN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Core,
    Extension(&'static str),
}

/// An attribute resolved against a resource's schemas.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub home: Home,
    pub attr: &'static Attr,
    pub sub: Option<&'static Attr>,
}

impl Resolved {
    /// The definition compared against: the sub-attribute's if any.
    pub fn leaf(&self) -> &'static Attr {
        self.sub.unwrap_or(self.attr)
    }
}

fn find<'a>(attrs: &'a [Attr], name: &str) -> Option<&'a Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The extension URN `urn` names (any case), if this resource has it.
pub fn extension(kind: ResourceKind, urn: &str) -> Option<&'static str> {
    kind.extensions()
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(urn))
}

/// Resolves `[schema:]name[.sub]` (names in any case) on `kind`; `None` when the schema
/// has no such attribute.
pub fn resolve(
    kind: ResourceKind,
    schema: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<Resolved> {
    let (home, attr) = match schema {
        None => find(COMMON, name)
            .or_else(|| find(kind.attrs(), name))
            .map(|a| (Home::Core, a))
            .or_else(|| {
                // `urn:…:enterprise:2.0:User` written as a whole attribute name has no
                // schema part here; extension attributes without their URN are looked
                // up too (clients write `department` for the enterprise one).
                kind.extensions()
                    .iter()
                    .find_map(|e| find(extension_attrs(e), name).map(|a| (Home::Extension(e), a)))
            })?,
        Some(urn) if urn.eq_ignore_ascii_case(kind.core()) => find(COMMON, name)
            .or_else(|| find(kind.attrs(), name))
            .map(|a| (Home::Core, a))?,
        Some(urn) => {
            let e = extension(kind, urn)?;
            (Home::Extension(e), find(extension_attrs(e), name)?)
        }
    };
    let sub = match sub {
        None => None,
        Some(s) => Some(find(attr.subs, s)?),
    };
    Some(Resolved { home, attr, sub })
}

/// The attributes of extension `urn`.
pub fn extension_attrs(urn: &str) -> &'static [Attr] {
    if urn == ENTERPRISE {
        ENTERPRISE_ATTRS
    } else {
        &[]
    }
}

/// Schemas clients name that carry no attributes passgate reads: Microsoft Entra ID lists
/// its `ADSCIM` schema in every Group (and some User) documents it sends.
pub fn is_attributeless(urn: &str) -> bool {
    const KNOWN: [&str; 2] = [
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User",
    ];
    KNOWN.iter().any(|k| k.eq_ignore_ascii_case(urn))
}

/// Every schema: its URN, name and attributes (what `/Schemas` lists).
pub fn all() -> [(&'static str, &'static str, &'static str, &'static [Attr]); 3] {
    [
        (USER, "User", "User Account", USER_ATTRS),
        (
            ENTERPRISE,
            "EnterpriseUser",
            "Enterprise User",
            ENTERPRISE_ATTRS,
        ),
        (GROUP, "Group", "Group", GROUP_ATTRS),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_any_case_and_with_their_urn() {
        let r = resolve(ResourceKind::User, None, "USERNAME", None).unwrap();
        assert_eq!(r.attr.name, "userName");
        let r = resolve(ResourceKind::User, None, "emails", Some("VALUE")).unwrap();
        assert_eq!(r.leaf().name, "value");
        let r = resolve(ResourceKind::User, Some(ENTERPRISE), "department", None).unwrap();
        assert_eq!(r.home, Home::Extension(ENTERPRISE));
        let r = resolve(ResourceKind::User, Some(USER), "name", Some("givenName")).unwrap();
        assert_eq!(r.home, Home::Core);
        assert!(resolve(ResourceKind::User, None, "nope", None).is_none());
        assert!(resolve(ResourceKind::Group, Some(ENTERPRISE), "department", None).is_none());
        assert!(
            resolve(ResourceKind::User, None, "id", None)
                .unwrap()
                .attr
                .case_exact
        );
        assert!(
            !resolve(ResourceKind::User, None, "userName", None)
                .unwrap()
                .attr
                .case_exact
        );
    }
}
