//! Going live: administrators put a ward's people into the service (accounts with one-time
//! passwords, deactivation, handover of a neighborhood), each person chooses their password,
//! and every change and sign-in is in the ward's log. Also a new installation's first
//! administrator, made by the operator at the command line.

use reqwest::Method;
use serde_json::{Value, json};
use sos_tests::smtp::SmtpServer;
use sos_tests::{TestApp, TestResponse};
use std::time::Duration;

/// A password people could choose: long, not a pattern, not their name.
const OWN_PASSWORD: &str = "cây me trước nhà số 12 nghiêng";

/// The id of the item of `items` (neighborhoods, departments) with `code`.
fn id_of(items: &Value, code: &str) -> String {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no {code}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The ids of a ward and of one of its neighborhoods and departments, as `who` reads them.
async fn places(app: &TestApp, who: &str, kp: &str, department: &str) -> (String, String, String) {
    let token = app.token(who).await;
    let ward = app.ward_id(who).await;
    let kps = app
        .get(&format!("/v1/wards/{ward}/neighborhoods"), &token)
        .await;
    let departments = app
        .get(&format!("/v1/wards/{ward}/departments"), &token)
        .await;
    (
        ward,
        id_of(&kps.body, kp),
        id_of(&departments.body, department),
    )
}

async fn create(app: &TestApp, admin: &str, body: Value) -> TestResponse {
    app.post("/v1/accounts", &app.token(admin).await, body)
        .await
}

/// Makes a head of `kp` in Tăng Nhơn Phú as its administrator; returns the account and its
/// one-time password.
async fn new_head(
    app: &TestApp,
    username: &str,
    kp: &str,
    replaces: Option<&str>,
) -> (Value, String) {
    let (ward, kp, _) = places(app, "tnp.admin", kp, "ward_office").await;
    let created = create(
        app,
        "tnp.admin",
        json!({
            "username": username, "display_name": "Nguyễn Văn Tư", "role": "neighborhood_head",
            "ward_id": ward, "neighborhood_id": kp, "phone": "0912 345 678", "replaces": replaces,
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let password = created.body["initial_password"]
        .as_str()
        .unwrap()
        .to_owned();
    (created.body, password)
}

/// Signs in with the one-time password and chooses [`OWN_PASSWORD`]; returns a token.
async fn first_sign_in(app: &TestApp, username: &str, one_time: &str) -> String {
    let first = app.login_response(username, one_time).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["password_change_required"], true);
    let token = first.body["access_token"].as_str().unwrap().to_owned();
    let changed = app
        .put(
            "/v1/me/password",
            &token,
            json!({"current_password": one_time, "new_password": OWN_PASSWORD}),
        )
        .await;
    assert_eq!(changed.status, 204, "{:?}", changed.body);
    token
}

#[tokio::test]
async fn a_new_head_must_choose_a_password_before_anything_else() {
    let app = TestApp::spawn().await;
    let (account, one_time) = new_head(&app, "tnp.kp1.moi", "kp1", None).await;
    assert_eq!(account["phone"], "+84912345678");
    assert_eq!(account["must_change_password"], true);
    assert_eq!(account["username"], "tnp.kp1.moi");

    let signed_in = app.login_response("tnp.kp1.moi", &one_time).await;
    let token = signed_in.body["access_token"].as_str().unwrap().to_owned();
    let refused = app.get("/v1/reports", &token).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.problem(), "password-change-required");
    let me = app.get("/v1/me", &token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["must_change_password"], true);
    assert_eq!(me.body["neighborhood"]["code"], "kp1");

    for (weak, why) in [
        ("ngan", "short"),
        ("1234567890", "a sequence"),
        ("password123", "common"),
        ("tnpkp1moi2025", "the username"),
    ] {
        let answer = app
            .put(
                "/v1/me/password",
                &token,
                json!({"current_password": one_time, "new_password": weak}),
            )
            .await;
        assert_eq!(answer.status, 422, "{why}");
        assert_eq!(answer.body["errors"][0]["field"], "/new_password", "{why}");
    }
    let wrong_current = app
        .put(
            "/v1/me/password",
            &token,
            json!({"current_password": "not it at all", "new_password": OWN_PASSWORD}),
        )
        .await;
    assert_eq!(wrong_current.status, 422);
    assert_eq!(
        wrong_current.body["errors"][0]["field"],
        "/current_password"
    );

    let token = first_sign_in(&app, "tnp.kp1.moi", &one_time).await;
    assert_eq!(app.get("/v1/reports", &token).await.status, 200);
    let filed = app
        .post(
            "/v1/reports",
            &token,
            json!({"description": "den duong hu dau hem 5"}),
        )
        .await;
    assert_eq!(filed.status, 201);
    assert_eq!(
        app.login_response("tnp.kp1.moi", &one_time).await.status,
        401,
        "the one-time password is gone"
    );
    let again = app.login_response("tnp.kp1.moi", OWN_PASSWORD).await;
    assert_eq!(again.body["password_change_required"], false);
}

#[tokio::test]
async fn administrators_reach_only_the_accounts_of_what_they_administer() {
    let app = TestApp::spawn().await;
    let (tnp, kp1, infra) = places(&app, "tnp.admin", "kp1", "economy_infrastructure").await;
    let (xh, xh_kp1, _) = places(&app, "xh.admin", "kp1", "ward_office").await;
    let departments = app
        .get(
            &format!("/v1/wards/{tnp}/departments"),
            &app.token("tnp.admin").await,
        )
        .await;
    let power = id_of(&departments.body, "power_utility");
    let head = |ward: &str, kp: &str| {
        json!({"username": "new.head", "display_name": "Trưởng khu phố mới",
               "role": "neighborhood_head", "ward_id": ward, "neighborhood_id": kp})
    };

    // Another ward, or a city-wide account: not a ward administrator's.
    for (body, why) in [
        (head(&xh, &xh_kp1), "another ward"),
        (
            json!({"username": "city.two", "display_name": "Lãnh đạo", "role": "city_leader"}),
            "a city leader",
        ),
        (
            json!({"username": "root.two", "display_name": "Quản trị", "role": "admin"}),
            "a city admin",
        ),
    ] {
        let answer = create(&app, "tnp.admin", body).await;
        assert_eq!(answer.status, 403, "{why}: {:?}", answer.body);
    }
    // People who administer nothing are refused before their body is read.
    for who in ["tnp.leader", "tnp.kp1", "city.leader", "tnp.infra"] {
        let answer = create(&app, who, head(&tnp, &kp1)).await;
        assert_eq!(answer.status, 403, "{who}");
        assert_eq!(
            app.get("/v1/accounts", &app.token(who).await).await.status,
            403,
            "{who}"
        );
    }
    // What does not fit: a neighborhood of another ward, an outside agency, a role without
    // its place, a bad phone, a username taken.
    let cases = [
        (head(&tnp, &xh_kp1), "/neighborhood_id"),
        (
            json!({"username": "dien.luc", "display_name": "Điện lực", "role": "department_staff",
                "ward_id": tnp, "department_id": power}),
            "/department_id",
        ),
        (
            json!({"username": "no.place", "display_name": "Cán bộ", "role": "department_staff",
                "ward_id": tnp}),
            "/department_id",
        ),
        (
            json!({"username": "Bad Name!", "display_name": "X", "role": "ward_leader", "ward_id": tnp}),
            "/username",
        ),
        (
            json!({"username": "bad.phone", "display_name": "X", "role": "ward_leader", "ward_id": tnp,
                "phone": "12345"}),
            "/phone",
        ),
        (
            json!({"username": "two.lines", "display_name": "X\r\nBcc: a@b.c", "role": "ward_leader",
                "ward_id": tnp}),
            "/display_name",
        ),
    ];
    for (body, field) in cases {
        let answer = create(&app, "tnp.admin", body.clone()).await;
        assert_eq!(answer.status, 422, "{body}");
        assert_eq!(answer.body["errors"][0]["field"], field, "{body}");
    }
    let taken = create(
        &app,
        "tnp.admin",
        json!({"username": "TNP.KP2", "display_name": "X", "role": "ward_leader", "ward_id": tnp}),
    )
    .await;
    assert_eq!(taken.status, 409);
    // Staff of a department of the ward are fine; the city's administrator makes anyone.
    let staff = create(
        &app,
        "tnp.admin",
        json!({"username": "tnp.infra2", "display_name": "Cán bộ hạ tầng", "role": "department_staff",
               "ward_id": tnp, "department_id": infra}),
    )
    .await;
    assert_eq!(staff.status, 201, "{:?}", staff.body);
    let city = create(
        &app,
        "admin",
        json!({"username": "city.two", "display_name": "Lãnh đạo Thành phố", "role": "city_leader"}),
    )
    .await;
    assert_eq!(city.status, 201);

    // Reading and changing follow the same rule: another ward's account does not exist.
    let xh_head = app
        .get("/v1/accounts?q=xh.kp1", &app.token("xh.admin").await)
        .await;
    let xh_head_id = xh_head.body["items"][0]["id"].as_str().unwrap().to_owned();
    let tnp_admin = app.token("tnp.admin").await;
    assert_eq!(
        app.get(&format!("/v1/accounts/{xh_head_id}"), &tnp_admin)
            .await
            .status,
        404
    );
    let moved = app
        .request(
            Method::PATCH,
            &format!("/v1/accounts/{}", staff.body["id"].as_str().unwrap()),
            Some(&tnp_admin),
            Some(json!({"ward_id": xh, "role": "ward_leader", "department_id": null})),
        )
        .await;
    assert_eq!(moved.status, 403, "not into another ward");
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_everywhere_at_once() {
    let app = TestApp::spawn().await;
    let signed_in = app
        .login_response("tnp.kp2", sos_tests::DEMO_PASSWORD)
        .await;
    let token = signed_in.body["access_token"].as_str().unwrap().to_owned();
    let refresh = signed_in.body["refresh_token"].as_str().unwrap().to_owned();
    let mut stream = app.stream(&token, None, "Notification").await;
    let admin = app.token("tnp.admin").await;
    let found = app.get("/v1/accounts?q=tnp.kp2", &admin).await;
    let id = found.body["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/accounts/{id}");

    let off = app
        .request(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, 200);
    assert_eq!(off.body["active"], false);
    assert!(
        stream.ends_within(Duration::from_secs(5)).await,
        "its stream ends"
    );
    assert_eq!(app.get("/v1/me", &token).await.status, 401);
    let refreshed = app
        .request(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(refreshed.status, 401);
    assert_eq!(
        app.login_response("tnp.kp2", sos_tests::DEMO_PASSWORD)
            .await
            .status,
        401
    );

    let on = app
        .request(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(on.status, 200);
    assert_eq!(
        app.login_response("tnp.kp2", sos_tests::DEMO_PASSWORD)
            .await
            .status,
        200
    );
    // An administrator does not lock themselves out.
    let me = app.get("/v1/me", &admin).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let myself = app
        .request(
            Method::PATCH,
            &format!("/v1/accounts/{me}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(myself.status, 409);
}

#[tokio::test]
async fn a_new_head_takes_over_the_neighborhood_and_its_history() {
    let app = TestApp::spawn().await;
    let before = app
        .file_report("tnp.kp1", json!({"description": "rac ton dong dau hem 7"}))
        .await;
    let old_id = app.get("/v1/me", &app.token("tnp.kp1").await).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, one_time) = new_head(&app, "tnp.kp1.next", "kp1", Some(&old_id)).await;
    assert_eq!(
        app.login_response("tnp.kp1", sos_tests::DEMO_PASSWORD)
            .await
            .status,
        401,
        "the old head is deactivated"
    );
    let token = first_sign_in(&app, "tnp.kp1.next", &one_time).await;
    let history = app
        .get(
            &format!("/v1/reports/{}", before["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(history.status, 200, "the neighborhood's history");

    app.act(
        "tnp.triage",
        before["id"].as_str().unwrap(),
        json!({"action": "resolve", "response": "Đã thu gom."}),
    )
    .await;
    let inbox = app.get("/v1/notifications", &token).await;
    let types: Vec<&str> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"report.resolved"), "{types:?}");

    // Only an active head of the same neighborhood is replaced.
    let kp2 = app
        .get("/v1/accounts?q=tnp.kp2", &app.token("tnp.admin").await)
        .await;
    let kp2_id = kp2.body["items"][0]["id"].as_str().unwrap().to_owned();
    let (ward, kp1, _) = places(&app, "tnp.admin", "kp1", "ward_office").await;
    let wrong = create(
        &app,
        "tnp.admin",
        json!({"username": "tnp.kp1.third", "display_name": "X", "role": "neighborhood_head",
               "ward_id": ward, "neighborhood_id": kp1, "replaces": kp2_id}),
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["errors"][0]["field"], "/replaces");
}

/// Signs in; returns the access and refresh tokens.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let answer = app.login_response(username, password).await;
    assert_eq!(answer.status, 200);
    (
        answer.body["access_token"].as_str().unwrap().to_owned(),
        answer.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// The status of a refresh with `token`.
async fn refresh(app: &TestApp, token: &str) -> u16 {
    app.request(
        Method::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
    .status
}

#[tokio::test]
async fn a_reset_ends_every_sign_in_and_a_change_ends_the_others() {
    let app = TestApp::spawn().await;
    let (account, one_time) = new_head(&app, "tnp.kp3.b", "kp3", None).await;
    first_sign_in(&app, "tnp.kp3.b", &one_time).await;
    let (phone_access, phone_refresh) = sign_in(&app, "tnp.kp3.b", OWN_PASSWORD).await;
    let (_, desk_refresh) = sign_in(&app, "tnp.kp3.b", OWN_PASSWORD).await;
    let changed = app
        .put(
            "/v1/me/password",
            &phone_access,
            json!({"current_password": OWN_PASSWORD, "new_password": "mưa to ngập đường Lê Văn Việt"}),
        )
        .await;
    assert_eq!(changed.status, 204);
    assert_eq!(
        refresh(&app, &desk_refresh).await,
        401,
        "the other sign-in ended"
    );
    assert_eq!(refresh(&app, &phone_refresh).await, 200, "this one goes on");

    let (_, refresh_token) = sign_in(&app, "tnp.kp3.b", "mưa to ngập đường Lê Văn Việt").await;
    let reset = app
        .post(
            &format!(
                "/v1/accounts/{}/password-reset",
                account["id"].as_str().unwrap()
            ),
            &app.token("tnp.admin").await,
            json!({}),
        )
        .await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.header("cache-control"), Some("no-store"));
    assert_eq!(
        refresh(&app, &refresh_token).await,
        401,
        "every sign-in ended"
    );
    let new_one_time = reset.body["initial_password"].as_str().unwrap();
    let after = app.login_response("tnp.kp3.b", new_one_time).await;
    assert_eq!(after.body["password_change_required"], true);
}

#[tokio::test]
async fn every_change_and_sign_in_is_in_the_log_of_its_ward() {
    let app = TestApp::spawn().await;
    let (account, _) = new_head(&app, "tnp.kp4.b", "kp4", None).await;
    let id = account["id"].as_str().unwrap();
    let admin = app.token("tnp.admin").await;
    let renamed = app
        .request(
            Method::PATCH,
            &format!("/v1/accounts/{id}"),
            Some(&admin),
            Some(json!({"display_name": "Nguyễn Văn Năm"})),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        app.login_response("tnp.kp4.b", "sai mật khẩu rồi")
            .await
            .status,
        401
    );

    let log = app.get(&format!("/v1/audit?target_id={id}"), &admin).await;
    assert_eq!(log.status, 200);
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["auth.sign_in_failed", "account.updated", "account.created"],
        "newest first"
    );
    let update = &log.body["items"][1];
    assert_eq!(update["actor_username"], "tnp.admin");
    assert_eq!(update["before"]["display_name"], "Nguyễn Văn Tư");
    assert_eq!(update["after"]["display_name"], "Nguyễn Văn Năm");
    assert!(update["request_id"].is_string() && update["address"] == "127.0.0.1");
    assert!(!log.body.to_string().contains("argon2"), "no password hash");

    // The ward's leader reads it too; another ward's people and heads do not.
    let leader = app
        .get(
            &format!("/v1/audit?target_id={id}"),
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(leader.body["items"].as_array().unwrap().len(), 3);
    let other = app
        .get(
            &format!("/v1/audit?target_id={id}"),
            &app.token("xh.admin").await,
        )
        .await;
    assert_eq!(other.body["items"], json!([]));
    assert_eq!(
        app.get("/v1/audit", &app.token("tnp.kp1").await)
            .await
            .status,
        403
    );
    let city = app
        .get("/v1/audit?action=account.", &app.token("admin").await)
        .await;
    assert!(!city.body["items"].as_array().unwrap().is_empty());
    let csv = app
        .get(&format!("/v1/audit.csv?target_id={id}"), &admin)
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.body.as_str().unwrap().lines().count(),
        4,
        "header and three entries"
    );
    let bad = app.get("/v1/audit?action=DROP%20TABLE", &admin).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn accounts_are_found_without_accents_and_paged() {
    let app = TestApp::spawn().await;
    let admin = app.token("tnp.admin").await;
    let heads = app
        .get(
            "/v1/accounts?role=neighborhood_head&q=truong%20khu%20pho",
            &admin,
        )
        .await;
    let names: Vec<&str> = heads.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["tnp.kp1", "tnp.kp2", "tnp.kp3", "tnp.kp4", "tnp.kp5"]
    );
    let mut seen = Vec::new();
    let mut path = "/v1/accounts?limit=4".to_owned();
    loop {
        let page = app.get(&path, &admin).await;
        for account in page.body["items"].as_array().unwrap() {
            assert!(account.get("password_hash").is_none());
            seen.push(account["username"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/accounts?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert!(seen.iter().all(|u| u.starts_with("tnp.")), "{seen:?}");
    assert_eq!(seen.len(), 12, "a leader, an admin, five staff, five heads");
    let everyone = app
        .get("/v1/accounts?limit=100", &app.token("admin").await)
        .await;
    assert!(everyone.body["items"].as_array().unwrap().len() > 20);
}

#[tokio::test]
async fn a_new_installation_has_no_account_until_the_operator_makes_the_first() {
    let app = TestApp::spawn_bare().await;
    assert_eq!(
        app.login_response("admin", sos_tests::DEMO_PASSWORD)
            .await
            .status,
        401,
        "no demo account"
    );
    let weak = operator_creates(&app, "chief", "admin12345").await;
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too easy to guess"));
    let made = operator_creates(&app, "chief", OWN_PASSWORD).await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let signed_in = app.login_response("chief", OWN_PASSWORD).await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.body["password_change_required"], false);
    let token = signed_in.body["access_token"].as_str().unwrap();
    let log = app.get("/v1/audit?action=account.created", token).await;
    assert_eq!(log.body["items"][0]["actor_username"], "(sos admin)");
}

#[tokio::test]
async fn a_city_administrator_puts_a_ward_in_service_and_its_administrator_runs_it() {
    let app = TestApp::spawn().await;
    let city = app.token("admin").await;
    // Choose a ward of Ho Chi Minh City not in service yet.
    let national = app.get("/v1/reference/wards?province_code=79", &city).await;
    let list = national.body.as_array().unwrap();
    assert_eq!(list.len(), 168);
    let ward = list.iter().find(|w| w["in_service"] == false).unwrap();
    let code = ward["code"].as_i64().unwrap();
    assert_eq!(
        app.get("/v1/reference/wards", &app.token("tnp.admin").await)
            .await
            .status,
        403
    );
    let refused = create_ward(&app, "tnp.admin", json!({"code": code})).await;
    assert_eq!(
        refused.status, 403,
        "a ward's administrator activates nothing"
    );

    let activated = create_ward(
        &app,
        "admin",
        json!({"code": code, "contact_phone": "028 3823 4567",
               "agency_emails": {"power_utility": "dienluc@example.com"}}),
    )
    .await;
    assert_eq!(activated.status, 201, "{:?}", activated.body);
    assert_eq!(activated.body["in_service"], true);
    assert_eq!(activated.body["contact_phone"], "+842838234567");
    assert_eq!(
        create_ward(&app, "admin", json!({"code": code}))
            .await
            .status,
        409
    );
    assert_eq!(
        create_ward(&app, "admin", json!({"code": 1})).await.status,
        422
    );
    let ward_id = activated.body["id"].as_str().unwrap().to_owned();
    let departments = app
        .get(&format!("/v1/wards/{ward_id}/departments"), &city)
        .await;
    assert_eq!(
        departments.body.as_array().unwrap().len(),
        8,
        "five departments, three agencies"
    );
    let routing = app
        .get(&format!("/v1/wards/{ward_id}/routing"), &city)
        .await;
    assert_eq!(routing.body["rules"].as_array().unwrap().len(), 20);

    // Its administrator, a neighborhood, a head and the triage desk: all through the API.
    let made = create(
        &app,
        "admin",
        json!({"username": "moi.admin", "display_name": "Quản trị phường mới", "role": "admin",
               "ward_id": ward_id}),
    )
    .await;
    let admin = first_sign_in(
        &app,
        "moi.admin",
        made.body["initial_password"].as_str().unwrap(),
    )
    .await;
    let kp = app
        .post(
            &format!("/v1/wards/{ward_id}/neighborhoods"),
            &admin,
            json!({"code": "kp1", "name": "Khu phố 1"}),
        )
        .await;
    assert_eq!(kp.status, 201);
    let desk = id_of(&departments.body, "ward_office");
    let mut passwords = Vec::new();
    for body in [
        json!({"username": "moi.kp1", "display_name": "Trưởng khu phố 1", "role": "neighborhood_head",
               "ward_id": ward_id, "neighborhood_id": kp.body["id"]}),
        json!({"username": "moi.triage", "display_name": "Văn phòng", "role": "department_staff",
               "ward_id": ward_id, "department_id": desk}),
    ] {
        let made = app.post("/v1/accounts", &admin, body).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        passwords.push(made.body["initial_password"].as_str().unwrap().to_owned());
    }
    let head = first_sign_in(&app, "moi.kp1", &passwords[0]).await;
    let filed = app
        .post(
            "/v1/reports",
            &head,
            json!({"description": "Rác không ai thu gom ba ngày ở đầu hẻm"}),
        )
        .await;
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(filed.body["ward"]["id"], ward_id.as_str());
    let triage = first_sign_in(&app, "moi.triage", &passwords[1]).await;
    let answered = app
        .post(
            &format!("/v1/reports/{}/actions", filed.body["id"].as_str().unwrap()),
            &triage,
            json!({"action": "resolve", "response": "Đã cho xe thu gom."}),
        )
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    let inbox = app.get("/v1/notifications", &head).await;
    assert!(inbox.body.to_string().contains("report.resolved"));
    // The ward's log tells the story, to its own administrator.
    let log = app.get("/v1/audit?limit=200", &admin).await;
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "ward.activated",
        "account.created",
        "neighborhood.created",
        "auth.signed_in",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
}

async fn create_ward(app: &TestApp, who: &str, body: Value) -> TestResponse {
    app.post("/v1/wards", &app.token(who).await, body).await
}

#[tokio::test]
async fn a_closed_ward_keeps_its_reports_and_takes_no_new_ones() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": "o ga truoc nha"}))
        .await;
    let ward = app.ward_id("tnp.kp1").await;
    let path = format!("/v1/wards/{ward}");
    let patch = |who: &'static str, body: Value| {
        let path = path.clone();
        let app = &app;
        async move {
            app.request(
                Method::PATCH,
                &path,
                Some(&app.token(who).await),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        patch("tnp.admin", json!({"active": false})).await.status,
        403
    );
    let contacts = patch(
        "tnp.admin",
        json!({"contact_email": "ubnd@tangnhonphu.example"}),
    )
    .await;
    assert_eq!(
        contacts.status, 200,
        "its own administrator keeps the contacts"
    );
    assert_eq!(
        patch("xh.admin", json!({"contact_email": "x@y.vn"}))
            .await
            .status,
        404
    );

    let closed = patch("admin", json!({"active": false})).await;
    assert_eq!(closed.body["in_service"], false);
    let refused = app
        .post(
            "/v1/reports",
            &app.token("tnp.kp1").await,
            json!({"description": "den duong hu"}),
        )
        .await;
    assert_eq!(refused.status, 409);
    let kept = app
        .get(
            &format!("/v1/reports/{}", report["id"].as_str().unwrap()),
            &app.token("tnp.kp1").await,
        )
        .await;
    assert_eq!(kept.status, 200, "its reports are kept");
    let listed = app.get("/v1/wards", &app.token("admin").await).await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == ward.as_str())
    );

    assert_eq!(patch("admin", json!({"active": true})).await.status, 200);
    app.file_report("tnp.kp1", json!({"description": "den duong hu"}))
        .await;
}

#[tokio::test]
async fn neighborhoods_are_added_closed_and_merged_with_their_history() {
    let app = TestApp::spawn().await;
    let admin = app.token("tnp.admin").await;
    let ward = app.ward_id("tnp.admin").await;
    let kps = format!("/v1/wards/{ward}/neighborhoods");
    let added = app
        .post(&kps, &admin, json!({"code": "kp6", "name": "Khu phố 6"}))
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(
        app.post(&kps, &admin, json!({"code": "kp6", "name": "Lại"}))
            .await
            .status,
        409
    );
    assert_eq!(
        app.post(&kps, &admin, json!({"code": "KP 7!", "name": "X"}))
            .await
            .status,
        422
    );
    let other_ward = app
        .post(
            &kps,
            &app.token("xh.admin").await,
            json!({"code": "kp9", "name": "X"}),
        )
        .await;
    assert_eq!(other_ward.status, 404);

    // Khu phố 5 (the southern band of the demo shapes) has a head and a report.
    let list = app.get(&kps, &admin).await;
    let (kp4, kp5) = (id_of(&list.body, "kp4"), id_of(&list.body, "kp5"));
    let old = app
        .file_report("tnp.kp5", json!({"description": "cay nga chan duong", "location": {"lat": 10.836, "lon": 106.79}}))
        .await;
    assert_eq!(old["neighborhood"]["code"], "kp5");
    let close = app
        .request(
            Method::PATCH,
            &format!("{kps}/{kp5}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(close.status, 409, "it still has a head");

    let merge = |body: Value| {
        let path = format!("{kps}/{kp5}/merge");
        let admin = admin.clone();
        let app = &app;
        async move { app.post(&path, &admin, body).await }
    };
    // The ward's day, not UTC's: between 17:00 and 24:00 UTC it is already tomorrow there.
    let today = sos_api::clock::Clock::system().today();
    assert_eq!(
        merge(json!({"into": kp5, "from": today})).await.status,
        422,
        "into itself"
    );
    let tomorrow = today + chrono::Duration::days(1);
    assert_eq!(
        merge(json!({"into": kp4, "from": tomorrow})).await.status,
        422,
        "in the future"
    );
    let merged = merge(json!({"into": kp4, "from": today})).await;
    assert_eq!(merged.status, 200, "{:?}", merged.body);
    assert_eq!(merged.body["reports_moved"], 1);
    assert_eq!(merged.body["heads_moved"], 1);
    assert_eq!(merged.body["neighborhood"]["active"], false);
    assert_eq!(merge(json!({"into": kp4, "from": today})).await.status, 409);

    // The head of Khu phố 4 now sees Khu phố 5's history; the former head of 5 is in 4; a
    // position in 5's old boundary belongs to 4.
    let history = app
        .get(
            &format!("/v1/reports/{}", old["id"].as_str().unwrap()),
            &app.token("tnp.kp4").await,
        )
        .await;
    assert_eq!(history.status, 200);
    assert_eq!(history.body["neighborhood"]["code"], "kp4");
    let me = app.get("/v1/me", &app.token("tnp.kp5").await).await;
    assert_eq!(me.body["neighborhood"]["code"], "kp4");
    let placed = app
        .file_report("tnp.kp1", json!({"description": "den duong hu", "location": {"lat": 10.836, "lon": 106.79, "accuracy_m": 5.0}}))
        .await;
    assert_eq!(placed["neighborhood"]["code"], "kp4");
    let log = app.get(&format!("/v1/audit?target_id={kp5}"), &admin).await;
    assert_eq!(log.body["items"][0]["action"], "neighborhood.merged");
}

/// Runs `sos admin create-user` against the app's database, the password on standard input.
async fn operator_creates(app: &TestApp, username: &str, password: &str) -> std::process::Output {
    let url = app.database_url().to_owned();
    let (username, password) = (username.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(sos_tests::server_binary())
            .args(["admin", "create-user", "--username", &username])
            .args(["--display-name", "Quản trị Thành phố", "--password-stdin"])
            .env("DATABASE_URL", url)
            .env("JWT_SECRET", sos_tests::TEST_JWT_SECRET)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("sos runs");
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().expect("sos ends")
    })
    .await
    .unwrap()
}

/// The ward's people as a ward office would keep them in Excel and save them as "CSV UTF-8":
/// a byte-order mark, Vietnamese headers, CRLF line ends, a name with a comma in quotes.
fn roster(extra_line: Option<&str>) -> Vec<u8> {
    let mut lines = vec!["Tên đăng nhập,Họ và tên,Vai trò,Khu phố,Đơn vị,Số điện thoại".to_owned()];
    for kp in 1..=6 {
        for n in 1..=5 {
            lines.push(format!(
                "tnp.kp{kp}.{n},\"Trần, Văn {kp}{n}\",Trưởng khu phố,Khu phố {kp},,09{kp}{n} 234 567"
            ));
        }
    }
    for (user, department) in [
        ("triage", "ward_office"),
        ("infra", "Phòng Kinh tế, Hạ tầng và Đô thị"),
        ("police", "ward_police"),
        ("order", "urban_order"),
        ("culture", "culture_society"),
    ] {
        lines.push(format!(
            "tnp.{user},Cán bộ {user},Cán bộ,,\"{department}\","
        ));
    }
    lines.extend(extra_line.map(str::to_owned));
    let text = lines.join("\r\n") + "\r\n";
    [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()
}

async fn upload_roster(
    app: &TestApp,
    token: &str,
    ward: &str,
    dry_run: bool,
    file: Vec<u8>,
) -> TestResponse {
    let path = format!("/v1/wards/{ward}/accounts/import?dry_run={dry_run}");
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(file);
    app.send(Method::POST, &path, request).await
}

#[tokio::test]
async fn from_an_empty_database_to_a_working_ward() {
    let app = TestApp::spawn_bare().await;
    let made = operator_creates(&app, "chief", OWN_PASSWORD).await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let chief = app.token_with("chief", OWN_PASSWORD).await;

    let ward = app.post("/v1/wards", &chief, json!({"code": 26842})).await;
    assert_eq!(ward.status, 201, "{:?}", ward.body);
    let ward_id = ward.body["id"].as_str().unwrap().to_owned();
    let admin = app
        .post(
            "/v1/accounts",
            &chief,
            json!({"username": "tnp.admin", "display_name": "Quản trị phường", "role": "admin",
                   "ward_id": ward_id}),
        )
        .await;
    let admin = first_sign_in(
        &app,
        "tnp.admin",
        admin.body["initial_password"].as_str().unwrap(),
    )
    .await;
    for kp in 1..=6 {
        let made = app
            .post(
                &format!("/v1/wards/{ward_id}/neighborhoods"),
                &admin,
                json!({"code": format!("kp{kp}"), "name": format!("Khu phố {kp}")}),
            )
            .await;
        assert_eq!(made.status, 201);
    }

    // A dry run names each row's problem and writes nothing; a real run with one bad row
    // writes nothing either.
    let bad_row = Some("tnp.kp9.1,Người lạ,Trưởng khu phố,Khu phố 9,,0912");
    let checked = upload_roster(&app, &admin, &ward_id, true, roster(bad_row)).await;
    assert_eq!(checked.status, 200, "{:?}", checked.body);
    assert_eq!(checked.body["valid"], 35);
    assert_eq!(checked.body["invalid"], 1);
    let wrong = &checked.body["rows"][35];
    assert_eq!(wrong["line"], 37);
    let fields: Vec<&str> = wrong["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/neighborhood", "/phone"]);
    let refused = upload_roster(&app, &admin, &ward_id, false, roster(bad_row)).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["errors"][0]["field"], "/lines/37/neighborhood");
    let none = app.get("/v1/accounts?role=neighborhood_head", &admin).await;
    assert_eq!(none.body["items"], json!([]), "nothing was written");

    let imported = upload_roster(&app, &admin, &ward_id, false, roster(None)).await;
    assert_eq!(imported.status, 201, "{:?}", imported.body);
    let created = imported.body["created"].as_array().unwrap();
    assert_eq!(created.len(), 35);
    let password_of = |username: &str| {
        created.iter().find(|a| a["username"] == username).unwrap()["initial_password"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(created[0]["display_name"], "Trần, Văn 11");
    assert_eq!(created[0]["phone"], "+84911234567");

    // A head signs in, chooses a password, files; the department answers; the head hears it.
    let head = first_sign_in(&app, "tnp.kp3.2", &password_of("tnp.kp3.2")).await;
    let filed = app
        .post(
            "/v1/reports",
            &head,
            json!({"description": "Đèn đường hư trước nhà số 5 hẻm 12"}),
        )
        .await;
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(filed.body["department"]["code"], "economy_infrastructure");
    assert_eq!(filed.body["neighborhood"]["code"], "kp3");
    let infra = first_sign_in(&app, "tnp.infra", &password_of("tnp.infra")).await;
    let answered = app
        .post(
            &format!("/v1/reports/{}/actions", filed.body["id"].as_str().unwrap()),
            &infra,
            json!({"action": "resolve", "response": "Đã thay bóng đèn."}),
        )
        .await;
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    let inbox = app.get("/v1/notifications", &head).await;
    assert!(inbox.body.to_string().contains("Đã thay bóng đèn"));

    // Each step is in the log.
    let mut actions = Vec::new();
    let mut path = "/v1/audit?limit=200".to_owned();
    loop {
        let page = app.get(&path, &chief).await;
        actions.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/audit?limit=200&cursor={cursor}"),
            None => break,
        }
    }
    let count = |action: &str| actions.iter().filter(|a| *a == action).count();
    assert_eq!(count("ward.activated"), 1);
    assert_eq!(count("neighborhood.created"), 6);
    assert_eq!(
        count("account.created"),
        1 + 1 + 35,
        "chief, ward admin, the import"
    );
    assert_eq!(count("account.password_changed"), 3);
    assert!(count("auth.signed_in") >= 4);
}

/// Imports two heads of Khu phố 1 in Tăng Nhơn Phú, one with an e-mail address.
async fn import_two_heads(app: &TestApp) -> Vec<Value> {
    let token = app.token("tnp.admin").await;
    let ward = app.ward_id("tnp.admin").await;
    let file = "Tên đăng nhập,Họ và tên,Vai trò,Khu phố,Email\r\n\
                tnp.kp1.mail,Lê Thị Mai,Trưởng khu phố,Khu phố 1,mai.le@example.com\r\n\
                tnp.kp1.paper,Phạm Văn Giấy,Trưởng khu phố,Khu phố 1,\r\n";
    let imported = upload_roster(app, &token, &ward, false, file.as_bytes().to_vec()).await;
    assert_eq!(imported.status, 201, "{:?}", imported.body);
    imported.body["created"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_one_time_password_goes_to_its_owners_mailbox_not_to_the_administrator() {
    let server = SmtpServer::start().await;
    let url = server.url.clone();
    let app = TestApp::spawn_with(|settings| settings.smtp_url = Some(url)).await;
    let created = import_two_heads(&app).await;

    assert_eq!(created[0]["username"], "tnp.kp1.mail");
    assert_eq!(created[0]["initial_password"], Value::Null);
    assert_eq!(created[0]["password_sent_to"], "mai.le@example.com");
    assert_eq!(created[1]["password_sent_to"], Value::Null);
    let shown = created[1]["initial_password"].as_str().unwrap();
    first_sign_in(&app, "tnp.kp1.paper", shown).await;

    let letters: Vec<_> = server
        .delivered()
        .into_iter()
        .filter(|m| m.to == ["mai.le@example.com"])
        .collect();
    assert_eq!(letters.len(), 1);
    let text = letters[0].plain_text().unwrap();
    assert!(text.contains("tnp.kp1.mail"), "{text}");
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("One-time password: "))
        .unwrap_or_else(|| panic!("no password in {text}"));
    assert!(
        !text.contains(shown),
        "the letter holds its own owner's password only"
    );
    first_sign_in(&app, "tnp.kp1.mail", password).await;
}

#[tokio::test]
async fn a_password_that_cannot_be_mailed_is_shown_to_the_administrator() {
    // An SMTP address on loopback where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(|settings| settings.smtp_url = Some(url)).await;
    let created = import_two_heads(&app).await;

    assert_eq!(created[0]["password_sent_to"], Value::Null);
    let shown = created[0]["initial_password"].as_str().unwrap();
    first_sign_in(&app, "tnp.kp1.mail", shown).await;
}
