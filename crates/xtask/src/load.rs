//! `cargo xtask load`: the vendor site under load on loopback. 32 concurrent
//! 64 MiB uploads, then 32 concurrent downloads of them, on local disk and on
//! an S3 server (moto). Prints throughput and the server's peak RSS (VmHWM).
//! A benchmark, not a test: it prints figures, and fails only if a transfer
//! fails, or a download has the wrong length or a wrong byte among those it
//! samples (one in 4099, so that checking does not slow the client).

use crate::vendor::{KillOnDrop, start_vendor};
use crate::{root, setup};
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const CLIENTS: usize = 32;
const FILE: usize = 64 << 20;
const PIECE: usize = 256 << 10;
const PASSWORD: &str = "load test password";

/// Byte `i` of client `c`'s file: cheap to make and to check, different per client.
fn byte(c: usize, i: usize) -> u8 {
    (i as u32).wrapping_mul(2_654_435_761).wrapping_add(c as u32 * 97).to_be_bytes()[0]
}

fn piece(c: usize, start: usize, len: usize) -> Vec<u8> {
    (start..start + len).map(|i| byte(c, i)).collect()
}

fn peak_rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmHWM")?;
    Ok(kb / 1024.0)
}

async fn login(base: &str) -> Result<(reqwest::Client, String)> {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let form = client.get(format!("{base}/login")).send().await?.text().await?;
    let token = form.split("name=\"_csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).context("login form")?;
    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", "load"), ("password", PASSWORD), ("_csrf", token)])
        .send()
        .await?;
    if res.status() != 303 {
        bail!("login failed: {}", res.status());
    }
    let page = client.get(format!("{base}/")).send().await?.text().await?;
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("page token")?
        .to_string();
    Ok((client, csrf))
}

async fn upload(client: reqwest::Client, base: String, csrf: String, c: usize) -> Result<String> {
    let t0 = Instant::now();
    let body = futures_util::stream::iter((0..FILE).step_by(PIECE))
        .map(move |start| Ok::<_, std::io::Error>(piece(c, start, PIECE.min(FILE - start))));
    let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(body), FILE as u64)
        .file_name(format!("load-{c}.bin"));
    let res = client
        .post(format!("{base}/api/files"))
        .header("x-csrf-token", csrf)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .with_context(|| format!("upload {c}, after {:.1} s", t0.elapsed().as_secs_f64()))?;
    if res.status() != 201 {
        bail!("upload {c}: {} {}", res.status(), res.text().await?);
    }
    let ids: serde_json::Value = serde_json::from_slice(&res.bytes().await?)?;
    Ok(ids["ids"][0].as_str().context("no id")?.to_string())
}

async fn download(client: reqwest::Client, base: String, id: String, c: usize) -> Result<()> {
    let res = client.get(format!("{base}/api/files/{id}/content")).send().await?;
    if res.status() != 200 {
        bail!("download {c}: {}", res.status());
    }
    let mut stream = res.bytes_stream();
    let mut at = 0usize;
    while let Some(bytes) = stream.next().await {
        let bytes = bytes?;
        // Check a sample of each piece, so the client is not the bottleneck.
        for (k, b) in bytes.iter().enumerate().step_by(4099) {
            if *b != byte(c, at + k) {
                bail!("download {c}: byte {} differs", at + k);
            }
        }
        at += bytes.len();
    }
    if at != FILE {
        bail!("download {c}: {at} bytes, expected {FILE}");
    }
    Ok(())
}

/// Runs `task(c)` for every client at once; returns the results in client
/// order and the seconds until the last one finished.
async fn all_clients<T, E, F, Fut>(task: F) -> Result<(Vec<T>, f64)>
where
    T: Send + 'static,
    E: Into<anyhow::Error> + Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, E>> + Send + 'static,
{
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS).map(|c| tokio::spawn(task(c))).collect();
    let mut out = Vec::with_capacity(CLIENTS);
    for h in handles {
        out.push(h.await?.map_err(Into::into)?);
    }
    Ok((out, started.elapsed().as_secs_f64()))
}

struct Figures {
    up_mbs: f64,
    down_mbs: f64,
    peak_mib: f64,
}

async fn run_one(bin: &Path, work: &Path, args: &[&str], env: &[(&str, String)]) -> Result<Figures> {
    let data = work.join("data");
    std::fs::create_dir_all(&data)?;
    let mut add = Command::new(bin).args(["user", "add", "load", "--data"]).arg(&data).stdin(Stdio::piped()).spawn()?;
    add.stdin.take().expect("piped").write_all(format!("{PASSWORD}\n").as_bytes())?;
    if !add.wait()?.success() {
        bail!("user add failed");
    }
    let (server, base) = start_vendor(bin, &data, args, env)?;
    let (client, csrf) = login(&base).await?;
    let total = (CLIENTS * FILE) as f64;

    let (ids, up) = all_clients(|c| upload(client.clone(), base.clone(), csrf.clone(), c)).await?;
    let (_, down) = all_clients(|c| download(client.clone(), base.clone(), ids[c].clone(), c)).await?;
    let peak_mib = peak_rss_mib(server.0.id())?;
    drop(server);
    Ok(Figures { up_mbs: total / up / 1e6, down_mbs: total / down / 1e6, peak_mib })
}

/// Baseline for the disk figures, in the same run: the same 32 × 64 MiB
/// written straight to files by 32 concurrent tasks, each fsynced, then read
/// back. MB/s up and down.
async fn raw_disk(work: &Path) -> Result<(f64, f64)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = work.join("raw");
    std::fs::create_dir_all(&dir)?;
    let total = (CLIENTS * FILE) as f64;
    let (_, up) = all_clients(|c| {
        let path = dir.join(c.to_string());
        async move {
            let mut f = tokio::fs::File::create(&path).await?;
            for start in (0..FILE).step_by(PIECE) {
                f.write_all(&piece(c, start, PIECE)).await?;
            }
            f.sync_all().await
        }
    })
    .await?;
    let (_, down) = all_clients(|c| {
        let path = dir.join(c.to_string());
        async move {
            let mut f = tokio::fs::File::open(&path).await?;
            let mut buf = vec![0u8; PIECE];
            while f.read(&mut buf).await? > 0 {}
            Ok::<_, std::io::Error>(())
        }
    })
    .await?;
    let (up, down) = (total / up / 1e6, total / down / 1e6);
    std::fs::remove_dir_all(&dir)?;
    Ok((up, down))
}

pub fn run() -> Result<()> {
    crate::run("cargo", &["build", "--release", "--package", "orgseal-vendor"])?;
    let bin = root().join("target/release/orgseal-vendor");
    let moto_bin = setup::moto()?;
    let work = std::env::temp_dir().join(format!("orgseal-load-{}", std::process::id()));
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(async {
        let raw = raw_disk(&work).await?;
        let disk = if std::env::var("ORGSEAL_LOAD_SKIP_DISK").is_ok() {
            Figures { up_mbs: 0.0, down_mbs: 0.0, peak_mib: 0.0 }
        } else {
            run_one(&bin, &work.join("disk"), &[], &[]).await?
        };

        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let moto = KillOnDrop(
            Command::new(&moto_bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..200 {
            if http.put(format!("{endpoint}/load")).send().await.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        if !up {
            bail!("moto_server did not start");
        }
        let env = [
            ("AWS_ENDPOINT", endpoint),
            ("AWS_ACCESS_KEY_ID", "load".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "load".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
        ];
        let s3 = run_one(&bin, &work.join("s3"), &["--store", "s3://load/vendor"], &env).await?;
        drop(moto);
        Ok((raw, disk, s3))
    });
    let _ = std::fs::remove_dir_all(&work);
    let ((raw_up, raw_down), disk, s3) = result?;
    println!("\norgseal-vendor (release) on loopback: {CLIENTS} concurrent clients x 64 MiB, MB/s (10^6 B/s):");
    println!("| store | upload | download | server peak RSS |");
    println!("|---|---|---|---|");
    for (name, f) in [("local disk", &disk), ("S3 (moto_server)", &s3)] {
        println!("| {name} | {:.0} MB/s | {:.0} MB/s | {:.1} MiB |", f.up_mbs, f.down_mbs, f.peak_mib);
    }
    println!(
        "baseline, same run: 32 tasks writing the same bytes straight to files (fsync) {raw_up:.0} MB/s, reading \
         them back {raw_down:.0} MB/s; the site on disk reaches {:.2}x / {:.2}x of that",
        disk.up_mbs / raw_up,
        disk.down_mbs / raw_down
    );
    println!("target: peak RSS < 100 MiB");
    Ok(())
}
