//! API key secrets: `fab_<prefix>_<secret>` bearer tokens, generated from the system's
//! CSPRNG, stored only as the SHA-256 of the secret and verified in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this.
const TOKEN_START: &str = "fab_";
/// Characters in the public prefix (used to look the key up).
const PREFIX_CHARS: usize = 8;
/// Characters in the secret (never stored).
const SECRET_CHARS: usize = 32;
/// The base62 alphabet.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Random bytes at or above this are discarded so `byte % 62` stays uniform (248 = 4 × 62).
const UNBIASED_BELOW: u8 = 248;

/// The system random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the system random source failed: {0}")]
pub struct RandomError(#[from] getrandom::Error);

/// An API key as the client presents it: `fab_<prefix>_<secret>` with an 8-character
/// prefix and a 32-character secret, both base62. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken {
    prefix: String,
    secret: String,
}

/// The SHA-256 of a key's secret, the only form in which a secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl ApiKeyToken {
    /// A fresh key from the system's CSPRNG (about 190 bits in the secret).
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self {
            prefix: random_base62(PREFIX_CHARS)?,
            secret: random_base62(SECRET_CHARS)?,
        })
    }

    /// Parses a bearer token; `None` unless it has exactly the key format.
    pub fn parse(token: &str) -> Option<Self> {
        let rest = token.strip_prefix(TOKEN_START)?;
        let (prefix, secret) = rest.split_once('_')?;
        let well_formed = |part: &str, chars: usize| {
            part.len() == chars && part.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        (well_formed(prefix, PREFIX_CHARS) && well_formed(secret, SECRET_CHARS)).then(|| Self {
            prefix: prefix.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The public prefix, by which the stored key is found.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The hash to store for this key.
    pub fn secret_hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.secret.as_bytes()).into())
    }

    /// Whether this token's secret hashes to `stored`, compared in constant time.
    pub fn verify(&self, stored: &SecretHash) -> bool {
        self.secret_hash().0.ct_eq(&stored.0).into()
    }
}

impl fmt::Display for ApiKeyToken {
    /// The full bearer token. Only ever shown once, in the response that creates the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TOKEN_START}{}_{}", self.prefix, self.secret)
    }
}

impl fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyToken({TOKEN_START}{}_…)", self.prefix)
    }
}

impl SecretHash {
    /// Lowercase hex, as stored.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the stored hex form.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

/// Constant-time equality of two secrets of any length: their SHA-256 digests are
/// compared, so neither the content nor the length leaks through timing.
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    let a: [u8; 32] = Sha256::digest(a.as_bytes()).into();
    let b: [u8; 32] = Sha256::digest(b.as_bytes()).into();
    a.ct_eq(&b).into()
}

/// `chars` uniformly random base62 characters.
fn random_base62(chars: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(chars);
    let mut pool = [0u8; 64];
    while out.len() < chars {
        getrandom::fill(&mut pool)?;
        for byte in pool {
            if out.len() < chars && byte < UNBIASED_BELOW {
                out.push(char::from(BASE62[usize::from(byte % 62)]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_format_and_parse_back() {
        let key = ApiKeyToken::generate().unwrap();
        let text = key.to_string();
        assert_eq!(text.len(), 4 + 8 + 1 + 32);
        assert!(text.starts_with("fab_"));
        assert_eq!(key.prefix().len(), 8);
        assert_eq!(ApiKeyToken::parse(&text), Some(key.clone()));
        assert!(
            text[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        );
    }

    #[test]
    fn generated_keys_differ() {
        let a = ApiKeyToken::generate().unwrap();
        let b = ApiKeyToken::generate().unwrap();
        assert_ne!(a.prefix(), b.prefix());
        assert_ne!(a.secret, b.secret);
    }

    #[test]
    fn base62_uses_the_whole_alphabet() {
        let sample = random_base62(20_000).unwrap();
        for c in BASE62 {
            assert!(sample.as_bytes().contains(c), "{}", char::from(*c));
        }
    }

    #[test]
    fn parse_refuses_anything_else() {
        let secret = "B".repeat(32);
        for bad in [
            String::new(),
            "fab_short".into(),
            format!("fab_AAAAAAA_{secret}"),
            format!("fab_AAAAAAAAA_{secret}"),
            format!("fab_AAAAAAAA_{}", "B".repeat(31)),
            format!("fab_AAAAAAAA_{}", "B".repeat(33)),
            format!("fab_AAAA-AAA_{secret}"),
            format!("fab_AAAAAAAA_{}é", "B".repeat(30)),
            format!("FAB_AAAAAAAA_{secret}"),
            format!("fab_AAAAAAAA{secret}"),
            format!("fab_AAAAAAAA_{secret}_"),
            format!(" fab_AAAAAAAA_{secret}"),
        ] {
            assert_eq!(ApiKeyToken::parse(&bad), None, "{bad:?}");
        }
        assert!(ApiKeyToken::parse(&format!("fab_AAAAAAAA_{secret}")).is_some());
    }

    #[test]
    fn hash_verifies_only_the_right_secret() {
        let key = ApiKeyToken::generate().unwrap();
        let stored = SecretHash::from_hex(&key.secret_hash().to_hex()).unwrap();
        assert!(key.verify(&stored));
        let mut tampered = key.clone();
        tampered.secret.replace_range(
            0..1,
            if key.secret.starts_with('x') {
                "y"
            } else {
                "x"
            },
        );
        assert!(!tampered.verify(&stored));
        assert!(!ApiKeyToken::generate().unwrap().verify(&stored));
    }

    #[test]
    fn hash_is_sha256_of_the_secret_in_hex() {
        let key = ApiKeyToken::parse(&format!("fab_AAAAAAAA_{}", "a".repeat(32))).unwrap();
        let expected = hex::encode(Sha256::digest("a".repeat(32).as_bytes()));
        assert_eq!(key.secret_hash().to_hex(), expected);
        assert_eq!(SecretHash::from_hex("zz"), None);
        assert_eq!(SecretHash::from_hex(&"ab".repeat(31)), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = ApiKeyToken::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains(key.prefix()));
        assert!(!debug.contains(&key.secret));
    }

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(secrets_equal("operator-token", "operator-token"));
        assert!(!secrets_equal("operator-token", "operator-tokem"));
        assert!(!secrets_equal("operator-token", "operator-token-longer"));
        assert!(!secrets_equal("", "x"));
    }
}
