//! Boundaries, placing reports by position, joining reports, and the ward map.
//! The demo wards carry approximate shapes: Tăng Nhơn Phú is the box 106.770–106.810 E,
//! 10.832–10.872 N cut into five bands of latitude (south to north Khu phố 5, 1, 2, 3, 4);
//! Xuân Hòa the box 106.680–106.700 E, 10.770–10.790 N (Khu phố 4, 5, 1, 2, 3).

use reqwest::Method;
use serde_json::{Value, json};
use sos_tests::TestApp;

fn spot(lat: f64, lon: f64, accuracy_m: f64) -> Value {
    json!({"lat": lat, "lon": lon, "accuracy_m": accuracy_m})
}

#[tokio::test]
async fn a_report_belongs_where_its_position_lies() {
    let app = TestApp::spawn().await;
    // The head of Khu phố 1 reports a lamp in Khu phố 3 of the same ward.
    let placed = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu", "location": spot(10.8600, 106.7900, 8.0)}),
        )
        .await;
    assert_eq!(placed["neighborhood"]["code"], "kp3");
    assert!(
        app.inbox_types("tnp.kp3")
            .await
            .contains(&"report.assigned".to_owned())
    );
    assert!(
        app.inbox_types("tnp.kp1")
            .await
            .contains(&"report.assigned".to_owned()),
        "the filing head is told too"
    );
    let id = placed["id"].as_str().unwrap();
    let own = app
        .get(&format!("/v1/reports/{id}"), &app.token("tnp.kp1").await)
        .await;
    assert_eq!(own.status, 200, "the filing head follows their report");
    assert_eq!(own.body["allowed_actions"], json!(["comment"]));

    // Across the ward border: Xuân Hòa's report, routed by Xuân Hòa.
    let elsewhere = app
        .file_report("tnp.kp2", json!({"description": "rac khong ai thu gom", "location": spot(10.7800, 106.6900, 10.0)}))
        .await;
    assert_eq!(elsewhere["ward"]["code"], 27139);
    assert_eq!(elsewhere["neighborhood"]["code"], "kp1");
    let xh_infra = app
        .get("/v1/reports?status=assigned", &app.token("xh.infra").await)
        .await;
    assert!(
        xh_infra.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == elsewhere["id"])
    );
    let tnp_infra = app
        .get("/v1/reports?status=assigned", &app.token("tnp.infra").await)
        .await;
    assert!(
        !tnp_infra.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == elsewhere["id"])
    );
    assert!(
        app.inbox_types("xh.kp1")
            .await
            .contains(&"report.assigned".to_owned())
    );

    // No position: the head's own neighborhood.
    let home = app
        .file_report("tnp.kp2", json!({"description": "den duong hu"}))
        .await;
    assert_eq!(home["neighborhood"]["code"], "kp2");

    // Nowhere we serve.
    let outside = app
        .post(
            "/v1/reports",
            &app.token("tnp.kp1").await,
            json!({"description": "den duong hu", "location": spot(10.9500, 106.9500, 5.0)}),
        )
        .await;
    assert_eq!(outside.status, 422);
    assert_eq!(outside.body["errors"][0]["field"], "/location");
}

#[tokio::test]
async fn gps_error_near_a_border_keeps_the_report_at_home() {
    let app = TestApp::spawn().await;
    // 10.8481 is 11 m into Khu phố 2 from Khu phố 1's band (which ends at 10.848).
    let coarse = app
        .file_report(
            "tnp.kp1",
            json!({"description": "o ga", "location": spot(10.8481, 106.7900, 30.0)}),
        )
        .await;
    assert_eq!(
        coarse["neighborhood"]["code"], "kp1",
        "within the GPS error of home"
    );
    let precise = app
        .file_report(
            "tnp.kp1",
            json!({"description": "o ga", "location": spot(10.8481, 106.7900, 3.0)}),
        )
        .await;
    assert_eq!(precise["neighborhood"]["code"], "kp2");
}

#[tokio::test]
async fn a_head_joins_a_report_instead_of_filing_it_again_and_hears_the_answer() {
    let app = TestApp::spawn().await;
    let original = app
        .file_report("tnp.kp1", json!({"description": "den duong hu truoc cho", "location": spot(10.8445, 106.7893, 5.0)}))
        .await;
    let id = original["id"].as_str().unwrap();
    let kp2 = app.token("tnp.kp2").await;
    let before = app.get(&format!("/v1/reports/{id}"), &kp2).await;
    assert_eq!(before.status, 200, "shared ground of the ward");
    assert!(before.body["reporter"].is_null(), "read in its public part");
    assert_eq!(
        before.body["allowed_actions"],
        json!([]),
        "nothing to do before joining"
    );

    let path = format!("/v1/reports/{id}/supporters");
    let joined = app.request(Method::POST, &path, Some(&kp2), None).await;
    assert_eq!(joined.status, 201);
    assert_eq!(joined.body["supporters"], 1);
    let again = app.request(Method::POST, &path, Some(&kp2), None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["supporters"], 1);
    let own = app
        .request(Method::POST, &path, Some(&app.token("tnp.kp1").await), None)
        .await;
    assert_eq!(own.status, 409, "a head does not join their own report");
    let other_ward = app
        .request(Method::POST, &path, Some(&app.token("xh.kp1").await), None)
        .await;
    assert_eq!(other_ward.status, 404);
    let staff = app
        .request(
            Method::POST,
            &path,
            Some(&app.token("tnp.infra").await),
            None,
        )
        .await;
    assert_eq!(staff.status, 403);

    // The supporter now follows the report, and may comment on it.
    let followed = app.get(&format!("/v1/reports/{id}"), &kp2).await;
    assert_eq!(followed.status, 200);
    assert_eq!(followed.body["supporters"], 1);
    assert_eq!(followed.body["allowed_actions"], json!(["comment"]));
    assert!(followed.body["reporter"].is_null());
    app.act(
        "tnp.kp2",
        id,
        json!({"action": "comment", "text": "Bên khu phố 2 cũng tối."}),
    )
    .await;

    app.act(
        "tnp.infra",
        id,
        json!({"action": "resolve", "response": "Đã thay bóng đèn."}),
    )
    .await;
    assert!(
        app.inbox_types("tnp.kp2")
            .await
            .contains(&"report.resolved".to_owned())
    );
    assert!(
        app.inbox_types("tnp.kp1")
            .await
            .contains(&"report.resolved".to_owned())
    );
    let closed = app
        .request(Method::POST, &path, Some(&app.token("tnp.kp3").await), None)
        .await;
    assert_eq!(
        closed.status, 409,
        "a resolved report takes no more supporters"
    );

    let left = app.delete(&path, &kp2).await;
    assert_eq!(left.status, 204);
    let after = app.get(&format!("/v1/reports/{id}"), &kp2).await;
    assert_eq!(after.status, 200, "still shared ground to read");
    assert_eq!(after.body["supporters"], 0);
    assert_eq!(after.body["allowed_actions"], json!([]));
    assert_eq!(app.delete(&path, &kp2).await.status, 404);
}

fn square(properties: Value, west: f64, south: f64, east: f64, north: f64) -> Value {
    json!({
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]},
    })
}

#[tokio::test]
async fn admins_import_checked_boundaries_that_take_effect_on_their_date() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    // A new shape for Tăng Nhơn Phú from 2027: moved 0.02° west, with one neighborhood.
    let wards = json!({"type": "FeatureCollection", "features": [
        square(json!({"ward_code": 26842}), 106.750, 10.832, 106.790, 10.872),
        // Overlaps Xuân Hòa's box entirely: refused.
        square(json!({"ward_code": 26506}), 106.680, 10.770, 106.700, 10.790),
        // Not a known ward.
        square(json!({"ward_code": 1}), 105.0, 10.0, 105.01, 10.01),
    ]});
    let imported = app
        .request(
            Method::POST,
            "/v1/boundaries?level=ward&valid_from=2027-01-01",
            Some(&admin),
            Some(wards),
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body["accepted"], json!(["26842"]));
    let rejected = imported.body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert!(
        rejected[0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("overlaps"),
        "{rejected:?}"
    );
    assert!(
        rejected[1]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("no ward"),
        "{rejected:?}"
    );

    // A neighborhood mostly outside its ward's new shape, and one the ward does not have.
    let neighborhoods = json!({"type": "FeatureCollection", "features": [
        square(json!({"ward_code": 26842, "neighborhood_code": "kp1"}), 106.785, 10.840, 106.830, 10.848),
        square(json!({"ward_code": 26842, "neighborhood_code": "kp9"}), 106.750, 10.832, 106.760, 10.842),
    ]});
    let refused = app
        .request(
            Method::POST,
            "/v1/boundaries?level=neighborhood&valid_from=2027-01-01",
            Some(&admin),
            Some(neighborhoods),
        )
        .await;
    assert_eq!(refused.status, 422);
    let errors = refused.body["errors"].as_array().unwrap();
    assert_eq!(errors[0]["field"], "/features/0");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("outside its ward"),
        "{errors:?}"
    );
    assert!(
        errors[1]["message"].as_str().unwrap().contains("kp9"),
        "{errors:?}"
    );

    // Today the demo shape is in force; on and after 2027-01-01 the new one.
    let leader = app.token("tnp.leader").await;
    let ward_id = app.get("/v1/me", &leader).await.body["ward"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = app
        .get(&format!("/v1/wards/{ward_id}/boundaries.geojson"), &leader)
        .await;
    assert_eq!(today.status, 200);
    assert_eq!(today.header("content-type"), Some("application/geo+json"));
    let features = today.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 6, "the ward and its five neighborhoods");
    assert_eq!(features[0]["properties"]["level"], "ward");
    assert_eq!(features[0]["properties"]["approximate"], true);
    assert_eq!(
        features[0]["geometry"]["coordinates"][0][0][0],
        json!([106.77, 10.832]),
        "longitude first"
    );
    assert_eq!(features[1]["properties"]["neighborhood_code"], "kp1");
    let later = app
        .get(
            &format!("/v1/wards/{ward_id}/boundaries.geojson?at=2027-03-01"),
            &leader,
        )
        .await;
    let ward_feature = &later.body["features"][0];
    assert_eq!(ward_feature["properties"]["valid_from"], "2027-01-01");
    assert_eq!(ward_feature["properties"]["approximate"], false);
    assert_eq!(
        ward_feature["geometry"]["coordinates"][0][0][0],
        json!([106.75, 10.832])
    );

    // Only admins import, and a ward's admin may not touch another ward.
    let not_admin = app
        .request(
            Method::POST,
            "/v1/boundaries?level=ward",
            Some(&leader),
            Some(json!({"type": "FeatureCollection", "features": []})),
        )
        .await;
    assert_eq!(not_admin.status, 403);
    let bad_level = app
        .request(
            Method::POST,
            "/v1/boundaries?level=district",
            Some(&admin),
            Some(json!({"type": "FeatureCollection", "features": []})),
        )
        .await;
    assert_eq!(bad_level.status, 422);
    let other_ward = app
        .get(
            &format!("/v1/wards/{ward_id}/boundaries.geojson"),
            &app.token("xh.leader").await,
        )
        .await;
    assert_eq!(other_ward.status, 404);
}
