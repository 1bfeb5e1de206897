//! `openapi.yaml` as the tests see it: finding the operation a request hit and validating the
//! response against the schema the spec gives for its status.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

pub static SPEC: LazyLock<Value> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("openapi.yaml is valid YAML")
});

/// The problem types of a 401, as `openapi.yaml` and the README list them.
pub const UNAUTHORIZED_TYPES: [&str; 5] = [
    "token-missing",
    "token-invalid",
    "token-expired",
    "bad-credentials",
    "session-ended",
];

pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every (METHOD, template) pair of the spec.
pub fn operations() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (template, item) in SPEC["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), template.clone()));
            }
        }
    }
    out.sort();
    out
}

/// The names of the `in: query` parameters of an operation, its own and its path's.
pub fn query_parameters(method: &str, template: &str) -> Vec<String> {
    let item = &SPEC["paths"][template];
    let own = &item[method.to_lowercase()]["parameters"];
    [&item["parameters"], own]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .map(resolve)
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().expect("a parameter's name").to_owned())
        .collect()
}

/// The template of the spec that a concrete path matches (`/v1/reports/{id}`).
/// The most literal template wins: `/v1/reports/with-photos` before `/v1/reports/{id}`.
pub fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    SPEC["paths"]
        .as_object()?
        .keys()
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .min_by_key(|template| template.matches('{').count())
        .cloned()
}

type Validator = Arc<jsonschema::Validator>;

static VALIDATORS: LazyLock<Mutex<HashMap<String, Validator>>> = LazyLock::new(Default::default);

/// Compiles a schema of the spec with the spec's components beside it, so `$ref`s resolve.
fn validator(key: &str, schema: &Value) -> Validator {
    if let Some(v) = VALIDATORS.lock().unwrap().get(key) {
        return v.clone();
    }
    let mut root = schema.clone();
    if let Some(object) = root.as_object_mut() {
        object.insert("components".into(), SPEC["components"].clone());
        object
            .entry("$schema")
            .or_insert(json!("https://json-schema.org/draft/2020-12/schema"));
    } else {
        root = json!({"allOf": [schema], "components": SPEC["components"]});
    }
    let compiled = Arc::new(
        jsonschema::options()
            .should_validate_formats(true)
            .with_format("date-time", is_timestamp)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema of {key} does not compile: {e}")),
    );
    VALIDATORS
        .lock()
        .unwrap()
        .insert(key.to_owned(), compiled.clone());
    compiled
}

/// Whether `text` is an instant in the one form the service writes (`openapi.yaml`'s
/// description): RFC 3339 in UTC, exactly six fractional digits, `Z`, such as
/// `2026-03-25T01:00:00.000000Z`. Every `format: date-time` of every response is held to it.
pub fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 27
        && bytes[19] == b'.'
        && bytes[20..26].iter().all(u8::is_ascii_digit)
        && bytes[26] == b'Z'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// Follows a `$ref` to `#/components/...`.
fn resolve(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            SPEC.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"))
        }
        None => value,
    }
}

/// Panics unless the spec documents this status of this operation as `text/event-stream`.
pub fn check_stream(method: &str, path: &str, status: u16) {
    let template =
        template_of(path).unwrap_or_else(|| panic!("{method} {path}: not in openapi.yaml"));
    let response =
        resolve(&SPEC["paths"][&template][method.to_lowercase()]["responses"][status.to_string()]);
    assert!(
        response.pointer("/content/text~1event-stream").is_some(),
        "{method} {template} {status}: text/event-stream not documented"
    );
}

/// Validates a value against a named schema of the spec.
pub fn check_schema(name: &str, value: &Value) {
    let schema = json!({"$ref": format!("#/components/schemas/{name}")});
    let validator = validator(&format!("schema {name}"), &schema);
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: {}\nvalue: {value:#}",
        errors.join("\n")
    );
}

/// Panics unless the spec documents this status for this operation with this content type and
/// the body fits the schema.
pub fn check_response(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    raw: &[u8],
    body: &Value,
) {
    let template =
        template_of(path).unwrap_or_else(|| panic!("{method} {path}: not in openapi.yaml"));
    let operation = SPEC["paths"][&template]
        .get(method.to_lowercase())
        .unwrap_or_else(|| panic!("{method} {template}: method not in openapi.yaml"));
    let responses = &operation["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .map(resolve)
        .unwrap_or_else(|| {
            panic!("{method} {template}: status {status} is not documented (body {body})")
        });
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            raw.is_empty(),
            "{method} {template} {status}: spec says no body, got {body}"
        );
        return;
    };
    let media = content.get(mime).unwrap_or_else(|| {
        panic!("{method} {template} {status}: content type {mime:?} not documented")
    });
    if mime.starts_with("image/") {
        assert!(
            !raw.is_empty(),
            "{method} {template} {status}: empty picture"
        );
        return;
    }
    if let Some(schema) = media.get("schema") {
        let key = format!("{method} {template} {status} {mime}");
        let validator = validator(&key, schema);
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{key}: response does not match its schema:\n{}\nbody: {body:#}",
            errors.join("\n")
        );
    }
}
