//! Multi-row statements whose SQL text depends on the table, not on how many rows or ids they
//! carry.
//!
//! sqlx prepares every statement it runs and keeps up to 100 per connection, each with the
//! types of its parameters. A `VALUES` list or an `IN` list has a placeholder per cell, so
//! each batch size was a new statement: under sustained intake every connection filled its
//! cache with statements of thousands of parameters, prepared again as they were evicted.
//! Here a batch of any size runs one of a few statement texts:
//! - PostgreSQL inserts pass all rows as one JSON parameter, turned into the table's row type
//!   by `json_populate_recordset`: one text per table (and per mix of tables, see
//!   [`crate::reports::insert_records`]).
//! - SQLite inserts are cut into chunks of power-of-two sizes (a batch of 13 is 8 + 4 + 1): a
//!   handful of texts per table, and no network round trip to pay for the extra statements.
//! - Lists of ids are padded to a power-of-two length with their last id, which changes
//!   nothing an `IN` matches.

use chrono::SecondsFormat;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, ModelTrait, PrimaryKeyToColumn, PrimaryKeyTrait, Statement,
    TryInsertResult, Value,
};
use serde_json::Value as Json;
use std::collections::HashSet;
use std::fmt::Write;
use uuid::Uuid;

/// Rows per SQLite insert at most: a power of two whose bound parameters stay far under
/// SQLite's limit of 32,766 even for the widest table (reports, 36 columns).
const MOST_ROWS_PER_CHUNK: usize = 256;

/// Longest padded list of ids: longer lists go in several statements.
const MOST_IDS_PER_LIST: usize = 512;

/// The sizes of the chunks `rows` rows are written in on SQLite, largest first: powers of two
/// up to [`MOST_ROWS_PER_CHUNK`].
fn chunk_sizes(mut rows: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (rows > 0).then(|| {
            let size = (1 << rows.ilog2()).min(MOST_ROWS_PER_CHUNK);
            rows -= size;
            size
        })
    })
}

/// `rows` cut into chunks of [`chunk_sizes`].
fn chunks<M>(mut rows: &[M]) -> impl Iterator<Item = &[M]> {
    chunk_sizes(rows.len()).map(move |size| {
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        chunk
    })
}

/// `ids` in lists of [`MOST_IDS_PER_LIST`] at most, each padded to a power-of-two length with
/// its last id; none for no ids.
pub(crate) fn id_lists(ids: &[Uuid]) -> impl Iterator<Item = Vec<Uuid>> + '_ {
    ids.chunks(MOST_IDS_PER_LIST).map(|list| {
        let mut padded = list.to_vec();
        let last = *list.last().expect("chunks are never empty");
        padded.resize(list.len().next_power_of_two(), last);
        padded
    })
}

/// The PostgreSQL insert of every column of `E`, from the JSON array of rows in parameter
/// `$param`.
fn insert_from_json<E: EntityTrait>(param: usize) -> String {
    let table = E::default().table_name();
    let mut columns = String::new();
    for (n, column) in E::Column::iter().enumerate() {
        let comma = if n == 0 { "" } else { ", " };
        let _ = write!(columns, "{comma}\"{}\"", column.as_str());
    }
    format!(
        "INSERT INTO \"{table}\" ({columns}) SELECT {columns} \
         FROM json_populate_recordset(NULL::\"{table}\", ${param}::json)"
    )
}

/// `rows` as a JSON array of objects keyed by column name, in the text forms PostgreSQL reads
/// for each column's type.
fn rows_json<M: ModelTrait>(rows: &[M]) -> Result<Value, DbErr> {
    let mut json = String::with_capacity(rows.len() * 512);
    json.push('[');
    for (n, row) in rows.iter().enumerate() {
        json.push_str(if n == 0 { "{" } else { ",{" });
        for (c, column) in <M::Entity as EntityTrait>::Column::iter().enumerate() {
            // Column names are plain identifiers: nothing to escape.
            let comma = if c == 0 { "" } else { "," };
            let _ = write!(
                json,
                "{comma}\"{}\":{}",
                column.as_str(),
                cell_json(row.get(column))?
            );
        }
        json.push('}');
    }
    json.push(']');
    Ok(Value::String(Some(json)))
}

fn cell_json(value: Value) -> Result<Json, DbErr> {
    Ok(match value {
        Value::Bool(v) => v.map(Json::from).unwrap_or(Json::Null),
        Value::Int(v) => v.map(Json::from).unwrap_or(Json::Null),
        Value::BigInt(v) => v.map(Json::from).unwrap_or(Json::Null),
        Value::Double(v) => v.map(Json::from).unwrap_or(Json::Null),
        Value::String(v) => v.map(Json::from).unwrap_or(Json::Null),
        Value::Json(v) => v.map(|json| *json).unwrap_or(Json::Null),
        Value::Uuid(v) => v.map(|id| Json::from(id.to_string())).unwrap_or(Json::Null),
        Value::ChronoDate(v) => v
            .map(|day| Json::from(day.format("%Y-%m-%d").to_string()))
            .unwrap_or(Json::Null),
        // Microseconds, truncated as a bound parameter is: PostgreSQL keeps no finer time.
        Value::ChronoDateTimeUtc(v) => v
            .map(|at| Json::from(at.to_rfc3339_opts(SecondsFormat::Micros, true)))
            .unwrap_or(Json::Null),
        other => {
            return Err(DbErr::Custom(format!(
                "no JSON form for a column value of this type: {other:?}"
            )));
        }
    })
}

/// One PostgreSQL statement inserting rows of several tables: each table's insert but the
/// last is a data-modifying `WITH` part of the last. None when every table is empty.
pub(crate) struct PostgresInserts {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl PostgresInserts {
    pub(crate) fn new() -> PostgresInserts {
        PostgresInserts {
            parts: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds the insert of `rows`, unless there are none.
    pub(crate) fn add<M: ModelTrait>(mut self, rows: &[M]) -> Result<PostgresInserts, DbErr> {
        if !rows.is_empty() {
            self.values.push(rows_json(rows)?);
            self.parts
                .push(insert_from_json::<M::Entity>(self.values.len()));
        }
        Ok(self)
    }

    /// The statement, with `suffix` after the last insert; none when there are no rows.
    fn statement(mut self, suffix: &str) -> Option<Statement> {
        let last = self.parts.pop()?;
        let mut sql = String::new();
        for (n, part) in self.parts.iter().enumerate() {
            let _ = write!(
                sql,
                "{} part{n} AS ({part})",
                if n == 0 { "WITH" } else { "," }
            );
        }
        if !sql.is_empty() {
            sql.push(' ');
        }
        sql.push_str(&last);
        sql.push_str(suffix);
        Some(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            self.values,
        ))
    }

    pub(crate) async fn execute(self, txn: &impl ConnectionTrait) -> Result<(), DbErr> {
        if let Some(statement) = self.statement("") {
            txn.execute_raw(statement).await?;
        }
        Ok(())
    }
}

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;
type ColumnOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Column;

/// `rows` as active models to insert with every column set.
fn every_column_set<A>(rows: &[ModelOf<A>]) -> impl Iterator<Item = A> + '_
where
    A: ActiveModelTrait,
    ModelOf<A>: IntoActiveModel<A> + Clone,
{
    rows.iter()
        .map(|row| row.clone().into_active_model().reset_all())
}

/// Inserts `rows`, every column set, in statements of a few fixed texts whatever their
/// number.
pub(crate) async fn insert<A>(txn: &impl ConnectionTrait, rows: &[ModelOf<A>]) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
    ModelOf<A>: IntoActiveModel<A> + Clone,
{
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        return PostgresInserts::new().add(rows)?.execute(txn).await;
    }
    for chunk in chunks(rows) {
        A::Entity::insert_many(every_column_set::<A>(chunk))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Inserts `rows`, skipping those that conflict with a stored row on the `unique` columns (a
/// unique index; the primary key when none are given); returns the ids of those inserted.
pub(crate) async fn insert_new<A>(
    txn: &impl ConnectionTrait,
    rows: &[ModelOf<A>],
    unique: &[ColumnOf<A>],
) -> Result<HashSet<Uuid>, DbErr>
where
    A: ActiveModelTrait + Send,
    ModelOf<A>: IntoActiveModel<A> + Clone,
    <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<Uuid>,
{
    let key = <A::Entity as EntityTrait>::PrimaryKey::iter()
        .next()
        .expect("every table has a primary key")
        .into_column();
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        let target: Vec<String> = match unique {
            [] => vec![format!("\"{}\"", key.as_str())],
            columns => columns
                .iter()
                .map(|c| format!("\"{}\"", c.as_str()))
                .collect(),
        };
        let suffix = format!(
            " ON CONFLICT ({}) DO NOTHING RETURNING \"{}\"",
            target.join(", "),
            key.as_str()
        );
        let Some(statement) = PostgresInserts::new().add(rows)?.statement(&suffix) else {
            return Ok(HashSet::new());
        };
        return txn
            .query_all_raw(statement)
            .await?
            .iter()
            .map(|row| row.try_get::<Uuid>("", key.as_str()))
            .collect();
    }
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in chunks(rows) {
        let insert = A::Entity::insert_many(every_column_set::<A>(chunk));
        let insert = match unique {
            [] => insert.on_conflict_do_nothing(),
            columns => insert.on_conflict_do_nothing_on(columns.iter().copied()),
        };
        if let TryInsertResult::Inserted(keys) = insert.exec_with_returning_keys(txn).await? {
            inserted.extend(keys.into_iter().map(Into::into));
        }
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_chunks_are_powers_of_two_largest_first_and_cover_every_row() {
        assert_eq!(chunk_sizes(0).count(), 0);
        assert_eq!(chunk_sizes(13).collect::<Vec<_>>(), [8, 4, 1]);
        assert_eq!(chunk_sizes(64).collect::<Vec<_>>(), [64]);
        assert_eq!(chunk_sizes(600).collect::<Vec<_>>(), [256, 256, 64, 16, 8]);
        let rows: Vec<usize> = (0..77).collect();
        let rejoined: Vec<usize> = chunks(&rows).flatten().copied().collect();
        assert_eq!(rejoined, rows);
    }

    #[test]
    fn id_lists_are_padded_with_their_last_id_to_a_power_of_two() {
        let ids: Vec<Uuid> = (0..5u128).map(Uuid::from_u128).collect();
        let lists: Vec<Vec<Uuid>> = id_lists(&ids).collect();
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0][..5], ids[..]);
        assert_eq!(lists[0][5..], [ids[4]; 3]);
        let many: Vec<Uuid> = (0..600u128).map(Uuid::from_u128).collect();
        let lengths: Vec<usize> = id_lists(&many).map(|list| list.len()).collect();
        assert_eq!(lengths, [512, 128]);
        assert_eq!(id_lists(&[]).count(), 0);
    }
}
