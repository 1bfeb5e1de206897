//! Leaders' statistics against a small set of reports whose figures are worked out by hand.
//! The reports are written straight into the database with chosen times (March 2026, long
//! past), so every deadline is decided and the figures do not depend on when the test runs.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sos_domain::sla::TIME_ZONE;
use sos_store::entities::{department, neighborhood, report, user, ward};
use sos_tests::TestApp;
use uuid::Uuid;

/// A local time in Ho Chi Minh City.
fn at(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    TIME_ZONE
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

/// One report of the worked example: where, when, and what happened to it.
struct Case {
    ward: i32,
    neighborhood: &'static str,
    department: &'static str,
    priority: &'static str,
    status: &'static str,
    created: &'static str,
    acknowledge_due: &'static str,
    resolve_due: &'static str,
    acknowledged: Option<&'static str>,
    resolved: Option<&'static str>,
    /// Working seconds from filing to each milestone, as intake would have stored them.
    acknowledge_seconds: Option<i64>,
    resolve_seconds: Option<i64>,
    rating: Option<i32>,
}

const TNP: i32 = 26842;
const XH: i32 = 27139;

/// The example, month of March 2026:
/// - R1 kp1/infra: acknowledged and resolved in time, rated 5.
/// - R2 kp1/infra: acknowledged late, resolved in time, rated 3.
/// - R3 kp2/police, urgent, filed Monday 16 March at 06:00 (15 March in UTC): acknowledged in
///   time, resolved late.
/// - R4 kp2/police: never acknowledged, both deadlines long past; still open.
/// - R5 kp1/infra: rejected (counts as received only).
/// - R6 kp1/infra: filed in February, still open (backlog only).
/// - R7: in the other ward.
fn cases() -> Vec<Case> {
    let case = |neighborhood, department, created, acknowledge_due, resolve_due| Case {
        ward: TNP,
        neighborhood,
        department,
        priority: "normal",
        status: "assigned",
        created,
        acknowledge_due,
        resolve_due,
        acknowledged: None,
        resolved: None,
        acknowledge_seconds: None,
        resolve_seconds: None,
        rating: None,
    };
    vec![
        Case {
            status: "closed",
            acknowledged: Some("2026-03-02 09:00"),
            resolved: Some("2026-03-03 10:00"),
            acknowledge_seconds: Some(3600),
            resolve_seconds: Some(36000),
            rating: Some(5),
            ..case(
                "kp1",
                "economy_infrastructure",
                "2026-03-02 08:00",
                "2026-03-02 16:00",
                "2026-03-04 16:00",
            )
        },
        Case {
            status: "closed",
            acknowledged: Some("2026-03-04 09:00"),
            resolved: Some("2026-03-05 09:00"),
            acknowledge_seconds: Some(30600),
            resolve_seconds: Some(57600),
            rating: Some(3),
            ..case(
                "kp1",
                "economy_infrastructure",
                "2026-03-03 08:00",
                "2026-03-03 16:00",
                "2026-03-05 16:00",
            )
        },
        Case {
            priority: "urgent",
            status: "resolved",
            acknowledged: Some("2026-03-16 06:10"),
            resolved: Some("2026-03-16 11:30"),
            acknowledge_seconds: Some(0),
            resolve_seconds: Some(14400),
            ..case(
                "kp2",
                "ward_police",
                "2026-03-16 06:00",
                "2026-03-16 06:15",
                "2026-03-16 10:00",
            )
        },
        case(
            "kp2",
            "ward_police",
            "2026-03-20 08:00",
            "2026-03-20 16:00",
            "2026-03-24 16:00",
        ),
        Case {
            status: "rejected",
            ..case(
                "kp1",
                "economy_infrastructure",
                "2026-03-25 08:00",
                "2026-03-25 16:00",
                "2026-03-27 16:00",
            )
        },
        Case {
            status: "acknowledged",
            acknowledged: Some("2026-02-16 08:00"),
            acknowledge_seconds: Some(1800),
            ..case(
                "kp1",
                "economy_infrastructure",
                "2026-02-15 08:00",
                "2026-02-16 16:00",
                "2026-02-18 16:00",
            )
        },
        Case {
            ward: XH,
            ..case(
                "kp1",
                "economy_infrastructure",
                "2026-03-10 08:00",
                "2026-03-10 16:00",
                "2026-03-12 16:00",
            )
        },
    ]
}

async fn insert(app: &TestApp, case: &Case) {
    let ward = ward::Entity::find()
        .filter(ward::Column::Code.eq(case.ward))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let neighborhood = neighborhood::Entity::find()
        .filter(neighborhood::Column::WardId.eq(ward.id))
        .filter(neighborhood::Column::Code.eq(case.neighborhood))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let department = department::Entity::find()
        .filter(department::Column::WardId.eq(ward.id))
        .filter(department::Column::Code.eq(case.department))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let reporter = user::Entity::find()
        .filter(user::Column::NeighborhoodId.eq(neighborhood.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let created = at(case.created);
    let time = |t: Option<&str>| t.map(at);
    let id = Uuid::now_v7();
    report::ActiveModel::from(report::Model {
        id,
        ward_id: ward.id,
        neighborhood_id: neighborhood.id,
        reporter_id: reporter.id,
        description: "Phản ánh mẫu".into(),
        address: None,
        lat: None,
        lon: None,
        accuracy_m: None,
        category: "infrastructure".parse().unwrap(),
        subcategory: "road_damage".parse().unwrap(),
        chosen_subcategory: None,
        priority: case.priority.parse().unwrap(),
        status: case.status.parse().unwrap(),
        department_id: Some(department.id),
        classification: json!({}),
        duplicate_of: None,
        rating: case.rating,
        response: None,
        request_hash: String::new(),
        search_text: "phan anh mau".into(),
        version: 1,
        created_at: created,
        updated_at: created,
        acknowledged_at: time(case.acknowledged),
        resolved_at: time(case.resolved),
        closed_at: None,
        assigned_at: Some(created),
        acknowledge_due_at: Some(at(case.acknowledge_due)),
        acknowledge_warn_at: Some(at(case.acknowledge_due)),
        resolve_due_at: Some(at(case.resolve_due)),
        resolve_warn_at: Some(at(case.resolve_due)),
        ward_acknowledge_due_at: Some(at(case.acknowledge_due)),
        ward_resolve_due_at: Some(at(case.resolve_due)),
        acknowledge_working_seconds: case.acknowledge_seconds,
        resolve_working_seconds: case.resolve_seconds,
        next_alert_at: None,
    })
    .insert(&app.db)
    .await
    .unwrap();
    // As every write of the service does: the statistics of the report's day changed.
    sos_store::facts::mark_changed(&app.db, &[id], app.services.clock.now())
        .await
        .unwrap();
}

async fn example() -> TestApp {
    let app = TestApp::spawn().await;
    for case in cases() {
        insert(&app, &case).await;
    }
    app
}

const MARCH: &str = "from=2026-03-01T00:00:00%2B07:00&to=2026-04-01T00:00:00%2B07:00";

#[tokio::test]
async fn the_summary_matches_the_example_worked_by_hand() {
    let app = example().await;
    let leader = app.token("tnp.leader").await;
    let summary = app
        .get(&format!("/v1/stats/summary?{MARCH}"), &leader)
        .await;
    assert_eq!(summary.status, 200);
    let s = &summary.body;
    assert_eq!(
        s["received"], 5,
        "R1–R5; R6 is February's, R7 the other ward's"
    );
    assert_eq!(s["resolved"], 3);
    // Acknowledged in time: R1, R3; late: R2 (acknowledged late), R4 (never, past due).
    assert_eq!(s["acknowledge"]["on_time"], 2);
    assert_eq!(s["acknowledge"]["late"], 2);
    assert_eq!(s["acknowledge"]["on_time_rate"], 0.5);
    // 0, 3600, 30600 s: median 1 h; p90 at rank 1.8: 3600 + 0.8 × 27000 = 25200 s = 7 h.
    assert_eq!(s["acknowledge"]["median_hours"], 1.0);
    assert_eq!(s["acknowledge"]["p90_hours"], 7.0);
    // Resolved in time: R1, R2; late: R3 (late), R4 (never, past due).
    assert_eq!(s["resolve"]["on_time_rate"], 0.5);
    // 14400, 36000, 57600 s: median 10 h; p90: 36000 + 0.8 × 21600 = 53280 s = 14.8 h.
    assert_eq!(s["resolve"]["median_hours"], 10.0);
    assert_eq!(s["resolve"]["p90_hours"], 14.8);
    assert_eq!(
        s["satisfaction"],
        json!({"ratings": 2, "average": 4.0, "distribution": [0, 0, 1, 0, 1]})
    );
    // Open now: R4 and R6 (filed before the end of March), both months old and overdue.
    assert_eq!(s["backlog"]["open"], 2);
    assert_eq!(s["backlog"]["overdue"], 2);
    let over_30: &Value = s["backlog"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["age"] == "over_30_days")
        .unwrap();
    assert_eq!(over_30["count"], 2);

    // A department narrows it: the police hold R3 and R4.
    let police = app
        .get(
            &format!("/v1/stats/summary?{MARCH}&department=ward_police"),
            &leader,
        )
        .await;
    assert_eq!(police.body["received"], 2);
    assert_eq!(police.body["resolve"]["on_time_rate"], 0.0);
}

#[tokio::test]
async fn each_role_counts_only_what_it_may_see() {
    let app = example().await;
    let summary = |who: &'static str| {
        let app = &app;
        async move {
            let token = app.token(who).await;
            app.get(&format!("/v1/stats/summary?{MARCH}"), &token)
                .await
                .body["received"]
                .clone()
        }
    };
    assert_eq!(summary("city.leader").await, 6);
    assert_eq!(summary("tnp.leader").await, 5);
    assert_eq!(summary("xh.leader").await, 1);
    assert_eq!(summary("tnp.police").await, 2);
    assert_eq!(summary("tnp.kp2").await, 2);
    // Asking for another ward does not widen a ward leader's view.
    let xh = app.get("/v1/me", &app.token("xh.leader").await).await.body["ward"]["id"].clone();
    let leader = app.token("tnp.leader").await;
    let other = app
        .get(
            &format!("/v1/stats/summary?{MARCH}&ward={}", xh.as_str().unwrap()),
            &leader,
        )
        .await;
    assert_eq!(other.body["received"], 0);
}

#[tokio::test]
async fn departments_are_ranked_by_their_own_deadlines() {
    let app = example().await;
    let leader = app.token("tnp.leader").await;
    let ranking = app
        .get(&format!("/v1/stats/departments?{MARCH}"), &leader)
        .await;
    assert_eq!(ranking.status, 200);
    let items = ranking.body["items"].as_array().unwrap();
    let codes: Vec<&str> = items
        .iter()
        .map(|i| i["department"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["economy_infrastructure", "ward_police"]);
    let infra = &items[0];
    assert_eq!(infra["received"], 3);
    assert_eq!(infra["resolved"], 2);
    assert_eq!(infra["acknowledge"]["on_time_rate"], 0.5);
    assert_eq!(infra["resolve"]["on_time_rate"], 1.0);
    assert_eq!(infra["satisfaction"], 4.0);
    let police = &items[1];
    assert_eq!(police["open"], 1);
    assert_eq!(police["overdue"], 1);
    assert_eq!(police["resolve"]["on_time_rate"], 0.0);

    let neighborhoods = app
        .get(&format!("/v1/stats/neighborhoods?{MARCH}"), &leader)
        .await;
    let items = neighborhoods.body["items"].as_array().unwrap();
    assert_eq!(items[0]["neighborhood"]["code"], "kp1");
    assert_eq!(items[0]["received"], 3);
    assert_eq!(items[1]["neighborhood"]["code"], "kp2");
    assert_eq!(items[1]["resolve"]["on_time_rate"], 0.0);

    // The city's ward ranking.
    let wards = app
        .get(
            &format!("/v1/stats/wards?{MARCH}"),
            &app.token("city.leader").await,
        )
        .await;
    let items = wards.body["items"].as_array().unwrap();
    let received: Vec<(i64, i64)> = items
        .iter()
        .map(|i| {
            (
                i["ward"]["code"].as_i64().unwrap(),
                i["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(received.contains(&(TNP.into(), 5)) && received.contains(&(XH.into(), 1)));
}

#[tokio::test]
async fn the_weekly_series_counts_in_local_time() {
    let app = example().await;
    let leader = app.token("tnp.leader").await;
    let series = app
        .get(
            &format!("/v1/stats/timeseries?{MARCH}&interval=week"),
            &leader,
        )
        .await;
    assert_eq!(series.status, 200);
    let points = series.body["points"].as_array().unwrap();
    let starts: Vec<&str> = points
        .iter()
        .map(|p| p["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-02-23",
            "2026-03-02",
            "2026-03-09",
            "2026-03-16",
            "2026-03-23",
            "2026-03-30"
        ]
    );
    let received: Vec<i64> = points
        .iter()
        .map(|p| p["received"].as_i64().unwrap())
        .collect();
    // R3 was filed on Monday 16 March at 06:00 in Ho Chi Minh City: still Sunday in UTC.
    assert_eq!(received, [0, 2, 0, 2, 1, 0]);
    let resolved: Vec<i64> = points
        .iter()
        .map(|p| p["resolved"].as_i64().unwrap())
        .collect();
    assert_eq!(resolved, [0, 2, 0, 1, 0, 0]);
    assert_eq!(points[1]["acknowledge_on_time_rate"], 0.5);
    assert_eq!(points[3]["resolve_on_time_rate"], 0.0);

    let monthly = app
        .get(
            &format!("/v1/stats/timeseries?{MARCH}&interval=month"),
            &leader,
        )
        .await;
    assert_eq!(monthly.body["points"][0]["received"], 5);
}

#[tokio::test]
async fn tables_download_as_csv_that_excel_reads_as_utf8() {
    let app = example().await;
    let leader = app.token("tnp.leader").await;
    let file = app
        .get(
            &format!("/v1/stats/departments?{MARCH}&format=csv"),
            &leader,
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        file.header("content-disposition")
            .unwrap()
            .contains("departments.csv")
    );
    let text = file.body.as_str().unwrap();
    assert!(text.starts_with('\u{FEFF}'), "a byte-order mark for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').split("\r\n").collect();
    assert!(lines[0].starts_with("ward,department_code,department,received,resolved"));
    assert!(
        lines[1].contains("Phòng Kinh tế, Hạ tầng và Đô thị"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("\"Phòng Kinh tế, Hạ tầng và Đô thị\""),
        "quoted for its comma"
    );

    let march = "created_from=2026-03-01T00:00:00%2B07:00&created_to=2026-04-01T00:00:00%2B07:00";
    let reports = app.get(&format!("/v1/reports.csv?{march}"), &leader).await;
    assert_eq!(reports.status, 200);
    let rows: Vec<&str> = reports
        .body
        .as_str()
        .unwrap()
        .trim_end()
        .split("\r\n")
        .collect();
    assert_eq!(rows.len(), 1 + 5);
    assert!(rows[1].contains("Phản ánh mẫu"));
    // Times in Ho Chi Minh City: R5 was filed at 08:00 local.
    assert!(rows[1].contains("2026-03-25 08:00"), "{}", rows[1]);
    // The file holds every matching report; the summary is JSON only: neither takes these.
    let refused = app.get("/v1/reports.csv?limit=10", &leader).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["errors"][0]["field"], "limit");
    let summary_csv = app.get("/v1/stats/summary?format=csv", &leader).await;
    assert_eq!(summary_csv.status, 400);
    assert_eq!(summary_csv.body["errors"][0]["field"], "format");
}

#[tokio::test]
async fn a_synthetic_year_fills_every_figure_consistently() {
    let app = TestApp::spawn().await;
    sos_api::services::synthetic::seed(&app.db, &app.services.writer, &app.services.clock, 400, 7)
        .await
        .unwrap();
    let city = app.token("city.leader").await;
    let now = Utc::now();
    let year = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(366)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let summary = app.get(&format!("/v1/stats/summary?{year}"), &city).await;
    let s = &summary.body;
    assert_eq!(s["received"], 400);
    let resolved = s["resolved"].as_i64().unwrap();
    assert!((250..400).contains(&resolved), "{s}");
    assert!(s["backlog"]["open"].as_i64().unwrap() > 0);
    for deadline in ["acknowledge", "resolve"] {
        let rate = s[deadline]["on_time_rate"].as_f64().unwrap();
        assert!(rate > 0.0 && rate < 1.0, "{deadline}: {rate}");
        assert!(
            s[deadline]["median_hours"].as_f64().unwrap()
                <= s[deadline]["p90_hours"].as_f64().unwrap()
        );
    }
    // The wards' rows add up to the city's figure, and so do the months.
    let wards = app.get(&format!("/v1/stats/wards?{year}"), &city).await;
    let by_ward: i64 = wards.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["received"].as_i64().unwrap())
        .sum();
    assert_eq!(by_ward, 400);
    assert!(
        wards.body["items"].as_array().unwrap().len() > 100,
        "spread over the city's wards"
    );
    let months = app
        .get(
            &format!("/v1/stats/timeseries?{year}&interval=month"),
            &city,
        )
        .await;
    let points = months.body["points"].as_array().unwrap();
    assert!(points.len() >= 12);
    let by_month: i64 = points.iter().map(|p| p["received"].as_i64().unwrap()).sum();
    assert_eq!(by_month, 400);
}

/// Asserts that figures from the packed facts equal figures from the reports.
fn assert_same_figures(
    context: &str,
    got: (
        &sos_store::stats::Counts,
        sos_store::stats::Spread,
        sos_store::stats::Spread,
    ),
    expected: (
        &sos_store::stats::Counts,
        sos_store::stats::Spread,
        sos_store::stats::Spread,
    ),
) {
    let (g, e) = (got.0, expected.0);
    assert_eq!(g.received, e.received, "received: {context}");
    for (name, got, expected) in [
        ("resolved", g.resolved, e.resolved),
        ("open", g.open, e.open),
        (
            "acknowledge on time",
            g.acknowledge_on_time,
            e.acknowledge_on_time,
        ),
        ("acknowledge late", g.acknowledge_late, e.acknowledge_late),
        ("resolve on time", g.resolve_on_time, e.resolve_on_time),
        ("resolve late", g.resolve_late, e.resolve_late),
        ("overdue", g.overdue, e.overdue),
        ("ratings", g.ratings, e.ratings),
        ("rating sum", g.rating_sum, e.rating_sum),
    ] {
        assert_eq!(got.unwrap_or(0), expected.unwrap_or(0), "{name}: {context}");
    }
    assert_eq!(got.1, expected.1, "time to acknowledge: {context}");
    assert_eq!(got.2, expected.2, "time to resolve: {context}");
}

/// Someone in `role` over `ward_id`, as the statistics' scope reads them.
fn reader(role: sos_domain::taxonomy::Role, ward_id: Option<Uuid>) -> sos_domain::access::Actor {
    sos_domain::access::Actor {
        user_id: Uuid::nil(),
        role,
        ward_id,
        neighborhood_id: None,
        department_id: None,
        triage_desk: false,
    }
}

/// Brings every day's packed facts up to date, as the worker would.
async fn build_facts(app: &TestApp) {
    sos_api::services::stats::build_all_facts(&app.services)
        .await
        .unwrap();
}

/// The figures of everything `actor` sees under `filters`, as one group, are the same from
/// the packed facts as from the reports.
async fn assert_facts_agree(
    db: &sea_orm::DatabaseConnection,
    actor: &sos_domain::access::Actor,
    filters: &sos_store::stats::Filters,
    clock: sos_store::stats::Clock,
    now: DateTime<Utc>,
    context: &str,
) -> sos_store::stats::Counts {
    use sos_store::stats::{self, Counts};
    let select = stats::scoped(actor, filters).unwrap();
    let expected = stats::counts(db, select.clone(), clock, now).await.unwrap();
    let mut tally = stats::tally(db, actor, filters, clock, now)
        .await
        .unwrap()
        .expect("leaders read the packed facts");
    let (a, r) = tally.spreads();
    let spread = |metric| {
        let select = select.clone();
        async move {
            let mut spreads = stats::spreads(db, select, None, metric).await.unwrap();
            spreads.remove(&Uuid::nil()).unwrap_or_default()
        }
    };
    assert_same_figures(
        context,
        (&Counts::from(&tally), a, r),
        (
            &expected,
            spread(report::Column::AcknowledgeWorkingSeconds).await,
            spread(report::Column::ResolveWorkingSeconds).await,
        ),
    );
    expected
}

/// The packed day facts leaders' statistics read must give exactly what the reports give:
/// for every scope, filter and grouping, whether the days were just changed (read from the
/// reports), built by the worker (read from the packed facts), or changed again since.
#[tokio::test]
async fn packed_day_facts_agree_with_the_reports() {
    use sos_domain::taxonomy::{Category, Role};
    use sos_store::stats::{self, Clock, Counts, Filters};

    // The worker is held back, so that each stage below is the one the test means.
    let app =
        TestApp::spawn_with(|s| s.facts_interval = std::time::Duration::from_secs(86_400)).await;
    sos_api::services::synthetic::seed(&app.db, &app.services.writer, &app.services.clock, 600, 11)
        .await
        .unwrap();
    let now = Utc::now();
    let ward = Uuid::parse_str(&app.ward_id("tnp.leader").await).unwrap();
    let (city, leader) = (
        reader(Role::CityLeader, None),
        reader(Role::WardLeader, Some(ward)),
    );
    let filters = |days: i64, category: Option<Category>, department: Option<&str>| Filters {
        // Periods that start and end mid-day, so the days at the edges are cut.
        from: now - chrono::Duration::days(days) - chrono::Duration::hours(5),
        to: now - chrono::Duration::hours(3),
        ward: None,
        department: department.map(str::to_owned),
        category,
    };
    let cases = [
        (&city, filters(370, None, None)),
        (&city, filters(40, Some(Category::Sanitation), None)),
        (&city, filters(200, None, Some("ward_police"))),
        (
            &city,
            Filters {
                ward: Some(ward),
                ..filters(370, None, None)
            },
        ),
        (&leader, filters(370, None, None)),
        // Up to an hour from now: today's reports count.
        (
            &leader,
            Filters {
                to: now + chrono::Duration::hours(1),
                ..filters(2, None, None)
            },
        ),
        (
            &city,
            Filters {
                to: now + chrono::Duration::hours(1),
                ..filters(370, None, None)
            },
        ),
        (
            &leader,
            filters(
                90,
                Some(Category::Infrastructure),
                Some("economy_infrastructure"),
            ),
        ),
    ];
    let check = |stage: &'static str| {
        let (app, cases) = (&app, &cases);
        async move {
            for (actor, filters) in cases {
                for clock in [Clock::Ward, Clock::Department] {
                    let context = format!("{stage}, {:?}, {filters:?}, {clock:?}", actor.role);
                    let select = stats::scoped(actor, filters).unwrap();
                    let db = &app.db;
                    let spread = |key, metric| {
                        let select = select.clone();
                        async move { stats::spreads(db, select, key, metric).await.unwrap() }
                    };
                    let acknowledge = report::Column::AcknowledgeWorkingSeconds;
                    let resolve = report::Column::ResolveWorkingSeconds;
                    assert_facts_agree(db, actor, filters, clock, now, &context).await;
                    // Per ward and per department.
                    for column in [report::Column::WardId, report::Column::DepartmentId] {
                        let expected = stats::counts_by(db, select.clone(), column, clock, now)
                            .await
                            .unwrap();
                        let mut tallies =
                            stats::tally_by(db, actor, filters, clock, now, |w, f| {
                                if matches!(column, report::Column::WardId) {
                                    Some(w)
                                } else {
                                    f.department
                                }
                            })
                            .await
                            .unwrap()
                            .unwrap();
                        assert_eq!(
                            tallies.len(),
                            expected.len(),
                            "{column:?} groups: {context}"
                        );
                        let (mut a, mut r) = (
                            spread(Some(column), acknowledge).await,
                            spread(Some(column), resolve).await,
                        );
                        for (id, counts) in &expected {
                            let tally = tallies.get_mut(id).expect("the same groups");
                            let (ta, tr) = tally.spreads();
                            assert_same_figures(
                                &format!("{column:?} {id}, {context}"),
                                (&Counts::from(&*tally), ta, tr),
                                (
                                    counts,
                                    a.remove(id).unwrap_or_default(),
                                    r.remove(id).unwrap_or_default(),
                                ),
                            );
                        }
                    }
                }
            }
        }
    };
    // Days marked to build whole, and reports whose changes wait to be applied.
    let marked = || async {
        let (days, reports) = sos_store::facts::waiting(&app.db).await.unwrap();
        days + reports
    };
    assert!(marked().await > 100, "a year of days waits to be built");
    check("as filed").await;
    let built = sos_api::services::stats::build_all_facts(&app.services)
        .await
        .unwrap();
    assert!(built > 100);
    assert_eq!(marked().await, 0);
    check("built").await;
    // A head's report answered now: its day is read from the reports until built again.
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({ "description": "Đèn đường hư trước nhà số 5" }),
        )
        .await;
    let id = filed["id"].as_str().unwrap();
    app.act(
        "tnp.infra",
        id,
        json!({ "action": "resolve", "response": "Đã thay bóng đèn." }),
    )
    .await;
    assert_eq!(marked().await, 1);
    check("changed after building").await;
    // Two replicas building at once, while a head files more: nothing is built twice over
    // or left stale.
    let other = app.replica().await;
    let filing = async {
        for n in 0..5 {
            app.file_report(
                "tnp.kp2",
                json!({ "description": format!("Rác tồn đọng đầu hẻm {n}") }),
            )
            .await;
        }
    };
    let (built, built_by_other, ()) = tokio::join!(
        sos_api::services::stats::build_all_facts(&app.services),
        sos_api::services::stats::build_all_facts(&other.services),
        filing
    );
    built.unwrap();
    built_by_other.unwrap();
    sos_api::services::stats::build_all_facts(&app.services)
        .await
        .unwrap();
    assert_eq!(marked().await, 0);
    check("built by two replicas").await;
    other.stop().await;
}

/// The demo city with the facts worker held back, so that each pass is the test's own; and
/// Tân Phú's id.
async fn tan_phu_with_the_worker_held() -> (TestApp, Uuid) {
    let app =
        TestApp::spawn_with(|s| s.facts_interval = std::time::Duration::from_secs(86_400)).await;
    let ward = Uuid::parse_str(&app.ward_id("tnp.leader").await).unwrap();
    (app, ward)
}

/// Today's stored parts of a ward's facts: (part, reports, packed facts).
async fn today_parts(app: &TestApp, ward: Uuid) -> Vec<(i32, i32, Vec<u8>)> {
    use sea_orm::QueryOrder;
    use sos_store::entities::report_day_fact_part as day_part;
    let today = sos_store::facts::day_key(sos_domain::rollup::local_day(Utc::now()));
    day_part::Entity::find()
        .filter(day_part::Column::WardId.eq(ward))
        .filter(day_part::Column::Day.eq(today))
        .order_by_asc(day_part::Column::Part)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.part, p.report_count, p.facts))
        .collect()
}

fn part_sizes(parts: &[(i32, i32, Vec<u8>)]) -> Vec<(i32, i32)> {
    parts.iter().map(|p| (p.0, p.1)).collect()
}

/// A leader of `ward`, and a period from the start of today to after `now`.
fn ward_today(
    ward: Uuid,
    now: DateTime<Utc>,
) -> (sos_domain::access::Actor, sos_store::stats::Filters) {
    let leader = reader(sos_domain::taxonomy::Role::WardLeader, Some(ward));
    let filters = sos_store::stats::Filters {
        from: sos_domain::rollup::day_start(sos_domain::rollup::local_day(now)),
        to: now + chrono::Duration::hours(1),
        ward: None,
        department: None,
        category: None,
    };
    (leader, filters)
}

/// Files `count` reports of a broken street light across the heads of Tân Phú's neighborhoods;
/// their ids.
async fn file_street_lights(app: &TestApp, count: usize) -> Vec<String> {
    let heads = ["tnp.kp1", "tnp.kp2", "tnp.kp3", "tnp.kp4", "tnp.kp5"];
    let mut ids = Vec::new();
    for n in 0..count {
        let filed = app
            .file_report(
                heads[n % heads.len()],
                json!({ "description": format!("Đèn đường hư trước nhà số {n}") }),
            )
            .await;
        ids.push(filed["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// A day's changes are written as small parts over its stored facts, the newest parts merged
/// as they grow, and folded into the day once they outgrow half of it; the figures read from
/// them are the reports' own at every pass.
#[tokio::test]
async fn a_day_s_changes_are_written_beside_it_until_they_outgrow_it() {
    use sos_store::stats::Clock;

    let (app, ward) = tan_phu_with_the_worker_held().await;
    let ids = file_street_lights(&app, 80).await;
    let now = Utc::now();
    let (leader, filters) = ward_today(ward, now);
    let parts = || today_parts(&app, ward);
    build_facts(&app).await;
    let stored = parts().await;
    assert_eq!(stored.len(), 1, "the day is built whole: its base alone");
    let (base_count, base) = (stored[0].1, stored[0].2.clone());
    assert!(base_count >= 80);

    // One report acknowledged, then resolved: the second part takes in the first, and holds
    // the report once, as resolved.
    let first = &ids[0];
    app.act("tnp.infra", first, json!({ "action": "acknowledge" }))
        .await;
    build_facts(&app).await;
    assert_eq!(part_sizes(&parts().await), vec![(0, base_count), (1, 1)]);
    app.act(
        "tnp.infra",
        first,
        json!({ "action": "resolve", "response": "Đã thay bóng đèn." }),
    )
    .await;
    build_facts(&app).await;
    let stored = parts().await;
    assert_eq!(part_sizes(&stored), vec![(0, base_count), (2, 1)]);
    assert_eq!(
        stored[0].2, base,
        "the day's base is not rewritten for a change"
    );
    let counts = assert_facts_agree(&app.db, &leader, &filters, Clock::Ward, now, "a part").await;
    assert_eq!(counts.resolved, Some(1));

    // One report resolved per pass: the parts stay few, then fold into the day.
    let mut resolved = 1;
    for id in &ids[1..] {
        app.act(
            "tnp.infra",
            id,
            json!({ "action": "resolve", "response": "Đã sửa." }),
        )
        .await;
        resolved += 1;
        build_facts(&app).await;
        let context = format!("{resolved} resolved");
        let counts =
            assert_facts_agree(&app.db, &leader, &filters, Clock::Ward, now, &context).await;
        assert_eq!(counts.resolved, Some(resolved), "{context}");
        let stored = parts().await;
        if stored.len() == 1 {
            assert!(resolved * 2 > base_count as i64, "{context}: folded early");
            assert_ne!(stored[0].2, base, "{context}: folded into a new base");
            assert_eq!(stored[0].1, base_count);
            return;
        }
        assert_eq!(
            stored[0].2, base,
            "{context}: the base is kept until the fold"
        );
        // Each part is smaller than the one below it, so they are fewer than log₂ of the
        // changes, and together they hold each changed report once.
        let over: Vec<i32> = stored[1..].iter().map(|p| p.1).collect();
        assert!(over.windows(2).all(|w| w[0] > w[1]), "{context}: {over:?}");
        assert_eq!(over.iter().sum::<i32>() as i64, resolved, "{context}");
    }
    panic!("the parts never folded into the day");
}

/// Facts stored before days had parts are read after the upgrade, and a day with parts taken
/// back to one row is built again.
#[tokio::test]
async fn stored_facts_survive_the_change_to_parts_and_back() {
    use sos_migrations::{Migrator, MigratorTrait};
    use sos_store::stats::Clock;

    let (app, ward) = tan_phu_with_the_worker_held().await;
    let ids = file_street_lights(&app, 6).await;
    build_facts(&app).await;
    let before = today_parts(&app, ward).await;
    app.act(
        "tnp.infra",
        &ids[0],
        json!({ "action": "resolve", "response": "Đã thay bóng đèn." }),
    )
    .await;
    build_facts(&app).await;
    let base_count = before[0].1;
    assert_eq!(
        part_sizes(&today_parts(&app, ward).await),
        vec![(0, base_count), (1, 1)]
    );
    // Back to the day as one row (the resolve is in no row of it), and up again.
    sos_tests::migrate_back_before(&app.db, "m20261206_000015_fact_parts").await;
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(
        today_parts(&app, ward).await,
        before,
        "the base is kept as it was"
    );
    let now = Utc::now();
    let (leader, filters) = ward_today(ward, now);
    let check = |stage| assert_facts_agree(&app.db, &leader, &filters, Clock::Ward, now, stage);
    assert_eq!(check("the day marked").await.resolved, Some(1));
    build_facts(&app).await;
    assert_eq!(
        part_sizes(&today_parts(&app, ward).await),
        vec![(0, base_count)]
    );
    assert_eq!(check("built again").await.resolved, Some(1));
}

/// Copies of `original` filed one after another from the start of today until `now`, as
/// a bulk load writes them (their days marked to be built whole); their ids in filing order.
async fn copies_through_today(
    app: &TestApp,
    original: &report::Model,
    count: usize,
    now: DateTime<Utc>,
) -> Vec<Uuid> {
    let start = sos_domain::rollup::day_start(sos_domain::rollup::local_day(now));
    let step = (now - start) / (count as i32 + 1);
    let copies: Vec<report::Model> = (1..=count)
        .map(|n| {
            let filed = start + step * n as i32;
            report::Model {
                id: Uuid::now_v7(),
                created_at: filed,
                updated_at: filed,
                ..original.clone()
            }
        })
        .collect();
    sos_store::reports::insert_many(&app.db, &copies)
        .await
        .unwrap();
    let ids: Vec<Uuid> = copies.iter().map(|c| c.id).collect();
    sos_store::facts::mark_changed(&app.db, &ids, now)
        .await
        .unwrap();
    ids
}

/// A day larger than a segment is kept in segments by filing time. New filings fold into the
/// last segment alone, changes to earlier reports into the segments they fall in, and the
/// figures read are the reports' own at every pass.
#[tokio::test]
async fn a_large_day_is_kept_in_segments_and_a_fold_rewrites_only_those_it_changes() {
    use sos_domain::rollup::SEGMENT_FACTS;
    use sos_store::entities::report_event;
    use sos_store::stats::Clock;

    let (app, ward) = tan_phu_with_the_worker_held().await;
    let filed = file_street_lights(&app, 1).await;
    build_facts(&app).await;
    let original = report::Entity::find_by_id(Uuid::parse_str(&filed[0]).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let copies = copies_through_today(&app, &original, 2 * SEGMENT_FACTS + 8, now).await;
    build_facts(&app).await;
    let segment = SEGMENT_FACTS as i32;
    let before = today_parts(&app, ward).await;
    assert_eq!(
        part_sizes(&before),
        vec![(-2, 9), (-1, segment), (0, segment)],
        "cut in segments in filing order, the filing of now in the last"
    );
    let (leader, filters) = ward_today(ward, now);
    let check = |stage| assert_facts_agree(&app.db, &leader, &filters, Clock::Ward, now, stage);
    assert_eq!(check("built whole").await.received, 2 * segment as i64 + 9);

    // New filings go over the day, then fold into its last segment alone.
    let mut filings = 0;
    loop {
        file_street_lights(&app, 1).await;
        filings += 1;
        build_facts(&app).await;
        let stored = today_parts(&app, ward).await;
        assert_eq!(
            stored[1..3],
            before[1..3],
            "{filings} filed: the earlier segments stand"
        );
        check("new filings").await;
        if stored.len() == 3 {
            assert_eq!(stored[0].1, 9 + filings, "folded into the last segment");
            break;
        }
        assert!(
            filings < 9,
            "the filings never folded into the last segment"
        );
    }

    // Reports of the first two segments change (as the service writes a change: with an
    // event pending for the facts): once they outgrow half of the day, they fold into those
    // two segments, and the last is not rewritten.
    let event = report_event::Entity::find()
        .filter(report_event::Column::ReportId.eq(original.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let last = today_parts(&app, ward).await[0].clone();
    let changed = &copies[..SEGMENT_FACTS + 100];
    for chunk in changed.chunks(200) {
        report::Entity::update_many()
            .col_expr(report::Column::Rating, sea_orm::sea_query::Expr::value(4))
            .filter(report::Column::Id.is_in(chunk.iter().copied()))
            .exec(&app.db)
            .await
            .unwrap();
        report_event::Entity::insert_many(chunk.iter().map(|id| {
            report_event::ActiveModel::from(report_event::Model {
                id: Uuid::now_v7(),
                report_id: *id,
                facts_pending: true,
                ..event.clone()
            })
        }))
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }
    assert_eq!(
        check("changes pending").await.ratings,
        Some(changed.len() as i64)
    );
    build_facts(&app).await;
    let stored = today_parts(&app, ward).await;
    assert_eq!(
        part_sizes(&stored),
        vec![(-2, last.1), (-1, segment), (0, segment)],
        "folded into the segments"
    );
    assert_eq!(stored[0], last, "the last segment is not rewritten");
    assert_ne!(stored[1..3], before[1..3]);
    assert_eq!(check("folded").await.ratings, Some(changed.len() as i64));
}

/// A bulk load marks days to build again while a replica's facts worker deletes the marks it
/// took. They must lock the marks in one order: otherwise the load holds a day the worker
/// deletes next while it waits for one the worker holds, and PostgreSQL fails one of them as
/// a deadlock (a synthetic load of a year failed so, twice, beside a running worker). SQLite
/// has one writer and cannot deadlock.
#[tokio::test]
async fn a_bulk_load_and_the_facts_worker_take_day_marks_in_one_order() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use sos_store::entities::report_day_change as mark;
    if sos_tests::engine() != "postgres" {
        return;
    }
    let (app, ward) = tan_phu_with_the_worker_held().await;
    let id = file_street_lights(&app, 1).await.remove(0);
    let original = report::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // One report on each of ten days, every day marked.
    let copies: Vec<report::Model> = (1..=10)
        .map(|day| report::Model {
            id: Uuid::now_v7(),
            created_at: at(&format!("2026-03-{day:02} 09:00")),
            ..original.clone()
        })
        .collect();
    sos_store::reports::insert_many(&app.db, &copies)
        .await
        .unwrap();
    let ids: Vec<Uuid> = copies.iter().map(|r| r.id).collect();
    sos_store::facts::mark_changed(&app.db, &ids, Utc::now())
        .await
        .unwrap();
    let days: Vec<String> = (1..=10).map(|day| format!("2026-03-{day:02}")).collect();

    // The worker has taken the first day's mark.
    let worker = app.db.begin().await.unwrap();
    let take = |day: &String| mark::Entity::delete_by_id((ward, day.clone()));
    take(&days[0]).exec(&worker).await.unwrap();
    // The load marks the ten days again, with the plan PostgreSQL chose for a large load:
    // its rows hashed apart, in no order of their own.
    let load = {
        let db = app.db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await?;
            txn.execute_unprepared("SET LOCAL enable_sort = off")
                .await?;
            sos_store::facts::mark_changed(&txn, &ids, Utc::now()).await?;
            txn.commit().await
        })
    };
    // Time for the load to lock what it can and wait for the first day.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for day in &days[1..] {
        take(day)
            .exec(&worker)
            .await
            .expect("the worker takes its marks");
    }
    worker.commit().await.unwrap();
    load.await.unwrap().expect("the load marks its days");
    let marked = mark::Entity::find()
        .filter(mark::Column::WardId.eq(ward))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        marked.len(),
        10,
        "every day is marked again after the worker"
    );
}
