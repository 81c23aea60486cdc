//! The site on S3-compatible object storage: a real S3 server (moto's
//! `moto_server`, from PyPI) started on 127.0.0.1 by the test. `cargo xtask
//! test` installs it and sets `ORGSEAL_REQUIRE_S3=1`, so there a missing
//! server fails the test instead of skipping it.

mod common;

use common::{Process, Site, TempDir, User};
use reqwest::StatusCode;
use std::net::TcpListener;
use std::time::Duration;

struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_moto() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("ORGSEAL_MOTO_SERVER") {
        return Some(p.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("moto_server")).find(|p| p.is_file())
}

async fn start_moto() -> Option<Moto> {
    let Some(bin) = find_moto() else {
        assert!(
            std::env::var_os("ORGSEAL_REQUIRE_S3").is_none(),
            "moto_server is not installed (pip install 'moto[server]'), and ORGSEAL_REQUIRE_S3 says this test must run"
        );
        eprintln!("SKIPPED: moto_server not installed; `cargo xtask test` installs it and runs this test");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    for _ in 0..200 {
        if reqwest::get(&moto.endpoint).await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto_server did not start on port {port}");
}

fn data(n: usize) -> Vec<u8> {
    (0..n as u32).map(|i| (i % 241) as u8 ^ (i >> 13) as u8).collect()
}

#[tokio::test]
async fn the_site_on_s3_storage() {
    let Some(moto) = start_moto().await else { return };
    let http = reqwest::Client::new();
    let bucket = format!("{}/orgseal-test", moto.endpoint);
    assert!(http.put(&bucket).send().await.unwrap().status().is_success(), "create bucket");
    let env = [
        ("AWS_ENDPOINT", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ALLOW_HTTP", "true"),
    ];
    let dir = TempDir::new("s3");
    common::add_users(&dir.0).await;
    let args = ["--store", "s3://orgseal-test/vendor"];
    let server = Process::serve_with(&dir.0, &args, &env);
    let site = Site { base: server.base.clone(), data: dir.0.clone(), _dir: None };
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();

    // 12 MiB is three S3 parts (5 + 5 + 2 MiB).
    let big = data(12 << 20);
    let ids = alice.upload(&site, vec![("big.bin", big.clone()), ("small.txt", b"small".to_vec())]).await;
    assert_eq!(alice.list(&site).await.len(), 2);
    // The bytes are in the bucket under the prefix, not on local disk.
    let object = http.get(format!("{bucket}/vendor/{}", ids[0])).send().await.unwrap();
    assert_eq!(object.status(), StatusCode::OK);
    assert!(object.bytes().await.unwrap() == big);
    assert!(!dir.0.join("blobs").exists() || std::fs::read_dir(dir.0.join("blobs")).unwrap().next().is_none());

    let url = format!("{}/api/files/{}/content", site.base, ids[0]);
    let res = alice.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers()["content-length"], (12u64 << 20).to_string().as_str());
    assert!(res.bytes().await.unwrap() == big);
    let res = alice.client.get(&url).header("range", "bytes=5242870-5242889").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert!(res.bytes().await.unwrap() == big[5_242_870..5_242_890]);

    // Bob cannot reach it; Alice deletes it and the object goes.
    let bob = User::login(&site, "bob", common::PASSWORD).await.unwrap();
    assert_eq!(bob.client.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let res = alice
        .client
        .delete(format!("{}/api/files/{}", site.base, ids[0]))
        .header("x-csrf-token", &alice.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let object = http.get(format!("{bucket}/vendor/{}", ids[0])).send().await.unwrap();
    assert_eq!(object.status(), StatusCode::NOT_FOUND);

    // An object no record names (a crash between storing and recording) is
    // removed at the next start; recorded ones stay.
    drop(server);
    let orphan = format!("{bucket}/vendor/0123456789abcdef01234567");
    assert!(http.put(&orphan).body("orphan").send().await.unwrap().status().is_success());
    // Objects the site did not make, in its prefix or beside it, stay.
    for url in [format!("{bucket}/vendor/README.txt"), format!("{bucket}/other-app/0123456789abcdef01234567")] {
        assert!(http.put(&url).body("not ours").send().await.unwrap().status().is_success());
    }
    let server = Process::serve_with(&dir.0, &args, &env);
    assert!(server.stderr_contains("removed 1 partial or unrecorded blob(s)"));
    assert_eq!(http.get(&orphan).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let listing = http.get(format!("{bucket}?list-type=2")).send().await.unwrap().text().await.unwrap();
    for key in ["vendor/README.txt", "other-app/0123456789abcdef01234567", &format!("vendor/{}", ids[1])] {
        assert!(listing.contains(&format!("<Key>{key}</Key>")), "{key} must stay: {listing}");
    }
    let site = Site { base: server.base.clone(), data: dir.0.clone(), _dir: None };
    let alice = User::login(&site, "alice", common::PASSWORD).await.unwrap();
    let listed = alice.list(&site).await;
    assert_eq!(listed.len(), 1);
    let res = alice.client.get(format!("{}/api/files/{}/content", site.base, ids[1])).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"small");
}
