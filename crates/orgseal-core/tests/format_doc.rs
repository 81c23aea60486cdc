//! docs/FORMAT.md's worked examples (§10) against the core and the vector
//! files, so that the page cannot drift from the code: every byte, value and
//! length the page shows is read out of the page and recomputed here.

use orgseal_core::file::{CONTENT_CONTEXT, META_CONTEXT};
use orgseal_core::layout::ContentLayout;
use orgseal_core::stream::{MessageKeys, open_message};
use orgseal_core::{KeyRing, OrgKey, open_bytes};
use std::path::PathBuf;

const TEST_KEY: [u8; 32] = *b"orgseal test vector key, public!";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/FORMAT.md")).unwrap()
}

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/vectors/orgseal").join(name)).unwrap()
}

/// The text of the section that starts with `heading`, up to the next heading.
fn section(doc: &str, heading: &str) -> String {
    let start = doc.find(heading).unwrap_or_else(|| panic!("FORMAT.md has no {heading:?}"));
    let rest = &doc[start + heading.len()..];
    let end = rest.find("\n#").unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The cells of every table row in `text` whose first cell is `first`.
fn row(text: &str, first: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect::<Vec<_>>())
        .find(|cells| cells[0] == first)
        .unwrap_or_else(|| panic!("no row {first:?}"))
}

/// The text between the first pair of backticks in `cell`.
fn code(cell: &str) -> &str {
    cell.split('`').nth(1).unwrap_or_else(|| panic!("no `code` in {cell:?}"))
}

fn hex_of(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

#[test]
fn the_valid_file_of_10_1_is_byte_for_byte_what_the_page_shows() {
    let text = section(&doc(), "### 10.1 A valid file: `valid_1_bytes.orgseal` (262 bytes, 1 byte of content)");
    let file = vector("valid_1_bytes.orgseal");
    assert_eq!(file.len(), 262);

    // The header block: offset, bytes, field.
    let block = text.split("```").nth(1).unwrap();
    let mut at = 0;
    for line in block.lines().skip(2).filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split_whitespace();
        let offset: usize = cols.next().unwrap().parse().unwrap();
        let bytes: Vec<u8> = cols.take_while(|c| c.len() == 2).map(|c| u8::from_str_radix(c, 16).unwrap()).collect();
        assert_eq!(offset, at, "{line}");
        assert_eq!(&file[offset..offset + bytes.len()], &bytes[..], "{line}");
        at += bytes.len();
    }
    assert_eq!(at, 28, "the header block covers the 28-byte header");

    // Salts in full, commitments as their first and last 4 bytes.
    let meta_salt = hex_of(code(&row(&text, "28")[2]));
    assert_eq!(&file[28..52], &meta_salt[..]);
    let content_salt = hex_of(code(&row(&text, "189")[2]));
    assert_eq!(&file[189..213], &content_salt[..]);
    for (offset, stored) in [("52", &file[52..84]), ("213", &file[213..245])] {
        let shown = code(&row(&text, offset)[2]).to_string();
        let (head, tail) = shown.split_once('…').unwrap();
        assert_eq!(hex::encode(&stored[..4]), head);
        assert_eq!(hex::encode(&stored[28..]), tail);
    }

    // The derivations, recomputed from the file's salts and contexts.
    let meta_ctx = [META_CONTEXT, &file[..28]].concat();
    let content_ctx = [CONTENT_CONTEXT, &file[..189]].concat();
    for (name, salt, ctx, stored) in
        [("meta", &file[28..52], &meta_ctx, &file[52..84]), ("content", &file[189..213], &content_ctx, &file[213..245])]
    {
        let keys = MessageKeys::derive(&TEST_KEY, salt.try_into().unwrap(), ctx).unwrap();
        let cells = row(&text, name);
        let info_len: usize = cells[1].rsplit('=').next().unwrap().trim().parse().unwrap();
        assert_eq!(info_len, 48 + 24 + ctx.len(), "{name} info length");
        let chunk_key = keys.chunk_key();
        assert_eq!(code(&cells[2]), hex::encode(chunk_key.aead_key()), "{name} key");
        assert_eq!(code(&cells[3]), hex::encode(chunk_key.nonce(0)), "{name} base_nonce");
        assert_eq!(code(&cells[4]), hex::encode(keys.commitment()), "{name} commitment");
        assert_eq!(keys.commitment(), stored, "{name}: the commitment is the stored one");
    }

    // The metadata JSON, and the one content byte.
    let json = text.split("```json").nth(1).unwrap().split("```").next().unwrap().trim();
    let meta_len = u32::from_be_bytes(file[24..28].try_into().unwrap()) as usize;
    assert_eq!(meta_len, 72 + json.len());
    let opened = open_message(&TEST_KEY, &meta_ctx, &file[28..28 + meta_len], 28).unwrap();
    assert_eq!(opened, json.as_bytes());
    let ring = KeyRing::new(vec![OrgKey::from_bytes("test-vectors", TEST_KEY)], 0);
    let (_, pt) = open_bytes(&ring, &file).unwrap();
    assert!(text.contains(&format!("to the single byte `{}`", hex::encode(&pt))), "the content byte is {pt:02x?}");
    assert!(text.contains(&format!("`{:02x} {:02x} {:02x} … {:02x}`", file[245], file[246], file[247], file[261])));
}

#[test]
fn the_layouts_of_10_2_are_the_files() {
    let text = section(&doc(), "### 10.2 Chunk boundaries and random access: the other valid files");
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with("| `valid_")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let file = vector(&format!("{}.orgseal", code(cells[0])));
        let n: u64 = cells[1].parse().unwrap();
        let meta_len: u64 = cells[2].parse().unwrap();
        let offset: u64 = cells[3].parse().unwrap();
        let total: u64 = cells[5].parse().unwrap();
        assert_eq!(u32::from_be_bytes(file[24..28].try_into().unwrap()) as u64, meta_len, "{line}");
        assert_eq!(offset, 84 + meta_len, "{line}");
        assert_eq!(file.len() as u64, total, "{line}");
        let layout = ContentLayout::new(offset, total).unwrap();
        assert_eq!(layout.plaintext_len, n, "{line}");
        let lengths: Vec<String> = (0..layout.chunks).map(|k| layout.chunk(k).1.to_string()).collect();
        let shown = cells[4].split('(').nth(1).unwrap();
        assert!(cells[4].starts_with(&format!("{} (", layout.chunks)), "{line}");
        assert!(shown.starts_with(&lengths.join(", ")), "{line}: the chunks are {lengths:?}");
        rows += 1;
    }
    assert_eq!(rows, 7);
    // The random-access walk through valid_40000_bytes.
    let l = ContentLayout::new(253, 40301).unwrap();
    let starts: Vec<String> = (0..3).map(|k| l.chunk(k).0.to_string()).collect();
    assert!(text.contains(&format!("{}, {}\nand {}", starts[0], starts[1], starts[2])), "chunk starts {starts:?}");
}

#[test]
fn every_file_of_10_3_fails_with_the_code_and_words_the_page_gives() {
    let text = section(&doc(), "### 10.3 Files that must fail");
    let ring = KeyRing::new(vec![OrgKey::from_bytes("test-vectors", TEST_KEY)], 0);
    let mut rows = 0;
    for line in text.lines().filter(|l| l.starts_with("| `fail_") || l.starts_with("| `valid_")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = code(cells[0]);
        let result = open_bytes(&ring, &vector(&format!("{name}.orgseal")));
        let last = cells.last().unwrap();
        if name.starts_with("valid_") {
            let (meta, _) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(last.contains(&meta.name), "{name} opens as {:?}", meta.name);
        } else {
            let err = result.err().unwrap_or_else(|| panic!("{name} opened"));
            assert_eq!(code(last), err.code(), "{name}: {err}");
            // The message, where the page quotes it: each piece around an ellipsis.
            if let Some(words) = last.split("`: `").nth(1) {
                for piece in
                    words.trim_matches(|c| c == '`' || c == ' ').split('…').map(str::trim).filter(|p| !p.is_empty())
                {
                    assert!(err.to_string().contains(piece), "{name}: {piece:?} is not in {err}");
                }
            }
        }
        rows += 1;
    }
    assert!(rows >= 26, "{rows} rows");
}
