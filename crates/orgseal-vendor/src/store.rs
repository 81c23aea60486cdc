//! Blobs: local disk by default, or S3-compatible object storage, both through
//! `object_store`. Uploads are streamed as multipart uploads, which become
//! visible under their key only when complete. Memory per upload is one part
//! buffer plus the part in flight, and a shared budget caps the total: an
//! upload that arrives while the budget is spent is spooled to a local file as
//! it arrives and sent on once a share is free. The client is never stalled
//! in TCP flow control (Linux aborts a sender held at a zero window for about
//! 40 s, measured here).

use crate::db::Db;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart};
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
    /// Where uploads wait for a share of the budget.
    spool: PathBuf,
}

/// S3 parts are at least 5 MiB (all but the last).
const S3_PART: usize = 5 << 20;
/// Local parts: small, so many uploads at once stay cheap.
const LOCAL_PART: usize = 256 << 10;
/// Total part-buffer memory across uploads, by default.
pub const DEFAULT_BUDGET: usize = 40 << 20;

impl Blobs {
    /// Opens the store; `--store` absent means `DATA/blobs` on local disk.
    /// `budget` bytes of part buffers are shared by all uploads; `spool` is a
    /// local folder for uploads that wait for a share.
    pub fn open(kind: StoreKind, budget: usize, spool: PathBuf) -> anyhow::Result<Blobs> {
        std::fs::create_dir_all(&spool)?;
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
        let parts = (budget / part_size).max(2);
        Ok(Blobs { store, kind, prefix, part_size, budget: Arc::new(Semaphore::new(parts)), spool })
    }

    fn key(&self, id: &str) -> Key {
        match &self.prefix {
            Some(p) => p.clone().join(id),
            None => Key::from(id),
        }
    }

    async fn begin_with(&self, id: &str, permit: OwnedSemaphorePermit) -> object_store::Result<Upload> {
        let upload = self.store.put_multipart(&self.key(id)).await?;
        Ok(Upload { writer: Some(WriteMultipart::new_with_chunk_size(upload, self.part_size)), _permit: permit })
    }

    /// Where the bytes of a new blob `id` go as they arrive: straight into
    /// the store when the budget has a share free, else into a spool file.
    pub async fn sink(&self, id: &str) -> object_store::Result<Sink> {
        match self.budget.clone().try_acquire_many_owned(2) {
            Ok(permit) => Ok(Sink::Direct(self.begin_with(id, permit).await?)),
            Err(_) => {
                let path = self.spool.join(format!("{id}.part"));
                let file = tokio::fs::File::create(&path).await.map_err(|e| local_error(&path, e))?;
                Ok(Sink::Spooled { file, spool: Spool(path) })
            }
        }
    }

    /// Streams `range` (or all) of blob `id`, with the blob's whole length.
    pub async fn get(
        &self,
        id: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> object_store::Result<(u64, BoxStream<'static, object_store::Result<bytes::Bytes>>)> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let result = self.store.get_opts(&self.key(id), options).await?;
        let len = result.meta.size;
        match result.payload {
            // A local file: read it in 256 KiB steps (object_store's own
            // stream reads 8 KiB per blocking task, which caps downloads).
            GetResultPayload::File(file, path) => Ok((len, file_stream(file, path, result.range).boxed())),
            GetResultPayload::Stream(stream) => Ok((len, stream)),
        }
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
    ///
    /// Only names the site makes are touched (a blob id, `ID#N`, `ID.part`),
    /// so other objects sharing the bucket or folder are left alone.
    pub async fn remove_orphans(&self, db: &Db) -> anyhow::Result<usize> {
        let mut removed = remove_staging_files(&self.spool, |name| name.strip_suffix(".part").is_some_and(is_blob_id))?;
        if let StoreKind::Local(dir) = &self.kind {
            // Partial local uploads are staging files `ID#N`, which listing skips.
            removed += remove_staging_files(dir, |name| name.split_once('#').is_some_and(|(id, _)| is_blob_id(id)))?;
        }
        let mut listing = self.store.list(self.prefix.as_ref());
        let mut orphans = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let id = meta.location.filename().unwrap_or_default().to_string();
            if is_blob_id(&id) && meta.location == self.key(&id) && !db.file_exists(&id).await? {
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

/// A new random blob id: 24 lowercase hex digits.
pub fn new_blob_id() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("system randomness");
    hex::encode(b)
}

/// Whether `name` has the shape of an id [`new_blob_id`] makes.
pub fn is_blob_id(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Streams `range` of a local blob file.
fn file_stream(
    file: std::fs::File,
    path: PathBuf,
    range: std::ops::Range<u64>,
) -> impl futures_util::Stream<Item = object_store::Result<bytes::Bytes>> + Send + 'static {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    const STEP: u64 = 256 << 10;
    let state = (tokio::fs::File::from_std(file), range.start, range.end, false);
    futures_util::stream::unfold(state, move |(mut file, at, end, seeked)| {
        let path = path.clone();
        async move {
            if at >= end {
                return None;
            }
            let failed = |e: std::io::Error| object_store::Error::Generic { store: "local", source: Box::new(e) };
            if !seeked && let Err(e) = file.seek(std::io::SeekFrom::Start(at)).await {
                return Some((Err(failed(e)), (file, end, end, true)));
            }
            let mut buf = vec![0u8; (end - at).min(STEP) as usize];
            match file.read_exact(&mut buf).await {
                Ok(_) => Some((Ok(bytes::Bytes::from(buf)), (file, at + (end - at).min(STEP), end, true))),
                Err(e) => {
                    let e = std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
                    Some((Err(failed(e)), (file, end, end, true)))
                }
            }
        }
    })
}

fn local_error(path: &Path, e: std::io::Error) -> object_store::Error {
    let e = std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    object_store::Error::Generic { store: "local spool", source: Box::new(e) }
}

fn remove_staging_files(dir: &Path, partial: impl Fn(&str) -> bool) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if partial(&entry.file_name().to_string_lossy()) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A spool file, removed when dropped (written, failed, or abandoned).
#[derive(Debug)]
pub struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Where an arriving blob's bytes go.
#[derive(Debug)]
pub enum Sink {
    /// Straight into the store.
    Direct(Upload),
    /// Into a local file, sent on by [`Sink::finish`].
    Spooled {
        /// The open spool file.
        file: tokio::fs::File,
        /// Its path, removed on drop.
        spool: Spool,
    },
}

impl Sink {
    /// Appends bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> object_store::Result<()> {
        use tokio::io::AsyncWriteExt;
        match self {
            Sink::Direct(upload) => upload.write(bytes).await,
            Sink::Spooled { file, spool } => file.write_all(bytes).await.map_err(|e| local_error(&spool.0, e)),
        }
    }

    /// Completes blob `id`: only now does it exist under its key. A spooled
    /// blob waits here for a share of the budget, then is sent on.
    pub async fn finish(self, blobs: &Blobs, id: &str) -> object_store::Result<()> {
        use tokio::io::AsyncReadExt;
        match self {
            Sink::Direct(upload) => upload.finish().await,
            Sink::Spooled { file, spool } => {
                drop(file);
                let permit = blobs.budget.clone().acquire_many_owned(2).await.expect("the budget is never closed");
                let mut upload = blobs.begin_with(id, permit).await?;
                let mut file = tokio::fs::File::open(&spool.0).await.map_err(|e| local_error(&spool.0, e))?;
                let mut buf = vec![0u8; 256 << 10];
                loop {
                    let n = file.read(&mut buf).await.map_err(|e| local_error(&spool.0, e))?;
                    if n == 0 {
                        break;
                    }
                    upload.write(&buf[..n]).await?;
                }
                upload.finish().await
            }
        }
    }

    /// Abandons the blob: nothing becomes visible.
    pub async fn abort(self) {
        if let Sink::Direct(upload) = self {
            upload.abort().await;
        }
    }
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
