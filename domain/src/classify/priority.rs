//! Cues of priority in the folded text. The urgency model learns from words, but a few
//! hundred urgent examples cannot cover every way of saying "it is burning now", "it is about
//! to fall" or "the children play right beside it"; these cues, and whether a negation, a word
//! of the past or of "it was dealt with" touches them, are extra features it weighs (issue 20:
//! imminence and exposure raise urgency, time lowers it unless the danger remains).
//! `high` and `low` are decided by cues alone: they change deadlines, not who is woken up.

use super::features::{CLAUSE_BREAKS, NEGATION_REACH, NEGATIONS};
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
    "bat tinh",
    "ngat khi",
    "co giat",
    "sui bot",
    "keu cuu",
    "boc khoi",
    "xet lua",
    "cuon troi",
    "chay mau",
    "doi chem",
    "doi dam",
    "ma tau",
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

/// Something about to fall, give way or break: the danger has not struck yet but can at any
/// moment (`sắp đổ`, `chực rơi`, `lơ lửng`, `nghiêng dần`, `bật gốc`, `bất cứ lúc nào`).
const IMMINENT: &[&str] = &[
    "sap do",
    "sap roi",
    "sap rot",
    "sap sap",
    "sap gay",
    "sap dut",
    "sap nga",
    "sap sup",
    "chuc do",
    "chuc roi",
    "chuc rot",
    "chuc nga",
    "chuc sap",
    "chuc xuong",
    "lo lung",
    "lung lang",
    "lung lay",
    "dung dua",
    "lac lu",
    "rung lac",
    "lac qua lac lai",
    "chao dao",
    "phan phat",
    "nghieng dan",
    "nga dan",
    "do dan",
    "sut dan",
    "lun dan",
    "lo dan",
    "nghieng them",
    "nghieng tiep",
    "lo tiep",
    "sut tiep",
    "toac rong",
    "bat goc",
    "bat re",
    "re bat",
    "tach ra",
    "rac rac",
    "ken ket",
    "con mac",
    "co the do",
    "co the roi",
    "co the rot",
    "co the sap",
    "co the dut",
    "bat cu luc nao",
    "bat ky luc nao",
    "bat ki luc nao",
    "coi bo sap",
    "e la rot",
];

/// Live or deep things left open (`tủ điện mở toang`, `dây trần lòi ra`, `còn điện`, `mất nắp`,
/// `không rào`).
const OPEN: &[&str] = &[
    "mo toang",
    "bi mo cua",
    "bung cua",
    "mat cua",
    "bat cua",
    "khong khoa",
    "day loi ra",
    "loi ra ngoai",
    "tro ra",
    "tho ra",
    "lo ra",
    "ho day",
    "tuot vo",
    "troc vo",
    "dut vo",
    "con dien",
    "nhiem dien",
    "te tay",
    "bat nap",
    "bay nap",
    "ho sau",
    "sau hoam",
    "khoang trong",
    "khong rao",
    "khong co rao",
    "chua ai che",
    "khong co gi che",
    "khong ai canh",
    "khong co bien bao",
];

/// People within reach (`trẻ con hay chơi gần`, `học sinh đi qua`, `ngang đầu người`).
const EXPOSURE: &[&str] = &[
    "tre em",
    "tre con",
    "con nit",
    "tui nho",
    "dua nho",
    "cac chau",
    "chau be",
    "chau nho",
    "hoc sinh",
    "cac em",
    "nguoi qua lai",
    "qua lai",
    "nguoi di duong",
    "nguoi di bo",
    "di ngang",
    "di qua",
    "chay qua",
    "chay ngang",
    "ngang dau",
    "ngang tam",
    "tam tay",
    "tren dau",
    "ben duoi",
    "o duoi",
    "loi di",
    "loi vao",
    "dong nguoi",
    "nguoi gia",
    "ba cu",
    "ong cu",
];

/// Words of risk (`có nguy cơ`, `nguy hiểm`): they raise urgency when nothing says the risk
/// waits for a storm.
const RISK: &[&str] = &["nguy co", "nguy hiem", "tai nan"];

/// A risk that waits for something else (`khi mưa bão`, `trước mùa mưa`, `để lâu`): not now.
const CONDITIONAL: &[&str] = &[
    "khi mua bao",
    "mua bao toi",
    "truoc mua mua",
    "truoc mua bao",
    "sap vao mua",
    "neu co bao",
    "khi co bao",
    "khi mua to",
    "so mua bao",
    "lo mua bao",
    "lo co chay",
    "neu co chay",
    "so co chay",
    "de lau",
    "dinh ky",
];

/// The danger is over or was made safe (`đã dập tắt`, `đã xử lý`, `đã rào`, `giải tán rồi`).
const OVER: &[&str] = &[
    "da dap tat",
    "duoc dap tat",
    "dap tat",
    "da dap",
    "dap kip",
    "dap xong",
    "da tat lua",
    "da khong che",
    "da het chay",
    "da xu ly",
    "xu ly xong",
    "dang xu ly",
    "dang sua",
    "dang khac phuc",
    "da duoc xu ly",
    "da giai tan",
    "giai tan",
    "da bo di",
    "bo chay het",
    "bo di het",
    "chay mat",
    "da on",
    "da cat dien",
    "cat dien roi",
    "da ngat dien",
    "ngat cau dao",
    "da sua",
    "sua xong",
    "da noi lai",
    "da khoa",
    "khoa van",
    "da rao",
    "da quay rao",
    "da che",
    "che lai",
    "che tam",
    "da don",
    "don xong",
    "don sach",
    "da gia co",
    "da lap lai",
    "da dua di",
    "da duoc dua",
    "da bat duoc",
    "bat duoc",
    "giao cho cong an",
    "trinh bao",
    "can ra",
    "da rut",
    "rut het",
    "rut roi",
    "het mui",
    "khong con ro",
    "khong con nguy hiem",
    "an toan roi",
    "hien an toan",
    "binh thuong roi",
    "yen roi",
    "khong sao",
    "da hoa giai",
    "da giai quyet",
    "da tiem ngua",
    "da bang bo",
    "da thu gom",
];

/// It happened before (`hôm qua`, `tuần trước`).
const PAST: &[&str] = &[
    "hom qua",
    "toi qua",
    "dem qua",
    "sang qua",
    "chieu qua",
    "khuya qua",
    "hom truoc",
    "hom kia",
    "hom bua",
    "bua truoc",
    "tuan truoc",
    "tuan roi",
    "thang truoc",
    "thang roi",
    "nam ngoai",
    "nam truoc",
    "lan truoc",
    "hoi truoc",
    "hoi chieu",
    "hoi sang",
    "hoi toi",
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

/// The danger is still there though something happened before (`vẫn còn`, `tới giờ`,
/// `chưa ai đến`, `mà giờ`).
const REMAINS: &[&str] = &[
    "van con",
    "van dang",
    "van chua",
    "van nam",
    "van treo",
    "van mac",
    "con nguyen",
    "con dang",
    "dang con",
    "tiep tuc",
    "toi gio",
    "den gio",
    "ma gio",
    "chua ai den",
    "chua ai toi",
    "chua ai don",
    "chua ai xu ly",
    "chua ai sua",
    "chua ai cua",
    "chua xu ly",
    "chua duoc xu ly",
    "chua cat dien",
    "chua thay ai",
    "con nguy hiem",
];

/// The cue lists of urgency. Each feature the urgency model gets is made of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Danger,
    Imminent,
    Open,
    Exposure,
    Risk,
    Conditional,
    Over,
    Past,
    Now,
    Remains,
}

impl Cue {
    pub const ALL: &[Cue] = &[
        Cue::Danger,
        Cue::Imminent,
        Cue::Open,
        Cue::Exposure,
        Cue::Risk,
        Cue::Conditional,
        Cue::Over,
        Cue::Past,
        Cue::Now,
        Cue::Remains,
    ];

    /// Whether the cue raises urgency (danger, imminence, exposure, what remains) or lowers
    /// it (the past, "it is over", a risk waiting for a storm); a negation turns the first kind
    /// and "it is over" around (`không ai bị thương`, `chưa dập tắt`).
    pub fn raises(self, negated: bool) -> bool {
        match self {
            Cue::Past | Cue::Conditional => false,
            Cue::Over => negated,
            _ => !negated,
        }
    }

    pub fn phrases(self) -> &'static [&'static str] {
        match self {
            Cue::Danger => URGENT,
            Cue::Imminent => IMMINENT,
            Cue::Open => OPEN,
            Cue::Exposure => EXPOSURE,
            Cue::Risk => RISK,
            Cue::Conditional => CONDITIONAL,
            Cue::Over => OVER,
            Cue::Past => PAST,
            Cue::Now => NOW,
            Cue::Remains => REMAINS,
        }
    }
}

/// A phrase list, indexed by first syllable so that a text is scanned once for all of them.
struct Phrases<T: Copy> {
    by_first: HashMap<&'static str, Vec<(T, Vec<&'static str>)>>,
}

impl<T: Copy> Phrases<T> {
    fn new(lists: &[(T, &[&'static str])]) -> Phrases<T> {
        let mut by_first: HashMap<&'static str, Vec<(T, Vec<&'static str>)>> = HashMap::new();
        for (tag, phrases) in lists {
            for phrase in *phrases {
                let syllables: Vec<&'static str> = phrase.split(' ').collect();
                by_first
                    .entry(syllables[0])
                    .or_default()
                    .push((*tag, syllables));
            }
        }
        Phrases { by_first }
    }

    /// Every phrase found in `text`: its list, where it starts and its length.
    fn find<'t>(&'t self, text: &'t [String]) -> impl Iterator<Item = (T, usize, usize)> + 't {
        (0..text.len()).flat_map(move |start| {
            self.by_first
                .get(text[start].as_str())
                .into_iter()
                .flatten()
                .filter(move |(_, phrase)| {
                    text.len() - start >= phrase.len()
                        && phrase.iter().zip(&text[start..]).all(|(p, t)| *p == t)
                })
                .map(move |(tag, phrase)| (*tag, start, phrase.len()))
        })
    }
}

/// Where a negation stands within reach before `start`, if one does and no new clause began
/// since.
fn negation_before(text: &[String], start: usize) -> Option<usize> {
    for at in (start.saturating_sub(NEGATION_REACH)..start).rev() {
        if CLAUSE_BREAKS.contains(&text[at].as_str()) {
            return None;
        }
        if NEGATIONS.contains(&text[at].as_str()) {
            return Some(at);
        }
    }
    None
}

/// One cue phrase found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub cue: Cue,
    pub start: usize,
    pub len: usize,
    /// A negation reaches it (`không có ai bị thương`).
    pub negated: bool,
    /// Where that negation stands.
    pub negation: Option<usize>,
}

/// A stretch of a text's syllables shown as a reason, with the cue it is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub start: usize,
    pub len: usize,
    /// The cue and whether a negation reaches it.
    pub cue: Option<(Cue, bool)>,
}

impl Hit {
    /// The hit as a reason; a negated one starts at its negation (`không ai bị thương`).
    pub fn phrase(&self) -> Phrase {
        Phrase {
            start: self.negation.unwrap_or(self.start),
            len: self.start + self.len - self.negation.unwrap_or(self.start),
            cue: Some((self.cue, self.negated)),
        }
    }
}

static URGENCY_CUES: LazyLock<Phrases<Cue>> = LazyLock::new(|| {
    Phrases::new(
        &Cue::ALL
            .iter()
            .map(|cue| (*cue, cue.phrases()))
            .collect::<Vec<_>>(),
    )
});

/// Every cue phrase of `syllables` (folded, canonical).
pub fn hits(syllables: &[String]) -> Vec<Hit> {
    URGENCY_CUES
        .find(syllables)
        .map(|(cue, start, len)| {
            let negation = negation_before(syllables, start);
            Hit {
                cue,
                start,
                len,
                negated: negation.is_some(),
                negation,
            }
        })
        .collect()
}

/// The features the cues give the urgency model. Named here once: the explanation maps them
/// back to the phrases behind them.
pub mod feature {
    /// A danger phrase, affirmed, nothing says it is over.
    pub const DANGER: &str = "@danger";
    /// A danger phrase and a word of the past or of "it is over", nothing says it remains.
    pub const DANGER_OVER: &str = "@danger-over";
    /// A danger phrase, a word of the past, and a word that says the danger is still there.
    pub const DANGER_REMAINS: &str = "@danger-remains";
    /// Only denied danger phrases (`không ai bị thương`).
    pub const DANGER_DENIED: &str = "@danger-denied";
    pub const IMMINENT: &str = "@imminent";
    pub const IMMINENT_OVER: &str = "@imminent-over";
    pub const IMMINENT_EXPOSED: &str = "@imminent+exposure";
    pub const OPEN: &str = "@open";
    pub const OPEN_OVER: &str = "@open-over";
    pub const OPEN_EXPOSED: &str = "@open+exposure";
    pub const EXPOSURE: &str = "@exposure";
    pub const RISK: &str = "@risk";
    pub const CONDITIONAL: &str = "@conditional";
    pub const OVER: &str = "@over";
    pub const PAST: &str = "@past";
    pub const REMAINS: &str = "@remains";
}

/// What the cues say about urgency, as features named `@…` for the urgency model: danger now,
/// about to happen, or left open within reach raise it; a word of the past or of "it was
/// dealt with" lowers it, unless another says the danger remains.
pub fn urgency_cues(syllables: &[String], emit: &mut impl FnMut(&str)) {
    let found = hits(syllables);
    let affirmed = |cue: Cue| found.iter().any(|h| h.cue == cue && !h.negated);
    let present = |cue: Cue| found.iter().any(|h| h.cue == cue);
    let over = affirmed(Cue::Over);
    let past = present(Cue::Past) && !present(Cue::Now);
    let remains = affirmed(Cue::Remains);
    let before = over || past;
    // Over, and nothing says the danger is still there.
    let settled = before && !remains;
    let exposure = affirmed(Cue::Exposure);
    let danger = affirmed(Cue::Danger);
    if danger {
        emit(match (before, remains) {
            (false, _) => feature::DANGER,
            (true, true) => feature::DANGER_REMAINS,
            (true, false) => feature::DANGER_OVER,
        });
    } else if present(Cue::Danger) {
        emit(feature::DANGER_DENIED);
    }
    for (cue, now, done, exposed) in [
        (
            Cue::Imminent,
            feature::IMMINENT,
            feature::IMMINENT_OVER,
            feature::IMMINENT_EXPOSED,
        ),
        (
            Cue::Open,
            feature::OPEN,
            feature::OPEN_OVER,
            feature::OPEN_EXPOSED,
        ),
    ] {
        if affirmed(cue) {
            emit(if settled { done } else { now });
            if exposure && !settled {
                emit(exposed);
            }
        }
    }
    if exposure {
        emit(feature::EXPOSURE);
    }
    if affirmed(Cue::Risk) {
        emit(feature::RISK);
    }
    if present(Cue::Conditional) {
        emit(feature::CONDITIONAL);
    }
    if over {
        emit(feature::OVER);
    }
    if past {
        emit(feature::PAST);
    }
    if remains {
        emit(feature::REMAINS);
    }
}

/// The phrases of `syllables` behind a cue feature: what staff are shown as the reason.
pub fn cue_spans(syllables: &[String], name: &str) -> Vec<Phrase> {
    use feature::*;
    let lists: &[Cue] = match name {
        DANGER | DANGER_DENIED => &[Cue::Danger],
        DANGER_OVER => &[Cue::Danger, Cue::Over, Cue::Past],
        DANGER_REMAINS => &[Cue::Danger, Cue::Remains],
        IMMINENT => &[Cue::Imminent],
        IMMINENT_OVER => &[Cue::Imminent, Cue::Over, Cue::Past],
        IMMINENT_EXPOSED => &[Cue::Imminent, Cue::Exposure],
        OPEN => &[Cue::Open],
        OPEN_OVER => &[Cue::Open, Cue::Over, Cue::Past],
        OPEN_EXPOSED => &[Cue::Open, Cue::Exposure],
        EXPOSURE => &[Cue::Exposure],
        RISK => &[Cue::Risk],
        CONDITIONAL => &[Cue::Conditional],
        OVER => &[Cue::Over],
        PAST => &[Cue::Past],
        REMAINS => &[Cue::Remains],
        _ => &[],
    };
    let mut phrases: Vec<Phrase> = Vec::new();
    for hit in hits(syllables) {
        // Words of time count whether a negation reaches them or not; the others as the
        // feature counted them: denied for `@danger-denied`, affirmed otherwise.
        let counted = matches!(hit.cue, Cue::Past | Cue::Now | Cue::Conditional)
            || hit.negated == (name == DANGER_DENIED);
        if !lists.contains(&hit.cue) || !counted {
            continue;
        }
        let phrase = hit.phrase();
        let end = |p: &Phrase| p.start + p.len;
        // A phrase inside a longer one already kept (`dap tat` in `da dap tat`) adds nothing.
        if phrases
            .iter()
            .any(|kept| kept.start <= phrase.start && end(&phrase) <= end(kept))
        {
            continue;
        }
        phrases.retain(|kept| !(phrase.start <= kept.start && end(kept) <= end(&phrase)));
        phrases.push(phrase);
    }
    phrases
}

/// `high`, `low` or `normal` from the cues; urgency is the urgency model's decision.
pub fn non_urgent_priority(syllables: &[String]) -> Priority {
    let affirmed = |phrases: &Phrases<()>| {
        phrases
            .find(syllables)
            .any(|(_, start, _)| negation_before(syllables, start).is_none())
    };
    if affirmed(&PRIORITY_CUES.high) {
        Priority::High
    } else if PRIORITY_CUES.low.find(syllables).next().is_some() {
        Priority::Low
    } else {
        Priority::Normal
    }
}

struct PriorityCues {
    high: Phrases<()>,
    low: Phrases<()>,
}

static PRIORITY_CUES: LazyLock<PriorityCues> = LazyLock::new(|| PriorityCues {
    high: Phrases::new(&[((), HIGH)]),
    low: Phrases::new(&[((), LOW)]),
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{canonical, fold};

    fn syllables(text: &str) -> Vec<String> {
        canonical(text).split(' ').map(str::to_owned).collect()
    }

    fn cues(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        urgency_cues(&syllables(text), &mut |c| out.push(c.to_owned()));
        out
    }

    /// Each cue phrase as a head types it with accents, list by list, in the lists' order.
    const SPELLED: &[(Cue, &[&str])] = &[
        (
            Cue::Danger,
            &[
                "cháy nhà",
                "đang cháy",
                "đám cháy",
                "bốc cháy",
                "cháy lớn",
                "cháy dữ dội",
                "phát nổ",
                "nổ lớn",
                "nổ bình gas",
                "rò rỉ gas",
                "rò gas",
                "xì gas",
                "mùi gas",
                "dây điện đứt",
                "đứt dây điện",
                "dây điện rơi",
                "điện giật",
                "chập điện",
                "tóe lửa",
                "tia lửa",
                "cầm dao",
                "vác dao",
                "dùng dao",
                "mang dao",
                "hung khí",
                "chém",
                "đâm nhau",
                "bị thương",
                "cấp cứu",
                "máu me",
                "đè trúng",
                "đè lên",
                "người bị kẹt",
                "mắc kẹt",
                "đang cướp",
                "đang trộm",
                "đang đánh nhau",
                "đang đập phá",
                "nắp cống bị mất",
                "mất nắp",
                "không có nắp",
                "không có rào chắn",
                "hố tử thần",
                "sụt lún sâu",
                "sập đường",
                "cháy lan",
                "nguy hiểm tính mạng",
                "chết người",
                "bất tỉnh",
                "ngạt khí",
                "co giật",
                "sùi bọt",
                "kêu cứu",
                "bốc khói",
                "xẹt lửa",
                "cuốn trôi",
                "chảy máu",
                "đòi chém",
                "đòi đâm",
                "mã tấu",
            ],
        ),
        (
            Cue::Imminent,
            &[
                "sắp đổ",
                "sắp rơi",
                "sắp rớt",
                "sắp sập",
                "sắp gãy",
                "sắp đứt",
                "sắp ngã",
                "sắp sụp",
                "chực đổ",
                "chực rơi",
                "chực rớt",
                "chực ngã",
                "chực sập",
                "chúc xuống",
                "lơ lửng",
                "lủng lẳng",
                "lung lay",
                "đung đưa",
                "lắc lư",
                "rung lắc",
                "lắc qua lắc lại",
                "chao đảo",
                "phần phật",
                "nghiêng dần",
                "ngả dần",
                "đổ dần",
                "sụt dần",
                "lún dần",
                "lở dần",
                "nghiêng thêm",
                "nghiêng tiếp",
                "lở tiếp",
                "sụt tiếp",
                "toác rộng",
                "bật gốc",
                "bật rễ",
                "rễ bật",
                "tách ra",
                "rắc rắc",
                "ken két",
                "còn mắc",
                "có thể đổ",
                "có thể rơi",
                "có thể rớt",
                "có thể sập",
                "có thể đứt",
                "bất cứ lúc nào",
                "bất kỳ lúc nào",
                "bất kì lúc nào",
                "coi bộ sắp",
                "e là rớt",
            ],
        ),
        (
            Cue::Open,
            &[
                "mở toang",
                "bị mở cửa",
                "bung cửa",
                "mất cửa",
                "bật cửa",
                "không khóa",
                "dây lòi ra",
                "lòi ra ngoài",
                "trơ ra",
                "thò ra",
                "lộ ra",
                "hở dây",
                "tuột vỏ",
                "tróc vỏ",
                "đứt vỏ",
                "còn điện",
                "nhiễm điện",
                "tê tay",
                "bật nắp",
                "bay nắp",
                "hố sâu",
                "sâu hoắm",
                "khoảng trống",
                "không rào",
                "không có rào",
                "chưa ai che",
                "không có gì che",
                "không ai canh",
                "không có biển báo",
            ],
        ),
        (
            Cue::Exposure,
            &[
                "trẻ em",
                "trẻ con",
                "con nít",
                "tụi nhỏ",
                "đứa nhỏ",
                "các cháu",
                "cháu bé",
                "cháu nhỏ",
                "học sinh",
                "các em",
                "người qua lại",
                "qua lại",
                "người đi đường",
                "người đi bộ",
                "đi ngang",
                "đi qua",
                "chạy qua",
                "chạy ngang",
                "ngang đầu",
                "ngang tầm",
                "tầm tay",
                "trên đầu",
                "bên dưới",
                "ở dưới",
                "lối đi",
                "lối vào",
                "đông người",
                "người già",
                "bà cụ",
                "ông cụ",
            ],
        ),
        (Cue::Risk, &["nguy cơ", "nguy hiểm", "tai nạn"]),
        (
            Cue::Conditional,
            &[
                "khi mưa bão",
                "mùa bão tới",
                "trước mùa mưa",
                "trước mùa bão",
                "sắp vào mùa",
                "nếu có bão",
                "khi có bão",
                "khi mưa to",
                "sợ mưa bão",
                "lo mùa bão",
                "lỡ có cháy",
                "nếu có cháy",
                "sợ có cháy",
                "để lâu",
                "định kỳ",
            ],
        ),
        (
            Cue::Over,
            &[
                "đã dập tắt",
                "được dập tắt",
                "dập tắt",
                "đã dập",
                "dập kịp",
                "dập xong",
                "đã tắt lửa",
                "đã khống chế",
                "đã hết cháy",
                "đã xử lý",
                "xử lý xong",
                "đang xử lý",
                "đang sửa",
                "đang khắc phục",
                "đã được xử lý",
                "đã giải tán",
                "giải tán",
                "đã bỏ đi",
                "bỏ chạy hết",
                "bỏ đi hết",
                "chạy mất",
                "đã ổn",
                "đã cắt điện",
                "cắt điện rồi",
                "đã ngắt điện",
                "ngắt cầu dao",
                "đã sửa",
                "sửa xong",
                "đã nối lại",
                "đã khóa",
                "khóa van",
                "đã rào",
                "đã quây rào",
                "đã che",
                "che lại",
                "che tạm",
                "đã dọn",
                "dọn xong",
                "dọn sạch",
                "đã gia cố",
                "đã lấp lại",
                "đã đưa đi",
                "đã được đưa",
                "đã bắt được",
                "bắt được",
                "giao cho công an",
                "trình báo",
                "can ra",
                "đã rút",
                "rút hết",
                "rút rồi",
                "hết mùi",
                "không còn rò",
                "không còn nguy hiểm",
                "an toàn rồi",
                "hiện an toàn",
                "bình thường rồi",
                "yên rồi",
                "không sao",
                "đã hòa giải",
                "đã giải quyết",
                "đã tiêm ngừa",
                "đã băng bó",
                "đã thu gom",
            ],
        ),
        (
            Cue::Past,
            &[
                "hôm qua",
                "tối qua",
                "đêm qua",
                "sáng qua",
                "chiều qua",
                "khuya qua",
                "hôm trước",
                "hôm kia",
                "hôm bữa",
                "bữa trước",
                "tuần trước",
                "tuần rồi",
                "tháng trước",
                "tháng rồi",
                "năm ngoái",
                "năm trước",
                "lần trước",
                "hồi trước",
                "hồi chiều",
                "hồi sáng",
                "hồi tối",
            ],
        ),
        (
            Cue::Now,
            &[
                "đang",
                "bây giờ",
                "hiện tại",
                "lúc này",
                "ngay lúc này",
                "hiện đang",
            ],
        ),
        (
            Cue::Remains,
            &[
                "vẫn còn",
                "vẫn đang",
                "vẫn chưa",
                "vẫn nằm",
                "vẫn treo",
                "vẫn mắc",
                "còn nguyên",
                "còn đang",
                "đang còn",
                "tiếp tục",
                "tới giờ",
                "đến giờ",
                "mà giờ",
                "chưa ai đến",
                "chưa ai tới",
                "chưa ai dọn",
                "chưa ai xử lý",
                "chưa ai sửa",
                "chưa ai cưa",
                "chưa xử lý",
                "chưa được xử lý",
                "chưa cắt điện",
                "chưa thấy ai",
                "còn nguy hiểm",
            ],
        ),
    ];

    #[test]
    fn every_cue_is_found_typed_with_accents_and_without() {
        assert_eq!(
            SPELLED.iter().map(|(cue, _)| *cue).collect::<Vec<_>>(),
            Cue::ALL
        );
        for (cue, spelled) in SPELLED {
            assert_eq!(spelled.len(), cue.phrases().len(), "{cue:?}");
            for (typed, phrase) in spelled.iter().zip(cue.phrases()) {
                let length = phrase.split(' ').count();
                for text in [typed.to_string(), fold(typed), typed.to_uppercase()] {
                    let found = hits(&syllables(&text));
                    assert!(
                        found
                            .iter()
                            .any(|h| h.cue == *cue && h.start == 0 && h.len == length),
                        "{cue:?} `{phrase}` not found in `{text}`: {found:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_cue_is_in_canonical_form_once_and_points_one_way() {
        // A cue that canonical() would rewrite could never match.
        for cue in Cue::ALL
            .iter()
            .flat_map(|c| c.phrases().iter())
            .chain(HIGH)
            .chain(LOW)
            .chain(NEGATIONS)
            .chain(CLAUSE_BREAKS)
        {
            assert_eq!(canonical(cue), *cue, "cue `{cue}`");
        }
        for cue in Cue::ALL {
            let phrases = cue.phrases();
            let distinct: std::collections::BTreeSet<_> = phrases.iter().collect();
            assert_eq!(distinct.len(), phrases.len(), "{cue:?} repeats a phrase");
        }
        // No phrase both raises and lowers urgency.
        for up in Cue::ALL.iter().filter(|c| c.raises(false)) {
            for down in Cue::ALL.iter().filter(|c| !c.raises(false)) {
                for phrase in up.phrases() {
                    assert!(
                        !down.phrases().contains(phrase),
                        "`{phrase}` is in {up:?} and {down:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn danger_now_about_to_happen_within_reach_or_over() {
        use feature::*;
        let table: &[(&str, &[&str])] = &[
            // Danger now; over; over but still there; denied.
            ("Cháy nhà ở hẻm 45, khói nhiều", &[DANGER]),
            ("Đám cháy đã dập tắt lúc 3h", &[DANGER_OVER, OVER]),
            ("Tối qua có người bị thương", &[DANGER_OVER, PAST]),
            (
                "Hôm qua có đánh nhau, bây giờ đang đâm nhau tiếp",
                &[DANGER],
            ),
            ("Va chạm nhẹ, không có ai bị thương", &[DANGER_DENIED]),
            (
                "Tối qua dây điện đứt, tới giờ vẫn còn điện dưới đất",
                &[DANGER_REMAINS, OPEN, PAST, REMAINS],
            ),
            // About to happen, over people; over; waiting for a storm; denied, then affirmed.
            (
                "Cành cây gãy treo lơ lửng trên đầu người đi đường",
                &[IMMINENT, IMMINENT_EXPOSED, EXPOSURE],
            ),
            (
                "Cây bật gốc hôm qua, công ty cây xanh đã dọn xong",
                &[IMMINENT_OVER, OVER, PAST],
            ),
            (
                "Cây nghiêng ra đường, sợ mưa bão sẽ đổ, xin cắt tỉa",
                &[CONDITIONAL],
            ),
            ("Chưa có nguy cơ đổ nhưng nhờ kiểm tra", &[]),
            ("Tường chưa đổ nhưng coi bộ sắp sập", &[IMMINENT]),
            ("Kho sơn sát nhà dân, nguy cơ cháy nổ cao", &[RISK]),
            // Live things left open within reach; made safe.
            (
                "Tủ điện bị mở cửa, dây lòi ra ngoài, trẻ con hay chơi gần",
                &[OPEN, OPEN_EXPOSED, EXPOSURE],
            ),
            (
                "Tủ điện bị mở cửa hôm qua, điện lực đã khóa lại rồi",
                &[OPEN_OVER, OVER, PAST],
            ),
            (
                "Mất nắp cống, chưa ai che, học sinh đi qua",
                &[DANGER, OPEN, OPEN_EXPOSED, EXPOSURE],
            ),
            // Shorthand.
            (
                "tu dien mo toang, tre con choi gan, ko ai canh",
                &[OPEN, OPEN_EXPOSED, EXPOSURE],
            ),
            ("bi giat dt toi qua, da trinh bao r", &[OVER, PAST]),
            ("đèn đường hư", &[]),
        ];
        for (text, expected) in table {
            assert_eq!(cues(text), *expected, "{text}");
            assert_eq!(cues(&fold(text)), *expected, "folded: {text}");
        }
    }

    #[test]
    fn the_phrases_behind_a_cue_are_its_reasons() {
        let text = syllables("Đám cháy hôm qua đã dập tắt, không ai bị thương");
        let shown = |name: &str| -> Vec<String> {
            cue_spans(&text, name)
                .iter()
                .map(|p| text[p.start..p.start + p.len].join(" "))
                .collect()
        };
        assert_eq!(
            shown(feature::DANGER_OVER),
            ["dam chay", "hom qua", "da dap tat"]
        );
        assert_eq!(shown(feature::DANGER_DENIED), ["khong ai bi thuong"]);
        assert_eq!(shown(feature::OVER), ["da dap tat"]);
        assert_eq!(shown(feature::DANGER), ["dam chay"]);
        assert!(shown("w|chay").is_empty());
        let denied = hits(&text)
            .into_iter()
            .find(|h| h.negated)
            .expect("bị thương is denied");
        assert_eq!(denied.phrase().cue, Some((Cue::Danger, true)));
        assert!(!Cue::Danger.raises(true) && Cue::Danger.raises(false));
        assert!(!Cue::Over.raises(false) && Cue::Over.raises(true));
        assert!(!Cue::Past.raises(true));
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
        let phrases = Phrases::new(&[((), &["chay", "den duong"][..])]);
        let text = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let starts = |words: &[&str]| {
            phrases
                .find(&text(words))
                .map(|(_, start, _)| start)
                .collect::<Vec<_>>()
        };
        assert!(starts(&["chayy", "nha"]).is_empty());
        assert_eq!(starts(&["nha", "chay"]), [1]);
        assert_eq!(starts(&["den", "duong"]), [0]);
        assert!(starts(&["den"]).is_empty());
        assert_eq!(negation_before(&text(&["khong", "co", "chay"]), 2), Some(0));
        assert_eq!(negation_before(&text(&["dang", "chay"]), 1), None);
        assert_eq!(
            negation_before(&text(&["chua", "do", "nhung", "sap", "do"]), 3),
            None
        );
    }
}
