//! The reader on arbitrary bytes: never panics, never releases plaintext from a
//! file that does not verify, and agrees between the in-memory and streaming
//! readers. Inputs that start with a valid sealed file (the seed corpus, made
//! with a fixed key) let the fuzzer reach the chunk code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgseal_core::{KeyRing, OrgKey, open_bytes};

fn ring() -> KeyRing {
    KeyRing::new(vec![OrgKey::from_bytes("fuzz", [7u8; 32])], 0)
}

fuzz_target!(|data: &[u8]| {
    let ring = ring();
    let whole = open_bytes(&ring, data);
    let mut out = Vec::new();
    let streamed = orgseal_core::io::open(&ring, data, &mut out);
    match (&whole, &streamed) {
        (Ok((meta, plain)), Ok(meta2)) => {
            assert_eq!(meta, meta2);
            assert_eq!(plain, &out);
        }
        (Err(_), Err(_)) => {}
        _ => panic!("the in-memory and streaming readers disagree"),
    }
});
