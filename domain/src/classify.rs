// TEMPORARY STUB so the workspace compiles; the classifier helper replaces this whole file.
use crate::taxonomy::{Category, Priority, Subcategory};
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub subcategory: Subcategory,
    pub confidence: f32,
}
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Classification {
    pub category: Category,
    pub subcategory: Subcategory,
    pub priority: Priority,
    pub confidence: f32,
    pub suggestions: Vec<Suggestion>,
    pub matched_terms: Vec<String>,
}
pub trait Classifier: Send + Sync {
    fn classify(&self, text: &str) -> Classification;
}
#[derive(Debug, Default, Clone)]
pub struct KeywordClassifier;
impl Classifier for KeywordClassifier {
    fn classify(&self, text: &str) -> Classification {
        let folded = crate::text::fold(text);
        let (subcategory, confidence) = if folded.contains("den duong") {
            (Subcategory::Streetlight, 0.9)
        } else {
            (Subcategory::Other, 0.0)
        };
        Classification {
            category: subcategory.category(),
            subcategory,
            priority: Priority::Normal,
            confidence,
            suggestions: vec![],
            matched_terms: vec![],
        }
    }
}
