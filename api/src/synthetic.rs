//! Synthetic load for benchmarks and demonstrations (`sos seed --synthetic N`): N reports over
//! the past year across the wards of Ho Chi Minh City, with the texts of the labelled corpus,
//! realistic response times (some departments slower than others, urgent work on calendar
//! time), deadlines, ratings and the events of each step. Deterministic for a given seed.
//!
//! Every ward of the city without an organisation gets the default template and
//! [`NEIGHBORHOODS`] neighborhoods. Inbox entries are not generated: they matter to heads,
//! not to statistics, and would triple the volume.

use crate::auth::hash_password;
use crate::db::begin_write;
use crate::seed::{self, DEMO_PASSWORD};
use crate::sla::WardClock;
use crate::store::entities::{department, neighborhood, report, report_event, user, ward};
use crate::store::reports::insert_events;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use sos_domain::boundaries;
use sos_domain::classify::model::TRAINING_CORPUS;
use sos_domain::evaluate::parse_corpus;
use sos_domain::sla::Calendar;
use sos_domain::taxonomy::{EventType, Priority, Role, Status, Subcategory};
use sos_domain::text;
use std::collections::HashMap;
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
async fn organise_city(db: &DatabaseConnection) -> anyhow::Result<()> {
    let wards = ward::Entity::find()
        .filter(ward::Column::ProvinceCode.eq(HCMC))
        .all(db)
        .await?;
    let organised: Vec<Uuid> = department::Entity::find()
        .select_only()
        .column(department::Column::WardId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let missing: Vec<&ward::Model> = wards
        .iter()
        .filter(|w| !organised.contains(&w.id))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let txn = begin_write(db).await?;
    for ward in &missing {
        seed::organise_ward(
            &txn,
            ward,
            &format!("p{}", ward.code),
            NEIGHBORHOODS,
            &password_hash,
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(
        wards = missing.len(),
        "synthetic ward organisations created"
    );
    Ok(())
}

async fn load_wards(db: &DatabaseConnection, rng: &mut StdRng) -> anyhow::Result<Vec<Ward>> {
    let wards = ward::Entity::find()
        .filter(ward::Column::ProvinceCode.eq(HCMC))
        .all(db)
        .await?;
    let neighborhoods = neighborhood::Entity::find().all(db).await?;
    let heads = user::Entity::find()
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .all(db)
        .await?;
    let departments = department::Entity::find().all(db).await?;
    // Neighborhoods with a boundary (the demo wards) file within it.
    let drawn: HashMap<Uuid, [f64; 4]> =
        crate::geography::in_force(db, crate::geography::today(), None)
            .await?
            .into_iter()
            .filter_map(|b| {
                let area = serde_json::from_str(&b.geometry)
                    .ok()
                    .and_then(|g| boundaries::from_geojson(&g))?;
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

/// One generated report with its events.
fn generate(
    rng: &mut StdRng,
    wards: &[Ward],
    texts: &HashMap<Subcategory, Vec<String>>,
    clock: &WardClock,
    now: DateTime<Utc>,
    days_ago: u16,
) -> (report::Model, Vec<report_event::Model>) {
    let calendar: &Calendar = &clock.calendar;
    let ward = pick(rng, wards);
    let neighborhood = pick(rng, &ward.neighborhoods);
    let (neighborhood_id, reporter_id) = (neighborhood.id, neighborhood.head);
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
    let department_code = subcategory.default_department().as_str();
    let department_id = ward.departments.get(department_code).copied();
    let pace = ward.pace.get(department_code).copied().unwrap_or(1.0);
    let urgent = priority == Priority::Urgent;
    // Delays: urgent work in calendar minutes and hours, the rest in working hours.
    let after = |from: DateTime<Utc>, hours: f64| {
        let amount = Duration::seconds((hours * 3600.0) as i64);
        if urgent {
            from + amount
        } else {
            calendar.add_working(from, amount)
        }
    };
    let acknowledge_hours = if urgent {
        lognormal(rng, 0.15, 0.8) * pace
    } else {
        lognormal(rng, 3.0, 1.0) * pace
    };
    let resolve_hours = if urgent {
        lognormal(rng, 3.0, 0.7) * pace
    } else {
        lognormal(rng, 16.0, 0.9) * pace
    };
    // About 2 % never acknowledged, 7 % stuck after it, 3 % rejected; the rest run their
    // course unless the time has not come yet.
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
    let id = Uuid::now_v7();
    let mut report = report::Model {
        id,
        ward_id: ward.id,
        neighborhood_id,
        reporter_id,
        description: text.clone(),
        address: None,
        lat: position.map(|p| p.0),
        lon: position.map(|p| p.1),
        accuracy_m: position.map(|p| p.2),
        category: subcategory.category().as_str().to_owned(),
        subcategory: subcategory.as_str().to_owned(),
        chosen_subcategory: None,
        priority: priority.as_str().to_owned(),
        status: status.as_str().to_owned(),
        department_id,
        classification: json!({}),
        duplicate_of: None,
        rating: None,
        response: resolved_at.map(|_| "Đã xử lý xong.".to_owned()),
        request_hash: String::new(),
        search_text: text::fold(&text),
        version: 1,
        created_at,
        updated_at: closed_at
            .or(resolved_at)
            .or(acknowledged_at)
            .unwrap_or(created_at),
        acknowledged_at,
        resolved_at,
        closed_at,
        assigned_at: None,
        acknowledge_due_at: None,
        acknowledge_warn_at: None,
        resolve_due_at: None,
        resolve_warn_at: None,
        ward_acknowledge_due_at: None,
        ward_resolve_due_at: None,
        acknowledge_working_seconds: None,
        resolve_working_seconds: None,
    };
    clock.start_ward_clock(&mut report);
    clock.start_department_clock(&mut report, created_at);
    clock.record_response_times(&mut report);
    if closed_at.is_some() {
        let on_time = report
            .resolve_due_at
            .zip(resolved_at)
            .is_some_and(|(due, done)| done <= due);
        report.rating = Some(if on_time {
            rng.random_range(3..=5)
        } else {
            rng.random_range(1..=4)
        });
    }
    let event = |event: EventType, at: DateTime<Utc>, to: Option<Status>| report_event::Model {
        id: Uuid::now_v7(),
        report_id: id,
        event_type: event.as_str().to_owned(),
        actor_id: None,
        from_status: None,
        to_status: to.map(|s| s.as_str().to_owned()),
        visibility: "public".to_owned(),
        text: None,
        data: json!({}),
        created_at: at,
    };
    let mut events = vec![
        event(EventType::Submitted, created_at, Some(Status::Submitted)),
        event(EventType::Assigned, created_at, Some(Status::Assigned)),
    ];
    if rejected {
        let at = after(created_at, acknowledge_hours).min(now);
        report.updated_at = at.trunc_subsecs(6);
        events.push(event(
            EventType::Rejected,
            report.updated_at,
            Some(Status::Rejected),
        ));
    }
    if let Some(at) = report.acknowledged_at {
        events.push(event(
            EventType::Acknowledged,
            at,
            Some(Status::Acknowledged),
        ));
    }
    if let Some(at) = resolved_at {
        events.push(event(EventType::Resolved, at, Some(Status::Resolved)));
    }
    if let Some(at) = closed_at {
        events.push(event(EventType::Closed, at, Some(Status::Closed)));
    }
    (report, events)
}

/// Adds `count` synthetic reports (see the module's description).
pub async fn seed(db: &DatabaseConnection, count: usize, seed: u64) -> anyhow::Result<()> {
    seed::seed_demo(db).await?;
    organise_city(db).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let wards = load_wards(db, &mut rng).await?;
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
    let before = report::Entity::find().count(db).await?;
    let now = Utc::now();
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
        let txn = begin_write(db).await?;
        for chunk in reports.chunks(400) {
            report::Entity::insert_many(chunk.iter().map(|r| report::ActiveModel::from(r.clone())))
                .exec_without_returning(&txn)
                .await?;
        }
        insert_events(&txn, &events, &[]).await?;
        let ids: Vec<Uuid> = reports.iter().map(|r| r.id).collect();
        crate::rollup::mark_changed(&txn, &ids).await?;
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
