use reqwest::Method;
use serde_json::json;
use sos_tests::TestApp;

#[tokio::test]
async fn people_see_their_wards_organisation() {
    let app = TestApp::spawn().await;
    let tnp = app.ward_id("tnp.leader").await;
    let xh = app.ward_id("xh.leader").await;
    let wards = app.get("/v1/wards", &app.token("city.leader").await).await;
    let codes: Vec<i64> = wards
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [26842, 27139]);
    let own = app.get("/v1/wards", &app.token("tnp.kp1").await).await;
    assert_eq!(own.body.as_array().unwrap().len(), 1);

    let neighborhoods = app
        .get(
            &format!("/v1/wards/{tnp}/neighborhoods"),
            &app.token("tnp.kp1").await,
        )
        .await;
    assert_eq!(neighborhoods.body.as_array().unwrap().len(), 5);
    let departments = app
        .get(
            &format!("/v1/wards/{tnp}/departments"),
            &app.token("tnp.infra").await,
        )
        .await;
    let triage: Vec<_> = departments
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["triage_desk"] == true)
        .collect();
    assert_eq!(triage.len(), 1);
    assert_eq!(triage[0]["code"], "ward_office");
    let routing = app
        .get(
            &format!("/v1/wards/{tnp}/routing"),
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(routing.body["rules"].as_array().unwrap().len(), 20);
    assert_eq!(
        app.get(
            &format!("/v1/wards/{xh}/routing"),
            &app.token("tnp.leader").await
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn an_admin_changes_the_routing_table_and_new_reports_follow_it() {
    let app = TestApp::spawn().await;
    let tnp = app.ward_id("tnp.leader").await;
    let path = format!("/v1/wards/{tnp}/routing/streetlight");
    let refused = app
        .put(
            &path,
            &app.token("tnp.leader").await,
            json!({"department": "ward_police"}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let unknown = app
        .put(
            &path,
            &app.token("admin").await,
            json!({"department": "nasa"}),
        )
        .await;
    assert_eq!(unknown.status, 422);
    // An outside agency hears by e-mail; a department of the ward keeps the report.
    let external = app
        .put(
            &path,
            &app.token("admin").await,
            json!({"department": "power_utility"}),
        )
        .await;
    assert_eq!(external.status, 422);
    assert_eq!(external.body["errors"][0]["field"], "/department");
    let changed = app
        .put(
            &path,
            &app.token("admin").await,
            json!({"department": "urban_order"}),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["department"]["code"], "urban_order");
    let report = app
        .file_report("tnp.kp1", json!({"description": "den duong hu"}))
        .await;
    assert_eq!(report["department"]["code"], "urban_order");
    // The other ward keeps its own table.
    let other = app
        .file_report("xh.kp1", json!({"description": "den duong hu"}))
        .await;
    assert_eq!(other["department"]["code"], "economy_infrastructure");
}

#[tokio::test]
async fn an_admin_adds_an_external_agency_and_renames_a_department() {
    let app = TestApp::spawn().await;
    let tnp = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let path = format!("/v1/wards/{tnp}/departments");
    let no_email = app
        .post(
            &path,
            &admin,
            json!({"code": "telecom", "name": "Viễn thông", "external": true}),
        )
        .await;
    assert_eq!(no_email.status, 422);
    let created = app
        .post(&path, &admin, json!({"code": "telecom", "name": "Công ty Viễn thông", "external": true, "email": "sc@vienthong.example.com"}))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["external"], true);
    let again = app
        .post(&path, &admin, json!({"code": "telecom", "name": "Trùng", "external": true, "email": "x@y.example.com"}))
        .await;
    assert_eq!(again.status, 409);
    let renamed = app
        .request(
            Method::PATCH,
            &format!("{path}/ward_office"),
            Some(&admin),
            Some(json!({"name": "Bộ phận một cửa"})),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "Bộ phận một cửa");
    assert_eq!(renamed.body["code"], "ward_office", "codes never change");
    let staff = app
        .post(
            &path,
            &app.token("tnp.infra").await,
            json!({"code": "abc", "name": "x", "external": false}),
        )
        .await;
    assert_eq!(staff.status, 403);
}
