//! Prometheus metrics: requests by route and status class, latency by route, upstream
//! errors by route and kind, signed-in and anonymous requests by route (here); the
//! operator's events ([`events`]) and store queries ([`store`]). Handles per route are
//! resolved once per config so the request path only bumps atomics. Served as text on the
//! optional `[metrics]` listener.

pub mod events;
pub mod store;

use std::sync::OnceLock;

pub use events::{Events, LimitName, LinkEvent, Outcome, SignInMethod};

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    upstream_errors: IntCounterVec,
    by_session: IntCounterVec,
    pub events: Events,
    pub store: store::StoreMetrics,
}

const CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

/// The handles one route's requests touch.
pub struct RouteMetrics {
    by_class: [IntCounter; 6],
    duration: prometheus::Histogram,
    /// `[signed_in, anonymous]`; `None` for passgate's own pseudo-routes.
    by_session: Option<[IntCounter; 2]>,
    /// By [`UPSTREAM_KINDS`].
    upstream_errors: [IntCounter; 3],
}

const UPSTREAM_KINDS: [&str; 3] = ["connect", "timeout", "error"];

impl RouteMetrics {
    #[inline]
    pub fn observe(&self, status: u16, seconds: f64) {
        let idx = match status {
            100..=199 => 0,
            200..=299 => 1,
            300..=399 => 2,
            400..=499 => 3,
            500..=599 => 4,
            _ => 5,
        };
        self.by_class[idx].inc();
        self.duration.observe(seconds);
    }

    /// A request on an `authenticated` or `optional` route (not on a public path), by
    /// whether it came with a session of the route's realm: how far a rollout has got.
    #[inline]
    pub fn by_session(&self, signed_in: bool) {
        if let Some(c) = &self.by_session {
            c[usize::from(!signed_in)].inc();
        }
    }

    /// An upstream failure of `kind`: `connect`, `timeout` or `error` (anything else
    /// counts as `error`).
    pub fn upstream_error(&self, kind: &str) {
        let i = UPSTREAM_KINDS.iter().position(|k| *k == kind).unwrap_or(2);
        self.upstream_errors[i].inc();
    }
}

/// The operator's event counters.
pub fn events() -> &'static Events {
    &metrics().events
}

pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "passgate_requests_total",
                "Requests answered, by route and status class",
            ),
            &["route", "status"],
        )
        .expect("static metric definition");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "passgate_request_duration_seconds",
                "Time from request to the end of the response, by route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["route"],
        )
        .expect("static metric definition");
        let upstream_errors = IntCounterVec::new(
            Opts::new(
                "passgate_upstream_errors_total",
                "Upstream failures, by route and kind",
            ),
            &["route", "kind"],
        )
        .expect("static metric definition");
        let by_session = IntCounterVec::new(
            Opts::new(
                "passgate_requests_by_session_total",
                "Requests on authenticated and optional routes (public paths aside), by route \
                 and whether they came with a session (signed_in, anonymous)",
            ),
            &["route", "session"],
        )
        .expect("static metric definition");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(upstream_errors.clone()),
            Box::new(by_session.clone()),
        ] {
            registry.register(c).expect("metrics registered once");
        }
        let events = Events::new(&registry);
        let store = store::StoreMetrics::new(&registry);
        Metrics {
            registry,
            requests,
            duration,
            upstream_errors,
            by_session,
            events,
            store,
        }
    })
}

impl Metrics {
    /// The handles of a configured route.
    pub fn for_route(&self, route: &str) -> RouteMetrics {
        RouteMetrics {
            by_session: Some(
                ["signed_in", "anonymous"].map(|s| self.by_session.with_label_values(&[route, s])),
            ),
            ..self.for_pseudo_route(route)
        }
    }

    /// The handles of `passgate` (the control plane) or `none` (no route matched): no
    /// session counts.
    pub fn for_pseudo_route(&self, route: &str) -> RouteMetrics {
        RouteMetrics {
            by_class: CLASSES.map(|c| self.requests.with_label_values(&[route, c])),
            duration: self.duration.with_label_values(&[route]),
            by_session: None,
            upstream_errors: UPSTREAM_KINDS
                .map(|k| self.upstream_errors.with_label_values(&[route, k])),
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = prometheus::TextEncoder::new();
        if encoder.encode(&self.registry.gather(), &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
