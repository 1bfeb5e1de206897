//! A day's base facts in segments by filing time. A fold of a day's changed facts rewrote its
//! whole base, so under a sustained load a ward's day of 100,000 reports was read, unpacked
//! and written again at each fold (a 5 MB value held by the connection's buffers after), and
//! both the fold's pause and the server's memory grew with the day. Now the base is cut into
//! segments of about a thousand facts (`sos_domain::rollup::SEGMENT_FACTS`), and a fold
//! rewrites only the segments its changes fall in: for new filings, the last.
//!
//! Parts 0, -1, -2, … are the base's segments, in filing order; `filed_from` is where a
//! segment after the first begins (the first holds everything filed before the second). Over
//! the base, parts 1, 2, … keep their meaning, and `filed_from` is the earliest filing among
//! their facts: how far back in the day a fold of them reaches. Stored rows need no change:
//! a base of one segment is what they are, and a part of unknown reach reaches the whole day.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PARTS: &str = "report_day_fact_parts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PARTS)
                    .add_column(timestamp_with_time_zone_null("filed_from"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A day cut in segments is built again whole, as one base, by the version before.
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO report_day_changes (ward_id, day, changed_at) \
             SELECT ward_id, day, MAX(built_at) FROM {PARTS} WHERE part < 0 \
             GROUP BY ward_id, day ON CONFLICT (ward_id, day) DO NOTHING"
        ))
        .await?;
        db.execute_unprepared(&format!("DELETE FROM {PARTS} WHERE part < 0"))
            .await?;
        manager
            .alter_table(Table::alter().table(PARTS).drop_column("filed_from").take())
            .await
    }
}
