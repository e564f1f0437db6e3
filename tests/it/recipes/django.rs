//! Django's admin with the recipe's `RemoteUserMiddleware` subclass
//! (examples/recipes/django): a passgate user is created in Django on first sign-in, is
//! staff while in a passgate group and stops being staff when taken out of it; a spoofed
//! header without a session signs no one in, although Django itself would take it.

use std::process::Command;
use std::time::Duration;

use super::app::{installed_or_skip, run_to_end, App, Installed, Kind};
use super::visitor::{direct, leave_group, Visitor};
use super::{example_route, examples, SPOOFED};
use crate::support::db::Backend;
use crate::support::free_port;
use crate::support::sessions::SessionEnv;

/// Public on the test route (until `optional`): Django's admin sign-in page, which sends a
/// signed-in staff member on to the admin (`302`) and shows its form to anyone else.
const PROBE: &str = "/admin/login/";

fn manage(installed: &Installed, db: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(installed.venv_bin("python"));
    cmd.arg(examples().join("django/manage.py"))
        .args(args)
        .env(
            "DJANGO_SECRET_KEY",
            "recipe-test-secret-key-0123456789abcdef",
        )
        .env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
        .env("DJANGO_DB_PATH", db)
        .env("PASSGATE_STAFF_GROUPS", "staff")
        .env("PASSGATE_SUPERUSER_GROUPS", "admins");
    cmd
}

/// Django's runserver (WSGI) on `port`, its database migrated first.
async fn start_django(installed: &Installed, port: u16) -> App {
    let dir = tempfile::tempdir().expect("django dir");
    let db = dir.path().join("db.sqlite3");
    let mut migrate = manage(installed, &db, &["migrate", "--noinput"]);
    run_to_end("manage.py migrate", &mut migrate, Duration::from_secs(120)).await;
    let mut cmd = manage(
        installed,
        &db,
        &["runserver", "--noreload", &format!("127.0.0.1:{port}")],
    );
    App::start_in("django", port, dir, &mut cmd, "/admin/login/").await
}

/// The usernames the admin's user list shows with `filter` (e.g. `is_staff__exact=1`).
fn listed_users(html: &str) -> Vec<String> {
    // Each row's first cell: <th class="field-username"><a href="…">NAME</a></th>
    html.split("class=\"field-username\"")
        .skip(1)
        .filter_map(|cell| {
            let a = cell.split("</a>").next()?;
            Some(a.rsplit('>').next()?.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_admin_follows_the_passgate_user_and_groups() {
    let Some(installed) = installed_or_skip("django", Kind::Python) else {
        return;
    };
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    let route = example_route("django", "localhost", &app_url, &[PROBE]);
    let env = SessionEnv::start_routes(Backend::Sqlite, "", &route)
        .await
        .expect("sqlite");
    let app = start_django(&installed, port).await;

    // bob is in no passgate group: Django creates him, not as staff (the admin sends him
    // to its sign-in page).
    let mut bob = Visitor::enrolled(&env, "bob", &[]).await;
    let r = bob.get("/admin/").await;
    assert_eq!(r.status, 302, "{}\n{}", r.body, app.log());
    assert!(r.header("location").starts_with("/admin/login/"));

    // alice is in "staff" and "admins": the admin welcomes her by name.
    let mut alice = Visitor::enrolled(&env, "alice", &["staff", "admins"]).await;
    let r = alice.get("/admin/").await;
    assert_eq!(r.status, 200, "{}\n{}", r.body, app.log());
    assert!(r.body.contains("<strong>alice</strong>"), "{}", r.body);
    // Django's own user list: both were created on first sign-in, with passgate's email;
    // only alice is staff.
    let r = alice.get("/admin/auth/user/?is_staff__exact=1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(listed_users(&r.body), ["alice"], "{}", r.body);
    let r = alice.get("/admin/auth/user/?is_staff__exact=0").await;
    assert_eq!(listed_users(&r.body), ["bob"], "{}", r.body);
    let r = alice.get("/admin/auth/user/?q=alice%40example.com").await;
    assert_eq!(listed_users(&r.body), ["alice"], "{}", r.body);

    // A spoofed header from a signed-in user changes nothing: Django reads passgate's.
    let r = bob
        .request(reqwest::Method::GET, "/admin/", SPOOFED, None)
        .await;
    assert_eq!(r.status, 302, "bob stays bob: {}", r.body);

    // Another passgate user on the same browser (alice's staff session still in the jar)
    // is that user in Django: bob, not staff.
    let alice_token = alice.token().to_string();
    alice.set_token(bob.token());
    let r = alice.get("/admin/").await;
    assert_eq!(r.status, 302, "{}", r.body);
    alice.set_token(&alice_token);
    let r = alice.get("/admin/").await;
    assert!(r.body.contains("<strong>alice</strong>"), "{}", r.body);

    // alice leaves the groups; her next passgate token says so, and Django's session
    // (still open in her jar) stops being staff at once.
    leave_group(&env.api, "staff", &alice.identity_id).await;
    leave_group(&env.api, "admins", &alice.identity_id).await;
    alice.sign_in(&env).await;
    let r = alice.get("/admin/").await;
    assert_eq!(r.status, 302, "{}", r.body);

    // The probe is sensitive: Django takes the header from anyone who reaches it…
    let r = direct(&app.url(PROBE), SPOOFED).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.header("location"), "/admin/");
    // …but through passgate, without a session, the same headers are gone: the sign-in form.
    let mut anonymous = Visitor::anonymous(&env.gw().url(""));
    let r = anonymous
        .request(reqwest::Method::GET, PROBE, SPOOFED, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"login-form\""), "{}", r.body);
    assert!(!r.body.contains("mallory"), "{}", r.body);
    // The admin itself is passgate's to refuse.
    let r = anonymous
        .request(reqwest::Method::GET, "/admin/", SPOOFED, None)
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.header("location").contains("/.passgate/login?rd="));
}
