//! Store query latency and errors, by aggregate (`realms`, `identities`, …) and operation
//! (`read`, `write`). Observed in one place, the store's metering wrapper
//! (`store::metered`); every series exists from start-up.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
};

/// The store's aggregates: one per store trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Info,
    Realms,
    Identities,
    Groups,
    Tokens,
    Audit,
    Binding,
    Credentials,
    Ceremonies,
    Sessions,
    Keys,
    Search,
    Limits,
    Oidc,
}

const FAMILIES: [&str; 14] = [
    "info",
    "realms",
    "identities",
    "groups",
    "tokens",
    "audit",
    "binding",
    "credentials",
    "ceremonies",
    "sessions",
    "keys",
    "search",
    "limits",
    "oidc",
];

/// Whether an operation only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
}

const OPS: [&str; 2] = ["read", "write"];

/// Why a query failed, from the store's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The database could not be reached or answered too slowly.
    Unavailable,
    /// Any other database failure (a query or decoding error, a migration).
    Database,
}

const FAILURES: [&str; 2] = ["unavailable", "database"];

pub struct StoreMetrics {
    duration: Vec<[Histogram; 2]>,
    errors: Vec<[[IntCounter; 2]; 2]>,
}

impl StoreMetrics {
    pub(super) fn new(registry: &Registry) -> StoreMetrics {
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "passgate_store_query_duration_seconds",
                "Store operations (one or a few statements, a transaction), by family and op",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0,
            ]),
            &["family", "op"],
        )
        .expect("static metric definition");
        let errors = IntCounterVec::new(
            Opts::new(
                "passgate_store_errors_total",
                "Store operations that failed, by family, op and kind (unavailable, database); \
                 not-found, duplicate and stale answers are not errors",
            ),
            &["family", "op", "kind"],
        )
        .expect("static metric definition");
        registry
            .register(Box::new(duration.clone()))
            .expect("metrics registered once");
        registry
            .register(Box::new(errors.clone()))
            .expect("metrics registered once");
        StoreMetrics {
            duration: FAMILIES
                .iter()
                .map(|f| OPS.map(|o| duration.with_label_values(&[f, o])))
                .collect(),
            errors: FAMILIES
                .iter()
                .map(|f| OPS.map(|o| FAILURES.map(|k| errors.with_label_values(&[f, o, k]))))
                .collect(),
        }
    }

    pub fn observe(&self, family: Family, op: Op, seconds: f64, failure: Option<Failure>) {
        let f = family as usize;
        self.duration[f][op as usize].observe(seconds);
        if let Some(k) = failure {
            self.errors[f][op as usize][k as usize].inc();
        }
    }
}
