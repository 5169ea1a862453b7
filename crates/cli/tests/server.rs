//! `genrecast serve` over real HTTP on loopback: results, and every limit refused with its
//! own status and message. The client is a few lines of std (no HTTP dependency).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::{bin, example_song, repo};

/// A server on a free port, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child = bin().args(["serve", "--addr", "127.0.0.1:0"]).args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let port = line.rsplit("127.0.0.1:").next().and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next()).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {line:?}"));
        Self { child, port }
    }

    /// `(status, body)` of one request with a raw body.
    fn request(&self, method: &str, target: &str, body: &[u8]) -> (u16, serde_json::Value) {
        self.request_as(method, target, "application/octet-stream", body)
    }

    /// `(status, body)` of one request whose body is of `content_type`.
    fn request_as(&self, method: &str, target: &str, content_type: &str, body: &[u8]) -> (u16, serde_json::Value) {
        self.exchange(&format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()), body)
    }

    /// `(status, body)` of one request of `head` (its blank line included) and `body` as sent.
    fn exchange(&self, head: &str, body: &[u8]) -> (u16, serde_json::Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        // A refused upload may be answered (and the socket closed) before it is all sent.
        let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(body));
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {text:?}"));
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or_else(|_| serde_json::json!({ "raw": body })))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A library of four songs under `dir/library` (the example song as `copy.ogg` and three
/// short corpus files), indexed by `genrecast index` into `dir/lib.sqlite`, which is returned.
pub(crate) fn indexed_library(dir: &Path) -> std::path::PathBuf {
    let lib_dir = dir.join("library");
    std::fs::create_dir_all(&lib_dir).expect("lib dir");
    std::fs::copy(example_song(), lib_dir.join("copy.ogg")).expect("copy");
    for f in ["good.flac", "good.mp3", "good_pcm16_mono.wav"] {
        std::fs::copy(repo().join("crates/cli/tests/hostile").join(f), lib_dir.join(f)).expect("copy");
    }
    let db = dir.join("lib.sqlite");
    let out = bin().args(["index", "-q", "--db"]).arg(&db).arg(&lib_dir).output().expect("index");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    db
}

/// 12 s of a 440 Hz tone, 8-bit mono at 2 kHz (24 kB): long but small.
fn long_small_wav(path: &Path) {
    let (sr, n) = (2000u32, 24_000u32);
    crate::write_u8_wav(path, sr, n, (0..n).map(|i| (128.0 + 50.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / f64::from(sr)).sin()) as u8));
}

/// A `multipart/form-data` body made by hand, as curl -F sends one: `(Content-Type, body)`
/// of `parts`, each the parameters of its Content-Disposition and its bytes.
fn form(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "------------------------genrecast0d1e2f";
    let mut body = Vec::new();
    for (disposition, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n").as_bytes());
        if disposition.contains("filename=") {
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `schema` with its `$ref` followed, within `spec`.
fn resolve<'a>(spec: &'a serde_json::Value, schema: &'a serde_json::Value) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("no {r} in the description")),
        None => schema,
    }
}

/// Panics unless `value`, a real answer, fits `schema` of the OpenAPI description `spec`:
/// every field documented, of the type said, required ones present.
fn assert_fits(spec: &serde_json::Value, schema: &serde_json::Value, value: &serde_json::Value, at: &str) {
    let schema = resolve(spec, schema);
    if value.is_null() {
        assert_eq!(schema["nullable"], true, "{at}: null where the description says {schema}");
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            assert_fits(spec, part, value, at);
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        assert!(allowed.contains(value), "{at}: {value} is not one of {allowed:?}");
    }
    let fits = match schema["type"].as_str().unwrap_or_else(|| panic!("{at}: no type in {schema}")) {
        "object" => {
            let object = value.as_object().unwrap_or_else(|| panic!("{at}: {value} is not an object"));
            for name in schema["required"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
                assert!(object.contains_key(name), "{at}: {name} is required by the description, missing in {value}");
            }
            for (name, field) in object {
                let documented = schema["properties"].get(name).or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                assert_fits(spec, documented.unwrap_or_else(|| panic!("{at}.{name}: not in the description")), field, &format!("{at}.{name}"));
            }
            true
        }
        "array" => {
            let items = value.as_array().unwrap_or_else(|| panic!("{at}: {value} is not an array"));
            items.iter().take(20).for_each(|item| assert_fits(spec, &schema["items"], item, &format!("{at}[]")));
            true
        }
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "boolean" => value.is_boolean(),
        other => panic!("{at}: unknown type {other}"),
    };
    assert!(fits, "{at}: {value} is not of the type said by {schema}");
}

/// The schema of `code`'s JSON answer to `method route` in `spec`.
fn response_schema<'a>(spec: &'a serde_json::Value, route: &str, method: &str, code: u16) -> &'a serde_json::Value {
    let schema = &spec["paths"][route][method]["responses"][code.to_string()]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {route} {code}: no JSON schema in the description");
    schema
}

#[test]
fn serve_classifies_and_refuses_what_it_must() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::copy(example_song(), root.join("song.ogg")).expect("copy");
    std::os::unix::fs::symlink(repo().join("README.md"), root.join("escape.ogg")).expect("symlink");
    let song = std::fs::read(example_song()).expect("song");

    let server = Server::start(&["--root", root.to_str().expect("utf-8"), "--max-jobs", "1", "--max-queue", "0", "--max-upload-mb", "1", "--max-seconds", "60"]);
    let (code, health) = server.request("GET", "/health", b"");
    assert_eq!((code, health["labels"].as_array().map(Vec::len)), (200, Some(10)), "{health}");
    let (code, spec) = server.request("GET", "/openapi.json", b"");
    assert!(code == 200 && spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.0")), "{spec}");
    // Every route: its parameters, both kinds of body, and every refusal with the
    // {"error": string} schema.
    let error_schema = resolve(&spec, &spec["paths"]["/classify"]["post"]["responses"]["413"]["content"]["application/json"]["schema"]);
    assert!(error_schema["properties"]["error"]["type"] == "string" && error_schema["required"] == serde_json::json!(["error"]), "{error_schema}");
    let analysing = ["/classify", "/tag", "/embed", "/similar"];
    for (route, method) in [("/", "get"), ("/health", "get"), ("/openapi.json", "get")].into_iter().chain(analysing.map(|r| (r, "post"))) {
        let op = &spec["paths"][route][method];
        let codes: Vec<u16> = op["responses"].as_object().map(|r| r.keys().filter_map(|c| c.parse().ok()).collect()).unwrap_or_default();
        assert!(codes.contains(&200) && codes.contains(&414), "{method} {route}: {codes:?}");
        if method == "post" {
            for code in [400, 403, 404, 408, 413, 414, 422, 503, 504] {
                assert!(codes.contains(&code), "{route}: {code} not documented ({codes:?})");
            }
            let body = &op["requestBody"]["content"];
            assert!(body["application/octet-stream"]["schema"]["format"] == "binary" && body["audio/*"]["schema"]["format"] == "binary", "{route}: {body}");
            let file = &body["multipart/form-data"]["schema"]["properties"]["file"];
            assert!(file["type"] == "string" && file["format"] == "binary", "{route}: the multipart body's file part: {body}");
            assert!(op["parameters"].as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "path" && p["in"] == "query")), "{route}: ?path=");
        }
        for code in codes.into_iter().filter(|&c| c >= 400) {
            assert_eq!(resolve(&spec, response_schema(&spec, route, method, code)), error_schema, "{method} {route} {code}");
        }
    }
    let param = |route: &str, name: &str| spec["paths"][route]["post"]["parameters"].as_array().and_then(|p| p.iter().find(|p| p["name"] == name)).cloned().unwrap_or_default();
    let (mel, k) = (param("/classify", "mel"), param("/similar", "k"));
    assert!(mel["in"] == "query" && mel["schema"]["type"] == "boolean" && mel["schema"]["default"] == false, "mel: {mel}");
    assert!(k["in"] == "query" && k["schema"]["type"] == "integer" && k["schema"]["default"] == 10 && k["schema"]["maximum"] == 100, "k: {k}");
    assert_fits(&spec, response_schema(&spec, "/health", "get", 200), &health, "/health");

    // The example song (a metal band, per its licence file), uploaded and by path.
    let (code, up) = server.request("POST", "/classify", &song);
    assert_eq!((code, up["top"][0]["label"].as_str()), (200, Some("metal")), "{up}");
    assert_eq!(up["tags"].as_array().map(Vec::len), Some(5), "the default model's backbone tags: {up}");
    let (code, by_path) = server.request("POST", "/classify?path=song.ogg", b"");
    assert_eq!(code, 200, "{by_path}");
    assert_eq!(by_path["probabilities"], up["probabilities"]);
    // /tag: every tag of the backbone, strongest first, led by /classify's top tag.
    let (code, tagged) = server.request("POST", "/tag?path=song.ogg", b"");
    let tags = tagged["tags"].as_array().cloned().unwrap_or_default();
    assert!(code == 200 && tags.len() >= 50, "{code} {tagged}");
    assert_eq!(tags[0]["tag"], up["tags"][0]["tag"], "{tagged}");
    assert!(tags.windows(2).all(|w| w[0]["probability"].as_f64() >= w[1]["probability"].as_f64()), "{tagged}");
    // ?mel=true adds the mel image: 64 bands, 0-255 levels.
    let (code, with_mel) = server.request("POST", "/classify?mel=true", &song);
    let mel = &with_mel["mel"];
    let (bands, columns) = (mel["bands"].as_u64().unwrap_or(0), mel["columns"].as_u64().unwrap_or(0));
    assert!(code == 200 && bands == 64 && columns > 100, "{code} {mel}");
    assert_eq!(mel["values"].as_array().map(Vec::len), Some((bands * columns) as usize));
    assert_eq!(with_mel["probabilities"], up["probabilities"]);
    let (code, page) = server.request("GET", "/", b"");
    assert!(code == 200 && page["raw"].as_str().unwrap_or_default().contains("Drop a song here"), "{code}");
    let (code, emb) = server.request("POST", "/embed", &song);
    assert!(code == 200 && emb["embedding"].as_array().is_some_and(|e| e.len() > 10), "{emb}");
    // Each answer as the description says.
    for (route, answer) in [("/classify", &up), ("/classify", &with_mel), ("/tag", &tagged), ("/embed", &emb)] {
        assert_fits(&spec, response_schema(&spec, route, "post", 200), answer, route);
    }

    // Refusals, each with its status and a message, as the description says, and none
    // showing a path of the server's.
    let tmp_text = tmp.path().display().to_string();
    let refused = |target: &str, body: &[u8], want: u16, says: &str| {
        let (code, v) = server.request("POST", target, body);
        let msg = v["error"].as_str().unwrap_or_default().to_owned();
        assert!(code == want && msg.contains(says), "{target}: {code} {v}");
        assert!(!msg.contains(&tmp_text), "{target}: a server path in {v}");
        assert_fits(&spec, response_schema(&spec, target.split('?').next().unwrap_or_default(), "post", code), &v, target);
    };
    refused("/classify?path=../song.ogg", b"", 403, "without '..'");
    refused("/classify?path=/etc/passwd", b"", 403, "relative to the root");
    refused("/classify?path=escape.ogg", b"", 403, "leads outside the root");
    refused("/classify?path=missing.ogg", b"", 404, "missing.ogg");
    refused("/classify", b"", 400, "send the audio");
    refused("/classify", b"this is not music", 422, "not a recognised audio file");
    std::fs::write(root.join("broken.ogg"), b"OggS and then nothing").expect("broken");
    refused("/classify?path=broken.ogg", b"", 422, "broken.ogg");
    assert!(!health.to_string().contains(&tmp_text), "a server path in {health}");
    // axum's own refusals are JSON too (they were plain text).
    let (code, v) = server.request("POST", "/classify", &vec![0u8; 2 << 20]);
    assert_eq!(code, 413, "a 2 MB upload against a 1 MB limit");
    assert!(v["error"].as_str().is_some_and(|m| !m.is_empty()), "413 as JSON: {v}");
    let (code, v) = server.request("POST", "/classify?mel=maybe", &song);
    assert!(code == 400 && v["error"].as_str().is_some_and(|m| m.contains("mel")), "{code} {v}");
    let (code, v) = server.request("POST", "/similar?k=many", &song);
    assert!(code == 400 && v["error"].as_str().is_some_and(|m| !m.is_empty()), "{code} {v}");
    let (code, v) = server.request("GET", "/nowhere", b"");
    assert!(code == 404 && v["error"].is_string(), "{code} {v}");
    // A request target of 20 kB: 414 with its reason as JSON (it was hyper's empty 414).
    let long = format!("/classify?path={}", "a".repeat(20_000));
    let (code, v) = server.request("POST", &long, b"");
    assert!(code == 414 && v["error"].as_str().is_some_and(|m| m.contains("at most 8192")), "{code} {v}");

    // One worker and no waiting line: a second song while the first is being analysed is
    // refused. An analysis takes about 0.1 s, so the second is sent 20 ms after the first,
    // and the pair is tried again (up to 20 times) when the first was done before the second
    // arrived: then both must have succeeded.
    let mut refused_busy = None;
    for _ in 0..20 {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| server.request("POST", "/classify", &song).0);
            std::thread::sleep(std::time::Duration::from_millis(20));
            let b = server.request("POST", "/classify", &song);
            (a.join().expect("first"), b)
        });
        assert_eq!(a, 200);
        if b.0 == 503 {
            refused_busy = Some(b.1);
            break;
        }
        assert_eq!(b.0, 200, "{}", b.1);
    }
    let busy = refused_busy.expect("a song sent while another was analysed was never refused");
    assert!(busy["error"].as_str().unwrap_or_default().contains("busy"), "{busy}");

    // Tight limits on a second server: duration (from the header) and time per request.
    let strict = Server::start(&["--max-seconds", "10", "--timeout-s", "0.001"]);
    let long = tmp.path().join("long.wav");
    long_small_wav(&long);
    let (code, v) = strict.request("POST", "/classify", &std::fs::read(&long).expect("wav"));
    assert!(code == 422 && v["error"].as_str().unwrap_or_default().contains("at most 10 s"), "{code} {v}");
    let short = std::fs::read(repo().join("crates/cli/tests/hostile/good_pcm16_mono.wav")).expect("short");
    let (code, v) = strict.request("POST", "/classify", &short);
    assert!(code == 504 && v["error"].as_str().unwrap_or_default().contains("not analysed within"), "{code} {v}");

    // /similar needs a library: without one it says so; with one indexed by the same model,
    // the song's own copy in the library is its nearest neighbour.
    refused("/similar", &song, 404, "no library");
    // Paths come relative to --root, and a library track outside the root comes without
    // its path: the server's file system is not shown (it was, absolute).
    let db = indexed_library(tmp.path());
    let library = tmp.path().join("library");
    let with_db = Server::start(&["--db", db.to_str().expect("utf-8"), "--root", library.to_str().expect("utf-8")]);
    let (code, v) = with_db.request("POST", "/similar?k=3", &song);
    let hits = v["similar"].as_array().cloned().unwrap_or_default();
    assert!(code == 200 && hits.len() == 3, "{code} {v}");
    // The uploaded song is in the library as copy.ogg: never its own neighbour (#25).
    assert!(hits.iter().all(|h| h["path"] != "copy.ogg" && h["path"].as_str().is_some_and(|p| !p.starts_with('/'))), "{v}");
    assert!(!v.to_string().contains(&tmp_text), "a server path in {v}");
    assert_fits(&spec, response_schema(&spec, "/similar", "post", 200), &v, "/similar");
    let elsewhere = Server::start(&["--db", db.to_str().expect("utf-8")]);
    let (code, v) = elsewhere.request("POST", "/similar?k=3", &song);
    let hits = v["similar"].as_array().cloned().unwrap_or_default();
    assert!(code == 200 && hits.len() == 3 && hits.iter().all(|h| h["path"].is_null() && h["title"].is_string()), "{code} {v}");
    assert_fits(&spec, response_schema(&spec, "/similar", "post", 200), &v, "/similar");
    assert!(!v.to_string().contains(&tmp_text), "a server path in {v}");

    // Still serving after all of that.
    assert_eq!(server.request("GET", "/health", b"").0, 200);
    assert_eq!(strict.request("GET", "/health", b"").0, 200);
}

/// `curl -F file=@song.ogg`: a multipart/form-data upload gives what the same bytes give raw
/// (its part named `file`, else its first part with a filename; other fields ignored), under
/// the same size limit on the whole body, and a form without a file part is refused with 400
/// saying so. (Before, the form itself was read as audio: 422, not a recognised audio file.)
#[test]
fn serve_takes_multipart_uploads() {
    let song = std::fs::read(example_song()).expect("song");
    let server = Server::start(&["--max-upload-mb", "1"]);
    let (code, raw) = server.request("POST", "/classify", &song);
    assert_eq!(code, 200, "{raw}");
    let as_form = |route: &str, parts: &[(&str, &[u8])]| {
        let (content_type, body) = form(parts);
        server.request_as("POST", route, &content_type, &body)
    };
    // As curl -F note=hello -F file=@song.ogg sends it.
    let (code, v) = as_form("/classify", &[("name=\"note\"", b"hello"), ("name=\"file\"; filename=\"song.ogg\"", &song)]);
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["probabilities"], raw["probabilities"], "{v}");
    assert_eq!(v["top"], raw["top"]);
    // No part named file: the first with a filename. A part named file wins over one before it.
    for parts in [
        [("name=\"comment\"", &b"nice"[..]), ("name=\"audio\"; filename=\"a.ogg\"", &song[..]), ("name=\"cover\"; filename=\"b.jpg\"", &b"not music"[..])],
        [("name=\"cover\"; filename=\"b.jpg\"", &b"not music"[..]), ("name=\"file\"; filename=\"a.ogg\"", &song[..]), ("name=\"comment\"", &b"nice"[..])],
    ] {
        let (code, v) = as_form("/classify", &parts);
        assert!(code == 200 && v["probabilities"] == raw["probabilities"], "{code} {v}");
    }
    // The other routes take forms too.
    let (_, raw_embedding) = server.request("POST", "/embed", &song);
    let (code, v) = as_form("/embed", &[("name=\"file\"; filename=\"song.ogg\"", &song)]);
    assert!(code == 200 && v["embedding"] == raw_embedding["embedding"], "{code} {v}");
    let (code, v) = as_form("/tag", &[("name=\"file\"; filename=\"song.ogg\"", &song)]);
    assert!(code == 200 && v["tags"].as_array().is_some_and(|t| t.len() >= 50), "{code} {v}");

    let error = |v: &serde_json::Value| v["error"].as_str().unwrap_or_default().to_owned();
    // The limit counts the whole body: a file part under 1 MB with a field that takes the
    // form over it is refused.
    let (code, v) = as_form("/classify", &[("name=\"note\"", &vec![b'x'; 100_000]), ("name=\"file\"; filename=\"song.ogg\"", &vec![0u8; 1_000_000])]);
    assert!(code == 413 && error(&v).contains("limit"), "{code} {v}");
    // Also when no length is declared (chunked): the bytes read are counted.
    let (content_type, body) = form(&[("name=\"file\"; filename=\"big.ogg\"", &vec![0u8; 2 << 20])]);
    let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
    chunked.extend_from_slice(&body);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let (code, v) = server.exchange(&format!("POST /classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), &chunked);
    assert!(code == 413 && error(&v).contains("limit"), "{code} {v}");
    // A form without a file part, and one that is not a form.
    let (code, v) = as_form("/classify", &[("name=\"note\"", b"hello"), ("name=\"genre\"", b"metal")]);
    assert!(code == 400 && error(&v).contains("no file part"), "{code} {v}");
    let (code, v) = server.request_as("POST", "/classify", "multipart/form-data", &song);
    assert!(code == 400 && error(&v).contains("multipart"), "{code} {v}");
    let (code, v) = server.request_as("POST", "/classify", "multipart/form-data; boundary=nowhere", &song);
    assert!(code == 400 && error(&v).contains("multipart"), "{code} {v}");
    // Raw bodies of any other type are read as before.
    let (code, v) = server.request_as("POST", "/classify", "audio/ogg", &song);
    assert!(code == 200 && v["probabilities"] == raw["probabilities"], "{code} {v}");
}

/// Bad settings are refused before the server says it is serving, each with its cause:
/// a timeout too large for a duration (exit 101 and no message before), a root that does not
/// exist (printed "serving" first), a library file that does not exist (an empty one was
/// created at the first /similar).
#[test]
fn serve_refuses_bad_settings_before_serving() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing_db = tmp.path().join("nothing.sqlite");
    for (args, says) in [
        (vec!["--timeout-s", "1e20"], "--timeout-s 100000000000000000000: too large".to_owned()),
        (vec!["--root", "/nonexistent/music"], "root /nonexistent/music".to_owned()),
        (vec!["--db", missing_db.to_str().expect("utf-8")], format!("library {}: no such file", missing_db.display())),
    ] {
        let out = bin().args(["serve", "--addr", "127.0.0.1:0"]).args(&args).output().expect("serve");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout} {stderr}");
        assert!(!stdout.contains("serving"), "{args:?} said it was serving: {stdout}");
        assert!(stderr.contains(&says), "{args:?}: {stderr}");
    }
    assert!(!missing_db.exists(), "a library file was created");
}

/// Clients that stall in the middle of their upload: the server keeps a bounded total of
/// upload bytes (one more stalled upload past it gets 503 at once) and answers a stalled body
/// 408 when its time is up; then it serves as before. (Before: bodies were awaited forever,
/// and ten stalled clients held 450 MB.)
#[test]
fn stalled_uploads_are_bounded_and_timed_out() {
    let server = Server::start(&["--max-upload-mb", "1", "--max-buffered-mb", "1", "--upload-timeout-s", "1.5"]);
    let stall = |sent: usize| {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let head = "POST /classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n";
        s.write_all(head.as_bytes()).expect("head");
        s.write_all(&vec![7u8; sent]).expect("part of the body");
        s
    };
    let answer = |mut s: TcpStream| -> (u16, String) {
        s.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        (text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0), text)
    };
    let started = std::time::Instant::now();
    let first = stall(600_000);
    std::thread::sleep(std::time::Duration::from_millis(400));
    // 600 kB held already: another 600 kB goes past the 1 MB budget.
    let (code, text) = answer(stall(600_000));
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("busy receiving other uploads"), "{text}");
    let (code, text) = answer(first);
    assert_eq!(code, 408, "{text}");
    assert!(text.contains("\"error\"") && text.contains("not received within"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "the stalled body was held for {:?}", started.elapsed());
    // The budget is free again: a whole song goes through.
    let (code, v) = server.request("POST", "/classify", &std::fs::read(example_song()).expect("song"));
    assert_eq!((code, v["top"][0]["label"].as_str()), (200, Some("metal")), "{v}");
}
