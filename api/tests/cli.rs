//! The `sos` command line as an operator meets it.

use std::process::Command;

fn sos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sos"))
}

const HELD_OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/data/heldout.jsonl");

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sos-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn classify_eval_prints_the_figures_as_json() {
    let corpus = HELD_OUT;
    let output = sos()
        .args(["classify", "eval", "--file", corpus, "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines = std::fs::read_to_string(corpus).unwrap().lines().count();
    assert_eq!(figures["n"], lines);
    for key in [
        "category_accuracy",
        "subcategory_accuracy",
        "subcategory_macro_f1",
        "urgent_precision",
        "urgent_recall",
        "folded_agreement",
    ] {
        let value = figures[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!((0.0..=1.0).contains(&value), "{key} = {value}");
    }
}

#[test]
fn classify_eval_names_the_bad_line() {
    let dir = scratch_dir("bad-line");
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, "{\"text\": \"x\", \"category\": \"security\", \"subcategory\": \"streetlight\", \"urgent\": false}\n").unwrap();
    let output = sos()
        .args(["classify", "eval", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 1"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_model_trained_from_a_file_is_written_and_can_be_measured() {
    let dir = scratch_dir("train");
    // Two subcategories only: the model can learn nothing else.
    let corpus = dir.join("small.jsonl");
    let line = |text: &str, category: &str, subcategory: &str| {
        format!(
            "{{\"text\": \"{text}\", \"category\": \"{category}\", \"subcategory\": \"{subcategory}\", \"urgent\": false}}\n"
        )
    };
    let mut text = String::new();
    for i in 0..6 {
        text += &line(
            &format!("den duong hem {i} hu"),
            "infrastructure",
            "streetlight",
        );
        text += &line(&format!("karaoke on ao nha so {i}"), "security", "noise");
    }
    std::fs::write(&corpus, text).unwrap();
    let model = dir.join("model.json");
    let output = sos()
        .args(["classify", "train", "--data"])
        .arg(&corpus)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("trained on 12 texts"));

    let output = sos()
        .args(["classify", "eval", "--json", "--file"])
        .arg(&corpus)
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(figures["n"], 12);
    assert_eq!(figures["subcategory_accuracy"], 1.0);
    let predicted: Vec<&str> = figures["per_subcategory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subcategory"].as_str().unwrap())
        .collect();
    assert_eq!(predicted, ["streetlight", "noise"]);

    // Without a place to put the model, training refuses to start.
    let output = sos()
        .args(["classify", "train", "--data"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(!output.status.success());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_wrong_setting_stops_the_service_with_its_name() {
    let output = sos()
        .arg("migrate")
        .env("SOS_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SOS_LISTEN"), "{stderr}");
}

#[test]
fn boundaries_are_imported_from_a_file_with_the_rejections_named() {
    let dir = scratch_dir("geo");
    let database = format!("sqlite://{}?mode=rwc", dir.join("sos.db").display());
    let seeded = sos()
        .arg("seed")
        .env("DATABASE_URL", &database)
        .env("SOS_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let square = |code: i32, west: f64| {
        format!(
            r#"{{"type": "Feature", "properties": {{"ward_code": {code}}}, "geometry": {{"type": "Polygon", "coordinates": [[[{west}, 10.0], [{e}, 10.0], [{e}, 10.01], [{west}, 10.01], [{west}, 10.0]]]}}}}"#,
            e = west + 0.01
        )
    };
    let file = dir.join("wards.geojson");
    std::fs::write(
        &file,
        format!(
            r#"{{"type": "FeatureCollection", "features": [{}, {}]}}"#,
            square(26842, 106.0),
            square(999_999, 107.0)
        ),
    )
    .unwrap();
    let import = |file: &std::path::Path| {
        sos()
            .args(["geo", "import"])
            .arg(file)
            .args(["--level", "ward", "--valid-from", "2025-07-01"])
            .env("DATABASE_URL", &database)
            .env("SOS_DATA_DIR", &dir)
            .output()
            .unwrap()
    };
    let output = import(&file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 accepted, 1 rejected"));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("feature 1 (999999): no ward has the code 999999")
    );

    let nothing = dir.join("nothing.geojson");
    std::fs::write(
        &nothing,
        format!(
            r#"{{"type": "FeatureCollection", "features": [{}]}}"#,
            square(999_999, 107.0)
        ),
    )
    .unwrap();
    assert!(
        !import(&nothing).status.success(),
        "nothing imported is a failure"
    );
    std::fs::remove_dir_all(dir).ok();
}
