//! `genrecast library list|show|export`: what a library holds, track by track (as blissify's
//! `list-db` and beets' `ls`), and the rendering of tracks that `similar` and `playlist`
//! share with them (CSV columns, output files).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use genrecast_library::{Library, Track, TrackDetails};

use crate::args::{LibraryCommand, LibraryExportArgs, LibraryListArgs, LibraryShowArgs, ResultFormat, TrackFilter};

pub fn run(command: LibraryCommand) -> anyhow::Result<ExitCode> {
    match command {
        LibraryCommand::List(a) => list(a),
        LibraryCommand::Show(a) => show(a),
        LibraryCommand::Export(a) => export(a),
    }
}

/// Opens an existing library that holds at least one track: a missing or empty one is an
/// error, not an empty success.
pub fn open_existing(db: &Path) -> anyhow::Result<Library> {
    if !db.is_file() {
        bail!("{}: no library (create one with `genrecast index DIR --db {}`)", db.display(), db.display());
    }
    let lib = Library::open(db)?;
    if lib.track_count()? == 0 {
        bail!("{}: the library holds no tracks (add some with `genrecast index DIR --db {}`)", db.display(), db.display());
    }
    Ok(lib)
}

/// Whether `track` passes every filter given.
fn keeps(filter: &TrackFilter, track: &Track) -> bool {
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let holds = |field: &Option<String>, part: &str| field.as_deref().is_some_and(|f| f.to_lowercase().contains(&part.to_lowercase()));
    let genre = filter.genre.as_deref().is_none_or(|g| track.predictions.first().is_some_and(|(top, _)| same(top, g)) || track.genre.as_deref().is_some_and(|tag| same(tag, g)));
    let artist = filter.artist.as_deref().is_none_or(|a| holds(&track.artist, a));
    let album = filter.album.as_deref().is_none_or(|a| holds(&track.album, a));
    let path = filter.path.as_deref().is_none_or(|p| {
        let text = track.path.to_string_lossy();
        if p.contains(['*', '?']) {
            glob_matches(p, &text)
        } else {
            text.contains(p)
        }
    });
    genre && artist && album && path && (!filter.failed || track.error.is_some())
}

/// Whether `text` matches `pattern` as a whole, `*` standing for any text (`/` included) and
/// `?` for one character.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    // Where the last `*` was, and the text position it currently stands up to.
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            // Let the last `*` take one more character and try again.
            star = Some((si, sj + 1));
            i = si + 1;
            j = sj + 1;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The library's tracks that pass `filter`, by path; none is exit code 1 with a message.
fn filtered(db: &Path, filter: &TrackFilter) -> anyhow::Result<(Library, Result<Vec<Track>, ExitCode>)> {
    let lib = open_existing(db)?;
    let tracks: Vec<Track> = lib.tracks()?.into_iter().filter(|t| keeps(filter, t)).collect();
    if tracks.is_empty() {
        eprintln!("{}: no track matches the filters", db.display());
        return Ok((lib, Err(ExitCode::from(1))));
    }
    Ok((lib, Ok(tracks)))
}

/// The top genre and its probability as the tables show it, or `-`.
pub fn top_genre(track: &Track) -> String {
    track.predictions.first().map_or_else(|| "-".into(), |(g, p)| format!("{g} {:.0}%", p * 100.0))
}

fn list(args: LibraryListArgs) -> anyhow::Result<ExitCode> {
    let (_, tracks) = filtered(&args.db, &args.filter)?;
    let tracks = match tracks {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let text = |s: &Option<String>| crate::names::escape_controls(s.as_deref().unwrap_or("-"));
    let rows: Vec<[String; 5]> = tracks
        .iter()
        .map(|t| {
            let last = match &t.error {
                Some(e) => format!("failed: {}", crate::names::escape_controls(e)),
                None => top_genre(t),
            };
            [crate::names::display(&t.path), text(&t.title), text(&t.artist), text(&t.album), last]
        })
        .collect();
    let header = ["path", "title", "artist", "album", "top genre"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        outln!("{}", cells.join("  ").trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// The track `song` names: a path in the library (as given or made absolute), else, when no
/// such file exists and it is a number, a track id.
fn find(lib: &Library, db: &Path, song: &Path) -> anyhow::Result<Track> {
    if let Some(t) = lib.track_by_path(&crate::cmd_library::absolute(song))?.or(lib.track_by_path(song)?) {
        return Ok(t);
    }
    if let Some(id) = song.to_str().and_then(|s| s.parse::<i64>().ok()).filter(|_| !song.exists()) {
        return Ok(lib.track(id)?);
    }
    bail!("{}: not in {} (give a path in the library or a track id; `genrecast library list` lists them)", crate::names::display(song), db.display())
}

fn show(args: LibraryShowArgs) -> anyhow::Result<ExitCode> {
    let lib = open_existing(&args.db)?;
    let details = lib.details(find(&lib, &args.db, &args.song)?.id)?;
    let text = match args.output.format(false)? {
        ResultFormat::Table => details_table(&details),
        ResultFormat::Json => serde_json::to_string_pretty(&details)? + "\n",
        ResultFormat::Jsonl => serde_json::to_string(&details)? + "\n",
        ResultFormat::Csv => details_csv(std::slice::from_ref(&details)),
    };
    emit(&text, args.output.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

fn export(args: LibraryExportArgs) -> anyhow::Result<ExitCode> {
    let format = args.output.format(false)?;
    let (lib, tracks) = filtered(&args.db, &args.filter)?;
    let tracks = match tracks {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let all: Vec<TrackDetails> = tracks.iter().map(|t| lib.details(t.id)).collect::<Result<_, _>>()?;
    let text = match format {
        ResultFormat::Table => all.iter().map(details_table).collect::<Vec<_>>().join("\n"),
        ResultFormat::Json => serde_json::to_string_pretty(&serde_json::json!({ "library": args.db, "tracks": all }))? + "\n",
        ResultFormat::Jsonl => all.iter().map(|d| serde_json::to_string(d).map(|l| l + "\n")).collect::<Result<String, _>>()?,
        ResultFormat::Csv => details_csv(&all),
    };
    emit(&text, args.output.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `out` (see [`write_file`]) or to stdout.
pub fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => write_file(path, text)?,
        None => out!("{text}"),
    }
    Ok(())
}

/// Writes `text` to `path` atomically, creating its folder.
pub fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    genrecast_features::write_atomic(path, |w| std::io::Write::write_all(w, text.as_bytes())).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn details_table(d: &TrackDetails) -> String {
    let t = &d.track;
    let text = |s: &Option<String>| crate::names::escape_controls(s.as_deref().unwrap_or("-"));
    let number = |n: Option<String>| n.unwrap_or_else(|| "-".into());
    let mut lines = vec![
        format!("path:        {}", crate::names::display(&t.path)),
        format!("id:          {}", t.id),
        format!("title:       {}", text(&t.title)),
        format!("artist:      {}", text(&t.artist)),
        format!("album:       {}", text(&t.album)),
        format!("genre tag:   {}", text(&t.genre)),
        format!("track:       {}", number(t.track_number.map(|n| n.to_string()))),
        format!("year:        {}", number(t.year.map(|n| n.to_string()))),
        format!("label:       {}", text(&t.label)),
        format!("duration:    {}", number(t.duration.map(|s| format!("{s:.1} s")))),
        format!("model:       {}", text(&d.model)),
        format!("size:        {} bytes", d.size),
    ];
    if let Some(e) = &t.error {
        lines.push(format!("error:       {}", crate::names::escape_controls(e)));
    }
    if !t.predictions.is_empty() {
        lines.push("genres:".into());
        lines.extend(t.predictions.iter().map(|(g, p)| format!("  {g:<16} {p:.4}")));
    }
    if !d.tags.is_empty() {
        let top: Vec<String> = d.tags.iter().take(10).map(|(tag, p)| format!("{tag} {p:.2}")).collect();
        lines.push(format!("top tags:    {}", top.join(", ")));
    }
    let kinds: Vec<String> = d.embeddings.iter().map(|e| format!("{} ({}-d)", e.kind, e.dims)).collect();
    lines.push(format!("embeddings:  {}", if kinds.is_empty() { "-".into() } else { kinds.join(", ") }));
    lines.join("\n") + "\n"
}

/// Every genre label of `tracks`, sorted: the CSV's probability columns.
pub fn labels_of<'a>(tracks: impl IntoIterator<Item = &'a Track>) -> Vec<String> {
    let mut labels: Vec<String> = tracks.into_iter().flat_map(|t| t.predictions.iter().map(|p| p.0.clone())).collect();
    labels.sort();
    labels.dedup();
    labels
}

/// The CSV columns of a track, before its genre probabilities.
pub const TRACK_COLUMNS: [&str; 14] = ["id", "path", "title", "artist", "album", "genre", "track_number", "year", "label", "duration_s", "top_genre", "top_probability", "error", "model"];

/// A track's CSV cells: [`TRACK_COLUMNS`] (`model` from `model`), then one probability per
/// label of `labels` (empty where the track has none).
pub fn track_cells(t: &Track, model: Option<&str>, labels: &[String]) -> Vec<String> {
    let text = |s: Option<&str>| crate::names::csv_cell(s.unwrap_or(""));
    let number = |n: Option<String>| n.unwrap_or_default();
    let top = t.predictions.first();
    let mut cells = vec![
        t.id.to_string(),
        crate::names::csv_cell(&crate::names::display(&t.path)),
        text(t.title.as_deref()),
        text(t.artist.as_deref()),
        text(t.album.as_deref()),
        text(t.genre.as_deref()),
        number(t.track_number.map(|n| n.to_string())),
        number(t.year.map(|n| n.to_string())),
        text(t.label.as_deref()),
        number(t.duration.map(|s| format!("{s:.3}"))),
        text(top.map(|p| p.0.as_str())),
        number(top.map(|p| format!("{:.6}", p.1))),
        text(t.error.as_deref()),
        text(model),
    ];
    cells.extend(labels.iter().map(|l| number(t.predictions.iter().find(|p| &p.0 == l).map(|p| format!("{:.6}", p.1)))));
    cells
}

/// One CSV record.
pub fn csv_line(record: &[String]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(record);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The export's CSV: the track columns, the model's top tags (`tag:probability;...`), the
/// embeddings (`kind:dims;...`), then one column per genre label.
fn details_csv(all: &[TrackDetails]) -> String {
    let labels = labels_of(all.iter().map(|d| &d.track));
    let mut head: Vec<String> = TRACK_COLUMNS.iter().map(|c| c.to_string()).collect();
    head.extend(["size", "mtime_ns", "indexed_at", "tags", "embeddings"].map(String::from));
    head.extend(labels.iter().cloned());
    let mut text = csv_line(&head);
    for d in all {
        let mut cells = track_cells(&d.track, d.model.as_deref(), &[]);
        let tags: Vec<String> = d.tags.iter().map(|(t, p)| format!("{t}:{p:.6}")).collect();
        let embeddings: Vec<String> = d.embeddings.iter().map(|e| format!("{}:{}", e.kind, e.dims)).collect();
        cells.extend([d.size.to_string(), d.mtime_ns.to_string(), d.indexed_at.to_string(), crate::names::csv_cell(&tags.join(";")), embeddings.join(";")]);
        cells.extend(track_cells(&d.track, None, &labels).into_iter().skip(TRACK_COLUMNS.len()));
        text.push_str(&csv_line(&cells));
    }
    text
}

/// Paths as the JSON outputs give them.
pub fn json_path(path: &Path) -> PathBuf {
    PathBuf::from(crate::names::exact_text(path))
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_whole_paths() {
        assert!(glob_matches("*/jazz/*.flac", "/music/jazz/a.flac"));
        assert!(glob_matches("*/jazz/*", "/music/jazz/sub/b.mp3"));
        assert!(!glob_matches("*/jazz/*.flac", "/music/jazz/a.mp3"));
        assert!(!glob_matches("*/jazz/*", "/music/jazzy/a.flac"));
        assert!(glob_matches("/m?sic/*", "/music/x"));
        assert!(!glob_matches("/m?sic/*", "/mssic"));
        assert!(glob_matches("*a*b*", "xxaxxbxx"));
        assert!(!glob_matches("*a*b", "xxaxxbxx"));
        assert!(glob_matches("*", ""));
    }
}
