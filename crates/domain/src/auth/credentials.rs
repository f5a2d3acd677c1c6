//! The `Authorization` header: who a request claims to be, before any key lookup.

use super::token::{ApiKeyToken, secrets_equal};

/// Why a request's credentials were refused (all answer 401 with `WWW-Authenticate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Not a bearer header, not a key, an unknown key or a wrong secret.
    #[error("the API key is not valid")]
    InvalidApiKey,
    /// The key was revoked.
    #[error("the API key was revoked")]
    Revoked,
    /// The key's `expires_at` has passed.
    #[error("the API key has expired")]
    Expired,
}

/// The platform operator's bootstrap token (the secret Spin variable `admin_token`).
/// An empty value disables it.
#[derive(Clone, Default)]
pub struct AdminToken(Option<String>);

impl AdminToken {
    /// The configured token; blank (or absent) disables the bootstrap path.
    pub fn new(value: Option<String>) -> Self {
        Self(value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
    }

    /// Whether `token` is the operator's, compared in constant time.
    fn matches(&self, token: &str) -> bool {
        self.0
            .as_deref()
            .is_some_and(|expected| secrets_equal(expected, token))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.is_some() { "set" } else { "disabled" };
        write!(f, "AdminToken({state})")
    }
}

/// Who the `Authorization` header claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization` header.
    Anonymous,
    /// `Bearer <admin_token>`: the platform operator.
    Operator,
    /// `Bearer fab_<prefix>_<secret>`: an API key, still to be looked up and verified.
    ApiKey(ApiKeyToken),
}

impl Credentials {
    /// Reads an `Authorization` header value (`None`: no header). The scheme is
    /// case-insensitive; anything but a bearer operator token or a well-formed key is
    /// [`AuthError::InvalidApiKey`].
    pub fn from_header(authorization: Option<&str>, admin: &AdminToken) -> Result<Self, AuthError> {
        let Some(value) = authorization else {
            return Ok(Self::Anonymous);
        };
        let (scheme, token) = value
            .trim()
            .split_once(' ')
            .ok_or(AuthError::InvalidApiKey)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::InvalidApiKey);
        }
        let token = token.trim();
        if admin.matches(token) {
            return Ok(Self::Operator);
        }
        ApiKeyToken::parse(token)
            .map(Self::ApiKey)
            .ok_or(AuthError::InvalidApiKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPERATOR: &str = "operator-secret-0123456789";

    fn admin() -> AdminToken {
        AdminToken::new(Some(format!(" {OPERATOR}\n")))
    }

    fn read(header: Option<&str>) -> Result<Credentials, AuthError> {
        Credentials::from_header(header, &admin())
    }

    #[test]
    fn no_header_is_anonymous() {
        assert_eq!(read(None), Ok(Credentials::Anonymous));
    }

    #[test]
    fn the_admin_token_is_the_operator() {
        for header in [
            format!("Bearer {OPERATOR}"),
            format!("bearer {OPERATOR}"),
            format!("BEARER   {OPERATOR} "),
        ] {
            assert_eq!(read(Some(&header)), Ok(Credentials::Operator), "{header}");
        }
        assert_eq!(
            read(Some(&format!("Bearer {OPERATOR}x"))),
            Err(AuthError::InvalidApiKey)
        );
    }

    #[test]
    fn a_blank_admin_token_disables_the_bootstrap_path() {
        for disabled in [AdminToken::new(None), AdminToken::new(Some("  ".into()))] {
            for header in ["Bearer ", "Bearer  ", "Bearer"] {
                assert_eq!(
                    Credentials::from_header(Some(header), &disabled),
                    Err(AuthError::InvalidApiKey),
                    "{header:?}"
                );
            }
        }
        assert_eq!(format!("{:?}", admin()), "AdminToken(set)");
    }

    #[test]
    fn well_formed_keys_are_recognised() {
        let key = ApiKeyToken::generate().unwrap();
        assert_eq!(
            read(Some(&format!("Bearer {key}"))),
            Ok(Credentials::ApiKey(key))
        );
    }

    #[test]
    fn anything_else_is_an_invalid_key() {
        for header in [
            "",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Token fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "Bearer fab_short",
            "Bearer nope",
            "fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        ] {
            assert_eq!(
                read(Some(header)),
                Err(AuthError::InvalidApiKey),
                "{header:?}"
            );
        }
    }
}
