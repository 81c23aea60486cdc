//! Shared pieces of the site tests: a site on a free port in a temporary
//! folder, users that log in through the login form, and the binary run as a
//! process (for SIGKILL and for S3 settings that live in the environment).
#![allow(dead_code)]

use orgseal_vendor::Config;
use reqwest::multipart::{Form, Part};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const PASSWORD: &str = "correct horse battery";

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let mut b = [0u8; 6];
        getrandom::fill(&mut b).unwrap();
        let p = std::env::temp_dir().join(format!("orgseal-vendor-{tag}-{}", hex::encode(b)));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Site {
    pub base: String,
    pub data: PathBuf,
    pub _dir: Option<TempDir>,
}

pub async fn add_users(data: &Path) {
    for name in ["alice", "bob"] {
        orgseal_vendor::add_user(data, name, PASSWORD).await.unwrap();
    }
}

/// A site in this process with users alice and bob; `adjust` changes the config.
pub async fn start(adjust: impl FnOnce(&mut Config)) -> Site {
    let dir = TempDir::new("site");
    add_users(&dir.0).await;
    let mut config = Config {
        data: dir.0.clone(),
        store: None,
        csp: None,
        max_upload: 1 << 30,
        require_sealed: false,
        https: false,
        upload_memory: orgseal_vendor::store::DEFAULT_BUDGET,
    };
    adjust(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let site = orgseal_vendor::open(config).await.unwrap();
    tokio::spawn(site.serve(listener));
    Site { base, data: dir.0.clone(), _dir: Some(dir) }
}

/// Names in the local blob folder (partial uploads end in `#N`).
pub fn blob_files(site: &Site) -> Vec<String> {
    match std::fs::read_dir(site.data.join("blobs")) {
        Ok(dir) => dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let end = text[start..].find(after)? + start;
    Some(&text[start..end])
}

/// A signed-in browser-like client.
#[derive(Debug)]
pub struct User {
    pub client: reqwest::Client,
    pub csrf: String,
    pub set_cookie: String,
}

impl User {
    /// Logs in through the login form, as a browser does.
    pub async fn login(site: &Site, name: &str, password: &str) -> Result<User, String> {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = client.get(format!("{}/login", site.base)).send().await.unwrap().text().await.unwrap();
        let token = between(&form, "name=\"_csrf\" value=\"", "\"").expect("login form has a token").to_string();
        let res = client
            .post(format!("{}/login", site.base))
            .form(&[("username", name), ("password", password), ("_csrf", &token)])
            .send()
            .await
            .unwrap();
        if res.status() != reqwest::StatusCode::SEE_OTHER {
            return Err(format!("{}: {}", res.status(), res.text().await.unwrap()));
        }
        let set_cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("vendor_session="))
            .expect("a session cookie");
        let page = client.get(format!("{}/", site.base)).send().await.unwrap().text().await.unwrap();
        let csrf = between(&page, "name=\"csrf-token\" content=\"", "\"").expect("page has a token").to_string();
        Ok(User { client, csrf, set_cookie })
    }

    pub async fn page(&self, site: &Site) -> String {
        self.client.get(format!("{}/", site.base)).send().await.unwrap().text().await.unwrap()
    }

    pub async fn list(&self, site: &Site) -> Vec<serde_json::Value> {
        let res = self.client.get(format!("{}/api/files", site.base)).send().await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        res.json::<Vec<serde_json::Value>>().await.unwrap()
    }

    /// `POST /api/files` with this session's CSRF header.
    pub async fn post_files(&self, site: &Site, form: Form) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(format!("{}/api/files", site.base))
            .header("x-csrf-token", &self.csrf)
            .multipart(form)
            .send()
            .await
    }

    /// Uploads through the API; asserts 201 and returns the ids.
    pub async fn upload(&self, site: &Site, files: Vec<(&str, Vec<u8>)>) -> Vec<String> {
        let mut form = Form::new();
        for (name, bytes) in files {
            form = form.part("file", Part::bytes(bytes).file_name(name.to_string()));
        }
        let res = self.post_files(site, form).await.unwrap();
        let status = res.status();
        let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap_or_default();
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        body["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }
}

/// `orgseal-vendor serve` as a child process.
pub struct Process {
    child: std::process::Child,
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Process {
    pub fn serve(data: &Path, env: &[(&str, &str)]) -> Process {
        Self::serve_with(data, &[], env)
    }

    pub fn serve_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Process {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_orgseal-vendor"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(args)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("orgseal-vendor listening on ")
            .unwrap_or_else(|| panic!("no address; stderr: {}", stderr.lock().unwrap()))
            .to_string();
        Process { child, base, stderr }
    }

    /// Whether the server printed `text` on stderr (waiting up to 2 s for it:
    /// a reader thread collects the lines).
    pub fn stderr_contains(&self, text: &str) -> bool {
        for _ in 0..40 {
            if self.stderr.lock().unwrap().contains(text) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    /// SIGKILL: no cleanup code runs.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
