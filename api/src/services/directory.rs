//! What a ward's filings and events read that rarely changes: the ward, its neighborhoods,
//! departments, routing table, webhook subscriptions and heads, kept in each replica's memory
//! so that a filing reads none of it from the database.
//!
//! A change made through the service ([`Services::organisation_changed`]) forgets the ward at
//! once on this replica and, through the hub (`NOTIFY` on PostgreSQL), on every other one. A
//! change made beside the service (a command run on the database) is seen within
//! [`DIRECTORY_TTL`]. A load that raced with a change is not kept: every forget moves a
//! generation on, and a load that began before it is used once and dropped.

use crate::infra::hub::Forget;
use crate::problem::{Outcome, Problem};
use crate::services::Services;
use crate::services::geography::Boundaries;
use crate::services::sla::WardClocks;
use sos_domain::taxonomy::Subcategory;
use sos_store::entities::{department, neighborhood, ward, webhook_subscription};
use sos_store::reports::Hearer;
use sos_store::{ConnectionTrait, DbErr, wards};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a ward's directory is trusted without a word of change.
const DIRECTORY_TTL: Duration = Duration::from_secs(60);

/// One ward's organisation, as filings need it.
#[derive(Debug)]
pub struct WardDirectory {
    pub ward: ward::Model,
    pub neighborhoods: HashMap<Uuid, neighborhood::Model>,
    pub departments: HashMap<Uuid, department::Model>,
    /// The department each routed subcategory goes to.
    routes: HashMap<Subcategory, Uuid>,
    /// The ward's active webhook subscriptions.
    pub subscriptions: Vec<webhook_subscription::Model>,
    /// The active heads of each neighborhood, with whether each has a phone registered.
    pub heads: HashMap<Uuid, Vec<Hearer>>,
}

impl WardDirectory {
    async fn load(db: &impl ConnectionTrait, ward_id: Uuid) -> Result<Option<Self>, DbErr> {
        let Some(ward) = wards::ward(db, ward_id).await? else {
            return Ok(None);
        };
        Ok(Some(WardDirectory {
            neighborhoods: sos_store::index(wards::neighborhoods_of(db, [ward_id]).await?, |n| {
                n.id
            }),
            departments: sos_store::index(wards::departments_of(db, [ward_id]).await?, |d| d.id),
            routes: wards::routing_rules(db, ward_id)
                .await?
                .into_iter()
                .map(|rule| (*rule.subcategory, rule.department_id))
                .collect(),
            subscriptions: sos_store::outbox::subscriptions_of_ward(db, ward_id)
                .await?
                .into_iter()
                .filter(|s| s.active)
                .collect(),
            heads: sos_store::reports::heads_of_ward(db, ward_id)
                .await?
                .into_iter()
                .fold(HashMap::new(), |mut by_neighborhood, hearer| {
                    if let Some(neighborhood) = hearer.user.neighborhood_id {
                        by_neighborhood
                            .entry(neighborhood)
                            .or_insert_with(Vec::new)
                            .push(hearer);
                    }
                    by_neighborhood
                }),
            ward,
        }))
    }

    /// The department the ward's routing table names for `subcategory`.
    pub fn routed_department(&self, subcategory: Subcategory) -> Option<&department::Model> {
        self.routes
            .get(&subcategory)
            .and_then(|id| self.departments.get(id))
    }

    /// The ward's triage desk, which takes what no rule routes.
    pub fn triage_desk(&self) -> Option<&department::Model> {
        self.departments.values().find(|d| d.triage_desk)
    }

    /// The outside agency of the ward with this code, when it has an address to write to.
    pub fn agency_with_address(&self, code: &str) -> Option<&department::Model> {
        self.departments
            .values()
            .find(|d| d.external && d.email.is_some() && d.code == code)
    }
}

/// What the directory holds: each ward's, and the generation it was loaded in.
#[derive(Default)]
struct Held {
    wards: HashMap<Uuid, (Instant, Arc<WardDirectory>)>,
    generation: u64,
}

/// Ward directories, cached (see the module's description).
#[derive(Default)]
pub struct Directory {
    held: Mutex<Held>,
}

impl Directory {
    /// The directory of `ward_id`; `None` for a ward that does not exist.
    pub async fn ward(
        &self,
        db: &impl ConnectionTrait,
        ward_id: Uuid,
    ) -> Result<Option<Arc<WardDirectory>>, DbErr> {
        let generation = {
            let held = self.lock();
            if let Some((loaded, directory)) = held.wards.get(&ward_id)
                && loaded.elapsed() < DIRECTORY_TTL
            {
                return Ok(Some(directory.clone()));
            }
            held.generation
        };
        let Some(directory) = WardDirectory::load(db, ward_id).await?.map(Arc::new) else {
            return Ok(None);
        };
        let mut held = self.lock();
        if held.generation == generation {
            held.wards
                .insert(ward_id, (Instant::now(), directory.clone()));
        }
        Ok(Some(directory))
    }

    /// The directories of these wards (each once).
    pub async fn wards(
        &self,
        db: &impl ConnectionTrait,
        ward_ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<HashMap<Uuid, Arc<WardDirectory>>, DbErr> {
        let mut found = HashMap::new();
        for id in ward_ids {
            if !found.contains_key(&id)
                && let Some(directory) = self.ward(db, id).await?
            {
                found.insert(id, directory);
            }
        }
        Ok(found)
    }

    /// Forgets one ward's directory, or every ward's.
    pub fn forget(&self, ward_id: Option<Uuid>) {
        let mut held = self.lock();
        held.generation += 1;
        match ward_id {
            Some(id) => {
                held.wards.remove(&id);
            }
            None => held.wards.clear(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Services {
    /// The directory of a ward that reports are filed in (and so exists).
    pub async fn ward_directory(&self, ward_id: Uuid) -> Outcome<Arc<WardDirectory>> {
        self.directory
            .ward(&self.db, ward_id)
            .await?
            .ok_or_else(|| Problem::internal(anyhow::anyhow!("ward {ward_id} has gone")))
    }

    /// Forgets what this replica holds of a ward's organisation (all wards' for `None`): its
    /// directory, its clock, the boundary index; and tells every other replica to do so.
    /// Called after the change has committed.
    pub async fn organisation_changed(&self, ward_id: Option<Uuid>) {
        self.forget_organisation(ward_id);
        self.hub
            .announce_forget(Forget::Organisation(ward_id))
            .await;
    }

    /// Forgets what replicas hold of the heads of these wards (an account, a phone or a
    /// preference changed). Called after the change has committed.
    pub async fn people_changed(&self, ward_ids: impl IntoIterator<Item = Option<Uuid>>) {
        let mut wards: Vec<Uuid> = ward_ids.into_iter().flatten().collect();
        wards.sort_unstable();
        wards.dedup();
        for ward in wards {
            self.directory.forget(Some(ward));
            self.hub.announce_forget(Forget::People(ward)).await;
        }
    }

    /// Forgets what this replica holds of a ward's organisation (see above), without telling.
    fn forget_organisation(&self, ward_id: Option<Uuid>) {
        self.organisation_held().forget(ward_id);
    }

    /// What this replica holds of wards' organisation.
    pub(crate) fn organisation_held(&self) -> OrganisationHeld {
        OrganisationHeld {
            directory: self.directory.clone(),
            clocks: self.ward_clocks.clone(),
            boundaries: self.boundaries.clone(),
        }
    }
}

/// The caches of wards' organisation: directories, clocks and the boundary index.
pub(crate) struct OrganisationHeld {
    pub(crate) directory: Arc<Directory>,
    clocks: Arc<WardClocks>,
    boundaries: Arc<Boundaries>,
}

impl OrganisationHeld {
    /// Forgets one ward's (every ward's for `None`); the boundary index is built for all.
    pub(crate) fn forget(&self, ward_id: Option<Uuid>) {
        self.directory.forget(ward_id);
        self.clocks.forget(ward_id);
        self.boundaries.forget();
    }
}
