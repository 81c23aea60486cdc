//! Seal and open throughput of the core against its ceiling: the raw aes-gcm
//! crate encrypting the same bytes in 16 KiB chunks, measured in the same run.
//! Prints MB/s (10^6 B/s, median of several runs) and the ratios.
//!
//! `cargo bench -p orgseal-core --bench throughput`

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use orgseal_core::header::{ContentOpener, Header, content_sealer};
use orgseal_core::{KeyRing, Metadata, OrgKey, begin_open, begin_seal};
use std::hint::black_box;
use std::time::Instant;

const SIZE: usize = 64 << 20;
const RUNS: usize = 7;

/// Runs each measurement once per round, interleaved, so that drift in the
/// machine's speed hits all of them alike; returns median MB/s of each.
fn interleaved(fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    for f in fs.iter_mut() {
        f(); // warm up
    }
    let mut times = vec![Vec::with_capacity(RUNS); fs.len()];
    for _ in 0..RUNS {
        for (f, t) in fs.iter_mut().zip(times.iter_mut()) {
            let start = Instant::now();
            f();
            t.push(start.elapsed().as_secs_f64());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            SIZE as f64 / t[RUNS / 2] / 1e6
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo test --benches asks for a list of tests
    }
    let data: Vec<u8> = (0..SIZE).map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8).collect();
    let ring = KeyRing::new(vec![OrgKey::generate("bench")], 0);
    let key = ring.encrypt_key();
    let meta = Metadata { name: "bench.bin".into(), mime: String::new(), size: Some(SIZE as u64), modified: None };

    // Ceiling: aes-gcm over 16 KiB chunks, in place, one buffer.
    let cipher = Aes256Gcm::new(&[9u8; 32].into());
    let mut buf = data.clone();
    let mut ceiling = || {
        for (i, chunk) in buf.chunks_mut(16384).enumerate() {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
            let tag = cipher.encrypt_inout_detached(&Nonce::from(nonce), &[], chunk.into()).unwrap();
            black_box(tag);
        }
    };

    // Sealing into one reused buffer, as the ceiling works in one buffer.
    let mut sealed = Vec::with_capacity(SIZE + SIZE / 1000 + 4096);
    let mut seal = || {
        sealed.clear();
        let start = begin_seal(key, &meta).unwrap();
        sealed.extend_from_slice(&start.prefix);
        let mut sealer = content_sealer(start.content_key);
        sealer.push(black_box(&data), &mut sealed).unwrap();
        sealer.finish(&mut sealed).unwrap();
    };
    let reference = orgseal_core::seal_bytes(key, &meta, &data).unwrap();
    assert_eq!(orgseal_core::open_bytes(&ring, &reference).unwrap().1, data);

    let header = Header::parse(&reference).unwrap();
    let start = begin_open(&ring, &reference).unwrap();
    let mut out = Vec::with_capacity(SIZE + 16384);
    let mut open = || {
        out.clear();
        let mut opener = ContentOpener::new(&start);
        opener.push(&reference[header.prefix_len()..], &mut out).unwrap();
        opener.finish(&mut out).unwrap();
    };
    let r = interleaved(&mut [&mut ceiling, &mut seal, &mut open]);
    let (ceiling, seal, open) = (r[0], r[1], r[2]);

    println!("64 MiB in memory, median of {RUNS} runs, MB/s (10^6 B/s):");
    println!("  aes-gcm 16 KiB chunks (ceiling)  {ceiling:8.0}");
    println!("  orgseal-core seal                {seal:8.0}   {:.2}x ceiling", seal / ceiling);
    println!("  orgseal-core open                {open:8.0}   {:.2}x ceiling", open / ceiling);
}
