//! Session fast-path benches: a cached principal lookup (target ≤ 1 µs) and a full token
//! verification on a cache miss (target ≤ 60 µs), with `jsonwebtoken`'s own decode of the
//! same token beside it for reference (what passgate used before verifying directly).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};

use passgate::session::cache::PrincipalCache;
use passgate::session::claims::SessionClaims;
use passgate::session::keys::{KeyMaterial, KeyRing};
use passgate::session::token::{sign, TokenVerifier};
use passgate::session::Principal;

const ISS: &str = "https://auth.example.com/";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(i: usize) -> SessionClaims {
    let now = now();
    SessionClaims {
        iss: ISS.into(),
        sub: format!("id_{i}"),
        realm: "default".into(),
        sid: format!("sid_{i}"),
        username: format!("user{i}"),
        email: Some(format!("user{i}@example.com")),
        groups: vec!["staff".into(), "engineering".into()],
        iat: now,
        nbf: now,
        exp: now + 3600,
        auth_time: now,
        amr: vec!["hwk".into(), "user".into()],
    }
}

fn bench_session(c: &mut Criterion) {
    let newest = KeyMaterial::generate(2).unwrap();
    let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap(), newest.clone()]);
    let verifier = TokenVerifier::new(ISS);
    let tokens: Vec<String> = (0..10_000)
        .map(|i| sign(&ring, &claims(i)).unwrap())
        .collect();

    let cache = PrincipalCache::new(100_000, Duration::from_secs(3600));
    for t in &tokens {
        let c = verifier.verify(&ring, t, now()).unwrap();
        cache.insert(t, Arc::new(Principal::from_claims(&c)));
    }
    cache.sync();

    let mut g = c.benchmark_group("session");
    let mut i = 0;
    g.bench_function("cached_check_10k_sessions", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            let p = cache.get(black_box(&tokens[i]));
            assert!(p.is_some());
            p
        })
    });
    let t = &tokens[42];
    let at = now();
    g.bench_function("uncached_verify", |b| {
        b.iter(|| {
            let c = verifier.verify(&ring, black_box(t), at).unwrap();
            Principal::from_claims(&c)
        })
    });
    let key = jsonwebtoken::DecodingKey::from_ed_der(&newest.public);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&[ISS]);
    g.bench_function("uncached_verify_jsonwebtoken_reference", |b| {
        b.iter(|| {
            let c = jsonwebtoken::decode::<SessionClaims>(black_box(t), &key, &validation)
                .unwrap()
                .claims;
            Principal::from_claims(&c)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_session);
criterion_main!(benches);
