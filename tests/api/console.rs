//! The ward's desk in a real headless Chromium (`sos_tests::browser`): a report filed from a
//! phone appears in the department's queue and on its map without a reload; staff open it,
//! see its photo and place, work it with the keyboard and resolve it with an answer and an
//! "after" photo, which reaches the head's inbox; the triage desk corrects a classification
//! in one click.

use fantoccini::{Client, Locator};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sos_api::config::MapTiles;
use sos_tests::TestApp;
use sos_tests::browser::{
    self, assert_accessible, browser, click, fits_the_window, page_errors, record_page_errors,
    screenshot, screenshots, wait_for,
};
use sos_tests::images::{CameraTags, phone_jpeg};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    sign_in_to(browser, app, username, "queue-view").await;
}

/// Signs in and waits for the view the person lands on.
async fn sign_in_to(browser: &Client, app: &TestApp, username: &str, view: &str) {
    browser::sign_in(
        browser,
        &app.url("/console"),
        username,
        &format!("!document.getElementById('{view}').hidden"),
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
    browser.goto(&app.url("/console")).await.unwrap();
    wait_for(&browser, "the sign-in form", "document.getElementById('username') !== null && !document.getElementById('login-view').hidden").await;
    assert_accessible(&browser, "sign-in").await;
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
    screenshots(&browser, "console-queue").await;
    assert_accessible(&browser, "the queue").await;

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
    assert_accessible(&browser, "the report").await;

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
    click(&browser, "#language").await;
    wait_for(&browser, "English", &page_shows("Timeline")).await;
    browser.set_window_size(390, 844).await.unwrap();
    screenshot(&browser, "console-report-390x844").await;
    assert!(
        fits_the_window(&browser).await,
        "nothing wider than a phone's screen"
    );
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
    screenshots(&browser, "console-triage").await;
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
    let after = app
        .get_until(&format!("/v1/reports/{report_id}"), &leader, |r| {
            r["subcategory"] == choice.as_str()
        })
        .await;
    assert_eq!(after["subcategory"], choice.as_str(), "{after:#}");
    assert_ne!(after["department"]["code"], "ward_office");
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

/// A street-map tile server on loopback, counting the tiles it serves.
async fn tile_server() -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let tile = sos_tests::images::flat_png(256, 256, 2, 8);
    let app = axum::Router::new().route(
        "/tiles/{z}/{x}/{file}",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let tile = tile.clone();
            async move { ([("content-type", "image/png")], tile) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, served)
}

#[tokio::test]
async fn the_map_draws_the_street_tiles_the_operator_chose() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let (origin, served) = tile_server().await;
    let url = format!("{origin}/tiles/{{z}}/{{x}}/{{y}}.png");
    let app = TestApp::spawn_with(|settings| {
        settings.map_tiles = Some(MapTiles::parse(&url, Some("Bản đồ thử".into())).unwrap());
    })
    .await;
    let page = app
        .request(Method::GET, "/console", None, None::<Value>)
        .await;
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.contains(&format!("img-src 'self' data: blob: {origin};")),
        "{policy}"
    );
    assert!(
        policy.contains("default-src 'self'"),
        "scripts stay this service's own"
    );

    sign_in(&browser, &app, "tnp.infra").await;
    wait_for(
        &browser,
        "street tiles under the queue's map",
        "document.querySelectorAll('#queue-map img.leaflet-tile-loaded').length > 0",
    )
    .await;
    assert!(served.load(Ordering::SeqCst) > 0);
    wait_for(&browser, "the tiles' credit", &page_shows("Bản đồ thử")).await;
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

/// Writes `lines` as a spreadsheet saved by Excel ("CSV UTF-8", CRLF) and returns its path.
fn spreadsheet(lines: &[&str]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("sos-roster-{}.csv", uuid::Uuid::new_v4()));
    let text = lines.join("\r\n") + "\r\n";
    std::fs::write(
        &path,
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    )
    .unwrap();
    path
}

async fn choose_file(browser: &Client, path: &std::path::Path) {
    let input = browser.find(Locator::Id("import-file")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(path.to_str().unwrap()).await.unwrap();
}

#[tokio::test]
async fn a_ward_admin_imports_accounts_and_sees_the_row_that_is_wrong() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    sign_in_to(&browser, &app, "tnp.admin", "admin-view").await;
    wait_for(&browser, "the ward's accounts", &page_shows("tnp.kp1")).await;

    let header = "Tên đăng nhập,Họ và tên,Vai trò,Khu phố";
    let good = "tnp.kp1.9,Nguyễn Văn Chín,Trưởng khu phố,Khu phố 1";
    let wrong = spreadsheet(&[header, good, "tnp.kp2.9,Lê Thị Mười,Thủ quỹ,Khu phố 2"]);
    choose_file(&browser, &wrong).await;
    click(&browser, "#import-check").await;
    wait_for(
        &browser,
        "the dry run's verdict",
        "!document.getElementById('import-rows').hidden",
    )
    .await;
    let problems: Value = browser
        .execute(
            "return [...document.querySelectorAll('#import-rows tbody tr')].map((r) => [...r.cells].map((c) => c.textContent));",
            vec![],
        )
        .await
        .unwrap();
    let problems = problems.as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0][0], "3", "the third line of the file");
    assert_eq!(problems[0][1], "/role");
    assert!(
        !problems[0][2].as_str().unwrap().is_empty(),
        "the problem in words"
    );
    screenshots(&browser, "console-admin").await;
    assert_accessible(&browser, "the import's verdict").await;

    // Importing the wrong file makes nobody; the right one makes the account at once.
    click(&browser, "#import-apply").await;
    wait_for(
        &browser,
        "the refusal",
        "document.querySelectorAll('#import-rows tbody tr').length === 1",
    )
    .await;
    let admin = app.token("tnp.admin").await;
    let before = app.get("/v1/accounts?q=tnp.kp1.9", &admin).await;
    assert_eq!(before.body["items"].as_array().unwrap().len(), 0);

    let right = spreadsheet(&[header, good]);
    choose_file(&browser, &right).await;
    click(&browser, "#import-apply").await;
    wait_for(
        &browser,
        "the one-time password",
        "document.querySelector('#import-created code') !== null",
    )
    .await;
    let made = app.get("/v1/accounts?q=tnp.kp1.9", &admin).await;
    assert_eq!(made.body["items"][0]["username"], "tnp.kp1.9");
    wait_for(
        &browser,
        "the list, with the new account",
        &page_shows("Nguyễn Văn Chín"),
    )
    .await;
    for file in [wrong, right] {
        let _ = std::fs::remove_file(file);
    }
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

/// Clicks the admin page's tab `tab` and waits for its title and its own content: until then
/// the panel is empty, never the last page's.
async fn open_tab(browser: &Client, tab: &str, title: &str) {
    // The forms the panel holds the moment the new title shows, before the page's own have
    // loaded: the last page's there would take a change meant for this one.
    let forms_under_the_new_title = browser
        .execute_async(
            "const [tab, done] = arguments;
             new MutationObserver((_, observer) => {
               observer.disconnect();
               done(document.querySelectorAll('#admin-panel form').length);
             }).observe(document.getElementById('admin-title'), { childList: true, characterData: true, subtree: true });
             document.querySelector(`#admin-tabs a[data-tab=${tab}]`).click();",
            vec![json!(tab)],
        )
        .await
        .unwrap();
    assert_eq!(
        forms_under_the_new_title,
        json!(0),
        "{tab} opened under the last page's forms"
    );
    wait_for(
        browser,
        title,
        &format!(
            "document.getElementById('admin-title').textContent === {} && (document.getElementById('admin-panel').dataset.page ?? '').endsWith({}) && document.getElementById('admin-panel').children.length > 0",
            json!(title),
            json!(format!("/{tab}"))
        ),
    )
    .await;
}

/// Fills the field labelled `label` of the admin form titled `form` (in the page's order).
async fn fill(browser: &Client, form: &str, label: &str, value: &str) {
    let done: Value = browser
        .execute(
            "const [title, text, value] = arguments;
             const form = [...document.querySelectorAll('#admin-panel form')].find((f) => f.querySelector('h3').textContent === title);
             const label = [...form.querySelectorAll('label')].find((l) => l.textContent === text);
             const control = document.getElementById(label.htmlFor);
             control.value = value;
             control.dispatchEvent(new Event('change'));
             return true;",
            vec![json!(form), json!(label), json!(value)],
        )
        .await
        .unwrap();
    assert_eq!(done, json!(true));
}

async fn submit(browser: &Client, form: &str) {
    browser
        .execute(
            "const form = [...document.querySelectorAll('#admin-panel form')].find((f) => f.querySelector('h3').textContent === arguments[0]);
             form.querySelector('button[type=submit]').click();",
            vec![json!(form)],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_ward_admin_runs_the_ward_from_its_pages() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.token("tnp.admin").await;
    let ward = app.ward_id("tnp.admin").await;
    sign_in_to(&browser, &app, "tnp.admin", "admin-view").await;

    // Neighborhoods: a new one, added from its form.
    open_tab(&browser, "neighborhoods", "Khu phố").await;
    fill(&browser, "Thêm khu phố", "Mã", "kp9").await;
    fill(&browser, "Thêm khu phố", "Tên", "Khu phố 9").await;
    submit(&browser, "Thêm khu phố").await;
    wait_for(&browser, "the new neighborhood", &page_shows("Khu phố 9")).await;
    let neighborhoods = app
        .get(&format!("/v1/wards/{ward}/neighborhoods"), &admin)
        .await;
    assert!(
        neighborhoods
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "kp9"),
        "{:?}",
        neighborhoods.body
    );
    screenshot(&browser, "console-admin-neighborhoods-1366x768").await;
    assert_accessible(&browser, "neighborhoods").await;

    // Departments: listed, and the page passes the checks.
    open_tab(&browser, "departments", "Đơn vị").await;
    wait_for(
        &browser,
        "the departments",
        "document.querySelectorAll('#admin-panel tbody tr').length >= 5",
    )
    .await;
    assert_accessible(&browser, "departments").await;

    // Routing: street lights go to the ward office from now on.
    open_tab(&browser, "routing", "Phân công xử lý").await;
    browser
        .execute(
            "const select = [...document.querySelectorAll('#admin-panel select')].find((s) => s.getAttribute('aria-label').endsWith(arguments[0]));
             select.value = 'ward_office';
             select.dispatchEvent(new Event('change'));",
            vec![json!("Đèn chiếu sáng công cộng")],
        )
        .await
        .unwrap();
    let streetlight = |routing: &Value| {
        routing["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["subcategory"] == "streetlight")
            .cloned()
            .unwrap()
    };
    let routed = app
        .get_until(&format!("/v1/wards/{ward}/routing"), &admin, |r| {
            streetlight(r)["department"]["code"] == "ward_office"
        })
        .await;
    let rule = streetlight(&routed);
    assert_eq!(rule["department"]["code"], "ward_office", "{routed:#}");
    assert_accessible(&browser, "routing").await;

    // Deadlines and office hours: Saturday mornings open.
    open_tab(&browser, "deadlines", "Thời hạn xử lý").await;
    assert_accessible(&browser, "deadlines").await;
    open_tab(&browser, "hours", "Giờ làm việc").await;
    fill(&browser, "Giờ làm việc", "Thứ Bảy", "07:30-11:30").await;
    submit(&browser, "Giờ làm việc").await;
    let hours = app
        .get_until(&format!("/v1/wards/{ward}/office-hours"), &admin, |h| {
            h["sat"] == json!(["07:30-11:30"])
        })
        .await;
    assert_eq!(hours["sat"], json!(["07:30-11:30"]));
    assert_accessible(&browser, "office hours").await;

    // A wrong period is refused with the API's words, next to the form.
    fill(&browser, "Giờ làm việc", "Chủ nhật", "25:00-26:00").await;
    submit(&browser, "Giờ làm việc").await;
    wait_for(
        &browser,
        "the refusal",
        "document.getElementById('admin-error').textContent.length > 0",
    )
    .await;

    open_tab(&browser, "webhooks", "Kết nối hệ thống khác").await;
    assert_accessible(&browser, "webhooks").await;

    // The audit log tells what was just done.
    open_tab(&browser, "audit", "Nhật ký quản trị").await;
    for action in ["neighborhood.created", "routing.set", "office_hours.set"] {
        wait_for(&browser, action, &page_shows(action)).await;
    }
    screenshot(&browser, "console-admin-audit-1366x768").await;
    assert_accessible(&browser, "audit").await;
    // Each page on a phone too.
    browser.set_window_size(390, 844).await.unwrap();
    for (tab, title) in [
        ("neighborhoods", "Khu phố"),
        ("departments", "Đơn vị"),
        ("routing", "Phân công xử lý"),
        ("deadlines", "Thời hạn xử lý"),
        ("hours", "Giờ làm việc"),
        ("webhooks", "Kết nối hệ thống khác"),
        ("audit", "Nhật ký quản trị"),
    ] {
        open_tab(&browser, tab, title).await;
        screenshot(&browser, &format!("console-admin-{tab}-390x844")).await;
        assert!(fits_the_window(&browser).await, "{tab} on a phone");
    }
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn staff_merge_a_report_into_the_one_chosen_on_the_map() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    let original = app
        .file_report(
            "tnp.kp1",
            json!({
                "description": "den duong hu truoc nha so 12",
                "location": {"lat": 10.8440, "lon": 106.7900, "accuracy_m": 8.0},
            }),
        )
        .await;
    let again = app
        .file_report(
            "tnp.kp2",
            json!({
                "description": "Đèn đường tắt cả tuần nay, đầu hẻm 12",
                "location": {"lat": 10.8445, "lon": 106.7903, "accuracy_m": 8.0},
            }),
        )
        .await;
    let again_id = again["id"].as_str().unwrap();
    sign_in(&browser, &app, "tnp.infra").await;
    browser
        .goto(&app.url(&format!("/console#/reports/{again_id}")))
        .await
        .unwrap();
    record_page_errors(&browser).await;
    wait_for(
        &browser,
        "the possible duplicate on the map",
        "document.querySelector('#report-map .pin.nearby') !== null && document.querySelectorAll('#report-nearby li').length === 1",
    )
    .await;
    screenshots(&browser, "console-duplicates").await;
    assert_accessible(&browser, "duplicates").await;
    // The possible duplicate's link opens it. Until it has arrived this report's forms and
    // its neighbours' pins are gone (an action taken meanwhile would go to the report left, a
    // pin clicked would choose that report's neighbour): counted as the page starts loading,
    // by a listener that runs after the console's own.
    let left_while_loading = browser
        .execute_async(
            "const done = arguments[0];
             addEventListener('hashchange', () => done({
                 forms: document.querySelectorAll('#report-actions form').length,
                 pins: document.querySelectorAll('#report-map .pin.nearby').length,
             }), { once: true });
             document.querySelector('#report-nearby li a').click();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        left_while_loading,
        json!({"forms": 0, "pins": 0}),
        "what the report left offered stood while the next loaded"
    );
    wait_for(
        &browser,
        "the possible duplicate's page",
        &format!(
            "document.getElementById('report-title').textContent === {}",
            original["description"]
        ),
    )
    .await;
    browser.back().await.unwrap();
    // Back on the first report, the map shows its own neighbour, not the pins of the page
    // left (clicking one of those would have chosen the wrong report).
    wait_for(
        &browser,
        "the report again, with its neighbour on the map",
        &format!(
            "document.getElementById('report-title').textContent === {}
             && document.querySelector('#report-map .pin.nearby') !== null
             && document.querySelectorAll('#report-nearby li').length === 1",
            again["description"]
        ),
    )
    .await;
    click(&browser, "#report-map .pin.nearby").await;
    let chosen: Value = browser
        .execute(
            "return document.querySelector('form[data-action=mark_duplicate]').elements.original.value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chosen, original["id"]);
    let form = browser
        .find(Locator::Css("form[data-action=mark_duplicate]"))
        .await
        .unwrap();
    form.find(Locator::Css("textarea"))
        .await
        .unwrap()
        .send_keys("Cùng một cột đèn")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let staff = app.token("tnp.infra").await;
    let merged = app
        .get_until(&format!("/v1/reports/{again_id}"), &staff, |r| {
            r["status"] == "duplicate"
        })
        .await;
    assert_eq!(merged["status"], "duplicate", "{merged:#}");
    assert_eq!(merged["duplicate_of"], original["id"]);
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_conflict_is_explained_and_the_report_shown_afresh() {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        return;
    };
    let app = TestApp::spawn().await;
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 12"}),
        )
        .await;
    let id = filed["id"].as_str().unwrap();
    sign_in(&browser, &app, "tnp.infra").await;
    browser
        .goto(&app.url(&format!("/console#/reports/{id}")))
        .await
        .unwrap();
    record_page_errors(&browser).await;
    wait_for(
        &browser,
        "the report, waiting to be acknowledged",
        "document.querySelector('form[data-action=acknowledge]') !== null",
    )
    .await;
    // The person starts a note; meanwhile a colleague acknowledges from a phone.
    browser
        .find(Locator::Css("form[data-action=comment] textarea"))
        .await
        .unwrap()
        .send_keys("Đang liên hệ điện lực")
        .await
        .unwrap();
    app.act("tnp.infra", id, json!({"action": "acknowledge"}))
        .await;
    wait_for(
        &browser,
        "word that the report changed, the note kept",
        "document.getElementById('notice').textContent.length > 0 && document.querySelector('form[data-action=comment] textarea').value !== ''",
    )
    .await;
    click(
        &browser,
        "form[data-action=acknowledge] button[type=submit]",
    )
    .await;
    wait_for(
        &browser,
        "the conflict explained, the report as it is now",
        "document.getElementById('action-error').textContent.length > 0 && document.querySelector('form[data-action=start]') !== null && document.querySelector('form[data-action=acknowledge]') === null",
    )
    .await;
    let said: Value = browser
        .execute(
            "return document.getElementById('action-error').textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert!(said.as_str().unwrap().contains("Người khác"), "{said}");
    assert_eq!(page_errors(&browser).await, Vec::<String>::new());
    browser.close().await.unwrap();
}
