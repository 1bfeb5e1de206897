//! The language of what reaches a person when no request is being answered: each account's
//! (its letters, and its pushes unless the phone chose another), each phone's, and inbox
//! entries kept in English beside Vietnamese.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to existing tables: (table, column).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        // `vi` or `en`; every account made before this change reads Vietnamese.
        ("users", string("language").default("vi").take()),
        // Null: the phone follows its account's language.
        ("devices", string_null("language")),
        // Null for entries made before this change: they were only written in Vietnamese.
        ("notifications", string_null("title_en")),
        ("notifications", text_null("body_en")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in added_columns() {
            manager
                .alter_table(Table::alter().table(table).add_column(&mut column).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in added_columns().into_iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(Table::alter().table(table).drop_column(name).take())
                .await?;
        }
        Ok(())
    }
}
