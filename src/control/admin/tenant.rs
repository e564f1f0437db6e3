//! `GET /v1/tenants/{tenant}`.

use super::extract::{Admin, Segments};
use super::reply::{ok, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::views;

pub async fn get(admin: Admin, Segments(tenant): Segments<String>) -> Reply {
    admin.allow(&tenant, None, Family::Realms, Action::Read)?;
    ok(views::tenant(&tenant))
}
