//! Many accounts at once: a ward's administrator uploads the ward's people as a spreadsheet
//! (`sos_domain::roster` reads it however Excel saved it), first as a dry run that names every
//! row's problem, then for real, in one transaction: all the accounts, or none.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::{Caller, hash_password};
use crate::services::administration::{
    Created, NewAccount, checked_account, hand_over, one_time_password,
};
use crate::services::audit::{self, Author, account_change};
use crate::services::wards::configurable_ward;
use sos_domain::access;
use sos_domain::roster::{self, Column, RosterProblem, Row};
use sos_domain::text::fold;
use sos_store::accounts as store;
use sos_store::entities::{department, neighborhood, user};
use sos_store::wards;
use std::collections::HashSet;
use uuid::Uuid;

/// The largest file accepted: 2,000 rows of people fit in far less.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// What was found in one row.
pub struct RowCheck {
    pub line: usize,
    pub username: Option<String>,
    pub problems: Vec<FieldError>,
}

/// The result of an import: every row checked, and the accounts made (none in a dry run).
pub struct Imported {
    pub rows: Vec<RowCheck>,
    /// Each account, with how its one-time password reaches its owner.
    pub created: Vec<Created>,
}

fn file_problem(problem: RosterProblem) -> Problem {
    let (vi, en) = match problem {
        RosterProblem::Unreadable => (
            "Không đọc được tệp: hãy lưu bảng tính dạng CSV (UTF-8) hoặc Unicode Text.".to_owned(),
            "The file cannot be read: save the sheet as CSV (UTF-8) or Unicode Text.".to_owned(),
        ),
        RosterProblem::UnknownColumn(header) => (
            format!("Cột không rõ: «{header}»."),
            format!("Unknown column: \u{ab}{header}\u{bb}."),
        ),
        RosterProblem::MissingColumn(column) => (
            format!("Thiếu cột {}.", column.name()),
            format!("The column {} is missing.", column.name()),
        ),
        RosterProblem::DuplicateColumn(column) => (
            format!("Cột {} có hai lần.", column.name()),
            format!("The column {} appears twice.", column.name()),
        ),
        RosterProblem::TooManyRows => (
            format!("Tối đa {} dòng một tệp.", roster::MAX_ROWS),
            format!("At most {} rows a file.", roster::MAX_ROWS),
        ),
        RosterProblem::BadLine(line) => (
            format!("Dòng {line} không đọc được (dấu ngoặc kép chưa đóng?)."),
            format!("Line {line} cannot be read (a quote left open?)."),
        ),
    };
    Problem::field("/file", vi, en)
}

/// The neighborhood or department a cell names, by its code or its name, accents optional.
fn named<'a, T>(
    items: &'a [T],
    cell: &str,
    code: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let folded = fold(cell);
    items
        .iter()
        .find(|item| code(item).eq_ignore_ascii_case(cell.trim()))
        .or_else(|| items.iter().find(|item| fold(name(item)) == folded))
}

/// The account a row asks for, or what is wrong with its role and places.
fn asked_of(
    row: &Row,
    ward_id: Uuid,
    neighborhoods: &[neighborhood::Model],
    departments: &[department::Model],
    problems: &mut Vec<FieldError>,
) -> Option<NewAccount> {
    let role = row.get(Column::Role).and_then(roster::role);
    if role.is_none() {
        problems.push(FieldError::new(
            "/role",
            "Vai trò không rõ (trưởng khu phố, cán bộ, lãnh đạo phường, quản trị).",
            "Unknown role (neighborhood_head, department_staff, ward_leader, admin).",
        ));
    }
    let mut place = |column: Column, found: Option<Uuid>, vi: &str, en: &str| {
        if row.get(column).is_some() && found.is_none() {
            problems.push(FieldError::new(format!("/{}", column.name()), vi, en));
        }
        found
    };
    let neighborhood_id = place(
        Column::Neighborhood,
        row.get(Column::Neighborhood)
            .and_then(|cell| named(neighborhoods, cell, |n| &n.code, |n| &n.name))
            .map(|n| n.id),
        "Phường không có khu phố này.",
        "The ward has no such neighborhood.",
    );
    let department_id = place(
        Column::Department,
        row.get(Column::Department)
            .and_then(|cell| named(departments, cell, |d| &d.code, |d| &d.name))
            .map(|d| d.id),
        "Phường không có đơn vị này.",
        "The ward has no such department.",
    );
    Some(NewAccount {
        username: row.get(Column::Username).unwrap_or_default().to_owned(),
        display_name: row.get(Column::DisplayName).unwrap_or_default().to_owned(),
        role: role?,
        ward_id: Some(ward_id),
        neighborhood_id,
        department_id,
        phone: row.get(Column::Phone).map(str::to_owned),
        email: row.get(Column::Email).map(str::to_owned),
        replaces: None,
    })
}

/// A row's problems named by the sheet's columns (`/neighborhood`, not the API's
/// `/neighborhood_id`), one for each column: a place the ward lacks is also a place missing.
fn by_column(problems: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    problems
        .into_iter()
        .map(|mut problem| {
            problem.field = match problem.field.as_str() {
                "/neighborhood_id" => "/neighborhood".to_owned(),
                "/department_id" => "/department".to_owned(),
                _ => problem.field,
            };
            problem
        })
        .filter(|problem| seen.insert(problem.field.clone()))
        .collect()
}

/// `POST /v1/wards/{id}/accounts/import`: checks every row of the file; unless `dry_run`, and
/// only if no row has a problem, makes every account in one transaction.
pub async fn import(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    file: &[u8],
    dry_run: bool,
) -> Outcome<Imported> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    if !access::can_manage_account(&caller.actor, Some(ward.id)) {
        return Err(Problem::forbidden(
            "Tài khoản của bạn không quản lý tài khoản ở phường/xã này.",
            "Your account does not administer this ward's accounts.",
        ));
    }
    let rows = roster::read(file, &[Column::Username, Column::DisplayName, Column::Role])
        .map_err(file_problem)?;
    let db = &services.db;
    let neighborhoods: Vec<_> = wards::neighborhoods_of(db, [ward.id])
        .await?
        .into_iter()
        .filter(|n| n.active)
        .collect();
    let departments = wards::departments_of(db, [ward.id]).await?;
    let now = services.clock.now();
    let mut seen = HashSet::new();
    let mut checks = Vec::with_capacity(rows.len());
    let mut accounts = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut problems = Vec::new();
        let asked = asked_of(row, ward.id, &neighborhoods, &departments, &mut problems);
        let account = match asked {
            Some(asked) => Some(checked_account(db, &asked, now, &mut problems).await?),
            None => None,
        };
        if let Some(account) = &account
            && !account.username.is_empty()
        {
            let taken = !seen.insert(account.username.clone())
                || store::by_username(db, &account.username).await?.is_some();
            if taken {
                problems.push(FieldError::new(
                    "/username",
                    "Tên đăng nhập đã có người dùng (hoặc lặp lại trong tệp).",
                    "The username is taken (or repeated in the file).",
                ));
            }
        }
        checks.push(RowCheck {
            line: row.line,
            username: account.as_ref().map(|a| a.username.clone()),
            problems: by_column(problems),
        });
        accounts.extend(account);
    }
    let clean = checks.iter().all(|c| c.problems.is_empty());
    if dry_run || !clean {
        if !dry_run {
            return Err(Problem::validation(
                checks
                    .into_iter()
                    .flat_map(|c| {
                        c.problems.into_iter().map(move |p| FieldError {
                            field: format!("/lines/{}{}", c.line, p.field),
                            message: p.message,
                        })
                    })
                    .collect(),
            ));
        }
        return Ok(Imported {
            rows: checks,
            created: Vec::new(),
        });
    }
    let created = make_all(services, caller, accounts).await?;
    Ok(Imported {
        rows: checks,
        created,
    })
}

/// Gives each account a one-time password and stores them all, or none.
async fn make_all(
    services: &Services,
    caller: &Caller,
    accounts: Vec<user::Model>,
) -> Outcome<Vec<Created>> {
    let passwords: Vec<String> = accounts.iter().map(|_| one_time_password()).collect();
    let to_hash = passwords.clone();
    let hashes = tokio::task::spawn_blocking(move || {
        to_hash
            .iter()
            .map(|p| hash_password(p))
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await
    .map_err(Problem::internal)?
    .map_err(Problem::internal)?;
    let now = services.clock.now();
    let author = Author::of(caller);
    let txn = services.begin_write().await?;
    let mut created = Vec::with_capacity(accounts.len());
    for ((mut account, hash), password) in accounts.into_iter().zip(hashes).zip(passwords) {
        account.password_hash = hash;
        store::insert_user(&*txn, account.clone()).await?;
        let change = account_change("account.created", None, Some(&account));
        audit::record(&*txn, now, &author, change).await?;
        created.push((account, password));
    }
    txn.commit().await?;
    services
        .people_changed(created.iter().map(|(account, _)| account.ward_id))
        .await;
    tracing::info!(accounts = created.len(), "accounts imported");
    let mut handed = Vec::with_capacity(created.len());
    for (account, password) in created {
        let password = hand_over(services, &account, password).await;
        handed.push(Created { account, password });
    }
    Ok(handed)
}
