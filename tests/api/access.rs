use serde_json::{Value, json};
use sos_tests::TestApp;

/// Files one report to each of three departments of Tăng Nhơn Phú (from khu phố 1) and one in
/// Xuân Hòa, and returns their ids: (streetlight, noise, encroachment, xuan_hoa).
async fn reports(app: &TestApp) -> (String, String, String, String) {
    let file = |head: &'static str, subcategory: &'static str| async move {
        let report = app
            .file_report(
                head,
                json!({"description": "Phản ánh thử", "subcategory": subcategory}),
            )
            .await;
        report["id"].as_str().unwrap().to_owned()
    };
    (
        file("tnp.kp1", "streetlight").await,
        file("tnp.kp1", "noise").await,
        file("tnp.kp2", "encroachment").await,
        file("xh.kp1", "streetlight").await,
    )
}

async fn visible_ids(app: &TestApp, who: &str) -> Vec<String> {
    let list = app
        .get("/v1/reports?limit=100", &app.token(who).await)
        .await;
    assert_eq!(list.status, 200, "{who}");
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r: &Value| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_role_sees_exactly_its_scope() {
    let app = TestApp::spawn().await;
    let (light, noise, sidewalk, xuan_hoa) = reports(&app).await;
    let all_tnp = [light.clone(), noise.clone(), sidewalk.clone()];
    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("tnp.kp1", vec![&light, &noise]),
        ("tnp.kp2", vec![&sidewalk]),
        ("tnp.kp3", vec![]),
        ("tnp.infra", vec![&light]),
        ("tnp.police", vec![&noise]),
        ("tnp.order", vec![&sidewalk]),
        ("tnp.culture", vec![]),
        ("tnp.triage", all_tnp.iter().collect()),
        ("tnp.leader", all_tnp.iter().collect()),
        ("xh.leader", vec![&xuan_hoa]),
        ("xh.kp1", vec![&xuan_hoa]),
        ("xh.infra", vec![&xuan_hoa]),
        ("city.leader", vec![&light, &noise, &sidewalk, &xuan_hoa]),
        ("admin", vec![&light, &noise, &sidewalk, &xuan_hoa]),
    ];
    for (who, expected) in cases {
        let mut seen = visible_ids(&app, who).await;
        seen.sort();
        let mut expected: Vec<String> = expected.into_iter().cloned().collect();
        expected.sort();
        assert_eq!(seen, expected, "{who} lists");
        // Reading one by one agrees with the list: visible ones are 200, the others 404.
        for report in [&light, &noise, &sidewalk, &xuan_hoa] {
            let status = app
                .get(&format!("/v1/reports/{report}"), &app.token(who).await)
                .await
                .status;
            assert_eq!(
                status,
                if expected.contains(report) { 200 } else { 404 },
                "{who} reads {report}"
            );
        }
    }
}

#[tokio::test]
async fn another_wards_report_does_not_exist_for_you() {
    let app = TestApp::spawn().await;
    let (light, ..) = reports(&app).await;
    for who in ["xh.kp1", "xh.infra", "xh.triage", "xh.leader"] {
        let read = app
            .get(&format!("/v1/reports/{light}"), &app.token(who).await)
            .await;
        assert_eq!(read.status, 404, "{who}");
        assert_eq!(read.problem(), "not-found");
        let act = app
            .try_act(who, &light, json!({"action": "comment", "text": "?"}))
            .await;
        assert_eq!(act.status, 404, "{who}");
    }
    // The reply is the same as for a report that does not exist at all.
    let missing = app
        .get(
            &format!("/v1/reports/{}", uuid::Uuid::now_v7()),
            &app.token("xh.leader").await,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body["detail"],
        app.get(
            &format!("/v1/reports/{light}"),
            &app.token("xh.leader").await
        )
        .await
        .body["detail"]
    );
}

#[tokio::test]
async fn leaders_steer_but_do_not_do_the_departments_work() {
    let app = TestApp::spawn().await;
    let (light, ..) = reports(&app).await;
    let ack = app
        .try_act("tnp.leader", &light, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(ack.status, 403);
    let moved = app
        .act(
            "tnp.leader",
            &light,
            json!({"action": "reroute", "department": "urban_order"}),
        )
        .await;
    assert_eq!(moved["department"]["code"], "urban_order");
    let city = app
        .try_act(
            "city.leader",
            &light,
            json!({"action": "reroute", "to_triage": true, "reason": "x"}),
        )
        .await;
    assert_eq!(city.status, 403);
    app.act(
        "city.leader",
        &light,
        json!({"action": "comment", "text": "Theo dõi."}),
    )
    .await;
}
