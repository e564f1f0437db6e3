//! The domain's value types: every state and kind as an enum, the resource kinds errors
//! name, and [`Patch`] (absent / clear / set). Each enum's spelling is defined here once
//! (`as_str`, `parse`, and serde through them) and used only where values cross an edge:
//! the store's rows (SQL) and the HTTP bodies and views. Nothing else compares a state as a
//! string (see `docs/admin-api.md`, "Typed states", for the `grep` that checks it).

/// An enum with a fixed string spelling per variant, serialised and parsed through it.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every spelling, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($s),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }

            /// The variant spelled `s` (exactly), if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($s => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// In the OpenAPI document: a string, one of the spellings.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::NAMES.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&s, $name::NAMES))
            }
        }
    };
}

string_enum! {
    /// An identity's administrative status: only `Active` identities bind passkeys and sign in.
    IdentityStatus {
        Active = "active",
        Suspended = "suspended",
    }
}

impl IdentityStatus {
    /// Only an active identity binds passkeys, signs in and keeps its sessions.
    pub fn is_active(self) -> bool {
        self == IdentityStatus::Active
    }
}

string_enum! {
    /// Whether an identity has a passkey (set by passgate; Beyond Identity's four values).
    EnrollmentStatus {
        Enrolled = "ENROLLED",
        Pending = "PENDING",
        InviteFailed = "INVITE_FAILED",
        Unenrolled = "UNENROLLED",
    }
}

string_enum! {
    /// A credential binding job's state.
    JobState {
        LinkSent = "LINK_SENT",
        LinkOpened = "LINK_OPENED",
        Complete = "COMPLETE",
        Expired = "EXPIRED",
        FailedToSend = "FAILED_TO_SEND",
        Revoked = "REVOKED",
    }
}

impl JobState {
    /// States in which the link may still be used or (re)delivered.
    pub const OPEN: &'static [JobState] = &[
        JobState::LinkSent,
        JobState::LinkOpened,
        JobState::FailedToSend,
    ];
    /// States in which the link can be opened and a passkey bound. `FailedToSend`
    /// included: a mail whose server's reply was lost may still have arrived, and only its
    /// recipient holds the link (a retry replaces it with a new one).
    pub const USABLE: &'static [JobState] = &[
        JobState::LinkSent,
        JobState::LinkOpened,
        JobState::FailedToSend,
    ];
    /// States in which the link is known to be out (handed back, mailed, or opened).
    pub const DELIVERED: &'static [JobState] = &[JobState::LinkSent, JobState::LinkOpened];
    /// States in which a delivery round may (re)send the link: not once it was opened
    /// (a round that read the job just before would replace a link in use).
    pub const SENDABLE: &'static [JobState] = &[JobState::LinkSent, JobState::FailedToSend];

    pub fn is_open(self) -> bool {
        JobState::OPEN.contains(&self)
    }
}

string_enum! {
    /// How a binding link reaches its user.
    DeliveryMethod {
        /// Handed back to the caller.
        Return = "RETURN",
        /// Mailed by passgate.
        Email = "EMAIL",
    }
}

string_enum! {
    /// A passkey's state: a revoked one never signs in again.
    CredentialState {
        Active = "ACTIVE",
        Revoked = "REVOKED",
    }
}

string_enum! {
    /// A batch of binding jobs (Beyond Identity's batch states): `Running` while its email
    /// jobs wait for their first delivery, then how many identities got a job.
    BatchState {
        Running = "RUNNING",
        Success = "SUCCESS",
        PartialSuccess = "PARTIAL_SUCCESS",
        Failed = "FAILED",
    }
}

string_enum! {
    /// Why an identity of a batch got no job.
    BatchErrorKind {
        NotFound = "not_found",
        Unprocessable = "unprocessable_entity",
    }
}

string_enum! {
    /// What one entry of the revocation feed ends.
    RevocationKind {
        /// One session (the target is its id).
        Session = "session",
        /// Every session of an identity.
        Identity = "identity",
    }
}

string_enum! {
    /// The WebAuthn ceremony a stored state belongs to.
    CeremonyKind {
        Bind = "bind",
        SignIn = "signin",
    }
}

/// The kinds of resource an error can name (Beyond Identity's `resource_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Tenant,
    Realm,
    Identity,
    Group,
    Credential,
    CredentialBindingJob,
    BatchCredentialBindingJob,
    AuthenticatorConfig,
    Session,
    ApiToken,
    /// One's own passkey in self-service.
    Passkey,
    /// A binding link's token.
    PasskeyLink,
    /// A WebAuthn ceremony's stored state.
    Ceremony,
    SigningKey,
}

impl Resource {
    /// The `resource_type` of a `ResourceInfo` error detail.
    pub const fn type_name(self) -> &'static str {
        match self {
            Resource::Tenant => "Tenant",
            Resource::Realm => "Realm",
            Resource::Identity => "Identity",
            Resource::Group => "Group",
            Resource::Credential => "Credential",
            Resource::CredentialBindingJob => "CredentialBindingJob",
            Resource::BatchCredentialBindingJob => "BatchCredentialBindingJob",
            Resource::AuthenticatorConfig => "AuthenticatorConfig",
            Resource::Session => "Session",
            Resource::ApiToken => "ApiToken",
            Resource::Passkey => "Passkey",
            Resource::PasskeyLink => "PasskeyLink",
            Resource::Ceremony => "Ceremony",
            Resource::SigningKey => "SigningKey",
        }
    }

    /// The resource in words, for messages ("identity not found").
    pub const fn noun(self) -> &'static str {
        match self {
            Resource::Tenant => "tenant",
            Resource::Realm => "realm",
            Resource::Identity => "identity",
            Resource::Group => "group",
            Resource::Credential => "credential",
            Resource::CredentialBindingJob => "credential binding job",
            Resource::BatchCredentialBindingJob => "batch credential binding job",
            Resource::AuthenticatorConfig => "authenticator configuration",
            Resource::Session => "session",
            Resource::ApiToken => "api token",
            Resource::Passkey => "passkey",
            Resource::PasskeyLink => "passkey link",
            Resource::Ceremony => "ceremony",
            Resource::SigningKey => "signing key",
        }
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// A field of a partial update: absent (leave as is), `null` (clear) or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// Applies the patch to an optional slot.
    pub fn apply_to(self, slot: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Clear => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)),
        }
    }
}

/// In the OpenAPI document a `Patch<T>` field is declared `Option<T>` (`#[schema(value_type
/// = Option<T>)]`): the value or `null`, and absence is the field being optional.
/// In a request body: a missing field stays `Absent` (with `#[serde(default)]`), `null`
/// is `Clear`, anything else is `Set`.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_unknown_ones_are_named() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(serde_json::from_str::<JobState>(&json).unwrap(), *s);
        }
        let e = serde_json::from_str::<IdentityStatus>("\"gone\"").unwrap_err();
        assert!(e.to_string().contains("`active` or `suspended`"), "{e}");
        assert!(JobState::LinkOpened.is_open() && !JobState::Complete.is_open());
    }

    #[test]
    fn patches_tell_null_from_absent() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default)]
            a: Patch<String>,
            #[serde(default)]
            b: Patch<String>,
            #[serde(default)]
            c: Patch<String>,
        }
        let b: Body = serde_json::from_str(r#"{"a": null, "b": "x"}"#).unwrap();
        assert_eq!(b.a, Patch::Clear);
        assert_eq!(b.b, Patch::Set("x".into()));
        assert_eq!(b.c, Patch::Absent);
        let mut slot = Some("old".to_string());
        Patch::Clear.apply_to(&mut slot);
        assert_eq!(slot, None);
    }
}
