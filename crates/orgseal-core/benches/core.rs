//! Seal and open throughput of the core against its ceiling: the raw aes-gcm
//! crate encrypting the same 64 MiB in 16 KiB chunks, measured in the same run
//! (criterion). After criterion's own report it prints the ratios to the
//! ceiling, from the estimates this run wrote.
//!
//! `cargo bench -p orgseal-core --bench core`

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{Criterion, Throughput};
use orgseal_core::file::{ContentOpener, content_sealer};
use orgseal_core::header::Header;
use orgseal_core::{KeyRing, Metadata, OrgKey, begin_open, begin_seal};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

const SIZE: usize = 64 << 20;
const GROUP: &str = "core-64MiB";
const IDS: [&str; 3] = ["aes-gcm-ceiling", "seal", "open"];

fn bench(c: &mut Criterion) {
    let data: Vec<u8> = (0..SIZE).map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8).collect();
    let ring = KeyRing::new(vec![OrgKey::generate("bench")], 0);
    let key = ring.encrypt_key();
    let meta = Metadata { name: "bench.bin".into(), mime: String::new(), size: Some(SIZE as u64), modified: None };
    let reference = orgseal_core::seal_bytes(key, &meta, &data).unwrap();
    assert_eq!(orgseal_core::open_bytes(&ring, &reference).unwrap().1, data);

    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Bytes(SIZE as u64));

    // Ceiling: aes-gcm over 16 KiB chunks, in place, one buffer.
    let cipher = Aes256Gcm::new(&[9u8; 32].into());
    let mut buf = data.clone();
    group.bench_function(IDS[0], |b| {
        b.iter(|| {
            for (i, chunk) in buf.chunks_mut(16384).enumerate() {
                let mut nonce = [0u8; 12];
                nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
                black_box(cipher.encrypt_inout_detached(&Nonce::from(nonce), &[], chunk.into()).unwrap());
            }
        })
    });

    // Sealing into one reused buffer, as the ceiling works in one buffer.
    let mut sealed = Vec::with_capacity(SIZE + SIZE / 1000 + 4096);
    group.bench_function(IDS[1], |b| {
        b.iter(|| {
            sealed.clear();
            let start = begin_seal(key, &meta).unwrap();
            sealed.extend_from_slice(&start.prefix);
            let mut sealer = content_sealer(start.content_key);
            sealer.push(black_box(&data), &mut sealed).unwrap();
            sealer.finish(&mut sealed).unwrap();
        })
    });

    let header = Header::parse(&reference).unwrap();
    let start = begin_open(&ring, &reference).unwrap();
    let mut out = Vec::with_capacity(SIZE + 16384);
    group.bench_function(IDS[2], |b| {
        b.iter(|| {
            out.clear();
            let mut opener = ContentOpener::new(&start);
            opener.push(&reference[header.prefix_len()..], &mut out).unwrap();
            opener.finish(&mut out).unwrap();
        })
    });
    group.finish();
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion")
}

/// Mean seconds per iteration from the estimates criterion wrote after
/// `since` (none in `cargo test --benches`, which runs each bench once).
fn mean_seconds(id: &str, since: SystemTime) -> Option<f64> {
    let path = output_dir().join(GROUP).join(id).join("new/estimates.json");
    if std::fs::metadata(&path).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    doc["mean"]["point_estimate"].as_f64().map(|ns| ns / 1e9)
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    let Some(mbps) =
        IDS.iter().map(|id| mean_seconds(id, started).map(|s| SIZE as f64 / s / 1e6)).collect::<Option<Vec<f64>>>()
    else {
        return;
    };
    println!("\n64 MiB in memory, criterion means, MB/s (10^6 B/s):");
    println!("  aes-gcm 16 KiB chunks (ceiling)  {:8.0}", mbps[0]);
    println!("  orgseal-core seal                {:8.0}   {:.2}x ceiling", mbps[1], mbps[1] / mbps[0]);
    println!("  orgseal-core open                {:8.0}   {:.2}x ceiling", mbps[2], mbps[2] / mbps[0]);
}
