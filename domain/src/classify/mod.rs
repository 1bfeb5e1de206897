//! Classification of a report's text into a subcategory, with a calibrated confidence, up
//! to three suggestions, a priority, the words that weighed most, and why it is urgent or not.
//!
//! [`Classifier`] is the seam the service and the evaluation use; [`Model`] is the trained
//! implementation: logistic regression over syllable n-grams of the folded and the accented
//! text ([`features`]), an urgency model of its own that sees negations, imminence, exposure
//! and words of the past ([`priority`]), both trained by [`linear`].

pub mod features;
pub mod linear;
pub mod model;
pub mod priority;

pub use model::{Model, TrainingText};

use crate::taxonomy::{Category, Priority, Subcategory};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub subcategory: Subcategory,
    #[serde(serialize_with = "three_decimals")]
    pub confidence: f32,
}

/// Confidences are shown to people: 0.667, not 0.6666666865348816.
fn three_decimals<S: serde::Serializer>(value: &f32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((f64::from(*value) * 1000.0).round() / 1000.0)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Always `subcategory.category()`.
    pub category: Category,
    /// The best guess.
    pub subcategory: Subcategory,
    pub priority: Priority,
    /// The calibrated probability that `subcategory` is right; compare with the triage
    /// threshold.
    #[serde(serialize_with = "three_decimals")]
    pub confidence: f32,
    /// Up to three guesses, best first.
    pub suggestions: Vec<Suggestion>,
    /// The words that weighed most, shown to triage staff.
    pub matched_terms: Vec<String>,
    /// Why the urgency was judged so, shown to staff like `matched_terms`: for an urgent report
    /// the words that raised it (`đang cháy`, `lơ lửng`, `trẻ con`), for another the words that
    /// lowered it when something had raised it (`tối qua`, `đã dập tắt`); empty when no word
    /// spoke of danger.
    pub urgency_reasons: Vec<String>,
}

pub trait Classifier: Send + Sync {
    fn classify(&self, text: &str) -> Classification;

    /// The probability that `text` reports an urgent danger, for classifiers that have one:
    /// the evaluation draws the urgency threshold's precision/recall curve from it.
    fn urgency_probability(&self, _text: &str) -> Option<f32> {
        None
    }
}
