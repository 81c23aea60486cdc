//! The OrgSeal v1 file around Cobblestone: round trips at the chunk
//! boundaries, streaming in odd read sizes, tampering and every header rule.

use orgseal_core::file::{ContentOpener, content_sealer};
use orgseal_core::header::{HEADER_LEN, Header};
use orgseal_core::stream::sealed_message_len;
use orgseal_core::{Error, KeyRing, Metadata, OrgKey, begin_open, begin_seal, open_bytes, seal_bytes};

fn ring() -> KeyRing {
    KeyRing::new(vec![OrgKey::generate("2026-q4"), OrgKey::generate("2026-q3")], 0)
}

fn meta(name: &str, size: Option<u64>) -> Metadata {
    Metadata { name: name.into(), mime: "application/octet-stream".into(), size, modified: Some(1_790_000_000_000) }
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + i / 7) as u8).collect()
}

#[test]
fn round_trip_at_chunk_boundaries() {
    let ring = ring();
    for n in [0, 1, 16383, 16384, 16385, 32768, 5 * 16384 + 17] {
        let pt = data(n);
        let m = meta("report.pdf", Some(n as u64));
        let sealed = seal_bytes(ring.encrypt_key(), &m, &pt).unwrap();
        assert_eq!(&sealed[..7], b"OrgSeal");
        let header = Header::parse(&sealed).unwrap();
        // Total size as the spec gives it.
        let expected = HEADER_LEN as u64 + header.meta_len as u64 + sealed_message_len(n as u64);
        assert_eq!(sealed.len() as u64, expected, "size for {n}");
        let (m2, pt2) = open_bytes(&ring, &sealed).unwrap();
        assert_eq!(m2, m);
        assert!(pt2 == pt, "plaintext differs for {n}");
    }
}

#[test]
fn streaming_with_any_push_size_gives_the_same_plaintext() {
    let ring = ring();
    let pt = data(3 * 16384 + 100);
    let sealed = seal_bytes(ring.encrypt_key(), &meta("a", None), &pt).unwrap();
    let start = begin_open(&ring, &sealed).unwrap();
    for step in [1, 7, 16399, 16400, 16401, 70_000] {
        let mut opener = ContentOpener::new(&start);
        let mut out = Vec::new();
        for piece in sealed[start.content_offset as usize..].chunks(step) {
            opener.push(piece, &mut out).unwrap();
        }
        opener.finish(&mut out).unwrap();
        assert!(out == pt, "push size {step}");
    }
    // Sealing in odd push sizes gives a file that opens to the same plaintext.
    let s = begin_seal(ring.encrypt_key(), &meta("b", Some(pt.len() as u64))).unwrap();
    let mut file = s.prefix;
    let mut enc = content_sealer(s.content_key);
    for piece in pt.chunks(5000) {
        enc.push(piece, &mut file).unwrap();
    }
    enc.finish(&mut file).unwrap();
    assert_eq!(open_bytes(&ring, &file).unwrap().1, pt);
}

#[test]
fn older_key_opens_and_unknown_key_is_named() {
    let old = OrgKey::generate("old");
    let sealed = seal_bytes(&old, &meta("x", None), b"hello").unwrap();
    let id = old.id().to_string();
    let ring_with_old = KeyRing::new(vec![OrgKey::generate("new"), OrgKey::from_bytes("old", [0; 32])], 0);
    let err = open_bytes(&ring_with_old, &sealed).unwrap_err();
    assert_eq!(err, Error::UnknownKey { key_id: id.clone() });
    assert!(err.to_string().contains(&id));
    let mut keys = vec![OrgKey::generate("new")];
    keys.push(old);
    let (m, pt) = open_bytes(&KeyRing::new(keys, 0), &sealed).unwrap();
    assert_eq!((m.name.as_str(), pt.as_slice()), ("x", &b"hello"[..]));
}

#[test]
fn every_flipped_byte_and_every_truncation_is_refused() {
    let ring = ring();
    let pt = data(16384 + 10);
    let sealed = seal_bytes(ring.encrypt_key(), &meta("t", Some(pt.len() as u64)), &pt).unwrap();
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(open_bytes(&ring, &bad).is_err(), "flip at {i} accepted");
    }
    for len in 0..sealed.len() {
        assert!(open_bytes(&ring, &sealed[..len]).is_err(), "truncation to {len} accepted");
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(open_bytes(&ring, &longer).is_err(), "appended byte accepted");
}

#[test]
fn content_cannot_move_to_another_files_metadata() {
    let ring = ring();
    let a = seal_bytes(ring.encrypt_key(), &meta("a.txt", None), b"secret a").unwrap();
    let b = seal_bytes(ring.encrypt_key(), &meta("b-longer-name.txt", None), b"secret b").unwrap();
    let ha = Header::parse(&a).unwrap();
    let hb = Header::parse(&b).unwrap();
    let mut spliced = b[..HEADER_LEN + hb.meta_len as usize].to_vec();
    spliced.extend_from_slice(&a[HEADER_LEN + ha.meta_len as usize..]);
    let err = open_bytes(&ring, &spliced).unwrap_err();
    assert!(matches!(err, Error::CommitmentMismatch { part: "content", .. }), "{err:?}");
}

#[test]
fn header_rules() {
    let ring = ring();
    let good = seal_bytes(ring.encrypt_key(), &meta("h", None), b"x").unwrap();
    assert_eq!(open_bytes(&ring, b"%PDF-1.7 not sealed").unwrap_err(), Error::NotOrgSeal);
    let mut v2 = good.clone();
    v2[7] = 2;
    assert_eq!(open_bytes(&ring, &v2).unwrap_err(), Error::UnsupportedVersion { version: 2 });
    let mut small = good.clone();
    small[24..28].copy_from_slice(&71u32.to_be_bytes());
    assert_eq!(open_bytes(&ring, &small).unwrap_err(), Error::MetaLenOutOfRange { len: 71 });
    assert!(matches!(open_bytes(&ring, &good[..40]).unwrap_err(), Error::ShortFile { .. }));
}

#[test]
fn size_in_metadata_is_checked() {
    let ring = ring();
    let sealed = seal_bytes(ring.encrypt_key(), &meta("s", Some(4)), b"three").unwrap();
    assert!(matches!(open_bytes(&ring, &sealed).unwrap_err(), Error::SizeMismatch { expected: 4, .. }));
}

#[test]
fn secrets_never_print() {
    let k = OrgKey::generate("label-1");
    let secret = k.to_base64url().to_string();
    let s = begin_seal(&k, &meta("d", None)).unwrap();
    let shown = format!("{k:?} {s:?}");
    assert!(!shown.contains(&secret));
    assert!(shown.contains("label-1") && shown.contains("redacted"));
}

#[test]
fn io_adapters_round_trip_and_refuse_damage() {
    let ring = ring();
    for n in [0usize, 16384, 200_000] {
        let pt = data(n);
        let mut sealed = Vec::new();
        let m = meta("io.bin", Some(n as u64));
        orgseal_core::io::seal(ring.encrypt_key(), &m, &pt[..], &mut sealed).unwrap();
        assert_eq!(open_bytes(&ring, &sealed).unwrap().1, pt, "native and io agree for {n}");
        let mut out = Vec::new();
        let back = orgseal_core::io::open(&ring, &sealed[..], &mut out).unwrap();
        assert_eq!((back, out), (m, pt));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(orgseal_core::io::open(&ring, &bad[..], std::io::sink()).is_err());
    }
}

#[test]
fn any_chunk_opens_on_its_own_and_ranges_map_to_chunks() {
    use orgseal_core::layout::{ContentLayout, open_chunk};
    let ring = ring();
    for n in [0usize, 1, 16383, 16384, 16385, 3 * 16384 + 5] {
        let pt = data(n);
        let sealed = seal_bytes(ring.encrypt_key(), &meta("r", Some(n as u64)), &pt).unwrap();
        let start = begin_open(&ring, &sealed).unwrap();
        let layout = ContentLayout::new(start.content_offset, sealed.len() as u64).unwrap();
        assert_eq!(layout.plaintext_len, n as u64);
        assert_eq!(layout.chunks, n as u64 / 16384 + 1);
        let mut joined = Vec::new();
        for k in 0..layout.chunks {
            let (off, len) = layout.chunk(k);
            joined
                .extend(open_chunk(&start.content_key, &layout, k, &sealed[off as usize..off as usize + len]).unwrap());
        }
        assert_eq!(joined, pt, "chunks joined for {n}");
        // A chunk presented at another index fails.
        if layout.chunks > 1 {
            let (off, len) = layout.chunk(0);
            let chunk0 = &sealed[off as usize..off as usize + len];
            assert!(open_chunk(&start.content_key, &layout, 1, chunk0).is_err());
        }
        if n > 0 {
            let (a, b) = layout.chunks_for(n as u64 - 1, n as u64).unwrap();
            assert_eq!((a, b), ((n as u64 - 1) / 16384, (n as u64 - 1) / 16384));
        }
        assert!(layout.chunks_for(0, n as u64 + 1).is_none());
        // A file cut at a chunk boundary has no final chunk.
        if n >= 16384 {
            let cut = start.content_offset + 16400;
            assert!(ContentLayout::new(start.content_offset, cut).is_err());
        }
    }
}

#[test]
fn open_range_gives_exactly_the_bytes_asked_for_and_applies_every_reading_rule() {
    use orgseal_core::io::{StreamError, open_range};
    use std::io::Cursor;
    let ring = ring();
    let range = |file: &[u8], a: u64, b: u64| {
        let mut out = Vec::new();
        open_range(&ring, Cursor::new(file), a, b, &mut out).map(|_| out)
    };
    for n in [1usize, 16383, 16384, 16385, 3 * 16384 + 5] {
        let pt = data(n);
        let sealed = seal_bytes(ring.encrypt_key(), &meta("r", Some(n as u64)), &pt).unwrap();
        let last = n as u64 - 1;
        for (a, b) in
            [(0, 0), (0, last), (last, last), (last / 2, last), (16383.min(last), last), (1.min(last), 16384.min(last))]
        {
            assert_eq!(range(&sealed, a, b).unwrap(), pt[a as usize..=b as usize], "{a}-{b} of {n}");
        }
        // Past the end: a range error naming the size, nothing written.
        let mut out = Vec::new();
        let e = open_range(&ring, Cursor::new(&sealed), 0, n as u64, &mut out).unwrap_err();
        assert!(matches!(e, StreamError::OutOfRange { plaintext_len, .. } if plaintext_len == n as u64), "{e}");
        assert!(out.is_empty());
        // The final chunk is checked first: a damaged last byte refuses even a
        // range in the first chunk, before anything is written.
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        let mut out = Vec::new();
        let e = open_range(&ring, Cursor::new(&bad), 0, 0, &mut out).unwrap_err();
        assert!(matches!(&e, StreamError::Refused(e) if e.code() == "damaged"), "{e}");
        assert!(out.is_empty());
        // A file cut after its first full chunk is refused as cut.
        if n > 16384 {
            let start = begin_open(&ring, &sealed).unwrap();
            let cut = &sealed[..start.content_offset as usize + 16400];
            let e = range(cut, 0, 0).unwrap_err();
            assert!(matches!(&e, StreamError::Refused(e) if e.code() == "truncated"), "{e}");
        }
    }
    // The metadata's size must match the length the file implies.
    // (seal_bytes writes what it is given, so a wrong size can be sealed.)
    let sealed = seal_bytes(ring.encrypt_key(), &meta("r", Some(5)), &data(4)).unwrap();
    let e = range(&sealed, 0, 0).unwrap_err();
    assert!(matches!(&e, StreamError::Refused(e) if e.code() == "size-mismatch"), "{e}");
    // An empty file has no range at all.
    let empty = seal_bytes(ring.encrypt_key(), &meta("r", Some(0)), &[]).unwrap();
    assert!(matches!(range(&empty, 0, 0).unwrap_err(), StreamError::OutOfRange { plaintext_len: 0, .. }));
}

/// Writes the fuzzer's seed corpus (valid files under the fuzz target's fixed
/// key) when ORGSEAL_FUZZ_SEEDS names a folder; otherwise does nothing but check
/// the seeds open.
#[test]
fn fuzz_seeds() {
    let key = OrgKey::from_bytes("fuzz", [7u8; 32]);
    let ring = KeyRing::new(vec![OrgKey::from_bytes("fuzz", [7u8; 32])], 0);
    let dir = std::env::var_os("ORGSEAL_FUZZ_SEEDS").map(std::path::PathBuf::from);
    for n in [0usize, 5, 16384, 16390] {
        let sealed = seal_bytes(&key, &meta("seed", Some(n as u64)), &data(n)).unwrap();
        assert_eq!(open_bytes(&ring, &sealed).unwrap().1.len(), n);
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("seed-{n}")), &sealed).unwrap();
        }
    }
}

#[test]
fn dropped_duplicated_and_swapped_chunks_are_refused() {
    let ring = ring();
    let pt = data(3 * 16384 + 77);
    let sealed = seal_bytes(ring.encrypt_key(), &meta("c", None), &pt).unwrap();
    let start = begin_open(&ring, &sealed).unwrap();
    let off = start.content_offset as usize;
    let chunk = |k: usize| &sealed[off + k * 16400..(off + (k + 1) * 16400).min(sealed.len())];
    let with = |order: &[usize]| {
        let mut f = sealed[..off].to_vec();
        for &k in order {
            f.extend_from_slice(chunk(k));
        }
        f
    };
    assert_eq!(open_bytes(&ring, &with(&[0, 1, 2, 3])).unwrap().1, pt, "the original order opens");
    for order in [
        &[0, 2, 3][..],
        &[1, 2, 3],
        &[0, 1, 2],
        &[0, 0, 1, 2, 3],
        &[0, 1, 1, 2, 3],
        &[1, 0, 2, 3],
        &[0, 2, 1, 3],
        &[0, 1, 3],
    ] {
        assert!(open_bytes(&ring, &with(order)).is_err(), "chunks in order {order:?} must not open");
    }
}

/// What a reader that runs AES-GCM elsewhere (the extension's WebCrypto path)
/// does: the core's `OpenCounter` decides which sealed bytes form chunk `k`
/// and every refusal; the caller only runs the AES-GCM calls (here the native
/// cipher). Pieces arrive in sizes `step`.
fn open_by_counter(ring: &KeyRing, file: &[u8], step: usize) -> Result<Vec<u8>, Error> {
    use orgseal_core::layout::OpenCounter;
    use orgseal_core::primitives::SEALED_CHUNK_LEN;
    use orgseal_core::stream::ChunkAead;
    let start = begin_open(ring, file)?;
    let key = &start.content_key;
    let aead = key.native();
    let mut counter = OpenCounter::new(start.content_offset, start.metadata.size);
    let content = &file[start.content_offset as usize..];
    let mut out = Vec::new();
    let chunk_at = |k: u64, len: usize| &content[k as usize * SEALED_CHUNK_LEN..k as usize * SEALED_CHUNK_LEN + len];
    // As extension/bulk/gcm.js: a refusal met on the way is held, the rest
    // only counted, and thrown after the length's checks.
    let mut failure = None;
    for piece in content.chunks(step.max(1)) {
        let ready = counter.push(piece.len() as u64)?;
        if failure.is_some() {
            continue;
        }
        for k in ready {
            if aead.open_chunk(&key.nonce(k), chunk_at(k, SEALED_CHUNK_LEN), &mut out).is_err() {
                failure = Some(counter.damaged(k));
                break;
            }
        }
        if failure.is_none() {
            failure = counter.check_released().err();
        }
    }
    counter.check_length()?;
    if let Some(e) = failure {
        return Err(e);
    }
    let (k, len) = counter.finish()?;
    aead.open_chunk(&key.nonce(k), chunk_at(k, len), &mut out).map_err(|_| counter.damaged(k))?;
    assert_eq!(counter.check_finished()?, out.len() as u64);
    Ok(out)
}

#[test]
fn the_counted_reader_accepts_and_refuses_exactly_what_the_core_does() {
    let ring = ring();
    for n in [0usize, 1, 16383, 16384, 16385, 2 * 16384, 2 * 16384 + 3] {
        let pt = data(n);
        let sealed = seal_bytes(ring.encrypt_key(), &meta("c", Some(n as u64)), &pt).unwrap();
        let content_offset = begin_open(&ring, &sealed).unwrap().content_offset as usize;
        for step in [1usize, 16399, 16400, 16401, 1 << 20] {
            assert_eq!(open_by_counter(&ring, &sealed, step).unwrap(), pt, "{n} bytes in pieces of {step}");
        }
        // Every cut after the prefix, a byte flipped in each chunk, a byte appended.
        // Cuts: the first bytes of the content, and around every chunk edge.
        let mut cuts: Vec<usize> = (0..20).map(|d| content_offset + d).collect();
        for edge in (content_offset..=sealed.len()).step_by(16400) {
            cuts.extend([0usize, 1, 15, 16, 17].iter().flat_map(|&d| [edge.saturating_sub(d), edge + d]));
        }
        cuts.retain(|&c| c >= content_offset && c < sealed.len());
        cuts.sort_unstable();
        cuts.dedup();
        let mut variants: Vec<Vec<u8>> = cuts.iter().map(|&cut| sealed[..cut].to_vec()).collect();
        for at in (content_offset..sealed.len()).step_by(4099) {
            let mut bad = sealed.clone();
            bad[at] ^= 0x20;
            variants.push(bad);
        }
        variants.push([sealed.clone(), vec![0]].concat());
        for bad in variants {
            let core = open_bytes(&ring, &bad).map(|(_, p)| p);
            for step in [7usize, 16400, 16401, 1 << 20] {
                let counted = open_by_counter(&ring, &bad, step);
                match (&core, &counted) {
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "{n} bytes, {} long, step {step}", bad.len())
                    }
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    _ => panic!("core {core:?} but counted {counted:?} ({n} bytes, {} long, step {step})", bad.len()),
                }
            }
        }
    }
    // The metadata's size against the content: too short and too long.
    for (said, n) in [(5u64, 4usize), (3, 4), (16383, 16385)] {
        let sealed = seal_bytes(ring.encrypt_key(), &meta("s", Some(said)), &data(n)).unwrap();
        let core = open_bytes(&ring, &sealed).unwrap_err().to_string();
        for step in [1usize, 16400, 1 << 20] {
            assert_eq!(open_by_counter(&ring, &sealed, step).unwrap_err().to_string(), core, "{said} said, {n} sealed");
        }
    }
}

#[test]
fn a_whole_input_shorter_than_the_magic_is_not_an_orgseal_file() {
    for whole in [&b""[..], b"O", b"OrgSea"] {
        assert!(matches!(Header::parse_start(whole, true), Err(Error::NotOrgSeal)), "{whole:?}");
        // Not yet ended: it may still become one.
        assert!(matches!(Header::parse_start(whole, false), Err(Error::ShortFile { .. })), "{whole:?}");
    }
    assert!(matches!(Header::parse_start(b"OrgSeal", true), Err(Error::ShortFile { .. })));
    assert!(matches!(Header::parse_start(b"%PDF", true), Err(Error::NotOrgSeal)));
}
