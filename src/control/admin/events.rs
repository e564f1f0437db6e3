//! `GET …/realms/{realm}/events`: the realm's audit log, oldest first, paged.

use super::extract::{Admin, ListParams, Segments};
use super::reply::{listing, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::views;

pub async fn list(
    admin: Admin,
    Segments((t, r)): Segments<(String, String)>,
    q: ListParams,
) -> Reply {
    admin.allow(&t, Some(&r), Family::Events, Action::Read)?;
    let dir = &admin.state.directory;
    let page = dir
        .list_events(&t, &r, q.page_size(), q.page_token())
        .await?;
    listing("events", &page, page.items.iter().map(views::event))
}
