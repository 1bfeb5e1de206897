//! Measuring a classifier on labelled reports: the figures `sos classify eval` prints.

use crate::classify::Classifier;
use crate::taxonomy::{Category, Priority, Subcategory};
use crate::text::fold;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One labelled report, a line of the corpus files (`domain/data/*.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub text: String,
    pub category: Category,
    pub subcategory: Subcategory,
    pub urgent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubcategoryScore {
    pub subcategory: Subcategory,
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    pub expected: Subcategory,
    pub predicted: Subcategory,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub n: usize,
    pub category_accuracy: f64,
    pub subcategory_accuracy: f64,
    pub subcategory_macro_f1: f64,
    pub urgent_precision: f64,
    pub urgent_recall: f64,
    pub per_subcategory: Vec<SubcategoryScore>,
    /// The most frequent mistakes, most frequent first.
    pub confusions: Vec<Confusion>,
    /// Of the reports written with accents, the share whose folded form (no diacritics) gets
    /// the same subcategory; 1 when no report has accents.
    pub folded_agreement: f64,
    /// Expected calibration error of the confidence: the gap between confidence and accuracy,
    /// averaged over ten bins weighted by their size. 0 is perfectly calibrated.
    pub calibration_error: f64,
    /// What each triage threshold would do: the share of reports sent to the triage desk, and
    /// how often the others are routed to the right subcategory.
    pub triage: Vec<TriagePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriagePoint {
    pub threshold: f64,
    pub to_triage: f64,
    pub routed_accuracy: f64,
}

/// Thresholds listed in the triage trade-off.
const TRIAGE_THRESHOLDS: &[f64] = &[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const CALIBRATION_BINS: usize = 10;

/// How many confusion pairs the evaluation lists.
const TOP_CONFUSIONS: usize = 10;

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

pub fn evaluate(classifier: &dyn Classifier, corpus: &[Labelled]) -> Evaluation {
    let mut category_hits = 0;
    let mut subcategory_hits = 0;
    let (mut urgent_true_positive, mut urgent_predicted, mut urgent_actual) = (0, 0, 0);
    // (true positives, predicted, actual) per subcategory.
    let mut counts: BTreeMap<Subcategory, (usize, usize, usize)> = BTreeMap::new();
    let mut confusions: BTreeMap<(Subcategory, Subcategory), usize> = BTreeMap::new();
    let (mut accented, mut folded_same) = (0, 0);
    // (confidence, right) of each report, for calibration and the triage trade-off.
    let mut confidences: Vec<(f64, bool)> = Vec::with_capacity(corpus.len());
    for example in corpus {
        let got = classifier.classify(&example.text);
        if !example.text.is_ascii() {
            accented += 1;
            let folded = classifier.classify(&fold(&example.text));
            folded_same += usize::from(folded.subcategory == got.subcategory);
        }
        confidences.push((
            f64::from(got.confidence),
            got.subcategory == example.subcategory,
        ));
        category_hits += usize::from(got.category == example.category);
        subcategory_hits += usize::from(got.subcategory == example.subcategory);
        let predicted_urgent = got.priority == Priority::Urgent;
        urgent_predicted += usize::from(predicted_urgent);
        urgent_actual += usize::from(example.urgent);
        urgent_true_positive += usize::from(predicted_urgent && example.urgent);
        counts.entry(got.subcategory).or_default().1 += 1;
        let actual = counts.entry(example.subcategory).or_default();
        actual.2 += 1;
        if got.subcategory == example.subcategory {
            actual.0 += 1;
        } else {
            *confusions
                .entry((example.subcategory, got.subcategory))
                .or_default() += 1;
        }
    }
    let per_subcategory: Vec<SubcategoryScore> = counts
        .iter()
        .filter(|(_, (_, _, actual))| *actual > 0)
        .map(|(&subcategory, &(hits, predicted, actual))| {
            let precision = ratio(hits, predicted);
            let recall = ratio(hits, actual);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            SubcategoryScore {
                subcategory,
                support: actual,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let macro_f1 = if per_subcategory.is_empty() {
        0.0
    } else {
        per_subcategory.iter().map(|s| s.f1).sum::<f64>() / per_subcategory.len() as f64
    };
    let mut confusions: Vec<Confusion> = confusions
        .into_iter()
        .map(|((expected, predicted), count)| Confusion {
            expected,
            predicted,
            count,
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    confusions.truncate(TOP_CONFUSIONS);
    Evaluation {
        n: corpus.len(),
        category_accuracy: ratio(category_hits, corpus.len()),
        subcategory_accuracy: ratio(subcategory_hits, corpus.len()),
        subcategory_macro_f1: macro_f1,
        urgent_precision: ratio(urgent_true_positive, urgent_predicted),
        urgent_recall: ratio(urgent_true_positive, urgent_actual),
        per_subcategory,
        confusions,
        folded_agreement: if accented == 0 {
            1.0
        } else {
            ratio(folded_same, accented)
        },
        calibration_error: calibration_error(&confidences),
        triage: TRIAGE_THRESHOLDS
            .iter()
            .map(|&threshold| {
                let routed: Vec<bool> = confidences
                    .iter()
                    .filter(|(confidence, _)| *confidence >= threshold)
                    .map(|(_, right)| *right)
                    .collect();
                TriagePoint {
                    threshold,
                    to_triage: 1.0 - ratio(routed.len(), confidences.len()),
                    routed_accuracy: ratio(routed.iter().filter(|r| **r).count(), routed.len()),
                }
            })
            .collect(),
    }
}

fn calibration_error(confidences: &[(f64, bool)]) -> f64 {
    let mut bins = [(0usize, 0.0f64, 0usize); CALIBRATION_BINS];
    for &(confidence, right) in confidences {
        let bin = ((confidence * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        bins[bin].0 += 1;
        bins[bin].1 += confidence;
        bins[bin].2 += usize::from(right);
    }
    bins.iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|&(n, confidence_sum, right)| {
            let gap = (confidence_sum / n as f64 - right as f64 / n as f64).abs();
            gap * n as f64 / confidences.len() as f64
        })
        .sum()
}

/// Reads a corpus in JSON Lines; blank lines are skipped, a bad line is an error that names it.
pub fn parse_corpus(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let example: Labelled =
                serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
            if example.subcategory.category() != example.category {
                return Err(format!(
                    "line {}: {} is not a subcategory of {}",
                    n + 1,
                    example.subcategory,
                    example.category
                ));
            }
            Ok(example)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classification;

    /// Always answers the same: makes the arithmetic of the figures checkable by hand.
    struct Always(Subcategory, Priority);

    impl Classifier for Always {
        fn classify(&self, _: &str) -> Classification {
            Classification {
                category: self.0.category(),
                subcategory: self.0,
                priority: self.1,
                confidence: 1.0,
                suggestions: Vec::new(),
                matched_terms: Vec::new(),
            }
        }
    }

    fn example(subcategory: Subcategory, urgent: bool) -> Labelled {
        Labelled {
            text: String::new(),
            category: subcategory.category(),
            subcategory,
            urgent,
        }
    }

    #[test]
    fn figures_match_a_case_worked_out_by_hand() {
        use Subcategory::*;
        let corpus = [
            example(Streetlight, false),
            example(Streetlight, false),
            example(RoadDamage, true),
            example(Noise, false),
        ];
        let result = evaluate(&Always(Streetlight, Priority::Urgent), &corpus);
        assert_eq!(result.n, 4);
        // Streetlight and road damage are both infrastructure: 3 of 4 categories right.
        assert_eq!(result.category_accuracy, 0.75);
        assert_eq!(result.subcategory_accuracy, 0.5);
        // Streetlight: precision 2/4, recall 1, F1 2/3; road damage and noise: F1 0.
        assert!((result.subcategory_macro_f1 - (2.0 / 3.0) / 3.0).abs() < 1e-9);
        assert_eq!(result.urgent_precision, 0.25);
        assert_eq!(result.urgent_recall, 1.0);
        assert_eq!(result.confusions.len(), 2);
        assert!(
            result
                .confusions
                .iter()
                .all(|c| c.predicted == Streetlight && c.count == 1)
        );
        // Always certain, right half the time.
        assert_eq!(result.calibration_error, 0.5);
        assert!(
            result
                .triage
                .iter()
                .all(|t| t.to_triage == 0.0 && t.routed_accuracy == 0.5)
        );
        // No text has accents.
        assert_eq!(result.folded_agreement, 1.0);
    }

    #[test]
    fn corpus_lines_are_checked() {
        let good = r#"{"text": "đèn đường hư", "category": "infrastructure", "subcategory": "streetlight", "urgent": false}"#;
        assert_eq!(
            parse_corpus(&format!("{good}\n\n{good}\n")).unwrap().len(),
            2
        );
        let mismatched = r#"{"text": "x", "category": "security", "subcategory": "streetlight", "urgent": false}"#;
        assert!(parse_corpus(mismatched).unwrap_err().contains("line 1"));
        assert!(parse_corpus("{not json").is_err());
    }
}
