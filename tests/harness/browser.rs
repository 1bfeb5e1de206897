//! A real headless Chromium driven by chromedriver, for the tests of the web pages. Needs
//! Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); outside CI, a machine
//! without them skips those tests with a notice.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, stopped when dropped.
pub struct Driver {
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

/// A browser session with a window of `width`×`height`, or `None` (with a notice) where Chromium is not installed outside CI.
pub async fn browser(width: u32, height: u32) -> Option<(Driver, Client)> {
    let installed =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver for the browser tests"
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
                "--disable-component-update", "--disable-sync", format!("--window-size={width},{height}"),
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

/// Saves what the browser shows as `target/screenshots/<name>.png`, for a reviewer to look at
/// (not committed).
pub async fn screenshot(browser: &Client, name: &str) {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(folder.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Screenshots of the page at an office PC's size and a phone's, `<name>-1366x768` and
/// `<name>-390x844`; the window is left at the PC's size.
pub async fn screenshots(browser: &Client, name: &str) {
    for (width, height) in [(1366, 768), (390, 844)] {
        browser
            .set_window_size(width, height)
            .await
            .expect("window size");
        screenshot(browser, &format!("{name}-{width}x{height}")).await;
    }
    browser
        .set_window_size(1366, 768)
        .await
        .expect("window size");
}

/// Whether the JavaScript expression `condition` became true on the page within `within`,
/// asked every `every`.
pub async fn became_true(
    browser: &Client,
    condition: &str,
    within: Duration,
    every: Duration,
) -> bool {
    let script = format!("return Boolean({condition});");
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if browser.execute(&script, vec![]).await.ok() == Some(json!(true)) {
            return true;
        }
        tokio::time::sleep(every).await;
    }
    false
}

/// Waits until the JavaScript expression `condition` is true on the page; panics with `what`
/// after ten seconds.
pub async fn wait_for(browser: &Client, what: &str, condition: &str) {
    let ten_seconds = Duration::from_secs(10);
    if !became_true(browser, condition, ten_seconds, Duration::from_millis(100)).await {
        panic!("never happened: {what} ({condition})");
    }
}

/// Opens `url`, signs in on the page's form (`#username`, `#password`, `#login-form`) and
/// waits until `landed` (a JavaScript expression) is true. Page errors are recorded from the
/// form on.
pub async fn sign_in(browser: &Client, url: &str, username: &str, landed: &str) {
    browser.goto(url).await.expect("open the page");
    browser
        .wait()
        .for_element(Locator::Id("username"))
        .await
        .expect("the sign-in form");
    record_page_errors(browser).await;
    for (id, text) in [("username", username), ("password", crate::DEMO_PASSWORD)] {
        browser
            .find(Locator::Id(id))
            .await
            .expect("a sign-in field")
            .send_keys(text)
            .await
            .expect("type");
    }
    click(browser, "#login-form button[type=submit]").await;
    wait_for(browser, &format!("signed in as {username}"), landed).await;
}

/// Clicks the element `css` selects.
pub async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Whether the page is no wider than the window: nothing to scroll sideways on a phone.
pub async fn fits_the_window(browser: &Client) -> bool {
    browser
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .expect("page width")
        == json!(true)
}

/// From now on, the page's uncaught errors and `console.error` calls are kept, for
/// [`page_errors`].
pub async fn record_page_errors(browser: &Client) {
    browser
        .execute(
            "window.__errors = [];
             window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
             window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
             const original = console.error;
             console.error = (...args) => { window.__errors.push(args.join(' ')); original(...args); };",
            vec![],
        )
        .await
        .expect("record page errors");
}

/// The errors the page had since [`record_page_errors`].
pub async fn page_errors(browser: &Client) -> Vec<String> {
    let errors = browser
        .execute("return window.__errors || [];", vec![])
        .await
        .expect("page errors");
    serde_json::from_value(errors).unwrap_or_default()
}

/// Fails the test, naming `page`, when axe-core finds a serious or critical violation.
pub async fn assert_accessible(browser: &Client, page: &str) {
    assert_eq!(
        accessibility_problems(browser).await,
        Vec::<String>::new(),
        "{page}"
    );
}

/// axe-core, vendored for the tests (`tests/vendor/README.md`).
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is now,
/// one line each: rule, help, and the elements at fault.
pub async fn accessibility_problems(browser: &Client) -> Vec<String> {
    browser.execute(AXE, vec![]).await.expect("load axe-core");
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
               resultTypes: ['violations'],
             }).then((r) => done(r.violations
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)),
               (e) => done([`axe failed: ${e}`]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value(found).unwrap_or_default()
}
