//! What the models read of a text: named sparse features, handed one by one to a callback so
//! that classifying a report allocates little.
//!
//! Two views of the same text are combined. The *folded* view (`text::canonical`: no
//! diacritics, shorthand spelled out, Telex leftovers repaired) is what every report has, typed
//! with accents or not; the *accented* view only adds what accents tell apart (`cháy` "fire"
//! and `chảy` "flow" both fold to `chay`). Accented features are emitted only for words that
//! carry diacritics, so a text typed without them reads exactly like the folded view of an
//! accented one.

use crate::text::{canonical, fold, normalize};

/// A report's text read once, for both models and the danger cues.
pub struct Reading {
    /// The syllables of `text::canonical` (folded, shorthand spelled out, typing leftovers
    /// repaired), numbers as `#`.
    syllables: Vec<String>,
    /// For each syllable, whether a negation stands within reach before it.
    negated: Vec<bool>,
    /// The words as typed, in lower case with their accents (NFC), numbers as `#`.
    typed: Vec<String>,
    /// Each typed word folded, to find how a folded term was typed.
    typed_folded: Vec<String>,
}

/// Words that turn what follows into its opposite (`không có ai bị thương`).
pub const NEGATIONS: &[&str] = &["khong", "chua", "chang", "cha", "het"];
/// How many syllables after a negation it reaches.
pub const NEGATION_REACH: usize = 4;
/// Words that open a new clause and end a negation's reach: in `chưa đổ nhưng sắp đổ` and
/// `chưa ai đến, vẫn còn điện` what follows is affirmed.
pub const CLAUSE_BREAKS: &[&str] = &["nhung", "van"];

/// House numbers, times and counts say little about the kind of problem; their presence
/// does (`hẻm 45` and `hẻm 12` are the same clue).
fn generalise(token: &str) -> &str {
    if token.bytes().all(|b| b.is_ascii_digit()) {
        "#"
    } else {
        token
    }
}

/// Builds each feature's name in one reused buffer.
struct Emitter<'f, F: FnMut(&str)> {
    name: String,
    emit: &'f mut F,
}

impl<F: FnMut(&str)> Emitter<'_, F> {
    fn emit(&mut self, parts: &[&str]) {
        self.name.clear();
        parts.iter().for_each(|part| self.name.push_str(part));
        (self.emit)(&self.name);
    }
}

impl Reading {
    pub fn new(text: &str) -> Reading {
        let syllables: Vec<String> = canonical(text)
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(|t| generalise(t).to_owned())
            .collect();
        let mut negated = Vec::with_capacity(syllables.len());
        let mut negated_until = 0;
        for (i, syllable) in syllables.iter().enumerate() {
            if CLAUSE_BREAKS.contains(&syllable.as_str()) {
                negated_until = 0;
            }
            negated.push(i < negated_until);
            if NEGATIONS.contains(&syllable.as_str()) {
                negated_until = i + 1 + NEGATION_REACH;
            }
        }
        let typed: Vec<String> = normalize(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| generalise(w).to_owned())
            .collect();
        let typed_folded = typed
            .iter()
            .map(|w| if w.is_ascii() { w.clone() } else { fold(w) })
            .collect();
        Reading {
            syllables,
            negated,
            typed,
            typed_folded,
        }
    }

    /// The folded syllables, numbers as `#`.
    pub fn syllables(&self) -> &[String] {
        &self.syllables
    }

    /// Whether a negation reaches the syllable at `index`.
    pub fn negated(&self, index: usize) -> bool {
        self.negated.get(index).copied().unwrap_or(false)
    }

    /// How a folded term (`den duong`) was typed in this text (`đèn đường`), if it was typed
    /// as such; shorthand spelled out by `canonical` is not found.
    pub fn as_typed(&self, folded_term: &str) -> Option<String> {
        let length = folded_term.split(' ').count();
        let start = self
            .typed_folded
            .windows(length)
            .position(|words| words.iter().map(String::as_str).eq(folded_term.split(' ')))?;
        Some(self.typed[start..start + length].join(" "))
    }

    /// The value of each feature of this text: `1 / sqrt(syllables)`, so a long message is
    /// not more certain than a short one merely for being long. Counted on the folded text, so
    /// that typing accents or not does not change it.
    pub fn scale(&self) -> f32 {
        1.0 / (self.syllables.len().max(1) as f32).sqrt()
    }

    /// Features of the subcategory model: folded syllables and pairs of syllables, accented
    /// syllables and pairs where accents are present.
    pub fn subcategory_features(&self, emit: &mut impl FnMut(&str)) {
        let mut out = Emitter {
            name: String::with_capacity(32),
            emit,
        };
        for (i, syllable) in self.syllables.iter().enumerate() {
            out.emit(&["w|", syllable]);
            if let Some(next) = self.syllables.get(i + 1) {
                out.emit(&["b|", syllable, " ", next]);
            }
        }
        for (i, word) in self.typed.iter().enumerate() {
            if !word.is_ascii() {
                out.emit(&["a|", word]);
            }
            if let Some(next) = self.typed.get(i + 1)
                && !(word.is_ascii() && next.is_ascii())
            {
                out.emit(&["ab|", word, " ", next]);
            }
        }
    }

    /// Features of the urgency model: folded syllables and pairs, each marked `!` when a
    /// negation reaches it, so `bị thương` and `không ai bị thương` are different evidence.
    pub fn urgency_features(&self, emit: &mut impl FnMut(&str)) {
        let mut out = Emitter {
            name: String::with_capacity(32),
            emit,
        };
        let mark = |negated: bool| if negated { "!" } else { "" };
        for (i, syllable) in self.syllables.iter().enumerate() {
            out.emit(&["w|", mark(self.negated[i]), syllable]);
            if let Some(next) = self.syllables.get(i + 1) {
                out.emit(&["b|", mark(self.negated[i + 1]), syllable, " ", next]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subcategory_features(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Reading::new(text).subcategory_features(&mut |f| out.push(f.to_owned()));
        out
    }

    fn urgency_features(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Reading::new(text).urgency_features(&mut |f| out.push(f.to_owned()));
        out
    }

    #[test]
    fn folded_syllables_and_pairs_with_numbers_generalised() {
        let features = subcategory_features("den hem 45 hu");
        assert_eq!(
            features,
            [
                "w|den",
                "b|den hem",
                "w|hem",
                "b|hem #",
                "w|#",
                "b|# hu",
                "w|hu"
            ]
        );
    }

    #[test]
    fn accents_add_features_only_where_they_are_typed() {
        let accented = subcategory_features("Đèn hẻm hư");
        let folded = subcategory_features("den hem hu");
        assert!(folded.iter().all(|f| accented.contains(f)));
        let extra: Vec<_> = accented.iter().filter(|f| !folded.contains(f)).collect();
        assert_eq!(extra, ["a|đèn", "ab|đèn hẻm", "a|hẻm", "ab|hẻm hư", "a|hư"]);
        assert!(!subcategory_features("cháy").contains(&"a|chảy".to_owned()));
    }

    #[test]
    fn shorthand_reads_like_the_words_it_stands_for() {
        assert_eq!(
            subcategory_features("ko co nc"),
            subcategory_features("khong co nuoc")
        );
    }

    #[test]
    fn negation_marks_what_it_reaches() {
        let features = urgency_features("khong co ai bi thuong");
        assert!(features.contains(&"w|!thuong".to_owned()));
        assert!(features.contains(&"b|!bi thuong".to_owned()));
        assert!(!features.contains(&"w|thuong".to_owned()));
        let features = urgency_features("co nguoi bi thuong");
        assert!(features.contains(&"w|thuong".to_owned()));
        // Out of reach: the negation ends after four syllables.
        let features = urgency_features("khong biet tai sao ma nguoi bi thuong");
        assert!(features.contains(&"w|thuong".to_owned()));
    }

    #[test]
    fn a_new_clause_ends_the_negation() {
        for text in [
            "Chưa đổ nhưng sắp đổ",
            "chua do nhung sap do",
            "chưa ai đến, vẫn còn điện",
            "chua ai den, van con dien",
        ] {
            let reading = Reading::new(text);
            let last = reading.syllables().len() - 1;
            assert!(reading.negated(1), "{text}");
            assert!(!reading.negated(last), "{text}");
        }
    }
}
