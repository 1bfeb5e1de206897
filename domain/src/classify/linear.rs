//! Multinomial logistic regression over sparse binary features: small enough to read, fast
//! enough to classify tens of thousands of reports a second, and deterministic, so the same
//! corpus always gives the same model byte for byte.
//!
//! Training is stochastic gradient descent with AdaGrad step sizes and L2 shrinkage of the
//! weights a step touches.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A text as a model sees it: the rows of its known features, each once, and the value every
/// one of them takes (the caller's choice, the same in training and in use).
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    pub rows: Vec<u32>,
    pub value: f32,
}

impl Encoded {
    /// Encodes the features `emit_all` emits, looking each name up with `row_of`.
    pub fn new(
        mut row_of: impl FnMut(&str) -> Option<u32>,
        emit_all: impl FnOnce(&mut dyn FnMut(&str)),
        value: f32,
    ) -> Encoded {
        let mut rows = Vec::with_capacity(64);
        emit_all(&mut |name: &str| rows.extend(row_of(name)));
        // Sorted, so that scores add up in the same order whatever order features come in.
        rows.sort_unstable();
        rows.dedup();
        Encoded { rows, value }
    }
}

/// One training example: its features, its class, and how much it counts.
pub struct Example {
    pub features: Encoded,
    pub class: usize,
    pub weight: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub epochs: usize,
    pub learning_rate: f32,
    /// Pulls every weight a step touches toward zero, to exactly zero when it crosses: most
    /// features speak for one or two classes, and a sparse model is small and fast.
    pub l1: f32,
    pub l2: f32,
    pub seed: u64,
}

/// Weights as they are stored: per feature, the classes it speaks for with their weights;
/// weights too small to change a decision are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLinear {
    pub bias: Vec<f32>,
    pub weights: BTreeMap<String, Vec<(u8, f32)>>,
}

/// A trained model ready to score: feature name → its row of (class, weight).
#[derive(Debug, Clone)]
pub struct Linear {
    classes: usize,
    bias: Vec<f32>,
    index: HashMap<Box<str>, u32>,
    rows: Vec<Vec<(u8, f32)>>,
    names: Vec<Box<str>>,
}

/// Weights are stored with four decimals: the file stays small and readable, and what is
/// loaded equals what was evaluated.
fn round4(value: f32) -> f32 {
    (value * 10_000.0).round() / 10_000.0
}

/// Below this a weight moves a score by less than the rounding of the probabilities shown.
const PRUNE_BELOW: f32 = 0.002;

/// A deterministic shuffle (xorshift64*): the same seed gives the same model on every machine.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let random = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        order.swap(i, (random % (i as u64 + 1)) as usize);
    }
}

/// The probabilities of `scores`, in place (numerically stable softmax).
pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for score in scores.iter_mut() {
        *score = (*score - max).exp();
        sum += *score;
    }
    scores.iter_mut().for_each(|s| *s /= sum);
}

/// Trains on `examples`, whose rows index `names`, for `classes` classes.
pub fn train(examples: &[Example], names: &[String], classes: usize, options: Options) -> Linear {
    let width = names.len() * classes;
    let mut weights = vec![0.0f32; width];
    let mut bias = vec![0.0f32; classes];
    let mut squared = vec![0.0f32; width];
    let mut bias_squared = vec![0.0f32; classes];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = options.seed | 1;
    let mut scores = vec![0.0f32; classes];
    for _ in 0..options.epochs {
        shuffle(&mut order, &mut state);
        for &i in &order {
            let example = &examples[i];
            let value = example.features.value;
            scores.copy_from_slice(&bias);
            for &f in &example.features.rows {
                let row = &weights[f as usize * classes..][..classes];
                scores
                    .iter_mut()
                    .zip(row)
                    .for_each(|(s, w)| *s += w * value);
            }
            softmax(&mut scores);
            for class in 0..classes {
                let target = if class == example.class { 1.0 } else { 0.0 };
                let error = (scores[class] - target) * example.weight;
                bias_squared[class] += error * error;
                bias[class] -= options.learning_rate * error / bias_squared[class].sqrt().max(1e-6);
                for &f in &example.features.rows {
                    let at = f as usize * classes + class;
                    let gradient = error * value + options.l2 * weights[at];
                    squared[at] += gradient * gradient;
                    let step = options.learning_rate / squared[at].sqrt().max(1e-6);
                    let moved = weights[at] - step * gradient;
                    let shrink = step * options.l1;
                    weights[at] = moved.signum() * (moved.abs() - shrink).max(0.0);
                }
            }
        }
    }
    let stored = StoredLinear {
        bias: bias.iter().copied().map(round4).collect(),
        weights: names
            .iter()
            .enumerate()
            .filter_map(|(f, name)| {
                let row: Vec<(u8, f32)> = weights[f * classes..][..classes]
                    .iter()
                    .enumerate()
                    .map(|(class, w)| (class as u8, round4(*w)))
                    .filter(|(_, w)| w.abs() >= PRUNE_BELOW)
                    .collect();
                (!row.is_empty()).then(|| (name.clone(), row))
            })
            .collect(),
    };
    Linear::from_stored(&stored, classes).expect("a freshly trained model is consistent")
}

impl Linear {
    pub fn from_stored(stored: &StoredLinear, classes: usize) -> Result<Linear, String> {
        if stored.bias.len() != classes {
            return Err(format!(
                "{} biases for {classes} classes",
                stored.bias.len()
            ));
        }
        let mut index = HashMap::with_capacity(stored.weights.len());
        let mut rows = Vec::with_capacity(stored.weights.len());
        let mut names = Vec::with_capacity(stored.weights.len());
        for (name, row) in &stored.weights {
            if let Some((class, _)) = row.iter().find(|(c, _)| usize::from(*c) >= classes) {
                return Err(format!("feature `{name}` names class {class} of {classes}"));
            }
            index.insert(name.as_str().into(), rows.len() as u32);
            rows.push(row.clone());
            names.push(name.as_str().into());
        }
        Ok(Linear {
            classes,
            bias: stored.bias.clone(),
            index,
            rows,
            names,
        })
    }

    pub fn to_stored(&self) -> StoredLinear {
        StoredLinear {
            bias: self.bias.clone(),
            weights: self
                .names
                .iter()
                .zip(&self.rows)
                .map(|(name, row)| (name.to_string(), row.clone()))
                .collect(),
        }
    }

    /// Encodes the features a text emits against this model's rows.
    pub fn encode(&self, emit_all: impl FnOnce(&mut dyn FnMut(&str)), value: f32) -> Encoded {
        Encoded::new(|name| self.index.get(name).copied(), emit_all, value)
    }

    /// Raw scores (before softmax) of an encoded text.
    pub fn scores(&self, text: &Encoded) -> Vec<f32> {
        let value = text.value;
        let mut scores = self.bias.clone();
        for &row in &text.rows {
            for &(class, weight) in &self.rows[row as usize] {
                scores[usize::from(class)] += weight * value;
            }
        }
        scores
    }

    /// What each known feature of a text adds to `class`, largest first, with its name.
    pub fn contributions(&self, text: &Encoded, class: usize) -> Vec<(&str, f32)> {
        let mut weighed: Vec<(&str, f32)> = text
            .rows
            .iter()
            .filter_map(|&row| {
                let weight = self.rows[row as usize]
                    .iter()
                    .find(|(c, _)| usize::from(*c) == class)?
                    .1;
                Some((&*self.names[row as usize], weight))
            })
            .collect();
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        weighed
    }

    /// What feature `row` adds to the score of class `a` over class `b`.
    fn margin(&self, row: u32, a: usize, b: usize) -> f32 {
        let weight = |class: usize| {
            self.rows[row as usize]
                .iter()
                .find(|(c, _)| usize::from(*c) == class)
                .map_or(0.0, |(_, w)| *w)
        };
        weight(a) - weight(b)
    }

    /// What each known feature of a text adds to the score of class `a` over class `b`,
    /// largest first, with its name: for two classes, what pushed the decision toward `a`.
    pub fn margins(&self, text: &Encoded, a: usize, b: usize) -> Vec<(&str, f32)> {
        let mut weighed: Vec<(&str, f32)> = text
            .rows
            .iter()
            .map(|&row| (&*self.names[row as usize], self.margin(row, a, b)))
            .collect();
        weighed.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(y.0)));
        weighed
    }

    /// The largest of [`Linear::margins`], without sorting them: 0 for a text with no known
    /// feature.
    pub fn largest_margin(&self, text: &Encoded, a: usize, b: usize) -> f32 {
        text.rows
            .iter()
            .map(|&row| self.margin(row, a, b))
            .fold(0.0, f32::max)
    }

    /// The bias of each class.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    pub fn classes(&self) -> usize {
        self.classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    const OPTIONS: Options = Options {
        epochs: 30,
        learning_rate: 0.5,
        l1: 0.0,
        l2: 1e-4,
        seed: 7,
    };

    fn example(features: &[u32], class: usize) -> Example {
        Example {
            features: Encoded {
                rows: features.to_vec(),
                value: 1.0,
            },
            class,
            weight: 1.0,
        }
    }

    #[test]
    fn separable_classes_are_learned() {
        // f0 and f1 mean class 0, f2 and f3 class 1; f4 is noise.
        let examples = [
            example(&[0, 4], 0),
            example(&[1, 4], 0),
            example(&[0, 1], 0),
            example(&[2, 4], 1),
            example(&[3], 1),
            example(&[2, 3, 4], 1),
        ];
        let model = train(&examples, &names(5), 2, OPTIONS);
        for (features, class) in [(&["f0"][..], 0), (&["f3", "f4"][..], 1)] {
            let text = model.encode(|emit| features.iter().for_each(|f| emit(f)), 1.0);
            let mut scores = model.scores(&text);
            softmax(&mut scores);
            assert!(scores[class] > 0.8, "{features:?}: {scores:?}");
        }
        let text = model.encode(|emit| emit("f2"), 1.0);
        assert_eq!(model.contributions(&text, 1)[0].0, "f2");
        // f0 speaks for class 0, f2 for class 1: each leads the margin toward its class.
        let text = model.encode(|emit| ["f0", "f2"].iter().for_each(|f| emit(f)), 1.0);
        let toward_1 = model.margins(&text, 1, 0);
        assert_eq!(toward_1[0].0, "f2");
        assert!(toward_1[0].1 > 0.0 && toward_1[1].1 < 0.0);
        assert_eq!(model.margins(&text, 0, 1)[0].0, "f0");
        assert_eq!(model.largest_margin(&text, 1, 0), toward_1[0].1);
    }

    #[test]
    fn the_same_data_gives_the_same_model_and_storage_round_trips() {
        let examples = [example(&[0], 0), example(&[1], 1), example(&[0, 2], 0)];
        let a = train(&examples, &names(3), 2, OPTIONS).to_stored();
        let b = train(&examples, &names(3), 2, OPTIONS).to_stored();
        assert_eq!(a, b);
        let reloaded = Linear::from_stored(&a, 2).unwrap().to_stored();
        assert_eq!(a, reloaded);
        assert!(Linear::from_stored(&a, 3).is_err());
    }

    #[test]
    fn softmax_is_a_distribution() {
        let mut scores = [1000.0, 1001.0, -5.0];
        softmax(&mut scores);
        assert!((scores.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(scores[1] > scores[0] && scores[0] > scores[2]);
    }
}
