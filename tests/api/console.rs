//! The ward's desk in a real headless Chromium (`sos_tests::browser`): a report filed from a
//! phone appears in the department's queue and on its map without a reload; staff open it,
//! see its photo and place, work it with the keyboard and resolve it with an answer and an
//! "after" photo, which reaches the head's inbox; the triage desk corrects a classification
//! in one click.

use fantoccini::{Client, Locator};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sos_tests::TestApp;
use sos_tests::browser::{
    accessibility_problems, browser, page_errors, record_page_errors, screenshot, wait_for,
};
use sos_tests::images::{CameraTags, phone_jpeg};

async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    browser.goto(&app.url("/console")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Id("username"))
        .await
        .unwrap();
    record_page_errors(browser).await;
    assert_eq!(
        accessibility_problems(browser).await,
        Vec::<String>::new(),
        "sign-in"
    );
    for (id, text) in [("username", username), ("password", "sos-demo")] {
        browser
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    browser
        .find(Locator::Css("#login-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        browser,
        "the queue",
        "!document.getElementById('queue-view').hidden",
    )
    .await;
}

/// A photo `width` pixels wide: photos of other sizes are other photos.
fn photo(width: u32) -> Vec<u8> {
    phone_jpeg(
        width,
        600,
        CameraTags {
            position: None,
            orientation: 1,
        },
    )
}

async fn add_photo(app: &TestApp, who: &str, report_id: &str) {
    let form = Form::new().part(
        "photo",
        Part::bytes(photo(800))
            .file_name("before.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let path = format!("/v1/reports/{report_id}/photos");
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(app.token(who).await)
        .multipart(form);
    let added = app.send(Method::POST, &path, request).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
}

async fn press(browser: &Client, key: &str) {
    browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

fn page_shows(text: &str) -> String {
    format!("document.body.innerText.includes({})", json!(text))
}

#[tokio::test]
async fn staff_see_a_new_report_live_and_resolve_it_with_an_answer_and_a_photo() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    sign_in(&browser, &app, "tnp.infra").await;
    wait_for(
        &browser,
        "an empty queue",
        "!document.getElementById('queue-empty').hidden",
    )
    .await;

    // Filed from a phone while the queue is open: it appears without a reload.
    let description = "den duong hu truoc nha so 12, toi om";
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({
                "description": description,
                "location": {"lat": 10.844, "lon": 106.79, "accuracy_m": 8.0},
            }),
        )
        .await;
    let report_id = filed["id"].as_str().unwrap().to_owned();
    add_photo(&app, "tnp.kp1", &report_id).await;
    wait_for(
        &browser,
        "the new report in the queue",
        &page_shows(description),
    )
    .await;
    // On the map: the ward and its five neighborhoods, and the report's pin.
    wait_for(
        &browser,
        "the ward's shapes",
        "document.querySelectorAll('#queue-map path.leaflet-interactive').length >= 6",
    )
    .await;
    wait_for(
        &browser,
        "the report's pin",
        "document.querySelector('#queue-map .pin.on_time') !== null",
    )
    .await;
    screenshot(&browser, "console-queue-1366x768").await;
    assert_eq!(
        accessibility_problems(&browser).await,
        Vec::<String>::new(),
        "the queue"
    );
    browser.set_window_size(390, 844).await.unwrap();
    screenshot(&browser, "console-queue-390x844").await;
    browser.set_window_size(1366, 768).await.unwrap();

    // Opened with the keyboard: Enter on the selected row.
    press(&browser, "\u{E007}").await;
    wait_for(
        &browser,
        "the report page",
        "!document.getElementById('report-view').hidden",
    )
    .await;
    wait_for(
        &browser,
        "its photo, loaded",
        "[...document.querySelectorAll('#report-photos img')].some((i) => i.complete && i.naturalWidth > 0)",
    )
    .await;
    wait_for(
        &browser,
        "the deciding words",
        "document.querySelector('#report-classification mark') !== null",
    )
    .await;
    wait_for(
        &browser,
        "its place on the map",
        "document.querySelector('#report-map .pin') !== null",
    )
    .await;

    // a: acknowledge; s: start.
    press(&browser, "a").await;
    wait_for(
        &browser,
        "acknowledged",
        "document.querySelector('form[data-action=start]') !== null",
    )
    .await;
    press(&browser, "s").await;
    wait_for(
        &browser,
        "in progress",
        "document.querySelector('form[data-action=resolve]') !== null",
    )
    .await;
    screenshot(&browser, "console-report-1366x768").await;
    assert_eq!(
        accessibility_problems(&browser).await,
        Vec::<String>::new(),
        "the report"
    );

    let answer = "Đã thay bóng đèn mới lúc 15h.";
    let form = browser
        .find(Locator::Css("form[data-action=resolve]"))
        .await
        .unwrap();
    form.find(Locator::Css("textarea"))
        .await
        .unwrap()
        .send_keys(answer)
        .await
        .unwrap();
    let file = std::env::temp_dir().join(format!("sos-after-{}.jpg", uuid::Uuid::new_v4()));
    std::fs::write(&file, photo(640)).unwrap();
    form.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "the answer in the timeline", &page_shows(answer)).await;
    let _ = std::fs::remove_file(&file);

    let staff = app.token("tnp.infra").await;
    let detail = app.get(&format!("/v1/reports/{report_id}"), &staff).await;
    assert_eq!(detail.body["status"], "resolved");
    let kinds: Vec<&str> = detail.body["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["before", "after"]);
    let resolved = app.inbox_entry("tnp.kp1", "report.resolved").await;
    assert!(resolved["body"].as_str().unwrap().contains(answer));

    // In English at a click, on a phone's screen too.
    browser
        .find(Locator::Id("language"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "English", &page_shows("Timeline")).await;
    browser.set_window_size(390, 844).await.unwrap();
    screenshot(&browser, "console-report-390x844").await;
    let fits: Value = browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true), "nothing wider than a phone's screen");
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_triage_desk_corrects_a_classification_in_one_click() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    // Words the classifier cannot place: the report waits at the triage desk.
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({"description": "Nhờ phường xem giúp chuyện ở đầu hẻm 5"}),
        )
        .await;
    let report_id = filed["id"].as_str().unwrap().to_owned();
    let triage = app.token("tnp.triage").await;
    let before = app.get(&format!("/v1/reports/{report_id}"), &triage).await;
    assert_eq!(before.status, 200, "the triage desk holds it");
    let suggestions = before.body["classification"]["suggestions"]
        .as_array()
        .unwrap()
        .clone();
    let choice = suggestions
        .iter()
        .map(|s| s["subcategory"].as_str().unwrap().to_owned())
        .find(|code| *code != before.body["subcategory"])
        .expect("a suggestion other than the current subcategory");

    sign_in(&browser, &app, "tnp.triage").await;
    browser
        .goto(&app.url(&format!("/console#/reports/{report_id}")))
        .await
        .unwrap();
    record_page_errors(&browser).await;
    wait_for(
        &browser,
        "the suggestions",
        "document.querySelectorAll('#report-classification button').length > 0",
    )
    .await;
    screenshot(&browser, "console-triage-1366x768").await;
    let index = suggestions
        .iter()
        .filter(|s| s["subcategory"] != before.body["subcategory"])
        .position(|s| s["subcategory"] == choice.as_str())
        .unwrap();
    browser
        .find_all(Locator::Css("#report-classification button"))
        .await
        .unwrap()[index]
        .click()
        .await
        .unwrap();

    let leader = app.token("tnp.leader").await;
    let mut after = Value::Null;
    for _ in 0..100 {
        after = app
            .get(&format!("/v1/reports/{report_id}"), &leader)
            .await
            .body;
        if after["subcategory"] == choice.as_str() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(after["subcategory"], choice.as_str(), "{after:#}");
    assert_ne!(after["department"]["code"], "ward_office");
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}
