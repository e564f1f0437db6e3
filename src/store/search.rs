//! Searches over identities and groups, as typed conditions the SQL layer renders (SCIM
//! filters are translated into these by `scim::query`): fields by name, never raw SQL, so
//! equality on `userName` becomes `username_key = $n` and uses the realm's unique index.

/// A searchable field of an identity or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchField {
    Id,
    /// Compared through its lower-cased key column (case-insensitive, indexed).
    Username,
    /// Compared through its lower-cased key column.
    Email,
    ExternalId,
    DisplayName,
    GivenName,
    FamilyName,
    /// The identity's status (`active` / `suspended`).
    Status,
    Created,
    Modified,
    /// A free-form trait by name.
    Trait(String),
    /// The id of a group the identity is in.
    GroupOfIdentity,
    /// The id of one of the group's members.
    MemberOfGroup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOp {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchValue {
    Text(String),
    Int(i64),
}

/// A condition on the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Every row.
    All,
    /// No row.
    Nothing,
    /// `field op value`; `fold`: compare case-insensitively.
    Compare {
        field: SearchField,
        op: SearchOp,
        value: SearchValue,
        fold: bool,
    },
    /// The field has a non-empty value.
    Present(SearchField),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

/// One search: which rows, in what order, which slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub condition: Condition,
    /// Sort field and whether descending (ties and no sort: insertion order).
    pub sort: Option<(SearchField, bool)>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return (0: only the total).
    pub limit: u32,
}

/// A slice of the matching rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A membership with the names to show: `(group id, identity id, name)`, where the name
/// is the identity's display name (listing a group's members) or the group's (listing an
/// identity's groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub group_id: String,
    pub identity_id: String,
    pub display: String,
}
