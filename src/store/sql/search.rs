//! [`SearchStore`]: renders a [`Condition`] tree to SQL over named columns (values always
//! bound, never spliced), with the realm's bounds first so indexes apply: equality on the
//! lower-cased `username_key`/`email_key` columns, `EXISTS` over `group_members` for
//! membership, JSON extraction (`json_extract` on SQLite, `->>` on PostgreSQL) for free-form
//! traits. Case-insensitive comparisons lower both sides; case-exact substring matches use
//! `GLOB` on SQLite (whose `LIKE` ignores ASCII case) and `LIKE` on PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;

use super::query::{bind_all, placeholders, Bind};
use super::rows::{group, identity, GROUP_COLUMNS, IDENTITY_COLUMNS};
use super::SqlStore;
use crate::store::search::{
    Condition, Found, MemberRef, Search, SearchField, SearchOp, SearchValue,
};
use crate::store::{GroupRecord, IdentityRecord, SearchStore, StoreError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Identities,
    Groups,
}

struct Render {
    sqlite: bool,
    table: Table,
    binds: Vec<Bind>,
    /// Whether a substring pattern (`co`, `sw`, `ew`) was rendered: such a query is sent as a
    /// one-shot statement (see [`SqlStore::search`]).
    substring: bool,
}

fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

impl Render {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    /// The column expression of `f`, and whether it already holds lower-cased keys.
    fn column(&mut self, f: &SearchField) -> Result<(String, bool), StoreError> {
        let bad = || StoreError::Database(format!("{f:?} is not a field of this table"));
        let p = if self.table == Table::Identities {
            "i"
        } else {
            "g"
        };
        Ok(match (self.table, f) {
            (_, SearchField::Id) => (format!("{p}.id"), false),
            (_, SearchField::DisplayName) => (format!("{p}.display_name"), false),
            (_, SearchField::Created) => (format!("{p}.create_us"), false),
            (_, SearchField::Modified) => (format!("{p}.update_us"), false),
            (Table::Identities, SearchField::Username) => ("i.username_key".into(), true),
            (Table::Identities, SearchField::Email) => ("i.email_key".into(), true),
            (Table::Identities, SearchField::ExternalId) => ("i.external_id".into(), false),
            (Table::Identities, SearchField::GivenName) => ("i.given_name".into(), false),
            (Table::Identities, SearchField::FamilyName) => ("i.family_name".into(), false),
            (Table::Identities, SearchField::Status) => ("i.status".into(), false),
            (Table::Identities, SearchField::Trait(key)) => {
                if self.sqlite {
                    let n = self.bind(Bind::Text(format!("$.\"{key}\"")));
                    (format!("json_extract(i.extra_traits, {n})"), false)
                } else {
                    let n = self.bind(Bind::Text(key.clone()));
                    (format!("(i.extra_traits::jsonb ->> {n})"), false)
                }
            }
            _ => return Err(bad()),
        })
    }

    /// `EXISTS` over the memberships of the row, comparing the other side's id.
    fn membership(&self, f: &SearchField) -> Option<(&'static str, &'static str)> {
        match (self.table, f) {
            (Table::Identities, SearchField::GroupOfIdentity) => {
                Some(("m.identity_id = i.id", "m.group_id"))
            }
            (Table::Groups, SearchField::MemberOfGroup) => {
                Some(("m.group_id = g.id", "m.identity_id"))
            }
            _ => None,
        }
    }

    fn compare(&mut self, expr: &str, op: SearchOp, value: &SearchValue, fold: bool) -> String {
        let text = |v: &str| {
            if fold {
                v.to_lowercase()
            } else {
                v.to_string()
            }
        };
        let e = if fold {
            format!("LOWER({expr})")
        } else {
            expr.to_string()
        };
        match value {
            SearchValue::Int(i) => {
                let n = self.bind(Bind::Int(*i));
                match op {
                    SearchOp::Eq => format!("{e} = {n}"),
                    SearchOp::Ne => format!("({e} IS NULL OR {e} <> {n})"),
                    SearchOp::Gt => format!("{e} > {n}"),
                    SearchOp::Ge => format!("{e} >= {n}"),
                    SearchOp::Lt => format!("{e} < {n}"),
                    SearchOp::Le => format!("{e} <= {n}"),
                    // Substring operators on numbers and times match nothing.
                    _ => "1 = 0".into(),
                }
            }
            SearchValue::Text(v) => {
                let v = text(v);
                let (pre, post) = match op {
                    SearchOp::Contains => (true, true),
                    SearchOp::StartsWith => (false, true),
                    SearchOp::EndsWith => (true, false),
                    _ => {
                        let n = self.bind(Bind::Text(v));
                        return match op {
                            SearchOp::Eq => format!("{e} = {n}"),
                            SearchOp::Ne => format!("({e} IS NULL OR {e} <> {n})"),
                            SearchOp::Gt => format!("{e} > {n}"),
                            SearchOp::Ge => format!("{e} >= {n}"),
                            SearchOp::Lt => format!("{e} < {n}"),
                            _ => format!("{e} <= {n}"),
                        };
                    }
                };
                self.substring = true;
                if self.sqlite && !fold {
                    let pat = format!(
                        "{}{}{}",
                        if pre { "*" } else { "" },
                        glob_escape(&v),
                        if post { "*" } else { "" }
                    );
                    let n = self.bind(Bind::Text(pat));
                    format!("{e} GLOB {n}")
                } else {
                    let pat = format!(
                        "{}{}{}",
                        if pre { "%" } else { "" },
                        like_escape(&v),
                        if post { "%" } else { "" }
                    );
                    let n = self.bind(Bind::Text(pat));
                    format!("{e} LIKE {n} ESCAPE '\\'")
                }
            }
        }
    }

    fn render(&mut self, c: &Condition) -> Result<String, StoreError> {
        Ok(match c {
            Condition::All => "1 = 1".into(),
            Condition::Nothing => "1 = 0".into(),
            Condition::Not(inner) => format!("NOT ({})", self.render(inner)?),
            Condition::And(parts) | Condition::Or(parts) => {
                if parts.is_empty() {
                    return Ok(if matches!(c, Condition::And(_)) {
                        "1 = 1"
                    } else {
                        "1 = 0"
                    }
                    .into());
                }
                let joiner = if matches!(c, Condition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let rendered = parts
                    .iter()
                    .map(|p| self.render(p))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", rendered.join(joiner))
            }
            Condition::Present(f) => {
                if let Some((link, _)) = self.membership(f) {
                    return Ok(format!(
                        "EXISTS (SELECT 1 FROM group_members m WHERE {link})"
                    ));
                }
                let (e, _) = self.column(f)?;
                match f {
                    SearchField::Created | SearchField::Modified => format!("{e} IS NOT NULL"),
                    _ => format!("({e} IS NOT NULL AND {e} <> '')"),
                }
            }
            Condition::Compare {
                field,
                op,
                value,
                fold,
            } => {
                if let Some((link, other)) = self.membership(field) {
                    let cmp = self.compare(other, *op, value, false);
                    return Ok(format!(
                        "EXISTS (SELECT 1 FROM group_members m WHERE {link} AND {cmp})"
                    ));
                }
                let (e, keyed) = self.column(field)?;
                if keyed {
                    // The key column is lower-cased already: lower the value only.
                    let v = match value {
                        SearchValue::Text(t) => SearchValue::Text(t.to_lowercase()),
                        other => other.clone(),
                    };
                    self.compare(&e, *op, &v, false)
                } else {
                    self.compare(&e, *op, value, *fold)
                }
            }
        })
    }
}

impl SqlStore {
    async fn search<T>(
        &self,
        table: Table,
        tenant: &str,
        realm: &str,
        s: &Search,
        decode: fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<Found<T>, StoreError> {
        let mut r = Render {
            sqlite: self.backend == "sqlite",
            table,
            binds: vec![Bind::Text(tenant.into()), Bind::Text(realm.into())],
            substring: false,
        };
        let (from, columns, p) = match table {
            Table::Identities => ("identities i", IDENTITY_COLUMNS, "i"),
            Table::Groups => ("user_groups g", GROUP_COLUMNS, "g"),
        };
        let cond = r.render(&s.condition)?;
        // A prepared statement is planned once for any pattern after a few runs
        // (PostgreSQL's generic plan), and for `LIKE $n` that plan walks the realm in `seq`
        // order instead of using the trigram index: substring searches are planned for their
        // pattern each time (an unnamed statement). Measured in docs/performance.md (SCIM).
        let persistent = !r.substring;
        let filter = format!("{p}.tenant_id = $1 AND {p}.realm_id = $2 AND {cond}");
        let count = |binds: Vec<Bind>| {
            let sql = format!("SELECT COUNT(*) FROM {from} WHERE {filter}");
            async move {
                let total: i64 = bind_all(sqlx::query(&sql), &binds)
                    .persistent(persistent)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?;
                Ok::<i64, StoreError>(total)
            }
        };
        // The condition's own binds (sorting by a trait adds one the count does not use).
        let condition_binds = r.binds.clone();
        if s.limit == 0 {
            let total = count(condition_binds).await?;
            return Ok(Found {
                items: Vec::new(),
                total,
            });
        }
        let order = match &s.sort {
            None => format!("{p}.seq"),
            Some((field, desc)) => {
                let (e, keyed) = r.column(field)?;
                let e = match field {
                    SearchField::DisplayName
                    | SearchField::GivenName
                    | SearchField::FamilyName
                    | SearchField::Trait(_)
                        if !keyed =>
                    {
                        format!("LOWER({e})")
                    }
                    _ => e,
                };
                let dir = if *desc { "DESC" } else { "ASC" };
                format!("{e} {dir}, {p}.seq {dir}")
            }
        };
        let limit = r.bind(Bind::Int(i64::from(s.limit)));
        let offset = r.bind(Bind::Int(i64::try_from(s.offset).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows = bind_all(sqlx::query(&sql), &r.binds)
            .persistent(persistent)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        // A first page that is not full holds every match: no second query to count them
        // (a `userName eq` lookup is one indexed query).
        let total = if s.offset == 0 && items.len() < s.limit as usize {
            items.len() as i64
        } else {
            count(condition_binds).await?
        };
        Ok(Found { items, total })
    }

    async fn memberships(
        &self,
        join: &str,
        key: &str,
        ids: &[String],
    ) -> Result<Vec<MemberRef>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT m.group_id, m.identity_id, x.display_name FROM group_members m {join} \
             WHERE m.{key} IN ({}) ORDER BY x.seq",
            placeholders(1, ids.len())
        );
        let binds: Vec<Bind> = ids.iter().map(|i| Bind::Text(i.clone())).collect();
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(MemberRef {
                    group_id: row.try_get(0)?,
                    identity_id: row.try_get(1)?,
                    display: row.try_get(2)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn search_identities(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<IdentityRecord>, StoreError> {
        self.search(Table::Identities, tenant, realm, search, identity)
            .await
    }

    async fn search_groups(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<GroupRecord>, StoreError> {
        self.search(Table::Groups, tenant, realm, search, group)
            .await
    }

    async fn members_of(&self, group_ids: &[String]) -> Result<Vec<MemberRef>, StoreError> {
        self.memberships(
            "JOIN identities x ON x.id = m.identity_id",
            "group_id",
            group_ids,
        )
        .await
    }

    async fn groups_of(&self, identity_ids: &[String]) -> Result<Vec<MemberRef>, StoreError> {
        self.memberships(
            "JOIN user_groups x ON x.id = m.group_id",
            "identity_id",
            identity_ids,
        )
        .await
    }
}
