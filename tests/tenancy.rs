//! Tenancy and the rules every route obeys: the permission matrix over every route × role ×
//! same/other tenant, isolation (nothing of another tenant is returned or changed), rate
//! limits and idempotency under concurrency, and bad credentials.

use std::thread;

use fabula_tests::{TestApp, TestAppBuilder, TestResponse};
use serde_json::{Value, json};

const OPERATOR: &str = "operator-token-for-tests-0123456789";

/// The world every matrix row runs against: two tenants with keys of each role, and stories.
struct World {
    app: TestApp,
    tenant_a: String,
    tenant_b: String,
    keys: Vec<(&'static str, String, String)>, // (who, key id, bearer secret)
    private_a: String,
    public_a: String,
}

impl World {
    fn bearer(&self, who: &str) -> Option<String> {
        match who {
            "anonymous" => None,
            "operator" => Some(OPERATOR.to_owned()),
            _ => Some(
                self.keys
                    .iter()
                    .find(|(w, _, _)| *w == who)
                    .expect(who)
                    .2
                    .clone(),
            ),
        }
    }

    fn key_id(&self, who: &str) -> String {
        self.keys
            .iter()
            .find(|(w, _, _)| *w == who)
            .expect(who)
            .1
            .clone()
    }

    fn call(&self, who: &str, method: &str, path: &str, body: Option<Value>) -> TestResponse {
        call(
            &self.app,
            self.bearer(who).as_deref(),
            method,
            path,
            body,
            &[],
        )
    }
}

fn call(
    app: &TestApp,
    bearer: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> TestResponse {
    let auth = bearer.map(|b| format!("Bearer {b}"));
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    if let Some(a) = &auth {
        headers.push(("authorization", a));
    }
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    if bytes.is_some() {
        headers.push(("content-type", "application/json"));
    }
    app.request(method, path, &headers, bytes.as_deref())
}

fn created(r: TestResponse) -> Value {
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn new_tenant(app: &TestApp, name: &str, tier: &str) -> String {
    let r = call(
        app,
        Some(OPERATOR),
        "POST",
        "/api/v1/tenants",
        Some(json!({"name": name, "tier": tier})),
        &[],
    );
    created(r)["id"].as_str().unwrap().to_owned()
}

fn new_key(app: &TestApp, tenant: &str, role: &str) -> (String, String) {
    let r = call(
        app,
        Some(OPERATOR),
        "POST",
        "/api/v1/api-keys",
        Some(json!({"name": format!("{role} key"), "role": role, "tenant_id": tenant})),
        &[],
    );
    let key = created(r);
    (
        key["id"].as_str().unwrap().to_owned(),
        key["key"].as_str().unwrap().to_owned(),
    )
}

fn new_story(app: &TestApp, bearer: &str, title: &str, public: bool) -> String {
    let body =
        json!({"title": title, "premise": "A premise.", "genre": "fantasy", "public": public});
    created(call(
        app,
        Some(bearer),
        "POST",
        "/api/v1/stories",
        Some(body),
        &[],
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn world() -> World {
    world_with(TestAppBuilder::fabula())
}

fn world_with(builder: TestAppBuilder) -> World {
    let app = builder.variable("admin_token", OPERATOR).start();
    let tenant_a = new_tenant(&app, "Tenant A", "standard");
    let tenant_b = new_tenant(&app, "Tenant B", "standard");
    let mut keys = Vec::new();
    for (who, tenant, role) in [
        ("a-admin", &tenant_a, "admin"),
        ("a-user", &tenant_a, "user"),
        ("a-service", &tenant_a, "service"),
        ("b-admin", &tenant_b, "admin"),
        ("b-user", &tenant_b, "user"),
    ] {
        let (id, secret) = new_key(&app, tenant, role);
        keys.push((who, id, secret));
    }
    let a_user = keys[1].2.clone();
    let private_a = new_story(&app, &a_user, "A private", false);
    let public_a = new_story(&app, &a_user, "A public", true);
    World {
        app,
        tenant_a,
        tenant_b,
        keys,
        private_a,
        public_a,
    }
}

const PRINCIPALS: [&str; 7] = [
    "anonymous",
    "operator",
    "a-admin",
    "a-user",
    "a-service",
    "b-admin",
    "b-user",
];

/// Runs one row of the matrix: the expected status for each principal, in PRINCIPALS order.
/// `path` and `body` may depend on the principal (e.g. a fresh story to delete).
fn row(
    w: &World,
    method: &str,
    path: impl Fn(&str) -> String,
    body: Option<Value>,
    expected: [u16; 7],
) {
    for (who, want) in PRINCIPALS.iter().zip(expected) {
        let p = path(who);
        let r = w.call(who, method, &p, body.clone());
        assert_eq!(r.status, want, "{who} {method} {p}: {}", r.text());
        if r.status >= 400 {
            let e = r.json();
            assert!(
                e["error"]["code"].is_string(),
                "{who} {method} {p}: envelope {e}"
            );
        }
    }
}

#[test]
fn permission_matrix_over_every_route() {
    let w = world();
    let (a_priv, a_pub) = (w.private_a.clone(), w.public_a.clone());
    let story = json!({"title": "T", "premise": "P", "genre": "mystery"});

    //                                                      anon  op   a-adm a-usr a-svc b-adm b-usr
    row(
        &w,
        "POST",
        |_| "/api/v1/stories".into(),
        Some(story.clone()),
        [401, 403, 201, 201, 201, 201, 201],
    );
    row(
        &w,
        "GET",
        |_| "/api/v1/stories".into(),
        None,
        [200, 403, 200, 200, 200, 200, 200],
    );
    row(
        &w,
        "GET",
        |_| format!("/api/v1/stories/{a_priv}"),
        None,
        [404, 403, 200, 200, 200, 404, 404],
    );
    row(
        &w,
        "GET",
        |_| format!("/api/v1/stories/{a_pub}"),
        None,
        [200, 403, 200, 200, 200, 200, 200],
    );
    // A stale version: allowed principals reach the version check (412); others never find it.
    let stale = json!({"title": "x", "version": 999});
    row(
        &w,
        "PATCH",
        |_| format!("/api/v1/stories/{a_priv}"),
        Some(stale.clone()),
        [401, 403, 412, 412, 412, 404, 404],
    );
    row(
        &w,
        "PATCH",
        |_| format!("/api/v1/stories/{a_pub}"),
        Some(stale),
        [401, 403, 412, 412, 412, 404, 404],
    );
    // A fresh story per principal, so every delete has something to delete.
    let a_admin = w.bearer("a-admin").unwrap();
    let doomed: Vec<(String, String)> = PRINCIPALS
        .iter()
        .map(|who| {
            (
                (*who).to_owned(),
                new_story(&w.app, &a_admin, "doomed", true),
            )
        })
        .collect();
    let doomed_for = |who: &str| doomed.iter().find(|(w, _)| w == who).unwrap().1.clone();
    row(
        &w,
        "DELETE",
        |who| format!("/api/v1/stories/{}", doomed_for(who)),
        None,
        [401, 403, 204, 204, 204, 404, 404],
    );

    row(
        &w,
        "POST",
        |_| "/api/v1/tenants".into(),
        Some(json!({"name": "N", "tier": "demo"})),
        [401, 201, 403, 403, 403, 403, 403],
    );
    row(
        &w,
        "GET",
        |_| "/api/v1/tenants".into(),
        None,
        [401, 200, 200, 403, 403, 200, 403],
    );
    let ta = w.tenant_a.clone();
    row(
        &w,
        "GET",
        |_| format!("/api/v1/tenants/{ta}"),
        None,
        [401, 200, 200, 200, 200, 404, 404],
    );

    let new_key_body = json!({"name": "k", "role": "user"});
    row(
        &w,
        "POST",
        |_| "/api/v1/api-keys".into(),
        Some(new_key_body),
        [401, 422, 201, 403, 403, 201, 403],
    );
    row(
        &w,
        "GET",
        |_| "/api/v1/api-keys".into(),
        None,
        [401, 200, 200, 403, 403, 200, 403],
    );
    // A fresh key of tenant B per principal, so every revoke has something to revoke.
    let b_keys: Vec<(String, String)> = PRINCIPALS
        .iter()
        .map(|who| ((*who).to_owned(), new_key(&w.app, &w.tenant_b, "user").0))
        .collect();
    let b_key_for = |who: &str| b_keys.iter().find(|(w, _)| w == who).unwrap().1.clone();
    row(
        &w,
        "DELETE",
        |who| format!("/api/v1/api-keys/{}", b_key_for(who)),
        None,
        [401, 204, 404, 403, 403, 204, 403],
    );

    row(
        &w,
        "GET",
        |_| "/api/v1/me".into(),
        None,
        [200, 200, 200, 200, 200, 200, 200],
    );
    row(
        &w,
        "GET",
        |_| "/api/v1/audit-log".into(),
        None,
        [401, 200, 200, 403, 403, 200, 403],
    );
    row(
        &w,
        "GET",
        |_| "/api/v1/system/metrics".into(),
        None,
        [401, 200, 200, 403, 200, 200, 403],
    );
}

fn ids(r: &TestResponse) -> Vec<String> {
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn nothing_of_another_tenant_is_returned_or_changed() {
    let w = world();
    let b_story = new_story(&w.app, &w.bearer("b-user").unwrap(), "B private", false);

    let seen_by_a = ids(&w.call("a-admin", "GET", "/api/v1/stories?limit=100", None));
    assert!(seen_by_a.contains(&w.private_a) && !seen_by_a.contains(&b_story));
    let seen_by_b = ids(&w.call("b-user", "GET", "/api/v1/stories?limit=100", None));
    assert!(
        !seen_by_b.contains(&w.private_a) && !seen_by_b.contains(&w.public_a),
        "lists are own-tenant"
    );
    let seen_by_anon = ids(&w.call("anonymous", "GET", "/api/v1/stories?limit=100", None));
    assert!(seen_by_anon.contains(&w.public_a));
    assert!(!seen_by_anon.contains(&w.private_a) && !seen_by_anon.contains(&b_story));

    // B tries everything on A's story; A's story is untouched.
    let before = w
        .call(
            "a-user",
            "GET",
            &format!("/api/v1/stories/{}", w.private_a),
            None,
        )
        .json();
    for (method, body) in [
        ("PATCH", Some(json!({"title": "pwned", "version": 1}))),
        ("DELETE", None),
    ] {
        let r = w.call(
            "b-admin",
            method,
            &format!("/api/v1/stories/{}", w.private_a),
            body,
        );
        assert_eq!(r.status, 404, "{method}: {}", r.text());
    }
    let after = w
        .call(
            "a-user",
            "GET",
            &format!("/api/v1/stories/{}", w.private_a),
            None,
        )
        .json();
    assert_eq!(before, after);

    let keys_seen_by_a = w
        .call("a-admin", "GET", "/api/v1/api-keys?limit=100", None)
        .json();
    for item in keys_seen_by_a["items"].as_array().unwrap() {
        assert_eq!(item["tenant_id"], w.tenant_a.as_str(), "{item}");
        assert!(
            item.get("key").is_none() && item.get("hash").is_none(),
            "no secrets in lists: {item}"
        );
    }
    let tenants_seen_by_a = ids(&w.call("a-admin", "GET", "/api/v1/tenants", None));
    assert_eq!(tenants_seen_by_a, vec![w.tenant_a.clone()]);
    let b_key = w.key_id("b-user");
    assert_eq!(
        w.call(
            "a-admin",
            "DELETE",
            &format!("/api/v1/api-keys/{b_key}"),
            None
        )
        .status,
        404
    );
    assert_eq!(
        w.call("b-user", "GET", "/api/v1/me", None).status,
        200,
        "B's key still works"
    );
    let _ = &w.tenant_b;
}

#[test]
fn me_describes_the_caller() {
    let w = world();
    let me = w.call("a-user", "GET", "/api/v1/me", None).json();
    assert_eq!(me["role"], "user");
    assert_eq!(me["tenant"]["id"], w.tenant_a.as_str());
    assert_eq!(me["key"]["id"], w.key_id("a-user").as_str());
    assert!(
        me["key"].get("key").is_none(),
        "the secret is never shown again"
    );
    let anon = w.call("anonymous", "GET", "/api/v1/me", None).json();
    assert_eq!(anon["role"], "anonymous");
    assert!(anon["tenant"].is_null());
}

#[test]
fn audit_log_records_every_write() {
    let w = world();
    let r = w.call(
        "a-admin",
        "POST",
        "/api/v1/stories",
        Some(json!({"title": "Audited", "premise": "P", "genre": "horror"})),
    );
    let request_id = r.header("x-request-id").unwrap().to_owned();
    let story_id = created(r)["id"].as_str().unwrap().to_owned();
    let log = w
        .call("a-admin", "GET", "/api/v1/audit-log?limit=100", None)
        .json();
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no audit entry for {request_id}: {log}"))
        .clone();
    assert_eq!(entry["resource_id"], story_id.as_str());
    assert_eq!(entry["tenant_id"], w.tenant_a.as_str());
    assert_eq!(entry["role"], "admin");
    assert!(
        entry["action"].is_string() && entry["resource"].is_string() && entry["time"].is_string()
    );
    assert!(entry["actor"].is_string());
    for e in log["items"].as_array().unwrap() {
        assert_eq!(
            e["tenant_id"],
            w.tenant_a.as_str(),
            "a tenant admin sees only its tenant: {e}"
        );
    }
}

#[test]
fn revoked_and_expired_keys_stop_working() {
    let w = world();
    let (id, secret) = new_key(&w.app, &w.tenant_a, "user");
    assert_eq!(
        call(&w.app, Some(&secret), "GET", "/api/v1/me", None, &[]).status,
        200
    );
    assert_eq!(
        w.call("a-admin", "DELETE", &format!("/api/v1/api-keys/{id}"), None)
            .status,
        204
    );
    let r = call(&w.app, Some(&secret), "GET", "/api/v1/me", None, &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "api_key_revoked");

    let soon = rfc3339_in(2);
    let key = created(call(
        &w.app,
        Some(OPERATOR),
        "POST",
        "/api/v1/api-keys",
        Some(
            json!({"name": "short-lived", "role": "user", "tenant_id": w.tenant_a, "expires_at": soon}),
        ),
        &[],
    ));
    let secret = key["key"].as_str().unwrap();
    assert_eq!(
        call(&w.app, Some(secret), "GET", "/api/v1/me", None, &[]).status,
        200
    );
    thread::sleep(std::time::Duration::from_millis(3100));
    let r = call(&w.app, Some(secret), "GET", "/api/v1/me", None, &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "api_key_expired");
}

/// An RFC 3339 UTC time `secs` seconds from now.
fn rfc3339_in(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn bad_credentials_and_bad_input_are_clear_4xx() {
    let w = world();
    let check = |r: TestResponse, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.text());
        assert_eq!(r.json()["error"]["code"], code, "{}", r.text());
        assert_eq!(
            r.json()["error"]["request_id"].as_str(),
            r.header("x-request-id")
        );
    };
    let me = |auth: &str| {
        w.app
            .request("GET", "/api/v1/me", &[("authorization", auth)], None)
    };
    check(me("Basic dXNlcjpwYXNz"), 401, "invalid_api_key");
    check(me("Bearer "), 401, "invalid_api_key");
    check(me("Bearer fab_short"), 401, "invalid_api_key");
    check(
        me("Bearer fab_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"),
        401,
        "invalid_api_key",
    );
    let real = w.bearer("a-user").unwrap();
    let tampered = format!("{}X", &real[..real.len() - 1]);
    check(me(&format!("Bearer {tampered}")), 401, "invalid_api_key");
    assert!(
        me("Bearer nope")
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );

    check(
        call(
            &w.app,
            Some(OPERATOR),
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": "x", "tier": "platinum"})),
            &[],
        ),
        422,
        "validation_failed",
    );
    check(
        call(
            &w.app,
            Some(OPERATOR),
            "POST",
            "/api/v1/tenants",
            Some(json!({"name": "", "tier": "demo", "extra": 1})),
            &[],
        ),
        422,
        "validation_failed",
    );
    check(
        call(
            &w.app,
            Some(OPERATOR),
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "k", "role": "root", "tenant_id": w.tenant_a})),
            &[],
        ),
        422,
        "validation_failed",
    );
    check(
        call(
            &w.app,
            Some(OPERATOR),
            "POST",
            "/api/v1/api-keys",
            Some(
                json!({"name": "k", "role": "user", "tenant_id": w.tenant_a, "expires_at": "2001-01-01T00:00:00Z"}),
            ),
            &[],
        ),
        422,
        "validation_failed",
    );
    let long_key = "k".repeat(300);
    check(
        call(
            &w.app,
            Some(&real),
            "POST",
            "/api/v1/stories",
            Some(json!({"title": "t", "premise": "p", "genre": "other"})),
            &[("idempotency-key", &long_key)],
        ),
        400,
        "invalid_idempotency_key",
    );
    check(
        w.call("a-user", "GET", "/api/v1/audit-log?cursor=garbage!", None),
        403,
        "forbidden",
    );
    check(
        w.call("a-admin", "GET", "/api/v1/audit-log?cursor=garbage!", None),
        400,
        "invalid_cursor",
    );
    check(
        w.call("a-admin", "GET", "/api/v1/api-keys?limit=1000", None),
        422,
        "validation_failed",
    );
}

#[test]
fn idempotent_create_has_exactly_one_effect_under_concurrency() {
    let w = world();
    let bearer = w.bearer("a-user").unwrap();
    let count = || ids(&w.call("a-user", "GET", "/api/v1/stories?limit=100", None)).len();
    let before = count();
    let body = json!({"title": "Once", "premise": "Only once.", "genre": "romance"});
    let responses: Vec<TestResponse> = thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                s.spawn(|| {
                    call(
                        &w.app,
                        Some(&bearer),
                        "POST",
                        "/api/v1/stories",
                        Some(body.clone()),
                        &[("idempotency-key", "create-once-1")],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(count(), before + 1, "exactly one story was created");
    let created_ids: Vec<String> = responses
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!created_ids.is_empty());
    assert!(
        created_ids.windows(2).all(|p| p[0] == p[1]),
        "replays return the same story"
    );
    for r in &responses {
        assert!(
            matches!(r.status, 201 | 409),
            "only the original, replays or in-progress: {}",
            r.text()
        );
    }
    // A later identical request replays the first response; a different body is refused.
    let replay = call(
        &w.app,
        Some(&bearer),
        "POST",
        "/api/v1/stories",
        Some(body),
        &[("idempotency-key", "create-once-1")],
    );
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()["id"], created_ids[0].as_str());
    let other = call(
        &w.app,
        Some(&bearer),
        "POST",
        "/api/v1/stories",
        Some(json!({"title": "Different", "premise": "P", "genre": "romance"})),
        &[("idempotency-key", "create-once-1")],
    );
    assert_eq!(other.status, 422);
    assert_eq!(other.json()["error"]["code"], "idempotency_key_reused");
}

#[test]
fn rate_limit_admits_exactly_the_burst_under_concurrency() {
    let limits = json!({"demo": {"key": {"per_minute": 1, "burst": 5}, "tenant": {"per_minute": 1, "burst": 8}}});
    let app = TestAppBuilder::fabula()
        .variable("admin_token", OPERATOR)
        .variable("tier_limits", &limits.to_string())
        .start();
    let tenant = new_tenant(&app, "Demo", "demo");
    let (_, key1) = new_key(&app, &tenant, "user");
    let (_, key2) = new_key(&app, &tenant, "user");

    let burst = |keys: &[&str], per_key: usize| -> Vec<TestResponse> {
        thread::scope(|s| {
            let handles: Vec<_> = keys
                .iter()
                .flat_map(|k| (0..per_key).map(move |_| k))
                .map(|k| s.spawn(|| call(&app, Some(k), "GET", "/api/v1/me", None, &[])))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    // Per key: 20 parallel requests on one key, burst 5 → exactly 5 pass.
    let responses = burst(&[&key1], 20);
    let ok = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 5, "exactly the key's burst passes");
    let limited = responses
        .iter()
        .find(|r| r.status == 429)
        .expect("some are limited");
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    assert!(
        limited
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 1)
    );
    let passed = responses.iter().find(|r| r.status == 200).unwrap();
    for h in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert!(passed.header(h).is_some(), "{h} on a passing response");
    }
    // Per tenant: burst 8, 5 already used by key1 → key2 gets exactly 3 of 10.
    let responses = burst(&[&key2], 10);
    assert_eq!(
        responses.iter().filter(|r| r.status == 200).count(),
        3,
        "the tenant's bucket is shared"
    );
    // The operator is never limited.
    assert_eq!(
        call(&app, Some(OPERATOR), "GET", "/api/v1/me", None, &[]).status,
        200
    );
}
