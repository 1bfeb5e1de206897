//! The leaders' dashboard, a page of the console, in a real headless Chromium
//! (`sos_tests::browser`): the figures the API gives, a trend with dated axes, the slowest
//! departments as a top ten with "show all", a custom range, and rows and late reports that
//! open the queue and the report.

use chrono::{Duration as Days, Utc};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use sos_api::clock::Clock;
use sos_tests::TestApp;
use sos_tests::browser::{
    self, assert_accessible, browser, click, fits_the_window, page_errors, screenshot, screenshots,
    wait_for,
};

async fn text_of(browser: &Client, id: &str) -> String {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn run(browser: &Client, script: &str) -> Value {
    browser
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Opens the dashboard's old address, signs in and waits for the figures.
async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    browser::sign_in(
        browser,
        &app.url("/dashboard"),
        username,
        "!document.getElementById('dashboard-view').hidden && document.getElementById('kpi-received').textContent !== '–'",
    )
    .await;
}

fn page_shows(text: &str) -> String {
    format!("document.body.innerText.includes({})", json!(text))
}

#[tokio::test]
async fn a_leader_reads_the_figures_follows_a_row_to_its_queue_and_a_late_report_to_its_page() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    // Filed now and never acknowledged: late for the service once its clock is ten days on.
    let clock = Clock::pinned(Utc::now());
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let mut filed = Vec::new();
    for (text, lat) in [
        ("den duong hu truoc nha so 12", 10.844),
        ("Rác không ai thu gom 3 ngày nay", 10.845),
        ("Karaoke hát tới 12h đêm", 10.846),
    ] {
        let place = json!({"lat": lat, "lon": 106.79, "accuracy_m": 8.0});
        filed.push(
            app.file_report("tnp.kp1", json!({"description": text, "location": place}))
                .await,
        );
    }
    app.file_report("xh.kp1", json!({"description": "o ga giua duong"}))
        .await;
    clock.set(Utc::now() + Days::days(10));

    sign_in(&browser, &app, "tnp.leader").await;
    let leader = app.token("tnp.leader").await;
    let summary = app.get("/v1/stats/summary", &leader).await.body;
    assert_eq!(
        summary["received"], 3,
        "the other ward's reports are not the leader's"
    );
    assert_eq!(text_of(&browser, "kpi-received").await, "3");
    assert_eq!(
        text_of(&browser, "kpi-open").await,
        summary["backlog"]["open"].to_string()
    );
    assert!(text_of(&browser, "who").await.contains("Tăng Nhơn Phú"));

    // The trend has a value axis and dates under it.
    wait_for(
        &browser,
        "the trend's bars",
        "document.querySelectorAll('#trend svg rect').length > 0",
    )
    .await;
    let axis: Value = run(
        &browser,
        "return [...document.querySelectorAll('#trend text.axis')].map((t) => t.textContent);",
    )
    .await;
    let axis: Vec<&str> = axis
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(axis.contains(&"0"), "{axis:?}");
    assert!(
        axis.iter().any(|t| t.contains(['/', '-'])),
        "dates on the time axis: {axis:?}"
    );

    // A ward leader has no city ranking; the ward's departments are few, all shown.
    assert_eq!(
        run(
            &browser,
            "return document.getElementById('wards-section').hidden;"
        )
        .await,
        json!(true)
    );
    let departments = app.get("/v1/stats/departments", &leader).await.body;
    let rows = browser
        .find_all(Locator::Css("#departments tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        departments["items"].as_array().unwrap().len().min(10)
    );

    // The late reports, and a click opens one.
    wait_for(
        &browser,
        "the late list",
        "document.querySelectorAll('#late a').length > 0",
    )
    .await;
    wait_for(&browser, "the map's late pins", "document.querySelectorAll('#dashboard-map .pin.late, #dashboard-map .marker-cluster').length > 0").await;
    screenshots(&browser, "console-dashboard").await;
    assert_accessible(&browser, "the dashboard").await;
    browser.set_window_size(390, 844).await.unwrap();
    assert!(
        fits_the_window(&browser).await,
        "nothing wider than a phone's screen"
    );
    browser.set_window_size(1366, 768).await.unwrap();
    let first_late = run(
        &browser,
        "const a = document.querySelector('#late a'); a.click(); return a.getAttribute('href');",
    )
    .await;
    let id = first_late
        .as_str()
        .unwrap()
        .trim_start_matches("#/reports/")
        .to_owned();
    assert!(filed.iter().any(|r| r["id"] == id.as_str()));
    wait_for(&browser, "the late report's page", "!document.getElementById('report-view').hidden && document.querySelector('#report-deadlines .badge.late') !== null").await;

    // Back on the dashboard, a department's row opens the queue of that department.
    browser.goto(&app.url("/console#/dashboard")).await.unwrap();
    wait_for(
        &browser,
        "the rows",
        "document.querySelectorAll('#departments tbody a').length > 0",
    )
    .await;
    let link = run(
        &browser,
        "const a = [...document.querySelectorAll('#departments tbody tr')].find((r) => r.cells[1].textContent !== '0').querySelector('a'); a.click(); return a.getAttribute('href');",
    )
    .await;
    // Department codes are plain letters and underscores: nothing to decode.
    let department = link
        .as_str()
        .unwrap()
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("department="))
        .unwrap()
        .to_owned();
    wait_for(&browser, "the department's queue", "!document.getElementById('queue-view').hidden && !document.getElementById('queue-scope').hidden").await;
    let expected = app
        .get(&format!("/v1/reports?department={department}&status=submitted,assigned,acknowledged,in_progress"), &leader)
        .await
        .body;
    let expected = expected["items"].as_array().unwrap().len();
    assert!(expected > 0);
    wait_for(
        &browser,
        "the department's reports only",
        &format!("document.querySelectorAll('#queue-rows tr').length === {expected}"),
    )
    .await;

    // A custom range before anything was filed shows nothing received.
    browser.goto(&app.url("/console#/dashboard")).await.unwrap();
    wait_for(
        &browser,
        "the dashboard",
        "document.getElementById('kpi-received').textContent === '3'",
    )
    .await;
    run(
        &browser,
        "const p = document.getElementById('period'); p.value = 'custom'; p.dispatchEvent(new Event('change'));
         document.getElementById('period-from').value = '2025-07-01';
         document.getElementById('period-to').value = '2025-07-31';
         document.getElementById('period-apply').click();",
    )
    .await;
    wait_for(
        &browser,
        "July 2025's figures",
        "document.getElementById('kpi-received').textContent === '0'",
    )
    .await;

    // In English at a click.
    click(&browser, "#language").await;
    wait_for(
        &browser,
        "English",
        &page_shows("Departments, slowest first"),
    )
    .await;
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_city_leader_sees_the_ten_slowest_and_all_on_request() {
    let Some((_driver, browser)) = browser(390, 844).await else {
        return;
    };
    let app = TestApp::spawn().await;
    // A year of a few wards' reports: more departments at work than the ten shown.
    sos_tests::fill_with_synthetic_reports(&app, 3000).await;
    sign_in(&browser, &app, "city.leader").await;
    let city = app.token("city.leader").await;
    let departments = app.get("/v1/stats/departments", &city).await.body;
    let all = departments["items"].as_array().unwrap().len();
    assert!(all > 10, "departments at work: {all}");
    wait_for(&browser, "the ward ranking", "!document.getElementById('wards-section').hidden && document.querySelectorAll('#wards tbody tr').length > 0").await;
    assert_eq!(
        browser
            .find_all(Locator::Css("#departments tbody tr"))
            .await
            .unwrap()
            .len(),
        10
    );
    click(&browser, "#departments-all").await;
    wait_for(
        &browser,
        "every department",
        &format!("document.querySelectorAll('#departments tbody tr').length === {all}"),
    )
    .await;
    screenshot(&browser, "console-dashboard-city-390x844").await;
    assert!(
        fits_the_window(&browser).await,
        "nothing wider than a phone's screen"
    );
    assert_accessible(&browser, "the city dashboard").await;
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}
