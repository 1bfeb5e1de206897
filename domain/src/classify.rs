//! Classification of a report's text into a subcategory, with a confidence and a priority.
//!
//! [`Classifier`] is the seam: the service holds a `dyn Classifier`, so a trained model can
//! replace the [`KeywordClassifier`] without touching intake. The keyword classifier works on
//! the folded text (no diacritics), so `den duong hu` and `Đèn đường hư` are the same report.

use crate::taxonomy::{Category, Priority, Subcategory};
use crate::text::{canonical, tokens};
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
    /// The best guess; `other` when nothing matched.
    pub subcategory: Subcategory,
    pub priority: Priority,
    /// 0 when nothing matched; compare with the triage threshold.
    #[serde(serialize_with = "three_decimals")]
    pub confidence: f32,
    /// Up to three guesses, best first.
    pub suggestions: Vec<Suggestion>,
    /// The words that weighed most, shown to triage staff.
    pub matched_terms: Vec<String>,
}

pub trait Classifier: Send + Sync {
    fn classify(&self, text: &str) -> Classification;
}

/// Phrases (folded, matched on whole syllables) with their weight: 3 for phrases that name the
/// problem on their own, 2 for strong hints, 1 for single words that mean several things
/// (`chay` is "fire" and "flow", `xuong` "workshop" and "down").
const LEXICON: &[(Subcategory, &[(&str, f32)])] = {
    use Subcategory::*;
    &[
        (
            RoadDamage,
            &[
                ("o ga", 3.0),
                ("o voi", 3.0),
                ("sut lun", 3.0),
                ("lun sut", 3.0),
                ("nut duong", 3.0),
                ("duong nut", 3.0),
                ("duong hu", 3.0),
                ("duong bi hu", 3.0),
                ("mat duong", 2.0),
                ("hu duong", 2.0),
                ("duong bi dao", 3.0),
                ("dao duong", 2.0),
                ("tra lai mat bang", 3.0),
                ("cau bo hanh", 3.0),
                ("bong troc", 2.0),
                ("gach via he", 3.0),
                ("via he bi vo", 3.0),
                ("via he hu", 3.0),
                ("via he", 1.0),
                ("ho tren duong", 3.0),
                ("ho sau", 2.0),
                ("dap giam toc", 2.0),
                ("lo cot", 1.0),
            ],
        ),
        (
            Streetlight,
            &[
                ("den duong", 3.0),
                ("den chieu sang", 3.0),
                ("bong den", 2.0),
                ("cot den", 2.0),
                ("den tat", 2.0),
                ("den khong sang", 3.0),
                ("den hu", 2.0),
                ("den chop", 2.0),
                ("den sang ban ngay", 3.0),
                ("toi om", 2.0),
                ("khong co den", 2.0),
                ("den cong vien", 3.0),
                ("den hem", 3.0),
                ("lap den", 2.0),
                ("them den", 2.0),
                ("den chieu", 2.0),
            ],
        ),
        (
            DrainageFlooding,
            &[
                ("ngap", 2.0),
                ("ngap nuoc", 3.0),
                ("nuoc ngap", 3.0),
                ("ngap sau", 3.0),
                ("ngap lut", 3.0),
                ("trieu cuong", 3.0),
                ("thoat nuoc", 3.0),
                ("nghet cong", 3.0),
                ("tac cong", 3.0),
                ("cong bi nghet", 3.0),
                ("cong bi tac", 3.0),
                ("ho ga", 2.0),
                ("nap cong", 2.0),
                ("mat nap cong", 3.0),
                ("nap ho ga", 3.0),
                ("kenh", 1.0),
                ("muong", 1.0),
                ("nuoc tran", 2.0),
                ("chay tran", 2.0),
                ("cong", 1.0),
            ],
        ),
        (
            Trees,
            &[
                ("cay xanh", 3.0),
                ("cay nga", 3.0),
                ("cay do", 2.0),
                ("nga do", 2.0),
                ("gay canh", 3.0),
                ("canh cay", 3.0),
                ("cay nghieng", 3.0),
                ("nhanh cay", 3.0),
                ("tia canh", 3.0),
                ("cat tia", 2.0),
                ("re cay", 3.0),
                ("trong cay", 2.0),
                ("goc cay", 2.0),
                ("cay kho", 2.0),
                ("cay muc", 3.0),
                ("cay", 1.0),
            ],
        ),
        (
            PowerLines,
            &[
                ("day dien", 3.0),
                ("cot dien", 3.0),
                ("mat dien", 3.0),
                ("cup dien", 3.0),
                ("day cap", 3.0),
                ("cap quang", 3.0),
                ("day dien thoai", 3.0),
                ("tu dien", 3.0),
                ("chap dien", 2.0),
                ("dien giat", 2.0),
                ("day vong", 2.0),
                ("tram bien ap", 3.0),
                ("dien luc", 2.0),
                ("dien yeu", 2.0),
                ("dut day", 2.0),
            ],
        ),
        (
            WaterSupply,
            &[
                ("mat nuoc", 3.0),
                ("cup nuoc", 3.0),
                ("ong nuoc", 3.0),
                ("vo ong", 3.0),
                ("be ong", 3.0),
                ("nuoc yeu", 3.0),
                ("nuoc duc", 3.0),
                ("nuoc may", 3.0),
                ("dong ho nuoc", 3.0),
                ("khong co nuoc", 3.0),
                ("nuoc sach", 2.0),
                ("ro ri nuoc", 3.0),
                ("ri nuoc", 2.0),
                ("cap nuoc", 3.0),
            ],
        ),
        (
            TrafficSignals,
            &[
                ("den giao thong", 3.0),
                ("den tin hieu", 3.0),
                ("den xanh den do", 3.0),
                ("den do", 2.0),
                ("bien bao", 3.0),
                ("vach son", 3.0),
                ("son ke", 2.0),
                ("guong cau loi", 3.0),
                ("bien cam", 2.0),
                ("bien chi dan", 3.0),
                ("den vang", 2.0),
                ("coc tieu", 2.0),
            ],
        ),
        (
            TheftRobbery,
            &[
                ("trom", 3.0),
                ("an trom", 3.0),
                ("ke trom", 3.0),
                ("cuop", 3.0),
                ("cuop giat", 3.0),
                ("giat", 2.0),
                ("giat dien thoai", 3.0),
                ("giat tui", 3.0),
                ("moc tui", 3.0),
                ("mat xe", 3.0),
                ("mat cap", 3.0),
                ("bi lay mat", 3.0),
                ("bay khoa", 3.0),
                ("pha khoa", 3.0),
                ("dot nhap", 3.0),
            ],
        ),
        (
            FightingDisturbance,
            &[
                ("danh nhau", 3.0),
                ("au da", 3.0),
                ("gay roi", 3.0),
                ("dua xe", 3.0),
                ("say xin", 3.0),
                ("hanh hung", 3.0),
                ("de doa", 3.0),
                ("chui boi", 3.0),
                ("cai nhau", 2.0),
                ("quay pha", 3.0),
                ("giang ho", 2.0),
                ("hung khi", 3.0),
                ("chem nhau", 3.0),
                ("dam nhau", 3.0),
                ("tu tap", 2.0),
                ("no po", 3.0),
                ("lang lach", 3.0),
                ("bao ke", 2.0),
            ],
        ),
        (
            Noise,
            &[
                ("on ao", 3.0),
                ("karaoke", 3.0),
                ("loa keo", 3.0),
                ("tieng on", 3.0),
                ("hat hoi", 3.0),
                ("mo nhac", 3.0),
                ("nhac lon", 3.0),
                ("am thanh lon", 3.0),
                ("tieng may", 2.0),
                ("thi cong ban dem", 3.0),
                ("go dap", 2.0),
                ("xuong co khi", 3.0),
                ("xuong go", 3.0),
                ("loa", 2.0),
                ("hat", 1.0),
                ("khuya", 1.0),
            ],
        ),
        (
            DrugsGambling,
            &[
                ("ma tuy", 3.0),
                ("tiem chich", 3.0),
                ("hut chich", 3.0),
                ("ke chich", 3.0),
                ("chich", 2.0),
                ("bong cuoi", 3.0),
                ("danh bai", 3.0),
                ("co bac", 3.0),
                ("lo de", 3.0),
                ("so de", 3.0),
                ("da ga", 3.0),
                ("ca do", 3.0),
                ("sat phat", 3.0),
                ("xoc dia", 3.0),
                ("nghien", 2.0),
            ],
        ),
        (
            Encroachment,
            &[
                ("lan chiem", 3.0),
                ("lan chiem via he", 3.0),
                ("chiem long duong", 3.0),
                ("buon ban", 2.0),
                ("ban hang rong", 3.0),
                ("dau xe", 2.0),
                ("giu xe", 2.0),
                ("bai giu xe", 3.0),
                ("chan hem", 3.0),
                ("ke hang", 3.0),
                ("bay ban", 3.0),
                ("bay hang", 3.0),
                ("ban ghe", 2.0),
                ("lan ra duong", 3.0),
                ("che bat", 2.0),
                ("xe ba gac", 2.0),
                ("loi di", 1.0),
            ],
        ),
        (
            IllegalConstruction,
            &[
                ("xay dung trai phep", 3.0),
                ("xay trai phep", 3.0),
                ("xay khong phep", 3.0),
                ("khong giay phep", 3.0),
                ("sai phep", 3.0),
                ("coi noi", 3.0),
                ("xay lan", 3.0),
                ("xay dung", 2.0),
                ("cong trinh", 2.0),
                ("dat nong nghiep", 3.0),
                ("lan chiem dat", 3.0),
                ("xay them tang", 3.0),
                ("giay phep xay dung", 3.0),
            ],
        ),
        (
            FireHazard,
            &[
                ("chay nha", 3.0),
                ("dam chay", 3.0),
                ("boc chay", 3.0),
                ("dang chay", 3.0),
                ("chay lon", 3.0),
                ("ro ri gas", 3.0),
                ("xi gas", 3.0),
                ("mui gas", 3.0),
                ("binh gas", 3.0),
                ("gas", 2.0),
                ("binh chua chay", 3.0),
                ("chua chay", 3.0),
                ("phong chay", 3.0),
                ("phat no", 3.0),
                ("no lon", 3.0),
                ("nguy co chay", 3.0),
                ("khoi den", 2.0),
                ("lua", 2.0),
                ("chay", 1.0),
                ("khoi", 1.0),
            ],
        ),
        (
            IllegalDumping,
            &[
                ("do rac", 3.0),
                ("vut rac", 3.0),
                ("xa rac", 3.0),
                ("nem rac", 3.0),
                ("do xa ban", 3.0),
                ("xa ban", 3.0),
                ("do trom", 3.0),
                ("bun thai", 3.0),
                ("chat thai cong nghiep", 3.0),
                ("do phe thai", 3.0),
                ("rac tu phat", 3.0),
                ("vat lieu xay dung", 2.0),
                ("do dat", 2.0),
            ],
        ),
        (
            UncollectedWaste,
            &[
                ("chua thu gom", 3.0),
                ("khong thu gom", 3.0),
                ("khong ai thu gom", 3.0),
                ("thu gom rac", 3.0),
                ("thu gom", 2.0),
                ("xe rac", 3.0),
                ("diem tap ket", 3.0),
                ("thung rac", 3.0),
                ("rac ton dong", 3.0),
                ("rac chat dong", 3.0),
                ("rac tran", 3.0),
                ("khong ai don", 3.0),
                ("rac thai", 2.0),
                ("don rac", 2.0),
                ("roi vai", 2.0),
                ("rac", 1.0),
            ],
        ),
        (
            WastewaterOdor,
            &[
                ("nuoc thai", 3.0),
                ("mui hoi", 3.0),
                ("hoi thoi", 3.0),
                ("boc mui", 3.0),
                ("ham cau", 3.0),
                ("be phot", 3.0),
                ("kenh hoi", 3.0),
                ("xa nuoc thai", 3.0),
                ("nuoc den", 2.0),
                ("tanh", 2.0),
                ("mui", 1.0),
                ("hoi", 1.0),
            ],
        ),
        (
            AirPollution,
            &[
                ("khoi bui", 3.0),
                ("dot rac", 3.0),
                ("bui bam", 3.0),
                ("mui son", 3.0),
                ("o nhiem khong khi", 3.0),
                ("xuong son", 3.0),
                ("mui khet", 3.0),
                ("dot la", 3.0),
                ("hoa chat", 2.0),
                ("o nhiem", 2.0),
                ("bui", 2.0),
                ("dot", 1.0),
            ],
        ),
        (
            DiseaseVectors,
            &[
                ("muoi", 3.0),
                ("sot xuat huyet", 3.0),
                ("lang quang", 3.0),
                ("chuot", 3.0),
                ("gian", 2.0),
                ("xac chet", 3.0),
                ("xac dong vat", 3.0),
                ("xac cho", 3.0),
                ("xac meo", 3.0),
                ("xac chuot", 3.0),
                ("cho chet", 3.0),
                ("meo chet", 3.0),
                ("dich benh", 3.0),
                ("o dich", 3.0),
                ("nuoc dong", 2.0),
                ("phun thuoc", 3.0),
                ("diet muoi", 3.0),
                ("ruoi", 3.0),
            ],
        ),
    ]
};

/// Cues of danger to life or property now (TAXONOMY: urgent).
const URGENT: &[&str] = &[
    "chay nha",
    "dang chay",
    "dam chay",
    "boc chay",
    "chay lon",
    "phat no",
    "no lon",
    "ro ri gas",
    "ro gas",
    "xi gas",
    "mui gas",
    "day dien dut",
    "dut day dien",
    "day dien roi",
    "dien giat",
    "bi dien giat",
    "chap dien",
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
    "cay nga de",
    "cay do de",
    "cay nga trung",
    "cay do trung",
    "cay nga chan",
    "cay do chan",
    "de trung nguoi",
    "mat nap cong",
    "ho ga khong nap",
    "ho ga mat nap",
    "ho tu than",
    "sut lun sau",
    "sap duong",
    "dang cuop",
    "dang trom",
    "dang danh nhau",
    "dang dap pha",
    "nguoi bi ket",
    "dang co cuop",
    "dang co trom",
    "dang co danh nhau",
    "nap cong bi mat",
    "mat nap",
    "ho ga ho",
    "khong co rao chan",
    "ho sau giua duong",
    "no binh gas",
    "chay lan",
    "toe lua",
    "tia lua",
];

/// Cues of something serious, spreading or affecting many (TAXONOMY: high).
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

/// Words that, within three syllables before a cue, say it did not happen
/// (`khong co ai bi thuong`).
/// Shorthand such as `ko` reaches here already spelled out by `text::canonical`.
const NEGATIONS: &[&str] = &["khong", "chua", "het", "chang"];
const NEGATION_REACH: usize = 3;

/// Phrases saying the danger is over (`da dap tat`): the report stays, the urgency goes.
const OVER: &[&str] = &[
    "da dap tat",
    "da duoc dap tat",
    "da tat lua",
    "da khong che",
    "da het chay",
    "da xu ly xong",
];

/// Keeps a single weak match under the triage threshold: 1 / (1 + 1.5) = 0.4.
const SMOOTHING: f32 = 1.5;
const MAX_TERMS: usize = 5;

/// Where `phrase` (syllables separated by single spaces) occurs in `tokens`: start indices.
fn find_all<'a>(tokens: &'a [&str], phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let length = phrase.split(' ').count();
    (0..(tokens.len() + 1).saturating_sub(length)).filter(move |&start| {
        tokens[start..start + length]
            .iter()
            .copied()
            .eq(phrase.split(' '))
    })
}

fn contains(tokens: &[&str], phrase: &str) -> bool {
    find_all(tokens, phrase).next().is_some()
}

/// A cue counts unless a negation stands shortly before it.
fn affirmed(tokens: &[&str], phrase: &str) -> bool {
    find_all(tokens, phrase).any(|start| {
        !tokens[start.saturating_sub(NEGATION_REACH)..start]
            .iter()
            .any(|word| NEGATIONS.contains(word))
    })
}

fn priority(tokens: &[&str]) -> Priority {
    let over = OVER.iter().any(|p| contains(tokens, p));
    if !over && URGENT.iter().any(|cue| affirmed(tokens, cue)) {
        Priority::Urgent
    } else if HIGH.iter().any(|cue| affirmed(tokens, cue)) {
        Priority::High
    } else if LOW.iter().any(|cue| contains(tokens, cue)) {
        Priority::Low
    } else {
        Priority::Normal
    }
}

/// One occurrence of a lexicon phrase in the text.
struct Match {
    subcategory: Subcategory,
    phrase: &'static str,
    weight: f32,
    start: usize,
    length: usize,
}

/// Every syllable counts for one phrase at most, the longest one, then the first: in
/// `den duong hu` ("the streetlight is broken") `den duong` wins and `duong hu` ("the road is
/// broken") does not count.
fn matches(tokens: &[&str]) -> Vec<Match> {
    let mut all = Vec::new();
    for (subcategory, phrases) in LEXICON {
        for &(phrase, weight) in *phrases {
            let length = phrase.split(' ').count();
            for start in find_all(tokens, phrase) {
                all.push(Match {
                    subcategory: *subcategory,
                    phrase,
                    weight,
                    start,
                    length,
                });
            }
        }
    }
    all.sort_by(|a, b| b.length.cmp(&a.length).then(a.start.cmp(&b.start)));
    let mut taken = vec![false; tokens.len()];
    all.retain(|m| {
        let span = m.start..m.start + m.length;
        if taken[span.clone()].iter().any(|t| *t) {
            return false;
        }
        taken[span].iter_mut().for_each(|t| *t = true);
        true
    });
    all
}

/// The first classifier: weighted Vietnamese key phrases, insensitive to diacritics.
#[derive(Debug, Default, Clone)]
pub struct KeywordClassifier;

impl Classifier for KeywordClassifier {
    fn classify(&self, text: &str) -> Classification {
        let canonical = canonical(text);
        let tokens: Vec<&str> = tokens(&canonical).collect();
        let found = matches(&tokens);
        let mut scores: Vec<(Subcategory, f32)> = Vec::new();
        for m in &found {
            match scores.iter_mut().find(|(s, _)| *s == m.subcategory) {
                Some((_, score)) => *score += m.weight,
                None => scores.push((m.subcategory, m.weight)),
            }
        }
        // Best first; ties keep the order of the text, so the result does not depend on chance.
        scores.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f32 = scores.iter().map(|(_, s)| s).sum();
        let suggestions: Vec<Suggestion> = scores
            .iter()
            .take(3)
            .map(|&(subcategory, score)| Suggestion {
                subcategory,
                confidence: score / (total + SMOOTHING),
            })
            .collect();
        let mut terms: Vec<(&str, f32)> = found.iter().map(|m| (m.phrase, m.weight)).collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.len().cmp(&a.0.len())));
        terms.dedup_by(|a, b| a.0 == b.0);
        let (subcategory, confidence) = suggestions
            .first()
            .map_or((Subcategory::Other, 0.0), |s| (s.subcategory, s.confidence));
        Classification {
            category: subcategory.category(),
            subcategory,
            priority: priority(&tokens),
            confidence,
            suggestions,
            matched_terms: terms
                .into_iter()
                .take(MAX_TERMS)
                .map(|(t, _)| t.to_owned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;
    use Subcategory::*;

    fn classify(text: &str) -> Classification {
        KeywordClassifier.classify(text)
    }

    #[test]
    fn the_lexicon_is_canonical_and_covers_every_subcategory() {
        // A phrase that canonical() would rewrite could never match.
        for (subcategory, phrases) in LEXICON {
            for (phrase, _) in *phrases {
                assert_eq!(canonical(phrase), *phrase, "{subcategory}: `{phrase}`");
            }
        }
        for cue in URGENT
            .iter()
            .chain(HIGH)
            .chain(LOW)
            .chain(OVER)
            .chain(NEGATIONS)
        {
            assert_eq!(canonical(cue), *cue, "cue `{cue}`");
        }
        let covered: Vec<_> = LEXICON.iter().map(|(s, _)| *s).collect();
        assert_eq!(covered.len(), 19);
        assert!(
            Subcategory::ALL
                .iter()
                .all(|s| *s == Other || covered.contains(s))
        );
    }

    #[test]
    fn accented_and_folded_texts_get_the_same_answer() {
        let accented = classify("Đèn đường hư trước nhà số 12, tối om");
        let folded = classify("den duong hu truoc nha so 12, toi om");
        assert_eq!(accented, folded);
        assert_eq!(accented.subcategory, Streetlight);
        assert_eq!(accented.category, Category::Infrastructure);
        assert!(accented.confidence >= 0.5, "{}", accented.confidence);
        assert_eq!(accented.priority, Priority::Normal);
        assert_eq!(accented.matched_terms[0], "den duong");
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
        ];
        for (text, expected) in cases {
            let got = classify(text);
            assert_eq!(got.subcategory, expected, "{text}: {got:?}");
            assert_eq!(classify(&fold(text)).subcategory, expected, "folded {text}");
            assert!(!got.matched_terms.is_empty());
        }
    }

    #[test]
    fn urgency_follows_danger_now_and_not_danger_past_or_denied() {
        assert_eq!(
            classify("Cháy nhà ở hẻm 45, khói nhiều").priority,
            Priority::Urgent
        );
        assert_eq!(
            classify("Dây điện đứt rơi xuống đường, có tia lửa").priority,
            Priority::Urgent
        );
        assert_eq!(
            classify("Hai nhóm đánh nhau có hung khí trước quán nhậu").priority,
            Priority::Urgent
        );
        assert_eq!(
            classify("ho ga mat nap giua duong, rat nguy hiem").priority,
            Priority::Urgent
        );
        let put_out = classify("Đám cháy đã dập tắt, không ai bị thương");
        assert_eq!(put_out.subcategory, FireHazard);
        assert_ne!(put_out.priority, Priority::Urgent);
        assert_ne!(
            classify("va cham nhe, khong co ai bi thuong").priority,
            Priority::Urgent
        );
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
    fn flowing_water_is_not_a_fire() {
        let overflow = classify("nước chảy tràn ra đường từ cống");
        assert_ne!(overflow.subcategory, FireHazard);
        assert_ne!(overflow.priority, Priority::Urgent);
    }

    #[test]
    fn nothing_recognised_is_other_with_no_confidence() {
        let got = classify("Hôm nay trời đẹp");
        assert_eq!(got.subcategory, Other);
        assert_eq!(got.category, Category::Other);
        assert_eq!(got.confidence, 0.0);
        assert!(got.suggestions.is_empty() && got.matched_terms.is_empty());
    }

    #[test]
    fn suggestions_are_ordered_and_share_the_confidence() {
        let got = classify("Rác tràn thùng rác, bốc mùi hôi, chuột chạy khắp nơi");
        assert!(got.suggestions.len() >= 2 && got.suggestions.len() <= 3);
        assert!(
            got.suggestions
                .windows(2)
                .all(|w| w[0].confidence >= w[1].confidence)
        );
        let sum: f32 = got.suggestions.iter().map(|s| s.confidence).sum();
        assert!(sum <= 1.0);
        assert_eq!(got.suggestions[0].subcategory, got.subcategory);
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
        assert_ne!(
            classify("va cham xe may, ko co ai bi thuong").priority,
            Priority::Urgent
        );
    }

    #[test]
    fn confidences_are_shown_with_three_decimals() {
        let json = serde_json::to_value(classify("den duong hu")).unwrap();
        let confidence = json["confidence"].as_f64().unwrap();
        assert_eq!(confidence, (confidence * 1000.0).round() / 1000.0);
    }

    #[test]
    fn phrases_match_whole_syllables_only() {
        assert_eq!(find_all(&["chayy", "nha"], "chay").count(), 0);
        assert_eq!(find_all(&["nha", "chay"], "chay").count(), 1);
        assert_eq!(find_all(&["den", "duong"], "den duong").count(), 1);
        assert_eq!(find_all(&["den"], "den duong").count(), 0);
    }

    #[test]
    fn a_broken_streetlight_is_not_a_broken_road() {
        let got = classify("den duong hu");
        assert_eq!(got.subcategory, Streetlight);
        assert_eq!(got.suggestions.len(), 1);
        assert!(got.confidence >= 0.5);
        assert_eq!(classify("đường hư nhiều ổ gà").subcategory, RoadDamage);
    }
}
