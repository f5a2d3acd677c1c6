//! `allowed_outbound_hosts`: Spin's syntax for which hosts a component may reach, used by
//! outbound HTTP ([`crate::http::outbound`]) and outbound Redis.
//!
//! An entry is `<scheme>://<host>[:<port>]`:
//! - scheme: a name (`http`, `https`, `redis`, …) or `*`;
//! - host: a name (`api.example.com`), `*`, a subdomain wildcard (`*.example.com`: any name
//!   ending in `.example.com`, not `example.com` itself), an IP address (`127.0.0.1`,
//!   `[::1]`), a CIDR block (`10.0.0.0/8`), or `self` / `self.alt` (requests to the app itself);
//! - port: a number, `*`, or a range `8000..8080` (end excluded, as in Spin); when left out, the
//!   scheme's default (`http` 80, `https` 443, `redis` 6379, `postgres` 5432, `mysql` 3306,
//!   `mqtt` 1883); a scheme without a default (and `*`) needs an explicit port.
//!
//! As in Spin, a trailing `/` is allowed but no path, `insecure:allow-all` is refused (use
//! `*://*:*`), and an entry without a scheme is an error.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context as _;
use ipnet::IpNet;

use crate::manifest::Manifest;
use crate::variables::{Template, VariablesFactor};

/// What is wrong with one `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// `insecure:allow-all`, which Spin refuses.
    #[error("`insecure:allow-all` is not allowed: use `*://*:*` to allow all outbound traffic")]
    AllowAll,
    /// Not `<scheme>://…` at all (e.g. `*` or an empty string).
    #[error(
        "entries must look like <scheme>://<host>[:<port>], with `*` allowed for each part \
         (`*://*:*` allows everything)"
    )]
    NotAPattern,
    /// No `<scheme>://`.
    #[error("no scheme: write e.g. `https://{0}` or `*://{0}`")]
    NoScheme(String),
    /// A `{{ }}` template that was not expanded.
    #[error("the entry holds a `{{{{ }}}}` template that was not expanded")]
    Template,
    /// A scheme that is neither `*` nor letters.
    #[error("scheme `{0}` must be `*` or letters only")]
    BadScheme(String),
    /// `{a,b}` lists, which Spin does not support either.
    #[error("lists (`{{…}}`) are not supported")]
    List,
    /// A path after the host or port.
    #[error("paths are not allowed (only a trailing `/`)")]
    Path,
    /// Nothing where the host should be.
    #[error("the host is empty")]
    EmptyHost,
    /// A `*` other than a whole host or a leading `*.`.
    #[error("`*` is allowed only as the whole host or as a prefix `*.example.com`")]
    Wildcard,
    /// A host with characters no host name has.
    #[error("host `{0}` is not a host name, an IP address or a CIDR block")]
    BadHost(String),
    /// No port and no default port for the scheme.
    #[error("no port, and scheme `{0}` has no default port: add one (e.g. `:8080` or `:*`)")]
    NoDefaultPort(String),
    /// A port that is not a number from 0 to 65535.
    #[error("port `{0}` is not a number from 0 to 65535")]
    BadPort(String),
    /// A range `a..b` with `a >= b` (the end is excluded).
    #[error("port range `{0}` is empty (the end is excluded)")]
    EmptyRange(String),
}

/// An `allowed_outbound_hosts` entry that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid allowed_outbound_hosts entry `{entry}`: {reason}")]
pub struct AllowedHostsError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: PatternError,
}

/// A component's parsed `allowed_outbound_hosts`. Empty (the default) allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    /// `None` for `*`.
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, stored as `.example.com`.
    Subdomain(String),
    Name(String),
    Ip(IpAddr),
    Net(IpNet),
    /// `self` / `self.alt`: requests to the app itself.
    ToSelf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortPattern {
    Any,
    One(u16),
    /// Start included, end excluded.
    Range(u16, u16),
}

/// The port a scheme uses when none is given (Spin's list).
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "redis" => Some(6379),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses entries in Spin's syntax (templates must be expanded first; see
    /// [`OutboundFactor::new`]). The error names the first bad entry and why.
    pub fn parse(patterns: &[String]) -> Result<Self, AllowedHostsError> {
        let entries = patterns
            .iter()
            .map(|entry| {
                AllowedHost::parse(entry).map_err(|reason| AllowedHostsError {
                    entry: entry.clone(),
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowedHosts { entries })
    }

    /// Whether a connection to `scheme://host[:port]` is allowed; `port` `None` means the
    /// scheme's default. `host` may be a bracketed IPv6 address.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        let host = normalize_host(host);
        let ip = host.parse::<IpAddr>().ok();
        let port = port.or_else(|| default_port(&scheme));
        self.entries.iter().any(|e| {
            e.scheme.as_ref().is_none_or(|s| *s == scheme)
                && e.host.matches(&host, ip)
                && e.port.matches(port)
        })
    }

    /// Whether the URL's scheme, host and port are allowed. An unparsable URL or one without a
    /// host is not.
    pub fn allows_url(&self, url: &str) -> bool {
        let Ok(url) = url::Url::parse(url) else {
            return false;
        };
        match url.host_str() {
            Some(host) if !host.is_empty() => self.allows(url.scheme(), host, url.port()),
            _ => false,
        }
    }

    /// Whether requests to the app itself (a relative URL, or host `self.alt`) are allowed:
    /// some entry with host `self`, `self.alt` or `*` and scheme `http`, `https` or `*`, any port.
    pub fn allows_self_requests(&self) -> bool {
        self.entries.iter().any(|e| {
            e.scheme
                .as_deref()
                .is_none_or(|s| s == "http" || s == "https")
                && matches!(e.host, HostPattern::Any | HostPattern::ToSelf)
        })
    }
}

/// Lower case, without IPv6 brackets or a trailing dot.
fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

impl AllowedHost {
    fn parse(entry: &str) -> Result<Self, PatternError> {
        let text = entry.trim();
        if text == "insecure:allow-all" {
            return Err(PatternError::AllowAll);
        }
        if Template::is_template(text) {
            return Err(PatternError::Template);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(match text {
                "" | "*" | ":" | "?" => PatternError::NotAPattern,
                _ => PatternError::NoScheme(text.to_owned()),
            });
        };
        let scheme = match scheme {
            "*" => None,
            s if s.starts_with('{') => return Err(PatternError::List),
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(s.to_ascii_lowercase())
            }
            s => return Err(PatternError::BadScheme(s.to_owned())),
        };
        let (host, port) = split_host_port(rest)?;
        Ok(AllowedHost {
            host: HostPattern::parse(host)?,
            port: PortPattern::parse(port, scheme.as_deref())?,
            scheme,
        })
    }
}

/// Splits `host[:port][/]`; the host may be `[ipv6]` or a CIDR block (`10.0.0.0/8`).
fn split_host_port(rest: &str) -> Result<(&str, &str), PatternError> {
    let (host, after_host) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, after) = bracketed
                .split_once(']')
                .ok_or_else(|| PatternError::BadHost(rest.to_owned()))?;
            let after = match after.strip_prefix(':') {
                Some(port) => port,
                None if after.is_empty() || after == "/" => "",
                None => return Err(PatternError::BadHost(rest.to_owned())),
            };
            (inside, after)
        }
        None => rest.rsplit_once(':').unwrap_or((rest, "")),
    };
    let port = match after_host.split_once('/') {
        Some((_, path)) if !path.is_empty() => return Err(PatternError::Path),
        Some((port, _)) => port,
        None => after_host,
    };
    Ok((host, port))
}

impl HostPattern {
    fn parse(host: &str) -> Result<Self, PatternError> {
        let host = host.trim();
        match host {
            "*" => return Ok(HostPattern::Any),
            "self" | "self.alt" => return Ok(HostPattern::ToSelf),
            h if h.starts_with('{') => return Err(PatternError::List),
            _ => {}
        }
        if let Ok(net) = host.parse::<IpNet>() {
            return Ok(HostPattern::Net(net.trunc()));
        }
        let host = match host.split_once('/') {
            Some((_, path)) if !path.trim_end_matches('/').is_empty() => {
                return Err(PatternError::Path);
            }
            Some((name, _)) => name,
            None => host,
        };
        if host.is_empty() {
            return Err(PatternError::EmptyHost);
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(HostPattern::Ip(ip));
        }
        let (subdomain, name) = match host.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, host),
        };
        if name.contains('*') {
            return Err(PatternError::Wildcard);
        }
        let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if name.is_empty() || !name.chars().all(is_name_char) {
            return Err(PatternError::BadHost(host.to_owned()));
        }
        let name = normalize_host(name);
        Ok(if subdomain {
            HostPattern::Subdomain(format!(".{name}"))
        } else {
            HostPattern::Name(name)
        })
    }

    fn matches(&self, host: &str, ip: Option<IpAddr>) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => ip.is_none() && host.ends_with(suffix.as_str()),
            HostPattern::Name(name) => ip.is_none() && host == name,
            HostPattern::Ip(allowed) => ip == Some(*allowed),
            HostPattern::Net(net) => ip.is_some_and(|ip| net.contains(&ip)),
            // Only relative URLs and `self.alt` reach the app itself; see `allows_self_requests`.
            HostPattern::ToSelf => false,
        }
    }
}

impl PortPattern {
    fn parse(port: &str, scheme: Option<&str>) -> Result<Self, PatternError> {
        let number = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| PatternError::BadPort(p.to_owned()))
        };
        match port {
            "" => scheme
                .and_then(default_port)
                .map(PortPattern::One)
                .ok_or_else(|| PatternError::NoDefaultPort(scheme.unwrap_or("*").to_owned())),
            "*" => Ok(PortPattern::Any),
            p if p.starts_with('{') => Err(PatternError::List),
            p => match p.split_once("..") {
                Some((start, end)) => {
                    let (start, end) = (number(start)?, number(end)?);
                    if start >= end {
                        return Err(PatternError::EmptyRange(p.to_owned()));
                    }
                    Ok(PortPattern::Range(start, end))
                }
                None => Ok(PortPattern::One(number(p)?)),
            },
        }
    }

    fn matches(self, port: Option<u16>) -> bool {
        match (self, port) {
            (PortPattern::Any, _) => true,
            (PortPattern::One(allowed), Some(port)) => port == allowed,
            (PortPattern::Range(start, end), Some(port)) => (start..end).contains(&port),
            (_, None) => false,
        }
    }
}

/// A component's `allowed_outbound_hosts` that failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// A literal entry is malformed.
    #[error("component.{component}.allowed_outbound_hosts: {source}")]
    Entry {
        /// The component.
        component: String,
        /// The entry and what is wrong with it.
        source: AllowedHostsError,
    },
    /// A templated entry is malformed once expanded. `reason` has secret values scrubbed.
    #[error(
        "component.{component}.allowed_outbound_hosts: invalid entry `{template}` \
         (after expanding its variables): {reason}"
    )]
    TemplatedEntry {
        /// The component.
        component: String,
        /// The entry as written, before expansion.
        template: String,
        /// What is wrong, with secrets replaced by `***`.
        reason: String,
    },
}

/// Every component's allowed hosts, parsed once at start-up.
#[derive(Debug)]
pub struct OutboundFactor {
    components: HashMap<String, Arc<AllowedHosts>>,
    none: Arc<AllowedHosts>,
}

impl OutboundFactor {
    /// Expands each component's `allowed_outbound_hosts` templates with `vars` and parses the
    /// entries. Start-up fails on a bad entry, naming the component and the entry as written.
    pub fn new(manifest: &Manifest, vars: &VariablesFactor) -> anyhow::Result<Self> {
        let mut components = HashMap::with_capacity(manifest.components.len());
        for (id, component) in &manifest.components {
            let mut entries = Vec::with_capacity(component.allowed_outbound_hosts.len());
            for entry in &component.allowed_outbound_hosts {
                let parsed = if Template::is_template(entry) {
                    let expanded = vars
                        .resolve_app_template(entry)
                        .with_context(|| format!("component.{id}.allowed_outbound_hosts"))?;
                    AllowedHost::parse(&expanded).map_err(|reason| {
                        OutboundError::TemplatedEntry {
                            component: id.clone(),
                            template: entry.clone(),
                            reason: vars.scrub(&reason.to_string()),
                        }
                    })?
                } else {
                    AllowedHost::parse(entry).map_err(|reason| OutboundError::Entry {
                        component: id.clone(),
                        source: AllowedHostsError {
                            entry: entry.clone(),
                            reason,
                        },
                    })?
                };
                entries.push(parsed);
            }
            components.insert(id.clone(), Arc::new(AllowedHosts { entries }));
        }
        Ok(OutboundFactor {
            components,
            none: Arc::default(),
        })
    }

    /// The allowed hosts of `component_id` (nothing allowed for an unknown component).
    pub fn allowed_hosts(&self, component_id: &str) -> Arc<AllowedHosts> {
        self.components
            .get(component_id)
            .unwrap_or(&self.none)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::runtime_config::RuntimeConfig;

    fn hosts(patterns: &[&str]) -> AllowedHosts {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        AllowedHosts::parse(&patterns).unwrap_or_else(|e| panic!("{patterns:?}: {e}"))
    }

    #[test]
    fn patterns_against_urls() {
        #[rustfmt::skip]
        let table: &[(&str, &[(&str, bool)])] = &[
            ("https://api.example.com", &[
                ("https://api.example.com/v1?q=1", true),
                ("https://API.Example.com", true),
                ("https://api.example.com:443/", true),
                ("https://api.example.com:8443/", false),
                ("http://api.example.com/", false),
                ("https://example.com/", false),
                ("https://evil-api.example.com/", false),
                ("https://api.example.com.evil.net/", false),
            ]),
            ("http://localhost:3000/", &[
                ("http://localhost:3000/x", true),
                ("http://localhost/x", false),
                ("http://localhost:3001/x", false),
            ]),
            ("http://*.example.com", &[
                ("http://a.example.com/", true),
                ("http://a.b.example.com/", true),
                ("http://example.com/", false),
                ("http://myexample.com/", false),
                ("http://a.example.com:8080/", false),
            ]),
            ("*://example.com:*", &[
                ("http://example.com/", true),
                ("https://example.com:8443/", true),
                ("redis://example.com", true),
                ("https://other.com/", false),
            ]),
            ("https://*:*", &[
                ("https://anything.net:1/", true),
                ("http://anything.net/", false),
            ]),
            ("*://*:*", &[
                ("http://1.2.3.4:9/", true),
                ("postgres://db", true),
            ]),
            ("http://example.com:8000..8080", &[
                ("http://example.com:8000/", true),
                ("http://example.com:8079/", true),
                ("http://example.com:8080/", false),
                ("http://example.com:7999/", false),
                ("http://example.com/", false),
            ]),
            ("redis://cache", &[
                ("redis://cache", true),
                ("redis://cache:6379", true),
                ("redis://user:pass@cache:6379/0", true),
                ("redis://cache:6380", false),
            ]),
            ("postgres://db", &[("postgres://db:5432/app", true), ("postgres://db:5433", false)]),
            ("mysql://db", &[("mysql://db:3306", true), ("mysql://db:3307", false)]),
            ("https://10.0.0.0/8", &[
                ("https://10.1.2.3/", true),
                ("https://11.0.0.1/", false),
                ("https://10.1.2.3:444/", false),
            ]),
            ("*://127.0.0.1/24:63551", &[
                ("tcp://127.0.0.200:63551", true),
                ("tcp://127.0.1.1:63551", false),
            ]),
            ("http://192.168.1.1:3002", &[
                ("http://192.168.1.1:3002/", true),
                ("http://192.168.1.2:3002/", false),
            ]),
            ("http://[::1]:8001", &[
                ("http://[::1]:8001/", true),
                ("http://[0:0::1]:8001/", true),
                ("http://[::2]:8001/", false),
            ]),
            ("*://ff00::/8:80", &[
                ("http://[ff01::1]/", true),
                ("http://[fe00::1]/", false),
            ]),
            ("http://self", &[
                ("http://self/", false),
                ("http://self.alt/", false),
            ]),
        ];
        for (pattern, urls) in table {
            let allowed = hosts(&[pattern]);
            for (url, expected) in *urls {
                assert_eq!(allowed.allows_url(url), *expected, "{pattern} × {url}");
            }
        }
    }

    #[test]
    fn allows_uses_the_schemes_default_port() {
        let allowed = hosts(&["redis://cache", "https://api.example.com"]);
        assert!(allowed.allows("redis", "cache", None));
        assert!(allowed.allows("redis", "cache", Some(6379)));
        assert!(!allowed.allows("redis", "cache", Some(6380)));
        assert!(allowed.allows("HTTPS", "api.example.com.", None));
        assert!(!allowed.allows("http", "api.example.com", None));
        assert!(
            !allowed.allows("tcp", "cache", None),
            "a scheme without default needs a port"
        );
        assert!(!AllowedHosts::default().allows("https", "api.example.com", None));
    }

    #[test]
    fn several_entries_allow_the_union() {
        let allowed = hosts(&["https://a.com", "http://b.com:8080"]);
        assert!(allowed.allows_url("https://a.com/"));
        assert!(allowed.allows_url("http://b.com:8080/"));
        assert!(!allowed.allows_url("http://a.com/"));
        assert!(!allowed.allows_url("not a url"));
        assert!(!allowed.allows_url("/relative"));
    }

    #[test]
    fn self_requests() {
        for pattern in [
            "http://self",
            "https://self.alt",
            "*://self:*",
            "http://*",
            "*://*:*",
        ] {
            assert!(hosts(&[pattern]).allows_self_requests(), "{pattern}");
        }
        for pattern in [
            "https://example.com",
            "redis://self",
            "http://*.example.com",
        ] {
            assert!(!hosts(&[pattern]).allows_self_requests(), "{pattern}");
        }
        assert!(!AllowedHosts::default().allows_self_requests());
    }

    #[test]
    fn bad_patterns_are_named_with_a_reason() {
        let cases: &[(&str, PatternError)] = &[
            ("insecure:allow-all", PatternError::AllowAll),
            ("*", PatternError::NotAPattern),
            ("", PatternError::NotAPattern),
            ("example.com", PatternError::NoScheme("example.com".into())),
            ("self", PatternError::NoScheme("self".into())),
            (
                "localhost:3001",
                PatternError::NoScheme("localhost:3001".into()),
            ),
            ("https://{{ host }}", PatternError::Template),
            ("ht1p://example.com", PatternError::BadScheme("ht1p".into())),
            ("{http,https}://example.com", PatternError::List),
            ("http://{a,b}", PatternError::List),
            ("http://example.com/a", PatternError::Path),
            ("http://example.com:80/a/b", PatternError::Path),
            ("http://*.example.com/a", PatternError::Path),
            ("http://", PatternError::EmptyHost),
            ("http://:80", PatternError::EmptyHost),
            ("http://a.*.com", PatternError::Wildcard),
            ("http://*example.com", PatternError::Wildcard),
            ("http://*.ex*.com", PatternError::Wildcard),
            (
                "http://exa mple.com",
                PatternError::BadHost("exa mple.com".into()),
            ),
            (
                "http://user@example.com",
                PatternError::BadHost("user@example.com".into()),
            ),
            ("*://example.com", PatternError::NoDefaultPort("*".into())),
            (
                "tcp://example.com",
                PatternError::NoDefaultPort("tcp".into()),
            ),
            ("*://127.0.0.0/24", PatternError::NoDefaultPort("*".into())),
            (
                "http://example.com:http",
                PatternError::BadPort("http".into()),
            ),
            (
                "http://example.com:70000",
                PatternError::BadPort("70000".into()),
            ),
            (
                "http://example.com:80..x",
                PatternError::BadPort("x".into()),
            ),
            (
                "http://example.com:8080..8000",
                PatternError::EmptyRange("8080..8000".into()),
            ),
            ("http://[::1", PatternError::BadHost("[::1".into())),
            ("http://[::1]x", PatternError::BadHost("[::1]x".into())),
        ];
        for (pattern, reason) in cases {
            let err = AllowedHosts::parse(&["https://fine.com".to_owned(), (*pattern).to_owned()])
                .expect_err(pattern);
            assert_eq!(&err.reason, reason, "{pattern}");
            assert_eq!(err.entry, *pattern);
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{pattern}`")), "{msg}");
        }
    }

    #[test]
    fn spins_accepted_forms_parse() {
        for pattern in [
            "http://spin.fermyon.dev/",
            "https://spin.fermyon.dev:5555",
            "http://spin.fermyon.dev:4444/",
            "  https://trimmed.dev  ",
            "http://[::1]",
            "http://[::1]:8001/",
            "mqtt://broker",
            "http://host_with_underscore.local",
        ] {
            hosts(&[pattern]);
        }
    }

    fn manifest(body: &str) -> Manifest {
        let text = format!("spin_manifest_version = 2\n[application]\nname = \"t\"\n{body}");
        Manifest::parse(&text, Path::new("spin.toml"), PathBuf::from(".")).unwrap()
    }

    fn vars(m: &Manifest, cli: &[(&str, &str)]) -> VariablesFactor {
        let cli: Vec<(String, String)> = cli
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        VariablesFactor::with_env(m, &RuntimeConfig::default(), &cli, &|_| None).unwrap()
    }

    #[test]
    fn the_factor_expands_templates_per_component() {
        let m = manifest(
            "[variables]\napi_host = { default = \"api.example.com\" }\n\
             [component.a]\nsource = \"a.wasm\"\n\
             allowed_outbound_hosts = [\"https://{{ api_host }}\", \"redis://localhost\"]\n\
             [component.b]\nsource = \"b.wasm\"\n",
        );
        let factor = OutboundFactor::new(&m, &vars(&m, &[])).unwrap();
        let a = factor.allowed_hosts("a");
        assert!(a.allows_url("https://api.example.com/x"));
        assert!(a.allows_url("redis://localhost:6379"));
        assert!(
            !factor
                .allowed_hosts("b")
                .allows_url("https://api.example.com/x")
        );
        assert!(
            !factor
                .allowed_hosts("ghost")
                .allows_url("https://api.example.com/x")
        );
    }

    #[test]
    fn the_factor_names_the_component_and_the_entry() {
        let m = manifest(
            "[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"api.example.com\"]\n",
        );
        let err = OutboundFactor::new(&m, &vars(&m, &[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("component.a.allowed_outbound_hosts"), "{err}");
        assert!(
            err.contains("`api.example.com`") && err.contains("no scheme"),
            "{err}"
        );

        let m = manifest(
            "[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"https://{{ nope }}\"]\n",
        );
        let err = format!("{:#}", OutboundFactor::new(&m, &vars(&m, &[])).unwrap_err());
        assert!(
            err.contains("component.a.allowed_outbound_hosts") && err.contains("`nope`"),
            "{err}"
        );
    }

    #[test]
    fn templated_entry_errors_do_not_show_secrets() {
        let m = manifest(
            "[variables]\nport = { required = true, secret = true }\n\
             [component.a]\nsource = \"a.wasm\"\n\
             allowed_outbound_hosts = [\"https://example.com:{{ port }}\"]\n",
        );
        let err = OutboundFactor::new(&m, &vars(&m, &[("port", "hunter2")])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("https://example.com:{{ port }}") && msg.contains("`***`"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}
