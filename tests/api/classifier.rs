use serde_json::json;
use sos_domain::evaluate::parse_corpus;
use sos_tests::TestApp;
use std::time::{Duration, Instant};

/// A phrase no report in the corpus uses: the built-in model cannot know what it means.
const PHRASE: &str = "zorbex quvil";

#[tokio::test]
async fn staff_corrections_retrain_the_model_and_replicas_switch_without_a_restart() {
    let app = TestApp::spawn_with(|s| s.classifier_refresh = Duration::from_millis(200)).await;
    let triage = app.token("tnp.triage").await;
    let builtin = app.get("/v1/classifier", &triage).await;
    assert_eq!(builtin.status, 200);
    assert_eq!(builtin.body["id"], json!(null));
    assert_eq!(builtin.body["corrections"], 0);
    let before = app
        .post("/v1/classify", &triage, json!({"text": PHRASE}))
        .await;
    assert_ne!(before.body["subcategory"], "water_supply");

    // Two reports with the phrase, both put right by the triage desk.
    for house in [5, 9] {
        let report = app
            .file_report(
                "tnp.kp2",
                json!({"description": format!("{PHRASE} truoc nha so {house}"), "subcategory": "other"}),
            )
            .await;
        let id = report["id"].as_str().unwrap();
        app.act(
            "tnp.triage",
            id,
            json!({"action": "reroute", "subcategory": "water_supply"}),
        )
        .await;
    }
    let corrections = sos_api::services::classifier::corrections(&app.db)
        .await
        .unwrap();
    assert_eq!(corrections.len(), 2);
    assert!(
        corrections
            .iter()
            .all(|c| c.text.starts_with(PHRASE) && c.urgent.is_none())
    );

    // What `sos classify train --with-corrections --activate` does.
    let corpus = parse_corpus(include_str!("../../domain/data/train.jsonl")).unwrap();
    let trained = sos_api::services::classifier::train(vec![corpus], Some(&app.db))
        .await
        .unwrap();
    assert_eq!(trained.corrections, 2);
    let id = sos_api::services::classifier::activate(
        &app.db,
        &trained.model,
        trained.corrections,
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    let info = loop {
        let info = app.get("/v1/classifier", &triage).await;
        if info.body["id"] == json!(id) || Instant::now() > deadline {
            break info;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(info.body["id"], json!(id), "the new model was not loaded");
    assert_eq!(info.body["corrections"], 2);
    let after = app
        .post("/v1/classify", &triage, json!({"text": PHRASE}))
        .await;
    assert_eq!(after.body["subcategory"], "water_supply");
}

#[tokio::test]
async fn a_replica_started_after_an_activation_uses_the_activated_model() {
    let app = TestApp::spawn().await;
    let corpus = parse_corpus(include_str!("../../domain/data/heldout.jsonl")).unwrap();
    let trained = sos_api::services::classifier::train(vec![corpus], None)
        .await
        .unwrap();
    let id =
        sos_api::services::classifier::activate(&app.db, &trained.model, 0, chrono::Utc::now())
            .await
            .unwrap();
    let late = app.replica().await;
    let token = late.token("tnp.leader").await;
    let info = late.get("/v1/classifier", &token).await;
    assert_eq!(info.body["id"], json!(id));
    assert_eq!(
        info.body["trained_examples"],
        trained.model.trained_examples()
    );
}
