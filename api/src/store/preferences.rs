//! People's notification preferences as `domain::delivery` decides with them.

use crate::store::entities::{notification_preference, user};
use crate::store::reports::index;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sos_domain::delivery::{self, Preferences};
use sos_domain::taxonomy::Role;
use std::collections::HashMap;
use uuid::Uuid;

impl From<&notification_preference::Model> for Preferences {
    fn from(row: &notification_preference::Model) -> Preferences {
        Preferences {
            push: row.push,
            email: row.email,
            daily_digest: row.daily_digest,
            event_types: delivery::event_types_of(&row.event_types),
        }
    }
}

/// The preferences of each of these people: their own, or their role's defaults.
pub async fn of(
    db: &impl ConnectionTrait,
    users: &[user::Model],
) -> Result<HashMap<Uuid, Preferences>, DbErr> {
    let chosen = index(
        notification_preference::Entity::find()
            .filter(notification_preference::Column::UserId.is_in(users.iter().map(|u| u.id)))
            .all(db)
            .await?,
        |row| row.user_id,
    );
    Ok(users
        .iter()
        .map(|user| {
            let preferences = match chosen.get(&user.id) {
                Some(row) => row.into(),
                None => {
                    Preferences::default_for(user.role.parse().unwrap_or(Role::NeighborhoodHead))
                }
            };
            (user.id, preferences)
        })
        .collect())
}
