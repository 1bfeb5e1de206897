//! The classifier in use, and how a newly trained one replaces it on every replica without a
//! restart: `sos classify train --activate` stores the model in the database, and each
//! replica checks for a newer one every `SOS_CLASSIFIER_REFRESH_SECONDS`.

use crate::problem::Outcome;
use crate::services::audit;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sos_domain::classify::{Classification, Classifier, Model, TrainingText};
use sos_domain::evaluate::Labelled;
use sos_store::entities::subcategory_correction;
use sos_store::{DatabaseConnection, DbErr, Writer, classifier as store};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// A model with where it came from.
#[derive(Debug)]
pub struct Loaded {
    pub model: Model,
    pub info: ModelInfo,
}

/// What `GET /v1/classifier` shows of the model in use.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// `None` for the model built into the service.
    pub id: Option<Uuid>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    pub activated_at: Option<DateTime<Utc>>,
    pub trained_examples: usize,
    pub corrections: usize,
}

/// The model every request classifies with; swapped whole when a newer one is activated.
pub struct ActiveClassifier {
    current: RwLock<Arc<Loaded>>,
}

impl ActiveClassifier {
    pub fn builtin() -> ActiveClassifier {
        let model = Model::builtin();
        let info = ModelInfo {
            id: None,
            activated_at: None,
            trained_examples: model.trained_examples(),
            corrections: 0,
        };
        ActiveClassifier {
            current: RwLock::new(Arc::new(Loaded { model, info })),
        }
    }

    pub fn current(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Loads the newest activated model if it is not the one in use. A stored model that does
    /// not parse is logged and skipped: the service keeps classifying with what it has.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        let Some(id) = store::newest_id(db).await? else {
            return Ok(false);
        };
        if self.current().info.id == Some(id) {
            return Ok(false);
        }
        let Some(row) = store::model(db, id).await? else {
            return Ok(false);
        };
        let json = row.model;
        // Parsing a few megabytes is CPU work: keep it off the request threads.
        let parsed = tokio::task::spawn_blocking(move || Model::from_json(&json))
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        match parsed {
            Ok(model) => {
                let info = ModelInfo {
                    id: Some(id),
                    activated_at: Some(row.activated_at),
                    trained_examples: usize::try_from(row.trained_examples).unwrap_or(0),
                    corrections: usize::try_from(row.corrections).unwrap_or(0),
                };
                tracing::info!(model = %id, examples = info.trained_examples, "classifier model loaded");
                *self
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                    Arc::new(Loaded { model, info });
                Ok(true)
            }
            Err(error) => {
                tracing::error!(model = %id, %error, "activated classifier model is invalid; keeping the current one");
                Ok(false)
            }
        }
    }
}

impl Classifier for ActiveClassifier {
    fn classify(&self, text: &str) -> Classification {
        self.current().model.classify(text)
    }
}

/// Staff corrections of a report's subcategory, oldest first, as training texts. When a
/// report was corrected more than once, the last correction is what counts.
pub async fn corrections(db: &DatabaseConnection) -> Result<Vec<TrainingText>, DbErr> {
    let rows = store::corrections(db).await?;
    let mut latest: Vec<subcategory_correction::Model> = Vec::with_capacity(rows.len());
    for row in rows {
        latest.retain(|kept| kept.report_id != row.report_id);
        latest.push(row);
    }
    Ok(latest
        .into_iter()
        .map(|row| TrainingText {
            subcategory: *row.to_subcategory,
            text: row.text,
            urgent: None,
        })
        .collect())
}

/// A model trained by [`train`], with how many staff corrections it learned from.
pub struct Trained {
    pub model: Model,
    pub corrections: usize,
}

/// Trains on labelled corpora and, when `db` is given, the staff corrections stored there.
pub async fn train(
    corpora: Vec<Vec<Labelled>>,
    corrections_from: Option<&DatabaseConnection>,
) -> Result<Trained, DbErr> {
    let mut texts: Vec<TrainingText> = corpora
        .into_iter()
        .flatten()
        .map(|l| TrainingText {
            text: l.text,
            subcategory: l.subcategory,
            urgent: Some(l.urgent),
        })
        .collect();
    let corrected = match corrections_from {
        Some(db) => corrections(db).await?,
        None => Vec::new(),
    };
    let count = corrected.len();
    texts.extend(corrected);
    let model = tokio::task::spawn_blocking(move || Model::train(&texts))
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(Trained {
        model,
        corrections: count,
    })
}

/// Stores `model` as the one every replica should use from now on.
pub async fn activate(
    db: &DatabaseConnection,
    model: &Model,
    corrections: usize,
    at: DateTime<Utc>,
) -> Outcome<Uuid> {
    let txn = Writer::for_database(db).begin(db).await?;
    let id = store::activate(
        &*txn,
        model.to_json(),
        model.trained_examples(),
        corrections,
        at,
    )
    .await?;
    let after = serde_json::json!({
        "trained_examples": model.trained_examples(),
        "corrections": corrections,
    });
    let change = audit::Change::of(
        "classifier.activated",
        None,
        "classifier_model",
        id,
        Some(after),
    );
    audit::record(&*txn, at, &audit::Author::operator(), change).await?;
    txn.commit().await?;
    Ok(id)
}

/// Loads the newest activated model on this replica if it is not the one in use.
pub async fn refresh(services: &crate::services::Services) -> Result<bool, DbErr> {
    services.classifier.refresh(&services.db).await
}
