//! genrecast's HTTP API (axum): genre probabilities, tags and embeddings of an uploaded
//! song or of a file under a configured root.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/` | a web page: drop a song, see its genres, tags, mel spectrogram and similar songs |
//! | GET | `/health` | status, model, labels, limits, whether a library is loaded |
//! | POST | `/classify` | body: audio bytes, raw or as a `multipart/form-data` file part; or `?path=` a file under the root; `?mel=true` adds a mel spectrogram image |
//! | POST | `/tag` | as `/classify`, returning every tag of the model's tagger backbone, strongest first |
//! | POST | `/embed` | as `/classify`, returning the song embedding only |
//! | POST | `/similar` | as `/classify`, returning the nearest songs of a library (`--db`) |
//! | GET | `/openapi.json` | the OpenAPI 3.0 description: every parameter, body and answer with its schema |
//!
//! Every limit refuses with its own status and a JSON `{"error": ...}` message: an upload
//! over the size limit 413, audio over the duration limit 422 (as is audio that cannot be
//! read), all workers busy and the waiting line full 503, a request over its time (waiting
//! included) 504, a path outside the root (by
//! `..` or by a symbolic link) 403, a request target over 8 KiB 414, an upload not received
//! within its time 408, a form without a file part 400. Answers show no path of the server's
//! own: a model folder is named by its name, files relative to the root.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = genrecast_server::ServerConfig::default();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! genrecast_server::serve(listener, config).await?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
use genrecast_models::{Aggregation, Classifier, Prediction};
use tokio::sync::Semaphore;

/// What the server serves and its limits.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Built-in model name or model folder. Default: `genre-gtzan`.
    pub model: String,
    /// Files under this folder may be named with `?path=`; `None` refuses paths.
    pub root: Option<PathBuf>,
    /// Largest upload in bytes. Default: 50 MB.
    pub max_upload_bytes: usize,
    /// Longest audio in seconds. Default: 1,200 (20 minutes).
    pub max_audio_seconds: f64,
    /// Songs analysed at once (each holds a model). Default: the number of cores.
    pub max_jobs: usize,
    /// Requests that may wait for a worker; beyond them a request is refused with 503.
    /// Default: 64.
    pub max_queue: usize,
    /// Time allowed per request. Default: 120 s.
    pub timeout: Duration,
    /// A library written by `genrecast index` with the same model, for `/similar`.
    pub library: Option<PathBuf>,
    /// Upload bytes held at once across every connection still sending; an upload that would
    /// go beyond is refused with 503. Default: 4 x `max_upload_bytes`.
    pub max_buffered_bytes: usize,
    /// Time allowed to receive one upload body; a slower one gets 408. Default: 60 s.
    pub upload_timeout: Duration,
    /// Where the model runs. Default: the CPU.
    pub device: genrecast_models::ComputeDevice,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            model: genrecast_models::DEFAULT_MODEL.to_owned(),
            root: None,
            max_upload_bytes: 50 << 20,
            max_audio_seconds: 1200.0,
            max_jobs: std::thread::available_parallelism().map_or(1, usize::from),
            max_queue: 64,
            timeout: Duration::from_secs(120),
            library: None,
            max_buffered_bytes: 200 << 20,
            upload_timeout: Duration::from_secs(60),
            device: genrecast_models::ComputeDevice::Cpu,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The model could not be opened.
    #[error("model: {0}")]
    Model(String),
    /// The root folder is missing or unreadable.
    #[error("root {path}: {source}")]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The library (`--db`) is not a file: the server would create an empty one.
    #[error("library {0}: no such file (write one with `genrecast index --db {0} MUSIC`)")]
    NoLibrary(PathBuf),
    /// The listener failed.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

struct AppState {
    config: ServerConfig,
    /// The model as clients see it: a built-in name, or a model folder's own name (never the
    /// server's path to it).
    model_name: String,
    root: Option<PathBuf>,
    labels: Vec<String>,
    tag_names: Vec<String>,
    trained_on: String,
    /// The model's scale for library embeddings (from its card), so that distances are those
    /// of every other library and of `genrecast similar`.
    embedding_scale: Option<genrecast_library::Standardizer>,
    jobs: Arc<Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
    /// Upload bytes held now by connections still sending theirs.
    buffered: Arc<std::sync::atomic::AtomicUsize>,
    /// Idle models, so that each request does not load one.
    pool: Mutex<Vec<Classifier>>,
    /// The mel spectrogram drawn on the web page (64 bands, at the model's rate).
    display: FeatureExtractor,
}

/// The web page served at `/`: one self-contained file (no external scripts or styles), so
/// it works offline and behind any proxy.
const PAGE: &str = include_str!("page.html");

/// Widest mel image sent to the page, in columns: longer songs are max-pooled down to it.
const MEL_COLUMNS: usize = 600;

/// The router with every endpoint, for `config` (opens the model once to check it).
///
/// # Errors
/// [`ServerError::Model`] for a model that does not open; [`ServerError::Root`] for a root
/// that does not resolve.
pub fn router(config: ServerConfig) -> Result<Router, ServerError> {
    let first = Classifier::open_on(&config.model, config.device).map_err(|e| ServerError::Model(e.to_string()))?;
    let trained_on = first.card().trained_on.to_string();
    let embedding_scale = first.card().embedding_scale.as_ref().map(genrecast_models::EmbeddingScale::standardizer);
    let labels = first.labels().to_vec();
    let tag_names = first.tag_names().map(<[String]>::to_vec).unwrap_or_default();
    let root = match &config.root {
        Some(r) => Some(std::fs::canonicalize(r).map_err(|source| ServerError::Root { path: r.clone(), source })?),
        None => None,
    };
    if let Some(db) = config.library.as_ref().filter(|db| !db.is_file()) {
        return Err(ServerError::NoLibrary(db.clone()));
    }
    let display = FeatureExtractor::new(FeatureConfig { sr: first.sample_rate(), n_fft: 1024, hop_length: 512, n_mels: 64, n_mfcc: 20, tuning: Some(0.0), ..FeatureConfig::default() }).map_err(|e| ServerError::Model(e.to_string()))?;
    let state = Arc::new(AppState { jobs: Arc::new(Semaphore::new(config.max_jobs.max(1))), waiting: std::sync::atomic::AtomicUsize::new(0), buffered: Arc::new(std::sync::atomic::AtomicUsize::new(0)), pool: Mutex::new(vec![first]), model_name: model_name(&config.model), root, labels, tag_names, trained_on, embedding_scale, display, config: config.clone() });
    Ok(Router::new()
        .route("/", get(page))
        .route("/health", get(health))
        .route("/classify", post(classify))
        .route("/tag", post(tag))
        .route("/embed", post(embed))
        .route("/similar", post(similar))
        .route("/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(config.max_upload_bytes))
        .layer(axum::middleware::map_response(errors_as_json))
        .layer(axum::middleware::from_fn(limit_target))
        .with_state(state))
}

/// The longest request target (path and query) served, in bytes, as nginx's default. Longer
/// ones get a JSON 414 here; hyper answers targets over 64 KiB itself, with an empty 414,
/// before any handler runs.
const MAX_TARGET_BYTES: usize = 8 * 1024;

async fn limit_target(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let len = request.uri().path_and_query().map_or(0, |t| t.as_str().len());
    if len > MAX_TARGET_BYTES {
        return Refusal(StatusCode::URI_TOO_LONG, format!("the request target is {len} bytes long (at most {MAX_TARGET_BYTES})")).into_response();
    }
    next.run(request).await
}

/// Every refusal as JSON `{"error": ...}`, including those axum's extractors write as text
/// (413 for a body over the limit, 400 for a query that does not parse, 404, 405).
async fn errors_as_json(response: Response) -> Response {
    let status = response.status();
    let is_json = response.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).trim().to_owned()).unwrap_or_default();
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { text };
    let body = serde_json::json!({ "error": message }).to_string();
    parts.headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// Serves `config` on `listener` until the process is stopped (Ctrl-C ends it cleanly).
///
/// # Errors
/// As [`router`], and I/O errors of the listener.
pub async fn serve(listener: tokio::net::TcpListener, config: ServerConfig) -> Result<(), ServerError> {
    serve_router(listener, router(config)?).await
}

/// Serves a [`router`] already built (so that a bad configuration is refused before the
/// caller says it is serving).
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve_router(listener: tokio::net::TcpListener, app: Router) -> Result<(), ServerError> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// A refusal: status and message.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PAGE))
}

async fn health(State(s): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "model": s.model_name,
        "trained_on": s.trained_on,
        "labels": s.labels,
        "tagger": !s.tag_names.is_empty(),
        "library": s.config.library.is_some(),
        "limits": {
            "max_upload_bytes": s.config.max_upload_bytes,
            "max_audio_seconds": s.config.max_audio_seconds,
            "max_jobs": s.config.max_jobs,
            "max_queue": s.config.max_queue,
            "timeout_s": s.config.timeout.as_secs_f64(),
        },
        "jobs_free": s.jobs.available_permits(),
    }))
}

#[derive(serde::Deserialize, Default)]
struct Source {
    /// A file under the root, relative to it.
    path: Option<String>,
    /// Add the song's mel spectrogram as an image (`/classify` only).
    #[serde(default)]
    mel: bool,
}

async fn classify(State(s): State<Arc<AppState>>, Query(q): Query<Source>, Upload(body): Upload) -> Result<Json<serde_json::Value>, Refusal> {
    let (p, mel) = analyse(&s, q, body).await?;
    let named: serde_json::Map<String, serde_json::Value> = s.labels.iter().zip(&p.probabilities).map(|(l, &v)| (l.clone(), serde_json::json!(v))).collect();
    let top: Vec<serde_json::Value> = ranked(&p.probabilities, &s.labels, 3).map(|(l, v)| serde_json::json!({ "label": l, "probability": v })).collect();
    let mut out = serde_json::json!({
        "model": s.model_name, "trained_on": s.trained_on, "duration_s": p.duration,
        "top": top, "probabilities": named, "windows": p.windows.len(), "windows_total": p.windows_total.max(p.windows.len()),
        "tags": top_tags(&s.tag_names, p.tags.as_deref()),
        "warnings": p.warnings,
    });
    if let Some(mel) = mel {
        out["mel"] = mel;
    }
    Ok(Json(out))
}

async fn tag(State(s): State<Arc<AppState>>, Query(q): Query<Source>, Upload(body): Upload) -> Result<Json<serde_json::Value>, Refusal> {
    if s.tag_names.is_empty() {
        return Err(Refusal(StatusCode::NOT_FOUND, format!("model '{}' has no tagger backbone; serve a model built on musicnn (e.g. the default)", s.model_name)));
    }
    let (p, _) = analyse(&s, Source { mel: false, ..q }, body).await?;
    let Some(tags) = p.tags.as_deref() else {
        return Err(Refusal(StatusCode::INTERNAL_SERVER_ERROR, "the backbone gave no tags".into()));
    };
    let all: Vec<serde_json::Value> = ranked(tags, &s.tag_names, tags.len()).map(|(t, v)| serde_json::json!({ "tag": t, "probability": v })).collect();
    Ok(Json(serde_json::json!({ "model": s.model_name, "duration_s": p.duration, "tags": all })))
}

#[derive(serde::Deserialize)]
struct SimilarQuery {
    path: Option<String>,
    /// How many songs. Default: 10.
    k: Option<usize>,
}

async fn similar(State(s): State<Arc<AppState>>, Query(q): Query<SimilarQuery>, Upload(body): Upload) -> Result<Json<serde_json::Value>, Refusal> {
    let Some(db) = s.config.library.clone() else {
        return Err(Refusal(StatusCode::NOT_FOUND, "this server has no library (start it with --db library.sqlite)".into()));
    };
    let k = q.k.unwrap_or(10).clamp(1, 100);
    let (p, _) = analyse(&s, Source { path: q.path, mel: false }, body).await?;
    let model = s.config.model.clone();
    let root = s.root.clone();
    let scale = s.embedding_scale.clone();
    // Clients see paths relative to --root and nothing of the server's file system: a track
    // outside the root is listed without its path, and errors name "the library" (by
    // `AppState::hide`, below) and models by their names.
    let found = tokio::task::spawn_blocking(move || -> Result<Vec<serde_json::Value>, String> {
        let lib = genrecast_library::Library::open(&db).map_err(|e| e.to_string())?;
        if let Some(m) = lib.model().map_err(|e| e.to_string())? {
            if m != model {
                return Err(format!("the library was analysed with '{}', this server runs '{}'", model_name(&m), model_name(&model)));
            }
        }
        let hits = lib.similar_to(&p.embedding, "model", scale.as_ref(), k, genrecast_library::Metric::Cosine, &[]).map_err(|e| e.to_string())?;
        Ok(hits
            .into_iter()
            .map(|(t, d)| {
                let shown = root.as_deref().and_then(|r| t.path.strip_prefix(r).ok()).map(|rel| rel.display().to_string());
                serde_json::json!({ "distance": d, "path": shown, "title": t.title, "artist": t.artist, "label": t.label })
            })
            .collect())
    })
    .await
    .map_err(|e| Refusal(StatusCode::INTERNAL_SERVER_ERROR, s.hide(&e.to_string())))?
    .map_err(|e| Refusal(StatusCode::CONFLICT, s.hide(&e)))?;
    Ok(Json(serde_json::json!({ "model": s.model_name, "similar": found })))
}

async fn embed(State(s): State<Arc<AppState>>, Query(q): Query<Source>, Upload(body): Upload) -> Result<Json<serde_json::Value>, Refusal> {
    let (p, _) = analyse(&s, Source { mel: false, ..q }, body).await?;
    Ok(Json(serde_json::json!({ "model": s.model_name, "duration_s": p.duration, "embedding": p.embedding })))
}

/// An upload body, read within its time and the server's budget of buffered bytes (axum's
/// `Bytes` waited for a stalled body forever and had no bound across connections: ten
/// clients stalled at 45 of 50 MB held 450 MB). The audio is the raw body, or for a
/// `multipart/form-data` body (`curl -F file=@song.mp3`) its file part: the one named
/// `file`, else the first with a filename. The limits count the whole body either way.
struct Upload(Bytes);

/// Bytes of an upload in progress, counted in the server's budget until dropped.
struct Reserved(Arc<std::sync::atomic::AtomicUsize>, usize);

impl Reserved {
    /// `n` more bytes, if the budget `max` has them.
    fn grow(&mut self, n: usize, max: usize) -> bool {
        use std::sync::atomic::Ordering;
        let ok = self.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| (held + n <= max).then_some(held + n)).is_ok();
        if ok {
            self.1 += n;
        }
        ok
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl axum::extract::FromRequest<Arc<AppState>> for Upload {
    type Rejection = Refusal;

    async fn from_request(req: axum::extract::Request, s: &Arc<AppState>) -> Result<Self, Refusal> {
        use http_body_util::BodyExt;
        let limit = s.config.max_upload_bytes;
        let too_large = || Refusal(StatusCode::PAYLOAD_TOO_LARGE, format!("the upload is larger than the server's limit of {:.1} MB", limit as f64 / 1048576.0));
        // A declared length over the limit is refused before a byte is read.
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).filter(|v| is_multipart(v)).map(str::to_owned);
        let mut body = req.into_body();
        let mut data = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(1 << 20));
        let mut reserved = Reserved(Arc::clone(&s.buffered), 0);
        let deadline = tokio::time::Instant::now() + s.config.upload_timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, body.frame())
                .await
                .map_err(|_| Refusal(StatusCode::REQUEST_TIMEOUT, format!("the upload was not received within {:.0} s", s.config.upload_timeout.as_secs_f64())))?;
            let chunk = match frame {
                None => break,
                Some(Err(e)) => return Err(Refusal(StatusCode::BAD_REQUEST, format!("reading the upload: {e}"))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(chunk) => chunk,
                    Err(_) => continue,
                },
            };
            if data.len() + chunk.len() > limit {
                return Err(too_large());
            }
            if !reserved.grow(chunk.len(), s.config.max_buffered_bytes) {
                return Err(Refusal(StatusCode::SERVICE_UNAVAILABLE, "busy receiving other uploads; retry later".into()));
            }
            data.extend_from_slice(&chunk);
        }
        let data = Bytes::from(data);
        // The form is parsed while its bytes still count in the budget.
        match multipart {
            Some(content_type) => file_part(&content_type, data).await.map(Upload),
            None => Ok(Upload(data)),
        }
    }
}

/// Whether a `Content-Type` is `multipart/form-data` (any case, any parameters).
fn is_multipart(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The audio of a `multipart/form-data` body: its part named `file`, else its first part
/// with a filename; other fields are ignored. A form without either is refused with 400.
async fn file_part(content_type: &str, body: Bytes) -> Result<Bytes, Refusal> {
    let bad = |m: String| Refusal(StatusCode::BAD_REQUEST, m);
    let boundary = multer::parse_boundary(content_type).map_err(|e| bad(format!("multipart/form-data upload: {e}")))?;
    let mut form = multer::Multipart::new(axum::body::Body::from(body).into_data_stream(), boundary);
    let mut first_file = None;
    while let Some(field) = form.next_field().await.map_err(|e| bad(format!("reading the multipart/form-data upload: {e}")))? {
        let named_file = field.name() == Some("file");
        if named_file || (first_file.is_none() && field.file_name().is_some()) {
            let bytes = field.bytes().await.map_err(|e| bad(format!("reading the multipart/form-data upload: {e}")))?;
            if named_file {
                return Ok(bytes);
            }
            first_file = Some(bytes);
        }
    }
    first_file.ok_or_else(|| bad("the multipart/form-data upload has no file part: send the audio as a part named 'file' (curl -F file=@song.mp3)".into()))
}

/// Why no worker was had.
#[derive(Debug, PartialEq, Eq)]
enum Busy {
    LineFull,
    TimedOut,
}

/// A worker's permit: at once if one is free, else after waiting in line (if the line has
/// room) for at most `timeout`.
async fn wait_for_worker(jobs: &Arc<Semaphore>, waiting: &std::sync::atomic::AtomicUsize, max_queue: usize, timeout: std::time::Duration) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
    if let Ok(p) = Arc::clone(jobs).try_acquire_owned() {
        return Ok(p);
    }
    // The place in line is a guard: a client that gives up while waiting drops this future,
    // and the drop gives the place back (a counter decremented after the `await` leaked one
    // place per such client, until the line looked full with nobody in it).
    let place = PlaceInLine::take(waiting, max_queue).ok_or(Busy::LineFull)?;
    let waited = tokio::time::timeout(timeout, Arc::clone(jobs).acquire_owned()).await;
    drop(place);
    match waited {
        Ok(Ok(p)) => Ok(p),
        _ => Err(Busy::TimedOut),
    }
}

/// One request's place in the waiting line, given back when dropped.
struct PlaceInLine<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> PlaceInLine<'a> {
    /// A place, unless `max` requests are already waiting.
    fn take(waiting: &'a std::sync::atomic::AtomicUsize, max: usize) -> Option<Self> {
        use std::sync::atomic::Ordering;
        waiting.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1)).ok().map(|_| Self(waiting))
    }
}

impl Drop for PlaceInLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Checks the limits, then classifies on a blocking thread with a pooled model; with
/// `q.mel`, also draws the song's mel spectrogram.
async fn analyse(s: &Arc<AppState>, q: Source, body: Bytes) -> Result<(Prediction, Option<serde_json::Value>), Refusal> {
    let refuse = |code: StatusCode, m: String| Refusal(code, m);
    let started = tokio::time::Instant::now();
    let permit = wait_for_worker(&s.jobs, &s.waiting, s.config.max_queue, s.config.timeout).await.map_err(|busy| match busy {
        Busy::LineFull => refuse(StatusCode::SERVICE_UNAVAILABLE, format!("busy: {} songs being analysed and {} waiting; retry later", s.config.max_jobs, s.config.max_queue)),
        Busy::TimedOut => refuse(StatusCode::GATEWAY_TIMEOUT, format!("waited {:.1} s for a free worker", s.config.timeout.as_secs_f64())),
    })?;
    // The audio: a file under the root, or the upload written to a temporary file (the
    // decoders read files and tell the container from its bytes).
    let (path, _upload) = match (&q.path, body.is_empty()) {
        (Some(rel), _) => (resolve_under_root(s.root.as_deref(), rel)?, None),
        (None, false) => {
            let tmp = tempfile::NamedTempFile::new().map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("temporary file: {e}")))?;
            std::fs::write(tmp.path(), &body).map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("temporary file: {e}")))?;
            (tmp.path().to_path_buf(), Some(tmp))
        }
        (None, true) => return Err(refuse(StatusCode::BAD_REQUEST, "send the audio as the request body, or ?path= a file under the root".into())),
    };
    let shown = q.path.clone().unwrap_or_else(|| "upload".into());
    // Refuse long audio from its header before decoding it.
    let stream = genrecast_audio::AudioStream::open(&path).map_err(|e| refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("{shown}: {}", s.hide(&strip_path(&e.to_string(), &path, &shown)))))?;
    let info = stream.info();
    if let Some(frames) = info.declared_frames {
        let seconds = frames as f64 / f64::from(info.sample_rate.max(1));
        if seconds > s.config.max_audio_seconds {
            return Err(too_long(&shown, seconds, s.config.max_audio_seconds));
        }
    }
    drop(stream);
    let state = Arc::clone(s);
    let shown_in_worker = shown.clone();
    let work = tokio::task::spawn_blocking(move || {
        let model = state.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let model = match model {
            Some(m) => m,
            None => Classifier::open_on(&state.config.model, state.config.device).map_err(|e| e.to_string())?,
        };
        let r = load_and_classify(&model, &path, q.mel.then_some(&state.display)).map_err(|e| strip_path(&e, &path, &shown_in_worker));
        state.pool.lock().unwrap_or_else(|p| p.into_inner()).push(model);
        drop(permit);
        r
    });
    let left = s.config.timeout.saturating_sub(started.elapsed());
    let p = match tokio::time::timeout(left, work).await {
        Err(_) => return Err(refuse(StatusCode::GATEWAY_TIMEOUT, format!("{shown}: not analysed within {:.1} s", s.config.timeout.as_secs_f64()))),
        Ok(Err(e)) => return Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{shown}: analysis failed ({})", s.hide(&e.to_string())))),
        Ok(Ok(Err(e))) => return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("{shown}: {}", s.hide(&e)))),
        Ok(Ok(Ok(p))) => p,
    };
    if p.0.duration > s.config.max_audio_seconds {
        return Err(too_long(&shown, p.0.duration, s.config.max_audio_seconds));
    }
    Ok(p)
}

/// Classifies `path` and, with `display`, draws its mel spectrogram. A file longer than 2
/// minutes is classified (and drawn) as it decodes, in memory that does not grow with its
/// length; a shorter one with its picture is decoded once, whole.
fn load_and_classify(model: &Classifier, path: &Path, display: Option<&FeatureExtractor>) -> Result<(Prediction, Option<serde_json::Value>), String> {
    match display {
        // A short file with its picture: decoded once, whole.
        Some(fx) if !genrecast_models::streams(path).unwrap_or(false) => {
            let opts = genrecast_audio::LoadOptions { sample_rate: Some(model.sample_rate()), ..Default::default() };
            let wave = genrecast_audio::load(path, &opts).map_err(|e| e.to_string())?;
            let p = model.classify_samples(&wave.samples, Aggregation::Mean).map_err(|e| format!("{}: {e}", path.display()))?;
            let mel = mel_image(fx, &wave.samples).map_err(|e| format!("{}: mel spectrogram: {e}", path.display()))?;
            Ok((p, Some(mel)))
        }
        // A long one: the model and the picture each as it decodes, in flat memory.
        Some(fx) => {
            let p = model.classify_file(path, Aggregation::Mean).map_err(|e| e.to_string())?;
            Ok((p, Some(mel_image_file(fx, path).map_err(|e| format!("mel spectrogram: {e}"))?)))
        }
        None => model.classify_file(path, Aggregation::Mean).map(|p| (p, None)).map_err(|e| e.to_string()),
    }
}

/// [`mel_image`] of a file, computed as it decodes (the same values: each streamed frame is
/// the whole-file frame bit for bit), holding only the picture.
fn mel_image_file(fx: &FeatureExtractor, path: &Path) -> Result<serde_json::Value, genrecast_features::Error> {
    let bands = fx.config().n_mels;
    let (mut pool, mut columns, mut loudest) = (1, 0, Vec::new());
    genrecast_features::summary_stream::stream_frames(path, &genrecast_audio::LoadOptions::default(), fx, &[FeatureKind::MelDb], &mut |f| {
        if f.index == 0 {
            pool = f.total.div_ceil(MEL_COLUMNS).max(1);
            columns = f.total.div_ceil(pool);
            loudest = vec![-80.0f32; bands * columns];
        }
        let c = f.index / pool;
        for (band, &v) in f.values.iter().enumerate() {
            if let Some(slot) = loudest.get_mut(band * columns + c) {
                *slot = slot.max(v);
            }
        }
        Ok(())
    })?;
    let values: Vec<u8> = loudest.iter().map(|&l| (((l + 80.0) / 80.0).clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    let cfg = fx.config();
    let seconds_per_column = (pool * cfg.hop_length) as f64 / f64::from(cfg.sr);
    Ok(serde_json::json!({ "bands": bands, "columns": columns, "seconds_per_column": seconds_per_column, "db_range": 80, "values": values }))
}

/// The mel spectrogram in dB (80 dB range below the loudest bin) as 0-255 grey levels, low
/// bands first, max-pooled to at most [`MEL_COLUMNS`] columns: a small image the page draws.
fn mel_image(fx: &FeatureExtractor, samples: &[f32]) -> Result<serde_json::Value, genrecast_features::Error> {
    let set = fx.extract(samples, &[FeatureKind::MelDb])?;
    let Some(db) = set.get(&FeatureKind::MelDb) else { return Ok(serde_json::Value::Null) };
    let pool = db.cols.div_ceil(MEL_COLUMNS).max(1);
    let columns = db.cols.div_ceil(pool);
    let mut values = Vec::with_capacity(db.rows * columns);
    for band in 0..db.rows {
        let row = db.row(band);
        for c in 0..columns {
            let loudest = row[c * pool..((c + 1) * pool).min(row.len())].iter().copied().fold(-80.0f32, f32::max);
            values.push((((loudest + 80.0) / 80.0).clamp(0.0, 1.0) * 255.0).round() as u8);
        }
    }
    let cfg = fx.config();
    let seconds_per_column = (pool * cfg.hop_length) as f64 / f64::from(cfg.sr);
    Ok(serde_json::json!({ "bands": db.rows, "columns": columns, "seconds_per_column": seconds_per_column, "db_range": 80, "values": values }))
}

/// The five strongest tags of the model's backbone (empty for models without one).
fn top_tags(names: &[String], tags: Option<&[f32]>) -> Vec<serde_json::Value> {
    let Some(tags) = tags else { return Vec::new() };
    ranked(tags, names, 5).map(|(t, v)| serde_json::json!({ "tag": t, "probability": v })).collect()
}

/// The `k` highest `values` with their names, highest first.
fn ranked<'a>(values: &'a [f32], names: &'a [String], k: usize) -> impl Iterator<Item = (&'a str, f32)> {
    let values = &values[..values.len().min(names.len())];
    genrecast_eval::top_indices(values, k).into_iter().map(move |i| (names[i].as_str(), values[i]))
}

fn too_long(shown: &str, seconds: f64, max: f64) -> Refusal {
    Refusal(StatusCode::UNPROCESSABLE_ENTITY, format!("{shown}: {seconds:.1} s of audio; this server takes at most {max:.0} s"))
}

/// Messages name the temporary file of an upload, or the file under the root in full; the
/// client knows it as `shown` ("upload", or the path it sent).
fn strip_path(message: &str, path: &Path, shown: &str) -> String {
    message.replace(&format!("{}: ", path.display()), "").replace(&path.display().to_string(), shown)
}

/// A model as clients see it: a built-in model's name, or the last part of a model folder's
/// path (`/srv/models/rock-v2/` is `rock-v2`).
fn model_name(model: &str) -> String {
    Path::new(model).file_name().map_or_else(|| "the model".to_owned(), |n| n.to_string_lossy().into_owned())
}

impl AppState {
    /// `message` without the server's own paths: the library file, a model folder and the
    /// root are named, not shown.
    fn hide(&self, message: &str) -> String {
        let mut out = message.to_owned();
        if let Some(db) = &self.config.library {
            out = out.replace(&db.display().to_string(), "the library");
        }
        if model_name(&self.config.model) != self.config.model {
            out = out.replace(&self.config.model, &self.model_name);
        }
        for root in self.root.iter().chain(self.config.root.as_ref()) {
            out = out.replace(&root.display().to_string(), "the root");
        }
        out
    }
}

/// `rel` resolved under `root`, refusing absolute paths, `..` and symbolic links that lead
/// outside the root.
fn resolve_under_root(root: Option<&Path>, rel: &str) -> Result<PathBuf, Refusal> {
    let forbidden = |m: String| Refusal(StatusCode::FORBIDDEN, m);
    let root = root.ok_or_else(|| forbidden("this server takes no paths (started without --root)".into()))?;
    let candidate = Path::new(rel);
    if candidate.is_absolute() || candidate.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return Err(forbidden(format!("{rel}: paths must be relative to the root, without '..'")));
    }
    let full = std::fs::canonicalize(root.join(candidate)).map_err(|e| Refusal(StatusCode::NOT_FOUND, format!("{rel}: {e}")))?;
    if !full.starts_with(root) {
        return Err(forbidden(format!("{rel}: leads outside the root")));
    }
    Ok(full)
}

/// The OpenAPI 3.0 description: every route's parameters, request bodies and responses, with
/// the schemas of what the handlers return.
async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_spec())
}

fn openapi_spec() -> serde_json::Value {
    use serde_json::json;
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": schema("Error") } } });
    let binary = json!({ "type": "string", "format": "binary" });
    let audio = json!({
        "required": false,
        "description": "the song, in any format the server decodes (MP3, FLAC, WAV, Ogg Vorbis or Opus, M4A/AAC...): the raw bytes as the body, or a multipart/form-data form whose file part holds them (curl -F file=@song.mp3). Leave it out to name a file with ?path=.",
        "content": {
            "audio/*": { "schema": binary },
            "application/octet-stream": { "schema": binary },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": { "file": { "type": "string", "format": "binary", "description": "the song; without a part named file, the first part with a filename is taken. Other fields are ignored." } },
                },
                "encoding": { "file": { "contentType": "audio/*, application/octet-stream" } },
            },
        },
    });
    let path = json!({ "name": "path", "in": "query", "required": false, "schema": { "type": "string" }, "description": "a file under the server's --root, relative to it (no '..', no absolute path), instead of a body; refused (403) by a server started without --root" });
    let mel = json!({ "name": "mel", "in": "query", "required": false, "schema": { "type": "boolean", "enum": [true, false], "default": false }, "description": "also return the song's mel spectrogram as a small image (mel)" });
    let k = json!({ "name": "k", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 10 }, "description": "how many songs; values outside 1-100 are clamped to it" });
    let too_long_target = error("the request target (path and query) is over 8 KiB");
    // What every analysing route may answer besides 200.
    let refusals = json!({
        "400": error("neither a body nor ?path=, a query that does not parse, a multipart/form-data body without a file part, or a body that could not be read"),
        "403": error("?path= outside the root (by '..', an absolute path or a symbolic link), or a server without --root"),
        "404": error("?path= names no file under the root"),
        "408": error("the upload was not received within the server's upload time (--upload-timeout-s)"),
        "413": error("the upload (the whole body, form included) is over the size limit (--max-upload-mb)"),
        "414": too_long_target,
        "422": error("audio that cannot be read, or longer than the duration limit (--max-seconds)"),
        "500": error("the server failed (a temporary file, or the analysis itself)"),
        "503": error("all workers busy and the waiting line full, or too many upload bytes arriving at once; retry later"),
        "504": error("not analysed within the time per request (--timeout-s), waiting included"),
    });
    let analysing = |summary: &str, params: Vec<serde_json::Value>, ok: &str, extra: &[(&str, serde_json::Value)]| {
        let mut responses = refusals.clone();
        responses["200"] = json!({ "description": "the result", "content": { "application/json": { "schema": schema(ok) } } });
        for (code, response) in extra {
            responses[*code] = response.clone();
        }
        json!({ "post": { "summary": summary, "parameters": params, "requestBody": audio, "responses": responses } })
    };
    let number = json!({ "type": "number" });
    let integer = json!({ "type": "integer" });
    let string = json!({ "type": "string" });
    let score = |name: &str| json!({ "type": "object", "required": [name, "probability"], "properties": { name: string, "probability": number } });
    json!({
        "openapi": "3.0.3",
        "info": { "title": "genrecast", "version": env!("CARGO_PKG_VERSION"), "description": "Genre probabilities, tags, embeddings and similar songs of an uploaded song or of a file under the server's root. Every refusal is JSON {\"error\": message}." },
        "paths": {
            "/": { "get": { "summary": "the web page: drop a song, see its genres, tags, mel spectrogram and similar songs", "parameters": [], "responses": {
                "200": { "description": "the page", "content": { "text/html": { "schema": string } } },
                "414": too_long_target,
            } } },
            "/health": { "get": { "summary": "status, model, labels and limits", "parameters": [], "responses": {
                "200": { "description": "serving", "content": { "application/json": { "schema": schema("Health") } } },
                "414": too_long_target,
            } } },
            "/openapi.json": { "get": { "summary": "this description", "parameters": [], "responses": {
                "200": { "description": "the OpenAPI 3.0 description", "content": { "application/json": { "schema": { "type": "object" } } } },
                "414": too_long_target,
            } } },
            "/classify": analysing("genre probabilities of a song, its top 3 and the backbone's top tags (?mel=true adds its mel spectrogram)", vec![path.clone(), mel], "Classification", &[]),
            "/tag": analysing("every tag of the model's tagger backbone, strongest first", vec![path.clone()], "Tags", &[
                ("404", error("?path= names no file under the root, or the model has no tagger backbone")),
            ]),
            "/embed": analysing("the song's embedding", vec![path.clone()], "Embedding", &[]),
            "/similar": analysing("the nearest songs of the server's library (--db)", vec![path, k], "Similar", &[
                ("404", error("?path= names no file under the root, or the server has no library (--db)")),
                ("409", error("the library was analysed with another model, or cannot be read")),
            ]),
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string", "description": "what was refused and why" } } },
            "Health": { "type": "object", "required": ["status", "model", "trained_on", "labels", "tagger", "library", "limits", "jobs_free"], "properties": {
                "status": { "type": "string", "enum": ["ok"] },
                "model": { "type": "string", "description": "the model's name (a built-in model, or the name of a model folder)" },
                "trained_on": { "type": "string", "description": "the dataset the model was trained on" },
                "labels": { "type": "array", "items": string },
                "tagger": { "type": "boolean", "description": "whether the model has a tagger backbone (/tag)" },
                "library": { "type": "boolean", "description": "whether a library is loaded (/similar)" },
                "limits": { "type": "object", "required": ["max_upload_bytes", "max_audio_seconds", "max_jobs", "max_queue", "timeout_s"], "properties": {
                    "max_upload_bytes": integer, "max_audio_seconds": number, "max_jobs": integer, "max_queue": integer, "timeout_s": number,
                } },
                "jobs_free": { "type": "integer", "description": "workers free now" },
            } },
            "Classification": { "type": "object", "required": ["model", "trained_on", "duration_s", "top", "probabilities", "windows", "windows_total", "tags", "warnings"], "properties": {
                "model": string,
                "trained_on": string,
                "duration_s": { "type": "number", "description": "seconds of audio analysed" },
                "top": { "type": "array", "maxItems": 3, "items": score("label"), "description": "the 3 likeliest labels, likeliest first" },
                "probabilities": { "type": "object", "additionalProperties": number, "description": "every label's probability" },
                "windows": { "type": "integer", "description": "windows judged" },
                "windows_total": { "type": "integer", "description": "windows the song has (more than windows when a long song was judged from a spread of them)" },
                "tags": { "type": "array", "maxItems": 5, "items": score("tag"), "description": "the backbone's 5 strongest tags, strongest first; empty for a model without one" },
                "warnings": { "type": "array", "items": string, "description": "why the result may say little about the song (silence, audio shorter than a window); empty when all is well" },
                "mel": { "allOf": [schema("Mel")], "nullable": true, "description": "with ?mel=true only" },
            } },
            "Mel": { "type": "object", "required": ["bands", "columns", "seconds_per_column", "db_range", "values"], "properties": {
                "bands": integer,
                "columns": integer,
                "seconds_per_column": number,
                "db_range": { "type": "number", "description": "dB below the loudest bin that level 0 stands for" },
                "values": { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 255 }, "description": "bands x columns grey levels, row by row, lowest band first" },
            } },
            "Tags": { "type": "object", "required": ["model", "duration_s", "tags"], "properties": {
                "model": string, "duration_s": number,
                "tags": { "type": "array", "items": score("tag"), "description": "every tag of the backbone, strongest first" },
            } },
            "Embedding": { "type": "object", "required": ["model", "duration_s", "embedding"], "properties": {
                "model": string, "duration_s": number,
                "embedding": { "type": "array", "items": number },
            } },
            "Similar": { "type": "object", "required": ["model", "similar"], "properties": {
                "model": string,
                "similar": { "type": "array", "description": "nearest first", "items": { "type": "object", "required": ["distance", "path", "title", "artist", "label"], "properties": {
                    "distance": { "type": "number", "description": "cosine distance between the embeddings" },
                    "path": { "type": "string", "nullable": true, "description": "relative to the server's root; null for a song outside it" },
                    "title": { "type": "string", "nullable": true },
                    "artist": { "type": "string", "nullable": true },
                    "label": { "type": "string", "nullable": true },
                } } },
            } },
        } },
    })
}

#[cfg(test)]
mod line_tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Clients that give up while queued give their places back; before the guard, each one
    /// left the count one higher, and the server answered 503 with nobody waiting.
    #[test]
    fn clients_that_give_up_while_queued_leave_the_line() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        rt.block_on(async {
            let jobs = Arc::new(Semaphore::new(1));
            let waiting = AtomicUsize::new(0);
            let busy = Arc::clone(&jobs).try_acquire_owned().expect("the one worker");
            for _ in 0..5 {
                // The client gives up after 10 ms: its request future is dropped mid-wait.
                let gave_up = tokio::time::timeout(Duration::from_millis(10), wait_for_worker(&jobs, &waiting, 2, Duration::from_secs(60))).await;
                assert!(gave_up.is_err(), "it should still have been waiting");
                assert_eq!(waiting.load(Ordering::SeqCst), 0, "a place in line leaked");
            }
            // The line has its two places, and a third is refused.
            let (a, b) = (wait_for_worker(&jobs, &waiting, 2, Duration::from_secs(60)), wait_for_worker(&jobs, &waiting, 2, Duration::from_secs(60)));
            let (mut a, mut b) = (Box::pin(a), Box::pin(b));
            assert!(futures_poll_once(&mut a).await.is_none() && futures_poll_once(&mut b).await.is_none());
            assert_eq!(waiting.load(Ordering::SeqCst), 2);
            assert_eq!(wait_for_worker(&jobs, &waiting, 2, Duration::from_secs(60)).await.err(), Some(Busy::LineFull));
            drop(busy);
            assert!(a.await.is_ok());
            drop(b);
            assert_eq!(waiting.load(Ordering::SeqCst), 0);
        });
    }

    /// Polls a future once: `Some` if it finished.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
        tokio::time::timeout(Duration::from_millis(1), f).await.ok()
    }
}

#[cfg(test)]
mod upload_tests {
    use super::*;

    fn form(parts: &[(&str, &[u8])]) -> Bytes {
        let mut body = Vec::new();
        for (disposition, bytes) in parts {
            body.extend_from_slice(format!("--XyZ\r\nContent-Disposition: form-data; {disposition}\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        Bytes::from(body)
    }

    fn part(parts: &[(&str, &[u8])]) -> Result<Bytes, Refusal> {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(file_part("multipart/form-data; boundary=XyZ", form(parts)))
    }

    /// The part named `file`, else the first with a filename; fields are ignored.
    #[test]
    fn the_file_part_is_taken() {
        let got = |parts: &[(&str, &[u8])]| part(parts).map(|b| b.to_vec()).map_err(|r| (r.0, r.1));
        assert_eq!(got(&[("name=\"note\"", b"hi"), ("name=\"file\"; filename=\"a.mp3\"", b"AUDIO")]), Ok(b"AUDIO".to_vec()));
        assert_eq!(got(&[("name=\"x\"; filename=\"a.jpg\"", b"IMAGE"), ("name=\"file\"", b"AUDIO")]), Ok(b"AUDIO".to_vec()));
        assert_eq!(got(&[("name=\"song\"; filename=\"a.mp3\"", b"FIRST"), ("name=\"other\"; filename=\"b.mp3\"", b"SECOND")]), Ok(b"FIRST".to_vec()));
        let (code, message) = got(&[("name=\"note\"", b"hi")]).expect_err("no file part");
        assert!(code == StatusCode::BAD_REQUEST && message.contains("no file part"), "{message}");
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let no_boundary = rt.block_on(file_part("multipart/form-data", form(&[("name=\"file\"", b"AUDIO")])));
        assert!(no_boundary.is_err_and(|r| r.0 == StatusCode::BAD_REQUEST));
    }

    #[test]
    fn multipart_is_told_by_its_content_type() {
        assert!(is_multipart("multipart/form-data; boundary=x") && is_multipart("Multipart/Form-Data;boundary=x"));
        assert!(!is_multipart("application/octet-stream") && !is_multipart("audio/mpeg") && !is_multipart("multipart/mixed; boundary=x"));
    }

    /// Clients see a model folder by its name and files by the names they sent, never the
    /// server's paths.
    #[test]
    fn server_paths_are_not_shown() {
        assert_eq!(model_name("genre-gtzan"), "genre-gtzan");
        assert_eq!(model_name("/srv/models/rock-v2/"), "rock-v2");
        assert_eq!(model_name("models/rock-v2"), "rock-v2");
        let full = Path::new("/srv/music/jazz/take5.flac");
        assert_eq!(strip_path("/srv/music/jazz/take5.flac: not a recognised audio file", full, "jazz/take5.flac"), "not a recognised audio file");
        assert_eq!(strip_path("decoding /srv/music/jazz/take5.flac failed", full, "jazz/take5.flac"), "decoding jazz/take5.flac failed");
    }
}

#[cfg(test)]
mod mel_tests {
    use super::*;

    /// The picture of a long file drawn as it decodes is the whole-file picture, value for
    /// value (the example song stands in: 30 s is pooled as a 2-hour file would be).
    #[test]
    fn mel_picture_drawn_as_it_decodes_equals_the_whole_file_picture() {
        let song = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/muldjord-chaos-god-excerpt.ogg");
        let fx = FeatureExtractor::new(FeatureConfig { sr: 16_000, n_fft: 1024, hop_length: 512, n_mels: 64, n_mfcc: 20, tuning: Some(0.0), ..FeatureConfig::default() }).expect("extractor");
        let wave = genrecast_audio::load(&song, &genrecast_audio::LoadOptions { sample_rate: Some(16_000), ..Default::default() }).expect("decode");
        let whole = mel_image(&fx, &wave.samples).expect("whole");
        let streamed = mel_image_file(&fx, &song).expect("streamed");
        // 30 s at hop 512 and 16 kHz: 938 frames, pooled by 2 into 469 columns of 64 bands.
        assert_eq!((whole["columns"].as_u64(), whole["bands"].as_u64()), (Some(469), Some(64)));
        assert_eq!(streamed, whole);
    }
}
