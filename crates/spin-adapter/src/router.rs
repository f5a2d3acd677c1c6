//! A tiny router over method + path segments whose failures are JSON envelopes.

use spin_sdk::http::{Method, Request, Response};

use crate::ApiError;

/// A route handler: the request context (the [`Request`] itself, or an API component's
/// [`crate::api::Call`]) and the captured path parameters.
pub type Handler<C = Request> = fn(&C, &Params<'_>) -> Result<Response, ApiError>;

/// What a router dispatches on: anything that carries the request.
pub trait Routable {
    /// The request to route by method and path.
    fn request(&self) -> &Request;
}

impl Routable for Request {
    fn request(&self) -> &Request {
        self
    }
}

/// Path parameters captured by `{name}` segments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Params<'p> {
    values: Vec<(&'static str, &'p str)>,
}

impl<'p> Params<'p> {
    /// The raw (still percent-encoded) segment captured as `{name}`.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        self.values
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

struct Route<C> {
    method: Method,
    pattern: Vec<Segment>,
    handler: Handler<C>,
}

/// Routes on the full request path, e.g. `/api/v1/stories/{id}`.
///
/// Empty segments are ignored, so a trailing slash matches the same route. A path no
/// route matches is a 404 `not_found`; a path that matches only under other methods is a
/// 405 `method_not_allowed` with `Allow`.
pub struct Router<C = Request> {
    routes: Vec<Route<C>>,
}

impl<C> Default for Router<C> {
    fn default() -> Self {
        Self { routes: Vec::new() }
    }
}

impl<C: Routable> Router<C> {
    /// A router with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route; `pattern` segments are literals or `{name}` captures. First match wins.
    pub fn route(mut self, method: Method, pattern: &'static str, handler: Handler<C>) -> Self {
        let pattern = segments(pattern)
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name),
                    None => Segment::Literal(s),
                },
            )
            .collect();
        self.routes.push(Route {
            method,
            pattern,
            handler,
        });
        self
    }

    /// Finds the handler for `method` and `path`, with its captured parameters.
    pub fn find<'p>(
        &self,
        method: &Method,
        path: &'p str,
    ) -> Result<(Handler<C>, Params<'p>), ApiError> {
        let mut allowed: Vec<Method> = Vec::new();
        for route in &self.routes {
            let Some(params) = match_pattern(&route.pattern, path) else {
                continue;
            };
            if route.method == *method {
                return Ok((route.handler, params));
            }
            if !allowed.contains(&route.method) {
                allowed.push(route.method.clone());
            }
        }
        if allowed.is_empty() {
            Err(ApiError::not_found("no resource at this path"))
        } else {
            Err(ApiError::method_not_allowed(method, &allowed))
        }
    }

    /// Routes `context` by its request's method and path and runs the handler.
    pub fn handle(&self, context: &C) -> Result<Response, ApiError> {
        let req = context.request();
        let (handler, params) = self.find(req.method(), req.path())?;
        handler(context, &params)
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn match_pattern<'p>(pattern: &[Segment], path: &'p str) -> Option<Params<'p>> {
    let mut params = Params::default();
    let mut parts = segments(path);
    for segment in pattern {
        let part = parts.next()?;
        match segment {
            Segment::Literal(literal) if *literal == part => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => params.values.push((name, part)),
        }
    }
    parts.next().is_none().then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(_: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
        Ok(Response::new(200, "list"))
    }

    fn create(_: &Request, _: &Params<'_>) -> Result<Response, ApiError> {
        Ok(Response::new(201, "create"))
    }

    fn show(_: &Request, params: &Params<'_>) -> Result<Response, ApiError> {
        Ok(Response::new(
            200,
            params.get("id").unwrap_or("").to_owned(),
        ))
    }

    fn router() -> Router {
        Router::new()
            .route(Method::Get, "/api/v1/stories", list)
            .route(Method::Post, "/api/v1/stories", create)
            .route(Method::Get, "/api/v1/stories/{id}", show)
            .route(Method::Delete, "/api/v1/stories/{id}", show)
    }

    fn run(method: Method, uri: &str) -> Result<Response, ApiError> {
        router().handle(&Request::new(method, uri))
    }

    #[test]
    fn matches_literals_and_methods() {
        assert_eq!(run(Method::Get, "/api/v1/stories").unwrap().body(), b"list");
        assert_eq!(*run(Method::Post, "/api/v1/stories").unwrap().status(), 201);
        assert_eq!(
            run(Method::Get, "http://localhost:3000/api/v1/stories/?limit=2")
                .unwrap()
                .body(),
            b"list"
        );
    }

    #[test]
    fn captures_parameters() {
        assert_eq!(
            run(Method::Get, "/api/v1/stories/abc").unwrap().body(),
            b"abc"
        );
        let (_, params) = router()
            .find(&Method::Delete, "/api/v1/stories/x%20y")
            .unwrap();
        assert_eq!(params.get("id"), Some("x%20y"));
        assert_eq!(params.get("other"), None);
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in ["/", "/api/v1", "/api/v1/stories/a/b", "/api/v2/stories"] {
            let error = run(Method::Get, path).unwrap_err();
            assert_eq!((error.status(), error.code()), (404, "not_found"), "{path}");
        }
    }

    #[test]
    fn wrong_methods_are_405_with_allow() {
        let error = run(Method::Put, "/api/v1/stories").unwrap_err();
        assert_eq!(error.status(), 405);
        let response = error.to_response("r");
        assert_eq!(
            response.header("allow").and_then(|v| v.as_str()),
            Some("GET, POST")
        );

        let error = run(Method::Other("BREW".into()), "/api/v1/stories/1").unwrap_err();
        let response = error.to_response("r");
        assert_eq!(
            response.header("allow").and_then(|v| v.as_str()),
            Some("GET, DELETE")
        );
    }
}
