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

/// The folded text as a classifier should read it: abbreviations and teen-code spelled out
/// (`ko` → `khong`, `kp3` → `khu pho 3`), and leftovers of Telex or VNI typing whose input
/// method failed repaired (`dduowngf` → `duong`, `duo7ng2` → `duong`).
pub fn canonical(text: &str) -> String {
    let folded = fold(text);
    let mut out: Vec<String> = Vec::new();
    for token in tokens(&folded) {
        if let Some(expansion) = expand_abbreviation(token) {
            out.push(expansion);
        } else if let Some(repaired) = repair_vni(token).or_else(|| repair_telex(token)) {
            out.push(repaired);
        } else {
            out.push(token.to_owned());
        }
    }
    out.join(" ")
}

/// Shorthand of phone typing, folded, with what it stands for. Left out on purpose: `hong`
/// (teen-code for "không", but also "hỏng", broken) and `bit` ("biết", but also "bịt", plug).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("ko", "khong"),
    ("k", "khong"),
    ("kh", "khong"),
    ("khg", "khong"),
    ("kg", "khong"),
    ("hok", "khong"),
    ("dc", "duoc"),
    ("dk", "duoc"),
    ("ng", "nguoi"),
    ("mn", "moi nguoi"),
    ("kp", "khu pho"),
    ("hxh", "hem xe hoi"),
    ("tp", "thanh pho"),
    ("ubnd", "uy ban nhan dan"),
    ("sdt", "so dien thoai"),
    ("dt", "dien thoai"),
    ("j", "gi"),
    ("r", "roi"),
    ("cx", "cung"),
    ("cg", "cung"),
    ("bn", "bao nhieu"),
    ("ntn", "nhu the nao"),
    ("vs", "voi"),
    ("trc", "truoc"),
    ("ns", "noi"),
    ("bik", "biet"),
    ("wa", "qua"),
    ("ik", "di"),
    ("lm", "lam"),
    ("hnay", "hom nay"),
    ("hqua", "hom qua"),
    ("bv", "benh vien"),
    ("csgt", "canh sat giao thong"),
    ("pccc", "phong chay chua chay"),
    ("atgt", "an toan giao thong"),
    ("ttdt", "trat tu do thi"),
    ("nc", "nuoc"),
    ("nt", "nhan tin"),
    ("ck", "chuyen khoan"),
    ("ok", "duoc"),
];

/// `kp3` → `khu pho 3`, `ko` → `khong`; `None` when the token is no shorthand.
fn expand_abbreviation(token: &str) -> Option<String> {
    let letters_end = token
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(token.len());
    let (letters, digits) = token.split_at(letters_end);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let expansion = ABBREVIATIONS.iter().find(|(short, _)| *short == letters)?.1;
    // Only a few shorthands take a number (`kp3`, `p12` is left alone: it could be many things).
    match digits {
        "" => Some(expansion.to_owned()),
        _ if letters == "kp" => Some(format!("{expansion} {digits}")),
        _ => None,
    }
}

const VOWELS: &[char] = &['a', 'e', 'i', 'o', 'u', 'y'];
const INITIALS: &[&str] = &[
    "ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr", "b", "c", "d", "g", "h",
    "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
];
const FINALS: &[&str] = &["ch", "ng", "nh", "c", "m", "n", "p", "t", ""];

/// Whether a folded token has the shape of a Vietnamese syllable: an initial consonant
/// cluster, one to three vowels, a final consonant.
fn plausible_syllable(token: &str) -> bool {
    INITIALS
        .iter()
        .filter(|i| token.starts_with(**i))
        .any(|initial| {
            let rest = &token[initial.len()..];
            let vowels = rest.chars().take_while(|c| VOWELS.contains(c)).count();
            (1..=3).contains(&vowels) && FINALS.contains(&&rest[vowels..])
        })
}

/// Loanwords that look like Telex leftovers but are words of their own.
const LOANWORDS: &[&str] = &[
    "gas", "bus", "wifi", "camera", "karaoke", "taxi", "laptop", "video",
];

/// Telex typing without its input method: doubled letters and `w` mark vowels, a final
/// `s f r x j` marks the tone. Folded, all of that goes: `dduowngf` → `duong`.
fn repair_telex(token: &str) -> Option<String> {
    if !token.chars().all(|c| c.is_ascii_lowercase())
        || LOANWORDS.contains(&token)
        || plausible_syllable(token)
    {
        return None;
    }
    let mut base = token.to_owned();
    // The tone letter comes last, or just before the final consonant (`dduowfng`).
    if let Some(position) = base.rfind(['s', 'f', 'r', 'x', 'j', 'z'])
        && position > 0
        && base[..position].contains(VOWELS)
    {
        base.remove(position);
    }
    for (typed, letter) in [
        ("dd", "d"),
        ("uow", "uo"),
        ("aa", "a"),
        ("aw", "a"),
        ("ee", "e"),
        ("oo", "o"),
        ("ow", "o"),
        ("uw", "u"),
        ("w", "u"),
    ] {
        base = base.replace(typed, letter);
    }
    (base != token && plausible_syllable(&base)).then_some(base)
}

/// VNI typing without its input method: a digit after a letter marks the vowel or the tone
/// (`d9u7o7ng2` → `duong`, `nu7o71c` → `nuoc`). A token ending in a number of two digits or
/// more (`hem45`, `so12`) is a place or a count, not VNI.
fn repair_vni(token: &str) -> Option<String> {
    if !token.starts_with(|c: char| c.is_ascii_lowercase())
        || !token.contains(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let runs: Vec<&str> = token
        .split(|c: char| c.is_ascii_lowercase())
        .filter(|r| !r.is_empty())
        .collect();
    let trailing = token.len() - token.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let vni_like = runs.iter().all(|r| r.len() <= 2 && !r.contains('0')) && trailing <= 1;
    if !vni_like {
        return None;
    }
    let base: String = token.chars().filter(|c| !c.is_ascii_digit()).collect();
    plausible_syllable(&base).then_some(base)
}

/// Characters that change how a line reads without being seen: the bidirectional overrides
/// and isolates, with which a name can pass for another.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a text meant to stay on one line (a name, a title, an address) holds no control
/// character (line breaks included), no line or paragraph separator, and no bidirectional
/// override. A line break in a name becomes a new header in a letter that carries it.
pub fn is_single_line(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_bidi_control(c))
}

/// Whether a text of several lines (a description, an answer) holds no control character but
/// line breaks and tabs.
pub fn is_clean_text(text: &str) -> bool {
    !text
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c))
}

/// The text on one line: every control character, separator and override becomes a space.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_single_line(c.encode_utf8(&mut [0; 4])) {
                c
            } else {
                ' '
            }
        })
        .collect()
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
    fn shorthand_is_spelled_out() {
        assert_eq!(
            canonical("Ko ai dc thong bao, kp3 ngap"),
            "khong ai duoc thong bao khu pho 3 ngap"
        );
        assert_eq!(
            canonical("hxh 45 bi chan, ng dan buc xuc"),
            "hem xe hoi 45 bi chan nguoi dan buc xuc"
        );
        assert_eq!(canonical("đc"), "duoc");
        // A house number or a room stays what it is.
        assert_eq!(canonical("p12 so 45"), "p12 so 45");
    }

    #[test]
    fn telex_and_vni_leftovers_are_repaired() {
        assert_eq!(canonical("dduowngf"), "duong");
        assert_eq!(canonical("ddeenf dduowngf hw"), "den duong hu");
        assert_eq!(canonical("ngaapj nuwowcs"), "ngap nuoc");
        assert_eq!(canonical("dduowfng"), "duong");
        assert_eq!(canonical("d9e2n d9u7o7ng2"), "den duong");
        assert_eq!(canonical("ngap5 nu7o71c"), "ngap nuoc");
    }

    #[test]
    fn real_words_and_numbers_are_left_alone() {
        for text in [
            "gas",
            "xi gas",
            "karaoke",
            "den duong hu",
            "hem45",
            "so 12",
            "rac",
            "xe",
            "sach",
            "ruoi",
        ] {
            assert_eq!(canonical(text), text, "{text}");
        }
    }

    #[test]
    fn syllable_shapes() {
        for ok in [
            "duong", "nghieng", "khong", "gi", "uy", "a", "chuyen", "qua", "thuoc",
        ] {
            assert!(plausible_syllable(ok), "{ok}");
        }
        for bad in ["dduowngf", "gas", "bcd", "xyzw", "hem45"] {
            assert!(!plausible_syllable(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_are_syllables() {
        assert_eq!(
            tokens(&fold("kp3: cây ngã!")).collect::<Vec<_>>(),
            ["kp3", "cay", "nga"]
        );
    }

    #[test]
    fn single_lines_refuse_what_breaks_or_disguises_them() {
        for bad in [
            "Dien luc\r\nX-Injected: 1",
            "a\nb",
            "tab\there",
            "nul\0",
            "esc\x1b[31m",
            "a\u{2028}b",
            "\u{202E}gnp.exe",
        ] {
            assert!(!is_single_line(bad), "{bad:?}");
            assert!(is_single_line(&one_line(bad)), "{bad:?}");
        }
        assert!(is_single_line("Công ty Điện lực Thủ Đức (khu vực 2)"));
        assert_eq!(one_line("Dien luc\r\nX: 1"), "Dien luc  X: 1");
        assert!(is_clean_text("Dòng một\nDòng hai\r\n\tthụt lề"));
        assert!(!is_clean_text("chuông\x07"));
        assert!(!is_clean_text("\u{202E}abc"));
    }
}
