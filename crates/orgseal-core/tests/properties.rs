//! Property tests: for random sizes, random metadata and random ways of cutting
//! the input into pieces, every path through the core gives the plaintext
//! back, and all paths agree byte for byte.

use orgseal_core::file::{ContentOpener, begin_open, begin_seal, content_sealer, open_bytes, seal_bytes};
use orgseal_core::layout::{ContentLayout, open_chunk};
use orgseal_core::primitives::CHUNK_LEN;
use orgseal_core::{KeyRing, Metadata, OrgKey};
use proptest::prelude::*;
use std::io::Read;

fn key() -> OrgKey {
    OrgKey::from_bytes("prop", [42u8; 32])
}

/// Sizes that favour chunk edges: k·16384 + d for small k and d in -2..=2,
/// and anything up to four chunks.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        (0usize..5, -2i64..=2).prop_map(|(k, d)| (k as i64 * CHUNK_LEN as i64 + d).max(0) as usize),
        0usize..70_000,
    ]
}

fn metadata(len: usize) -> impl Strategy<Value = Metadata> {
    ("[^\u{0}]{1,40}", "[a-z]{0,10}/?[a-z0-9.+-]{0,20}", any::<bool>(), proptest::option::of(any::<i64>())).prop_map(
        move |(name, mime, with_size, modified)| Metadata {
            name,
            mime,
            size: with_size.then_some(len as u64),
            modified,
        },
    )
}

fn plaintext(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8).collect()
}

/// Cuts `data` at the given lengths (cycled), for push-style feeding.
fn pieces<'a>(data: &'a [u8], cuts: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut at = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        let n = cuts[i % cuts.len()].clamp(1, data.len() - at);
        i += 1;
        let piece = &data[at..at + n];
        at += n;
        Some(piece)
    })
}

/// A reader that hands out at most the next cut's length per `read`.
struct Jagged<'a> {
    data: &'a [u8],
    cuts: &'a [usize],
    i: usize,
}

impl Read for Jagged<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.cuts[self.i % self.cuts.len()].clamp(1, buf.len()).min(self.data.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(prop_oneof![1usize..64, 1usize..20_000, Just(CHUNK_LEN), Just(CHUNK_LEN + 16)], 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Sealing pushed in random pieces equals, once opened, the plaintext;
    /// opening pushed in random pieces, through the io adapters with jagged
    /// reads, and in one piece all give the same bytes and metadata.
    #[test]
    fn every_path_round_trips(
        (len, meta) in size().prop_flat_map(|len| (Just(len), metadata(len))),
        seed in any::<u8>(),
        seal_cuts in cuts(),
        open_cuts in cuts(),
    ) {
        let ring = KeyRing::new(vec![key()], 0);
        let key = ring.encrypt_key();
        let pt = plaintext(len, seed);

        // Push-style sealing, as the browser's sealer frame does it.
        let start = begin_seal(key, &meta).unwrap();
        let mut file = start.prefix.clone();
        let mut sealer = content_sealer(start.content_key);
        for piece in pieces(&pt, &seal_cuts) {
            sealer.push(piece, &mut file).unwrap();
        }
        sealer.finish(&mut file).unwrap();
        let chunks = len.div_ceil(CHUNK_LEN).max(1) + usize::from(len > 0 && len % CHUNK_LEN == 0);
        prop_assert_eq!(file.len(), start.prefix.len() + len + 16 * chunks);

        // In one piece.
        let (m, out) = open_bytes(&ring, &file).unwrap();
        prop_assert_eq!(&m, &meta);
        prop_assert!(out == pt);

        // Push-style opening, as the offscreen document does it.
        let opened = begin_open(&ring, &file).unwrap();
        let mut opener = ContentOpener::new(&opened);
        let mut out = Vec::new();
        for piece in pieces(&file[opened.content_offset as usize..], &open_cuts) {
            opener.push(piece, &mut out).unwrap();
        }
        prop_assert_eq!(opener.finish(&mut out).unwrap(), len as u64);
        prop_assert!(out == pt);

        // The io adapters, with reads of random lengths on both sides.
        let mut sealed = Vec::new();
        orgseal_core::io::seal(key, &meta, Jagged { data: &pt, cuts: &seal_cuts, i: 0 }, &mut sealed).unwrap();
        let mut out = Vec::new();
        let m = orgseal_core::io::open(&ring, Jagged { data: &sealed, cuts: &open_cuts, i: 0 }, &mut out).unwrap();
        prop_assert_eq!(m, meta.clone());
        prop_assert!(out == pt);

        // And seal_bytes is the same format (salts differ, lengths do not).
        prop_assert_eq!(seal_bytes(key, &meta, &pt).unwrap().len(), file.len());
    }

    /// Any plaintext range read through the chunk layout equals the same slice
    /// of the plaintext.
    #[test]
    fn any_range_reads_its_slice(len in 1usize..60_000, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let ring = KeyRing::new(vec![key()], 0);
        let key = ring.encrypt_key();
        let pt = plaintext(len, 7);
        let meta = Metadata { name: "r".into(), mime: String::new(), size: Some(len as u64), modified: None };
        let file = seal_bytes(key, &meta, &pt).unwrap();
        let opened = begin_open(&ring, &file).unwrap();
        let layout = ContentLayout::new(opened.content_offset, file.len() as u64).unwrap();
        prop_assert_eq!(layout.plaintext_len, len as u64);
        // The length a sealing writer reserves is the length the sealer writes.
        let planned = ContentLayout::for_plaintext(opened.content_offset, len as u64).unwrap();
        prop_assert_eq!(planned.file_len(), file.len() as u64);
        prop_assert_eq!(planned, layout);
        let (mut first, mut last) = (a.index(len), b.index(len));
        if last < first {
            std::mem::swap(&mut first, &mut last);
        }
        let (ka, kb) = layout.chunks_for(first as u64, last as u64 + 1).unwrap();
        let mut got = Vec::new();
        for k in ka..=kb {
            let (offset, n) = layout.chunk(k);
            let plain = open_chunk(&opened.content_key, &layout, k, &file[offset as usize..offset as usize + n]).unwrap();
            got.extend_from_slice(&plain);
        }
        let skip = first - ka as usize * CHUNK_LEN;
        prop_assert!(got[skip..skip + (last - first + 1)] == pt[first..=last]);
    }

    /// A sealed file with any single byte changed is refused by every reader.
    #[test]
    fn any_changed_byte_is_refused(len in 0usize..40_000, at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let ring = KeyRing::new(vec![key()], 0);
        let key = ring.encrypt_key();
        let meta = Metadata { name: "t".into(), mime: String::new(), size: None, modified: None };
        let mut file = seal_bytes(key, &meta, &plaintext(len, 1)).unwrap();
        let i = at.index(file.len());
        file[i] ^= flip;
        prop_assert!(open_bytes(&ring, &file).is_err());
        prop_assert!(orgseal_core::io::open(&ring, &file[..], std::io::sink()).is_err());
    }
}
