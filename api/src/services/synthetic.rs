//! Synthetic load for benchmarks and demonstrations (`sos seed --synthetic N`): N reports over
//! the past year across the wards of Ho Chi Minh City, with the texts of the labelled corpus,
//! realistic response times (some departments slower than others, urgent work on calendar
//! time), deadlines, ratings and the events of each step. Deterministic for a given seed.
//!
//! Every ward of the city without an organisation gets the default template and
//! [`NEIGHBORHOODS`] neighborhoods. Inbox entries are not generated: they matter to heads,
//! not to statistics, and would triple the volume.

use crate::clock::Clock;
use crate::services::accounts::hash_password;
use crate::services::seed::{self, DEMO_PASSWORD, WardTemplate};
use crate::services::sla::{self, WardClock};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;
use sos_domain::classify::model::TRAINING_CORPUS;
use sos_domain::code::Visibility;
use sos_domain::evaluate::parse_corpus;
use sos_domain::sla::Calendar;
use sos_domain::taxonomy::{EventType, Priority, Role, Status, Subcategory};
use sos_domain::text;
use sos_store::entities::{neighborhood, report, report_event, ward};
use sos_store::{
    DatabaseConnection, Stored, Writer, facts, geography, reports, seed as store, wards,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Neighborhoods given to each synthetic ward.
pub const NEIGHBORHOODS: usize = 10;
const HCMC: i32 = 79;
/// Reports written per transaction.
const CHUNK: usize = 2000;

/// One ward's organisation, as the generator needs it.
struct Ward {
    id: Uuid,
    neighborhoods: Vec<Neighborhood>,
    /// Department id by code.
    departments: HashMap<String, Uuid>,
    /// How slow each department of this ward is: a factor on its response times.
    pace: HashMap<String, f64>,
}

struct Neighborhood {
    id: Uuid,
    head: Uuid,
    /// Where its reports lie: [west, south, east, north].
    area: [f64; 4],
}

/// Wards without a boundary are laid out on a grid over Ho Chi Minh City, 14 columns of
/// about 3 km squares; their neighborhoods are 5 × 2 cells of their square.
const GRID_WEST: f64 = 106.55;
const GRID_SOUTH: f64 = 10.65;
const GRID_COLUMNS: usize = 14;
const GRID_CELL: f64 = 0.028;

fn grid_area(ward_index: usize, neighborhood_index: usize) -> [f64; 4] {
    let west = GRID_WEST + (ward_index % GRID_COLUMNS) as f64 * GRID_CELL;
    let south = GRID_SOUTH + (ward_index / GRID_COLUMNS) as f64 * GRID_CELL;
    let (width, height) = (GRID_CELL / 5.0, GRID_CELL / 2.0);
    let (column, row) = (neighborhood_index % 5, (neighborhood_index / 5) % 2);
    let (w, s) = (west + column as f64 * width, south + row as f64 * height);
    [w, s, w + width, s + height]
}

/// A lognormal sample with the given median and spread (Box–Muller).
fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    median * (sigma * normal).exp()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Gives every ward of the city an organisation, if it has none.
async fn organise_city(
    db: &DatabaseConnection,
    writer: &Writer,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let wards = store::wards_of_province(db, HCMC).await?;
    let organised: HashSet<Uuid> = wards::wards_in_service(db)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let missing: Vec<&ward::Model> = wards
        .iter()
        .filter(|w| !organised.contains(&w.id))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let txn = writer.begin(db).await?;
    for ward in &missing {
        let prefix = format!("p{}", ward.code);
        let template = WardTemplate {
            prefix: &prefix,
            neighborhoods: NEIGHBORHOODS,
            password_hash: &password_hash,
            at: now,
        };
        seed::organise_ward(&*txn, ward, &template).await?;
    }
    txn.commit().await?;
    tracing::info!(
        wards = missing.len(),
        "synthetic ward organisations created"
    );
    Ok(())
}

async fn load_wards(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    clock: &Clock,
) -> anyhow::Result<Vec<Ward>> {
    let wards = store::wards_of_province(db, HCMC).await?;
    let neighborhoods = store::all_neighborhoods(db).await?;
    let heads = store::users_of_role(db, Role::NeighborhoodHead).await?;
    let departments = store::all_departments(db).await?;
    // Neighborhoods with a boundary (the demo wards) file within it.
    let drawn: HashMap<Uuid, [f64; 4]> = geography::in_force(db, clock.today(), None)
        .await?
        .into_iter()
        .filter_map(|b| {
            let area = crate::services::geography::read_area(&b)?;
            let rect = geo::BoundingRect::bounding_rect(&area)?;
            Some((
                b.neighborhood_id?,
                [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
            ))
        })
        .collect();
    let mut out = Vec::new();
    for (ward_index, w) in wards.iter().enumerate() {
        let mut own: Vec<&neighborhood::Model> =
            neighborhoods.iter().filter(|n| n.ward_id == w.id).collect();
        own.sort_by(|a, b| a.code.cmp(&b.code));
        let neighborhoods: Vec<Neighborhood> = own
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                Some(Neighborhood {
                    id: n.id,
                    head: heads.iter().find(|h| h.neighborhood_id == Some(n.id))?.id,
                    area: drawn
                        .get(&n.id)
                        .copied()
                        .unwrap_or_else(|| grid_area(ward_index, i)),
                })
            })
            .collect();
        if neighborhoods.is_empty() {
            continue;
        }
        let departments: HashMap<String, Uuid> = departments
            .iter()
            .filter(|d| d.ward_id == w.id)
            .map(|d| (d.code.clone(), d.id))
            .collect();
        let pace = departments
            .keys()
            .map(|code| (code.clone(), lognormal(rng, 1.0, 0.45)))
            .collect();
        out.push(Ward {
            id: w.id,
            neighborhoods,
            departments,
            pace,
        });
    }
    Ok(out)
}

/// Where, what and when a generated report is filed.
struct Draw<'w> {
    ward: &'w Ward,
    neighborhood: &'w Neighborhood,
    /// Latitude, longitude and GPS accuracy.
    position: Option<(f64, f64, f64)>,
    subcategory: Subcategory,
    text: String,
    priority: Priority,
    created_at: DateTime<Utc>,
}

fn draw<'w>(
    rng: &mut StdRng,
    wards: &'w [Ward],
    texts: &HashMap<Subcategory, Vec<String>>,
    now: DateTime<Utc>,
    days_ago: u16,
) -> Draw<'w> {
    let ward = pick(rng, wards);
    let neighborhood = pick(rng, &ward.neighborhoods);
    // Nine reports in ten come with the phone's position, somewhere in the neighborhood.
    let [west, south, east, north] = neighborhood.area;
    let position = rng.random_bool(0.9).then(|| {
        (
            rng.random_range(south..north),
            rng.random_range(west..east),
            rng.random_range(3.0..30.0),
        )
    });
    let subcategory = *pick(rng, Subcategory::ALL);
    let text = pick(rng, &texts[&subcategory]).clone();
    let priority = match rng.random::<f64>() {
        p if p < 0.05 => Priority::Urgent,
        p if p < 0.17 => Priority::High,
        p if p < 0.25 => Priority::Low,
        _ => Priority::Normal,
    };
    // Most reports are filed by day, some in the evening.
    let day = now - Duration::days(i64::from(days_ago));
    let local_hour = if rng.random_bool(0.8) {
        rng.random_range(7.0..17.5)
    } else {
        rng.random_range(17.5..22.0)
    };
    let midnight = day
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        - Duration::hours(7);
    let created_at = (midnight + Duration::seconds((local_hour * 3600.0) as i64))
        .min(now)
        .trunc_subsecs(6);
    Draw {
        ward,
        neighborhood,
        position,
        subcategory,
        text,
        priority,
        created_at,
    }
}

/// What became of a generated report by now.
struct Course {
    status: Status,
    acknowledged_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    /// When it was rejected, if it was.
    rejected_at: Option<DateTime<Utc>>,
}

/// Delays drawn for a department of `pace`: urgent work in calendar minutes and hours, the
/// rest in working hours. About 2 % are never acknowledged, 7 % stuck after it, 3 % rejected;
/// the rest run their course unless the time has not come yet.
fn run_course(
    rng: &mut StdRng,
    calendar: &Calendar,
    (pace, urgent): (f64, bool),
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Course {
    let after = |from: DateTime<Utc>, hours: f64| {
        let amount = Duration::seconds((hours * 3600.0) as i64);
        if urgent {
            from + amount
        } else {
            calendar.add_working(from, amount)
        }
    };
    let (acknowledge_median, resolve_median) = if urgent { (0.15, 3.0) } else { (3.0, 16.0) };
    let acknowledge_hours =
        lognormal(rng, acknowledge_median, if urgent { 0.8 } else { 1.0 }) * pace;
    let resolve_hours = lognormal(rng, resolve_median, if urgent { 0.7 } else { 0.9 }) * pace;
    let fate = rng.random::<f64>();
    let rejected = fate > 0.97;
    let acknowledged_at = Some(after(created_at, acknowledge_hours).trunc_subsecs(6))
        .filter(|t| *t <= now && fate > 0.02 && !rejected);
    let resolved_at = acknowledged_at
        .map(|a| after(a, resolve_hours).trunc_subsecs(6))
        .filter(|t| *t <= now && fate > 0.09);
    let closed_at = resolved_at
        .map(|r| r + Duration::hours(rng.random_range(2..96)))
        .filter(|t| *t <= now && rng.random_bool(0.8));
    let status = if rejected {
        Status::Rejected
    } else if closed_at.is_some() {
        Status::Closed
    } else if resolved_at.is_some() {
        Status::Resolved
    } else if acknowledged_at.is_some() {
        if rng.random_bool(0.5) {
            Status::InProgress
        } else {
            Status::Acknowledged
        }
    } else {
        Status::Assigned
    };
    Course {
        status,
        acknowledged_at,
        resolved_at,
        closed_at,
        rejected_at: rejected.then(|| {
            after(created_at, acknowledge_hours)
                .min(now)
                .trunc_subsecs(6)
        }),
    }
}

/// The events of a generated report's course.
fn events_of(report: &report::Model, course: &Course) -> Vec<report_event::Model> {
    let event = |event: EventType, at: DateTime<Utc>, to: Status| report_event::Model {
        id: Uuid::now_v7(),
        report_id: report.id,
        event_type: Stored(event),
        actor_id: None,
        from_status: None,
        to_status: Some(Stored(to)),
        visibility: Stored(Visibility::Public),
        text: None,
        data: json!({}),
        created_at: at,
        // A bulk load marks whole days for rebuilding instead (`facts::mark_changed`).
        facts_pending: false,
    };
    let created_at = report.created_at;
    let mut events = vec![
        event(EventType::Submitted, created_at, Status::Submitted),
        event(EventType::Assigned, created_at, Status::Assigned),
    ];
    let steps = [
        (EventType::Rejected, course.rejected_at, Status::Rejected),
        (
            EventType::Acknowledged,
            course.acknowledged_at,
            Status::Acknowledged,
        ),
        (EventType::Resolved, course.resolved_at, Status::Resolved),
        (EventType::Closed, course.closed_at, Status::Closed),
    ];
    for (kind, at, to) in steps {
        if let Some(at) = at {
            events.push(event(kind, at, to));
        }
    }
    events
}

/// One generated report with its events.
fn generate(
    rng: &mut StdRng,
    wards: &[Ward],
    texts: &HashMap<Subcategory, Vec<String>>,
    clock: &WardClock,
    now: DateTime<Utc>,
    days_ago: u16,
) -> (report::Model, Vec<report_event::Model>) {
    let draw = draw(rng, wards, texts, now, days_ago);
    let department_code = draw.subcategory.default_department().as_str();
    let department_id = draw.ward.departments.get(department_code).copied();
    let pace = draw.ward.pace.get(department_code).copied().unwrap_or(1.0);
    let urgent = draw.priority == Priority::Urgent;
    let course = run_course(rng, &clock.calendar, (pace, urgent), draw.created_at, now);
    let mut report = report::Model {
        id: Uuid::now_v7(),
        ward_id: draw.ward.id,
        neighborhood_id: draw.neighborhood.id,
        reporter_id: draw.neighborhood.head,
        search_text: text::fold(&draw.text),
        description: draw.text,
        address: None,
        lat: draw.position.map(|p| p.0),
        lon: draw.position.map(|p| p.1),
        accuracy_m: draw.position.map(|p| p.2),
        category: Stored(draw.subcategory.category()),
        subcategory: Stored(draw.subcategory),
        chosen_subcategory: None,
        priority: Stored(draw.priority),
        status: Stored(course.status),
        department_id,
        classification: json!({}),
        duplicate_of: None,
        rating: None,
        response: course.resolved_at.map(|_| "Đã xử lý xong.".to_owned()),
        request_hash: String::new(),
        version: 1,
        created_at: draw.created_at,
        updated_at: course
            .rejected_at
            .or(course.closed_at)
            .or(course.resolved_at)
            .or(course.acknowledged_at)
            .unwrap_or(draw.created_at),
        acknowledged_at: course.acknowledged_at,
        resolved_at: course.resolved_at,
        closed_at: course.closed_at,
        assigned_at: None,
        acknowledge_due_at: None,
        acknowledge_warn_at: None,
        resolve_due_at: None,
        resolve_warn_at: None,
        ward_acknowledge_due_at: None,
        ward_resolve_due_at: None,
        acknowledge_working_seconds: None,
        resolve_working_seconds: None,
        next_alert_at: None,
    };
    clock.start_ward_clock(&mut report);
    clock.start_department_clock(&mut report, draw.created_at);
    clock.record_response_times(&mut report);
    sla::schedule_alerts(&mut report);
    if course.closed_at.is_some() {
        let on_time = report
            .resolve_due_at
            .zip(course.resolved_at)
            .is_some_and(|(due, done)| done <= due);
        report.rating = Some(if on_time {
            rng.random_range(3..=5)
        } else {
            rng.random_range(1..=4)
        });
    }
    let events = events_of(&report, &course);
    (report, events)
}

/// Adds `count` synthetic reports (see the module's description).
pub async fn seed(
    db: &DatabaseConnection,
    writer: &Writer,
    clock: &Clock,
    count: usize,
    seed: u64,
) -> anyhow::Result<()> {
    seed::seed_demo(db, writer, clock).await?;
    let now = clock.now();
    organise_city(db, writer, now).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let wards = load_wards(db, &mut rng, clock).await?;
    anyhow::ensure!(
        !wards.is_empty(),
        "no ward with neighborhoods to file reports in"
    );
    let mut texts: HashMap<Subcategory, Vec<String>> = HashMap::new();
    for labelled in parse_corpus(TRAINING_CORPUS).map_err(|e| anyhow::anyhow!(e))? {
        texts
            .entry(labelled.subcategory)
            .or_default()
            .push(labelled.text);
    }
    // Synthetic reports follow the default policies and office hours.
    let clock = WardClock {
        calendar: Calendar::standard(),
        rules: Vec::new(),
    };
    let before = store::report_count(db).await?;
    let started = std::time::Instant::now();
    // Reports are written in the order they were filed, as a live service writes them: rows
    // of the same weeks sit together on disk, which is what range queries meet in production.
    let mut days_ago: Vec<u16> = (0..count).map(|_| rng.random_range(0..365)).collect();
    days_ago.sort_unstable_by(|a, b| b.cmp(a));
    let mut written = 0;
    while written < count {
        let n = CHUNK.min(count - written);
        let mut reports = Vec::with_capacity(n);
        let mut events = Vec::with_capacity(n * 5);
        for &day in &days_ago[written..written + n] {
            let (report, report_events) = generate(&mut rng, &wards, &texts, &clock, now, day);
            reports.push(report);
            events.extend(report_events);
        }
        let txn = writer.begin(db).await?;
        reports::insert_many(&*txn, &reports).await?;
        reports::insert_events(&*txn, &events, &[]).await?;
        let ids: Vec<Uuid> = reports.iter().map(|r| r.id).collect();
        facts::mark_changed(&*txn, &ids, now).await?;
        txn.commit().await?;
        written += n;
        if written % 50_000 < CHUNK || written == count {
            tracing::info!(
                written,
                elapsed_s = started.elapsed().as_secs(),
                "synthetic reports"
            );
        }
    }
    tracing::info!(
        added = count,
        total = before + count as u64,
        seconds = started.elapsed().as_secs_f64(),
        "synthetic load written"
    );
    Ok(())
}
