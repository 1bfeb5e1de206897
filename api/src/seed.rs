//! Reference data (Vietnam's provinces and wards since 1 July 2025) and the demo organisation:
//! two wards of Ho Chi Minh City with their neighborhoods, departments, routing tables and
//! accounts.

use crate::auth::hash_password;
use crate::db::begin_write;
use crate::store::entities::{
    calendar_day, department, neighborhood, province, routing_rule, user, ward,
};
use chrono::{Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use sos_domain::boundaries::Level;
use sos_domain::sla::holidays;
use sos_domain::taxonomy::{DepartmentCode, Role, Subcategory};
use uuid::Uuid;

/// The national list of administrative units in force since 1 July 2025 (codes and names).
const WARDS_CSV: &str = include_str!("../data/vn_wards_2025.csv");

pub const DEMO_PASSWORD: &str = "sos-demo";
const HCMC: i32 = 79;
/// The demo wards: official code, account prefix.
pub const DEMO_WARDS: [(i32, &str); 2] = [(26842, "tnp"), (27139, "xh")];
const DEMO_NEIGHBORHOODS: usize = 5;

pub struct WardRow {
    pub province_code: i32,
    pub province_name: String,
    pub code: i32,
    pub name: String,
    pub division_type: String,
}

pub fn ward_rows() -> anyhow::Result<Vec<WardRow>> {
    let mut rows = Vec::new();
    for (n, line) in WARDS_CSV.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let [province_code, province_name, code, name, division_type] = fields[..] else {
            anyhow::bail!("vn_wards_2025.csv line {}: expected 5 fields", n + 1);
        };
        rows.push(WardRow {
            province_code: province_code.parse()?,
            province_name: province_name.to_owned(),
            code: code.parse()?,
            name: name.to_owned(),
            division_type: division_type.to_owned(),
        });
    }
    Ok(rows)
}

/// Loads provinces and wards once; a database that has them is left alone. The built-in
/// calendar of days off is added for the years the database has no day of.
pub async fn seed_reference(db: &DatabaseConnection) -> anyhow::Result<()> {
    seed_calendar(db).await?;
    if ward::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let rows = ward_rows()?;
    let txn = begin_write(db).await?;
    let mut provinces: Vec<(i32, &str)> = rows
        .iter()
        .map(|r| (r.province_code, r.province_name.as_str()))
        .collect();
    provinces.sort();
    provinces.dedup();
    province::Entity::insert_many(provinces.iter().map(|(code, name)| province::ActiveModel {
        code: Set(*code),
        name: Set((*name).to_owned()),
    }))
    .exec_without_returning(&txn)
    .await?;
    let now = Utc::now();
    // Chunks keep each statement under SQLite's limit on bound parameters.
    for chunk in rows.chunks(500) {
        ward::Entity::insert_many(chunk.iter().map(|r| ward::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(r.code),
            province_code: Set(r.province_code),
            name: Set(r.name.clone()),
            division_type: Set(r.division_type.clone()),
            created_at: Set(now),
            office_hours: Set(None),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    tracing::info!(
        provinces = provinces.len(),
        wards = rows.len(),
        "reference data loaded"
    );
    Ok(())
}

/// Adds the built-in days off of each year the calendar has no day of: an admin's changes to
/// a year stay as they are, and a release that knows a new year brings it in.
async fn seed_calendar(db: &DatabaseConnection) -> anyhow::Result<()> {
    let known_years: std::collections::BTreeSet<i32> = calendar_day::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|day| day.date.year())
        .collect();
    let missing: Vec<calendar_day::ActiveModel> = holidays::builtin_days()
        .into_iter()
        .filter(|day| !known_years.contains(&day.date.year()))
        .map(|day| calendar_day::ActiveModel {
            date: Set(day.date),
            kind: Set(crate::sla::day_kind_code(day.kind).to_owned()),
            name: Set(day.name),
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let count = missing.len();
    let txn = begin_write(db).await?;
    calendar_day::Entity::insert_many(missing)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(days = count, "built-in calendar of days off loaded");
    Ok(())
}

/// Approximate shapes of the demo wards around their real place (Tăng Nhơn Phú by Lê Văn
/// Việt street, Xuân Hòa in the old District 3): a box per ward cut into five bands of
/// latitude, one per neighborhood. Drawn for the demo, marked `approximate`: not official.
/// (ward code, [west, south, east, north], neighborhood bands south to north)
const DEMO_SHAPES: [(i32, [f64; 4], [&str; 5]); 2] = [
    (
        26842,
        [106.770, 10.832, 106.810, 10.872],
        ["kp5", "kp1", "kp2", "kp3", "kp4"],
    ),
    (
        27139,
        [106.680, 10.770, 106.700, 10.790],
        ["kp4", "kp5", "kp1", "kp2", "kp3"],
    ),
];

/// The date the demo shapes take effect: the day the two-level government began.
const DEMO_SHAPES_FROM: (i32, u32, u32) = (2025, 7, 1);

fn demo_feature(
    ward_code: i32,
    neighborhood: Option<&str>,
    [west, south, east, north]: [f64; 4],
) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "properties": {"ward_code": ward_code, "neighborhood_code": neighborhood},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
        },
    })
}

async fn seed_demo_boundaries(db: &DatabaseConnection) -> anyhow::Result<()> {
    let (year, month, day) = DEMO_SHAPES_FROM;
    let from = chrono::NaiveDate::from_ymd_opt(year, month, day).expect("a valid date");
    let wards = DEMO_SHAPES
        .iter()
        .map(|(code, bounds, _)| demo_feature(*code, None, *bounds))
        .collect::<Vec<_>>();
    let mut neighborhoods = Vec::new();
    for (code, [west, south, east, north], bands) in DEMO_SHAPES {
        let height = (north - south) / bands.len() as f64;
        for (i, kp) in bands.iter().enumerate() {
            let band_south = south + height * i as f64;
            neighborhoods.push(demo_feature(
                code,
                Some(kp),
                [west, band_south, east, band_south + height],
            ));
        }
    }
    for (level, features) in [(Level::Ward, wards), (Level::Neighborhood, neighborhoods)] {
        let collection = serde_json::json!({"type": "FeatureCollection", "features": features});
        let imported = crate::geography::import(
            db,
            level,
            &collection,
            from,
            true,
            "demo: approximate shapes, not official boundaries",
            crate::geography::Importer::Anywhere,
        )
        .await?;
        anyhow::ensure!(
            imported.rejected.is_empty(),
            "demo boundaries rejected: {:?}",
            imported.rejected
        );
    }
    Ok(())
}

/// Outside agencies of the demo wards: reached by e-mail, a ward department stays responsible.
const DEMO_AGENCIES: [(&str, &str, &str); 3] = [
    ("power_utility", "Công ty Điện lực (khu vực)", "dienluc"),
    ("water_utility", "Công ty Cấp nước (khu vực)", "capnuoc"),
    ("public_works", "Công ty Dịch vụ công ích", "congich"),
];

/// Creates the demo wards' organisation and accounts, unless they exist already.
pub async fn seed_demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    let lock = crate::db::startup_lock(db).await?;
    seed_reference(db).await?;
    if user::Entity::find()
        .filter(user::Column::Username.eq("admin"))
        .count(db)
        .await?
        > 0
    {
        return Ok(());
    }
    // One hash for every demo account: they share the published demo password anyway, and
    // hashing it thirty times would only slow the start.
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let txn = begin_write(db).await?;
    account("admin", "Quản trị hệ thống", Role::Admin, &password_hash)
        .insert(&txn)
        .await?;
    account(
        "city.leader",
        "Lãnh đạo Thành phố",
        Role::CityLeader,
        &password_hash,
    )
    .insert(&txn)
    .await?;

    for (code, prefix) in DEMO_WARDS {
        let ward = ward::Entity::find()
            .filter(ward::Column::Code.eq(code))
            .filter(ward::Column::ProvinceCode.eq(HCMC))
            .one(&txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("ward {code} is missing from the reference data"))?;
        organise_ward(&txn, &ward, prefix, DEMO_NEIGHBORHOODS, &password_hash).await?;
    }
    txn.commit().await?;
    seed_demo_boundaries(db).await?;
    if let Some(lock) = lock {
        lock.commit().await?;
    }
    tracing::info!("demo wards and accounts created (password {DEMO_PASSWORD:?})");
    Ok(())
}

fn account(
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        display_name: Set(display_name.to_owned()),
        role: Set(role.as_str().to_owned()),
        ward_id: Set(None),
        neighborhood_id: Set(None),
        department_id: Set(None),
        email: Set(None),
        active: Set(true),
        created_at: Set(Utc::now()),
    }
}

/// Gives a ward the default template: the five departments, three external agencies, the
/// TAXONOMY routing, `neighborhoods` neighborhoods (Khu phố 1…n) each with a head, a leader
/// and one staff account per department; usernames start with `prefix`.
pub async fn organise_ward(
    txn: &impl ConnectionTrait,
    ward: &ward::Model,
    prefix: &str,
    neighborhoods: usize,
    password_hash: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut departments = Vec::new();
    for template in DepartmentCode::ALL {
        let model = department::ActiveModel {
            id: Set(Uuid::now_v7()),
            ward_id: Set(ward.id),
            code: Set(template.as_str().to_owned()),
            name: Set(template.label().to_owned()),
            external: Set(false),
            email: Set(None),
            triage_desk: Set(*template == DepartmentCode::WardOffice),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
        departments.push((*template, model));
    }
    for (agency, name, mailbox) in DEMO_AGENCIES {
        department::ActiveModel {
            id: Set(Uuid::now_v7()),
            ward_id: Set(ward.id),
            code: Set(agency.to_owned()),
            name: Set(name.to_owned()),
            external: Set(true),
            email: Set(Some(format!("{mailbox}.{prefix}@example.com"))),
            triage_desk: Set(false),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    seed_routing(txn, ward.id, &departments).await?;

    let attached = |username: &str, display_name: &str, role: Role| {
        let mut model = account(username, display_name, role, password_hash);
        model.ward_id = Set(Some(ward.id));
        model
    };
    attached(
        &format!("{prefix}.leader"),
        &format!("Lãnh đạo {}", ward.name),
        Role::WardLeader,
    )
    .insert(txn)
    .await?;
    for (suffix, template) in [
        ("triage", DepartmentCode::WardOffice),
        ("infra", DepartmentCode::EconomyInfrastructure),
        ("police", DepartmentCode::WardPolice),
        ("order", DepartmentCode::UrbanOrder),
        ("culture", DepartmentCode::CultureSociety),
    ] {
        let department = &departments
            .iter()
            .find(|(t, _)| *t == template)
            .expect("template department")
            .1;
        let mut staff = attached(
            &format!("{prefix}.{suffix}"),
            &format!("Cán bộ {}", department.name),
            Role::DepartmentStaff,
        );
        staff.department_id = Set(Some(department.id));
        staff.insert(txn).await?;
    }
    for n in 1..=neighborhoods {
        let kp = neighborhood::ActiveModel {
            id: Set(Uuid::now_v7()),
            ward_id: Set(ward.id),
            code: Set(format!("kp{n}")),
            name: Set(format!("Khu phố {n}")),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
        let mut head = attached(
            &format!("{prefix}.kp{n}"),
            &format!("Trưởng khu phố {n}, {}", ward.name),
            Role::NeighborhoodHead,
        );
        head.neighborhood_id = Set(Some(kp.id));
        head.insert(txn).await?;
    }
    Ok(())
}

/// The TAXONOMY defaults: each subcategory to its default department.
async fn seed_routing(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    departments: &[(DepartmentCode, department::Model)],
) -> anyhow::Result<()> {
    let rules = Subcategory::ALL.iter().filter_map(|s| {
        departments
            .iter()
            .find(|(t, _)| *t == s.default_department())
            .map(|(_, d)| routing_rule::ActiveModel {
                ward_id: Set(ward_id),
                subcategory: Set(s.as_str().to_owned()),
                department_id: Set(d.id),
            })
    });
    routing_rule::Entity::insert_many(rules)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_list_has_every_unit_and_the_demo_wards() {
        let rows = ward_rows().unwrap();
        assert_eq!(rows.len(), 3321);
        let hcmc: Vec<_> = rows.iter().filter(|r| r.province_code == HCMC).collect();
        assert_eq!(hcmc.len(), 168);
        for (code, _) in DEMO_WARDS {
            assert!(hcmc.iter().any(|r| r.code == code), "{code}");
        }
        let mut provinces: Vec<i32> = rows.iter().map(|r| r.province_code).collect();
        provinces.dedup();
        provinces.sort();
        provinces.dedup();
        assert_eq!(provinces.len(), 34);
    }
}
