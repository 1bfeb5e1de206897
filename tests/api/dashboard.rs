//! The dashboard in a real headless Chromium (`sos_tests::browser`): a leader signs in and
//! sees the figures the API gives.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use sos_tests::TestApp;
use sos_tests::browser::{accessibility_problems, browser};
use std::time::Duration;

async fn text_of(browser: &Client, id: &str) -> String {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until `#id` shows something other than the placeholder.
async fn wait_for_figure(browser: &Client, id: &str) -> String {
    for _ in 0..100 {
        let text = text_of(browser, id).await;
        if text != "–" && !text.is_empty() {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never showed a figure");
}

#[tokio::test]
async fn a_leader_signs_in_and_sees_the_figures_of_the_api() {
    let Some((_driver, browser)) = browser(390, 844).await else {
        return;
    };
    let app = TestApp::spawn().await;
    for text in [
        "den duong hu truoc nha so 12",
        "Rác không ai thu gom 3 ngày nay",
        "Karaoke hát tới 12h đêm",
    ] {
        app.file_report("tnp.kp1", json!({"description": text}))
            .await;
    }
    app.file_report("xh.kp1", json!({"description": "o ga giua duong"}))
        .await;

    browser.goto(&app.url("/dashboard")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Id("username"))
        .await
        .unwrap();
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("tnp.leader")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("sos-demo")
        .await
        .unwrap();
    browser
        .find(Locator::Id("login-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let leader = app.token("tnp.leader").await;
    let summary = app.get("/v1/stats/summary", &leader).await.body;
    assert_eq!(
        wait_for_figure(&browser, "kpi-received").await,
        summary["received"].to_string()
    );
    assert_eq!(
        summary["received"], 3,
        "the other ward's report is not the leader's"
    );
    assert_eq!(
        text_of(&browser, "kpi-open").await,
        summary["backlog"]["open"].to_string()
    );
    assert!(text_of(&browser, "who").await.contains("Tăng Nhơn Phú"));

    let departments = app.get("/v1/stats/departments", &leader).await.body;
    let rows = browser
        .find_all(Locator::Css("#departments tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), departments["items"].as_array().unwrap().len());
    assert!(!rows.is_empty());
    let trend = browser
        .find_all(Locator::Css("#trend svg rect"))
        .await
        .unwrap();
    assert!(!trend.is_empty(), "the trend chart is drawn");
    // A ward leader has no city ranking.
    let wards: Value = browser
        .execute(
            "return document.getElementById('wards-section').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wards, json!(true));
    // Usable on a phone: nothing wider than the screen.
    let fits: Value = browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true));
    assert_eq!(accessibility_problems(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}
