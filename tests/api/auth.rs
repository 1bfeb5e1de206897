use reqwest::Method;
use serde_json::json;
use sos_tests::{DEMO_PASSWORD, TestApp};

#[tokio::test]
async fn a_head_signs_in_and_sees_their_ward_and_neighborhood() {
    let app = TestApp::spawn().await;
    let login = app.login_response("tnp.kp1", DEMO_PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.body["token_type"], "Bearer");
    assert!(login.body["expires_in"].as_u64().unwrap() <= 900);
    let token = login.body["access_token"].as_str().unwrap();
    let me = app.get("/v1/me", token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "tnp.kp1");
    assert_eq!(me.body["role"], "neighborhood_head");
    assert_eq!(me.body["ward"]["code"], 26842);
    assert_eq!(me.body["ward"]["name"], "Phường Tăng Nhơn Phú");
    assert_eq!(me.body["neighborhood"]["code"], "kp1");
    assert!(me.body["department"].is_null());

    let staff = app.get("/v1/me", &app.token("xh.police").await).await;
    assert_eq!(staff.body["ward"]["code"], 27139);
    assert_eq!(staff.body["department"]["code"], "ward_police");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let wrong = app.login_response("tnp.kp1", "sos-demo!").await;
    let unknown = app.login_response("nobody", DEMO_PASSWORD).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    // Usernames are not case-sensitive on a phone keyboard.
    assert_eq!(
        app.login_response("TNP.KP1", DEMO_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let app = TestApp::spawn().await;
    let missing = app.request(Method::GET, "/v1/me", None, None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.problem(), "unauthorized");
    let garbage = app.get("/v1/me", "not.a.jwt").await;
    assert_eq!(garbage.status, 401);
    let mut token = app.token("tnp.kp1").await;
    token.pop();
    assert_eq!(
        app.get("/v1/me", &token).await.status,
        401,
        "tampered signature"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let app = TestApp::spawn().await;
    let login = app.login_response("tnp.infra", DEMO_PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();
    let app = &app;
    let refresh = |token: String| async move {
        app.request(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await
    };
    let rotated = refresh(first.clone()).await;
    assert_eq!(rotated.status, 200);
    let second = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(
        app.get("/v1/me", rotated.body["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );

    // Someone replays the first token: the whole family dies, the legitimate holder too.
    assert_eq!(refresh(first).await.status, 401);
    assert_eq!(refresh(second).await.status, 401);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let login = app.login_response("tnp.kp2", DEMO_PASSWORD).await;
    let token = login.body["refresh_token"].as_str().unwrap().to_owned();
    let out = app
        .request(
            Method::POST,
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": token.clone()})),
        )
        .await;
    assert_eq!(out.status, 204);
    let again = app
        .request(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = TestApp::spawn_with(|s| s.login_attempts_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.login_response("tnp.kp3", "guess").await.status, 401);
    }
    let limited = app.login_response("tnp.kp3", DEMO_PASSWORD).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.problem(), "rate-limited");
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // Another account is not locked out by someone guessing at this one.
    assert_eq!(
        app.login_response("tnp.kp4", DEMO_PASSWORD).await.status,
        200
    );
}
