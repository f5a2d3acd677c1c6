//! `Idempotency-Key` handling: the key's format, the request fingerprint, and what to do
//! with a request given what is stored under its key.
//!
//! The first request with a key claims it and runs; its response (unless ≥ 500) is kept
//! for 24 hours. A later request with the same key and fingerprint gets that
//! response replayed; with another fingerprint it is refused; while the first is still
//! running it is told to retry. Entries past the window, and claims abandoned for
//! 5 minutes (a crashed request), count as absent.

use sha2::{Digest, Sha256};

use crate::auth::Principal;

/// Longest accepted key.
const MAX_KEY_CHARS: usize = 255;
/// How long a completed response is replayed: 24 hours.
const REPLAY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// After this long an unfinished claim is considered abandoned and may be taken again.
/// Longer than any request may run (the host's default request timeout is 60 s).
const ABANDONED_AFTER_MS: i64 = 5 * 60 * 1000;

/// A valid `Idempotency-Key` header value: 1..=255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// A header value that is not a valid [`IdempotencyKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable ASCII characters")]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// Validates a header value (`None`: not UTF-8).
    pub fn parse(value: Option<&str>) -> Result<Self, InvalidIdempotencyKey> {
        let value = value.ok_or(InvalidIdempotencyKey)?;
        let valid = (1..=MAX_KEY_CHARS).contains(&value.len())
            && value.bytes().all(|b| (b' '..=b'~').contains(&b));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidIdempotencyKey)
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which caller a key belongs to: keys of different callers never collide.
/// `tenant:<id>` for API keys, `operator` for the operator token, `anonymous:<ip>`.
pub fn scope(principal: &Principal, client_ip: &str) -> String {
    match (principal, principal.tenant_id()) {
        (_, Some(tenant)) => format!("tenant:{tenant}"),
        (Principal::Operator, None) => "operator".to_owned(),
        _ => format!("anonymous:{client_ip}"),
    }
}

/// The SHA-256 (hex) of a request's method, path and body, each length-prefixed so that
/// no two different requests share an encoding.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// What is stored under a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt<'a> {
    /// The fingerprint of the request that claimed the key.
    pub fingerprint: &'a str,
    /// Whether its response was stored (false: still running, or abandoned).
    pub completed: bool,
    /// When the key was claimed (Unix milliseconds).
    pub created_ms: i64,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing (live) is stored: claim the key and run the request.
    Claim,
    /// Same request, finished: replay the stored response.
    Replay,
    /// Same key, different request: 422 `idempotency_key_reused`.
    Mismatch,
    /// Same request, still running: 409 `idempotency_in_progress`.
    InProgress,
}

/// Entries claimed before these instants (Unix milliseconds) count as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Any entry: past the replay window.
    pub expired_before: i64,
    /// An unfinished claim: abandoned.
    pub abandoned_before: i64,
}

impl Cutoffs {
    /// The cutoffs at `now_ms`.
    pub fn at(now_ms: i64) -> Self {
        Self {
            expired_before: now_ms.saturating_sub(REPLAY_WINDOW_MS),
            abandoned_before: now_ms.saturating_sub(ABANDONED_AFTER_MS),
        }
    }

    fn is_stale(&self, attempt: &Attempt<'_>) -> bool {
        attempt.created_ms < self.expired_before
            || (!attempt.completed && attempt.created_ms < self.abandoned_before)
    }
}

/// Decides what to do with a request of `fingerprint` at `now_ms`, given what is stored.
pub fn decide(stored: Option<Attempt<'_>>, fingerprint: &str, now_ms: i64) -> Decision {
    match stored {
        None => Decision::Claim,
        Some(attempt) if Cutoffs::at(now_ms).is_stale(&attempt) => Decision::Claim,
        Some(attempt) if attempt.fingerprint != fingerprint => Decision::Mismatch,
        Some(attempt) if attempt.completed => Decision::Replay,
        Some(_) => Decision::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::fixtures::member;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        for ok in [
            "a",
            "create-story-1",
            "with space",
            "~!@#$%^&*()",
            &"k".repeat(255),
        ] {
            assert_eq!(IdempotencyKey::parse(Some(ok)).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            &"k".repeat(256),
            "tab\there",
            "new\nline",
            "ünï",
            "\u{7f}",
        ] {
            assert_eq!(
                IdempotencyKey::parse(Some(bad)),
                Err(InvalidIdempotencyKey),
                "{bad:?}"
            );
        }
        assert_eq!(IdempotencyKey::parse(None), Err(InvalidIdempotencyKey));
    }

    #[test]
    fn scopes_separate_callers() {
        let user = member("acme", Role::User);
        let admin = member("acme", Role::Admin);
        assert_eq!(scope(&user, "1.2.3.4"), "tenant:acme");
        assert_eq!(
            scope(&admin, "5.6.7.8"),
            "tenant:acme",
            "a tenant shares its keys"
        );
        assert_eq!(scope(&Principal::Operator, "1.2.3.4"), "operator");
        assert_eq!(scope(&Principal::Anonymous, "1.2.3.4"), "anonymous:1.2.3.4");
    }

    #[test]
    fn fingerprints_cover_method_path_and_body_unambiguously() {
        let base = fingerprint("POST", "/api/v1/stories", b"{}");
        assert_eq!(base.len(), 64);
        assert_eq!(base, fingerprint("POST", "/api/v1/stories", b"{}"));
        assert_ne!(base, fingerprint("PUT", "/api/v1/stories", b"{}"));
        assert_ne!(base, fingerprint("POST", "/api/v1/tenants", b"{}"));
        assert_ne!(base, fingerprint("POST", "/api/v1/stories", b"{ }"));
        assert_ne!(
            fingerprint("POST", "/a", b"b"),
            fingerprint("POST", "/ab", b"")
        );
    }

    fn attempt(fingerprint: &str, completed: bool, age_ms: i64) -> Option<Attempt<'_>> {
        Some(Attempt {
            fingerprint,
            completed,
            created_ms: NOW - age_ms,
        })
    }

    #[test]
    fn decisions() {
        let fp = "f1";
        assert_eq!(decide(None, fp, NOW), Decision::Claim);
        assert_eq!(decide(attempt(fp, true, 1000), fp, NOW), Decision::Replay);
        assert_eq!(
            decide(attempt(fp, false, 1000), fp, NOW),
            Decision::InProgress
        );
        assert_eq!(
            decide(attempt("f2", true, 1000), fp, NOW),
            Decision::Mismatch
        );
        assert_eq!(
            decide(attempt("f2", false, 1000), fp, NOW),
            Decision::Mismatch
        );
    }

    #[test]
    fn old_entries_and_abandoned_claims_count_as_absent() {
        let fp = "f1";
        let day = REPLAY_WINDOW_MS;
        assert_eq!(
            decide(attempt(fp, true, day), fp, NOW),
            Decision::Replay,
            "boundary"
        );
        assert_eq!(decide(attempt(fp, true, day + 1), fp, NOW), Decision::Claim);
        assert_eq!(
            decide(attempt("f2", true, day + 1), fp, NOW),
            Decision::Claim
        );
        let lease = ABANDONED_AFTER_MS;
        assert_eq!(
            decide(attempt(fp, false, lease), fp, NOW),
            Decision::InProgress
        );
        assert_eq!(
            decide(attempt(fp, false, lease + 1), fp, NOW),
            Decision::Claim
        );
        assert_eq!(
            decide(attempt(fp, true, lease + 1), fp, NOW),
            Decision::Replay
        );
        assert_eq!(
            Cutoffs::at(NOW),
            Cutoffs {
                expired_before: NOW - day,
                abandoned_before: NOW - lease
            }
        );
    }
}
