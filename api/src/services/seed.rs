//! Reference data (Vietnam's provinces and wards since 1 July 2025) and the demo organisation:
//! two wards of Ho Chi Minh City with their neighborhoods, departments, routing tables and
//! accounts.

use crate::clock::Clock;
use crate::services::accounts::hash_password;
use crate::services::geography::{self, Import, Importer};
use chrono::{DateTime, Datelike, Utc};
use sos_domain::boundaries::Level;
use sos_domain::language::Lang;
use sos_domain::sla::holidays;
use sos_domain::taxonomy::{DepartmentCode, Role, Subcategory};
use sos_store::entities::{calendar_day, department, neighborhood, province, user, ward};
use sos_store::{
    ConnectionTrait, DatabaseConnection, Stored, Writer, accounts, db, seed, wards as store_wards,
    working_time,
};
use uuid::Uuid;

/// The national list of administrative units in force since 1 July 2025 (codes and names).
const WARDS_CSV: &str = include_str!("../../data/vn_wards_2025.csv");

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
pub async fn seed_reference(
    db: &DatabaseConnection,
    writer: &Writer,
    clock: &Clock,
) -> anyhow::Result<()> {
    seed_calendar(db, writer).await?;
    fill_search_texts(db, writer).await?;
    if seed::has_reference(db).await? {
        return Ok(());
    }
    let rows = ward_rows()?;
    let mut provinces: Vec<(i32, &str)> = rows
        .iter()
        .map(|r| (r.province_code, r.province_name.as_str()))
        .collect();
    provinces.sort();
    provinces.dedup();
    let now = clock.now();
    let wards = rows
        .iter()
        .map(|r| ward::Model {
            id: Uuid::now_v7(),
            code: r.code,
            province_code: r.province_code,
            name: r.name.clone(),
            division_type: r.division_type.clone(),
            created_at: now,
            office_hours: None,
            activated_at: None,
            deactivated_at: None,
            contact_phone: None,
            contact_email: None,
            contact_address: None,
        })
        .collect();
    let province_rows = provinces
        .iter()
        .map(|(code, name)| province::Model {
            code: *code,
            name: (*name).to_owned(),
        })
        .collect();
    let txn = writer.begin(db).await?;
    seed::insert_reference(&*txn, province_rows, wards).await?;
    txn.commit().await?;
    tracing::info!(
        provinces = provinces.len(),
        wards = rows.len(),
        "reference data loaded"
    );
    Ok(())
}

/// Gives the accounts made before account search existed their search text.
async fn fill_search_texts(db: &DatabaseConnection, writer: &Writer) -> anyhow::Result<()> {
    let missing = accounts::without_search_text(db).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let txn = writer.begin(db).await?;
    for mut account in missing {
        account.search_text = sos_domain::accounts::search_text(
            &account.username,
            &account.display_name,
            account.phone.as_deref(),
            account.email.as_deref(),
        );
        accounts::update_user(&*txn, account).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Adds the built-in days off of each year the calendar has no day of: an admin's changes to
/// a year stay as they are, and a release that knows a new year brings it in.
async fn seed_calendar(db: &DatabaseConnection, writer: &Writer) -> anyhow::Result<()> {
    let known_years: std::collections::BTreeSet<i32> = working_time::calendar_days(db)
        .await?
        .iter()
        .map(|(date, _)| date.year())
        .collect();
    let missing: Vec<calendar_day::Model> = holidays::builtin_days()
        .into_iter()
        .filter(|day| !known_years.contains(&day.date.year()))
        .map(|day| calendar_day::Model {
            date: day.date,
            kind: Stored(day.kind),
            name: day.name,
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let count = missing.len();
    let txn = writer.begin(db).await?;
    working_time::insert_missing_days(&*txn, missing).await?;
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

async fn seed_demo_boundaries(
    db: &DatabaseConnection,
    writer: &Writer,
    clock: &Clock,
) -> anyhow::Result<()> {
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
        let asked = Import {
            level,
            collection: &collection,
            valid_from: from,
            approximate: true,
            source: "demo: approximate shapes, not official boundaries".to_owned(),
            importer: Importer::Anywhere,
        };
        let imported = geography::import(db, writer, clock, asked).await?;
        anyhow::ensure!(
            imported.rejected.is_empty(),
            "demo boundaries rejected: {:?}",
            imported.rejected
        );
    }
    Ok(())
}

/// The outside agencies of the default template (code, name, the demo's mailbox): reached by
/// e-mail, a ward department stays responsible.
pub const AGENCIES: [(&str, &str, &str); 3] = [
    ("power_utility", "Công ty Điện lực (khu vực)", "dienluc"),
    ("water_utility", "Công ty Cấp nước (khu vực)", "capnuoc"),
    ("public_works", "Công ty Dịch vụ công ích", "congich"),
];

/// Creates the demo wards' organisation and accounts, unless they exist already.
pub async fn seed_demo(
    db: &DatabaseConnection,
    writer: &Writer,
    clock: &Clock,
) -> anyhow::Result<()> {
    let lock = db::startup_lock(db).await?;
    seed_reference(db, writer, clock).await?;
    if accounts::by_username(db, "admin").await?.is_some() {
        return Ok(());
    }
    // One hash for every demo account: they share the published demo password anyway, and
    // hashing it thirty times would only slow the start.
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let now = clock.now();
    let txn = writer.begin(db).await?;
    let city = [
        account(
            "admin",
            "Quản trị hệ thống",
            Role::Admin,
            &password_hash,
            now,
        ),
        account(
            "city.leader",
            "Lãnh đạo Thành phố",
            Role::CityLeader,
            &password_hash,
            now,
        ),
    ];
    accounts::insert_users(&*txn, city).await?;
    for (code, prefix) in DEMO_WARDS {
        let ward = seed::ward_by_code(&*txn, HCMC, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("ward {code} is missing from the reference data"))?;
        let template = WardTemplate {
            prefix,
            neighborhoods: DEMO_NEIGHBORHOODS,
            password_hash: &password_hash,
            at: now,
        };
        organise_ward(&*txn, &ward, &template).await?;
    }
    txn.commit().await?;
    seed_demo_boundaries(db, writer, clock).await?;
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
    at: DateTime<Utc>,
) -> user::Model {
    user::Model {
        id: Uuid::now_v7(),
        username: username.to_owned(),
        password_hash: password_hash.to_owned(),
        display_name: display_name.to_owned(),
        role: Stored(role),
        ward_id: None,
        neighborhood_id: None,
        department_id: None,
        email: None,
        active: true,
        created_at: at,
        phone: None,
        must_change_password: false,
        search_text: sos_domain::accounts::search_text(username, display_name, None, None),
        language: Stored(Lang::Vi),
    }
}

/// How a ward is organised by [`organise_ward`].
pub struct WardTemplate<'a> {
    /// Usernames start with it (`tnp.kp1`).
    pub prefix: &'a str,
    pub neighborhoods: usize,
    pub password_hash: &'a str,
    pub at: DateTime<Utc>,
}

/// The default departments of a ward (TAXONOMY), the triage desk among them, and the three
/// external agencies, each with the address `agency_email` gives it (none: told later).
pub fn template_departments(
    ward: &ward::Model,
    agency_email: impl Fn(&str) -> Option<String>,
    at: DateTime<Utc>,
) -> Vec<department::Model> {
    let department = |code: &str, name: &str, external, email, triage_desk| department::Model {
        id: Uuid::now_v7(),
        ward_id: ward.id,
        code: code.to_owned(),
        name: name.to_owned(),
        external,
        email,
        triage_desk,
        created_at: at,
    };
    // A department's name is the ward's own, as the ward writes it: in Vietnamese.
    let mut rows: Vec<department::Model> = DepartmentCode::ALL
        .iter()
        .map(|t| {
            department(
                t.as_str(),
                t.label(Lang::Vi),
                false,
                None,
                *t == DepartmentCode::WardOffice,
            )
        })
        .collect();
    rows.extend(
        AGENCIES
            .iter()
            .map(|(agency, name, _)| department(agency, name, true, agency_email(agency), false)),
    );
    rows
}

/// Puts a ward in service with the default template: its departments and agencies, and the
/// TAXONOMY routing table.
pub async fn install_template(
    txn: &impl ConnectionTrait,
    ward: &ward::Model,
    departments: &[department::Model],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    seed::insert_departments(txn, departments).await?;
    let of_template = |code: DepartmentCode| {
        departments
            .iter()
            .find(|d| d.code == code.as_str())
            .expect("the template's departments")
    };
    seed::insert_routing(
        txn,
        ward.id,
        Subcategory::ALL
            .iter()
            .map(|s| (*s, of_template(s.default_department()).id)),
    )
    .await?;
    store_wards::activate(txn, ward.id, at).await?;
    Ok(())
}

/// Gives a ward the default template and puts it in service: the five departments, three
/// external agencies, the TAXONOMY routing, `neighborhoods` neighborhoods (Khu phố 1…n) each
/// with a head, a leader, an administrator and one staff account per department; usernames
/// start with `prefix`.
pub async fn organise_ward(
    txn: &impl ConnectionTrait,
    ward: &ward::Model,
    template: &WardTemplate<'_>,
) -> anyhow::Result<()> {
    let (prefix, at) = (template.prefix, template.at);
    let demo_mailbox = |code: &str| {
        AGENCIES
            .iter()
            .find(|(agency, _, _)| *agency == code)
            .map(|(_, _, mailbox)| format!("{mailbox}.{prefix}@example.com"))
    };
    let departments = template_departments(ward, demo_mailbox, at);
    install_template(txn, ward, &departments, at).await?;
    let of_template = |code: DepartmentCode| {
        departments
            .iter()
            .find(|d| d.code == code.as_str())
            .expect("the template's departments")
    };
    let attached = |username: &str, display_name: &str, role: Role| user::Model {
        ward_id: Some(ward.id),
        ..account(username, display_name, role, template.password_hash, at)
    };
    let mut users = vec![
        attached(
            &format!("{prefix}.leader"),
            &format!("Lãnh đạo {}", ward.name),
            Role::WardLeader,
        ),
        attached(
            &format!("{prefix}.admin"),
            &format!("Quản trị {}", ward.name),
            Role::Admin,
        ),
    ];
    for (suffix, code) in [
        ("triage", DepartmentCode::WardOffice),
        ("infra", DepartmentCode::EconomyInfrastructure),
        ("police", DepartmentCode::WardPolice),
        ("order", DepartmentCode::UrbanOrder),
        ("culture", DepartmentCode::CultureSociety),
    ] {
        let department = of_template(code);
        users.push(user::Model {
            department_id: Some(department.id),
            ..attached(
                &format!("{prefix}.{suffix}"),
                &format!("Cán bộ {}", department.name),
                Role::DepartmentStaff,
            )
        });
    }
    let neighborhoods: Vec<neighborhood::Model> = (1..=template.neighborhoods)
        .map(|n| neighborhood::Model {
            id: Uuid::now_v7(),
            ward_id: ward.id,
            code: format!("kp{n}"),
            name: format!("Khu phố {n}"),
            created_at: at,
            active: true,
            merged_into: None,
            merged_from: None,
        })
        .collect();
    seed::insert_neighborhoods(txn, &neighborhoods).await?;
    for (n, kp) in neighborhoods.iter().enumerate() {
        users.push(user::Model {
            neighborhood_id: Some(kp.id),
            ..attached(
                &format!("{prefix}.kp{}", n + 1),
                &format!("Trưởng khu phố {}, {}", n + 1, ward.name),
                Role::NeighborhoodHead,
            )
        });
    }
    accounts::insert_users(txn, users).await?;
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
