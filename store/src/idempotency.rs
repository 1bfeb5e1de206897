//! The database side of retried writes (`sos_domain::idempotency`): one row per account and
//! key, claimed by the first request that inserts it, so that of two replicas receiving the
//! same write only one runs it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use sos_domain::idempotency::Remembered;
use uuid::Uuid;

fn table() -> Alias {
    Alias::new("idempotency_keys")
}

fn column(name: &'static str) -> Alias {
    Alias::new(name)
}

/// The first answer to a write, as it is replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// A key as it is kept: what its request was, and its answer once there is one.
#[derive(Debug, Clone)]
pub struct Kept {
    pub remembered: Remembered,
    pub answer: Option<Answer>,
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn kept(row: &QueryResult) -> Result<Kept, DbErr> {
    let status: Option<i32> = row.try_get("", "status")?;
    let started_at = DateTime::from_timestamp_millis(row.try_get("", "started_at")?)
        .ok_or_else(|| DbErr::Custom("idempotency key with an impossible time".into()))?;
    let answer = match status {
        Some(status) => Some(Answer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: row.try_get("", "content_type")?,
            location: row.try_get("", "location")?,
            body: row
                .try_get::<Option<Vec<u8>>>("", "body")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Kept {
        remembered: Remembered {
            fingerprint: row.try_get("", "fingerprint")?,
            started_at,
            answered: answer.is_some(),
        },
        answer,
    })
}

fn this_key(account: Uuid, key: &str) -> [sea_orm::sea_query::SimpleExpr; 2] {
    [
        Expr::col(column("account_id")).eq(account),
        Expr::col(column("key")).eq(key),
    ]
}

/// Claims `key` of `account` for a request with `fingerprint`: true if this request inserted
/// it and so is the one to run; false if the key was already there.
pub async fn claim(
    db: &impl ConnectionTrait,
    account: Uuid,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let insert = Query::insert()
        .into_table(table())
        .columns([
            column("account_id"),
            column("key"),
            column("fingerprint"),
            column("started_at"),
        ])
        .values_panic([
            account.into(),
            key.into(),
            fingerprint.into(),
            millis(now).into(),
        ])
        .on_conflict(
            OnConflict::columns([column("account_id"), column("key")])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(db.execute(&insert).await?.rows_affected() == 1)
}

/// What `key` of `account` keeps, if anything.
pub async fn find(
    db: &impl ConnectionTrait,
    account: Uuid,
    key: &str,
) -> Result<Option<Kept>, DbErr> {
    let [of_account, of_key] = this_key(account, key);
    let select = Query::select()
        .columns([
            column("fingerprint"),
            column("started_at"),
            column("status"),
            column("content_type"),
            column("location"),
            column("body"),
        ])
        .from(table())
        .and_where(of_account)
        .and_where(of_key)
        .to_owned();
    db.query_one(&select).await?.as_ref().map(kept).transpose()
}

/// Takes over a key that expired or whose request was cut off, for a new request: true unless
/// another request took it first (the key no longer started at `was_started_at`).
pub async fn take_over(
    db: &impl ConnectionTrait,
    account: Uuid,
    key: &str,
    was_started_at: DateTime<Utc>,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let [of_account, of_key] = this_key(account, key);
    let update = Query::update()
        .table(table())
        .values([
            (column("fingerprint"), fingerprint.into()),
            (column("started_at"), millis(now).into()),
            (column("status"), Option::<i32>::None.into()),
            (column("content_type"), Option::<String>::None.into()),
            (column("location"), Option::<String>::None.into()),
            (column("body"), Option::<Vec<u8>>::None.into()),
        ])
        .and_where(of_account)
        .and_where(of_key)
        .and_where(Expr::col(column("started_at")).eq(millis(was_started_at)))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

/// Keeps the answer of the request that claimed `key`.
pub async fn answer(
    db: &impl ConnectionTrait,
    account: Uuid,
    key: &str,
    answer: &Answer,
) -> Result<(), DbErr> {
    let [of_account, of_key] = this_key(account, key);
    let update = Query::update()
        .table(table())
        .values([
            (column("status"), i32::from(answer.status).into()),
            (column("content_type"), answer.content_type.clone().into()),
            (column("location"), answer.location.clone().into()),
            (column("body"), answer.body.clone().into()),
        ])
        .and_where(of_account)
        .and_where(of_key)
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

/// Forgets `key` of `account`, so that a retry runs afresh.
pub async fn release(db: &impl ConnectionTrait, account: Uuid, key: &str) -> Result<(), DbErr> {
    let [of_account, of_key] = this_key(account, key);
    let delete = Query::delete()
        .from_table(table())
        .and_where(of_account)
        .and_where(of_key)
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Forgets the keys first used before `cutoff`.
pub async fn forget_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    let delete = Query::delete()
        .from_table(table())
        .and_where(Expr::col(column("started_at")).lt(millis(cutoff)))
        .to_owned();
    Ok(db.execute(&delete).await?.rows_affected())
}
