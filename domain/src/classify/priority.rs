//! Cues of priority in the folded text. The urgency model learns from words, but a few
//! hundred urgent examples cannot cover every way of saying "it is burning now"; these cues,
//! and whether a negation or a word of the past touches them, are extra features it weighs.
//! `high` and `low` are decided by cues alone: they change deadlines, not who is woken up.

use super::features::{NEGATION_REACH, NEGATIONS};
use crate::taxonomy::Priority;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Danger to life or property now (TAXONOMY: urgent).
const URGENT: &[&str] = &[
    "chay nha",
    "dang chay",
    "dam chay",
    "boc chay",
    "chay lon",
    "chay du doi",
    "phat no",
    "no lon",
    "no binh gas",
    "ro ri gas",
    "ro gas",
    "xi gas",
    "mui gas",
    "day dien dut",
    "dut day dien",
    "day dien roi",
    "dien giat",
    "chap dien",
    "toe lua",
    "tia lua",
    "cam dao",
    "vac dao",
    "dung dao",
    "mang dao",
    "hung khi",
    "chem",
    "dam nhau",
    "bi thuong",
    "cap cuu",
    "mau me",
    "de trung",
    "de len",
    "nguoi bi ket",
    "mac ket",
    "dang cuop",
    "dang trom",
    "dang danh nhau",
    "dang dap pha",
    "nap cong bi mat",
    "mat nap",
    "khong co nap",
    "khong co rao chan",
    "ho tu than",
    "sut lun sau",
    "sap duong",
    "chay lan",
    "nguy hiem tinh mang",
    "chet nguoi",
];

/// Serious, spreading or affecting many (TAXONOMY: high).
const HIGH: &[&str] = &[
    "ngap vao nha",
    "nuoc vao nha",
    "ngap sau",
    "mat dien ca khu",
    "mat dien toan khu",
    "mat nuoc ca khu",
    "sot xuat huyet",
    "o dich",
    "nhieu nguoi",
    "ca khu pho",
    "nhieu ngay",
    "nhieu ho",
];

/// Requests and suggestions (TAXONOMY: low).
const LOW: &[&str] = &[
    "de nghi trong",
    "xin trong",
    "de xuat",
    "kien nghi",
    "xin lap them",
    "lap them",
    "son lai",
    "them den",
];

/// The danger is over (`đã dập tắt`).
const OVER: &[&str] = &[
    "da dap tat",
    "duoc dap tat",
    "da tat lua",
    "da khong che",
    "da het chay",
    "da xu ly",
    "da giai tan",
    "da bo di",
    "da on",
    "da cat dien",
    "da sua",
    "da duoc xu ly",
];

/// It happened before (`hôm qua`, `tuần trước`).
const PAST: &[&str] = &[
    "hom qua",
    "toi qua",
    "dem qua",
    "sang qua",
    "chieu qua",
    "hom truoc",
    "tuan truoc",
    "thang truoc",
    "nam ngoai",
    "lan truoc",
    "hoi truoc",
];

/// It is happening now (`đang`, `bây giờ`): outweighs a word of the past elsewhere.
const NOW: &[&str] = &[
    "dang",
    "bay gio",
    "hien tai",
    "luc nay",
    "ngay luc nay",
    "hien dang",
];

/// A list of phrases, indexed by their first syllable so that a text is scanned once per
/// list rather than once per phrase.
struct Phrases {
    by_first: HashMap<&'static str, Vec<Vec<&'static str>>>,
}

impl Phrases {
    fn new(phrases: &[&'static str]) -> Phrases {
        let mut by_first: HashMap<&'static str, Vec<Vec<&'static str>>> = HashMap::new();
        for phrase in phrases {
            let syllables: Vec<&'static str> = phrase.split(' ').collect();
            by_first.entry(syllables[0]).or_default().push(syllables);
        }
        Phrases { by_first }
    }

    /// Where a phrase of the list starts in `text`.
    fn starts<'t>(&'t self, text: &'t [String]) -> impl Iterator<Item = usize> + 't {
        (0..text.len()).filter(move |&start| {
            self.by_first
                .get(text[start].as_str())
                .is_some_and(|candidates| {
                    candidates.iter().any(|phrase| {
                        text.len() - start >= phrase.len()
                            && phrase.iter().zip(&text[start..]).all(|(p, t)| *p == t)
                    })
                })
        })
    }

    fn any(&self, text: &[String]) -> bool {
        self.starts(text).next().is_some()
    }

    /// Whether a phrase occurs with no negation shortly before it.
    fn affirmed(&self, text: &[String]) -> bool {
        self.starts(text).any(|start| {
            !text[start.saturating_sub(NEGATION_REACH)..start]
                .iter()
                .any(|word| NEGATIONS.contains(&word.as_str()))
        })
    }
}

/// The cue lists, indexed once.
struct Cues {
    urgent: Phrases,
    high: Phrases,
    low: Phrases,
    over: Phrases,
    past: Phrases,
    now: Phrases,
}

static CUES: LazyLock<Cues> = LazyLock::new(|| Cues {
    urgent: Phrases::new(URGENT),
    high: Phrases::new(HIGH),
    low: Phrases::new(LOW),
    over: Phrases::new(OVER),
    past: Phrases::new(PAST),
    now: Phrases::new(NOW),
});

/// What the cues say about urgency, as features named `@…` for the urgency model.
pub fn urgency_cues(syllables: &[String], emit: &mut impl FnMut(&str)) {
    let cues = &*CUES;
    let danger = cues.urgent.affirmed(syllables);
    let denied = !danger && cues.urgent.any(syllables);
    let over = cues.over.any(syllables);
    let past = cues.past.any(syllables) && !cues.now.any(syllables);
    match (danger, over || past) {
        (true, false) => emit("@danger"),
        (true, true) => emit("@danger-over"),
        _ if denied => emit("@danger-denied"),
        _ => {}
    }
    if over {
        emit("@over");
    }
    if past {
        emit("@past");
    }
}

/// `high`, `low` or `normal` from the cues; urgency is the urgency model's decision.
pub fn non_urgent_priority(syllables: &[String]) -> Priority {
    if CUES.high.affirmed(syllables) {
        Priority::High
    } else if CUES.low.any(syllables) {
        Priority::Low
    } else {
        Priority::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::canonical;

    fn syllables(text: &str) -> Vec<String> {
        canonical(text).split(' ').map(str::to_owned).collect()
    }

    fn cues(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        urgency_cues(&syllables(text), &mut |c| out.push(c.to_owned()));
        out
    }

    #[test]
    fn danger_now_past_over_and_denied() {
        assert_eq!(cues("Cháy nhà ở hẻm 45, khói nhiều"), ["@danger"]);
        assert_eq!(
            cues("Đám cháy đã dập tắt lúc 3h"),
            ["@danger-over", "@over"]
        );
        assert_eq!(
            cues("tối qua có người bị thương"),
            ["@danger-over", "@past"]
        );
        assert_eq!(
            cues("hom qua co danh nhau, bay gio dang dam nhau tiep"),
            ["@danger"]
        );
        assert_eq!(cues("va cham nhe, ko co ai bi thuong"), ["@danger-denied"]);
        assert!(cues("đèn đường hư").is_empty());
    }

    #[test]
    fn every_cue_is_in_canonical_form() {
        // A cue that canonical() would rewrite could never match.
        for cue in [URGENT, HIGH, LOW, OVER, PAST, NOW, NEGATIONS]
            .iter()
            .flat_map(|list| list.iter())
        {
            assert_eq!(canonical(cue), *cue, "cue `{cue}`");
        }
    }

    #[test]
    fn high_and_low_from_cues() {
        let priority = |text: &str| non_urgent_priority(&syllables(text));
        assert_eq!(priority("Nước ngập vào nhà nhiều hộ"), Priority::High);
        assert_eq!(priority("Đề nghị trồng thêm cây xanh"), Priority::Low);
        assert_eq!(priority("đèn đường hư"), Priority::Normal);
        assert_eq!(priority("không ngập sâu lắm"), Priority::Normal);
    }

    #[test]
    fn phrases_match_whole_syllables_only() {
        let phrases = Phrases::new(&["chay", "den duong"]);
        let text = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert!(!phrases.any(&text(&["chayy", "nha"])));
        assert_eq!(
            phrases.starts(&text(&["nha", "chay"])).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(
            phrases.starts(&text(&["den", "duong"])).collect::<Vec<_>>(),
            [0]
        );
        assert!(!phrases.any(&text(&["den"])));
        assert!(phrases.affirmed(&text(&["dang", "chay"])));
        assert!(!phrases.affirmed(&text(&["khong", "co", "chay"])));
    }
}
