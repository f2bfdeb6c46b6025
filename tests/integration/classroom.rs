//! `povsim classroom`: the server on loopback, its answers to hand-made requests,
//! Ctrl-C, and the page in a real browser (tests/clients/classroom_check.py:
//! Playwright from PyPI, installed by `scripts/test.sh`, on Debian's Chromium).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::clients::{client, python_with};
use super::common::povsim;

/// A running `povsim classroom` and the address it printed.
struct Server {
    child: Child,
    url: String,
    out: BufReader<std::process::ChildStdout>,
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("povsim"))
        .arg("classroom")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, url, out }
}

impl Server {
    /// Send SIGINT, as Ctrl-C does; the exit status and what was printed after.
    fn interrupt(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut rest = String::new();
                self.out.read_to_string(&mut rest).unwrap();
                return (status.success(), rest);
            }
            if started.elapsed() > Duration::from_secs(10) {
                self.child.kill().ok();
                panic!("the server did not stop within 10 s of Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One HTTP/1.0 request: the status code and the body.
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_classroom_serves_loopback_refuses_bad_requests_and_stops_on_ctrl_c() {
    let server = start(&["--port", "0", "--households", "300"]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let url = server.url.clone();
    let (status, page) = http(&url, "GET", "/", "");
    assert_eq!(status, 200);
    assert!(
        page.contains("<canvas id=\"village\"") && !page.contains("src=\"http"),
        "the page loads nothing from outside"
    );
    let (status, info) = http(&url, "GET", "/api/info", "");
    assert_eq!(status, 200);
    assert!(
        info.contains("\"detection_rate\"") && info.contains("\"default\":300"),
        "{info}"
    );
    for (method, path, body, code, says) in [
        ("POST", "/api/step", "", 409, "press Setup first"),
        (
            "POST",
            "/api/setup",
            "{\"households\": 100000}",
            400,
            "50 to 5000 households",
        ),
        (
            "POST",
            "/api/setup",
            "{\"values\": {\"budget\": \"lots\"}}",
            400,
            "not valid",
        ),
        ("POST", "/api/setup", "not json", 400, "not valid"),
        ("GET", "/../../etc/passwd", "", 404, "no such page"),
    ] {
        let (status, reply) = http(&url, method, path, body);
        assert_eq!(status, code, "{method} {path}: {reply}");
        assert!(reply.contains(says), "{method} {path}: {reply}");
    }
    let big = format!("{{\"values\": {{}}, \"x\": \"{}\"}}", "a".repeat(70_000));
    let (status, reply) = http(&url, "POST", "/api/setup", &big);
    assert_eq!(status, 413, "{reply}");
    let (status, view) = http(
        &url,
        "POST",
        "/api/setup",
        "{\"households\": 300, \"compare\": true}",
    );
    assert_eq!(status, 200, "{view}");
    let (status, view) = http(&url, "POST", "/api/step", "");
    assert!(status == 200 && view.contains("\"year\":2020"), "{view}");
    let (status, story) = http(&url, "GET", "/api/household/7", "");
    assert!(status == 200 && story.contains("Household 7"), "{story}");
    let (status, reply) = http(&url, "GET", "/api/household/300", "");
    assert!(
        status == 400 && reply.contains("households 0 to 299"),
        "{reply}"
    );
    let (ok, rest) = server.interrupt();
    assert!(ok && rest.contains("stopped"), "{rest}");
}

#[test]
fn the_classroom_page_works_in_a_real_browser() {
    let Some(python) = python_with(
        "playwright",
        "POVSIM_REQUIRE_BROWSER",
        "the classroom's browser check",
    ) else {
        return;
    };
    let chromium = std::env::var("POVSIM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let server = start(&["--port", "0", "--households", "1000"]);
    let work = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("povsim");
    let text = client(
        &python,
        "classroom_check.py",
        &[
            std::path::Path::new(&server.url),
            bin,
            work.path(),
            std::path::Path::new(&chromium),
        ],
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        7,
        "{text}"
    );
    let (ok, _) = server.interrupt();
    assert!(ok);
}

#[test]
fn the_classroom_caps_households_and_warns_when_shared_beyond_loopback() {
    povsim()
        .args(["classroom", "--households", "6000"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("50 to 5000 households"));
    let mut server = start(&["--port", "0", "--bind", "0.0.0.0"]);
    let mut err = String::new();
    BufReader::new(server.child.stderr.take().unwrap())
        .read_line(&mut err)
        .unwrap();
    assert!(
        err.contains("warning: --bind 0.0.0.0") && err.contains("anyone there"),
        "{err}"
    );
    let (ok, _) = server.interrupt();
    assert!(ok);
}
