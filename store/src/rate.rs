//! The database side of rate limits (`sos_domain::rate`): hits per key and window, shared by
//! every replica.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use sos_domain::rate::Hits;

fn table() -> Alias {
    Alias::new("rate_windows")
}

fn column(name: &'static str) -> Alias {
    Alias::new(name)
}

/// Counts `hits` hits of `key` in the window starting at `window_start` (seconds since the
/// epoch) and returns the hits of that window and of the `window_seconds` before.
pub async fn hit(
    db: &impl ConnectionTrait,
    key: &str,
    window_start: i64,
    window_seconds: i64,
    hits: u64,
) -> Result<Hits, DbErr> {
    let hits = i64::try_from(hits).unwrap_or(i64::MAX);
    let count = Query::insert()
        .into_table(table())
        .columns([column("key"), column("window_start"), column("hits")])
        .values_panic([key.into(), window_start.into(), hits.into()])
        .on_conflict(
            OnConflict::columns([column("key"), column("window_start")])
                .value(
                    column("hits"),
                    Expr::col((table(), column("hits"))).add(hits),
                )
                .to_owned(),
        )
        .returning_col(column("hits"))
        .to_owned();
    let current = match db.query_one(&count).await? {
        Some(row) => row.try_get::<i64>("", "hits")?,
        None => hits,
    };
    let before = Query::select()
        .column(column("hits"))
        .from(table())
        .and_where(Expr::col(column("key")).eq(key))
        .and_where(Expr::col(column("window_start")).eq(window_start - window_seconds))
        .to_owned();
    let previous = match db.query_one(&before).await? {
        Some(row) => row.try_get::<i64>("", "hits")?,
        None => 0,
    };
    Ok(Hits {
        previous: u64::try_from(previous).unwrap_or(0),
        current: u64::try_from(current).unwrap_or(0),
    })
}

/// Forgets the windows that started before `window_start`.
pub async fn forget_before(db: &impl ConnectionTrait, window_start: i64) -> Result<u64, DbErr> {
    let delete = Query::delete()
        .from_table(table())
        .and_where(Expr::col(column("window_start")).lt(window_start))
        .to_owned();
    Ok(db.execute(&delete).await?.rows_affected())
}
