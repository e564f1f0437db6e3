//! What an operator watches besides requests: sign-ins, bindings and their links, active
//! sessions, whether the store is reachable, the session cache, revocations and their lag, mails, rate-limit refusals and
//! config reloads. Every label value is fixed here (no user ids, no paths), and every
//! series is created at start-up, so a scrape shows each family at 0 before its first
//! event and an event only bumps an atomic (no allocation, no lock).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// How a sign-in was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// A button: `authenticate/begin {}`.
    Usernameless,
    /// `authenticate/begin {"username"}`.
    UsernameFirst,
    /// Browser autofill: `authenticate/begin {"mediation": "conditional"}`.
    Autofill,
    /// The ceremony was not found (expired, used or made up), so its method is not known.
    Unknown,
}

const METHODS: [&str; 4] = ["usernameless", "username_first", "autofill", "unknown"];

/// How a ceremony (sign-in or binding) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The client's failure: not recognised, not verified, suspended, expired ceremony.
    Rejected,
    /// Passgate's failure: the store unavailable, an internal error.
    Error,
}

const OUTCOMES: [&str; 3] = ["ok", "rejected", "error"];

/// A binding link's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEvent {
    /// A job was created (its link returned or queued for mail).
    Issued,
    /// The link was opened for the first time (`LINK_SENT` → `LINK_OPENED`).
    Opened,
    /// A passkey was bound through it (`COMPLETE`).
    Used,
    /// It was presented after its expiry.
    Expired,
}

const LINK_EVENTS: [&str; 4] = ["issued", "opened", "used", "expired"];

/// The rate limits (see `control::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitName {
    Ceremony,
    SignInFailures,
    Username,
    RecoveryIp,
    RecoveryEmail,
    Oidc,
    OidcFailures,
}

const LIMITS: [&str; 7] = [
    "ceremony",
    "sign_in_failures",
    "username",
    "recovery_ip",
    "recovery_email",
    "oidc",
    "oidc_failures",
];

/// The handles of every event family.
pub struct Events {
    sign_ins: [[IntCounter; 3]; 4],
    bindings: [IntCounter; 3],
    links: [IntCounter; 4],
    active_sessions: IntGauge,
    store_reachable: IntGauge,
    cache: [IntCounter; 2],
    revocations: [IntCounter; 2],
    revocation_lag: Histogram,
    mails: [IntCounter; 2],
    refusals: [IntCounter; 7],
    reloads: [IntCounter; 2],
}

fn counter_vec(registry: &Registry, name: &str, help: &str, label: &str) -> IntCounterVec {
    let v = IntCounterVec::new(Opts::new(name, help), &[label]).expect("static metric definition");
    registry
        .register(Box::new(v.clone()))
        .expect("metrics registered once");
    v
}

fn each<const N: usize>(v: &IntCounterVec, values: [&str; N]) -> [IntCounter; N] {
    values.map(|x| v.with_label_values(&[x]))
}

impl Events {
    pub(super) fn new(registry: &Registry) -> Events {
        let sign_ins = IntCounterVec::new(
            Opts::new(
                "passgate_sign_ins_total",
                "Finished sign-in ceremonies, by method (usernameless, username_first, autofill, \
                 unknown) and result (ok, rejected, error)",
            ),
            &["method", "result"],
        )
        .expect("static metric definition");
        registry
            .register(Box::new(sign_ins.clone()))
            .expect("metrics registered once");
        let sign_ins = METHODS.map(|m| OUTCOMES.map(|o| sign_ins.with_label_values(&[m, o])));

        let bindings = counter_vec(
            registry,
            "passgate_bindings_total",
            "Finished binding ceremonies, by result (ok, rejected, error)",
            "result",
        );
        let links = counter_vec(
            registry,
            "passgate_binding_links_total",
            "Binding links by event: issued (job created), opened (first open), used (passkey \
             bound), expired (presented after expiry)",
            "event",
        );
        let active_sessions = IntGauge::new(
            "passgate_active_sessions",
            "Sessions in the store neither expired nor revoked (the same figure on every \
             instance; read every 5 s)",
        )
        .expect("static metric definition");
        registry
            .register(Box::new(active_sessions.clone()))
            .expect("metrics registered once");
        let store_reachable = IntGauge::new(
            "passgate_store_reachable",
            "1 while this instance's background round (every second) reaches the store, 0 \
             while it does not (then /.passgate/readyz answers 503 too)",
        )
        .expect("static metric definition");
        registry
            .register(Box::new(store_reachable.clone()))
            .expect("metrics registered once");
        let cache = counter_vec(
            registry,
            "passgate_session_cache_total",
            "Session cookies looked up in this instance's cache: hit, or miss (then verified)",
            "result",
        );
        let revocations = counter_vec(
            registry,
            "passgate_revocations_applied_total",
            "Revocations read from the store's feed and applied to this instance's cache, by \
             kind (session, identity)",
            "kind",
        );
        let revocation_lag = Histogram::with_opts(
            HistogramOpts::new(
                "passgate_revocation_lag_seconds",
                "From a revocation's write to the store to its application on this instance",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0,
            ]),
        )
        .expect("static metric definition");
        registry
            .register(Box::new(revocation_lag.clone()))
            .expect("metrics registered once");
        let mails = counter_vec(
            registry,
            "passgate_mails_total",
            "Binding-link mails handed to the SMTP server (sent) or not (failed)",
            "result",
        );
        let refusals = counter_vec(
            registry,
            "passgate_rate_limit_refusals_total",
            "Requests refused with 429, by limit",
            "limit",
        );
        let reloads = counter_vec(
            registry,
            "passgate_config_reloads_total",
            "Configuration reloads (SIGHUP), by result (ok, refused)",
            "result",
        );
        Events {
            sign_ins,
            bindings: each(&bindings, OUTCOMES),
            links: each(&links, LINK_EVENTS),
            active_sessions,
            store_reachable,
            cache: each(&cache, ["hit", "miss"]),
            revocations: each(&revocations, ["session", "identity"]),
            revocation_lag,
            mails: each(&mails, ["sent", "failed"]),
            refusals: each(&refusals, LIMITS),
            reloads: each(&reloads, ["ok", "refused"]),
        }
    }

    pub fn sign_in(&self, method: SignInMethod, outcome: Outcome) {
        self.sign_ins[method as usize][outcome as usize].inc();
    }

    pub fn binding(&self, outcome: Outcome) {
        self.bindings[outcome as usize].inc();
    }

    pub fn link(&self, event: LinkEvent, n: u64) {
        self.links[event as usize].inc_by(n);
    }

    pub fn active_sessions(&self, n: i64) {
        self.active_sessions.set(n);
    }

    pub fn store_reachable(&self, up: bool) {
        self.store_reachable.set(i64::from(up));
    }

    #[inline]
    pub fn session_cache(&self, hit: bool) {
        self.cache[usize::from(!hit)].inc();
    }

    /// A revocation applied `lag_seconds` after it was written.
    pub fn revocation(&self, identity: bool, lag_seconds: f64) {
        self.revocations[usize::from(identity)].inc();
        self.revocation_lag.observe(lag_seconds.max(0.0));
    }

    pub fn mail(&self, sent: bool) {
        self.mails[usize::from(!sent)].inc();
    }

    pub fn refused(&self, limit: LimitName) {
        self.refusals[limit as usize].inc();
    }

    pub fn reload(&self, ok: bool) {
        self.reloads[usize::from(!ok)].inc();
    }
}
