//! People: accounts, their sessions (refresh tokens), their phones and their choices of what
//! they hear.

use crate::Stored;
use crate::entities::{department, device, notification_preference, refresh_token, user};
use crate::index;
use crate::like_pattern;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sos_domain::access::WardScope;
use sos_domain::delivery::{self, Preferences};
use sos_domain::language::Lang;
use sos_domain::taxonomy::Role;
use std::collections::HashMap;
use uuid::Uuid;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// The account of a username (stored in lower case).
pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

pub async fn users_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, user::Model>, DbErr> {
    Ok(index(
        user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(db)
            .await?,
        |u| u.id,
    ))
}

/// Whether the department is its ward's triage desk.
pub async fn is_triage_desk(db: &impl ConnectionTrait, department_id: Uuid) -> Result<bool, DbErr> {
    Ok(department::Entity::find_by_id(department_id)
        .one(db)
        .await?
        .is_some_and(|d| d.triage_desk))
}

/// The active users among `ids` who can hear beyond their inbox: with an e-mail address or a
/// registered phone.
pub async fn reachable(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<user::Model>, DbErr> {
    let with_devices = Query::select()
        .column(device::Column::UserId)
        .from(device::Entity)
        .to_owned();
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(user::Column::Email.is_not_null())
                .add(user::Column::Id.in_subquery(with_devices)),
        )
        .all(db)
        .await
}

/// Active users of a role attached to one of `keys`: by department for staff, by ward for
/// leaders.
pub async fn active_of_role_in(
    db: &impl ConnectionTrait,
    role: Role,
    by: AttachedTo,
    keys: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<user::Model>, DbErr> {
    let column = match by {
        AttachedTo::Department => user::Column::DepartmentId,
        AttachedTo::Ward => user::Column::WardId,
    };
    user::Entity::find()
        .filter(user::Column::Role.eq(role.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(column.is_in(keys))
        .all(db)
        .await
}

/// What a user is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachedTo {
    Department,
    Ward,
}

/// Active ward leaders with an e-mail address: who may want the morning digest.
pub async fn leaders_with_address(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Role.eq(Role::WardLeader.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Email.is_not_null())
        .filter(user::Column::WardId.is_not_null())
        .all(db)
        .await
}

/// How many active accounts have `role`.
pub async fn active_of_role(db: &impl ConnectionTrait, role: Role) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::Role.eq(role.as_str()))
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await
}

/// Inserts one account.
pub async fn insert_user(txn: &impl ConnectionTrait, row: user::Model) -> Result<(), DbErr> {
    user::ActiveModel::from(row).insert(txn).await?;
    Ok(())
}

/// Writes an account as it now is.
pub async fn update_user(
    txn: &impl ConnectionTrait,
    row: user::Model,
) -> Result<user::Model, DbErr> {
    let id = row.id;
    let mut active = user::ActiveModel::from(row).reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(id);
    active.update(txn).await
}

/// Accounts whose search text is still empty (made before it existed).
pub async fn without_search_text(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::SearchText.eq(""))
        .all(db)
        .await
}

/// What a list of accounts is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub ward_id: Option<Uuid>,
    pub role: Option<Role>,
    pub neighborhood_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Folded text the account's search text contains.
    pub text: Option<String>,
}

/// A page of accounts within `scope` matching `filter`, by username, after the username
/// `after`; with the last username when there may be more.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    db: &impl ConnectionTrait,
    scope: WardScope,
    filter: &AccountFilter,
    limit: u64,
    after: Option<&str>,
) -> Result<(Vec<user::Model>, Option<String>), DbErr> {
    let mut select = user::Entity::find();
    select = match scope {
        WardScope::All => select,
        WardScope::Ward(ward) => select.filter(user::Column::WardId.eq(ward)),
        WardScope::Nothing => return Ok((Vec::new(), None)),
    };
    if let Some(ward) = filter.ward_id {
        select = select.filter(user::Column::WardId.eq(ward));
    }
    if let Some(role) = filter.role {
        select = select.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(neighborhood) = filter.neighborhood_id {
        select = select.filter(user::Column::NeighborhoodId.eq(neighborhood));
    }
    if let Some(department) = filter.department_id {
        select = select.filter(user::Column::DepartmentId.eq(department));
    }
    if let Some(active) = filter.active {
        select = select.filter(user::Column::Active.eq(active));
    }
    if let Some(text) = &filter.text {
        select = select
            .filter(user::Column::SearchText.like(LikeExpr::new(like_pattern(text)).escape('\\')));
    }
    if let Some(after) = after {
        select = select.filter(user::Column::Username.gt(after));
    }
    let mut rows = select
        .order_by_asc(user::Column::Username)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|u| u.username.clone()))
        .flatten();
    Ok((rows, next))
}

/// Ends the sign-ins of an account but `keep` (the one a password change is made from):
/// revokes their refresh tokens, and returns them so that what they hold open ends too.
pub async fn end_sign_ins(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    let mut open = refresh_token::Entity::find()
        .select_only()
        .distinct()
        .column(refresh_token::Column::FamilyId)
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        open = open.filter(refresh_token::Column::FamilyId.ne(keep));
    }
    let families: Vec<Uuid> = open.into_tuple().all(txn).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
        .filter(refresh_token::Column::FamilyId.is_in(families.clone()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(families)
}

/// Inserts accounts (seed data).
pub async fn insert_users(
    txn: &impl ConnectionTrait,
    users: impl IntoIterator<Item = user::Model>,
) -> Result<(), DbErr> {
    let rows: Vec<user::ActiveModel> = users.into_iter().map(Into::into).collect();
    for chunk in rows.chunks(crate::ROWS_PER_INSERT) {
        user::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A refresh token issued to a user, stored by its hash.
pub struct NewRefreshToken {
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    token: NewRefreshToken,
) -> Result<(), DbErr> {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(token.user_id),
        family_id: Set(token.family_id),
        token_hash: Set(token.token_hash),
        expires_at: Set(token.expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(token.created_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn refresh_token_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await
}

/// Spends a refresh token if it is unspent, in one statement (two concurrent refreshes with
/// the same token cannot both win); true when this call spent it.
pub async fn spend_refresh_token(
    txn: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(at))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// Revokes every token of a login's family.
pub async fn revoke_family(
    txn: &impl ConnectionTrait,
    family: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// A phone's registration, as it was before (if it was).
pub async fn device_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<device::Model>, DbErr> {
    device::Entity::find()
        .filter(device::Column::Token.eq(token))
        .one(db)
        .await
}

/// Gives a known phone to `user_id`.
pub async fn move_device(
    txn: &impl ConnectionTrait,
    existing: device::Model,
    user_id: Uuid,
    platform: &str,
    language: Option<Lang>,
    at: DateTime<Utc>,
) -> Result<device::Model, DbErr> {
    let mut active: device::ActiveModel = existing.into();
    active.user_id = Set(user_id);
    active.platform = Set(platform.to_owned());
    active.language = Set(language.map(Stored));
    active.last_seen_at = Set(at);
    active.update(txn).await
}

pub async fn insert_device(txn: &impl ConnectionTrait, row: &device::Model) -> Result<(), DbErr> {
    device::Entity::insert(device::ActiveModel::from(row.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Removes a phone of a user; false when they have no such phone.
pub async fn delete_device(
    txn: &impl ConnectionTrait,
    token: &str,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let deleted = device::Entity::delete_many()
        .filter(device::Column::Token.eq(token))
        .filter(device::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Forgets a phone whatever its user (its push service says the token is gone).
pub async fn forget_device(txn: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    device::Entity::delete_many()
        .filter(device::Column::Token.eq(token))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn devices_of(
    db: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<device::Model>, DbErr> {
    device::Entity::find()
        .filter(device::Column::UserId.is_in(user_ids))
        .all(db)
        .await
}

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
pub async fn preferences_of(
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
                None => Preferences::default_for(*user.role),
            };
            (user.id, preferences)
        })
        .collect())
}

/// Replaces a person's choices and the address their mail goes to; sets their language when
/// one is given.
pub async fn set_preferences(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    chosen: &Preferences,
    address: Option<&str>,
    language: Option<Lang>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        user_id: Set(user_id),
        push: Set(chosen.push),
        email: Set(chosen.email),
        daily_digest: Set(chosen.daily_digest),
        event_types: Set(delivery::event_types_field(&chosen.event_types)),
        updated_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(notification_preference::Column::UserId)
            .update_columns([
                notification_preference::Column::Push,
                notification_preference::Column::Email,
                notification_preference::Column::DailyDigest,
                notification_preference::Column::EventTypes,
                notification_preference::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    user::ActiveModel {
        id: Set(user_id),
        email: Set(address.map(str::to_owned)),
        language: language.map_or(NotSet, |language| Set(Stored(language))),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(())
}
