//! The dashboard in a real headless Chromium: a leader signs in and sees the figures the API
//! gives. Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); outside
//! CI, a machine without them skips this test with a notice.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sos_tests::TestApp;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A browser session, or `None` (with a notice) where Chromium is not installed outside CI.
async fn browser() -> Option<(Driver, Client)> {
    let installed =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver for the dashboard test"
        );
        eprintln!("skipping the browser test: {CHROMIUM} and {CHROMEDRIVER} are not installed");
        return None;
    }
    let port = free_port();
    let process = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { process, port };
    let profile =
        std::env::temp_dir().join(format!("sos-chromium-{}", uuid::Uuid::new_v4().simple()));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=390,844",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Some((driver, client)),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not answer on {url}");
}

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
    let Some((_driver, browser)) = browser().await else {
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
    browser.close().await.unwrap();
}
