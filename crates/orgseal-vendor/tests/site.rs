//! The vendor site over real HTTP on 127.0.0.1, as its users and its operator
//! meet it: accounts, CSRF, per-user files, uploads (form and API), ranges,
//! limits, `--require-sealed`, and what a cut-off upload or a killed server
//! leaves behind.

mod common;

use common::{Site, TempDir, User, blob_files, start};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

fn part(bytes: &[u8], name: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_string())
}

fn data(n: usize) -> Vec<u8> {
    (0..n as u32).map(|i| (i % 251) as u8 ^ (i >> 11) as u8).collect()
}

#[tokio::test]
async fn pages_and_api_need_a_session() {
    let site = start(|_| {}).await;
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = anon.get(format!("{}/", site.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let res = anon.get(format!("{}/api/files", site.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("not signed in"));
    // A wrong password is refused with the login form again.
    let err = User::login(&site, "alice", "wrong password").await.unwrap_err();
    assert!(err.contains("Wrong user name or password"), "{err}");
    let err = User::login(&site, "mallory", "whatever1").await.unwrap_err();
    assert!(err.contains("Wrong user name or password"), "{err}");
}

#[tokio::test]
async fn session_cookie_flags() {
    let site = start(|_| {}).await;
    let user = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let cookie = &user.set_cookie;
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");
    let https = start(|c| c.https = true).await;
    let user = User::login(&https, "alice", common::PASSWORD).await.unwrap();
    assert!(user.set_cookie.contains("Secure"), "{}", user.set_cookie);
    // Logging out ends the session on the server, not only in the browser.
    let res = user.client.post(format!("{}/logout", https.base)).form(&[("_csrf", &user.csrf)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = user.client.get(format!("{}/api/files", https.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn each_user_sees_only_their_own_files() {
    let site = start(|_| {}).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let bob = User::login(&site, "bob", common::PASSWORD).await.unwrap();
    let ids = alice.upload(&site, vec![("a.txt", b"alice's".to_vec())]).await;
    let id = &ids[0];
    assert_eq!(bob.list(&site).await.len(), 0);
    for res in [
        bob.client.get(format!("{}/api/files/{id}/content", site.base)).send().await.unwrap(),
        bob.client
            .delete(format!("{}/api/files/{id}", site.base))
            .header("x-csrf-token", &bob.csrf)
            .send()
            .await
            .unwrap(),
        bob.client.post(format!("{}/files/{id}/delete", site.base)).form(&[("_csrf", &bob.csrf)]).send().await.unwrap(),
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert!(!bob.page(&site).await.contains("a.txt"));
    assert_eq!(alice.list(&site).await.len(), 1);
    // Alice deletes it: gone from the list, the content and the store.
    let res =
        alice.client.delete(format!("{}/api/files/{id}", site.base)).header("x-csrf-token", &alice.csrf).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(alice.list(&site).await.len(), 0);
    let res = alice.client.get(format!("{}/api/files/{id}/content", site.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(blob_files(&site).is_empty());
}

#[tokio::test]
async fn every_state_change_needs_the_csrf_token() {
    let site = start(|_| {}).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let form = || Form::new().part("file", part(b"x", "x.txt"));
    // API upload without, and with a wrong, header.
    let res = alice.client.post(format!("{}/api/files", site.base)).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = alice
        .client
        .post(format!("{}/api/files", site.base))
        .header("x-csrf-token", "0".repeat(64))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Form upload without the token field, and with the token after the file.
    let res = alice.client.post(format!("{}/upload", site.base)).multipart(form()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let late = form().text("_csrf", alice.csrf.clone());
    let res = alice.client.post(format!("{}/upload", site.base)).multipart(late).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(alice.list(&site).await.len(), 0);
    assert!(blob_files(&site).is_empty());
    // The right token first: accepted, several files in one form.
    let ok = Form::new()
        .text("_csrf", alice.csrf.clone())
        .part("file", part(b"one", "one.txt"))
        .part("file", part(b"two", "two.txt"));
    let res = alice.client.post(format!("{}/upload", site.base)).multipart(ok).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let ids: Vec<String> = alice.list(&site).await.iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);
    // Deleting needs it too, by API and by form.
    let res = alice.client.delete(format!("{}/api/files/{}", site.base, ids[0])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = alice.client.post(format!("{}/files/{}/delete", site.base, ids[0])).form(&[("_csrf", "")]).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::FORBIDDEN);
    // Logging out, and logging in without the login form's token.
    let res = alice.client.post(format!("{}/logout", site.base)).form(&[("_csrf", "nope")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let fresh = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = fresh
        .post(format!("{}/login", site.base))
        .form(&[("username", "alice"), ("password", common::PASSWORD), ("_csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(alice.list(&site).await.len(), 2);
}

#[tokio::test]
async fn upload_list_download_and_ranges() {
    let site = start(|c| c.csp = Some("default-src 'self'".into())).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let big = data(3_000_000);
    let ids = alice.upload(&site, vec![("hello.txt", b"hello".to_vec()), ("Résumé 2026.pdf", big.clone())]).await;
    assert_eq!(ids.len(), 2);
    let mut listed: Vec<(String, u64)> = alice
        .list(&site)
        .await
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["size"].as_u64().unwrap()))
        .collect();
    listed.sort();
    assert_eq!(listed, vec![("Résumé 2026.pdf".to_string(), 3_000_000), ("hello.txt".to_string(), 5)]);

    let url = format!("{}/api/files/{}/content", site.base, ids[1]);
    let res = alice.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.headers()["content-length"], "3000000");
    let cd = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"), "{cd}");
    assert_eq!(res.headers()["content-security-policy"], "default-src 'self'");
    assert!(res.bytes().await.unwrap() == big);

    for (range, first, last) in [
        ("bytes=0-0", 0, 0),
        ("bytes=1000-2999999", 1000, 2_999_999),
        ("bytes=-10", 2_999_990, 2_999_999),
        ("bytes=2999000-", 2_999_000, 2_999_999),
        ("bytes=100-99999999", 100, 2_999_999),
    ] {
        let res = alice.client.get(&url).header("range", range).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(res.headers()["content-range"], format!("bytes {first}-{last}/3000000").as_str(), "{range}");
        assert!(res.bytes().await.unwrap() == big[first..=last], "{range}");
    }
    let res = alice.client.get(&url).header("range", "bytes=3000000-").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(res.headers()["content-range"], "bytes */3000000");

    // The page lists the file with its size, time, download link and delete button.
    let page = alice.page(&site).await;
    assert!(page.contains("hello.txt") && page.contains("5 B") && page.contains("2.9 MiB") && page.contains("GMT"));
    assert!(page.contains(&format!("/api/files/{}/content", ids[0])) && page.contains("class=\"delete\""));
    assert!(!page.contains("<script>"), "no inline script");

    // Storage that lost or cut a blob behind the site's back: the site says
    // what it has, no more (a missing blob is 404, a cut one is sent as cut).
    std::fs::write(site.data.join("blobs").join(&ids[1]), &big[..1000]).unwrap();
    let res = alice.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers()["content-length"], "1000");
    assert!(res.bytes().await.unwrap() == big[..1000]);
    std::fs::remove_file(site.data.join("blobs").join(&ids[1])).unwrap();
    for range in [None, Some("bytes=0-9")] {
        let mut req = alice.client.get(&url);
        if let Some(r) = range {
            req = req.header("range", r);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::NOT_FOUND, "{range:?}");
    }
}

#[tokio::test]
async fn too_large_uploads_get_413_and_leave_nothing() {
    let site = start(|c| c.max_upload = 1 << 20).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let form = Form::new().part("file", part(&data(2 << 20), "big.bin"));
    let res = alice.post_files(&site, form).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = res.text().await.unwrap();
    assert!(text.contains("1048576 bytes (1.0 MiB)"), "{text}");
    // Without a Content-Length (a streamed body), the limit still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..40).map(|_| Ok(data(64 << 10))).collect();
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))).file_name("s.bin");
    let res = alice.post_files(&site, Form::new().part("file", part)).await;
    // The server answers 413 as soon as the limit is passed; the client may
    // still be sending and see the connection close instead.
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(alice.list(&site).await.len(), 0);
    assert!(blob_files(&site).is_empty(), "{:?}", blob_files(&site));
}

#[tokio::test]
async fn require_sealed_refuses_plain_files() {
    let site = start(|c| c.require_sealed = true).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    for plain in [b"%PDF-1.7 plain".to_vec(), Vec::new(), b"OrgSea".to_vec(), b"OrgSeal\x02xxxxxxxx".to_vec()] {
        let form = Form::new().part("file", part(&plain, "plain.pdf"));
        let res = alice.post_files(&site, form).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(text.contains("\"plain.pdf\" was refused") && text.contains("OrgSeal header"), "{text}");
    }
    let mut sealed = b"OrgSeal\x01".to_vec();
    sealed.extend(data(50_000));
    assert_eq!(alice.upload(&site, vec![("s.orgseal", sealed)]).await.len(), 1);
    assert_eq!(alice.list(&site).await.len(), 1);
    assert_eq!(blob_files(&site).len(), 1);
    // Off by default: the same plain file is stored.
    let open = start(|_| {}).await;
    let bob = User::login(&open, "bob", common::PASSWORD).await.unwrap();
    assert_eq!(bob.upload(&open, vec![("plain.pdf", b"%PDF-1.7 plain".to_vec())]).await.len(), 1);
}

#[tokio::test]
async fn an_upload_cut_off_by_the_client_leaves_nothing() {
    let site = start(|_| {}).await;
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    // 3 MiB, then the client's body fails: the connection is cut mid-file.
    let mut chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..48).map(|_| Ok(data(64 << 10))).collect();
    chunks.push(Err(std::io::Error::other("client gave up")));
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))).file_name("cut.bin");
    let res = alice.post_files(&site, Form::new().part("file", part)).await;
    assert!(res.is_err(), "the request cannot complete");
    // Give the server a moment to notice and clean up.
    for _ in 0..50 {
        if blob_files(&site).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(blob_files(&site).is_empty(), "{:?}", blob_files(&site));
    assert_eq!(alice.list(&site).await.len(), 0);
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    let dir = TempDir::new("useradd");
    let add = |name: &str, password: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_orgseal-vendor"))
            .args(["user", "add", name, "--data"])
            .arg(&dir.0)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = add("carol", "a long passphrase");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = add("carol", "another passphrase");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a user named \"carol\" already exists"));
    let out = add("dave", "short");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
    // The stored hash is argon2id, never the password.
    let db = std::fs::read(dir.0.join("vendor.db")).unwrap();
    let wal = std::fs::read(dir.0.join("vendor.db-wal")).unwrap_or_default();
    let all = [db, wal].concat();
    assert!(all.windows(9).any(|w| w == b"$argon2id"));
    assert!(!all.windows(17).any(|w| w == b"a long passphrase"));
}

/// The server killed with SIGKILL in the middle of an upload: nothing is
/// listed, and the next start removes the partial blob (and any blob that no
/// record names).
#[tokio::test]
async fn a_server_killed_mid_upload_leaves_nothing_listed() {
    let dir = TempDir::new("sigkill");
    common::add_users(&dir.0).await;
    let mut server = common::Process::serve(&dir.0, &[]);
    let site = Site { base: server.base.clone(), data: dir.0.clone(), _dir: None };
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    // A body that sends 2 MiB and then waits forever.
    let first: Vec<Result<Vec<u8>, std::io::Error>> = (0..32).map(|_| Ok(data(64 << 10))).collect();
    let body = futures_util::StreamExt::chain(futures_util::stream::iter(first), futures_util::stream::pending());
    let part = Part::stream(reqwest::Body::wrap_stream(body)).file_name("half.bin");
    let client = alice.client.clone();
    let (url, csrf) = (format!("{}/api/files", site.base), alice.csrf.clone());
    let upload = tokio::spawn(async move {
        client.post(url).header("x-csrf-token", csrf).multipart(Form::new().part("file", part)).send().await
    });
    let mut partial = Vec::new();
    for _ in 0..100 {
        partial = blob_files(&site);
        if partial.iter().any(|n| n.contains('#')) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(partial.iter().any(|n| n.contains('#')), "a partial blob is being written: {partial:?}");
    server.kill();
    let _ = upload.await;
    // An unrecorded complete blob, as if killed between storing and recording.
    std::fs::write(dir.0.join("blobs/0123456789abcdef01234567"), b"orphan").unwrap();
    // Files the site did not make are not its to remove.
    std::fs::write(dir.0.join("blobs/README.txt"), b"the operator's notes").unwrap();
    std::fs::write(dir.0.join("blobs/notes#1"), b"not a staging file of ours").unwrap();

    let server = common::Process::serve(&dir.0, &[]);
    let site = Site { base: server.base.clone(), data: dir.0.clone(), _dir: None };
    assert!(server.stderr_contains("removed 2 partial or unrecorded blob(s)"));
    let mut left = blob_files(&site);
    left.sort();
    assert_eq!(left, ["README.txt", "notes#1"]);
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    assert_eq!(alice.list(&site).await.len(), 0);
    // And the site works on.
    assert_eq!(alice.upload(&site, vec![("after.txt", b"after".to_vec())]).await.len(), 1);
}

/// With the part-buffer budget spent, a further upload is spooled to local
/// disk as it arrives (its client is not held back) and stored once a share
/// is free; the spool file goes away either way.
#[tokio::test]
async fn uploads_beyond_the_memory_budget_are_spooled_then_stored() {
    let site = start(|c| c.upload_memory = 0).await; // room for one upload at a time
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let spool = || -> Vec<String> {
        std::fs::read_dir(site.data.join("spool"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let (first, second) = (data(2 << 20), data(3 << 20).into_iter().rev().collect::<Vec<u8>>());
    // The first upload takes the budget and holds it: half its bytes, a pause, the rest.
    let (a, b) = first.split_at(1 << 20);
    let (a, b) = (a.to_vec(), b.to_vec());
    let slow = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(a) }),
        futures_util::stream::once(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            Ok(b)
        }),
    );
    let part = Part::stream(reqwest::Body::wrap_stream(slow)).file_name("slow.bin");
    let (client, url, csrf) = (alice.client.clone(), format!("{}/api/files", site.base), alice.csrf.clone());
    let slow_upload = tokio::spawn(async move {
        client.post(url).header("x-csrf-token", csrf).multipart(Form::new().part("file", part)).send().await
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // The second arrives whole while the first holds the budget: spooled.
    let (client, url, csrf) = (alice.client.clone(), format!("{}/api/files", site.base), alice.csrf.clone());
    let body = second.clone();
    let quick_upload = tokio::spawn(async move {
        let form = Form::new().part("file", Part::bytes(body).file_name("quick.bin"));
        client.post(url).header("x-csrf-token", csrf).multipart(form).send().await
    });
    let mut seen = Vec::new();
    for _ in 0..40 {
        seen = spool();
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(seen.len(), 1, "the second upload waits in the spool: {seen:?}");
    assert_eq!(slow_upload.await.unwrap().unwrap().status(), StatusCode::CREATED);
    assert_eq!(quick_upload.await.unwrap().unwrap().status(), StatusCode::CREATED);
    assert!(spool().is_empty(), "{:?}", spool());
    for f in alice.list(&site).await {
        let id = f["id"].as_str().unwrap();
        let got = alice.client.get(format!("{}/api/files/{id}/content", site.base)).send().await.unwrap();
        let want = if f["name"] == "slow.bin" { &first } else { &second };
        assert!(got.bytes().await.unwrap() == want[..], "{}", f["name"]);
    }
}
