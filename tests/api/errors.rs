use reqwest::Method;
use serde_json::json;
use sos_tests::TestApp;

async fn report_count(app: &TestApp) -> usize {
    let list = app
        .get("/v1/reports?limit=100", &app.token("tnp.leader").await)
        .await;
    list.body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn bad_bodies_get_clear_problems_and_write_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp1").await;
    let raw = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/v1/reports"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
    };
    let cases = [
        (
            raw("{\"description\": ", "application/json"),
            400,
            "malformed-body",
        ),
        (
            raw("{\"description\": \"a\"} trailing", "application/json"),
            400,
            "malformed-body",
        ),
        (
            raw("description=den", "application/x-www-form-urlencoded"),
            415,
            "unsupported-media-type",
        ),
        (
            raw("{\"description\": 12}", "application/json"),
            422,
            "validation",
        ),
        (
            raw(
                "{\"description\": \"den\", \"priority\": \"urgent\"}",
                "application/json",
            ),
            422,
            "validation",
        ),
        (
            raw(
                "{\"description\": \"den\", \"subcategory\": \"pothole\"}",
                "application/json",
            ),
            422,
            "validation",
        ),
        (
            raw(
                "{\"description\": \"den\", \"id\": \"not-a-uuid\"}",
                "application/json",
            ),
            422,
            "validation",
        ),
        (
            raw("{\"description\": \"   \"}", "application/json"),
            422,
            "validation",
        ),
        (
            raw(
                "{\"description\": \"den\", \"location\": {\"lat\": 95, \"lon\": 106}}",
                "application/json",
            ),
            422,
            "validation",
        ),
    ];
    for (request, status, problem) in cases {
        let response = app.send(Method::POST, "/v1/reports", request).await;
        assert_eq!(response.status, status, "{:?}", response.body);
        assert_eq!(response.problem(), problem);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert!(
            response.body["detail"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    let wrong_type = app
        .send(
            Method::POST,
            "/v1/reports",
            raw("{\"description\": 12}", "application/json"),
        )
        .await;
    assert_eq!(wrong_type.body["errors"][0]["field"], "/description");
    let unknown_code = app
        .send(
            Method::POST,
            "/v1/reports",
            raw(
                "{\"description\": \"den\", \"subcategory\": \"pothole\"}",
                "application/json",
            ),
        )
        .await;
    assert_eq!(unknown_code.body["errors"][0]["field"], "/subcategory");
    assert_eq!(report_count(&app).await, 0, "nothing half-written");
}

#[tokio::test]
async fn huge_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp1").await;
    let huge = json!({"description": "đ".repeat(200_000)});
    let response = app.post("/v1/reports", &token, huge).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.problem(), "payload-too-large");
    let long = app
        .post(
            "/v1/reports",
            &token,
            json!({"description": "a".repeat(4001)}),
        )
        .await;
    assert_eq!(long.status, 422);
    assert_eq!(report_count(&app).await, 0);
}

#[tokio::test]
async fn bad_ids_unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.leader").await;
    let bad_id = app.get("/v1/reports/12345", &token).await;
    assert_eq!(bad_id.status, 400);
    assert_eq!(bad_id.problem(), "bad-parameter");

    let nowhere = app.client.get(app.url("/v1/nowhere"));
    let response = app.client.execute(nowhere.build().unwrap()).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:sos-khu-pho:problem:route-not-found");

    let wrong_method = app
        .client
        .delete(app.url("/v1/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn problems_are_vietnamese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let vietnamese = app.login_response("tnp.kp1", "sai").await;
    assert_eq!(vietnamese.body["title"], "Sai tên đăng nhập hoặc mật khẩu");
    assert_eq!(vietnamese.header("content-language"), Some("vi"));
    let request = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({"username": "tnp.kp1", "password": "sai"}));
    let english = app.send(Method::POST, "/v1/auth/login", request).await;
    assert_eq!(english.status, 401);
    assert_eq!(english.body["title"], "Wrong username or password");
    assert_eq!(english.body["detail"], "Wrong username or password.");
    assert!(english.body["request_id"].is_string());
    assert_eq!(
        english.header("x-request-id"),
        english.body["request_id"].as_str()
    );
}

#[tokio::test]
async fn a_query_parameter_a_route_does_not_take_is_refused_by_name() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let unknown = app.get("/v1/deliveries?x=1", &admin).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.problem(), "bad-parameter");
    assert_eq!(unknown.body["errors"][0]["field"], "x");
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .contains("status, limit"),
        "{:?}",
        unknown.body
    );
    // A typo does not quietly give the default page.
    let typo = app
        .get(
            "/v1/reports?limt=5&status=assigned",
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(typo.status, 400);
    assert_eq!(typo.body["errors"][0]["field"], "limt");
    // Routes that take no parameter ignore a query string (a cache-buster, say).
    assert_eq!(app.get("/v1/me?_=1700000000", &admin).await.status, 200);
}
