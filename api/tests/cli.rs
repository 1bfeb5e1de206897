//! The `sos` command line as an operator meets it.

use std::process::Command;

fn sos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sos"))
}

#[test]
fn classify_eval_prints_the_figures_as_json() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/data/test.jsonl");
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
    assert_eq!(figures["n"], 200);
    for key in [
        "category_accuracy",
        "subcategory_accuracy",
        "subcategory_macro_f1",
        "urgent_precision",
        "urgent_recall",
    ] {
        let value = figures[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!((0.0..=1.0).contains(&value), "{key} = {value}");
    }
}

#[test]
fn classify_eval_names_the_bad_line() {
    let dir = std::env::temp_dir().join(format!("sos-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
