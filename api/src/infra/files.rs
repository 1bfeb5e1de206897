//! Where photo files live: a local directory (the default) or an S3-compatible bucket, behind
//! a small trait the services use.

use anyhow::Context;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sos_domain::photos::{PhotoFormat, Variant};
use std::sync::Arc;

/// Where photo files live. Small on purpose: the service puts, reads and deletes whole files
/// by key. Every `object_store` backend is one: a local directory (the default), an
/// S3-compatible bucket, or memory.
pub trait FileStore: Send + Sync {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> BoxFuture<'a, anyhow::Result<()>>;
    /// `None` when there is no such file.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Bytes>>>;
    /// Deleting a file that is not there is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

impl<T: ObjectStore> FileStore for T {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            ObjectStoreExt::put(self, &StorePath::from(key), bytes.into())
                .await
                .with_context(|| format!("cannot store {key}"))?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Bytes>>> {
        Box::pin(async move {
            match ObjectStoreExt::get(self, &StorePath::from(key)).await {
                Ok(found) => Ok(Some(found.bytes().await?)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {key}"))),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            match ObjectStoreExt::delete(self, &StorePath::from(key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(anyhow::Error::new(e).context(format!("cannot delete {key}"))),
            }
        })
    }
}

/// Opens the store `SOS_PHOTO_STORE` names: a directory, or `s3://bucket[/prefix]` set up by
/// `bucket_options` (the `AWS_*` variables, `AWS_ENDPOINT` for an S3-compatible service).
pub fn open_store(
    location: &str,
    bucket_options: &[(String, String)],
) -> anyhow::Result<Arc<dyn FileStore>> {
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let mut builder = object_store::aws::AmazonS3Builder::new().with_bucket_name(bucket);
        for (key, value) in bucket_options {
            let key = key
                .parse()
                .with_context(|| format!("{key} is not an S3 setting"))?;
            builder = builder.with_config(key, value);
        }
        let bucket = builder
            .build()
            .with_context(|| format!("cannot open the photo bucket {location}"))?;
        let prefix = prefix.trim_matches('/');
        return Ok(if prefix.is_empty() {
            Arc::new(bucket)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(bucket, prefix))
        });
    }
    std::fs::create_dir_all(location)
        .with_context(|| format!("cannot create the photo directory {location}"))?;
    Ok(Arc::new(
        object_store::local::LocalFileSystem::new_with_prefix(location)
            .with_context(|| format!("cannot open the photo directory {location}"))?,
    ))
}

/// The key of a photo's variant: grouped by report, so a report's files sit together.
pub fn file_key(
    report_id: uuid::Uuid,
    photo_id: uuid::Uuid,
    variant: Variant,
    format: PhotoFormat,
) -> String {
    format!(
        "reports/{report_id}/{photo_id}/{}.{}",
        variant.as_str(),
        variant.format(format).extension()
    )
}
