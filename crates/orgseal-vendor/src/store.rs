//! Blobs: local disk by default, or S3-compatible object storage, both through
//! `object_store`. Uploads are streamed as multipart uploads, which become
//! visible under their key only when complete; memory per upload is one part
//! buffer plus the part in flight, and a shared budget caps the total.

use crate::db::Db;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where blobs are kept.
#[derive(Debug, Clone)]
pub enum StoreKind {
    /// A folder on local disk.
    Local(PathBuf),
    /// An S3-compatible bucket (`s3://bucket[/prefix]`), configured from the
    /// usual `AWS_*` environment (endpoint, credentials, region, allow-http).
    S3(String),
}

/// The blob store and its upload memory budget.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    kind: StoreKind,
    prefix: Option<Key>,
    /// Bytes buffered per part before it is written.
    part_size: usize,
    /// Part buffers all uploads together may hold; an upload takes two (the
    /// part being filled and the one in flight) for as long as it runs.
    budget: Arc<Semaphore>,
}

/// S3 parts are at least 5 MiB (all but the last).
const S3_PART: usize = 5 << 20;
/// Local parts: small, so many uploads at once stay cheap.
const LOCAL_PART: usize = 256 << 10;
/// Total part-buffer memory across uploads.
const BUDGET_BYTES: usize = 64 << 20;

impl Blobs {
    /// Opens the store; `--store` absent means `DATA/blobs` on local disk.
    pub fn open(kind: StoreKind) -> anyhow::Result<Blobs> {
        let (store, prefix, part_size): (Arc<dyn ObjectStore>, Option<Key>, usize) = match &kind {
            StoreKind::Local(dir) => {
                std::fs::create_dir_all(dir)?;
                (Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_fsync(true)), None, LOCAL_PART)
            }
            StoreKind::S3(url) => {
                let rest = url
                    .strip_prefix("s3://")
                    .ok_or_else(|| anyhow::anyhow!("--store must be s3://BUCKET[/PREFIX], not {url:?}"))?;
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                let store = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).build()?;
                let prefix = (!prefix.trim_matches('/').is_empty()).then(|| Key::from(prefix.trim_matches('/')));
                (Arc::new(store), prefix, S3_PART)
            }
        };
        let parts = (BUDGET_BYTES / part_size).max(2);
        Ok(Blobs { store, kind, prefix, part_size, budget: Arc::new(Semaphore::new(parts)) })
    }

    fn key(&self, id: &str) -> Key {
        match &self.prefix {
            Some(p) => p.clone().join(id),
            None => Key::from(id),
        }
    }

    /// Starts a streamed upload of blob `id`. Waits while the memory budget
    /// is spent by other uploads (their clients are then held by TCP flow
    /// control, not buffered).
    pub async fn begin(&self, id: &str) -> object_store::Result<Upload> {
        let permit = self.budget.clone().acquire_many_owned(2).await.expect("the budget is never closed");
        let upload = self.store.put_multipart(&self.key(id)).await?;
        Ok(Upload { writer: Some(WriteMultipart::new_with_chunk_size(upload, self.part_size)), _permit: permit })
    }

    /// Streams `range` (or all) of blob `id`.
    pub async fn get(
        &self,
        id: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> object_store::Result<impl futures_util::Stream<Item = object_store::Result<bytes::Bytes>> + use<>> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        Ok(self.store.get_opts(&self.key(id), options).await?.into_stream())
    }

    /// The stored length of blob `id`, `None` if it is missing.
    pub async fn size(&self, id: &str) -> object_store::Result<Option<u64>> {
        match self.store.head(&self.key(id)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes blob `id`.
    pub async fn delete(&self, id: &str) -> object_store::Result<()> {
        match self.store.delete(&self.key(id)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    /// Start-up cleanup: removes partial uploads left by a crash and blobs that
    /// no file record names (an upload killed between completing its blob and
    /// recording it). Returns how many were removed.
    pub async fn remove_orphans(&self, db: &Db) -> anyhow::Result<usize> {
        let mut removed = 0;
        if let StoreKind::Local(dir) = &self.kind {
            // Partial local uploads are staging files `ID#N`, which listing skips.
            removed += remove_staging_files(dir)?;
        }
        let mut listing = self.store.list(self.prefix.as_ref());
        let mut orphans = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let id = meta.location.filename().unwrap_or_default().to_string();
            if !db.file_exists(&id).await? {
                orphans.push(meta.location);
            }
        }
        for key in orphans {
            self.store.delete(&key).await?;
            removed += 1;
        }
        Ok(removed)
    }
}

fn remove_staging_files(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().contains('#') {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// One blob being written. Dropped without [`Upload::finish`] (an error, or
/// the client went away and the request was dropped), it is aborted: nothing
/// becomes visible.
#[derive(Debug)]
pub struct Upload {
    writer: Option<WriteMultipart>,
    _permit: OwnedSemaphorePermit,
}

impl Upload {
    /// Appends bytes, waiting while a part is still in flight.
    pub async fn write(&mut self, bytes: &[u8]) -> object_store::Result<()> {
        let writer = self.writer.as_mut().expect("not finished");
        writer.wait_for_capacity(1).await?;
        writer.write(bytes);
        Ok(())
    }

    /// Completes the blob: only now does it exist under its key.
    pub async fn finish(mut self) -> object_store::Result<()> {
        self.writer.take().expect("not finished").finish().await.map(|_| ())
    }

    /// Abandons the blob.
    pub async fn abort(mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.abort().await;
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}
