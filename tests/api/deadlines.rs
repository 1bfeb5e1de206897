use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sos_api::services::escalation::{Sent, scan};
use sos_domain::sla::Calendar;
use sos_tests::TestApp;

const FIRE: &str = "Cháy nhà ở hẻm 45 Lê Văn Việt, khói bốc cao, đang lan sang nhà bên";
const LAMP: &str = "Đèn đường hẻm 12 Man Thiện hư mấy hôm nay, tối om";

/// What a scan of the app's deadlines at `at` sent.
async fn scan_at(app: &TestApp, at: DateTime<Utc>) -> Sent {
    scan(&app.services, at).await.unwrap()
}

fn alerts_sent(warnings: usize, escalations: usize) -> Sent {
    Sent {
        warnings,
        escalations,
    }
}

/// The staff account that holds a fire report filed in Tân Phú: the ward police's, or else the
/// triage desk's.
fn holder(report: &Value) -> &'static str {
    match report["department"]["code"].as_str().unwrap() {
        "ward_police" => "tnp.police",
        _ => "tnp.triage",
    }
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn an_urgent_report_runs_on_calendar_time_and_a_normal_one_on_working_hours() {
    let app = TestApp::spawn().await;
    let fire = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    assert_eq!(fire["priority"], "urgent");
    let filed = time(&fire["created_at"]);
    let deadlines = &fire["deadlines"];
    assert_eq!(
        time(&deadlines["acknowledge"]["due_at"]),
        filed + Duration::minutes(15)
    );
    assert_eq!(
        time(&deadlines["resolve"]["due_at"]),
        filed + Duration::hours(4)
    );
    assert_eq!(deadlines["acknowledge"]["standing"], "on_time");
    assert_eq!(deadlines["ward_acknowledge"], deadlines["acknowledge"]);

    let lamp = app
        .file_report("tnp.kp1", json!({"description": LAMP}))
        .await;
    assert_eq!(lamp["priority"], "normal");
    let filed = time(&lamp["created_at"]);
    let due = time(&lamp["deadlines"]["acknowledge"]["due_at"]);
    // Eight working hours of the ward's office, whatever day and hour the test runs.
    let calendar = Calendar::standard();
    assert_eq!(calendar.working_between(filed, due), Duration::hours(8));
    assert!(due - filed >= Duration::hours(8));
    let resolve = time(&lamp["deadlines"]["resolve"]["due_at"]);
    assert_eq!(
        calendar.working_between(filed, resolve),
        Duration::hours(24)
    );
}

#[tokio::test]
async fn a_reroute_restarts_the_departments_clock_but_not_the_wards() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let id = report["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let moved = app
        .act(
            "tnp.triage",
            id,
            json!({"action": "reroute", "department": "urban_order"}),
        )
        .await;
    let before = &report["deadlines"];
    let after = &moved["deadlines"];
    assert!(time(&after["acknowledge"]["due_at"]) > time(&before["acknowledge"]["due_at"]));
    assert_eq!(after["ward_acknowledge"], before["ward_acknowledge"]);
    assert_eq!(after["ward_resolve"], before["ward_resolve"]);
}

#[tokio::test]
async fn the_department_is_warned_then_the_leader_escalated_each_exactly_once() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let id = report["id"].as_str().unwrap();
    let filed = time(&report["created_at"]);
    let staff = holder(&report);

    // 13 minutes in: past 80 % of the 15 allowed to acknowledge.
    let at = filed + Duration::minutes(13);
    assert_eq!(scan_at(&app, at).await, alerts_sent(1, 0));
    assert_eq!(scan_at(&app, at).await, Sent::default());
    assert!(
        app.inbox_types(staff)
            .await
            .contains(&"report.deadline_warning".to_owned())
    );
    assert!(app.inbox_types("tnp.leader").await.is_empty());

    // 16 minutes in: the deadline to acknowledge has passed.
    let at = filed + Duration::minutes(16);
    assert_eq!(scan_at(&app, at).await, alerts_sent(0, 1));
    assert_eq!(app.inbox_types("tnp.leader").await, ["report.escalated"]);
    // Nobody in the other ward hears of it, nor the head.
    assert!(app.inbox_types("xh.leader").await.is_empty());
    assert!(
        !app.inbox_types("tnp.kp1")
            .await
            .iter()
            .any(|t| t.contains("deadline") || t.contains("escalated"))
    );

    // Five hours in, two replicas scan at once: the resolve deadline's warning and
    // escalation go out once each.
    let other = app.replica().await;
    let at = filed + Duration::hours(5);
    let (a, b) = tokio::join!(scan(&app.services, at), scan(&other.services, at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.warnings + b.warnings, 1);
    assert_eq!(a.escalations + b.escalations, 1);
    let detail = app
        .get(&format!("/v1/reports/{id}"), &app.token("tnp.leader").await)
        .await;
    let alerts: Vec<&str> = detail.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .filter(|t| matches!(*t, "report.deadline_warning" | "report.escalated"))
        .collect();
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    // Each alert names its deadline in the reader's language.
    let path = format!("/v1/reports/{id}");
    let request = app
        .client
        .get(app.url(&path))
        .bearer_auth(app.token("tnp.leader").await)
        .header("accept-language", "en");
    let english = app.send(reqwest::Method::GET, &path, request).await;
    let alert_texts = |body: &serde_json::Value| -> Vec<String> {
        body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                matches!(
                    e["type"].as_str(),
                    Some("report.deadline_warning" | "report.escalated")
                )
            })
            .map(|e| e["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let (in_english, in_vietnamese) = (alert_texts(&english.body), alert_texts(&detail.body));
    assert_eq!(in_english.len(), 4);
    assert!(
        in_english
            .iter()
            .all(|t| t.contains(" by ") && !t.contains("trước")),
        "{in_english:?}"
    );
    assert!(
        in_vietnamese.iter().all(|t| t.contains("trước")),
        "{in_vietnamese:?}"
    );
    // The head's view of the timeline has none of it.
    let head = app
        .get(&format!("/v1/reports/{id}"), &app.token("tnp.kp1").await)
        .await;
    assert!(
        head.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["visibility"] == "public")
    );
}

/// Two replicas may find overlapping batches of due alerts in different orders (deadlines
/// tie at an office's closing time). On PostgreSQL each insert waits for an uncommitted one of
/// the same alert, so two batches taking them in opposite orders deadlocked and one replica's
/// scan failed. A trigger slows each insert here so that the two batches surely overlap.
#[tokio::test]
async fn replicas_recording_one_batch_in_opposite_orders_both_finish() {
    use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
    use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};
    use sos_store::entities::report;

    let app = TestApp::spawn().await;
    let mut reports = Vec::new();
    for description in [FIRE, LAMP] {
        let filed = app
            .file_report("tnp.kp1", json!({"description": description}))
            .await;
        let id: uuid::Uuid = filed["id"].as_str().unwrap().parse().unwrap();
        reports.push(
            report::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    if sos_tests::engine() == "postgres" {
        app.db
            .execute_unprepared(
                "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;
                 CREATE TRIGGER slow_insert BEFORE INSERT ON deadline_alerts
                   FOR EACH ROW EXECUTE FUNCTION slow_insert();",
            )
            .await
            .unwrap();
    }
    let other = app.replica().await;
    let now = Utc::now();
    let record = |db: sea_orm::DatabaseConnection, batch: Vec<report::Model>| async move {
        let txn = db.begin().await?;
        let recorded = sos_store::alerts::record(
            &txn,
            &batch,
            DeadlineKind::Acknowledge,
            AlertStage::Warning,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(recorded)
    };
    let reversed: Vec<report::Model> = reports.iter().rev().cloned().collect();
    let (first, second) = tokio::join!(
        record(app.db.clone(), reports.clone()),
        record(other.db.clone(), reversed)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    // Each alert recorded once, by one of them.
    assert!(first.is_disjoint(&second), "{first:?} {second:?}");
    assert_eq!(first.len() + second.len(), reports.len());
}

#[tokio::test]
async fn a_report_acknowledged_in_time_is_not_escalated() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let id = report["id"].as_str().unwrap();
    let acknowledged = app
        .act(holder(&report), id, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(
        acknowledged["deadlines"]["acknowledge"]["standing"],
        "on_time"
    );
    let sent = scan_at(&app, time(&report["created_at"]) + Duration::minutes(30)).await;
    assert_eq!(sent, Sent::default());
}

#[tokio::test]
async fn a_ward_leader_extends_the_time_to_resolve_with_a_reason() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": LAMP}))
        .await;
    let id = report["id"].as_str().unwrap();
    let due = time(&report["deadlines"]["resolve"]["due_at"]);
    let later = (due + Duration::days(2)).to_rfc3339();

    let staff = app
        .try_act(
            "tnp.infra",
            id,
            json!({"action": "extend", "resolve_by": later, "reason": "Chờ vật tư"}),
        )
        .await;
    assert_eq!(staff.status, 403);
    let no_reason = app
        .try_act(
            "tnp.leader",
            id,
            json!({"action": "extend", "resolve_by": later}),
        )
        .await;
    assert_eq!(no_reason.status, 422);
    assert_eq!(no_reason.body["errors"][0]["field"], "/reason");
    let earlier = app
        .try_act(
            "tnp.leader",
            id,
            json!({"action": "extend", "resolve_by": (due - Duration::hours(1)).to_rfc3339(), "reason": "x"}),
        )
        .await;
    assert_eq!(earlier.status, 422);
    assert_eq!(earlier.body["errors"][0]["field"], "/resolve_by");

    let extended = app
        .act(
            "tnp.leader",
            id,
            json!({"action": "extend", "resolve_by": later, "reason": "Chờ điện lực thay cột"}),
        )
        .await;
    assert_eq!(
        time(&extended["deadlines"]["resolve"]["due_at"]),
        due + Duration::days(2)
    );
    // The ward's promise to the neighborhood stays where it was.
    assert_eq!(
        extended["deadlines"]["ward_resolve"],
        report["deadlines"]["ward_resolve"]
    );
    assert_eq!(extended["status"], report["status"]);
    let event = extended["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "report.deadline_extended")
        .unwrap();
    assert_eq!(event["text"], "Chờ điện lực thay cột");
    assert_eq!(event["visibility"], "internal");
    for moment in [&event["data"]["from"], &event["data"]["to"]] {
        assert!(
            sos_tests::spec::is_timestamp(moment.as_str().unwrap()),
            "{moment}"
        );
    }
}

#[tokio::test]
async fn a_ward_sets_its_own_deadlines_and_new_reports_follow_them() {
    let app = TestApp::spawn().await;
    let ward = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let path = format!("/v1/wards/{ward}/deadline-policies");
    let listed = app.get(&path, &app.token("tnp.infra").await).await;
    assert_eq!(listed.status, 200);
    let policies = listed.body["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 4);
    assert!(policies.iter().all(|p| p["default"] == true));
    assert_eq!(
        policies[0]["acknowledge"],
        json!({"minutes": 15, "clock": "calendar"})
    );

    let quicker = json!({
        "acknowledge": {"minutes": 5, "clock": "calendar"},
        "resolve": {"minutes": 60, "clock": "calendar"},
    });
    let refused = app
        .put(
            &format!("{path}/urgent"),
            &app.token("tnp.leader").await,
            quicker.clone(),
        )
        .await;
    assert_eq!(refused.status, 403);
    let set = app
        .put(&format!("{path}/urgent"), &admin, quicker.clone())
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.body["default"], false);
    let fire = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let filed = time(&fire["created_at"]);
    assert_eq!(
        time(&fire["deadlines"]["acknowledge"]["due_at"]),
        filed + Duration::minutes(5)
    );
    assert_eq!(
        time(&fire["deadlines"]["resolve"]["due_at"]),
        filed + Duration::minutes(60)
    );
    // The other ward keeps the defaults.
    let other = app
        .file_report("xh.kp1", json!({"description": FIRE}))
        .await;
    let filed = time(&other["created_at"]);
    assert_eq!(
        time(&other["deadlines"]["acknowledge"]["due_at"]),
        filed + Duration::minutes(15)
    );

    // A rule for one subcategory wins over its priority's.
    let lamps = json!({
        "acknowledge": {"minutes": 120, "clock": "calendar"},
        "resolve": {"minutes": 600, "clock": "calendar"},
    });
    let set = app
        .put(
            &format!("{path}/normal?subcategory=streetlight"),
            &admin,
            lamps,
        )
        .await;
    assert_eq!(set.body["subcategory"], "streetlight");
    let lamp = app
        .file_report("tnp.kp1", json!({"description": LAMP}))
        .await;
    assert_eq!(lamp["subcategory"], "streetlight");
    let filed = time(&lamp["created_at"]);
    assert_eq!(
        time(&lamp["deadlines"]["acknowledge"]["due_at"]),
        filed + Duration::minutes(120)
    );

    let bad = app
        .put(&format!("{path}/low"), &admin, json!({"acknowledge": {"minutes": 0, "clock": "working"}, "resolve": {"minutes": 60, "clock": "working"}}))
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "/acknowledge/minutes");

    let removed = app.delete(&format!("{path}/urgent"), &admin).await;
    assert_eq!(removed.status, 204);
    let again = app.delete(&format!("{path}/urgent"), &admin).await;
    assert_eq!(again.status, 404);
    let listed = app.get(&path, &admin).await;
    let policies = listed.body["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 5);
    assert_eq!(policies[0]["default"], true);
    assert_eq!(policies[4]["subcategory"], "streetlight");
}

#[tokio::test]
async fn office_hours_are_checked_and_kept_per_ward() {
    let app = TestApp::spawn().await;
    let ward = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let path = format!("/v1/wards/{ward}/office-hours");
    let hours = app.get(&path, &app.token("tnp.kp1").await).await;
    assert_eq!(hours.body["mon"], json!(["07:30-11:30", "13:00-17:00"]));
    assert_eq!(hours.body["sat"], json!([]));

    let mut saturday_mornings = hours.body.clone();
    saturday_mornings["sat"] = json!(["07:30-11:30"]);
    let set = app.put(&path, &admin, saturday_mornings.clone()).await;
    assert_eq!(set.status, 200);
    assert_eq!(
        app.get(&path, &admin).await.body["sat"],
        json!(["07:30-11:30"])
    );

    let mut overlapping = saturday_mornings;
    overlapping["tue"] = json!(["13:00-17:00", "07:30-11:30"]);
    let refused = app.put(&path, &admin, overlapping).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["errors"][0]["field"], "/tue");
    let not_admin = app
        .put(&path, &app.token("tnp.leader").await, hours.body.clone())
        .await;
    assert_eq!(not_admin.status, 403);
}

#[tokio::test]
async fn the_national_calendar_is_built_in_and_city_admins_change_it() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let year = app.get("/v1/calendar/days?year=2026", &head).await;
    assert_eq!(year.status, 200);
    let days = year.body["days"].as_array().unwrap();
    assert!(
        days.iter()
            .any(|d| d["date"] == "2026-02-17" && d["kind"] == "holiday")
    );
    assert!(days.iter().any(|d| d["date"] == "2026-09-02"));

    let admin = app.token("admin").await;
    let day = json!({"kind": "holiday", "name": "Nghỉ bù Quốc khánh"});
    let path = "/v1/calendar/days/2026-09-04";
    let refused = app
        .put(path, &app.token("tnp.leader").await, day.clone())
        .await;
    assert_eq!(refused.status, 403);
    let set = app.put(path, &admin, day).await;
    assert_eq!(set.status, 200);
    assert_eq!(
        set.body,
        json!({"date": "2026-09-04", "kind": "holiday", "name": "Nghỉ bù Quốc khánh"})
    );
    let year = app.get("/v1/calendar/days?year=2026", &head).await;
    assert!(
        year.body["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2026-09-04")
    );

    assert_eq!(app.delete(path, &admin).await.status, 204);
    assert_eq!(app.delete(path, &admin).await.status, 404);
    assert_eq!(
        app.get("/v1/calendar/days?year=1990", &head).await.status,
        422
    );
    let nameless = app
        .put(path, &admin, json!({"kind": "working_day", "name": " "}))
        .await;
    assert_eq!(nameless.status, 422);
}

/// The ids of the reports the deadline scanner would look at by `at`.
async fn looked_at(app: &TestApp, at: DateTime<Utc>) -> Vec<uuid::Uuid> {
    sos_store::alerts::due(&app.db, at, 100)
        .await
        .unwrap()
        .iter()
        .map(|report| report.id)
        .collect()
}

/// The scanner reads the reports with an alert due, not every report past a deadline: once
/// a report's reached alerts are sent, it is not read again until its next one, however long
/// it stays overdue.
#[tokio::test]
async fn an_overdue_report_is_read_again_only_when_its_next_alert_is_due() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let id: uuid::Uuid = report["id"].as_str().unwrap().parse().unwrap();
    let filed = time(&report["created_at"]);
    assert!(
        looked_at(&app, filed + Duration::minutes(11))
            .await
            .is_empty()
    );
    assert_eq!(looked_at(&app, filed + Duration::minutes(16)).await, [id]);
    assert_eq!(
        scan_at(&app, filed + Duration::minutes(16)).await,
        alerts_sent(1, 1)
    );
    // Still not acknowledged three hours in, and already escalated: nothing to read until
    // the warning to resolve, at 80 % of its 4 hours.
    assert!(looked_at(&app, filed + Duration::hours(3)).await.is_empty());
    assert_eq!(looked_at(&app, filed + Duration::minutes(193)).await, [id]);
    // Resolved: no deadline runs, nothing is ever read again.
    let holder = holder(&report);
    app.act(holder, &id.to_string(), json!({"action": "acknowledge"}))
        .await;
    app.act(
        holder,
        &id.to_string(),
        json!({"action": "resolve", "response": "Đã dập tắt đám cháy"}),
    )
    .await;
    assert!(looked_at(&app, filed + Duration::days(30)).await.is_empty());
}

/// A change may give a report an alert time that has already passed: an extension counts
/// its warning from the department's clock start. The scanner still sends it, at once, for the
/// new due time.
#[tokio::test]
async fn an_extension_whose_warning_time_has_passed_warns_at_the_next_scan() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let id = report["id"].as_str().unwrap();
    let filed = time(&report["created_at"]);
    let sent = scan_at(&app, filed + Duration::hours(5)).await;
    assert_eq!(sent, alerts_sent(2, 2));
    // Six hours from the clock's start: the new warning falls at 4 h 48 min, before the scan
    // above.
    let resolve_by = time(&report["deadlines"]["resolve"]["due_at"]) + Duration::hours(2);
    app.act(
        "tnp.leader",
        id,
        json!({"action": "extend", "resolve_by": resolve_by.to_rfc3339(), "reason": "Chờ thợ điện"}),
    )
    .await;
    let at = filed + Duration::hours(5) + Duration::minutes(1);
    assert_eq!(scan_at(&app, at).await, alerts_sent(1, 0));
    assert_eq!(scan_at(&app, at).await, Sent::default());
    assert_eq!(
        scan_at(&app, resolve_by + Duration::minutes(1)).await,
        alerts_sent(0, 1)
    );
}

/// Reports stored before reports kept their next alert get one from the upgrade, and their
/// alerts are sent.
#[tokio::test]
async fn reports_stored_before_the_upgrade_are_alerted() {
    use sos_migrations::{Migrator, MigratorTrait};
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": FIRE}))
        .await;
    let filed = time(&report["created_at"]);
    sos_tests::migrate_back_before(&app.db, "m20261206_000017_next_alerts").await;
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        scan_at(&app, filed + Duration::minutes(13)).await,
        alerts_sent(1, 0)
    );
}
