//! SQLite refusing writes while passgate runs: the database file made immutable
//! (`chattr +i` on the file and its WAL: what makes writes fail even for root, whose
//! `chmod` is no obstacle) and a full disk (a 4 MiB tmpfs filled up). Writes answer `503`
//! with `Retry-After` and the `service_unavailable` code, never `500`; reads keep
//! working; a refused write leaves nothing behind; writes work again once the file or the
//! disk is fixed, without restarting. Both need root (`chattr`, `mount`) and say so when
//! skipped.

use std::process::Command;

use serde_json::json;

use crate::support::admin::{realm_path, AdminApi};
use crate::support::db::TestDb;

/// Runs a system command; `false` when it is missing or fails.
fn sys(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn create(api: &AdminApi, username: &str) -> (u16, Option<String>, serde_json::Value) {
    let resp = crate::support::client()
        .post(api.url(&realm_path("/identities")))
        .bearer_auth(&api.token)
        .json(&json!({"identity": {"traits": {"username": username}}}))
        .send()
        .await
        .expect("request");
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (s, v) = AdminApi::read(resp).await;
    (s, retry, v)
}

/// Usernames listed by the admin API (a read), asserting it answers.
async fn usernames(api: &AdminApi) -> Vec<String> {
    let (s, v) = api.get(&realm_path("/identities?page_size=100")).await;
    assert_eq!(s, 200, "reads must keep working: {v}");
    v["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["traits"]["username"].as_str().unwrap().to_string())
        .collect()
}

fn assert_refused(what: &str, (s, retry, v): &(u16, Option<String>, serde_json::Value)) {
    assert_eq!(*s, 503, "{what}: {v}");
    assert_eq!(v["code"], "service_unavailable", "{what}: {v}");
    assert!(retry.is_some(), "{what}: no Retry-After");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_sqlite_file_refuses_writes_and_keeps_reads() {
    let db = TestDb::sqlite();
    let probe = db.dir.path().join("probe");
    std::fs::write(&probe, "x").unwrap();
    let p = probe.to_str().unwrap();
    if !(sys("chattr", &["+i", p]) && sys("chattr", &["-i", p])) {
        eprintln!("skipped: chattr +i does not work here (needs root on ext4/xfs/btrfs)");
        return;
    }
    let file = db.dir.path().join("passgate.db");
    let wal = db.dir.path().join("passgate.db-wal");
    let api = AdminApi::start_on(db, |_| String::new()).await;
    let (s, v) = api
        .post(
            &realm_path("/identities"),
            json!({"identity": {"traits": {"username": "before"}}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let files = [file.to_str().unwrap(), wal.to_str().unwrap()];
    for f in files {
        assert!(sys("chattr", &["+i", f]), "chattr +i {f}");
    }
    let refused = create(&api, "during").await;
    let reads = usernames(&api).await;
    for f in files {
        assert!(sys("chattr", &["-i", f]), "chattr -i {f}");
    }
    assert_refused("create on an immutable file", &refused);
    assert_eq!(reads, ["before"], "nothing half-written");
    let (s, _, v) = create(&api, "after").await;
    assert_eq!(
        s,
        200,
        "writes work again without a restart: {v}\n{}",
        api.gw.log()
    );
    let mut now = usernames(&api).await;
    now.sort();
    assert_eq!(now, ["after", "before"]);
    assert!(
        api.gw.log().contains("read-only") || api.gw.log().contains("I/O error"),
        "the log says why: {}",
        api.gw.log()
    );
}

/// Unmounts (lazily) on drop, after the gateway that uses it has stopped.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_sqlite_writes_and_keeps_reads() {
    let db = TestDb::sqlite();
    let dir = db.dir.path().to_path_buf();
    if !sys(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=4m",
            "tmpfs",
            dir.to_str().unwrap(),
        ],
    ) {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    }
    let _mount = Mount(dir.clone());
    let api = AdminApi::start_on(db, |_| String::new()).await;
    let (s, _, v) = create(&api, "before").await;
    assert_eq!(s, 200, "{v}");

    // Fill the disk to the last byte.
    let filler = dir.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        while f.write_all(&[0u8]).is_ok() {}
        let _ = f.sync_all();
    }
    // Pages already in the WAL can be rewritten in place: write until one needs new space.
    let mut created = vec!["before".to_string()];
    let mut refused = None;
    for n in 0..200 {
        let name = format!("full{n:03}-{}", "x".repeat(110));
        let r = create(&api, &name).await;
        match r.0 {
            200 => created.push(name),
            _ => {
                refused = Some(r);
                break;
            }
        }
    }
    let refused = refused.expect("a write on a full disk was refused");
    assert_refused("create on a full disk", &refused);
    let mut reads = usernames(&api).await;
    reads.sort();
    created.sort();
    assert_eq!(reads, created, "exactly the writes answered 200 are there");

    std::fs::remove_file(&filler).unwrap();
    let (s, _, v) = create(&api, "after").await;
    assert_eq!(s, 200, "writes work again without a restart: {v}");
    eprintln!(
        "full disk: {} writes still fit in the WAL, then 503 ({})",
        created.len() - 1,
        refused.2
    );
    assert!(
        api.gw.log().contains("full"),
        "the log says why: {}",
        api.gw.log()
    );
    drop(api);
}
