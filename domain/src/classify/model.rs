//! The trained classifier: a subcategory model, an urgency model, the temperature that
//! cross-validation on the training corpus sets to calibrate confidences, and the urgency
//! threshold chosen on the held-out split. Stored as one JSON document; the service ships
//! `domain/data/model.json`, which `sos classify train` rebuilds byte for byte from the
//! corpus in the repository.

use super::features::{NEGATION_REACH, NEGATIONS, Reading};
use super::linear::{self, Encoded, Example, Linear, Options, StoredLinear};
use super::priority::{Hit, Phrase, cue_spans, hits, non_urgent_priority, urgency_cues};
use super::{Classification, Classifier, Suggestion};
use crate::taxonomy::{Priority, Subcategory};
use crate::text::fold;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The model the service uses unless another one is activated.
pub const BUILTIN_MODEL: &str = include_str!("../../data/model.json");

/// The labelled corpus the built-in model is trained on (`domain/data/train.jsonl`).
pub const TRAINING_CORPUS: &str = include_str!("../../data/train.jsonl");

const FORMAT: &str = "sos-khu-pho-classifier/1";

/// A text to learn from. Corrections made by staff say nothing about urgency.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingText {
    pub text: String,
    pub subcategory: Subcategory,
    pub urgent: Option<bool>,
}

/// Features seen fewer times than this are left out: a word met once is more often a typo or
/// a street name than a clue.
const MIN_FEATURE_COUNT: usize = 2;
/// Folds of the cross-validation that sets the temperature.
const FOLDS: usize = 5;
/// Urgent examples count this much more: they are few, and missing one is the worse error.
const URGENT_WEIGHT: f32 = 2.0;
/// How many of the words that weighed most are shown with a decision.
const MAX_TERMS: usize = 5;
/// How many reasons are shown with the urgency decision.
const MAX_REASONS: usize = 4;
/// A report that is not urgent is explained only if a word or cue raised the odds of urgency
/// by a quarter or more (log-odds 0.25): otherwise nothing in it spoke of danger.
const RAISED: f32 = 0.25;
/// What a word or cue must weigh (log-odds) to be shown as a reason.
const REASON_WEIGHT: f32 = 0.1;

/// The probability of urgency from which a report is urgent. Chosen on the held-out split
/// (docs/NOTES.md, "Urgency: imminence and time"): the highest F2 score there (recall counts
/// four times as much as precision: a missed emergency waits for office hours).
pub const URGENT_THRESHOLD: f32 = 0.11;

/// L1 of the subcategory model: 3e-4 had the best accuracy in five-fold cross-validation on the
/// training corpus of 2,617 reports (1e-3, the earlier choice on 2,386, came second).
const SUBCATEGORY_OPTIONS: Options = Options {
    epochs: 25,
    learning_rate: 0.3,
    l1: 3e-4,
    l2: 1e-5,
    seed: 0x5305_6b68_7550_686f,
};

/// L1 of the urgency model: 1e-3 and 3e-4 gave the same average precision in cross-validation;
/// the sparser one is kept.
const URGENCY_OPTIONS: Options = Options {
    epochs: 25,
    learning_rate: 0.3,
    l1: 1e-3,
    l2: 1e-5,
    seed: 0x7572_6765_6e74_2121,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredModel {
    format: String,
    trained_examples: usize,
    classes: Vec<Subcategory>,
    /// Scores are divided by this before the softmax.
    temperature: f32,
    /// Probability of urgency from which a report is urgent.
    urgent_threshold: f32,
    subcategory: StoredLinear,
    urgency: StoredLinear,
}

/// A trained classifier, ready to classify.
#[derive(Debug, Clone)]
pub struct Model {
    classes: Vec<Subcategory>,
    subcategory: Linear,
    urgency: Linear,
    temperature: f32,
    urgent_threshold: f32,
    trained_examples: usize,
}

/// The features of a text for the subcategory model and for the urgency model.
fn subcategory_features(reading: &Reading) -> impl FnOnce(&mut dyn FnMut(&str)) + '_ {
    move |emit| reading.subcategory_features(&mut |f| emit(f))
}

fn urgency_features(reading: &Reading) -> impl FnOnce(&mut dyn FnMut(&str)) + '_ {
    move |emit| {
        reading.urgency_features(&mut |f| emit(f));
        urgency_cues(reading.syllables(), &mut |f| emit(f));
    }
}

/// Every feature a text emits, repeats included.
fn emitted(features: impl FnOnce(&mut dyn FnMut(&str))) -> Vec<String> {
    let mut out = Vec::new();
    features(&mut |f: &str| out.push(f.to_owned()));
    out
}

/// The features met in at least [`MIN_FEATURE_COUNT`] texts, sorted, and each text encoded
/// against them.
fn vocabulary(per_text: &[(Vec<String>, f32)]) -> (Vec<String>, Vec<Encoded>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (features, _) in per_text {
        let distinct: std::collections::BTreeSet<&str> =
            features.iter().map(String::as_str).collect();
        for f in distinct {
            *counts.entry(f).or_default() += 1;
        }
    }
    let names: Vec<String> = counts
        .into_iter()
        .filter(|(_, count)| *count >= MIN_FEATURE_COUNT)
        .map(|(name, _)| name.to_owned())
        .collect();
    let index: BTreeMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let encoded = per_text
        .iter()
        .map(|(features, value)| {
            Encoded::new(
                |name| index.get(name).copied(),
                |emit| features.iter().for_each(|f| emit(f)),
                *value,
            )
        })
        .collect();
    (names, encoded)
}

/// Examples of `rows` (indices into the corpus) for a model.
fn examples(
    rows: &[usize],
    encoded: &[Encoded],
    class_of: impl Fn(usize) -> Option<(usize, f32)>,
) -> Vec<Example> {
    rows.iter()
        .filter_map(|&i| {
            let (class, weight) = class_of(i)?;
            Some(Example {
                features: encoded[i].clone(),
                class,
                weight,
            })
        })
        .collect()
}

/// The temperature that makes held-out probabilities most likely (negative log-likelihood),
/// searched on a grid: cross-validated scores of each example with its true class.
fn fit_temperature(scored: &[(Vec<f32>, usize)]) -> f32 {
    let loss = |temperature: f32| -> f64 {
        scored
            .iter()
            .map(|(scores, class)| {
                let mut p: Vec<f32> = scores.iter().map(|s| s / temperature).collect();
                linear::softmax(&mut p);
                -f64::from(p[*class].max(1e-9)).ln()
            })
            .sum()
    };
    (10..=400)
        .map(|t| t as f32 / 100.0)
        .min_by(|a, b| loss(*a).total_cmp(&loss(*b)))
        .unwrap_or(1.0)
}

impl Model {
    /// The model built into the service.
    pub fn builtin() -> Model {
        Model::from_json(BUILTIN_MODEL).expect("the built-in model is valid")
    }

    pub fn from_json(json: &str) -> Result<Model, String> {
        let stored: StoredModel = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if stored.format != FORMAT {
            return Err(format!("unknown model format `{}`", stored.format));
        }
        let sane = stored.temperature.is_finite()
            && stored.temperature > 0.0
            && (0.0..=1.0).contains(&stored.urgent_threshold);
        if !sane {
            return Err("temperature or urgency threshold out of range".into());
        }
        Ok(Model {
            subcategory: Linear::from_stored(&stored.subcategory, stored.classes.len())?,
            urgency: Linear::from_stored(&stored.urgency, 2)?,
            classes: stored.classes,
            temperature: stored.temperature,
            urgent_threshold: stored.urgent_threshold,
            trained_examples: stored.trained_examples,
        })
    }

    pub fn to_json(&self) -> String {
        let stored = StoredModel {
            format: FORMAT.to_owned(),
            trained_examples: self.trained_examples,
            classes: self.classes.clone(),
            temperature: self.temperature,
            urgent_threshold: self.urgent_threshold,
            subcategory: self.subcategory.to_stored(),
            urgency: self.urgency.to_stored(),
        };
        serde_json::to_string(&stored).expect("a model serialises") + "\n"
    }

    pub fn trained_examples(&self) -> usize {
        self.trained_examples
    }

    /// Trains on `corpus`. Texts written with accents are also learned in their folded form,
    /// so a head who types without accents gets the same answer.
    pub fn train(corpus: &[TrainingText]) -> Model {
        // Each text with, for the folded copies, the index of the original.
        let mut texts: Vec<TrainingText> = corpus.to_vec();
        let mut origin: Vec<usize> = (0..corpus.len()).collect();
        for (i, t) in corpus
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.text.is_ascii())
        {
            texts.push(TrainingText {
                text: fold(&t.text),
                ..t.clone()
            });
            origin.push(i);
        }
        let readings: Vec<Reading> = texts.iter().map(|t| Reading::new(&t.text)).collect();
        let classes: Vec<Subcategory> = Subcategory::ALL.to_vec();
        let class_index = |s: Subcategory| classes.iter().position(|c| *c == s).unwrap_or(0);
        let (names, encoded) = vocabulary(
            &readings
                .iter()
                .map(|r| (emitted(subcategory_features(r)), r.scale()))
                .collect::<Vec<_>>(),
        );
        let (urgency_names, urgency_encoded) = vocabulary(
            &readings
                .iter()
                .map(|r| (emitted(urgency_features(r)), r.scale()))
                .collect::<Vec<_>>(),
        );
        let subcategory_of = |i: usize| Some((class_index(texts[i].subcategory), 1.0));
        let urgency_of = |i: usize| {
            texts[i]
                .urgent
                .map(|urgent| if urgent { (1, URGENT_WEIGHT) } else { (0, 1.0) })
        };

        // Cross-validation: each original text is scored by a model that never saw it nor its
        // folded copy (a copy lands in the fold of its original).
        let fold_of: Vec<usize> = origin.iter().map(|i| i % FOLDS).collect();
        let mut scored_classes = Vec::new();
        for fold in 0..FOLDS {
            let (held, kept): (Vec<usize>, Vec<usize>) =
                (0..texts.len()).partition(|&i| fold_of[i] == fold);
            let model = linear::train(
                &examples(&kept, &encoded, subcategory_of),
                &names,
                classes.len(),
                SUBCATEGORY_OPTIONS,
            );
            for &i in held.iter().filter(|&&i| i < corpus.len()) {
                let reading = &readings[i];
                scored_classes.push((
                    model.scores(&model.encode(subcategory_features(reading), reading.scale())),
                    class_index(texts[i].subcategory),
                ));
            }
        }
        let all: Vec<usize> = (0..texts.len()).collect();
        Model {
            subcategory: linear::train(
                &examples(&all, &encoded, subcategory_of),
                &names,
                classes.len(),
                SUBCATEGORY_OPTIONS,
            ),
            urgency: linear::train(
                &examples(&all, &urgency_encoded, urgency_of),
                &urgency_names,
                2,
                URGENCY_OPTIONS,
            ),
            temperature: fit_temperature(&scored_classes),
            urgent_threshold: URGENT_THRESHOLD,
            classes,
            trained_examples: corpus.len(),
        }
    }

    /// The probability that a text reports danger now, and the text as the urgency model
    /// reads it.
    fn urgency_of(&self, reading: &Reading) -> (f32, Encoded) {
        let encoded = self
            .urgency
            .encode(urgency_features(reading), reading.scale());
        let mut p = self.urgency.scores(&encoded);
        linear::softmax(&mut p);
        (p[1], encoded)
    }

    /// Why the urgency model decided as it did, shown to staff: for an urgent report what
    /// raised it most, for another what lowered it most when something had raised it (a danger
    /// word then `tối qua`, `đã dập tắt`); nothing when no word spoke of danger. Words appear as
    /// the head typed them; a cue as the phrases behind it (`lơ lửng`, `trẻ con`), a negated
    /// word with its negation (`không ai bị thương`).
    fn urgency_reasons(&self, reading: &Reading, text: &Encoded, urgent: bool) -> Vec<String> {
        if !urgent && self.urgency.largest_margin(text, 1, 0) * text.value < RAISED {
            return Vec::new();
        }
        let ranked = if urgent {
            self.urgency.margins(text, 1, 0)
        } else {
            self.urgency.margins(text, 0, 1)
        };
        let syllables = reading.syllables();
        let found = hits(syllables);
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        for (name, margin) in ranked {
            if margin * text.value < REASON_WEIGHT || chosen.len() == MAX_REASONS {
                break;
            }
            let phrases: Vec<Phrase> = if name.starts_with('@') {
                cue_spans(syllables, name)
            } else {
                word_span(reading, name)
                    .map(|span| widen(span, &found))
                    .into_iter()
                    .collect()
            };
            for phrase in phrases {
                // A danger word is no reason for calm, nor `tối qua` for alarm, whatever
                // weight the model gave it in this text.
                if phrase
                    .cue
                    .is_some_and(|(cue, negated)| cue.raises(negated) != urgent)
                {
                    continue;
                }
                let (start, end) = (phrase.start, phrase.start + phrase.len);
                let overlaps = chosen.iter().any(|&(s, e)| s < end && start < e);
                let number = syllables[start..end].iter().any(|w| w == "#");
                if number || overlaps || chosen.len() == MAX_REASONS {
                    continue;
                }
                chosen.push((start, end));
            }
        }
        chosen
            .into_iter()
            .map(|(start, end)| {
                let folded = syllables[start..end].join(" ");
                reading.as_typed(&folded).unwrap_or(folded)
            })
            .collect()
    }

    /// The words behind a decision for `class`: the features that pushed it most, as the head
    /// typed them (with accents if they had any), without placeholders or repeats.
    fn terms(&self, reading: &Reading, text: &Encoded, class: usize) -> Vec<String> {
        // Folded, to recognise the same word met through an accented and a folded feature.
        let mut chosen: Vec<String> = Vec::new();
        for (name, weight) in self.subcategory.contributions(text, class) {
            if weight <= 0.0 || chosen.len() == MAX_TERMS {
                break;
            }
            let term = name.split_once('|').map_or(name, |(_, t)| t);
            if term.contains('#') {
                continue;
            }
            let folded_term = if term.is_ascii() {
                term.to_owned()
            } else {
                fold(term)
            };
            let repeats = chosen
                .iter()
                .any(|c| c.split(' ').any(|w| folded_term.split(' ').any(|v| v == w)));
            if !repeats {
                chosen.push(folded_term);
            }
        }
        chosen
            .into_iter()
            .map(|folded| reading.as_typed(&folded).unwrap_or(folded))
            .collect()
    }
}

impl Classifier for Model {
    fn classify(&self, text: &str) -> Classification {
        let reading = Reading::new(text);
        let encoded = self
            .subcategory
            .encode(subcategory_features(&reading), reading.scale());
        let mut probabilities: Vec<f32> = self
            .subcategory
            .scores(&encoded)
            .iter()
            .map(|s| s / self.temperature)
            .collect();
        linear::softmax(&mut probabilities);
        let mut ranked: Vec<(usize, f32)> = probabilities.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (best, confidence) = ranked[0];
        let subcategory = self.classes[best];
        let (urgency, urgency_text) = self.urgency_of(&reading);
        let urgent = urgency >= self.urgent_threshold;
        let priority = if urgent {
            Priority::Urgent
        } else {
            non_urgent_priority(reading.syllables())
        };
        Classification {
            category: subcategory.category(),
            subcategory,
            priority,
            confidence,
            suggestions: ranked
                .iter()
                .take(3)
                .map(|&(class, confidence)| Suggestion {
                    subcategory: self.classes[class],
                    confidence,
                })
                .collect(),
            matched_terms: self.terms(&reading, &encoded, best),
            urgency_reasons: self.urgency_reasons(&reading, &urgency_text, urgent),
        }
    }

    fn urgency_probability(&self, text: &str) -> Option<f32> {
        Some(self.urgency_of(&Reading::new(text)).0)
    }
}

/// A word's span, or the cue phrase it is part of (`dập tắt` of `đã dập tắt`): a reason reads
/// better whole.
fn widen((start, len): (usize, usize), found: &[Hit]) -> Phrase {
    let overlaps = |hit: &&Hit| hit.start < start + len && start < hit.start + hit.len;
    match found.iter().filter(overlaps).max_by_key(|hit| hit.len) {
        Some(hit) => hit.phrase(),
        None => Phrase {
            start,
            len,
            cue: None,
        },
    }
}

/// Where a word feature of the urgency model (`w|thuong`, `b|!bi thuong`) stands in the text,
/// as (start, length) of syllables; a negated one starts at its negation.
fn word_span(reading: &Reading, name: &str) -> Option<(usize, usize)> {
    let (_, term) = name.split_once('|')?;
    let (negated, term) = match term.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, term),
    };
    let words: Vec<&str> = term.split(' ').collect();
    let syllables = reading.syllables();
    let start = (0..syllables.len().saturating_sub(words.len() - 1)).find(|&i| {
        words.iter().zip(&syllables[i..]).all(|(w, s)| w == s)
            && reading.negated(i + words.len() - 1) == negated
    })?;
    let from = if negated {
        (start.saturating_sub(NEGATION_REACH)..=start)
            .rev()
            .find(|&i| NEGATIONS.contains(&syllables[i].as_str()))
            .unwrap_or(start)
    } else {
        start
    };
    Some((from, start + words.len() - from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Labelled, evaluate, parse_corpus};
    use crate::taxonomy::Category;
    use Subcategory::*;
    use std::sync::LazyLock;

    static MODEL: LazyLock<Model> = LazyLock::new(Model::builtin);

    fn classify(text: &str) -> Classification {
        MODEL.classify(text)
    }

    fn training_texts(corpus: Vec<Labelled>) -> Vec<TrainingText> {
        corpus
            .into_iter()
            .map(|l| TrainingText {
                text: l.text,
                subcategory: l.subcategory,
                urgent: Some(l.urgent),
            })
            .collect()
    }

    #[test]
    fn the_shipped_model_is_what_the_corpus_in_the_repository_trains() {
        let corpus = parse_corpus(TRAINING_CORPUS).unwrap();
        let retrained = Model::train(&training_texts(corpus)).to_json();
        // On failure, run `sos classify train --data domain/data/train.jsonl --out
        // domain/data/model.json` and commit the result with the corpus change.
        assert!(
            retrained == BUILTIN_MODEL,
            "domain/data/model.json is not what domain/data/train.jsonl trains"
        );
    }

    #[test]
    fn the_shipped_model_meets_its_targets_on_the_held_out_split() {
        let held_out = parse_corpus(include_str!("../../data/heldout.jsonl")).unwrap();
        let result = evaluate(&*MODEL, &held_out);
        assert!(result.n >= 650);
        // Issue 20: no lower than before it (0.985 / 0.978), and urgency that catches what
        // is about to happen without waking a department for what is over.
        assert!(result.category_accuracy >= 0.985, "{result:?}");
        assert!(result.subcategory_macro_f1 >= 0.978, "{result:?}");
        assert!(result.urgent_recall >= 0.95, "{result:?}");
        assert!(result.urgent_precision >= 0.85, "{result:?}");
        assert!(result.folded_agreement >= 0.98, "{result:?}");
        // The same figures with every report typed without accents, within 0.02.
        let free = &result.accent_free;
        for (with, without) in [
            (result.category_accuracy, free.category_accuracy),
            (result.subcategory_macro_f1, free.subcategory_macro_f1),
            (result.urgent_precision, free.urgent_precision),
            (result.urgent_recall, free.urgent_recall),
        ] {
            assert!((with - without).abs() <= 0.02, "{result:?}");
        }
        // The threshold in use is the one of the curve that the notes show.
        let chosen = result
            .urgency
            .iter()
            .find(|p| p.threshold as f32 == URGENT_THRESHOLD)
            .expect("the urgency curve lists the threshold in use");
        assert_eq!(chosen.recall, result.urgent_recall);
        assert_eq!(chosen.precision, result.urgent_precision);
    }

    /// The figures of `sos classify eval --file domain/data/heldout.jsonl --json`, printed
    /// without building the service: `cargo test -p sos-domain --lib held_out_figures --
    /// --ignored --nocapture`.
    #[test]
    #[ignore]
    fn held_out_figures() {
        let held_out = parse_corpus(include_str!("../../data/heldout.jsonl")).unwrap();
        let result = evaluate(&*MODEL, &held_out);
        println!("{}", serde_json::to_string_pretty(&result).unwrap());
    }

    #[test]
    fn the_corpus_covers_every_subcategory_and_never_meets_the_held_out_split() {
        let train = parse_corpus(TRAINING_CORPUS).unwrap();
        let held_out = parse_corpus(include_str!("../../data/heldout.jsonl")).unwrap();
        assert!(train.len() >= 2000);
        for subcategory in Subcategory::ALL {
            assert!(
                train
                    .iter()
                    .filter(|l| l.subcategory == *subcategory)
                    .count()
                    >= 50,
                "{subcategory}"
            );
            assert!(held_out.iter().any(|l| l.subcategory == *subcategory));
        }
        let seen: std::collections::HashSet<String> = train.iter().map(|l| fold(&l.text)).collect();
        assert!(held_out.iter().all(|l| !seen.contains(&fold(&l.text))));
    }

    #[test]
    fn the_model_survives_a_round_trip_through_json() {
        let json = MODEL.to_json();
        assert_eq!(Model::from_json(&json).unwrap().to_json(), json);
        assert!(Model::from_json("{}").is_err());
        let other_format = json.replacen(FORMAT, "another-format/9", 1);
        assert!(
            Model::from_json(&other_format)
                .unwrap_err()
                .contains("format")
        );
    }

    #[test]
    fn one_realistic_report_per_subcategory() {
        let cases = [
            (
                "Ổ gà lớn giữa đường Lê Văn Việt, xe máy té liên tục",
                RoadDamage,
            ),
            ("đèn đường hẻm 12 chớp tắt cả tuần nay", Streetlight),
            (
                "Mưa xong nước ngập tới đầu gối ở hẻm 30, cống bị nghẹt",
                DrainageFlooding,
            ),
            (
                "Cây xanh trước trường tiểu học bị nghiêng, sắp gãy cành",
                Trees,
            ),
            ("Dây điện võng thấp sát mái nhà ở hẻm 5", PowerLines),
            (
                "Mất nước từ sáng tới giờ, ống nước bể trước nhà số 20",
                WaterSupply,
            ),
            (
                "Đèn giao thông ngã tư Lê Văn Việt không hoạt động",
                TrafficSignals,
            ),
            (
                "Nhà số 8 bị trộm đột nhập lấy mất xe máy tối qua",
                TheftRobbery,
            ),
            (
                "Nhóm thanh niên tụ tập đua xe, nẹt pô gây rối cả đêm",
                FightingDisturbance,
            ),
            ("Karaoke hát tới 12h đêm không ai ngủ được", Noise),
            ("Có người tiêm chích ma túy ở cuối hẻm", DrugsGambling),
            (
                "Quán cà phê lấn chiếm vỉa hè bày bàn ghế ra tận lòng đường",
                Encroachment,
            ),
            (
                "Nhà số 15 đang xây dựng trái phép thêm tầng",
                IllegalConstruction,
            ),
            ("Cháy nhà ở hẻm 45, khói bốc cao", FireHazard),
            (
                "Có người đổ xà bần và vật liệu xây dựng ra đất trống",
                IllegalDumping,
            ),
            ("Rác không ai thu gom 3 ngày rồi", UncollectedWaste),
            (
                "Hầm cầu nhà bên tràn, mùi hôi thối nồng nặc",
                WastewaterOdor,
            ),
            ("Xưởng sơn xả khói bụi và mùi sơn cả ngày", AirPollution),
            (
                "Nhiều muỗi, trong hẻm đã có 2 ca sốt xuất huyết",
                DiseaseVectors,
            ),
            ("Cho hỏi thủ tục làm căn cước cho con ở đâu", Other),
        ];
        for (text, expected) in cases {
            let got = classify(text);
            assert_eq!(got.subcategory, expected, "{text}: {got:?}");
            assert_eq!(got.category, expected.category());
            assert_eq!(classify(&fold(text)).subcategory, expected, "folded {text}");
            assert!(!got.matched_terms.is_empty(), "{text}");
        }
    }

    #[test]
    fn urgency_follows_danger_now_and_not_danger_past_or_denied() {
        for text in [
            "Cháy nhà ở hẻm 45, khói nhiều",
            "Dây điện đứt rơi xuống đường, có tia lửa",
            "Hai nhóm đánh nhau có hung khí trước quán nhậu",
            "ho ga mat nap giua duong, rat nguy hiem",
            "cay nga chan ngang duong, xe khong qua duoc",
        ] {
            assert_eq!(classify(text).priority, Priority::Urgent, "{text}");
        }
        for text in [
            "Đám cháy hôm qua đã dập tắt, không ai bị thương",
            "va cham nhe, ko co ai bi thuong",
            "tối qua có đánh nhau trước quán, giờ đã giải tán",
            "bình chữa cháy ở nhà văn hóa hết hạn",
        ] {
            assert_ne!(classify(text).priority, Priority::Urgent, "{text}");
        }
        assert_eq!(
            classify("Nước ngập vào nhà nhiều hộ").priority,
            Priority::High
        );
        assert_eq!(
            classify("Đề nghị trồng thêm cây xanh ở công viên").priority,
            Priority::Low
        );
    }

    #[test]
    fn urgency_reads_imminence_exposure_and_time() {
        // Written for this test, in none of the corpora; each is checked as typed and folded.
        let urgent = [
            // Hanging or leaning, over people or the road.
            "Nhánh bàng gãy còn treo lơ lửng trên cổng chợ, bà con vẫn đi bên dưới",
            "trụ điện trước trường đang nghiêng dần ra đường, dây kéo căng, có thể đổ bất cứ lúc nào",
            "bien quang cao tren noc nha so 12 bung oc, lac lu tren dau nguoi di duong",
            // Live equipment left open within reach.
            "Tủ điện đầu hẻm mở toang, dây lòi ra ngoài, tụi nhỏ chơi ngay bên",
            "hop dien chan tru den bi mat cua, day tro ra, hoc sinh dung cho sat do",
            // Over, but the danger remains.
            "Tối qua dây điện đứt rơi xuống hẻm, tới giờ vẫn nằm đó còn điện, chưa ai đến",
        ];
        let not_urgent = [
            // Over: a theft last night, an injury dealt with, a fire put out, made safe.
            "Tối qua bị giật túi ở đầu chợ, người không sao, đã trình báo công an",
            "Hôm qua hai thanh niên xô xát, một người bị thương nhẹ đã băng bó xong, giờ yên rồi",
            "chay bep nha so 4 hoi trua, da dap tat, ko ai bi thuong",
            "Tủ điện bị mở cửa hôm qua, điện lực đã đến khóa lại rồi",
            // A risk that waits for a storm.
            "Cây bàng nghiêng ra đường, sợ mùa mưa bão tới sẽ đổ, xin cắt tỉa",
        ];
        for text in urgent {
            for typed in [text.to_owned(), fold(text)] {
                let got = classify(&typed);
                assert_eq!(got.priority, Priority::Urgent, "{typed}: {got:?}");
                assert!(!got.urgency_reasons.is_empty(), "{typed}");
            }
        }
        for text in not_urgent {
            for typed in [text.to_owned(), fold(text)] {
                let got = classify(&typed);
                assert_ne!(got.priority, Priority::Urgent, "{typed}: {got:?}");
            }
        }
    }

    #[test]
    fn urgency_says_why_in_the_words_the_head_typed() {
        let hanging = classify("Cành cây gãy treo lơ lửng ngay trên chỗ các cháu xếp hàng");
        assert_eq!(hanging.priority, Priority::Urgent);
        assert!(
            hanging.urgency_reasons.iter().any(|r| r == "lơ lửng"),
            "{:?}",
            hanging.urgency_reasons
        );
        assert!(hanging.urgency_reasons.len() <= MAX_REASONS);
        let folded = classify("canh cay gay treo lo lung ngay tren cho cac chau xep hang");
        assert!(folded.urgency_reasons.iter().any(|r| r == "lo lung"));
        assert!(folded.urgency_reasons.iter().all(|r| r.is_ascii()));
        // Over: what lowered it, and never the danger word itself.
        let over = classify("Đám cháy hôm qua đã dập tắt, không ai bị thương");
        assert_ne!(over.priority, Priority::Urgent);
        assert!(
            over.urgency_reasons.iter().any(|r| r == "đã dập tắt"),
            "{:?}",
            over.urgency_reasons
        );
        assert!(over.urgency_reasons.iter().all(|r| !r.contains("cháy")));
        // Nothing spoke of danger: nothing to explain.
        assert!(
            classify("Đèn đường hẻm 12 hư, tối om")
                .urgency_reasons
                .is_empty()
        );
        // Shown with the answer, like the subcategory's words.
        let json = serde_json::to_value(&hanging).unwrap();
        assert!(json["urgency_reasons"].is_array());
    }

    #[test]
    fn flowing_water_is_not_a_fire() {
        let overflow = classify("nước chảy tràn ra đường từ cống");
        assert_ne!(overflow.subcategory, FireHazard);
        assert_ne!(overflow.priority, Priority::Urgent);
    }

    #[test]
    fn shorthand_and_broken_typing_are_understood() {
        assert_eq!(
            classify("ddeenf dduowngf hw tu toi qua").subcategory,
            Streetlight
        );
        assert_eq!(
            classify("kp3 ngap nc qua dau goi").subcategory,
            DrainageFlooding
        );
        assert_eq!(
            classify("rac ko ai thu gom 3 ngay").subcategory,
            UncollectedWaste
        );
    }

    #[test]
    fn a_text_about_nothing_is_unsure() {
        let got = classify("Hôm nay trời đẹp");
        assert!(got.subcategory == Other || got.confidence < 0.5, "{got:?}");
    }

    #[test]
    fn suggestions_are_three_ordered_probabilities_led_by_the_answer() {
        let got = classify("Rác tràn thùng rác, bốc mùi hôi, chuột chạy khắp nơi");
        assert_eq!(got.suggestions.len(), 3);
        assert!(
            got.suggestions
                .windows(2)
                .all(|w| w[0].confidence >= w[1].confidence)
        );
        let sum: f32 = got.suggestions.iter().map(|s| s.confidence).sum();
        assert!(sum <= 1.0 + 1e-6);
        assert_eq!(got.suggestions[0].subcategory, got.subcategory);
        assert_eq!(got.suggestions[0].confidence, got.confidence);
        assert_eq!(got.category, Category::Sanitation);
    }

    #[test]
    fn the_words_that_weighed_most_are_shown_as_typed() {
        let got = classify("Đèn đường hư trước nhà số 12, tối om");
        assert_eq!(got.subcategory, Streetlight);
        assert!(got.matched_terms.len() <= MAX_TERMS);
        assert!(
            got.matched_terms.iter().any(|t| t.contains("đèn")),
            "{:?}",
            got.matched_terms
        );
        // Numbers are places, not reasons.
        assert!(got.matched_terms.iter().all(|t| !t.contains('#')));
        let folded = classify("den duong hu truoc nha so 12, toi om");
        assert!(folded.matched_terms.iter().all(|t| t.is_ascii()));
    }

    #[test]
    fn corrections_teach_the_model_what_staff_decided() {
        // A made-up phrase the corpus never uses, filed under water supply by staff.
        let mut corpus = training_texts(parse_corpus(TRAINING_CORPUS).unwrap());
        let phrase = "zorbex quvil";
        assert_ne!(classify(phrase).subcategory, WaterSupply);
        corpus.extend((0..5).map(|i| TrainingText {
            text: format!("{phrase} o hem {i}"),
            subcategory: WaterSupply,
            urgent: None,
        }));
        let retrained = Model::train(&corpus);
        assert_eq!(retrained.classify(phrase).subcategory, WaterSupply);
        assert_eq!(retrained.trained_examples(), corpus.len());
    }

    #[test]
    fn confidences_are_shown_with_three_decimals() {
        let json = serde_json::to_value(classify("den duong hu")).unwrap();
        let confidence = json["confidence"].as_f64().unwrap();
        assert_eq!(confidence, (confidence * 1000.0).round() / 1000.0);
    }

    #[test]
    fn the_temperature_is_fitted_as_documented() {
        // Scores that are already calibrated need no temperature.
        let t = fit_temperature(&[
            (vec![2.0, 0.0], 0),
            (vec![0.0, 2.0], 1),
            (vec![2.0, 0.0], 1),
        ]);
        assert!(t > 1.0, "overconfident scores are softened: {t}");
    }
}
