//! The web page at `/` of `genrecast serve`, driven in headless Chromium (Debian's
//! `chromium`) over the DevTools protocol: a song dropped on the page is uploaded and shown
//! with its genres, tags, mel spectrogram and similar songs
//! from an indexed library; a link to a missing file shows the server's message. The page is
//! captured as a PNG (`target/tmp/web-page.png`, or `$GENRECAST_SCREENSHOT`).
//!
//! The DevTools client is a minimal WebSocket over std's `TcpStream` (no browser-automation
//! dependency): text frames out, masked as the protocol requires; frames in, reassembled.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::example_song;
use crate::server::{indexed_library, Server};

/// Headless Chromium with remote debugging on a free port, killed when dropped.
struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Option<Self> {
        let exe = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|c| Command::new(c).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success()))?;
        let profile = tempfile::tempdir().expect("profile");
        let mut child = Command::new(exe)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", "--window-size=1100,1000"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chromium");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..." on stderr.
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.split("ws://127.0.0.1:").nth(1).and_then(|r| r.split('/').next()).and_then(|p| p.parse().ok()))
            .expect("chromium printed no DevTools address");
        // Keep draining stderr so that Chromium never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Some(Self { child, port, _profile: profile })
    }

    /// The DevTools connection of the first page.
    fn page(&self) -> DevTools {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect devtools");
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(s, "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", self.port).expect("request");
        // Chromium keeps the connection open: read the head, then Content-Length bytes.
        let mut reader = BufReader::new(s);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("head");
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("length");
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).expect("targets");
        let body = String::from_utf8(body).expect("utf-8");
        let targets: serde_json::Value = serde_json::from_str(&body).expect("json");
        let url = targets.as_array().and_then(|t| t.iter().find(|t| t["type"] == "page")).and_then(|t| t["webSocketDebuggerUrl"].as_str()).expect("a page target").to_owned();
        DevTools::connect(&url)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One DevTools WebSocket.
struct DevTools {
    stream: TcpStream,
    next_id: u64,
}

impl DevTools {
    fn connect(url: &str) -> Self {
        let rest = url.strip_prefix("ws://").expect("ws url");
        let (host, path) = rest.split_once('/').expect("path");
        let mut stream = TcpStream::connect(host).expect("connect page");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        write!(stream, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").expect("handshake");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("handshake reply");
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
        Self { stream, next_id: 1 }
    }

    /// Sends one command and returns its `result`, skipping the events in between.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        let text = serde_json::json!({ "id": id, "method": method, "params": params }).to_string();
        self.send(text.as_bytes());
        loop {
            let reply: serde_json::Value = serde_json::from_slice(&self.receive()).expect("json message");
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// One masked text frame (a zero mask: clients must mask, any key will do).
    fn send(&mut self, payload: &[u8]) {
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65_536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).expect("send frame");
    }

    /// One whole message, its fragments joined.
    fn receive(&mut self) -> Vec<u8> {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).expect("frame head");
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.stream.read_exact(&mut b).expect("length");
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.stream.read_exact(&mut b).expect("length");
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0u8; usize::try_from(len).expect("frame size")];
            self.stream.read_exact(&mut payload).expect("payload");
            message.extend_from_slice(&payload);
            if head[0] & 0x80 != 0 {
                return message;
            }
        }
    }

    /// The value of a JavaScript expression.
    fn eval(&mut self, expression: &str) -> serde_json::Value {
        self.call("Runtime.evaluate", serde_json::json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }))["result"]["value"].clone()
    }

    /// Waits until the page whose address contains `url_part` has `body[data-state]` `done`
    /// or `error`, and returns that.
    fn settle(&mut self, url_part: &str) -> String {
        let start = Instant::now();
        let probe = format!("location.href.includes({url_part:?}) && document.body ? document.body.dataset.state : ''");
        loop {
            let state = self.eval(&probe);
            if let Some(s @ ("done" | "error")) = state.as_str() {
                return s.to_owned();
            }
            assert!(start.elapsed() < Duration::from_secs(120), "the page never finished (state {state})");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// What the page shows, read from its DOM.
const SHOWN: &str = r##"JSON.stringify({
  top: document.getElementById("top-genre").textContent,
  bars: document.querySelectorAll("#genres .bar").length,
  tags: document.querySelectorAll("#tags .tag").length,
  mel: document.getElementById("mel").dataset.drawn || "",
  similar: [...document.querySelectorAll("#similar-list li")].map((li) => li.dataset.path),
  status: document.getElementById("status").textContent,
})"##;

#[test]
fn web_page_shows_an_uploaded_song_in_headless_chromium() {
    let Some(browser) = Browser::start() else {
        // CI has Debian's chromium; elsewhere the test says why it did not run.
        assert!(std::env::var_os("CI").is_none(), "CI needs chromium for the web page test");
        eprintln!("skipped: no chromium on PATH");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    // The root is the library's folder: /similar shows paths relative to it.
    let db = indexed_library(tmp.path());
    let root = tmp.path().join("library");
    let server = Server::start(&["--root", root.to_str().expect("utf-8"), "--db", db.to_str().expect("utf-8")]);
    let mut page = browser.page();
    page.call("Page.enable", serde_json::json!({}));
    page.call("Page.navigate", serde_json::json!({ "url": format!("http://127.0.0.1:{}/", server.port) }));
    // Wait for the page to have read /health (it names the model in its header).
    let start = Instant::now();
    while !page.eval("document.getElementById('model') ? document.getElementById('model').textContent : ''").as_str().unwrap_or_default().contains("genre-gtzan") {
        assert!(start.elapsed() < Duration::from_secs(30), "the page did not load /health");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Drop the example song on the drop zone: DevTools puts the file from disk into the
    // page's file input, and the page gets a drop event carrying it, as from a file manager.
    let document = page.call("DOM.getDocument", serde_json::json!({}));
    let input = page.call("DOM.querySelector", serde_json::json!({ "nodeId": document["root"]["nodeId"], "selector": "#file" }));
    page.call("DOM.setFileInputFiles", serde_json::json!({ "nodeId": input["nodeId"], "files": [std::fs::canonicalize(example_song()).expect("song")] }));
    let dropped = page.eval(
        "(() => { const file = document.getElementById('file').files[0]; const carried = new DataTransfer(); carried.items.add(file); \
         document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: carried, bubbles: true, cancelable: true })); return file.name + ' ' + file.size; })()",
    );
    assert_eq!(dropped.as_str(), Some(format!("muldjord-chaos-god-excerpt.ogg {}", std::fs::metadata(example_song()).expect("song").len()).as_str()));
    assert_eq!(page.settle("/"), "done", "{}", page.eval(SHOWN));
    let shown: serde_json::Value = serde_json::from_str(page.eval(SHOWN).as_str().expect("json")).expect("shown");
    assert_eq!(shown["top"], "metal", "{shown}");
    assert_eq!(shown["bars"], 10, "one bar per genre: {shown}");
    assert_eq!(shown["tags"], 5, "the backbone's five strongest tags: {shown}");
    let mel = shown["mel"].as_str().unwrap_or_default();
    assert!(mel.starts_with("64x") && mel[3..].parse::<usize>().is_ok_and(|c| c > 100), "mel image drawn: {shown}");
    let similar: Vec<&str> = shown["similar"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
    // The library holds 4 songs, one a copy of the upload: never listed as its own neighbour.
    assert_eq!(similar.len(), 3, "every other song of the library: {shown}");
    assert!(similar.iter().all(|s| !s.ends_with("copy.ogg")), "the song itself is not similar to itself: {shown}");

    let png = page.call("Page.captureScreenshot", serde_json::json!({ "format": "png", "captureBeyondViewport": true }));
    let bytes = base64::engine::general_purpose::STANDARD.decode(png["data"].as_str().expect("data")).expect("base64");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000, "a real screenshot ({} bytes)", bytes.len());
    let shot = std::env::var_os("GENRECAST_SCREENSHOT").map_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-page.png"), PathBuf::from);
    std::fs::write(&shot, &bytes).expect("write screenshot");
    eprintln!("screenshot: {}", Path::new(&shot).display());

    // A link to a file that is not under the root shows the server's own message.
    page.call("Page.navigate", serde_json::json!({ "url": format!("http://127.0.0.1:{}/?path=missing.ogg", server.port) }));
    assert_eq!(page.settle("missing.ogg"), "error");
    let shown: serde_json::Value = serde_json::from_str(page.eval(SHOWN).as_str().expect("json")).expect("shown");
    assert!(shown["status"].as_str().unwrap_or_default().contains("missing.ogg"), "{shown}");
}
