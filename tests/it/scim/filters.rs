//! The filter grammar of RFC 7644 §3.4.2.2 end to end: every operator, `and`/`or`/`not`,
//! precedence and parentheses, sub-attributes, value filters, the enterprise extension,
//! `meta` times, case rules per attribute (userName any case, externalId exact), `null`;
//! malformed filters (400 `invalidFilter`, a 1,000-deep one included); paging
//! (`startIndex`, `count`, `count=0`, a huge count), sorting and projections.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{Resp, Scim, ENTERPRISE, GROUP};
use crate::support::admin::AdminApi;
use crate::support::db::Backend;

on_both_backends!(filter_grammar, paging_sorting_and_projection);

fn names(r: &Resp) -> BTreeSet<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.body["Resources"].as_array().expect("Resources");
    assert_eq!(
        r.body["totalResults"].as_u64().unwrap() as usize,
        items.len(),
        "{}",
        r.body
    );
    items
        .iter()
        .map(|u| {
            u.get("userName")
                .or(u.get("displayName"))
                .and_then(Value::as_str)
                .unwrap()
                .to_lowercase()
        })
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn people(scim: &Scim<'_>) -> (String, String) {
    let alice = scim
        .user(
            "Alice",
            json!({"schemas": [super::USER, ENTERPRISE], "externalId": "EXT-A", "title": "Engineer",
                   "name": {"givenName": "Alice", "familyName": "Liddell"},
                   "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
                   ENTERPRISE: {"department": "R&D"}}),
        )
        .await
        .id();
    scim.user(
        "bob",
        json!({"externalId": "ext-b", "title": "Manager", "active": false,
               "name": {"familyName": "Builder"},
               "emails": [{"value": "bob@example.org"}]}),
    )
    .await;
    scim.user(
        "carol",
        json!({"userType": "Contractor", "name": {"familyName": "Danvers"},
               "emails": [{"value": "carol@example.com", "type": "work"}]}),
    )
    .await;
    scim.user(
        "dave",
        json!({"schemas": [super::USER, ENTERPRISE],
               "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
               ENTERPRISE: {"department": "r&d"}}),
    )
    .await;
    let staff = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Staff", "members": [{"value": alice}]}),
        )
        .await
        .id();
    scim.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Empty"}),
    )
    .await;
    (alice, staff)
}

async fn filter_grammar(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let (alice, staff) = people(&scim).await;
    let all = ["alice", "bob", "carol", "dave"];
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("userName eq \"alice\"".into(), vec!["alice"]),
        ("USERNAME EQ \"ALICE\"".into(), vec!["alice"]),
        ("userName ne \"alice\"".into(), vec!["bob", "carol", "dave"]),
        ("userName co \"o\"".into(), vec!["bob", "carol"]),
        ("userName sw \"DA\"".into(), vec!["dave"]),
        ("userName ew \"ol\"".into(), vec!["carol"]),
        ("userName gt \"bob\"".into(), vec!["carol", "dave"]),
        ("userName ge \"bob\"".into(), vec!["bob", "carol", "dave"]),
        ("userName lt \"bob\"".into(), vec!["alice"]),
        ("userName le \"bob\"".into(), vec!["alice", "bob"]),
        ("userName co \"%\" or userName sw \"_\"".into(), vec![]),
        ("externalId eq \"ext-a\"".into(), vec![]),
        ("externalId eq \"EXT-A\"".into(), vec!["alice"]),
        ("externalId co \"xt\"".into(), vec!["bob"]),
        ("externalId pr".into(), vec!["alice", "bob"]),
        ("title pr".into(), vec!["alice", "bob"]),
        ("not (title pr)".into(), vec!["carol", "dave"]),
        ("title eq null".into(), vec!["carol", "dave"]),
        ("title ne null".into(), vec!["alice", "bob"]),
        (
            "emails.value ew \"@example.com\"".into(),
            vec!["alice", "carol"],
        ),
        ("emails co \"EXAMPLE.ORG\"".into(), vec!["bob"]),
        (
            "emails[type eq \"work\" and value co \"@example.com\"]".into(),
            vec!["alice", "carol"],
        ),
        ("emails[type eq \"home\"]".into(), vec![]),
        ("emails[not (value ew \".com\")]".into(), vec!["bob"]),
        ("emails pr".into(), vec!["alice", "bob", "carol"]),
        ("active eq false".into(), vec!["bob"]),
        (
            "active ne false and emails pr".into(),
            vec!["alice", "carol"],
        ),
        (
            "(userName eq \"alice\" or userName eq \"bob\") and active eq true".into(),
            vec!["alice"],
        ),
        (
            "userName eq \"alice\" or userName eq \"bob\" and active eq true".into(),
            vec!["alice"],
        ),
        (
            "userName eq \"bob\" or userName eq \"carol\" and active eq false".into(),
            vec!["bob"],
        ),
        (
            format!("{ENTERPRISE}:department eq \"R&D\""),
            vec!["alice", "dave"],
        ),
        ("department eq \"r&d\"".into(), vec!["alice", "dave"]),
        ("phoneNumbers[type eq \"work\"]".into(), vec!["dave"]),
        ("phoneNumbers.value sw \"+1\"".into(), vec!["dave"]),
        ("phoneNumbers[type eq \"mobile\"]".into(), vec![]),
        ("name.familyName sw \"b\"".into(), vec!["bob"]),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq \"alice\"".into(),
            vec!["alice"],
        ),
        ("userType eq \"contractor\"".into(), vec!["carol"]),
        (
            "meta.created gt \"2000-01-01T00:00:00Z\"".into(),
            all.to_vec(),
        ),
        (
            "meta.lastModified lt \"2000-01-01T00:00:00Z\"".into(),
            vec![],
        ),
        ("meta.resourceType eq \"User\"".into(), all.to_vec()),
        (format!("id eq \"{alice}\""), vec!["alice"]),
        (format!("groups[value eq \"{staff}\"]"), vec!["alice"]),
        ("groups pr".into(), vec!["alice"]),
        (
            "not (groups pr) and not (userName eq \"bob\")".into(),
            vec!["carol", "dave"],
        ),
    ];
    for (f, want) in &cases {
        let r = scim.filter("Users", f, "").await;
        assert_eq!(names(&r), set(want), "{f}");
    }
    for (f, want) in [
        ("displayName eq \"staff\"".to_string(), vec!["staff"]),
        ("displayName co \"TA\"".to_string(), vec!["staff"]),
        (format!("members[value eq \"{alice}\"]"), vec!["staff"]),
        (
            format!("members.value eq \"{}\"", alice.to_uppercase()),
            vec![],
        ),
        ("members pr".to_string(), vec!["staff"]),
        ("not (members pr)".to_string(), vec!["empty"]),
    ] {
        let r = scim.filter("Groups", &f, "").await;
        assert_eq!(names(&r), set(&want), "{f}");
    }

    // Malformed and unsupported filters: 400 invalidFilter.
    for bad in [
        "userName",
        "userName eq",
        "userName eq alice",
        "userName zz \"a\"",
        "(userName eq \"a\"",
        "userName eq \"a\")",
        "userName eq \"a\" and",
        "not userName eq \"a\"",
        "emails[type eq \"work\"",
        "emails[value[x eq 1]]",
        "userName eq \"unterminated",
        "noSuchAttribute eq \"x\"",
        "active gt true",
        "active eq \"maybe\"",
        "name eq \"x\"",
        "meta.created gt \"last tuesday\"",
        "urn:nope:User:userName eq \"x\"",
        "userName eq 12",
    ] {
        scim.filter("Users", bad, "")
            .await
            .assert_error(400, Some("invalidFilter"));
    }
    scim.filter("Groups", "userName eq \"x\"", "")
        .await
        .assert_error(400, Some("invalidFilter"));
    // 1,000 levels of nesting: refused cleanly, and the gateway keeps serving.
    let deep = format!(
        "{}userName eq \"alice\"{}",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let r = scim.filter("Users", &deep, "").await;
    r.assert_error(400, Some("invalidFilter"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("nested"),
        "{}",
        r.body
    );
    let nots = format!("{}userName pr{}", "not (".repeat(1000), ")".repeat(1000));
    scim.filter("Users", &nots, "")
        .await
        .assert_error(400, Some("invalidFilter"));
    let ok = format!("{}userName eq \"alice\"{}", "(".repeat(30), ")".repeat(30));
    assert_eq!(names(&scim.filter("Users", &ok, "").await), set(&["alice"]));
    assert_eq!(scim.get("/Users").await.body["totalResults"], 4);
}

async fn paging_sorting_and_projection(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    people(&scim).await;
    let scim = &scim;
    let page = |q: &'static str| {
        let path = format!("/Users?sortBy=userName{q}");
        async move { scim.get(&path).await }
    };
    let order = |r: &Resp| -> Vec<String> {
        r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_lowercase())
            .collect()
    };
    let r = page("").await;
    assert_eq!(order(&r), ["alice", "bob", "carol", "dave"]);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(
        (
            r.body["startIndex"].as_u64(),
            r.body["itemsPerPage"].as_u64()
        ),
        (Some(1), Some(4))
    );
    let r = page("&startIndex=2&count=2").await;
    assert_eq!(order(&r), ["bob", "carol"]);
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["startIndex"], 2);
    assert_eq!(r.body["itemsPerPage"], 2);
    let r = page("&sortOrder=descending&count=3").await;
    assert_eq!(order(&r), ["dave", "carol", "bob"]);
    let r = page("&startIndex=0&count=1").await;
    assert_eq!(order(&r), ["alice"]);
    assert_eq!(r.body["startIndex"], 1);
    let r = page("&startIndex=100").await;
    assert_eq!(
        (r.body["totalResults"].as_u64(), order(&r).len()),
        (Some(4), 0)
    );
    // count=0: the total only.
    let r = page("&count=0").await;
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["Resources"], json!([]));
    assert_eq!(r.body["itemsPerPage"], 0);
    let r = page("&count=-5").await;
    assert_eq!((r.status, r.body["itemsPerPage"].as_u64()), (200, Some(0)));
    // A huge count is clamped, not refused.
    for huge in ["10000000", "99999999999999999999999"] {
        let r = scim.get(&format!("/Users?count={huge}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["itemsPerPage"], 4);
    }
    let by_family = scim
        .filter(
            "Users",
            "name.familyName pr",
            "&sortBy=name.familyName&sortOrder=ascending",
        )
        .await;
    assert_eq!(order(&by_family), ["bob", "carol", "alice"]);
    // Sorted by a trait, second page: the total is counted with the filter's own values.
    let by_title = scim
        .filter("Users", "title pr", "&sortBy=title&startIndex=2&count=1")
        .await;
    assert_eq!(order(&by_title), ["bob"]);
    assert_eq!(by_title.body["totalResults"], 2);
    let by_created = scim
        .get("/Users?sortBy=meta.created&sortOrder=descending&count=1")
        .await;
    assert_eq!(order(&by_created), ["dave"]);
    let groups = scim.get("/Groups?sortBy=displayName").await;
    let gnames: Vec<&str> = groups.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(gnames, ["Empty", "Staff"]);
    for bad in [
        "count=ten",
        "startIndex=x",
        "sortBy=nope",
        "sortBy=userName&sortOrder=sideways",
        "sortBy=groups",
        "attributes=nope",
        "excludedAttributes=x.y",
    ] {
        scim.get(&format!("/Users?{bad}"))
            .await
            .assert_error(400, Some("invalidValue"));
    }

    // attributes / excludedAttributes on lists and single reads.
    let r = scim
        .get("/Users?sortBy=userName&count=1&attributes=userName,name.familyName")
        .await;
    let u = &r.body["Resources"][0];
    let keys: BTreeSet<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["schemas", "id", "userName", "name"]));
    assert_eq!(u["name"], json!({"familyName": "Liddell"}));
    let id = u["id"].as_str().unwrap().to_string();
    let r = scim
        .get(&format!(
            "/Users/{id}?excludedAttributes=emails,groups,meta,{ENTERPRISE}:department"
        ))
        .await;
    assert!(
        r.body.get("emails").is_none() && r.body.get("meta").is_none(),
        "{}",
        r.body
    );
    assert_eq!(r.body["externalId"], "EXT-A");
    assert!(r.body[ENTERPRISE].get("department").is_none());
    let r = scim
        .get(&format!(
            "/Users/{id}?attributes=emails.value&excludedAttributes=userName"
        ))
        .await;
    assert_eq!(r.body["emails"], json!([{"value": "alice@example.com"}]));
}
