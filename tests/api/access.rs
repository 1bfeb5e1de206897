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
        // Heads read the ward's shared ground (the streetlight), never another neighborhood's
        // security reports (the noise, the sidewalk).
        ("tnp.kp2", vec![&light, &sidewalk]),
        ("tnp.kp3", vec![&light]),
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

/// Adds a photo of the problem to a report, as the phone app sends it.
async fn add_photo(app: &TestApp, who: &str, report_id: &str) -> sos_tests::TestResponse {
    use sos_tests::images::{self, CameraTags};
    let upright = CameraTags {
        position: None,
        orientation: 1,
    };
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(images::phone_jpeg(64, 48, upright)),
    );
    let path = format!("/v1/reports/{report_id}/photos");
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(app.token(who).await)
        .multipart(form);
    app.send(reqwest::Method::POST, &path, request).await
}

/// Every route a head of Khu phố 2 could use to learn about Khu phố 1's reports follows one
/// rule: the public part of shared ground (a broken streetlight), nothing of a security report
/// (a fight), however the steps are chained.
#[tokio::test]
async fn heads_read_the_shared_ground_of_their_ward_and_nothing_of_its_security_reports() {
    let app = TestApp::spawn().await;
    let corner = json!({"lat": 10.8445, "lon": 106.7893});
    let file = |head: &'static str, description: &'static str| {
        app.file_report(
            head,
            json!({"description": description, "location": corner}),
        )
    };
    let light = file("tnp.kp1", "den duong hu truoc cho").await;
    let fight = file("tnp.kp1", "danh nhau o quan nhau truoc cho").await;
    assert_eq!(light["category"], "infrastructure");
    assert_eq!(fight["category"], "security");
    let (light_id, fight_id) = (
        light["id"].as_str().unwrap().to_owned(),
        fight["id"].as_str().unwrap().to_owned(),
    );
    for id in [&light_id, &fight_id] {
        assert_eq!(add_photo(&app, "tnp.kp1", id).await.status, 201);
        app.act(
            "tnp.triage",
            id,
            json!({"action": "comment", "text": "Số nhà 12, chủ quán tên Ba", "visibility": "internal"}),
        )
        .await;
        app.act(
            "tnp.triage",
            id,
            json!({"action": "comment", "text": "Phường đã ghi nhận.", "visibility": "public"}),
        )
        .await;
    }
    let kp2 = app.token("tnp.kp2").await;

    // Read: the public part, without the heads on it.
    let read = app.get(&format!("/v1/reports/{light_id}"), &kp2).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["description"], "den duong hu truoc cho");
    assert!(read.body["reporter"].is_null());
    let timeline = read.body["timeline"].as_array().unwrap();
    assert!(timeline.iter().all(|e| e["visibility"] == "public"));
    assert!(!read.body.to_string().contains("chủ quán"), "internal note");
    let submitted = &timeline[0];
    assert_eq!(submitted["type"], "report.submitted");
    assert!(submitted["actor"].is_null(), "who filed it");
    let answered = timeline.iter().find(|e| e["type"] == "report.commented");
    assert_eq!(
        answered.unwrap()["actor"]["role"],
        "department_staff",
        "the ward's people are named"
    );
    assert!(read.body["photos"][0]["added_by"].is_null());
    // Its own neighborhood reads the whole of it.
    let whole = app
        .get(
            &format!("/v1/reports/{light_id}"),
            &app.token("tnp.kp1").await,
        )
        .await;
    assert_eq!(whole.body["reporter"]["role"], "neighborhood_head");
    assert!(whole.body["timeline"][0]["actor"].is_object());

    // Photos of the shared ground are shown; the fight's are not.
    let photos = app
        .get(&format!("/v1/reports/{light_id}/photos"), &kp2)
        .await;
    assert_eq!(photos.status, 200);
    let thumb = photos.body["items"][0]["files"]["thumb"].as_str().unwrap();
    assert_eq!(app.get(thumb, &kp2).await.status, 200);
    let kp1 = app.token("tnp.kp1").await;
    let fight_photos = app
        .get(&format!("/v1/reports/{fight_id}/photos"), &kp1)
        .await;
    let fight_thumb = fight_photos.body["items"][0]["files"]["thumb"]
        .as_str()
        .unwrap();
    assert_eq!(app.get(fight_thumb, &kp2).await.status, 404);
    for path in [
        format!("/v1/reports/{fight_id}"),
        format!("/v1/reports/{fight_id}/photos"),
    ] {
        assert_eq!(app.get(&path, &kp2).await.status, 404, "{path}");
    }

    // List and map: the same two answers.
    let listed = app.get("/v1/reports?limit=100", &kp2).await;
    let items = listed.body["items"].as_array().unwrap();
    let light_row = items.iter().find(|r| r["id"] == light_id.as_str());
    assert!(light_row.unwrap()["reporter"].is_null());
    assert!(items.iter().all(|r| r["id"] != fight_id.as_str()));
    let map = app.get("/v1/reports.geojson", &kp2).await;
    let on_map: Vec<&Value> = map.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert!(on_map.contains(&&json!(light_id)) && !on_map.contains(&&json!(fight_id)));

    // Duplicates: the shared ground is offered to join, the fight is never named.
    let second_fight = file("tnp.kp2", "danh nhau truoc cho").await;
    assert_eq!(second_fight["possible_duplicates"], json!([]));
    let second_light = file("tnp.kp2", "den duong tat truoc cho").await;
    let offered = second_light["possible_duplicates"].as_array().unwrap();
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0]["id"], light_id.as_str());
    assert_eq!(offered[0]["description"], "den duong hu truoc cho");

    // Join: the fight does not exist for them; the streetlight does, then it is found to be a
    // security matter and is gone from their view and their inbox.
    let join = |id: String| {
        let token = kp2.clone();
        let app = &app;
        async move {
            let path = format!("/v1/reports/{id}/supporters");
            app.request(reqwest::Method::POST, &path, Some(&token), None)
                .await
                .status
        }
    };
    assert_eq!(join(fight_id.clone()).await, 404);
    assert_eq!(join(light_id.clone()).await, 201);
    app.act(
        "tnp.triage",
        &light_id,
        json!({"action": "reroute", "subcategory": "fighting_disturbance", "reason": "Là vụ gây rối"}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/v1/reports/{light_id}"), &kp2)
            .await
            .status,
        404
    );
    let heard_before = app.inbox_types("tnp.kp2").await.len();
    app.act(
        "tnp.police",
        &light_id,
        json!({"action": "resolve", "response": "Đã xử lý."}),
    )
    .await;
    assert_eq!(app.inbox_types("tnp.kp2").await.len(), heard_before);
    assert!(
        app.inbox_types("tnp.kp1")
            .await
            .contains(&"report.resolved".to_owned())
    );
}
