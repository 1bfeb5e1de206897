//! The codes of the taxonomy with their Vietnamese labels, for the app's pickers and filters;
//! each subcategory with what a picker draws (order, icon, a line of description, examples).

use axum::Json;
use serde_json::{Value, json};
use sos_domain::taxonomy::{Category, DepartmentCode, Priority, Role, Status, Subcategory};

pub async fn taxonomy() -> Json<Value> {
    let categories: Vec<Value> = Category::ALL
        .iter()
        .map(|&category| {
            let subcategories: Vec<Value> = Subcategory::of(category)
                .map(|s| {
                    let guide = s.guide();
                    let order = Subcategory::ALL.iter().position(|&o| o == s);
                    json!({
                        "code": s, "label": s.label(), "default_department": s.default_department(),
                        "order": order, "icon": guide.icon, "description": guide.description,
                        "examples": guide.examples,
                    })
                })
                .collect();
            json!({"code": category, "label": category.label(), "subcategories": subcategories})
        })
        .collect();
    let codes = |pairs: Vec<(&str, &str)>| -> Vec<Value> {
        pairs
            .into_iter()
            .map(|(code, label)| json!({"code": code, "label": label}))
            .collect()
    };
    Json(json!({
        "categories": categories,
        "departments": codes(DepartmentCode::ALL.iter().map(|d| (d.as_str(), d.label())).collect()),
        "priorities": codes(Priority::ALL.iter().map(|p| (p.as_str(), p.label())).collect()),
        "statuses": codes(Status::ALL.iter().map(|s| (s.as_str(), s.label())).collect()),
        "roles": codes(Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()),
    }))
}
