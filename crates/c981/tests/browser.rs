//! The web UI in a real browser: `tests/browser/login-totp.mjs` (playwright-core driving
//! Debian's headless Chromium) against the `c981` binary serving a fresh SQLite database.
//! An administrator sets a password through a one-time link, logs in, enrols TOTP, logs out
//! and logs in again with password and code.
//!
//! Needs `node`, `/usr/bin/chromium` (`apt-get install chromium`) and
//! `npm ci --prefix tests/browser` (once). Without them the test is skipped locally, and fails
//! under CI (`CI` set) or with `C981_REQUIRE_BROWSER=1`.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[allow(clippy::disallowed_methods, reason = "tests decide whether a missing browser is a skip or a failure")]
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var_os("C981_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The `C981_*` variables of the test's own environment, which the server would otherwise
/// read as configuration (a database URL, a listen address…): the test sets its own.
#[allow(clippy::disallowed_methods, reason = "keeps the caller's configuration away from the server under test")]
fn c981_vars() -> Vec<std::ffi::OsString> {
    std::env::vars_os().map(|(k, _)| k).filter(|k| k.to_string_lossy().starts_with("C981_")).collect()
}

/// `c981` with a clean configuration environment.
fn c981(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_c981"));
    for k in c981_vars() {
        cmd.env_remove(k);
    }
    cmd.arg("--data-dir").arg(data);
    cmd
}

/// Why the browser test cannot run here, if it cannot.
fn missing_tools(dir: &Path) -> Option<&'static str> {
    if !dir.join("node_modules/playwright-core").is_dir() {
        Some("tests/browser/node_modules is missing")
    } else if Command::new("node").arg("--version").output().is_err() {
        Some("`node` is not on PATH")
    } else if !Path::new(CHROMIUM).exists() {
        Some("/usr/bin/chromium is missing")
    } else {
        None
    }
}

/// A child process killed (and reaped) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port on loopback that was free a moment ago.
fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

/// `GET /healthz` over plain HTTP/1.1; true on a 200.
fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < head.len() {
        match s.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    head[..n].starts_with(b"HTTP/1.1 200 ")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn administrator_sets_password_enrols_totp_logs_out_and_logs_in_with_totp() {
    let started = Instant::now();
    let dir = repo_root().join("tests/browser");
    if let Some(why) = missing_tools(&dir) {
        let how = "install Debian's Chromium and Node.js (`apt-get install chromium nodejs npm`) and run \
                   `npm ci --prefix tests/browser` at the repository root";
        if required() {
            panic!("the browser test cannot run: {why}; {how}");
        }
        eprintln!("SKIPPED (browser test: {why}; {how}; set C981_REQUIRE_BROWSER=1 to fail instead)");
        return;
    }

    // An administrator account and its one-time password link.
    let data = tempfile::tempdir().expect("temp dir");
    let out = c981(data.path())
        .args(["--as", "Browser Test", "admin", "create-user", "ada", "--name", "Ada Admin", "--role", "administrator"])
        .output()
        .expect("run c981 admin create-user");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "c981 admin create-user failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let link = stdout
        .split_whitespace()
        .find_map(|w| w.find("/password/").map(|i| w[i..].to_owned()))
        .unwrap_or_else(|| panic!("no /password/… link in the output of create-user:\n{stdout}"));

    // The server, on a port of its own.
    let port = free_port();
    let log_path = data.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("create serve.log");
    let mut server = Killed(
        c981(data.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("spawn c981 serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy(port) {
        if let Some(status) = server.0.try_wait().expect("server status") {
            panic!("c981 serve exited ({status}) before answering /healthz:\n{}", read(&log_path));
        }
        assert!(Instant::now() < deadline, "c981 serve did not answer /healthz within 30 s:\n{}", read(&log_path));
        std::thread::sleep(Duration::from_millis(100));
    }

    // The browser run, with a deadline above the script's own (90 s).
    let node_out = data.path().join("node.out");
    let node_err = data.path().join("node.err");
    let mut node = Killed(
        Command::new("node")
            .arg(dir.join("login-totp.mjs"))
            .current_dir(&dir)
            .env("C981_URL", format!("http://127.0.0.1:{port}"))
            .env("C981_LINK", &link)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&node_out).expect("node.out"))
            .stderr(std::fs::File::create(&node_err).expect("node.err"))
            .spawn()
            .expect("spawn node tests/browser/login-totp.mjs"),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("node status") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(node);
    let output = format!("{}{}", read(&node_out), read(&node_err));
    match status {
        Some(s) if s.success() => print!("{output}"),
        Some(s) => panic!("the browser test failed ({s}):\n{output}\n--- c981 serve log ---\n{}", read(&log_path)),
        None => panic!("the browser test did not finish within 120 s:\n{output}"),
    }
    drop(server);
    println!("browser test passed in {:.1} s", started.elapsed().as_secs_f64());
}
