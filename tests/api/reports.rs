use serde_json::{Value, json};
use sos_tests::TestApp;
use uuid::Uuid;

fn id(report: &Value) -> String {
    report["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_whole_loop_from_head_to_department_and_back() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 12, toi om"}),
        )
        .await;
    assert_eq!(report["status"], "assigned");
    assert_eq!(report["category"], "infrastructure");
    assert_eq!(report["subcategory"], "streetlight");
    assert_eq!(report["department"]["code"], "economy_infrastructure");
    assert_eq!(report["classification"]["routed_to_triage"], false);
    assert!(report["classification"]["confidence"].as_f64().unwrap() >= 0.5);
    let report_id = id(&report);
    assert_eq!(app.inbox_types("tnp.kp1").await, ["report.assigned"]);

    // The department sees it in its queue with what it may do now.
    let queue = app
        .get("/v1/reports?status=assigned", &app.token("tnp.infra").await)
        .await;
    assert!(
        queue.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == report["id"])
    );
    let detail = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    let allowed: Vec<&str> = detail.body["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        allowed.contains(&"acknowledge")
            && allowed.contains(&"resolve")
            && !allowed.contains(&"close")
    );

    let acknowledged = app
        .act("tnp.infra", &report_id, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(acknowledged["status"], "acknowledged");
    assert!(acknowledged["acknowledged_at"].is_string());
    app.act("tnp.infra", &report_id, json!({"action": "start"}))
        .await;
    let response = "Đã thay bóng đèn mới lúc 16h, đèn sáng bình thường.";
    let resolved = app
        .act(
            "tnp.infra",
            &report_id,
            json!({"action": "resolve", "response": response}),
        )
        .await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["response"], response);

    // Every step reached the neighborhood, newest first, also the other head of khu phố 1's
    // inbox would; the head of khu phố 2 hears nothing.
    assert_eq!(
        app.inbox_types("tnp.kp1").await,
        [
            "report.resolved",
            "report.in_progress",
            "report.acknowledged",
            "report.assigned"
        ]
    );
    assert!(app.inbox_types("tnp.kp2").await.is_empty());
    let inbox = app
        .get("/v1/notifications", &app.token("tnp.kp1").await)
        .await;
    assert!(
        inbox.body["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains(response)
    );

    let closed = app
        .act(
            "tnp.kp1",
            &report_id,
            json!({"action": "close", "rating": 5}),
        )
        .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["rating"], 5);
    let types: Vec<&str> = closed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "report.submitted",
            "report.assigned",
            "report.acknowledged",
            "report.in_progress",
            "report.resolved",
            "report.closed"
        ]
    );
    assert_eq!(closed["allowed_actions"], json!(["comment"]));
}

#[tokio::test]
async fn reading_a_notification_marks_it_and_the_unread_filter_follows() {
    let app = TestApp::spawn().await;
    app.file_report("tnp.kp1", json!({"description": "den duong hu o hem 5"}))
        .await;
    let token = app.token("tnp.kp1").await;
    let unread = app.get("/v1/notifications?unread=true", &token).await;
    let entry = unread.body["items"][0]["id"].as_str().unwrap().to_owned();
    let read = app
        .post(
            &format!("/v1/notifications/{entry}/read"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(read.status, 200);
    assert!(read.body["read_at"].is_string());
    assert_eq!(
        app.get("/v1/notifications?unread=true", &token).await.body["items"],
        json!([])
    );
    // Another head cannot touch it.
    let other = app
        .post(
            &format!("/v1/notifications/{entry}/read"),
            &app.token("tnp.kp2").await,
            json!({}),
        )
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn the_inbox_counts_what_is_unread_and_is_read_all_at_once_up_to_what_was_shown() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let staff = app.token("tnp.infra").await;
    let report = app
        .file_report("tnp.kp1", json!({"description": "den duong hu o hem 5"}))
        .await;
    let act = |action: &'static str| {
        let (app, staff, path) = (&app, &staff, format!("/v1/reports/{}/actions", id(&report)));
        async move { app.post(&path, staff, json!({"action": action})).await }
    };
    assert_eq!(act("acknowledge").await.status, 200);
    let inbox = app.get("/v1/notifications?limit=1", &head).await;
    let unread = inbox.body["unread_count"].as_u64().unwrap();
    assert!(unread >= 2, "{:?}", inbox.body);
    assert_eq!(
        inbox.body["items"].as_array().unwrap().len(),
        1,
        "the count is the inbox's"
    );

    // The app shows the inbox; a new entry arrives before the head taps "mark all read".
    let shown = inbox.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(act("start").await.status, 200);
    let marked = app
        .post(
            &format!("/v1/notifications/read-all?up_to={shown}"),
            &head,
            json!({}),
        )
        .await;
    assert_eq!(marked.status, 200, "{:?}", marked.body);
    assert_eq!(marked.body["marked"].as_u64().unwrap(), unread);
    let after = app.get("/v1/notifications?unread=true", &head).await;
    assert_eq!(
        after.body["unread_count"], 1,
        "what came after stays unread"
    );
    assert_eq!(after.body["items"][0]["type"], "report.in_progress");

    let all = app
        .post("/v1/notifications/read-all", &head, json!({}))
        .await;
    assert_eq!(all.body["marked"], 1);
    let again = app
        .post("/v1/notifications/read-all", &head, json!({}))
        .await;
    assert_eq!(again.body["marked"], 0);
    assert_eq!(
        app.get("/v1/notifications", &head).await.body["unread_count"],
        0
    );
}

#[tokio::test]
async fn a_retried_submission_is_stored_once() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp2").await;
    let report_id = Uuid::now_v7();
    let body = json!({"id": report_id, "description": "Rác không ai thu gom ba ngày nay ở đầu hẻm 45", "address": "Hẻm 45 Lã Xuân Oai"});
    let first = app.post("/v1/reports", &token, body.clone()).await;
    assert_eq!(first.status, 201);
    assert_eq!(
        first.header("location"),
        Some(format!("/v1/reports/{report_id}").as_str())
    );
    let retry = app.post("/v1/reports", &token, body.clone()).await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.body, first.body);

    let mut changed = body.clone();
    changed["description"] = json!("Một nội dung khác");
    let conflict = app.post("/v1/reports", &token, changed).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.problem(), "idempotency-conflict");
    // Someone else's retry with the same id is a conflict too, never their report.
    let stranger = app
        .post("/v1/reports", &app.token("tnp.kp1").await, body)
        .await;
    assert_eq!(stranger.status, 409);

    let list = app.get("/v1/reports", &token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let events = app.get(&format!("/v1/reports/{report_id}"), &token).await;
    assert_eq!(
        events.body["timeline"].as_array().unwrap().len(),
        2,
        "submitted + assigned, once"
    );
}

#[tokio::test]
async fn refused_transitions_say_what_is_allowed_and_change_nothing() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu, toi om ca hem"}),
        )
        .await;
    let report_id = id(&report);

    let early_close = app
        .try_act("tnp.kp1", &report_id, json!({"action": "close"}))
        .await;
    assert_eq!(early_close.status, 409);
    assert_eq!(early_close.problem(), "transition-refused");
    assert_eq!(early_close.body["allowed_actions"], json!(["comment"]));

    app.act(
        "tnp.infra",
        &report_id,
        json!({"action": "resolve", "response": "Đã sửa xong."}),
    )
    .await;
    let late = app
        .try_act("tnp.infra", &report_id, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(late.status, 409);
    assert_eq!(late.body["allowed_actions"], json!(["comment"]));

    // A role that may never do it is forbidden, whatever the state.
    let head_ack = app
        .try_act("tnp.kp1", &report_id, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(head_ack.status, 403);

    let detail = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    assert_eq!(detail.body["status"], "resolved");
    assert_eq!(detail.body["timeline"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_resolved_report_can_be_reopened_by_its_head() {
    let app = TestApp::spawn().await;
    let report_id = id(&app
        .file_report(
            "tnp.kp3",
            json!({"description": "den duong hu tren duong so 7"}),
        )
        .await);
    let resolved = app
        .act(
            "tnp.infra",
            &report_id,
            json!({"action": "resolve", "response": "Đã thay bóng."}),
        )
        .await;
    // A note afterwards does not move the time the report was resolved.
    let noted = app
        .act(
            "tnp.infra",
            &report_id,
            json!({"action": "comment", "text": "Đã kiểm tra lại lúc 20h."}),
        )
        .await;
    assert_eq!(noted["resolved_at"], resolved["resolved_at"]);
    assert_eq!(noted["acknowledged_at"], resolved["acknowledged_at"]);
    let reopened = app
        .act(
            "tnp.kp3",
            &report_id,
            json!({"action": "reopen", "reason": "Đèn lại tắt sau một đêm."}),
        )
        .await;
    assert_eq!(reopened["status"], "assigned");
    assert!(reopened["resolved_at"].is_null());
    assert_eq!(reopened["department"]["code"], "economy_infrastructure");
}

#[tokio::test]
async fn actions_missing_what_they_need_are_422() {
    let app = TestApp::spawn().await;
    let report_id = id(&app
        .file_report("tnp.kp1", json!({"description": "den duong hu"}))
        .await);
    let cases = [
        (json!({"action": "resolve"}), "/response"),
        (json!({"action": "resolve", "response": "   "}), "/response"),
        (json!({"action": "reject"}), "/reason"),
        (json!({"action": "mark_duplicate"}), "/duplicate_of"),
        (json!({"action": "comment"}), "/text"),
        (json!({"action": "reroute", "to_triage": true}), "/reason"),
    ];
    for (body, field) in cases {
        let response = app.try_act("tnp.infra", &report_id, body.clone()).await;
        assert_eq!(response.status, 422, "{body}");
        assert_eq!(response.body["errors"][0]["field"], field, "{body}");
    }
    let rating = app
        .try_act(
            "tnp.kp1",
            &report_id,
            json!({"action": "close", "rating": 9}),
        )
        .await;
    assert_eq!(
        rating.status, 409,
        "not resolved yet: the state is checked first"
    );
    let detail = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    assert_eq!(detail.body["status"], "assigned");
    assert_eq!(detail.body["timeline"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unclear_report_goes_to_the_triage_desk_which_routes_it() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report(
            "tnp.kp4",
            json!({"description": "Có việc cần báo với phường, nhờ cán bộ xuống xem giúp"}),
        )
        .await;
    assert_eq!(report["department"]["code"], "ward_office");
    assert_eq!(report["classification"]["routed_to_triage"], true);
    let report_id = id(&report);
    // The infrastructure department does not see it; the desk does.
    let infra = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    assert_eq!(infra.status, 404);

    let routed = app
        .act(
            "tnp.triage",
            &report_id,
            json!({"action": "reroute", "subcategory": "noise"}),
        )
        .await;
    assert_eq!(routed["subcategory"], "noise");
    assert_eq!(routed["category"], "security");
    assert_eq!(routed["department"]["code"], "ward_police");
    assert_eq!(routed["status"], "assigned");
    assert!(
        app.inbox_types("tnp.kp4")
            .await
            .contains(&"report.rerouted".to_owned())
    );

    // The police hand it back with a reason; they may not pick another department themselves.
    let sideways = app
        .try_act(
            "tnp.police",
            &report_id,
            json!({"action": "reroute", "department": "urban_order"}),
        )
        .await;
    assert_eq!(sideways.status, 403);
    let back = app
        .act("tnp.police", &report_id, json!({"action": "reroute", "to_triage": true, "reason": "Không thuộc thẩm quyền công an."}))
        .await;
    assert_eq!(back["department"]["code"], "ward_office");
    // Having acted on it, the police still see it.
    let still = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.police").await,
        )
        .await;
    assert_eq!(still.status, 200);
    assert_eq!(still.body["allowed_actions"], json!(["comment"]));
}

#[tokio::test]
async fn the_heads_choice_of_subcategory_routes_the_report() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": "Quán nhậu đầu hẻm bày bàn ghế kín lối đi", "subcategory": "encroachment"}))
        .await;
    assert_eq!(report["subcategory"], "encroachment");
    assert_eq!(report["chosen_subcategory"], "encroachment");
    assert_eq!(report["department"]["code"], "urban_order");
}

#[tokio::test]
async fn duplicates_point_to_their_original() {
    let app = TestApp::spawn().await;
    let original = id(&app
        .file_report("tnp.kp1", json!({"description": "den duong hu truoc cho"}))
        .await);
    let copy = id(&app
        .file_report(
            "tnp.kp2",
            json!({"description": "den duong truoc cho bi hu"}),
        )
        .await);
    let self_dup = app
        .try_act(
            "tnp.infra",
            &copy,
            json!({"action": "mark_duplicate", "duplicate_of": copy}),
        )
        .await;
    assert_eq!(self_dup.status, 422);
    let marked = app
        .act(
            "tnp.infra",
            &copy,
            json!({"action": "mark_duplicate", "duplicate_of": original}),
        )
        .await;
    assert_eq!(marked["status"], "duplicate");
    assert_eq!(marked["duplicate_of"], json!(original));
    assert!(
        app.inbox_types("tnp.kp2")
            .await
            .contains(&"report.duplicate".to_owned())
    );
}

#[tokio::test]
async fn internal_notes_stay_inside_the_ward_and_public_answers_reach_the_head() {
    let app = TestApp::spawn().await;
    let report_id = id(&app
        .file_report("tnp.kp5", json!({"description": "den duong hu cuoi hem"}))
        .await);
    app.act(
        "tnp.infra",
        &report_id,
        json!({"action": "comment", "text": "Chờ vật tư từ công ty chiếu sáng."}),
    )
    .await;
    app.act(
        "tnp.infra",
        &report_id,
        json!({"action": "comment", "text": "Tuần này sẽ thay đèn.", "visibility": "public"}),
    )
    .await;

    let head_view = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.kp5").await,
        )
        .await;
    let texts: Vec<&str> = head_view.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(texts, ["Tuần này sẽ thay đèn."]);
    let staff_view = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(staff_view.body["timeline"].as_array().unwrap().len(), 4);
    assert_eq!(
        app.inbox_types("tnp.kp5").await,
        ["report.commented", "report.assigned"]
    );

    let internal = app
        .try_act(
            "tnp.kp5",
            &report_id,
            json!({"action": "comment", "text": "Cảm ơn", "visibility": "internal"}),
        )
        .await;
    assert_eq!(internal.status, 422);
    app.act(
        "tnp.kp5",
        &report_id,
        json!({"action": "comment", "text": "Cảm ơn phường."}),
    )
    .await;
}

#[tokio::test]
async fn lists_filter_search_without_accents_and_page_stably() {
    let app = TestApp::spawn().await;
    for text in [
        "Đèn đường hư trước nhà số 12",
        "Rác không ai thu gom ba ngày",
        "Karaoke hát tới 12 giờ đêm",
        "den duong chop tat ca dem",
        "Ổ gà lớn giữa đường Lê Văn Việt",
    ] {
        app.file_report("tnp.kp1", json!({"description": text}))
            .await;
    }
    let token = app.token("tnp.leader").await;
    let mut seen = Vec::new();
    let mut path = "/v1/reports?limit=2".to_owned();
    loop {
        let page = app.get(&path, &token).await;
        assert_eq!(page.status, 200);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(
                item["created_at"].as_str().unwrap().to_owned() + item["id"].as_str().unwrap(),
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/reports?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first, each report once");

    let search = app.get("/v1/reports?q=den%20duong", &token).await;
    assert_eq!(
        search.body["items"].as_array().unwrap().len(),
        2,
        "accented and unaccented both match"
    );
    let accented = app
        .get(
            "/v1/reports?q=%C4%91%C3%A8n%20%C4%91%C6%B0%E1%BB%9Dng",
            &token,
        )
        .await;
    assert_eq!(accented.body["items"].as_array().unwrap().len(), 2);
    let by_subcategory = app
        .get("/v1/reports?subcategory=streetlight,noise", &token)
        .await;
    for item in by_subcategory.body["items"].as_array().unwrap() {
        assert!(["streetlight", "noise"].contains(&item["subcategory"].as_str().unwrap()));
    }
    let by_department = app.get("/v1/reports?department=ward_police", &token).await;
    assert!(
        by_department.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["department"]["code"] == "ward_police")
    );
    let future = app
        .get("/v1/reports?created_from=2099-01-01T00:00:00Z", &token)
        .await;
    assert_eq!(future.body["items"], json!([]));
    let bad = app.get("/v1/reports?status=lost", &token).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "status");
}

#[tokio::test]
async fn locations_must_lie_in_vietnam() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp1").await;
    let bangkok = app
        .post(
            "/v1/reports",
            &token,
            json!({"description": "den duong hu", "location": {"lat": 13.75, "lon": 100.5}}),
        )
        .await;
    assert_eq!(bangkok.status, 422);
    assert_eq!(bangkok.body["errors"][0]["field"], "/location");
    let here = app
        .post(
            "/v1/reports",
            &token,
            json!({"description": "den duong hu", "location": {"lat": 10.8445, "lon": 106.7893, "accuracy_m": 12.5}}),
        )
        .await;
    assert_eq!(here.status, 201);
    assert_eq!(
        here.body["location"],
        json!({"lat": 10.8445, "lon": 106.7893, "accuracy_m": 12.5})
    );
}

#[tokio::test]
async fn only_heads_file_reports() {
    let app = TestApp::spawn().await;
    for who in ["tnp.infra", "tnp.leader", "city.leader", "admin"] {
        let response = app
            .post(
                "/v1/reports",
                &app.token(who).await,
                json!({"description": "den duong hu"}),
            )
            .await;
        assert_eq!(response.status, 403, "{who}");
    }
}

#[tokio::test]
async fn the_app_can_preview_the_classification_without_filing() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp1").await;
    let preview = app
        .post(
            "/v1/classify",
            &token,
            json!({"text": "ddeenf dduowngf hw, toi om"}),
        )
        .await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.body["subcategory"], "streetlight");
    assert_eq!(preview.body["routed_to_triage"], false);
    assert!(
        preview.body["matched_terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().starts_with("den")),
        "{}",
        preview.body
    );
    let unclear = app
        .post(
            "/v1/classify",
            &token,
            json!({"text": "Nhờ phường xuống xem giúp"}),
        )
        .await;
    assert_eq!(unclear.body["routed_to_triage"], true);
    assert_eq!(
        app.post("/v1/classify", &token, json!({"text": " "}))
            .await
            .status,
        422
    );
    let list = app.get("/v1/reports", &token).await;
    assert_eq!(list.body["items"], json!([]), "a preview files nothing");
}

#[tokio::test]
async fn located_reports_come_out_as_geojson_points_for_the_map() {
    let app = TestApp::spawn().await;
    let at = |lat: f64, lon: f64| json!({"lat": lat, "lon": lon, "accuracy_m": 8.0});
    let near = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu", "location": at(10.8445, 106.7893)}),
        )
        .await;
    // At the ward's northern end: placed in Khu phố 4, still the filing head's to follow.
    app.file_report(
        "tnp.kp1",
        json!({"description": "o ga giua duong", "location": at(10.8700, 106.8050)}),
    )
    .await;
    app.file_report("tnp.kp1", json!({"description": "rac chua thu gom"}))
        .await;
    app.file_report(
        "xh.kp1",
        json!({"description": "den duong hu", "location": at(10.7800, 106.6900)}),
    )
    .await;

    let head = app.token("tnp.kp1").await;
    let all = app.get("/v1/reports.geojson", &head).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.header("content-type"), Some("application/geo+json"));
    assert_eq!(all.body["type"], "FeatureCollection");
    let features = all.body["features"].as_array().unwrap();
    assert_eq!(
        features.len(),
        2,
        "only located reports of the head's own neighborhood, and their own"
    );

    let boxed = app
        .get("/v1/reports.geojson?bbox=106.78,10.84,106.80,10.85", &head)
        .await;
    let features = boxed.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["id"], near["id"]);
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        json!([106.7893, 10.8445]),
        "longitude first"
    );
    assert_eq!(features[0]["properties"]["subcategory"], "streetlight");

    let city = app
        .get(
            "/v1/reports.geojson?subcategory=streetlight",
            &app.token("city.leader").await,
        )
        .await;
    assert_eq!(city.body["features"].as_array().unwrap().len(), 2);
    let bad = app.get("/v1/reports.geojson?bbox=106.8,10.8", &head).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "bbox");
    let listed = app
        .get("/v1/reports?bbox=106.78,10.84,106.80,10.85", &head)
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "the list takes bbox too"
    );
}

#[tokio::test]
async fn copies_of_one_submission_racing_each_other_store_one_report() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp3").await;
    for round in 0..5 {
        let body = json!({"id": Uuid::now_v7(), "description": format!("Cây xanh ngã chắn đường, lần {round}")});
        let (a, b, c) = tokio::join!(
            app.post("/v1/reports", &token, body.clone()),
            app.post("/v1/reports", &token, body.clone()),
            app.post("/v1/reports", &token, body.clone()),
        );
        let mut statuses = [a.status, b.status, c.status];
        statuses.sort();
        assert_eq!(statuses, [200, 200, 201], "round {round}");
        assert_eq!(a.body["id"], b.body["id"]);
        let detail = app
            .get(
                &format!("/v1/reports/{}", body["id"].as_str().unwrap()),
                &token,
            )
            .await;
        assert_eq!(
            detail.body["timeline"].as_array().unwrap().len(),
            2,
            "round {round}: events once"
        );
    }
    let inbox = app.get("/v1/notifications?limit=100", &token).await;
    assert_eq!(
        inbox.body["items"].as_array().unwrap().len(),
        5,
        "one inbox entry per report"
    );
}

#[tokio::test]
async fn a_corner_reported_again_and_again_shows_as_a_hotspot() {
    let app = TestApp::spawn().await;
    let at = |lat: f64, lon: f64| json!({"lat": lat, "lon": lon});
    // Three flooding reports within a few dozen metres, on both sides of the street that
    // divides Khu phố 1 from Khu phố 2 (latitude 10.848 in the demo shapes).
    for (head, lat, lon) in [
        ("tnp.kp1", 10.84790, 106.78930),
        ("tnp.kp2", 10.84810, 106.78950),
        ("tnp.kp1", 10.84785, 106.78910),
    ] {
        app.file_report(
            head,
            json!({"description": "ngap nuoc sau sau mua", "location": at(lat, lon)}),
        )
        .await;
    }
    // The same kind of problem two kilometres away, and another kind at the same corner.
    app.file_report(
        "tnp.kp3",
        json!({"description": "ngap nuoc sau", "location": at(10.8625, 106.7893)}),
    )
    .await;
    app.file_report(
        "tnp.kp1",
        json!({"description": "den duong hu", "location": at(10.8479, 106.7893)}),
    )
    .await;

    let leader = app.token("tnp.leader").await;
    let found = app.get("/v1/hotspots", &leader).await;
    assert_eq!(found.status, 200);
    let hotspots = found.body["hotspots"].as_array().unwrap();
    assert_eq!(hotspots.len(), 1, "{:#}", found.body);
    assert_eq!(hotspots[0]["subcategory"], "drainage_flooding");
    assert_eq!(hotspots[0]["count"], 3);
    assert_eq!(hotspots[0]["open"], 3);
    assert!(hotspots[0]["spread_m"].as_f64().unwrap() < 100.0);

    // A wider radius takes in the far report too; a head sees what they may read: their own
    // neighborhood's and the ward's shared ground (flooding is infrastructure).
    let wide = app
        .get("/v1/hotspots?radius_m=2000&min_reports=4", &leader)
        .await;
    assert_eq!(wide.body["hotspots"][0]["count"], 4);
    let head = app
        .get("/v1/hotspots?min_reports=2", &app.token("tnp.kp1").await)
        .await;
    assert_eq!(head.body["hotspots"][0]["count"], 3);
    let other_ward = app.get("/v1/hotspots", &app.token("xh.leader").await).await;
    assert_eq!(other_ward.body["hotspots"], json!([]));
    let bad = app.get("/v1/hotspots?radius_m=5", &leader).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn a_new_report_near_an_open_one_of_the_same_kind_shows_it_as_a_possible_duplicate() {
    let app = TestApp::spawn().await;
    let at = |lat: f64, lon: f64| json!({"lat": lat, "lon": lon});
    let first = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc cho", "location": at(10.84450, 106.78930)}),
        )
        .await;
    assert_eq!(first["possible_duplicates"], json!([]));
    let pothole = app
        .file_report(
            "tnp.kp1",
            json!({"description": "o ga truoc cho", "location": at(10.84452, 106.78931)}),
        )
        .await;
    assert_eq!(
        pothole["possible_duplicates"],
        json!([]),
        "another kind of problem"
    );

    let second = app.file_report("tnp.kp1", json!({"description": "den duong truoc cho tat roi", "location": at(10.84460, 106.78940)})).await;
    let duplicates = second["possible_duplicates"].as_array().unwrap();
    assert_eq!(duplicates.len(), 1);
    assert_eq!(duplicates[0]["id"], first["id"]);
    assert!(duplicates[0]["distance_m"].as_f64().unwrap() < 20.0);

    // Far away (300 m for a lamp): nothing is shown.
    let far = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu", "location": at(10.84720, 106.78930)}),
        )
        .await;
    assert_eq!(far["possible_duplicates"], json!([]));
    // The head of Khu phố 2 at the same corner (Khu phố 1's) reads the reports of this shared
    // ground, and may join one.
    let neighbour = app
        .file_report(
            "tnp.kp2",
            json!({"description": "den duong hu", "location": at(10.84455, 106.78935)}),
        )
        .await;
    let duplicates = neighbour["possible_duplicates"].as_array().unwrap();
    assert_eq!(duplicates.len(), 2);
    assert!(
        duplicates.iter().all(|d| d["description"].is_string()),
        "{duplicates:?}"
    );
    // Another ward's reports are never listed.
    let other_ward = app
        .file_report(
            "xh.kp1",
            json!({"description": "den duong hu", "location": at(10.78000, 106.69000)}),
        )
        .await;
    assert_eq!(other_ward["possible_duplicates"], json!([]));

    // A resolved report is no longer open.
    let id = first["id"].as_str().unwrap();
    app.act(
        "tnp.infra",
        id,
        json!({"action": "resolve", "response": "Đã thay bóng."}),
    )
    .await;
    app.act(
        "tnp.infra",
        second["id"].as_str().unwrap(),
        json!({"action": "resolve", "response": "Đã thay bóng."}),
    )
    .await;
    let third = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong lai hu", "location": at(10.84450, 106.78930)}),
        )
        .await;
    // Only the neighbour's report is still open; placed in Khu phố 1, its text is shown here.
    let open: Vec<&Value> = third["possible_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], neighbour["id"]);
    assert_eq!(open[0]["description"], "den duong hu");
}

#[tokio::test]
async fn heads_whose_report_was_merged_hear_the_answer_to_the_original() {
    let app = TestApp::spawn().await;
    let original = id(&app
        .file_report("tnp.kp1", json!({"description": "den duong hu o nga tu"}))
        .await);
    let copy = id(&app
        .file_report(
            "tnp.kp2",
            json!({"description": "den duong o nga tu khong sang"}),
        )
        .await);
    app.act(
        "tnp.infra",
        &copy,
        json!({"action": "mark_duplicate", "duplicate_of": original}),
    )
    .await;
    let answer = "Đã thay bộ đèn mới ở ngã tư.";
    app.act(
        "tnp.infra",
        &original,
        json!({"action": "resolve", "response": answer}),
    )
    .await;

    let inbox = app
        .get("/v1/notifications", &app.token("tnp.kp2").await)
        .await;
    let latest = &inbox.body["items"][0];
    assert_eq!(latest["type"], "report.resolved");
    assert_eq!(
        latest["report_id"],
        json!(copy),
        "points to the report the head can open"
    );
    assert!(latest["body"].as_str().unwrap().contains(answer));
    // Khu phố 1 hears of its own report once, as usual.
    let own = app
        .get("/v1/notifications", &app.token("tnp.kp1").await)
        .await;
    let resolved = own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "report.resolved")
        .count();
    assert_eq!(resolved, 1);
}
