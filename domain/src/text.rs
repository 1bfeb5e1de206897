//! Vietnamese text normalisation: what lets `den duong hu` and `Đèn đường hư` meet.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC, lower case, single spaces, trimmed.
pub fn normalize(text: &str) -> String {
    let lowered: String = text.nfc().flat_map(char::to_lowercase).collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-case ASCII letters and digits separated by single spaces: diacritics removed
/// (`đ` becomes `d`), punctuation turned into spaces. Typing without accents gives the same text.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
    {
        let c = match c {
            'đ' | 'ð' => 'd',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

/// The syllables of a folded text.
pub fn tokens(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(' ').filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_fold_away() {
        assert_eq!(
            fold("Đèn đường hư trước nhà số 12, tối om!"),
            "den duong hu truoc nha so 12 toi om"
        );
        assert_eq!(
            fold("den duong hu truoc nha so 12, toi om"),
            "den duong hu truoc nha so 12 toi om"
        );
        assert_eq!(fold("NGẬP NƯỚC   hẻm 45/7"), "ngap nuoc hem 45 7");
        assert_eq!(
            fold("Ổ gà, sụt lún; ĐƯỜNG Lê Văn Việt"),
            "o ga sut lun duong le van viet"
        );
        assert_eq!(fold("  "), "");
    }

    #[test]
    fn decomposed_input_folds_like_composed_input() {
        let composed = "Thủ Đức";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(fold(composed), fold(&decomposed));
        assert_eq!(normalize(&decomposed), "thủ đức");
    }

    #[test]
    fn tokens_are_syllables() {
        assert_eq!(
            tokens(&fold("kp3: cây ngã!")).collect::<Vec<_>>(),
            ["kp3", "cay", "nga"]
        );
    }
}
