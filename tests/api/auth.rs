use reqwest::Method;
use serde_json::json;
use sos_tests::{DEMO_PASSWORD, TestApp, TestResponse};

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

/// An access token of `who` issued `ago` before now, good for `lifetime`, signed as the service
/// signs them.
async fn token_issued(app: &TestApp, who: &str, ago: i64, lifetime: u64) -> String {
    let me = app.get("/v1/me", &app.token(who).await).await;
    let id = me.body["id"].as_str().unwrap().parse().unwrap();
    let role = me.body["role"].as_str().unwrap().parse().unwrap();
    let keys = sos_api::services::accounts::JwtKeys::new(
        sos_tests::TEST_JWT_SECRET.as_bytes(),
        std::time::Duration::from_secs(lifetime),
    );
    let issued = chrono::Utc::now() - chrono::Duration::seconds(ago);
    keys.issue(id, role, issued, None).unwrap()
}

/// The challenge of a 401: `Bearer`, with `error="invalid_token"` for a bad or old token.
fn challenge(response: &TestResponse) -> &str {
    response
        .header("www-authenticate")
        .expect("every 401 says how to authenticate")
}

#[tokio::test]
async fn each_refused_token_says_why() {
    let app = TestApp::spawn().await;
    let missing = app.request(Method::GET, "/v1/me", None, None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.problem(), "token-missing");
    assert_eq!(challenge(&missing), r#"Bearer realm="sos-khu-pho""#);
    let basic = app
        .send(
            Method::GET,
            "/v1/me",
            app.client
                .get(app.url("/v1/me"))
                .header("authorization", "Basic dG5wLmtwMTpzb3MtZGVtbw=="),
        )
        .await;
    assert_eq!(basic.problem(), "token-missing", "not a bearer token");

    let garbage = app.get("/v1/me", "not.a.jwt").await;
    assert_eq!(garbage.status, 401);
    assert_eq!(garbage.problem(), "token-invalid");
    assert!(
        challenge(&garbage).starts_with(r#"Bearer realm="sos-khu-pho", error="invalid_token""#),
        "{}",
        challenge(&garbage)
    );
    let mut token = app.token("tnp.kp1").await;
    token.pop();
    let tampered = app.get("/v1/me", &token).await;
    assert_eq!(tampered.status, 401, "tampered signature");
    assert_eq!(tampered.problem(), "token-invalid");

    // Past its expiry by more than the few seconds of leeway: expired, refresh it.
    let old = token_issued(&app, "tnp.kp1", 100, 60).await;
    let expired = app.get("/v1/me", &old).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.problem(), "token-expired");
    assert!(
        challenge(&expired).starts_with(r#"Bearer realm="sos-khu-pho", error="invalid_token""#),
        "{}",
        challenge(&expired)
    );
    // Two seconds past it, within the leeway for clocks that differ: still good.
    let barely = token_issued(&app, "tnp.kp1", 62, 60).await;
    assert_eq!(app.get("/v1/me", &barely).await.status, 200);
    // Thirty seconds past it (accepted before the leeway was cut): refused.
    let late = token_issued(&app, "tnp.kp1", 90, 60).await;
    assert_eq!(app.get("/v1/me", &late).await.problem(), "token-expired");
}

#[tokio::test]
async fn a_wrong_password_is_bad_credentials_and_a_spent_session_has_ended() {
    let app = TestApp::spawn().await;
    let wrong = app.login_response("tnp.kp1", "sos-demo!").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.problem(), "bad-credentials");
    assert_eq!(challenge(&wrong), r#"Bearer realm="sos-khu-pho""#);

    let unknown = app
        .request(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "never-issued"})),
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.problem(), "session-ended");
    assert_eq!(challenge(&unknown), r#"Bearer realm="sos-khu-pho""#);

    // A deactivated account's access token: the session is over, not the token broken.
    let token = app.token("tnp.kp5").await;
    let id = app.get("/v1/me", &token).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.token("admin").await;
    let off = app
        .request(
            Method::PATCH,
            &format!("/v1/accounts/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200);
    let ended = app.get("/v1/me", &token).await;
    assert_eq!(ended.status, 401);
    assert_eq!(ended.problem(), "session-ended");
}

async fn refresh(app: &TestApp, token: &str) -> TestResponse {
    app.request(
        Method::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

fn refresh_token(pair: &TestResponse) -> String {
    assert_eq!(pair.status, 200, "{:?}", pair.body);
    pair.body["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let app = TestApp::spawn().await;
    let login = app.login_response("tnp.infra", DEMO_PASSWORD).await;
    let first = refresh_token(&login);
    let rotated = refresh(&app, &first).await;
    let second = refresh_token(&rotated);
    assert_ne!(first, second);
    assert_eq!(
        app.get("/v1/me", rotated.body["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );
    let third = refresh_token(&refresh(&app, &second).await);

    // Someone replays the first token after its successor was used: it was copied, and the
    // whole family dies, the legitimate holder too.
    let replayed = refresh(&app, &first).await;
    assert_eq!(replayed.status, 401);
    assert_eq!(replayed.problem(), "session-ended");
    assert_eq!(refresh(&app, &third).await.problem(), "session-ended");
}

/// The phone sent its refresh token and lost the answer: sent again within a minute, the
/// token brings back the same pair, on whichever replica the retry reaches.
#[tokio::test]
async fn a_refresh_sent_again_within_a_minute_gets_the_same_pair_on_any_replica() {
    let app = TestApp::spawn().await;
    let other = app.replica().await;
    let first = refresh_token(&app.login_response("tnp.kp1", DEMO_PASSWORD).await);
    let lost = refresh(&app, &first).await;
    assert_eq!(lost.status, 200);
    let again = refresh(&other, &first).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["access_token"], lost.body["access_token"]);
    assert_eq!(again.body["refresh_token"], lost.body["refresh_token"]);
    assert!(
        again.body["expires_in"].as_u64().unwrap() <= lost.body["expires_in"].as_u64().unwrap()
    );
    let token = again.body["access_token"].as_str().unwrap();
    assert_eq!(other.get("/v1/me", token).await.status, 200);

    // The pair is the session's: its refresh token goes on rotating as usual.
    let next = refresh(&other, &refresh_token(&again)).await;
    assert_eq!(next.status, 200);
    // Two copies of one refresh racing each other get one pair between them.
    let racing = refresh_token(&next);
    let (a, b) = tokio::join!(refresh(&app, &racing), refresh(&other, &racing));
    assert_eq!(
        (a.status, b.status),
        (200, 200),
        "{:?} {:?}",
        a.body,
        b.body
    );
    assert_eq!(a.body["refresh_token"], b.body["refresh_token"]);
    assert_eq!(a.body["access_token"], b.body["access_token"]);
}

/// After the minute of grace, a spent token presented again is a copy: the session ends.
#[tokio::test]
async fn a_refresh_sent_again_after_the_grace_revokes_the_session() {
    let clock = sos_api::clock::Clock::pinned(chrono::Utc::now());
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let first = refresh_token(&app.login_response("tnp.kp2", DEMO_PASSWORD).await);
    let lost = refresh(&app, &first).await;
    let successor = refresh_token(&lost);

    let grace = sos_api::services::accounts::REFRESH_GRACE_SECONDS;
    clock.set(app.services.clock.now() + chrono::Duration::seconds(grace - 1));
    let again = refresh(&app, &first).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["refresh_token"], successor.as_str());
    assert_eq!(again.body["access_token"], lost.body["access_token"]);
    assert_eq!(
        again.body["expires_in"].as_u64().unwrap(),
        lost.body["expires_in"].as_u64().unwrap() - (grace as u64 - 1),
        "the access token ends when it ended"
    );

    clock.set(app.services.clock.now() + chrono::Duration::seconds(2));
    let late = refresh(&app, &first).await;
    assert_eq!(late.status, 401);
    assert_eq!(late.problem(), "session-ended");
    assert_eq!(
        refresh(&app, &successor).await.problem(),
        "session-ended",
        "the whole session is revoked"
    );
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
