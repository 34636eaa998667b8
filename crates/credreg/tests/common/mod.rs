//! Helpers shared by the tests that run a real `credreg serve` process.
#![allow(dead_code)] // each test binary uses some of them

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-admin-token-0123456789";

pub fn credreg(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_credreg"));
    c.arg("--data-dir")
        .arg(data)
        .env("CREDREG_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn");
    c
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    /// The node's issuer DID.
    pub did: String,
    /// Every line the process prints after its "listening" line.
    pub output: std::sync::mpsc::Receiver<String>,
}

impl Server {
    /// Starts `credreg serve` on an ephemeral port and waits for its "listening" line.
    pub fn start(data: &Path) -> Server {
        Self::start_with_token(data, TOKEN)
    }

    /// Starts it with `CREDREG_ADMIN_TOKEN` set to `token`.
    pub fn start_with_token(data: &Path, token: &str) -> Server {
        Self::start_as(data, token, "Seminole County Public Schools")
    }

    /// Starts it as the district `name`.
    pub fn start_as(data: &Path, token: &str, name: &str) -> Server {
        Self::start_with(data, token, name, &[])
    }

    /// Starts it as the district `name` with more `serve` arguments.
    pub fn start_with(data: &Path, token: &str, name: &str, more: &[&str]) -> Server {
        Self::start_logging(data, token, name, more, None)
    }

    /// [`start_with`](Self::start_with), its log (stderr, at debug for credreg's own crates)
    /// written to `log` when given.
    pub fn start_logging(
        data: &Path,
        token: &str,
        name: &str,
        more: &[&str],
        log: Option<&Path>,
    ) -> Server {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::inherit(),
        };
        let mut command = credreg(data);
        if log.is_some() {
            command.env(
                "RUST_LOG",
                "info,credreg=debug,credreg_api=debug,credreg_web=debug,credreg_node=debug,tower_http=debug",
            );
        }
        let mut child = command
            .env("CREDREG_ADMIN_TOKEN", token)
            .args(["serve", "--http", "127.0.0.1:0", "--name", name])
            .args(more)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn credreg serve");
        let (addr, did, output) = wait_listening(&mut child);
        Server {
            child,
            addr,
            did,
            output,
        }
    }

    /// The next printed line that starts with `prefix`, waiting up to 30 s.
    pub fn printed(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!("credreg serve did not print a line starting {prefix:?}"),
            }
        }
    }

    pub fn client(addr: String) -> Client {
        Client { addr }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, String) {
        Client {
            addr: self.addr.clone(),
        }
        .try_request(method, path, token, body)
        .expect("the server answers")
    }

    /// Publishes the definition `def` (JSON) with the admin token: its id.
    pub fn publish(&self, def: &str) -> String {
        let (status, body) = self.request("POST", "/api/v1/credentials", Some(TOKEN), def);
        assert_eq!(status, 201, "{body}");
        json(&body)["id"].as_str().expect("id").to_owned()
    }

    /// Issues an award of `cred` to `email` with the admin token: the award's JSON text.
    pub fn award(&self, cred: &str, email: &str) -> String {
        let body = format!(r#"{{"credential_id":"{cred}","recipient":{{"email":"{email}"}}}}"#);
        let (status, award) = self.request("POST", "/api/v1/awards", Some(TOKEN), &body);
        assert_eq!(status, 201, "{award}");
        award
    }

    /// Sends SIGTERM and waits (with a deadline) for a clean exit.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "credreg serve exited with {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "credreg serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A minimal HTTP/1.1 client over loopback (one request per connection).
pub struct Client {
    pub addr: String,
}

impl Client {
    /// `None` if the server is unreachable or the connection dies mid-answer.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> Option<(u16, String)> {
        self.try_send(method, path, token, "application/json", body.as_bytes())
    }

    /// [`try_request`](Self::try_request) with any body and content type.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(&self.addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .ok()?;
        s.write_all(body).ok()?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).ok()?;
        let status = raw.split_whitespace().nth(1).and_then(|c| c.parse().ok())?;
        let (_, body) = raw.split_once("\r\n\r\n")?;
        Some((status, body.to_owned()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh data directory with the conformance contexts installed (the TempDir keeps it alive).
/// Reads a `credreg serve` child's stdout until its "listening" line: its address and DID, and
/// the lines printed after it (stdout keeps being drained, so the child never blocks on it).
pub fn wait_listening(child: &mut Child) -> (String, String, std::sync::mpsc::Receiver<String>) {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (addr, did) = loop {
        let line = lines
            .next()
            .expect("credreg serve exited before listening")
            .expect("read stdout");
        if let Some(rest) = line.strip_prefix("credreg listening on http://") {
            let mut words = rest.split_whitespace();
            let addr = words.next().expect("addr").to_owned();
            let did = words.nth(1).unwrap_or_default().to_owned();
            break (addr, did);
        }
    };
    let (tx, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (addr, did, output)
}

/// The address a `credreg serve` child listens on (see [`wait_listening`]).
pub fn listening_address(child: &mut Child) -> String {
    wait_listening(child).0
}

pub fn data_dir_with_contexts() -> Option<(tempfile::TempDir, PathBuf)> {
    let contexts = credreg_testkit::conformance()?.join("contexts");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let st = credreg(&data)
        .args(["contexts", "install"])
        .arg(&contexts)
        .output()
        .expect("install");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    Some((dir, data))
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Whether Python's aiosmtpd (the real SMTP server the mail tests use) is installed.
pub fn aiosmtpd_available() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An aiosmtpd process; killed when dropped.
pub struct SmtpServer(Child);

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts aiosmtpd on `port`, every received message printed to `log`, and waits until it
/// accepts connections.
pub fn start_smtp(port: u16, log: &Path) -> SmtpServer {
    let out = std::fs::File::create(log).expect("log file");
    let child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Debugging",
            "-l",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(out)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn aiosmtpd");
    let server = SmtpServer(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the SMTP server never accepted connections"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Replaces `from` with `to` in the data directory's `credreg.toml` (which the first start
/// writes); panics if `from` is not there, so a changed default cannot make a test pass by
/// silently configuring nothing.
pub fn set_config(data: &Path, from: &str, to: &str) {
    let path = data.join("credreg.toml");
    let config = std::fs::read_to_string(&path).expect("credreg.toml");
    assert!(config.contains(from), "credreg.toml has no {from:?}");
    std::fs::write(&path, config.replace(from, to)).expect("write credreg.toml");
}

/// Every entry of `issuer`'s log as `server` holds it (paged), checked against the
/// checkpoint it serves: the entries, and that checkpoint's size and root.
pub fn log_entries(server: &Server, issuer: &str) -> (Vec<Vec<u8>>, u64, String) {
    use base64::Engine as _;
    let (status, cp) = server.request("GET", &format!("/api/v1/log/{issuer}/checkpoint"), None, "");
    assert_eq!(status, 200, "{cp}");
    let cp = json(&cp);
    let size = cp["size"].as_u64().expect("size");
    let root = cp["root"].as_str().expect("root").to_owned();
    let mut entries = Vec::new();
    while (entries.len() as u64) < size {
        let (status, page) = server.request(
            "GET",
            &format!(
                "/api/v1/log/{issuer}/entries?from={}&to={size}",
                entries.len()
            ),
            None,
            "",
        );
        assert_eq!(status, 200, "{page}");
        for e in json(&page)["entries"].as_array().expect("entries") {
            entries.push(
                base64::engine::general_purpose::STANDARD
                    .decode(e["data"].as_str().expect("data"))
                    .expect("base64"),
            );
        }
    }
    (entries, size, root)
}

/// The checkpoints a node was seen to sign, checked at the end against its whole log: a node
/// that, after a crash, signed a size it had signed before over different entries (a fork of
/// its own log) fails [`CheckpointsSeen::all_match`].
#[derive(Default)]
pub struct CheckpointsSeen(std::collections::BTreeMap<u64, String>);

impl CheckpointsSeen {
    /// Reads the checkpoint `server` serves for `issuer` now, if it has one.
    pub fn look(&mut self, server: &Server, issuer: &str) {
        let (status, cp) =
            server.request("GET", &format!("/api/v1/log/{issuer}/checkpoint"), None, "");
        if status != 200 {
            return;
        }
        let cp = json(&cp);
        let size = cp["size"].as_u64().expect("size");
        let root = cp["root"].as_str().expect("root").to_owned();
        if let Some(before) = self.0.insert(size, root.clone()) {
            assert_eq!(
                before, root,
                "checkpoint size {size} signed twice, over different logs"
            );
        }
    }

    /// How many distinct sizes were seen.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Every checkpoint seen is the root of the first `size` entries of `entries`.
    pub fn all_match(&self, entries: &[Vec<u8>]) {
        let mut log = credreg_log::MemoryLog::new();
        for e in entries {
            log.append(e);
        }
        for (size, root) in &self.0 {
            assert_eq!(
                log.root_at(*size).map(hex::encode).as_deref(),
                Some(root.as_str()),
                "the checkpoint of size {size} does not match the log as it is now"
            );
        }
    }
}

/// The trial count and seed of a crash soak: `CREDREG_KILL_TRIALS` (default `suite`) and
/// `CREDREG_KILL_SEED`, so a failing soak can be replayed; [`Trials::draw`] gives the next
/// number in `1..=max` from a xorshift generator.
pub struct Trials {
    pub count: u64,
    pub seed: u64,
    state: u64,
}

impl Trials {
    pub fn from_env(suite: u64) -> Trials {
        let count = std::env::var("CREDREG_KILL_TRIALS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(suite);
        let seed = std::env::var("CREDREG_KILL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x2545_f491_4f6c_dd1d_u64);
        Trials {
            count,
            seed,
            state: seed.max(1),
        }
    }

    pub fn draw(&mut self, max: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        1 + self.state % max.max(1)
    }
}

/// Signs `email` in with the code its invitation put in the outbox: a session token.
pub fn session_for(server: &Server, email: &str) -> String {
    let (_, outbox) = server.request("GET", "/api/v1/outbox", Some(TOKEN), "");
    let code = json(&outbox)["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["to"] == email)
        .and_then(|m| m["body"].as_str())
        .and_then(|b| b.split_whitespace().find(|w| w.starts_with("crl_")))
        .expect("a sign-in code")
        .to_owned();
    let (status, body) = server.request(
        "POST",
        "/api/v1/sessions",
        None,
        &format!(r#"{{"code":"{code}"}}"#),
    );
    assert_eq!(status, 201, "{body}");
    json(&body)["token"].as_str().expect("token").to_owned()
}

/// Invites `person` (JSON with name, email, school and roles) as the admin, then signs them
/// in: their session token.
pub fn invite_and_sign_in(server: &Server, person: &serde_json::Value) -> String {
    let (status, body) = server.request("POST", "/api/v1/people", Some(TOKEN), &person.to_string());
    assert_eq!(status, 201, "{body}");
    session_for(server, person["email"].as_str().expect("email"))
}
