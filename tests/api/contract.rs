use reqwest::Method;
use serde_json::json;
use sos_tests::{TestApp, spec};
use std::collections::BTreeSet;

#[test]
fn the_router_and_the_spec_list_the_same_operations() {
    let router: BTreeSet<(String, String)> = sos_api::http::routes::table()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path.to_owned()))
        .collect();
    let documented: BTreeSet<(String, String)> = spec::operations().into_iter().collect();
    let undocumented: Vec<_> = router.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&router).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "operations of openapi.yaml without a route: {unserved:?}"
    );
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    for (method, template) in spec::operations() {
        let operation = &spec::SPEC["paths"][&template][method.to_lowercase()];
        assert!(
            operation["operationId"].is_string(),
            "{method} {template}: operationId"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.contains_key("500"), "{method} {template}: 500");
        let public = [
            "/healthz",
            "/readyz",
            "/v1/auth/login",
            "/v1/auth/refresh",
            "/v1/auth/logout",
            "/v1/taxonomy",
            "/v1/app",
            "/dashboard",
            "/console",
            "/console/{file}",
            "/console/vendor/{file}",
        ];
        if !public.contains(&template.as_str()) {
            assert!(responses.contains_key("401"), "{method} {template}: 401");
        }
        if template.contains("{id}") {
            assert!(responses.contains_key("404"), "{method} {template}: 404");
        }
    }
}

/// Every documented operation is really served: a request to it never falls through to the
/// router's "no such route" or "method not allowed" answers. The harness also checks that
/// whatever comes back is documented for that operation.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    for (method, template) in spec::operations() {
        let path = template
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{code}", "ward_office")
            .replace("{subcategory}", "noise")
            .replace("{priority}", "normal")
            .replace("{date}", "2031-01-01")
            .replace("{file}", "leaflet.js");
        let method: Method = method.parse().unwrap();
        let body = if method == Method::GET {
            None
        } else {
            Some(json!({}))
        };
        let response = app.request(method.clone(), &path, Some(&token), body).await;
        assert_ne!(response.status, 405, "{method} {template}");
        assert_ne!(response.problem(), "route-not-found", "{method} {template}");
    }
}

/// The query parameters each route takes (`http::query::TABLE`, which the extractor enforces)
/// are exactly those `openapi.yaml` gives its operation, and every operation that takes any
/// documents the 400 that refuses the others.
#[test]
fn the_query_parameters_of_each_route_are_those_of_the_spec() {
    use sos_api::http::query;
    let mut taking = BTreeSet::new();
    for (method, template) in spec::operations() {
        let documented: BTreeSet<String> = spec::query_parameters(&method, &template)
            .into_iter()
            .collect();
        let allowed: BTreeSet<String> = query::allowed(&method, &template)
            .unwrap_or_default()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(
            allowed, documented,
            "{method} {template}: http::query::TABLE (left) and openapi.yaml (right)"
        );
        if documented.is_empty() {
            assert!(
                query::allowed(&method, &template).is_none(),
                "{method} {template}: listed with no parameter"
            );
            continue;
        }
        taking.insert((method.clone(), template.clone()));
        let refusal =
            &spec::SPEC["paths"][&template][method.to_lowercase()]["responses"]["400"]["$ref"];
        assert!(
            [
                "#/components/responses/BadParameter",
                "#/components/responses/BadRequest"
            ]
            .contains(&refusal.as_str().unwrap_or("")),
            "{method} {template}: the 400 for a parameter it does not take, not {refusal}"
        );
    }
    let listed: BTreeSet<(String, String)> = query::TABLE
        .iter()
        .map(|(m, r, _)| (m.to_string(), r.to_string()))
        .collect();
    assert_eq!(
        listed, taking,
        "routes of http::query::TABLE not in openapi.yaml"
    );
}

/// Every operation is asked with a parameter no route takes: those with query parameters
/// refuse it, naming it; those without ignore it. Then with every parameter it takes, empty:
/// none is refused as unknown, so the table and the handlers agree.
#[tokio::test]
async fn every_operation_refuses_the_query_parameters_it_does_not_take() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    for (method, template) in spec::operations() {
        let id = uuid::Uuid::now_v7().to_string();
        let path = template
            .replace("{id}", &id)
            .replace("{photo_id}", &id)
            .replace("{neighborhood_id}", &id)
            .replace("{webhook_id}", &id)
            .replace("{variant}", "thumb")
            .replace("{token}", "a-phone")
            .replace("{code}", "ward_office")
            .replace("{subcategory}", "noise")
            .replace("{priority}", "normal")
            .replace("{date}", "2031-01-01")
            .replace("{file}", "leaflet.js");
        assert!(!path.contains('{'), "{path}");
        let takes = spec::query_parameters(&method, &template);
        let method: Method = method.parse().unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let ask = |query: String| {
            let (method, body) = (method.clone(), body.clone());
            let (app, token, path) = (&app, &token, &path);
            async move {
                app.request(method, &format!("{path}?{query}"), Some(token), body)
                    .await
            }
        };
        let unknown = ask("sos_unknown=1".into()).await;
        assert_ne!(
            unknown.status, 500,
            "{method} {template}: {:?}",
            unknown.body
        );
        let refused = unknown.status == 400 && unknown.body["errors"][0]["field"] == "sos_unknown";
        if takes.is_empty() {
            assert!(
                !refused,
                "{method} {template}: takes no parameter, ignores a query"
            );
            continue;
        }
        assert!(
            refused,
            "{method} {template}: {} {:?}",
            unknown.status, unknown.body
        );
        assert_eq!(unknown.body["errors"][0]["field"], "sos_unknown");
        assert!(
            unknown.body["detail"].as_str().unwrap().contains(&takes[0]),
            "says what it takes: {:?}",
            unknown.body
        );
        let every: Vec<String> = takes.iter().map(|name| format!("{name}=")).collect();
        let known = ask(every.join("&")).await;
        assert_ne!(
            known.status, 400,
            "{method} {template}: a parameter of the spec refused: {:?}",
            known.body
        );
    }
}

#[tokio::test]
async fn health_and_taxonomy_are_public() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.request(Method::GET, "/readyz", None, None).await.status,
        200
    );
    let taxonomy = app.request(Method::GET, "/v1/taxonomy", None, None).await;
    assert_eq!(taxonomy.status, 200);
    let categories = taxonomy.body["categories"].as_array().unwrap();
    assert_eq!(categories.len(), 4);
    let subcategories: usize = categories
        .iter()
        .map(|c| c["subcategories"].as_array().unwrap().len())
        .sum();
    assert_eq!(subcategories, 20);
    assert_eq!(categories[0]["label"], "Hạ tầng");
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.request(Method::GET, "/readyz", None, None).await.status,
        200
    );
    // The harness shares the service's pool: closing it is the database going away.
    app.db.clone().close().await.unwrap();
    let down = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(down.status, 503);
    assert_eq!(down.problem(), "unavailable");
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200,
        "alive, though not ready"
    );
}

#[tokio::test]
async fn the_service_stops_when_asked_and_lets_go_of_its_port() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200
    );
    app.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after stop"
    );
}

/// Every instant the service writes has one form: RFC 3339 in UTC with six fractional digits
/// and `Z`, whatever precision and offset it was given in or computed with. (The harness holds
/// every `format: date-time` of every response to it; this test shows the usual suspects.)
#[tokio::test]
async fn every_instant_is_written_in_utc_with_six_fractional_digits() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 12, toi om"}),
        )
        .await;
    let id = report["id"].as_str().unwrap();
    let detail = app
        .get(&format!("/v1/reports/{id}"), &app.token("tnp.kp1").await)
        .await;
    let deadlines = &detail.body["deadlines"];
    let mut instants = vec![
        &detail.body["created_at"],
        &detail.body["updated_at"],
        &deadlines["acknowledge"]["due_at"],
        &deadlines["resolve"]["due_at"],
        &deadlines["ward_resolve"]["due_at"],
        &detail.body["timeline"][0]["created_at"],
    ];
    let leader = app.token("tnp.leader").await;
    // Given with an offset and nanoseconds, answered in UTC with microseconds.
    let summary = app
        .get(
            "/v1/stats/summary?from=2026-03-01T00:00:00.123456789%2B07:00&to=2026-03-31T00:00:00Z",
            &leader,
        )
        .await;
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    assert_eq!(summary.body["from"], "2026-02-28T17:00:00.123456Z");
    assert_eq!(summary.body["to"], "2026-03-31T00:00:00.000000Z");
    let defaults = app.get("/v1/stats/summary", &leader).await;
    instants.extend([&defaults.body["from"], &defaults.body["to"]]);
    let inbox = app
        .get("/v1/notifications", &app.token("tnp.kp1").await)
        .await;
    instants.push(&inbox.body["items"][0]["created_at"]);
    for instant in instants {
        let text = instant.as_str().unwrap_or_else(|| panic!("{instant}"));
        assert!(spec::is_timestamp(text), "{text}");
    }
}

#[tokio::test]
async fn the_app_reads_the_limits_it_is_held_to_and_what_a_picker_draws() {
    let app = TestApp::spawn().await;
    let settings = app.request(Method::GET, "/v1/app", None, None).await;
    assert_eq!(settings.status, 200, "{:?}", settings.body);
    assert_eq!(settings.body["min_app_version"], serde_json::Value::Null);
    let limits = &settings.body["limits"];
    let most = limits["description_max_chars"].as_u64().unwrap() as usize;
    let head = app.token("tnp.kp1").await;
    let text = |n: usize| {
        let start = "Rác chưa thu gom ở hẻm 5 ";
        start.to_owned() + &"x".repeat(n - start.chars().count())
    };
    let longest = app
        .post("/v1/reports", &head, json!({"description": text(most)}))
        .await;
    assert_eq!(longest.status, 201, "the limit read is accepted");
    let longer = app
        .post("/v1/reports", &head, json!({"description": text(most + 1)}))
        .await;
    assert_eq!(longer.status, 422, "one more is refused");
    assert_eq!(limits["photos_per_kind"], 5);

    let taxonomy = app.request(Method::GET, "/v1/taxonomy", None, None).await;
    let mut orders = BTreeSet::new();
    for category in taxonomy.body["categories"].as_array().unwrap() {
        for sub in category["subcategories"].as_array().unwrap() {
            assert!(orders.insert(sub["order"].as_u64().unwrap()), "{sub}");
            assert!(!sub["icon"].as_str().unwrap().is_empty(), "{sub}");
            // Each example shown is what the service files under that subcategory.
            for example in sub["examples"].as_array().unwrap() {
                let guess = app
                    .post("/v1/classify", &head, json!({"text": example}))
                    .await;
                assert_eq!(guess.body["subcategory"], sub["code"], "{example}");
            }
        }
    }
    assert_eq!(orders.len(), 20);
}

#[tokio::test]
async fn an_app_older_than_the_minimum_is_told_to_update_by_every_answer() {
    let app = TestApp::spawn_with(|s| s.min_app_version = Some("2.1.0".parse().unwrap())).await;
    let from = |version: Option<&'static str>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url("/v1/taxonomy"));
            if let Some(version) = version {
                request = request.header("x-app-version", version);
            }
            app.send(Method::GET, "/v1/taxonomy", request).await
        }
    };
    let old = from(Some("2.0.9")).await;
    assert_eq!(old.status, 426);
    assert_eq!(old.problem(), "app-too-old");
    assert_eq!(old.header("x-min-app-version"), Some("2.1.0"));
    assert_eq!(from(Some("not a version")).await.status, 426);
    let current = from(Some("2.1.0")).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.header("x-min-app-version"), Some("2.1.0"));
    assert_eq!(
        from(None).await.status,
        200,
        "the dashboard and scripts name no version"
    );
    let settings = app.request(Method::GET, "/v1/app", None, None).await;
    assert_eq!(settings.body["min_app_version"], "2.1.0");
}
