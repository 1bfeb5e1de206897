//! A phone coming back online fetches only what changed since its last sync, changes made
//! while it paged included, and reloads cost no data when nothing changed (ETag, 304).

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sos_api::clock::Clock;
use sos_tests::{TestApp, TestResponse};

fn ids(page: &TestResponse) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn synced_at(page: &TestResponse) -> String {
    page.body["synced_at"]
        .as_str()
        .expect("a first page says when it was synced")
        .to_owned()
}

/// Half past the current minute. A sync mark is whole minutes, five seconds behind: a test
/// starting in the first five seconds of a minute would have its marks a minute early, and
/// what it filed at the start would count as changed since them (about one run in twelve).
fn mid_minute() -> chrono::DateTime<Utc> {
    use chrono::DurationRound;
    Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::seconds(30)
}

/// The test's clock, at `minutes` after it started.
fn at(clock: &Clock, start: chrono::DateTime<Utc>, minutes: i64) {
    clock.set(start + Duration::minutes(minutes));
}

#[tokio::test]
async fn the_report_list_gives_what_changed_since_the_last_sync_even_while_paging() {
    let start = mid_minute();
    let clock = Clock::pinned(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let first = app
        .file_report("tnp.kp1", json!({"description": "den duong hu o hem 3"}))
        .await;
    let second = app
        .file_report("tnp.kp1", json!({"description": "den duong hu o hem 4"}))
        .await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );
    let staff = app.token("tnp.infra").await;

    at(&clock, start, 1);
    let full = app.get("/v1/reports", &staff).await;
    assert_eq!(ids(&full), [second, first]);
    let mark = synced_at(&full);

    at(&clock, start, 2);
    app.act("tnp.infra", first, json!({"action": "acknowledge"}))
        .await;
    at(&clock, start, 3);
    let changed = app
        .get(&format!("/v1/reports?updated_since={mark}"), &staff)
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(ids(&changed), [first], "only the acknowledged report");

    // Paging one by one: the report on the page already read changes before the next page.
    at(&clock, start, 4);
    let page_one = app.get("/v1/reports?limit=1", &staff).await;
    assert_eq!(ids(&page_one), [second]);
    let mark = synced_at(&page_one);
    at(&clock, start, 5);
    app.act(
        "tnp.infra",
        second,
        json!({"action": "comment", "text": "Đã ghi nhận."}),
    )
    .await;
    let cursor = page_one.body["next_cursor"].as_str().unwrap();
    let page_two = app
        .get(&format!("/v1/reports?limit=1&cursor={cursor}"), &staff)
        .await;
    assert_eq!(ids(&page_two), [first]);
    assert!(
        page_two.body.get("synced_at").is_none(),
        "only the first page gives the mark, so no app keeps a later one"
    );
    at(&clock, start, 6);
    let next_sync = app
        .get(&format!("/v1/reports?updated_since={mark}"), &staff)
        .await;
    assert_eq!(
        ids(&next_sync),
        [second],
        "the change made while paging comes next"
    );

    let bad = app.get("/v1/reports?updated_since=yesterday", &staff).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn the_inbox_gives_entries_that_arrived_or_were_read_since_the_last_sync() {
    let start = mid_minute();
    let clock = Clock::pinned(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu o dau hem 7"}),
        )
        .await;
    let report_id = report["id"].as_str().unwrap();
    let head = app.token("tnp.kp1").await;

    at(&clock, start, 1);
    let full = app.get("/v1/notifications", &head).await;
    let known = ids(&full);
    assert!(!known.is_empty(), "the head heard where the report went");
    let mark = synced_at(&full);

    at(&clock, start, 2);
    let read = app
        .post(
            &format!("/v1/notifications/{}/read", known[0]),
            &head,
            json!({}),
        )
        .await;
    assert_eq!(read.status, 200);
    app.act("tnp.infra", report_id, json!({"action": "acknowledge"}))
        .await;

    at(&clock, start, 3);
    let changed = app
        .get(&format!("/v1/notifications?updated_since={mark}"), &head)
        .await;
    let changed_ids = ids(&changed);
    assert_eq!(changed_ids.len(), 2, "{:#}", changed.body);
    assert!(changed_ids.contains(&known[0]), "the entry read on a phone");
    assert_eq!(changed.body["items"][0]["type"], "report.acknowledged");
    assert!(known[1..].iter().all(|id| !changed_ids.contains(id)));
}

/// `GET path` with `If-None-Match: etag`.
async fn revalidate(app: &TestApp, path: &str, token: &str, etag: &str) -> TestResponse {
    let request = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("if-none-match", etag);
    app.send(Method::GET, path, request).await
}

fn etag(response: &TestResponse) -> String {
    response.header("etag").expect("an ETag").to_owned()
}

#[tokio::test]
async fn a_reload_of_what_did_not_change_is_a_304_without_a_body() {
    // A pinned clock: the list's sync mark moves by whole minutes.
    let clock = Clock::pinned(Utc::now());
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "ong nuoc vo tren duong so 2"}),
        )
        .await;
    let report_id = report["id"].as_str().unwrap();
    let staff = app.token("tnp.infra").await;
    let path = format!("/v1/reports/{report_id}");

    let detail = app.get(&path, &staff).await;
    let tag = etag(&detail);
    assert_eq!(detail.header("cache-control"), Some("private, no-cache"));
    let unchanged = revalidate(&app, &path, &staff, &tag).await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.bytes.is_empty());
    assert_eq!(unchanged.header("etag"), Some(tag.as_str()));

    let list = app.get("/v1/reports", &staff).await;
    let list_tag = etag(&list);
    assert_eq!(
        revalidate(&app, "/v1/reports", &staff, &list_tag)
            .await
            .status,
        304
    );

    clock.set(app.services.clock.now() + Duration::seconds(1));
    app.act(
        "tnp.infra",
        report_id,
        json!({"action": "comment", "text": "Đã báo công ty cấp nước."}),
    )
    .await;
    let changed = revalidate(&app, &path, &staff, &tag).await;
    assert_eq!(changed.status, 200);
    assert_ne!(etag(&changed), tag);
    assert_eq!(
        revalidate(&app, "/v1/reports", &staff, &list_tag)
            .await
            .status,
        200
    );

    // Another person's view of the same report is another answer, with another tag.
    let head = app.token("tnp.kp1").await;
    assert_eq!(revalidate(&app, &path, &head, &tag).await.status, 200);

    let taxonomy = app
        .request(Method::GET, "/v1/taxonomy", None, None::<Value>)
        .await;
    let request = app
        .client
        .get(app.url("/v1/taxonomy"))
        .header("if-none-match", etag(&taxonomy));
    let again = app.send(Method::GET, "/v1/taxonomy", request).await;
    assert_eq!(again.status, 304);
}
