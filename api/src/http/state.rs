//! What the handlers share: the use cases' context. Kept apart from [`Services`] so that
//! nothing below this layer can take the HTTP state.

use crate::services::Services;
use axum::extract::FromRef;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Services {
        state.services.clone()
    }
}
