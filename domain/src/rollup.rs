//! A ward's day of reports, as leaders' statistics need them: one small fact per report
//! ([`ReportFact`]), packed into bytes the database keeps per ward and local day.
//!
//! A city's year is a million reports; reading and sorting a million rows for each summary
//! costs seconds. Their facts are a few tens of thousands of packed rows that decode in
//! milliseconds, and aggregate here ([`Tally`]) to exactly the figures the reports give:
//! every fact keeps its own filing time and working times, so a period's edges and its
//! percentiles are as exact as over the reports themselves. What depends on the present time
//! (whether an open deadline has passed) is kept as the deadline and judged when asked.

use crate::stats::{self, MEDIAN, P90};
use crate::taxonomy::{Category, EventType, Status};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// The deadlines that judge a group of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The ward's promise to the neighborhood, from filing.
    Ward,
    /// The department's own deadlines, from when it received the report.
    Department,
}

/// How a report stands against one deadline, as far as it is known without the present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// It does not count: no deadline, or the report was rejected or merged.
    Uncounted,
    /// Done by the deadline.
    Met,
    /// Done after the deadline.
    Missed,
    /// Not done yet: missed once the deadline has passed.
    Pending { due: DateTime<Utc> },
}

impl Deadline {
    /// The standing of a milestone `done` (if reached) against `due`, for a report whose
    /// deadlines count (`settled`: neither rejected nor merged into another).
    pub fn judge(
        settled: bool,
        done: Option<DateTime<Utc>>,
        due: Option<DateTime<Utc>>,
    ) -> Deadline {
        match (settled, done, due) {
            (false, ..) | (_, _, None) => Deadline::Uncounted,
            (true, Some(done), Some(due)) if done <= due => Deadline::Met,
            (true, Some(_), Some(_)) => Deadline::Missed,
            (true, None, Some(due)) => Deadline::Pending { due },
        }
    }

    /// Met in time, as of `now`.
    pub fn met(self) -> bool {
        self == Deadline::Met
    }

    /// Missed, as of `now`: done late, or not done and past due.
    pub fn missed(self, now: DateTime<Utc>) -> bool {
        match self {
            Deadline::Missed => true,
            Deadline::Pending { due } => due < now,
            Deadline::Uncounted | Deadline::Met => false,
        }
    }
}

/// Whether a report in `status` counts against its deadlines.
pub fn settled(status: Status) -> bool {
    !matches!(status, Status::Rejected | Status::Duplicate)
}

/// Whether a report in `status` is waiting for the ward.
pub fn open(status: Status) -> bool {
    matches!(
        status,
        Status::Submitted | Status::Assigned | Status::Acknowledged | Status::InProgress
    )
}

/// Whether an event can come with a change to its report's facts. The scheduler's warnings
/// and escalations are written beside a report, never into it; a city's first scan sends
/// hundreds of thousands of them, and their days need no rebuilding.
pub fn changes_facts(event: EventType) -> bool {
    !matches!(event, EventType::DeadlineWarning | EventType::Escalated)
}

/// What statistics need of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFact {
    /// The report's id: a changed report's fact replaces its old one.
    pub report: Uuid,
    pub created_at: DateTime<Utc>,
    pub category: Category,
    pub department: Option<Uuid>,
    pub open: bool,
    pub resolved: bool,
    /// The head's rating, 1 to 5.
    pub rating: Option<u8>,
    /// Working seconds from filing to the milestone.
    pub acknowledge_seconds: Option<u32>,
    pub resolve_seconds: Option<u32>,
    pub ward_acknowledge: Deadline,
    pub ward_resolve: Deadline,
    pub department_acknowledge: Deadline,
    pub department_resolve: Deadline,
}

impl ReportFact {
    /// Its deadlines to acknowledge and to resolve on `clock`.
    pub fn deadlines(&self, clock: Clock) -> (Deadline, Deadline) {
        match clock {
            Clock::Ward => (self.ward_acknowledge, self.ward_resolve),
            Clock::Department => (self.department_acknowledge, self.department_resolve),
        }
    }
}

/// The local day (Asia/Ho_Chi_Minh) an instant falls on: the key facts are kept under.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::sla::TIME_ZONE).date_naive()
}

/// The first instant of a local day.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(crate::sla::TIME_ZONE)
        .earliest()
        .expect("Vietnam keeps no daylight saving time")
        .with_timezone(&Utc)
}

/// The format version of packed facts; bytes of another version are not read (version 1 had
/// no report ids, and its days are rebuilt from the reports).
const FORMAT: u8 = 2;
/// No department, in a fact's department index.
const NO_DEPARTMENT: u8 = u8::MAX;

const OPEN: u8 = 1;
const RESOLVED: u8 = 1 << 1;
const RATED: u8 = 1 << 2;
const ACKNOWLEDGE_SECONDS: u8 = 1 << 3;
const RESOLVE_SECONDS: u8 = 1 << 4;

/// Packed facts that cannot be read: written by another version, or damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable;

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("packed report facts cannot be read")
    }
}

impl std::error::Error for Unreadable {}

fn deadline_code(deadline: Deadline) -> u8 {
    match deadline {
        Deadline::Uncounted => 0,
        Deadline::Met => 1,
        Deadline::Missed => 2,
        Deadline::Pending { .. } => 3,
    }
}

/// Packs facts: a version byte, the day's departments (at most 254), then per fact its
/// report's id, its filing time in microseconds, flags, category, department, rating, the four deadline
/// standings in one byte, the due time of each pending one, then the working times present.
pub fn pack(facts: &[ReportFact]) -> Vec<u8> {
    let mut departments: Vec<Uuid> = facts.iter().filter_map(|f| f.department).collect();
    departments.sort_unstable();
    departments.dedup();
    assert!(
        departments.len() < usize::from(NO_DEPARTMENT),
        "a ward has far fewer departments"
    );
    let mut out = Vec::with_capacity(2 + departments.len() * 16 + facts.len() * 40);
    out.push(FORMAT);
    out.push(departments.len() as u8);
    for department in &departments {
        out.extend_from_slice(department.as_bytes());
    }
    for fact in facts {
        out.extend_from_slice(fact.report.as_bytes());
        out.extend_from_slice(&fact.created_at.timestamp_micros().to_le_bytes());
        let mut flags = 0;
        for (set, flag) in [
            (fact.open, OPEN),
            (fact.resolved, RESOLVED),
            (fact.rating.is_some(), RATED),
            (fact.acknowledge_seconds.is_some(), ACKNOWLEDGE_SECONDS),
            (fact.resolve_seconds.is_some(), RESOLVE_SECONDS),
        ] {
            if set {
                flags |= flag;
            }
        }
        let category = Category::ALL
            .iter()
            .position(|c| *c == fact.category)
            .expect("a category of the taxonomy") as u8;
        let department = fact.department.map_or(NO_DEPARTMENT, |d| {
            departments.binary_search(&d).expect("listed above") as u8
        });
        out.extend_from_slice(&[flags, category, department, fact.rating.unwrap_or(0)]);
        let deadlines = [
            fact.ward_acknowledge,
            fact.ward_resolve,
            fact.department_acknowledge,
            fact.department_resolve,
        ];
        out.push(
            deadlines
                .iter()
                .enumerate()
                .fold(0, |byte, (i, d)| byte | deadline_code(*d) << (2 * i)),
        );
        for deadline in deadlines {
            if let Deadline::Pending { due } = deadline {
                out.extend_from_slice(&due.timestamp_micros().to_le_bytes());
            }
        }
        for seconds in [fact.acknowledge_seconds, fact.resolve_seconds]
            .into_iter()
            .flatten()
        {
            out.extend_from_slice(&seconds.to_le_bytes());
        }
    }
    out
}

/// Reads bytes front to back.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], Unreadable> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(Unreadable)?;
        self.0 = rest;
        Ok(*head)
    }

    fn byte(&mut self) -> Result<u8, Unreadable> {
        Ok(self.take::<1>()?[0])
    }

    fn time(&mut self) -> Result<DateTime<Utc>, Unreadable> {
        DateTime::from_timestamp_micros(i64::from_le_bytes(self.take()?)).ok_or(Unreadable)
    }
}

/// Unpacks what [`pack`] wrote.
pub fn unpack(bytes: &[u8]) -> Result<Vec<ReportFact>, Unreadable> {
    let mut reader = Reader(bytes);
    if reader.byte()? != FORMAT {
        return Err(Unreadable);
    }
    let departments = (0..reader.byte()?)
        .map(|_| Ok(Uuid::from_bytes(reader.take()?)))
        .collect::<Result<Vec<_>, Unreadable>>()?;
    let mut facts = Vec::with_capacity(bytes.len() / 40);
    while !reader.0.is_empty() {
        let report = Uuid::from_bytes(reader.take()?);
        let created_at = reader.time()?;
        let [flags, category, department, rating] = reader.take::<4>()?;
        let codes = reader.byte()?;
        let mut deadlines = [Deadline::Uncounted; 4];
        for (i, deadline) in deadlines.iter_mut().enumerate() {
            *deadline = match (codes >> (2 * i)) & 0b11 {
                0 => Deadline::Uncounted,
                1 => Deadline::Met,
                2 => Deadline::Missed,
                _ => Deadline::Pending {
                    due: reader.time()?,
                },
            };
        }
        let mut seconds = |flag: u8| -> Result<Option<u32>, Unreadable> {
            Ok(if flags & flag != 0 {
                Some(u32::from_le_bytes(reader.take()?))
            } else {
                None
            })
        };
        let acknowledge_seconds = seconds(ACKNOWLEDGE_SECONDS)?;
        let resolve_seconds = seconds(RESOLVE_SECONDS)?;
        facts.push(ReportFact {
            report,
            created_at,
            category: *Category::ALL.get(usize::from(category)).ok_or(Unreadable)?,
            department: match department {
                NO_DEPARTMENT => None,
                i => Some(*departments.get(usize::from(i)).ok_or(Unreadable)?),
            },
            open: flags & OPEN != 0,
            resolved: flags & RESOLVED != 0,
            rating: (flags & RATED != 0).then_some(rating),
            acknowledge_seconds,
            resolve_seconds,
            ward_acknowledge: deadlines[0],
            ward_resolve: deadlines[1],
            department_acknowledge: deadlines[2],
            department_resolve: deadlines[3],
        });
    }
    Ok(facts)
}

/// Brings a day's facts up to date with the reports that changed: each report in `changed`
/// has its fact replaced by `now_facts`' one, or taken out when `now_facts` has none for it
/// (it no longer exists). The work grows with the changes, not with the day.
pub fn replace(
    facts: &mut Vec<ReportFact>,
    changed: &std::collections::HashSet<Uuid>,
    now_facts: impl IntoIterator<Item = ReportFact>,
) {
    facts.retain(|fact| !changed.contains(&fact.report));
    facts.extend(
        now_facts
            .into_iter()
            .filter(|fact| changed.contains(&fact.report)),
    );
}

/// The current fact of each report of a day kept in layers, newest first: the parts written
/// since the day's base, then the base. A report's fact in a newer layer hides its older ones.
pub fn current(layers: &[Vec<ReportFact>]) -> impl Iterator<Item = &ReportFact> {
    let (over, base) = layers.split_at(layers.len().saturating_sub(1));
    current_over(over, base)
}

/// The current fact of each report of a day: the parts written since its base (`over`, newest
/// first), then its base's segments, which hold each report once. A report's fact in a newer
/// part hides its older ones.
pub fn current_over<'a>(
    over: &'a [Vec<ReportFact>],
    base: &'a [Vec<ReportFact>],
) -> impl Iterator<Item = &'a ReportFact> {
    let mut seen = std::collections::HashSet::new();
    let layers = over.iter().map(|facts| (false, facts));
    layers
        .chain(base.iter().map(|facts| (true, facts)))
        .flat_map(|(in_base, facts)| facts.iter().map(move |fact| (in_base, fact)))
        .filter_map(move |(in_base, fact)| {
            // The base is the largest and the last read: its reports need not be kept.
            let newest = if in_base {
                !seen.contains(&fact.report)
            } else {
                seen.insert(fact.report)
            };
            newest.then_some(fact)
        })
}

/// The facts [`current`] yields, taking the layers: the base (the largest) is kept in place
/// rather than copied, so a day being folded is held about once in memory instead of twice.
pub fn into_current(mut layers: Vec<Vec<ReportFact>>) -> Vec<ReportFact> {
    let Some(mut base) = layers.pop() else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    let newer: Vec<ReportFact> = layers
        .into_iter()
        .flatten()
        .filter(|fact| seen.insert(fact.report))
        .collect();
    base.retain(|fact| !seen.contains(&fact.report));
    base.extend(newer);
    base
}

/// Facts a segment of a day's base holds before a fold cuts it. A fold rewrites only the
/// segments its changes fall in, so this bounds its work for a day of any size (about 40 KB
/// packed), while a ward's ordinary day, a few dozen reports, is one segment. The bound is
/// soft: facts filed at one instant share a segment, and a segment before the last grows past
/// it only by a report committed after later ones were folded.
pub const SEGMENT_FACTS: usize = 1024;

/// A segment of a day's base, as stored: where it begins and how many facts it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The earliest filing time it holds; the first segment holds whatever is filed before
    /// the second, so its own is not read.
    pub filed_from: Option<DateTime<Utc>>,
    pub facts: usize,
}

/// The index of the segment, among a day's in filing order, that holds a fact filed at `at`.
pub fn segment_of(segments: &[Segment], at: DateTime<Utc>) -> usize {
    segments
        .iter()
        .skip(1)
        .take_while(|segment| segment.filed_from.is_some_and(|from| from <= at))
        .count()
}

/// The base facts a fold of changes filed from `earliest` on may rewrite: those of its
/// segment and of every later one (`None`: an unknown time, the whole base).
pub fn reach(segments: &[Segment], earliest: Option<DateTime<Utc>>) -> usize {
    let first = earliest.map_or(0, |at| segment_of(segments, at));
    segments[first..].iter().map(|segment| segment.facts).sum()
}

/// Facts grouped by the index of the segment that keeps them.
pub fn by_segment(
    segments: &[Segment],
    facts: Vec<ReportFact>,
) -> std::collections::BTreeMap<usize, Vec<ReportFact>> {
    let mut groups = std::collections::BTreeMap::<usize, Vec<ReportFact>>::new();
    for fact in facts {
        groups
            .entry(segment_of(segments, fact.created_at))
            .or_default()
            .push(fact);
    }
    groups
}

/// Cuts facts into segments of [`SEGMENT_FACTS`], in filing order. A cut falls only where the
/// filing time changes, so that each segment after the first begins at its first fact's
/// filing and every fact's segment follows from its filing time alone ([`segment_of`]).
pub fn cut(mut facts: Vec<ReportFact>) -> Vec<Vec<ReportFact>> {
    facts.sort_unstable_by_key(|fact| (fact.created_at, fact.report));
    let mut segments: Vec<Vec<ReportFact>> = Vec::new();
    for fact in facts {
        match segments.last_mut() {
            Some(last)
                if last.len() < SEGMENT_FACTS
                    || last.last().map(|f| f.created_at) == Some(fact.created_at) =>
            {
                last.push(fact)
            }
            _ => {
                let mut segment = Vec::with_capacity(SEGMENT_FACTS);
                segment.push(fact);
                segments.push(segment);
            }
        }
    }
    segments
}

/// Parts a day keeps over its base at most: a guard, as merging keeps them to about the
/// logarithm of the changes since the base.
pub const MAX_PARTS: usize = 32;

/// How the worker stores a pass's changed facts for a day that has a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayUpdate {
    /// A new part over the others, holding the changed facts and those of the `merging`
    /// newest parts, which it replaces.
    AddPart { merging: usize },
    /// Everything into a new base, with no parts over it.
    Fold,
}

/// What to do with `changed` facts of a day whose base holds `base` facts within the fold's
/// [`reach`], with `parts` over it holding the facts counted, oldest first.
///
/// A new part takes in the parts below it while it is at least as large as they are (a binary
/// counter: each fact is merged about log₂ of the passes since the base times), and the base
/// is rewritten only once the parts would outgrow half of what the fold reaches (each fold
/// writes at most three facts for each one changed since the last). So a pass's work grows
/// with its changes, not with its day, and each fact is rewritten a few times however large
/// its day grows.
pub fn day_update(base: usize, parts: &[usize], changed: usize) -> DayUpdate {
    let overlaid: usize = parts.iter().sum();
    if overlaid.saturating_add(changed).saturating_mul(2) > base {
        return DayUpdate::Fold;
    }
    let mut merged = changed;
    let mut merging = 0;
    for &older in parts.iter().rev() {
        if merged < older && parts.len() - merging < MAX_PARTS {
            break;
        }
        merged += older;
        merging += 1;
    }
    DayUpdate::AddPart { merging }
}

/// The figures of a group of reports, added up fact by fact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub received: u64,
    pub resolved: u64,
    pub open: u64,
    pub acknowledge_on_time: u64,
    pub acknowledge_late: u64,
    pub resolve_on_time: u64,
    pub resolve_late: u64,
    /// Open and past the deadline to resolve.
    pub overdue: u64,
    /// How many heads gave 1, 2, 3, 4 and 5.
    pub ratings: [u64; 5],
    acknowledge_seconds: Vec<u32>,
    resolve_seconds: Vec<u32>,
}

/// The median and the 90th percentile of working seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Tally {
    /// Counts one report, judged by `clock` as of `now`.
    pub fn add(&mut self, fact: &ReportFact, clock: Clock, now: DateTime<Utc>) {
        let (acknowledge, resolve) = fact.deadlines(clock);
        self.received += 1;
        self.resolved += u64::from(fact.resolved);
        self.open += u64::from(fact.open);
        self.acknowledge_on_time += u64::from(acknowledge.met());
        self.acknowledge_late += u64::from(acknowledge.missed(now));
        self.resolve_on_time += u64::from(resolve.met());
        self.resolve_late += u64::from(resolve.missed(now));
        self.overdue +=
            u64::from(fact.open && matches!(resolve, Deadline::Pending { due } if due < now));
        if let Some(slot) = fact
            .rating
            .and_then(|r| self.ratings.get_mut(usize::from(r).wrapping_sub(1)))
        {
            *slot += 1;
        }
        self.acknowledge_seconds.extend(fact.acknowledge_seconds);
        self.resolve_seconds.extend(fact.resolve_seconds);
    }

    pub fn rating_count(&self) -> u64 {
        self.ratings.iter().sum()
    }

    pub fn rating_sum(&self) -> u64 {
        self.ratings
            .iter()
            .zip(1..)
            .map(|(count, stars)| count * stars)
            .sum()
    }

    /// The spread of the working times to acknowledge and to resolve.
    pub fn spreads(&mut self) -> (Spread, Spread) {
        (
            spread(&mut self.acknowledge_seconds),
            spread(&mut self.resolve_seconds),
        )
    }
}

fn spread(values: &mut [u32]) -> Spread {
    values.sort_unstable();
    let sorted: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
    Spread {
        median: stats::percentile(&sorted, MEDIAN),
        p90: stats::percentile(&sorted, P90),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, hour, minute, 0).unwrap()
    }

    fn fact() -> ReportFact {
        ReportFact {
            report: Uuid::from_u128(1),
            created_at: at(2, 0),
            category: Category::Sanitation,
            department: None,
            open: true,
            resolved: false,
            rating: None,
            acknowledge_seconds: None,
            resolve_seconds: None,
            ward_acknowledge: Deadline::Uncounted,
            ward_resolve: Deadline::Uncounted,
            department_acknowledge: Deadline::Uncounted,
            department_resolve: Deadline::Uncounted,
        }
    }

    #[test]
    fn deadlines_are_judged_like_the_reports() {
        let due = Some(at(10, 0));
        assert_eq!(Deadline::judge(true, Some(at(10, 0)), due), Deadline::Met);
        assert_eq!(
            Deadline::judge(true, Some(at(10, 1)), due),
            Deadline::Missed
        );
        assert_eq!(
            Deadline::judge(false, Some(at(9, 0)), due),
            Deadline::Uncounted
        );
        assert_eq!(
            Deadline::judge(true, Some(at(9, 0)), None),
            Deadline::Uncounted
        );
        let pending = Deadline::judge(true, None, due);
        assert_eq!(pending, Deadline::Pending { due: at(10, 0) });
        assert!(!pending.missed(at(10, 0)), "due at ten is not late at ten");
        assert!(pending.missed(at(10, 1)));
        assert!(!pending.met());
    }

    #[test]
    fn packed_facts_come_back_unchanged() {
        let department = Uuid::from_u128(7);
        let other = Uuid::from_u128(3);
        let facts = vec![
            fact(),
            ReportFact {
                report: Uuid::from_u128(2),
                created_at: at(5, 30) + chrono::Duration::microseconds(123_456),
                category: Category::Other,
                department: Some(department),
                open: false,
                resolved: true,
                rating: Some(4),
                acknowledge_seconds: Some(600),
                resolve_seconds: Some(u32::MAX - 1),
                ward_acknowledge: Deadline::Met,
                ward_resolve: Deadline::Missed,
                department_acknowledge: Deadline::Pending { due: at(9, 0) },
                department_resolve: Deadline::Pending { due: at(23, 59) },
            },
            ReportFact {
                department: Some(other),
                ..fact()
            },
        ];
        let bytes = pack(&facts);
        assert_eq!(unpack(&bytes), Ok(facts));
        assert_eq!(unpack(&pack(&[])), Ok(Vec::new()));
    }

    #[test]
    fn a_changed_report_replaces_its_fact_and_a_gone_one_leaves() {
        let report = |n: u128| ReportFact {
            report: Uuid::from_u128(n),
            ..fact()
        };
        let mut day = vec![report(1), report(2), report(3)];
        let changed = [2, 3, 4].map(Uuid::from_u128).into_iter().collect();
        let resolved_two = ReportFact {
            open: false,
            resolved: true,
            ..report(2)
        };
        // Report 3 is gone; 4 is new; 5 did not change, and a fact of it is not taken.
        replace(&mut day, &changed, [resolved_two, report(4), report(5)]);
        day.sort_by_key(|f| f.report);
        assert_eq!(day, vec![report(1), resolved_two, report(4)]);
    }

    #[test]
    fn a_newer_layer_hides_a_report_s_older_facts() {
        let report = |n, open| ReportFact {
            report: Uuid::from_u128(n),
            open,
            ..fact()
        };
        // Report 1 changed twice since the base, report 2 once; 3 and 4 did not change.
        let layers = vec![
            vec![report(1, false)],
            vec![report(2, false), report(1, true)],
            vec![
                report(1, true),
                report(2, true),
                report(3, true),
                report(4, true),
            ],
        ];
        let mut now: Vec<(u128, bool)> = current(&layers)
            .map(|f| (f.report.as_u128(), f.open))
            .collect();
        now.sort();
        assert_eq!(now, vec![(1, false), (2, false), (3, true), (4, true)]);
        assert_eq!(current(&[]).count(), 0);
        assert_eq!(
            current(&layers[2..]).count(),
            4,
            "a base alone is read whole"
        );
        // Taking the layers gives the same facts.
        let mut taken: Vec<(u128, bool)> = into_current(layers)
            .iter()
            .map(|f| (f.report.as_u128(), f.open))
            .collect();
        taken.sort();
        assert_eq!(taken, now);
        assert!(into_current(Vec::new()).is_empty());
    }

    #[test]
    fn parts_stay_small_and_few() {
        // A change over a large day is written alone.
        assert_eq!(
            day_update(100_000, &[], 400),
            DayUpdate::AddPart { merging: 0 }
        );
        assert_eq!(
            day_update(100_000, &[3_200, 800, 400], 100),
            DayUpdate::AddPart { merging: 0 }
        );
        // It takes in the newer parts no larger than it grows.
        assert_eq!(
            day_update(100_000, &[3_200, 800, 400], 400),
            DayUpdate::AddPart { merging: 2 }
        );
        assert_eq!(
            day_update(100_000, &[1_600, 800, 400], 400),
            DayUpdate::AddPart { merging: 3 }
        );
        // Parts at the limit are all taken in.
        assert_eq!(
            day_update(100_000, &[1_000; MAX_PARTS], 1),
            DayUpdate::AddPart { merging: MAX_PARTS }
        );
        // Parts past half the base fold into it: a small day is soon rewritten.
        assert_eq!(day_update(100_000, &[49_000, 800], 400), DayUpdate::Fold);
        assert_eq!(day_update(3, &[1], 1), DayUpdate::Fold);
    }

    #[test]
    fn each_fact_is_written_a_few_times_however_large_its_day_grows() {
        // A day receiving `changed` new reports at every pass, from one pass's worth.
        let writes = |changed: usize, passes: usize| {
            let (mut base, mut parts, mut written) = (changed, Vec::<usize>::new(), changed);
            let mut most_parts = 0;
            for _ in 0..passes {
                match day_update(base, &parts, changed) {
                    DayUpdate::AddPart { merging } => {
                        let kept = parts.len() - merging;
                        let part = changed + parts.drain(kept..).sum::<usize>();
                        parts.push(part);
                        written += part;
                    }
                    DayUpdate::Fold => {
                        base += parts.drain(..).sum::<usize>() + changed;
                        written += base;
                    }
                }
                most_parts = most_parts.max(parts.len());
            }
            let facts = base + parts.iter().sum::<usize>();
            assert_eq!(facts, changed * (passes + 1));
            (written as f64 / facts as f64, most_parts)
        };
        // Busy (400 reports a pass) and quiet (one a pass), over short and long days.
        for (changed, passes) in [(400, 2_000), (400, 20_000), (1, 20_000), (1, 200_000)] {
            let (per_fact, most_parts) = writes(changed, passes);
            assert!(
                per_fact < 12.0,
                "{changed}×{passes}: {per_fact} writes a fact"
            );
            assert!(most_parts <= 16, "{changed}×{passes}: {most_parts} parts");
        }
    }

    #[test]
    fn a_fact_s_segment_follows_from_its_filing_time() {
        let segment = |filed_from, facts| Segment { filed_from, facts };
        let segments = [
            segment(None, 1000),
            segment(Some(at(10, 0)), 1024),
            segment(Some(at(20, 0)), 7),
        ];
        let of = |hour| segment_of(&segments, at(hour, 0));
        assert_eq!(
            [of(1), of(9), of(10), of(15), of(20), of(23)],
            [0, 0, 1, 1, 2, 2]
        );
        // A fold reaches from the segment of its earliest change to the end of the day.
        assert_eq!(reach(&segments, Some(at(21, 0))), 7);
        assert_eq!(reach(&segments, Some(at(10, 0))), 1031);
        assert_eq!(reach(&segments, Some(at(0, 0))), 2031);
        assert_eq!(
            reach(&segments, None),
            2031,
            "an unknown time reaches it all"
        );
        let report = |n: u128, hour| ReportFact {
            report: Uuid::from_u128(n),
            created_at: at(hour, 0),
            ..fact()
        };
        let groups = by_segment(&segments, vec![report(1, 22), report(2, 3), report(3, 21)]);
        let ids = |index| {
            groups[&index]
                .iter()
                .map(|f| f.report.as_u128())
                .collect::<Vec<_>>()
        };
        assert_eq!(groups.keys().copied().collect::<Vec<_>>(), [0, 2]);
        assert_eq!((ids(0), ids(2)), (vec![2], vec![1, 3]));
    }

    #[test]
    fn segments_are_cut_where_the_filing_time_changes() {
        let report = |n: usize, second: usize| ReportFact {
            report: Uuid::from_u128(n as u128),
            created_at: at(1, 0) + chrono::Duration::seconds(second as i64),
            ..fact()
        };
        // Filed one a second, given in reverse: cut in filing order.
        let day: Vec<ReportFact> = (0..2 * SEGMENT_FACTS + 10)
            .rev()
            .map(|n| report(n, n))
            .collect();
        let segments = cut(day);
        let sizes: Vec<usize> = segments.iter().map(Vec::len).collect();
        assert_eq!(sizes, [SEGMENT_FACTS, SEGMENT_FACTS, 10]);
        let stored: Vec<Segment> = segments
            .iter()
            .enumerate()
            .map(|(i, facts)| Segment {
                filed_from: (i > 0).then(|| facts[0].created_at),
                facts: facts.len(),
            })
            .collect();
        for (i, facts) in segments.iter().enumerate() {
            assert!(facts.windows(2).all(|w| w[0].created_at < w[1].created_at));
            assert!(facts.iter().all(|f| segment_of(&stored, f.created_at) == i));
        }
        // Reports filed at one instant across the size stay in one segment.
        let crowded: Vec<ReportFact> = (0..SEGMENT_FACTS + 20)
            .map(|n| report(n, n.min(SEGMENT_FACTS - 5)))
            .collect();
        let sizes: Vec<usize> = cut(crowded).iter().map(Vec::len).collect();
        assert_eq!(sizes, [SEGMENT_FACTS + 20]);
        assert!(cut(Vec::new()).is_empty());
    }

    #[test]
    fn parts_over_a_day_hide_its_segments_facts() {
        let report = |n, open| ReportFact {
            report: Uuid::from_u128(n),
            open,
            ..fact()
        };
        let over = [
            vec![report(3, false)],
            vec![report(1, false), report(3, true)],
        ];
        let base = [
            vec![report(1, true), report(2, true)],
            vec![report(3, true)],
        ];
        let mut now: Vec<(u128, bool)> = current_over(&over, &base)
            .map(|f| (f.report.as_u128(), f.open))
            .collect();
        now.sort();
        assert_eq!(now, [(1, false), (2, true), (3, false)]);
    }

    #[test]
    fn damaged_or_foreign_bytes_are_refused() {
        let bytes = pack(&[fact(), fact()]);
        // Cutting after the header or after the first fact leaves fewer whole facts; any
        // other cut leaves part of one.
        for cut in 1..bytes.len() {
            if cut != 2 && cut != 2 + 29 {
                assert_eq!(unpack(&bytes[..cut]), Err(Unreadable), "cut at {cut}");
            }
        }
        assert_eq!(unpack(&[]), Err(Unreadable));
        let mut foreign = bytes.clone();
        foreign[0] = FORMAT + 1;
        assert_eq!(unpack(&foreign), Err(Unreadable));
        let mut bad_category = bytes;
        bad_category[2 + 16 + 9] = 200;
        assert_eq!(unpack(&bad_category), Err(Unreadable));
    }

    #[test]
    fn a_tally_counts_like_the_hand() {
        let now = at(12, 0);
        let facts = [
            // Resolved on time on both clocks, rated 5.
            ReportFact {
                open: false,
                resolved: true,
                rating: Some(5),
                acknowledge_seconds: Some(100),
                resolve_seconds: Some(1000),
                ward_acknowledge: Deadline::Met,
                ward_resolve: Deadline::Met,
                department_acknowledge: Deadline::Met,
                department_resolve: Deadline::Met,
                ..fact()
            },
            // Acknowledged late by the ward's promise, in time by the department's; open
            // and past the ward's deadline to resolve, not the department's.
            ReportFact {
                acknowledge_seconds: Some(300),
                ward_acknowledge: Deadline::Missed,
                ward_resolve: Deadline::Pending { due: at(11, 0) },
                department_acknowledge: Deadline::Met,
                department_resolve: Deadline::Pending { due: at(13, 0) },
                ..fact()
            },
            // Rejected: received, never judged.
            ReportFact {
                open: false,
                rating: Some(1),
                ..fact()
            },
        ];
        let mut ward = Tally::default();
        let mut department = Tally::default();
        for f in &facts {
            ward.add(f, Clock::Ward, now);
            department.add(f, Clock::Department, now);
        }
        assert_eq!((ward.received, ward.resolved, ward.open), (3, 1, 1));
        assert_eq!((ward.acknowledge_on_time, ward.acknowledge_late), (1, 1));
        assert_eq!((ward.resolve_on_time, ward.resolve_late), (1, 1));
        assert_eq!(ward.overdue, 1);
        assert_eq!(
            (department.acknowledge_on_time, department.acknowledge_late),
            (2, 0)
        );
        assert_eq!((department.resolve_late, department.overdue), (0, 0));
        assert_eq!(ward.ratings, [1, 0, 0, 0, 1]);
        assert_eq!((ward.rating_count(), ward.rating_sum()), (2, 6));
        let (acknowledge, resolve) = ward.spreads();
        assert_eq!(acknowledge.median, Some(200.0));
        assert_eq!(acknowledge.p90, Some(280.0));
        assert_eq!((resolve.median, resolve.p90), (Some(1000.0), Some(1000.0)));
    }

    #[test]
    fn only_the_schedulers_alerts_leave_facts_unchanged() {
        let unchanged: Vec<EventType> = EventType::ALL
            .iter()
            .copied()
            .filter(|e| !changes_facts(*e))
            .collect();
        assert_eq!(
            unchanged,
            [EventType::DeadlineWarning, EventType::Escalated]
        );
    }

    #[test]
    fn local_days_begin_at_midnight_in_vietnam() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        assert_eq!(
            day_start(day),
            Utc.with_ymd_and_hms(2026, 3, 3, 17, 0, 0).unwrap()
        );
        assert_eq!(local_day(day_start(day)), day);
        assert_eq!(
            local_day(day_start(day) - chrono::Duration::microseconds(1)),
            day.pred_opt().unwrap()
        );
    }
}
