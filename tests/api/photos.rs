//! Photos on reports: uploaded as a phone sends them, checked by their bytes, kept without
//! their metadata in a screen and a thumbnail size, served with the report's access rules.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sos_tests::images::{self, CameraTags};
use sos_tests::{TestApp, TestResponse};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Inside Khu phố 1 of Tăng Nhơn Phú (the band 10.840–10.848 N of the demo shapes).
const IN_KP1: (f64, f64) = (10.8440, 106.7900);
/// Xuân Hòa, another ward.
const IN_XUAN_HOA: (f64, f64) = (10.7800, 106.6900);

const UPRIGHT: CameraTags = CameraTags {
    position: None,
    orientation: 1,
};

async fn upload_as(
    app: &TestApp,
    who: &str,
    report_id: &str,
    file: Vec<u8>,
    kind: Option<&str>,
) -> TestResponse {
    // The name and the claimed type are what a careless or hostile client says: ignored.
    let mut form = Form::new().part(
        "photo",
        Part::bytes(file)
            .file_name("IMG_0001.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    if let Some(kind) = kind {
        form = form.text("kind", kind.to_owned());
    }
    let path = format!("/v1/reports/{report_id}/photos");
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(app.token(who).await)
        .multipart(form);
    app.send(Method::POST, &path, request).await
}

async fn file_report(app: &TestApp, head: &str, description: &str) -> String {
    let report = app
        .file_report(head, json!({"description": description}))
        .await;
    report["id"].as_str().unwrap().to_owned()
}

/// Files under the photo directory of the app.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new(&app.services.settings.photo_store), &mut found);
    found
}

async fn photo_count(app: &TestApp, who: &str, report_id: &str) -> usize {
    let detail = app
        .get(&format!("/v1/reports/{report_id}"), &app.token(who).await)
        .await;
    detail.body["photos"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_phone_photo_is_kept_without_its_metadata_in_three_sizes() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "ổ gà lớn giữa đường, xe máy dễ té").await;
    // A portrait from a phone: stored landscape with "turn a quarter clockwise" in EXIF.
    let tags = CameraTags {
        position: Some(IN_KP1),
        orientation: 6,
    };
    let mut upload = images::phone_jpeg(2000, 1500, tags);
    // What some phones append after the picture (a motion photo's video, a maker's trailer).
    upload.extend_from_slice(format!("MotionPhoto_Data {}", images::CAMERA_MAKE).as_bytes());
    let added = upload_as(&app, "tnp.kp1", &report_id, upload.clone(), None).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let photo = &added.body;
    assert_eq!(photo["kind"], "before", "a head's photo shows the problem");
    assert_eq!(photo["format"], "jpeg");
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(1500), Some(2000))
    );
    assert_eq!(
        photo["added_by"]["display_name"]
            .as_str()
            .map(|n| !n.is_empty()),
        Some(true)
    );
    // The report has no position: the camera's is offered, not used.
    let offer = &photo["suggested_location"];
    assert!(
        (offer["lat"].as_f64().unwrap() - IN_KP1.0).abs() < 1e-5,
        "{offer}"
    );
    assert!(
        (offer["lon"].as_f64().unwrap() - IN_KP1.1).abs() < 1e-5,
        "{offer}"
    );
    let token = app.token("tnp.kp1").await;
    let detail = app.get(&format!("/v1/reports/{report_id}"), &token).await;
    assert_eq!(detail.body["location"], Value::Null, "never used silently");
    assert_eq!(detail.body["photos"][0]["id"], photo["id"]);
    assert_eq!(detail.body["photo_kinds"], json!(["before"]));

    // The original: same pixels, no position, maker, time or comment; only the orientation.
    let original = app
        .get(photo["files"]["original"].as_str().unwrap(), &token)
        .await;
    assert_eq!(original.status, 200);
    assert_eq!(original.header("content-type"), Some("image/jpeg"));
    assert_eq!(images::exif_tags(&original.bytes), ["Orientation"]);
    assert!(!images::contains(
        &original.bytes,
        images::CAMERA_MAKE.as_bytes()
    ));
    assert!(!images::contains(
        &original.bytes,
        images::JPEG_COMMENT.as_bytes()
    ));
    assert_eq!(images::dimensions(&original.bytes), (2000, 1500));
    assert!(
        original.bytes.len() < upload.len(),
        "only metadata was removed"
    );
    // The made sizes are turned upright and carry no metadata at all.
    let screen = app
        .get(photo["files"]["screen"].as_str().unwrap(), &token)
        .await;
    assert_eq!(screen.header("content-type"), Some("image/jpeg"));
    assert_eq!(images::dimensions(&screen.bytes), (1200, 1600));
    assert!(images::exif_tags(&screen.bytes).is_empty());
    let thumb = app
        .get(photo["files"]["thumb"].as_str().unwrap(), &token)
        .await;
    assert_eq!(images::dimensions(&thumb.bytes), (240, 320));

    // Cached for good, revalidated by content hash.
    let etag = screen.header("etag").unwrap().to_owned();
    assert!(etag.len() == 66 && etag.starts_with('"'), "{etag}");
    assert_ne!(Some(etag.as_str()), thumb.header("etag"));
    assert!(
        screen
            .header("cache-control")
            .unwrap()
            .contains("immutable")
    );
    let path = photo["files"]["screen"].as_str().unwrap();
    let request = app
        .client
        .get(app.url(path))
        .bearer_auth(&token)
        .header("if-none-match", &etag);
    let revalidated = app.send(Method::GET, path, request).await;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.bytes.is_empty());

    // A retry of the same upload (the answer was lost) is the same photo, not a second one.
    let retried = upload_as(&app, "tnp.kp1", &report_id, upload, None).await;
    assert_eq!(retried.status, 200);
    assert_eq!(retried.body["id"], photo["id"]);
    assert_eq!(photo_count(&app, "tnp.kp1", &report_id).await, 1);
    assert_eq!(stored_files(&app).len(), 3);

    // The head accepts the offer: the report takes the camera's position, and the photo
    // forgets it.
    let accepted = app
        .post(offer["accept"].as_str().unwrap(), &token, Value::Null)
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert!((accepted.body["location"]["lat"].as_f64().unwrap() - IN_KP1.0).abs() < 1e-5);
    assert_eq!(accepted.body["photos"][0].get("suggested_location"), None);
    let again = app
        .post(offer["accept"].as_str().unwrap(), &token, Value::Null)
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn the_offer_is_only_for_whoever_added_the_photo_and_only_inside_the_ward() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "cay nga chan duong").await;
    let far = CameraTags::upright_at(IN_XUAN_HOA);
    let added = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(800, 600, far),
        None,
    )
    .await;
    assert_eq!(added.status, 201);
    let accept = added.body["suggested_location"]["accept"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another head of the same neighborhood sees the photo, not where the camera was.
    let seen = app
        .get(
            &format!("/v1/reports/{report_id}/photos"),
            &app.token("tnp.kp1").await,
        )
        .await;
    assert!(seen.body["items"][0].get("suggested_location").is_some());
    let leader = app
        .get(
            &format!("/v1/reports/{report_id}/photos"),
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(leader.body["items"][0].get("suggested_location"), None);
    let by_leader = app
        .post(&accept, &app.token("tnp.leader").await, Value::Null)
        .await;
    assert_eq!(by_leader.status, 403);
    // Taken in another ward: the report is not moved after it was routed.
    let outside = app
        .post(&accept, &app.token("tnp.kp1").await, Value::Null)
        .await;
    assert_eq!(outside.status, 409);
    assert_eq!(outside.problem(), "outside-ward");

    // A report filed with a position offers nothing.
    let placed = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu", "location": {"lat": IN_KP1.0, "lon": IN_KP1.1}}),
        )
        .await;
    let near = CameraTags::upright_at(IN_KP1);
    let added = upload_as(
        &app,
        "tnp.kp1",
        placed["id"].as_str().unwrap(),
        images::phone_jpeg(640, 480, near),
        None,
    )
    .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.body.get("suggested_location"), None);
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_a_refused_one_leaves_nothing() {
    let app = TestApp::spawn_with(|settings| settings.max_photo_bytes = 256 * 1024).await;
    let report_id = file_report(&app, "tnp.kp1", "rac chat dong o dau hem").await;
    let refused: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "a PDF called .jpg",
            b"%PDF-1.7\n1 0 obj\n".to_vec(),
            415,
            "unsupported-media-type",
        ),
        (
            "an iPhone HEIC",
            [b"\0\0\0\x18ftypheic".as_slice(), &[0; 64]].concat(),
            415,
            "unsupported-media-type",
        ),
        (
            "a cut-off JPEG",
            images::phone_jpeg(400, 300, UPRIGHT)[..3000].to_vec(),
            422,
            "validation",
        ),
        (
            "a photo over the limit",
            images::jpeg_of(&images::scene(1200, 1200, 255), 98),
            413,
            "payload-too-large",
        ),
        ("an empty file", Vec::new(), 422, "validation"),
    ];
    for (what, file, status, problem) in refused {
        let response = upload_as(&app, "tnp.kp1", &report_id, file, None).await;
        assert_eq!(response.status, status, "{what}: {:?}", response.body);
        assert_eq!(response.problem(), problem, "{what}");
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json"),
            "{what}"
        );
    }
    let heic = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        [b"\0\0\0\x18ftypheic".as_slice(), &[0; 64]].concat(),
        None,
    )
    .await;
    assert!(heic.body["detail"].as_str().unwrap().contains("HEIC"));
    let oversize = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::jpeg_of(&images::scene(1200, 1200, 255), 98),
        None,
    )
    .await;
    assert!(
        oversize.body["detail"].as_str().unwrap().contains("256 KB"),
        "the limit is named: {}",
        oversize.body["detail"]
    );

    let path = format!("/v1/reports/{report_id}/photos");
    let token = app.token("tnp.kp1").await;
    let not_a_form = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .header("content-type", "image/jpeg")
        .body(images::phone_jpeg(64, 64, UPRIGHT));
    assert_eq!(app.send(Method::POST, &path, not_a_form).await.status, 415);
    let bad_kind = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(64, 64, UPRIGHT),
        Some("during"),
    )
    .await;
    assert_eq!(bad_kind.status, 422);
    assert_eq!(bad_kind.body["errors"][0]["field"], "kind");
    let no_photo = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .multipart(Form::new().text("kind", "before"));
    let no_photo = app.send(Method::POST, &path, no_photo).await;
    assert_eq!(no_photo.status, 422);
    assert_eq!(no_photo.body["errors"][0]["field"], "photo");

    // The connection drops halfway through a large upload.
    let body_start = b"--cut\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=cut\r\nContent-Length: 200000\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body_start).await.unwrap();
    stream
        .write_all(&images::phone_jpeg(600, 400, UPRIGHT)[..20_000])
        .await
        .unwrap();
    stream.flush().await.unwrap();
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    assert_eq!(photo_count(&app, "tnp.kp1", &report_id).await, 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    // The service is fine and takes the next photo.
    let accepted = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(300, 200, UPRIGHT),
        None,
    )
    .await;
    assert_eq!(accepted.status, 201);
}

#[tokio::test]
async fn heads_show_the_problem_and_the_department_shows_the_fix() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "ổ gà sâu trước nhà số 15").await;
    let detail = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    assert_eq!(detail.body["department"]["code"], "economy_infrastructure");
    let after_by_head = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(64, 48, UPRIGHT),
        Some("after"),
    )
    .await;
    assert_eq!(after_by_head.status, 403);
    // Five photos of the problem, and no sixth.
    for n in 0..5 {
        let file = images::jpeg_of(&images::scene(96 + n, 64, 20), 80);
        let added = upload_as(&app, "tnp.kp1", &report_id, file, None).await;
        assert_eq!(added.status, 201, "photo {n}: {:?}", added.body);
    }
    let sixth = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(64, 48, UPRIGHT),
        None,
    )
    .await;
    assert_eq!(sixth.status, 409);
    assert_eq!(sixth.problem(), "too-many-photos");

    // Outsiders see nothing: another department, another ward. (Heads of other neighborhoods
    // of the ward read the photos of shared ground: see `access`.)
    let photo = app
        .get(
            &format!("/v1/reports/{report_id}/photos"),
            &app.token("tnp.kp1").await,
        )
        .await;
    let thumb = photo.body["items"][0]["files"]["thumb"]
        .as_str()
        .unwrap()
        .to_owned();
    for outsider in ["tnp.police", "xh.infra", "xh.kp1"] {
        let token = app.token(outsider).await;
        assert_eq!(app.get(&thumb, &token).await.status, 404, "{outsider}");
        let listed = app
            .get(&format!("/v1/reports/{report_id}/photos"), &token)
            .await;
        assert_eq!(listed.status, 404, "{outsider}");
        let added = upload_as(
            &app,
            outsider,
            &report_id,
            images::phone_jpeg(64, 48, UPRIGHT),
            None,
        )
        .await;
        assert_eq!(added.status, 404, "{outsider}");
    }
    let unknown_size = thumb.replace("/thumb", "/poster");
    assert_eq!(
        app.get(&unknown_size, &app.token("tnp.kp1").await)
            .await
            .status,
        404
    );

    // The department answers with the fix: a PNG with transparency and a WebP.
    app.act("tnp.infra", &report_id, json!({"action": "acknowledge"}))
        .await;
    app.act("tnp.infra", &report_id, json!({"action": "start"}))
        .await;
    app.act(
        "tnp.infra",
        &report_id,
        json!({"action": "resolve", "response": "Đã vá ổ gà."}),
    )
    .await;
    let png = upload_as(
        &app,
        "tnp.infra",
        &report_id,
        images::transparent_png(500, 400),
        None,
    )
    .await;
    assert_eq!(png.status, 201, "{:?}", png.body);
    assert_eq!(
        png.body["kind"], "after",
        "the department's photo shows the fix"
    );
    assert_eq!(png.body["format"], "png");
    let webp_tags = CameraTags::upright_at(IN_KP1);
    let webp = upload_as(
        &app,
        "tnp.infra",
        &report_id,
        images::webp_with_exif(300, 200, webp_tags),
        Some("after"),
    )
    .await;
    assert_eq!(webp.status, 201, "{:?}", webp.body);
    assert_eq!(webp.body["format"], "webp");

    let token = app.token("tnp.kp1").await;
    let detail = app.get(&format!("/v1/reports/{report_id}"), &token).await;
    assert_eq!(detail.body["response"], "Đã vá ổ gà.");
    let kinds: Vec<&str> = detail.body["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "before", "before", "before", "before", "before", "after", "after"
        ]
    );
    assert_eq!(
        detail.body["photo_kinds"],
        json!([]),
        "the head's part is done"
    );
    // Stripped originals: the PNG's text and the WebP's EXIF are gone.
    let png_original = app
        .get(png.body["files"]["original"].as_str().unwrap(), &token)
        .await;
    assert_eq!(png_original.header("content-type"), Some("image/png"));
    assert!(!images::contains(
        &png_original.bytes,
        images::CAMERA_MAKE.as_bytes()
    ));
    assert_eq!(images::dimensions(&png_original.bytes), (500, 400));
    let webp_original = app
        .get(webp.body["files"]["original"].as_str().unwrap(), &token)
        .await;
    assert_eq!(webp_original.header("content-type"), Some("image/webp"));
    assert!(images::exif_tags(&webp_original.bytes).is_empty());
    assert!(!images::contains(
        &webp_original.bytes,
        images::CAMERA_MAKE.as_bytes()
    ));
    assert_eq!(images::dimensions(&webp_original.bytes), (300, 200));
    // Transparent parts are shown on white in the made sizes.
    let screen = app
        .get(png.body["files"]["screen"].as_str().unwrap(), &token)
        .await;
    let picture = image::load_from_memory(&screen.bytes).unwrap().into_rgb8();
    let corner = picture.get_pixel(5, 5);
    assert!(corner.0.iter().all(|c| *c > 240), "{corner:?}");
}

#[tokio::test]
async fn an_administrator_removes_a_photo_and_its_files() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "nguoi la dang khả nghi trong hem").await;
    let first = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::phone_jpeg(320, 240, UPRIGHT),
        None,
    )
    .await;
    let second = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::jpeg_of(&images::scene(200, 100, 5), 80),
        None,
    )
    .await;
    assert_eq!(stored_files(&app).len(), 6);
    let remove = |photo: &Value| {
        format!(
            "/v1/reports/{report_id}/photos/{}",
            photo["id"].as_str().unwrap()
        )
    };
    let by_leader = app
        .delete(&remove(&first.body), &app.token("tnp.leader").await)
        .await;
    assert_eq!(by_leader.status, 403);
    let by_admin = app
        .delete(&remove(&first.body), &app.token("admin").await)
        .await;
    assert_eq!(by_admin.status, 204);
    assert_eq!(
        stored_files(&app).len(),
        3,
        "the three files of the photo are gone"
    );
    let token = app.token("tnp.kp1").await;
    let gone = app
        .get(first.body["files"]["screen"].as_str().unwrap(), &token)
        .await;
    assert_eq!(gone.status, 404);
    // Whoever added a photo may take it back while the report is open.
    let own = app.delete(&remove(&second.body), &token).await;
    assert_eq!(own.status, 204);
    assert!(stored_files(&app).is_empty());
    assert_eq!(photo_count(&app, "tnp.kp1", &report_id).await, 0);
}

/// A local S3-compatible server (moto, from PyPI; `.ci/run` installs it), stopped on drop.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// `None` (with a notice) where moto is not installed, outside CI.
    async fn start() -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = match std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must install moto[server] for the S3 photo test: {error}"
                );
                eprintln!("moto_server is not installed: S3 photo test skipped");
                return None;
            }
        };
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..150 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start");
    }

    /// The keys under `prefix` in `bucket`.
    async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let listing = reqwest::get(format!(
            "{}/{bucket}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn photos_can_live_in_an_s3_bucket() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let bucket = "sos-photos";
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{created:?}");
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let endpoint = s3.endpoint.clone();
    let store = format!("s3://{bucket}/{prefix}");
    let app = TestApp::spawn_with(|settings| {
        settings.photo_store = store;
        settings.photo_bucket_options = [
            ("aws_endpoint", endpoint.as_str()),
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "test"),
            ("aws_secret_access_key", "test"),
            ("aws_allow_http", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
    })
    .await;
    let report_id = file_report(&app, "tnp.kp1", "nuoc ngap sau sau con mua").await;
    let upload = images::phone_jpeg(900, 600, UPRIGHT);
    let added = upload_as(&app, "tnp.kp1", &report_id, upload, None).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let keys = s3.keys(bucket, &prefix).await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k.contains(&report_id)), "{keys:?}");
    let token = app.token("tnp.kp1").await;
    let screen = app
        .get(added.body["files"]["screen"].as_str().unwrap(), &token)
        .await;
    assert_eq!(screen.status, 200);
    assert_eq!(images::dimensions(&screen.bytes), (900, 600));
    let path = format!(
        "/v1/reports/{report_id}/photos/{}",
        added.body["id"].as_str().unwrap()
    );
    let removed = app.delete(&path, &app.token("admin").await).await;
    assert_eq!(removed.status, 204);
    assert!(s3.keys(bucket, &prefix).await.is_empty());
}

/// Files a report with photos in one multipart form.
async fn file_with_photos(
    app: &TestApp,
    head: &str,
    report: Value,
    photos: Vec<Vec<u8>>,
) -> TestResponse {
    let mut form = Form::new().part(
        "report",
        Part::text(report.to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    for (n, photo) in photos.into_iter().enumerate() {
        form = form.part(
            "photo",
            Part::bytes(photo).file_name(format!("IMG_{n}.jpg")),
        );
    }
    let request = app
        .client
        .post(app.url("/v1/reports/with-photos"))
        .bearer_auth(app.token(head).await)
        .multipart(form);
    app.send(Method::POST, "/v1/reports/with-photos", request)
        .await
}

#[tokio::test]
async fn a_report_is_filed_with_its_photos_in_one_form() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::now_v7().to_string();
    let report = json!({"id": id, "description": "rac thai chat dong, boc mui"});
    let with_position = CameraTags::upright_at(IN_KP1);
    let photos = vec![
        images::phone_jpeg(1200, 900, with_position),
        images::transparent_png(300, 300),
    ];
    let filed = file_with_photos(&app, "tnp.kp1", report.clone(), photos.clone()).await;
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(
        filed.header("location"),
        Some(format!("/v1/reports/{id}").as_str())
    );
    assert_eq!(
        filed.body["subcategory"], "uncollected_waste",
        "classified as any report"
    );
    let sent = filed.body["photos"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|p| p["kind"] == "before"));
    assert!(sent[0]["suggested_location"].is_object());
    assert_eq!(stored_files(&app).len(), 6);

    // The phone lost the answer and sends the same form again: the same report and photos.
    let retried = file_with_photos(&app, "tnp.kp1", report, photos).await;
    assert_eq!(retried.status, 200, "{:?}", retried.body);
    assert_eq!(retried.body["id"], id.as_str());
    let ids = |body: &Value| -> Vec<Value> {
        body["photos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect()
    };
    assert_eq!(ids(&retried.body), ids(&filed.body));
    assert_eq!(stored_files(&app).len(), 6);
    assert_eq!(photo_count(&app, "tnp.kp1", &id).await, 2);

    // One refused photo files nothing.
    let token = app.token("tnp.kp1").await;
    let before = app.get("/v1/reports", &token).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    let refused = file_with_photos(
        &app,
        "tnp.kp1",
        json!({"description": "den duong hu"}),
        vec![images::phone_jpeg(200, 100, UPRIGHT), b"%PDF-1.7".to_vec()],
    )
    .await;
    assert_eq!(refused.status, 415);
    let after = app.get("/v1/reports", &token).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before);
    assert_eq!(stored_files(&app).len(), 6);
    // A form without the report, or with more than five photos.
    let request = app
        .client
        .post(app.url("/v1/reports/with-photos"))
        .bearer_auth(&token)
        .multipart(Form::new().part("photo", Part::bytes(images::phone_jpeg(64, 64, UPRIGHT))));
    let missing = app
        .send(Method::POST, "/v1/reports/with-photos", request)
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.body["errors"][0]["field"], "report");
    let six = (0..6)
        .map(|n| images::jpeg_of(&images::scene(40 + n, 40, 9), 70))
        .collect();
    let too_many = file_with_photos(&app, "tnp.kp1", json!({"description": "o ga"}), six).await;
    assert_eq!(too_many.status, 422);
    assert_eq!(too_many.body["errors"][0]["field"], "photo");
}

/// Whether a response is a 422 problem about the `photo` field.
fn refused_photo(response: &TestResponse, what: &str) {
    assert_eq!(response.status, 422, "{what}: {:?}", response.body);
    assert_eq!(response.problem(), "validation", "{what}");
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    assert_eq!(response.body["errors"][0]["field"], "photo", "{what}");
}

#[tokio::test]
async fn pictures_that_would_take_more_memory_than_allowed_are_refused_before_decoding() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "ổ gà lớn giữa đường").await;
    // 12 megapixels at 16 bits with alpha, in 93 KB: 96 MB decoded and 36 MB more as RGB.
    let deep = images::flat_png(4000, 3000, 6, 16);
    assert!(deep.len() < 200_000, "{}", deep.len());
    let refused = upload_as(&app, "tnp.kp1", &report_id, deep, None).await;
    refused_photo(&refused, "16-bit RGBA 4000×3000");
    let said = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(said.contains("4000×3000") && said.contains("MiB"), "{said}");
    // The file of the finding: 7900×7900 at 16 bits with alpha, 485 KB (499 MB decoded).
    let huge = images::flat_png(7900, 7900, 6, 16);
    assert!(huge.len() < 600_000, "{}", huge.len());
    let refused = upload_as(&app, "tnp.kp1", &report_id, huge, None).await;
    refused_photo(&refused, "16-bit RGBA 7900×7900");
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("62410000"),
        "{}",
        refused.body["errors"][0]["message"]
    );
    assert_eq!(photo_count(&app, "tnp.kp1", &report_id).await, 0);
    assert!(stored_files(&app).is_empty());

    // The same pixels in 8 bits, and 16 bits with alpha at a size that fits, are kept.
    let rgb = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::flat_png(4000, 3000, 2, 8),
        None,
    )
    .await;
    assert_eq!(rgb.status, 201, "{:?}", rgb.body);
    assert_eq!(rgb.body["width"], 4000);
    let small_deep = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::flat_png(1200, 900, 6, 16),
        None,
    )
    .await;
    assert_eq!(small_deep.status, 201, "{:?}", small_deep.body);
    let screen = app
        .get(
            small_deep.body["files"]["screen"].as_str().unwrap(),
            &app.token("tnp.kp1").await,
        )
        .await;
    // Fully transparent black, shown on white.
    let picture = image::load_from_memory(&screen.bytes).unwrap().into_rgb8();
    assert!(picture.get_pixel(600, 450).0.iter().all(|c| *c > 240));
    // An iPhone's default photo, 24 MP, is kept.
    let iphone = image::RgbImage::from_pixel(5712, 4284, image::Rgb([90, 120, 60]));
    let iphone = upload_as(
        &app,
        "tnp.kp1",
        &report_id,
        images::jpeg_of(&iphone, 80),
        None,
    )
    .await;
    assert_eq!(iphone.status, 201, "{:?}", iphone.body);
}

#[tokio::test]
async fn a_colour_profile_that_would_inflate_to_hundreds_of_megabytes_is_dropped_uninflated() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "rac thai chat dong dau hem").await;
    let token = app.token("tnp.kp1").await;
    // A 64×48 PNG whose profile inflates to 64 MiB, and one to 600 MB, in a few hundred
    // kilobytes: the decoder used to inflate them (up to 400 MiB) before the first pixel.
    for inflated in [64u64 << 20, 600_000_000] {
        let bomb = images::png_with_profile_bomb(inflated);
        assert!(bomb.len() < 700_000, "{}", bomb.len());
        let added = upload_as(&app, "tnp.kp1", &report_id, bomb, None).await;
        assert_eq!(added.status, 201, "{inflated}: {:?}", added.body);
        let original = app
            .get(added.body["files"]["original"].as_str().unwrap(), &token)
            .await;
        assert!(
            !images::contains(&original.bytes, b"iCCP"),
            "the profile is dropped"
        );
        assert_eq!(images::dimensions(&original.bytes), (64, 48));
    }
    // A profile of a real size stays with the picture.
    let profiled = images::with_png_profile(
        &images::flat_png(64, 48, 2, 8),
        &images::zlib_of_zeros(3144),
    );
    let added = upload_as(&app, "tnp.kp1", &report_id, profiled, None).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let original = app
        .get(added.body["files"]["original"].as_str().unwrap(), &token)
        .await;
    assert!(images::contains(&original.bytes, b"iCCP"));
}

#[tokio::test]
async fn a_picture_whose_data_is_far_too_short_for_its_size_is_refused_as_truncated() {
    let app = TestApp::spawn().await;
    let report_id = file_report(&app, "tnp.kp1", "den duong hu ca tuan").await;
    // The finding's JPEG: a few hundred bytes claiming 7990×7990, which a decoder would fill
    // with grey; and the same claiming 12 megapixels.
    for (width, height) in [(7990, 7990), (4000, 3000)] {
        let claim = images::jpeg_claiming(width, height);
        assert!(claim.len() < 1000, "{}", claim.len());
        let refused = upload_as(&app, "tnp.kp1", &report_id, claim, None).await;
        refused_photo(&refused, &format!("JPEG claiming {width}×{height}"));
        assert!(
            refused.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("chưa trọn"),
            "{}",
            refused.body["errors"][0]["message"]
        );
    }
    // A PNG whose image data stops early and then ends properly.
    let cut = images::png_cut_short(2000, 1500, 40);
    let refused = upload_as(&app, "tnp.kp1", &report_id, cut, None).await;
    refused_photo(&refused, "PNG cut short");
    // Filing with photos: the report is not filed.
    let filed = file_with_photos(
        &app,
        "tnp.kp1",
        json!({"description": "cay nga chan ngang duong"}),
        vec![
            images::phone_jpeg(320, 240, UPRIGHT),
            images::jpeg_claiming(7990, 7990),
        ],
    )
    .await;
    refused_photo(&filed, "filing with a truncated JPEG");
    assert_eq!(photo_count(&app, "tnp.kp1", &report_id).await, 0);
    assert!(stored_files(&app).is_empty());
}
