//! The file commands: encrypt, decrypt (whole or a byte range), inspect.

use crate::failure::{open_failure, stream_failure};
use crate::policy_cmd::load_policy;
use crate::{Failure, files};
use orgseal_core::Metadata;
use orgseal_core::header::Header;
use std::io::Read;
use std::path::{Path, PathBuf};

pub(crate) fn is_dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

pub(crate) fn encrypt(
    policy: &Path,
    input: &Path,
    output: Option<&Path>,
    name: Option<String>,
    force: bool,
) -> Result<(), Failure> {
    let policy = load_policy(policy)?;
    let key = policy.ring.encrypt_key();
    let (reader, size, modified): (Box<dyn Read>, Option<u64>, Option<i64>) = if is_dash(input) {
        (Box::new(std::io::stdin().lock()), None, None)
    } else {
        let file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
        let meta = file.metadata()?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        (Box::new(file), meta.is_file().then_some(meta.len()), modified)
    };
    let name = match name {
        Some(n) => n,
        None if is_dash(input) => {
            return Err(Failure::Usage("reading standard input: give the sealed file name with --name".into()));
        }
        None => input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into()),
    };
    let metadata = Metadata { name, mime: String::new(), size, modified };
    let default_out;
    let output = match output {
        Some(o) => o,
        None if is_dash(input) => Path::new("-"),
        None => {
            default_out = PathBuf::from(format!("{}.orgseal", input.display()));
            &default_out
        }
    };
    files::write_atomically(output, force, |w| {
        orgseal_core::io::seal(key, &metadata, reader, w).map(|_| ()).map_err(|e| stream_failure(input, e))
    })?;
    eprintln!("sealed with key \"{}\" ({})", key.label(), key.id());
    Ok(())
}

pub(crate) fn open_input(input: &Path) -> Result<Box<dyn Read>, Failure> {
    if is_dash(input) {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
}

pub(crate) fn decrypt(policy: &Path, input: &Path, output: Option<&Path>, force: bool) -> Result<(), Failure> {
    let policy = load_policy(policy)?;
    let mut reader = open_input(input)?;
    let (start, prefix) =
        orgseal_core::io::read_prefix(&policy.ring, &mut reader).map_err(|e| open_failure(input, &policy.ring, e))?;
    let sealed_name = start.metadata.file_name();
    let target = match output {
        Some(o) if is_dash(o) => PathBuf::from("-"),
        Some(o) if o.is_dir() => o.join(&sealed_name),
        Some(o) => o.to_path_buf(),
        None => PathBuf::from(&sealed_name),
    };
    // Feed the prefix back in front of the rest of the input.
    let whole = std::io::Cursor::new(prefix).chain(reader);
    files::write_atomically(&target, force, |w| {
        orgseal_core::io::open(&policy.ring, whole, w).map(|_| ()).map_err(|e| open_failure(input, &policy.ring, e))
    })?;
    if !is_dash(&target) {
        eprintln!("opened {} (sealed with key \"{}\")", target.display(), start.key_label);
    }
    Ok(())
}

pub(crate) fn decrypt_range(
    policy: &Path,
    input: &Path,
    output: Option<&Path>,
    force: bool,
    (first, last): (u64, u64),
) -> Result<(), Failure> {
    let policy = load_policy(policy)?;
    if is_dash(input) {
        return Err(Failure::Usage("--range needs a file it can seek in, not standard input".into()));
    }
    let file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
    let target = output.unwrap_or(Path::new("-"));
    // Every reading rule (size check, final chunk first, range arithmetic) is
    // the core's; nothing is written until they pass.
    files::write_atomically(target, force, |w| {
        orgseal_core::io::open_range(&policy.ring, std::io::BufReader::new(file), first, last, w)
            .map(|_| ())
            .map_err(|e| open_failure(input, &policy.ring, e))
    })
}

pub(crate) fn inspect(file: &Path, policy: Option<&Path>, json: bool) -> Result<(), Failure> {
    let len = std::fs::metadata(file).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?.len();
    let mut reader = open_input(file)?;
    let mut first = [0u8; 28];
    reader.read_exact(&mut first).map_err(|_| {
        Failure::Refused(format!("{}: not an OrgSeal file (shorter than the 28-byte header)", file.display()))
    })?;
    let header = Header::parse(&first).map_err(|e| Failure::Refused(format!("{}: {e}", file.display())))?;
    let content = len.saturating_sub(header.prefix_len() as u64);
    // The same layout rules the readers use; a file without its final chunk says so.
    let layout = orgseal_core::layout::ContentLayout::new(header.prefix_len() as u64, len)
        .map_err(|e| Failure::Refused(format!("{}: {e}", file.display())))?;
    let chunks = layout.chunks;
    let mut out = serde_json::json!({
        "version": 1,
        "keyId": header.key_id.to_string(),
        "metaLength": header.meta_len,
        "contentLength": content,
        "chunks": chunks,
        "plaintextLength": layout.plaintext_len,
    });
    if let Some(policy) = policy {
        let policy = load_policy(policy)?;
        let mut whole = std::io::Cursor::new(first.to_vec()).chain(reader);
        let (start, _) =
            orgseal_core::io::read_prefix(&policy.ring, &mut whole).map_err(|e| open_failure(file, &policy.ring, e))?;
        out["keyLabel"] = start.key_label.clone().into();
        out["metadata"] = serde_json::to_value(&start.metadata).map_err(|e| Failure::Usage(e.to_string()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Failure::Usage(e.to_string()))?);
    } else {
        println!("OrgSeal version 1");
        println!("key id          {}", out["keyId"].as_str().unwrap_or_default());
        if let Some(label) = out["keyLabel"].as_str() {
            println!("key label       {label}");
        }
        println!("metadata length {}", header.meta_len);
        let plural = if chunks == 1 { "" } else { "s" };
        println!("content length  {content} ({chunks} chunk{plural}, {} bytes of plaintext)", out["plaintextLength"]);
        if let Some(meta) = out.get("metadata") {
            println!("name            {}", meta["name"].as_str().unwrap_or_default());
            println!("type            {}", meta["type"].as_str().unwrap_or_default());
            if let Some(size) = meta.get("size") {
                println!("size            {size}");
            }
            if let Some(modified) = meta.get("modified") {
                println!("modified (ms)   {modified}");
            }
        }
    }
    Ok(())
}
