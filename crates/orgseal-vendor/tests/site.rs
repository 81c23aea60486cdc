//! The vendor site over real HTTP on 127.0.0.1: upload, list, download.

use orgseal_vendor::{Config, serve};
use reqwest::multipart::{Form, Part};

struct Site {
    base: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start(csp: Option<&str>) -> Site {
    let dir = std::env::temp_dir().join(format!("orgseal-vendor-test-{}-{}", std::process::id(), rand_suffix()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config { data: dir.clone(), csp: csp.map(str::to_string), max_upload: 1 << 30 };
    tokio::spawn(async move { serve(listener, config).await.unwrap() });
    // serve() creates the folders before accepting; wait until it answers.
    for _ in 0..100 {
        if reqwest::get(format!("{base}/api/files")).await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Site { base, _dir: TempDir(dir) }
}

fn rand_suffix() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    hex::encode(b)
}

fn part(bytes: &[u8], name: &str) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_string())
}

#[tokio::test]
async fn upload_list_download() {
    let site = start(Some("default-src 'self'")).await;
    let client = reqwest::Client::new();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let form = Form::new().part("file", part(b"hello", "hello.txt")).part("file", part(&big, "Résumé 2026.pdf"));
    let res = client.post(format!("{}/api/files", site.base)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let ids: serde_json::Value = res.json().await.unwrap();
    let ids: Vec<String> = ids["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);

    let list: serde_json::Value =
        client.get(format!("{}/api/files", site.base)).send().await.unwrap().json().await.unwrap();
    let mut listed: Vec<(&str, u64)> =
        list.as_array().unwrap().iter().map(|f| (f["name"].as_str().unwrap(), f["size"].as_u64().unwrap())).collect();
    listed.sort();
    assert_eq!(listed, [("Résumé 2026.pdf", 3_000_000), ("hello.txt", 5)]);

    let res = client.get(format!("{}/api/files/{}/content", site.base, ids[1])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cd = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(cd.contains("filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"), "{cd}");
    assert_eq!(res.headers()["content-security-policy"], "default-src 'self'");
    assert!(res.bytes().await.unwrap() == big);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404() {
    let site = start(None).await;
    for id in ["0123456789abcdef01234567", "..%2F..%2Fetc%2Fpasswd", "zz"] {
        let res = reqwest::get(format!("{}/api/files/{id}/content", site.base)).await.unwrap();
        assert_eq!(res.status(), 404, "{id}");
    }
}

#[tokio::test]
async fn form_upload_redirects_and_page_escapes_names() {
    let site = start(Some("default-src 'self'")).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = Form::new().part("file", part(b"x", "<script>alert(1)</script>.txt"));
    let res = client.post(format!("{}/upload", site.base)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let page = client.get(format!("{}/", site.base)).send().await.unwrap();
    assert_eq!(page.headers()["content-security-policy"], "default-src 'self'");
    let html = page.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<script>") || html.matches("<script").count() == 1, "only the page's own external script");
}

#[tokio::test]
async fn an_empty_file_input_stores_nothing_and_csp_can_be_off() {
    let site = start(None).await;
    let form = Form::new().part("file", Part::bytes(Vec::new()).file_name(""));
    let res = reqwest::Client::new().post(format!("{}/api/files", site.base)).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let list: serde_json::Value = reqwest::get(format!("{}/api/files", site.base)).await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);
    let page = reqwest::get(format!("{}/", site.base)).await.unwrap();
    assert!(page.headers().get("content-security-policy").is_none());
}
