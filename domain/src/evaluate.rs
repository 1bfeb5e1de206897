//! Measuring a classifier on labelled reports: the figures `sos classify eval` prints.

use crate::classify::{Classification, Classifier};
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
    /// The headline figures again with every report typed without accents (folded): what a
    /// head who never types diacritics gets.
    pub accent_free: Headline,
    /// Expected calibration error of the confidence: the gap between confidence and accuracy,
    /// averaged over ten bins weighted by their size. 0 is perfectly calibrated.
    pub calibration_error: f64,
    /// What each triage threshold would do: the share of reports sent to the triage desk, and
    /// how often the others are routed to the right subcategory.
    pub triage: Vec<TriagePoint>,
    /// What each urgency threshold would do: how many reports would be flagged urgent, with
    /// precision and recall. Empty for a classifier without an urgency probability.
    pub urgency: Vec<UrgencyPoint>,
}

/// The figures that matter most, for one reading of a corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub category_accuracy: f64,
    pub subcategory_accuracy: f64,
    pub subcategory_macro_f1: f64,
    pub urgent_precision: f64,
    pub urgent_recall: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriagePoint {
    pub threshold: f64,
    pub to_triage: f64,
    pub routed_accuracy: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UrgencyPoint {
    pub threshold: f64,
    pub flagged: usize,
    pub precision: f64,
    pub recall: f64,
}

/// Thresholds listed in the triage trade-off.
const TRIAGE_THRESHOLDS: &[f64] = &[0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9];
/// Thresholds listed in the urgency trade-off: finely where the built-in model's lies.
const URGENCY_THRESHOLDS: &[f64] = &[
    0.02, 0.04, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.16, 0.18, 0.2, 0.25, 0.3,
    0.4, 0.5, 0.7,
];
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

/// Counts of one reading of a corpus, from which its figures follow.
#[derive(Default)]
struct Tally {
    n: usize,
    category_hits: usize,
    subcategory_hits: usize,
    urgent_true_positive: usize,
    urgent_predicted: usize,
    urgent_actual: usize,
    /// (true positives, predicted, actual) per subcategory.
    counts: BTreeMap<Subcategory, (usize, usize, usize)>,
    confusions: BTreeMap<(Subcategory, Subcategory), usize>,
}

impl Tally {
    fn add(&mut self, example: &Labelled, got: &Classification) {
        self.n += 1;
        self.category_hits += usize::from(got.category == example.category);
        self.subcategory_hits += usize::from(got.subcategory == example.subcategory);
        let predicted_urgent = got.priority == Priority::Urgent;
        self.urgent_predicted += usize::from(predicted_urgent);
        self.urgent_actual += usize::from(example.urgent);
        self.urgent_true_positive += usize::from(predicted_urgent && example.urgent);
        self.counts.entry(got.subcategory).or_default().1 += 1;
        let actual = self.counts.entry(example.subcategory).or_default();
        actual.2 += 1;
        if got.subcategory == example.subcategory {
            actual.0 += 1;
        } else {
            *self
                .confusions
                .entry((example.subcategory, got.subcategory))
                .or_default() += 1;
        }
    }

    fn per_subcategory(&self) -> Vec<SubcategoryScore> {
        self.counts
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
            .collect()
    }

    fn headline(&self) -> Headline {
        let per_subcategory = self.per_subcategory();
        Headline {
            category_accuracy: ratio(self.category_hits, self.n),
            subcategory_accuracy: ratio(self.subcategory_hits, self.n),
            subcategory_macro_f1: if per_subcategory.is_empty() {
                0.0
            } else {
                per_subcategory.iter().map(|s| s.f1).sum::<f64>() / per_subcategory.len() as f64
            },
            urgent_precision: ratio(self.urgent_true_positive, self.urgent_predicted),
            urgent_recall: ratio(self.urgent_true_positive, self.urgent_actual),
        }
    }
}

pub fn evaluate(classifier: &dyn Classifier, corpus: &[Labelled]) -> Evaluation {
    let mut tally = Tally::default();
    let mut accent_free = Tally::default();
    let (mut accented, mut folded_same) = (0, 0);
    // (confidence, right) of each report, for calibration and the triage trade-off.
    let mut confidences: Vec<(f64, bool)> = Vec::with_capacity(corpus.len());
    // (probability of urgency, urgent) of each report, for the urgency trade-off.
    let mut urgency: Vec<(f64, bool)> = Vec::with_capacity(corpus.len());
    for example in corpus {
        let got = classifier.classify(&example.text);
        if example.text.is_ascii() {
            accent_free.add(example, &got);
        } else {
            accented += 1;
            let folded = classifier.classify(&fold(&example.text));
            folded_same += usize::from(folded.subcategory == got.subcategory);
            accent_free.add(example, &folded);
        }
        confidences.push((
            f64::from(got.confidence),
            got.subcategory == example.subcategory,
        ));
        if let Some(p) = classifier.urgency_probability(&example.text) {
            urgency.push((f64::from(p), example.urgent));
        }
        tally.add(example, &got);
    }
    let headline = tally.headline();
    let mut confusions: Vec<Confusion> = tally
        .confusions
        .iter()
        .map(|(&(expected, predicted), &count)| Confusion {
            expected,
            predicted,
            count,
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    confusions.truncate(TOP_CONFUSIONS);
    Evaluation {
        n: corpus.len(),
        category_accuracy: headline.category_accuracy,
        subcategory_accuracy: headline.subcategory_accuracy,
        subcategory_macro_f1: headline.subcategory_macro_f1,
        urgent_precision: headline.urgent_precision,
        urgent_recall: headline.urgent_recall,
        per_subcategory: tally.per_subcategory(),
        confusions,
        folded_agreement: if accented == 0 {
            1.0
        } else {
            ratio(folded_same, accented)
        },
        accent_free: accent_free.headline(),
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
        urgency: if urgency.len() < corpus.len() {
            Vec::new()
        } else {
            urgency_curve(&urgency)
        },
    }
}

/// Precision and recall of urgency at each of [`URGENCY_THRESHOLDS`]. The probabilities are
/// compared as `f32`, as the classifier compares them with its threshold.
fn urgency_curve(scored: &[(f64, bool)]) -> Vec<UrgencyPoint> {
    let actual = scored.iter().filter(|(_, urgent)| *urgent).count();
    URGENCY_THRESHOLDS
        .iter()
        .map(|&threshold| {
            let at = threshold as f32;
            let flagged: Vec<bool> = scored
                .iter()
                .filter(|(p, _)| *p as f32 >= at)
                .map(|(_, urgent)| *urgent)
                .collect();
            let hits = flagged.iter().filter(|u| **u).count();
            UrgencyPoint {
                threshold,
                flagged: flagged.len(),
                precision: ratio(hits, flagged.len()),
                recall: ratio(hits, actual),
            }
        })
        .collect()
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
                urgency_reasons: Vec::new(),
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

    /// Knows streetlights only when accents are typed, and says every report with `gấp`
    /// (folded `gap`) is urgent with probability 0.9, the others 0.1.
    struct AccentsOnly;

    impl Classifier for AccentsOnly {
        fn classify(&self, text: &str) -> Classification {
            let subcategory = if text.contains('đ') {
                Subcategory::Streetlight
            } else {
                Subcategory::Noise
            };
            let priority = if fold(text).contains("gap") {
                Priority::Urgent
            } else {
                Priority::Normal
            };
            Classification {
                priority,
                ..Always(subcategory, priority).classify(text)
            }
        }

        fn urgency_probability(&self, text: &str) -> Option<f32> {
            Some(if fold(text).contains("gap") { 0.9 } else { 0.1 })
        }
    }

    #[test]
    fn the_accent_free_figures_and_the_urgency_curve_are_counted() {
        use Subcategory::*;
        let labelled = |text: &str, subcategory: Subcategory, urgent: bool| Labelled {
            text: text.to_owned(),
            category: subcategory.category(),
            subcategory,
            urgent,
        };
        let corpus = [
            labelled("đèn hư gấp", Streetlight, true),
            labelled("đèn tắt", Streetlight, false),
            labelled("karaoke", Noise, false),
            labelled("karaoke gap", Noise, false),
        ];
        let result = evaluate(&AccentsOnly, &corpus);
        assert_eq!(result.subcategory_accuracy, 1.0);
        // Folded, the two streetlights become noise; urgency does not change.
        assert_eq!(result.accent_free.subcategory_accuracy, 0.5);
        assert_eq!(result.accent_free.category_accuracy, 0.5);
        assert_eq!(result.accent_free.urgent_precision, 0.5);
        assert_eq!(result.accent_free.urgent_recall, 1.0);
        assert_eq!(result.folded_agreement, 0.0);
        // Two flagged at 0.9, one of them urgent; all four flagged at 0.1 or below.
        let at = |t: f64| result.urgency.iter().find(|p| p.threshold == t).unwrap();
        assert_eq!(
            (at(0.5).flagged, at(0.5).precision, at(0.5).recall),
            (2, 0.5, 1.0)
        );
        assert_eq!((at(0.1).flagged, at(0.1).precision), (4, 0.25));
        // A classifier without probabilities draws no curve.
        assert!(
            evaluate(&Always(Noise, Priority::Normal), &corpus)
                .urgency
                .is_empty()
        );
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
