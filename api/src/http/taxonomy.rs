//! The codes of the taxonomy with their labels in the request's language, for the app's
//! pickers and filters; each subcategory with what a picker draws (order, icon, a line of
//! description, examples). Examples stay Vietnamese in every language: they show what to write,
//! and reports are written and classified in Vietnamese.

use crate::http::error::current_lang;
use axum::Json;
use serde_json::{Value, json};
use sos_domain::code::Code;
use sos_domain::taxonomy::{Category, DepartmentCode, Priority, Role, Status, Subcategory};

pub async fn taxonomy() -> Json<Value> {
    let lang = current_lang();
    let categories: Vec<Value> = Category::ALL
        .iter()
        .map(|&category| {
            let subcategories: Vec<Value> = Subcategory::of(category)
                .map(|s| {
                    let guide = s.guide();
                    let order = Subcategory::ALL.iter().position(|&o| o == s);
                    json!({
                        "code": s, "label": s.label(lang),
                        "default_department": s.default_department(),
                        "order": order, "icon": guide.icon,
                        "description": guide.description(lang), "examples": guide.examples,
                    })
                })
                .collect();
            json!({"code": category, "label": category.label(lang), "subcategories": subcategories})
        })
        .collect();
    Json(json!({
        "categories": categories,
        "departments": labelled(DepartmentCode::ALL, |d| d.label(lang)),
        "priorities": labelled(Priority::ALL, |p| p.label(lang)),
        "statuses": labelled(Status::ALL, |s| s.label(lang)),
        "roles": labelled(Role::ALL, |r| r.label(lang)),
    }))
}

/// Each code with its label.
fn labelled<C: Code>(codes: &[C], label: impl Fn(C) -> &'static str) -> Vec<Value> {
    codes
        .iter()
        .map(|&code| json!({"code": code.code(), "label": label(code)}))
        .collect()
}
