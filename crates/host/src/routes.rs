//! HTTP route patterns and Spin's routing rules: exact segments, `:name` parameters, a trailing
//! `/...` wildcard, and the most specific route wins.

use std::cmp::Ordering;

/// A route in Spin's syntax, e.g. `/api/v1/stories/...` or `/users/:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Exact(String),
    Param(String),
}

/// A route that cannot be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RouteError {
    /// The route does not start with `/`.
    #[error("route `{0}` must start with `/`")]
    NoLeadingSlash(String),
    /// `...` appears other than as the last segment.
    #[error("route `{0}`: `...` is only allowed as the last segment")]
    WildcardNotLast(String),
    /// A `:` parameter has no name or an invalid one.
    #[error("route `{0}`: parameter names must be non-empty letters, digits, `_` or `-`")]
    BadParam(String),
    /// The same parameter name is used twice.
    #[error("route `{0}`: parameter `{1}` appears twice")]
    DuplicateParam(String, String),
}

/// The result of matching a path against a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Values of the `:name` parameters, in route order.
    pub params: Vec<(String, String)>,
    /// The part of the path the wildcard matched (`spin-path-info`), starting with `/`, or
    /// empty for an exact route.
    pub path_info: String,
}

impl RoutePattern {
    /// Parses a route string.
    pub fn parse(route: &str) -> Result<Self, RouteError> {
        let raw = route.to_owned();
        if !route.starts_with('/') {
            return Err(RouteError::NoLeadingSlash(raw));
        }
        let parts: Vec<&str> = route[1..].split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut wildcard = false;
        let mut names = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if *part == "..." {
                if i + 1 != parts.len() {
                    return Err(RouteError::WildcardNotLast(raw));
                }
                wildcard = true;
            } else if let Some(name) = part.strip_prefix(':') {
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(RouteError::BadParam(raw));
                }
                if names.contains(&name) {
                    return Err(RouteError::DuplicateParam(raw, name.to_owned()));
                }
                names.push(name);
                segments.push(Segment::Param(name.to_owned()));
            } else {
                segments.push(Segment::Exact((*part).to_owned()));
            }
        }
        Ok(RoutePattern {
            raw,
            segments,
            wildcard,
        })
    }

    /// The route as written in the manifest (`spin-raw-component-route`).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The route without its wildcard (`spin-component-route`), e.g. `/api/v1/stories`.
    pub fn without_wildcard(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                Segment::Exact(e) => out.push_str(e),
                Segment::Param(p) => {
                    out.push(':');
                    out.push_str(p);
                }
            }
        }
        if out.is_empty() { "/".to_owned() } else { out }
    }

    /// A normal form used to detect two routes claiming the same paths.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                Segment::Exact(e) => out.push_str(e),
                Segment::Param(_) => out.push(':'),
            }
        }
        if self.wildcard {
            out.push_str("/...");
        }
        out
    }

    /// Matches a request path (no query string).
    pub fn matches(&self, path: &str) -> Option<RouteMatch> {
        let mut rest = path.trim_start_matches('/');
        let mut params = Vec::new();
        for segment in &self.segments {
            if rest.is_empty() {
                return None;
            }
            let (head, tail) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            match segment {
                Segment::Exact(e) if e == head => {}
                Segment::Exact(_) => return None,
                Segment::Param(name) => params.push((name.clone(), head.to_owned())),
            }
            rest = tail;
        }
        if self.wildcard {
            let path_info = if rest.is_empty() {
                String::new()
            } else {
                format!("/{rest}")
            };
            // `/a/...` matches `/a`, `/a/` and `/a/b/c`; keep a trailing slash visible.
            let path_info =
                if path_info.is_empty() && path.ends_with('/') && !self.segments.is_empty() {
                    "/".to_owned()
                } else {
                    path_info
                };
            Some(RouteMatch { params, path_info })
        } else if rest.trim_end_matches('/').is_empty() {
            Some(RouteMatch {
                params,
                path_info: String::new(),
            })
        } else {
            None
        }
    }

    /// Orders routes by specificity: an exact segment beats a parameter, which beats the
    /// wildcard; at equal prefixes, the longer route wins and a route without wildcard beats
    /// one with it.
    pub fn specificity_cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            let rank = |s: &Segment| match s {
                Segment::Exact(_) => 1,
                Segment::Param(_) => 0,
            };
            match rank(a).cmp(&rank(b)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.segments
            .len()
            .cmp(&other.segments.len())
            .then_with(|| other.wildcard.cmp(&self.wildcard))
    }
}

/// A set of routes, each leading to a value (the trigger's component).
#[derive(Debug, Clone)]
pub struct Router<T> {
    routes: Vec<(RoutePattern, T)>,
}

impl<T> Router<T> {
    /// Builds a router; order does not matter, specificity decides.
    pub fn new(mut routes: Vec<(RoutePattern, T)>) -> Self {
        routes.sort_by(|(a, _), (b, _)| b.specificity_cmp(a));
        Router { routes }
    }

    /// The most specific route matching `path`.
    pub fn route(&self, path: &str) -> Option<(&RoutePattern, &T, RouteMatch)> {
        self.routes
            .iter()
            .find_map(|(pattern, value)| pattern.matches(path).map(|m| (pattern, value, m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router<String> {
        Router::new(
            routes
                .iter()
                .map(|r| (RoutePattern::parse(r).unwrap(), (*r).to_owned()))
                .collect(),
        )
    }

    fn winner(r: &Router<String>, path: &str) -> Option<String> {
        r.route(path).map(|(_, v, _)| v.clone())
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            "/...",
            "/api/...",
            "/api/v1/stories",
            "/api/v1/stories/...",
            "/api/:ver/x",
        ]);
        assert_eq!(
            winner(&r, "/api/v1/stories").as_deref(),
            Some("/api/v1/stories")
        );
        assert_eq!(
            winner(&r, "/api/v1/stories/abc").as_deref(),
            Some("/api/v1/stories/...")
        );
        assert_eq!(winner(&r, "/api/v2/x").as_deref(), Some("/api/:ver/x"));
        assert_eq!(winner(&r, "/api/other").as_deref(), Some("/api/..."));
        assert_eq!(winner(&r, "/elsewhere").as_deref(), Some("/..."));
    }

    #[test]
    fn exact_routes_do_not_match_longer_paths() {
        let r = router(&["/healthz"]);
        assert_eq!(winner(&r, "/healthz").as_deref(), Some("/healthz"));
        assert_eq!(winner(&r, "/healthz/"), Some("/healthz".into()));
        assert_eq!(winner(&r, "/healthz/x"), None);
        assert_eq!(winner(&r, "/"), None);
    }

    #[test]
    fn wildcard_gives_path_info_and_params() {
        let p = RoutePattern::parse("/users/:id/...").unwrap();
        let m = p.matches("/users/42/posts/7").unwrap();
        assert_eq!(m.params, vec![("id".to_owned(), "42".to_owned())]);
        assert_eq!(m.path_info, "/posts/7");
        assert_eq!(p.matches("/users/42").unwrap().path_info, "");
        assert_eq!(p.without_wildcard(), "/users/:id");
        assert!(p.matches("/users").is_none());
    }

    #[test]
    fn bad_routes_are_rejected() {
        assert!(matches!(
            RoutePattern::parse("a"),
            Err(RouteError::NoLeadingSlash(_))
        ));
        assert!(matches!(
            RoutePattern::parse("/.../a"),
            Err(RouteError::WildcardNotLast(_))
        ));
        assert!(matches!(
            RoutePattern::parse("/:"),
            Err(RouteError::BadParam(_))
        ));
        assert!(matches!(
            RoutePattern::parse("/:a/:a"),
            Err(RouteError::DuplicateParam(..))
        ));
    }

    #[test]
    fn root_wildcard_matches_everything() {
        let p = RoutePattern::parse("/...").unwrap();
        assert_eq!(p.matches("/").unwrap().path_info, "");
        assert_eq!(p.matches("/a/b").unwrap().path_info, "/a/b");
        assert_eq!(p.without_wildcard(), "/");
    }
}
