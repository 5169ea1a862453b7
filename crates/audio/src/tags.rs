//! The tags a file carries (ID3v2/v1, Vorbis comments, MP4 atoms, RIFF INFO, APE), read
//! with [lofty](https://crates.io/crates/lofty): title, artist, album, genre, track number
//! and year, for a library that shows what people named their songs rather than file stems.

use std::path::Path;

use lofty::prelude::*;

/// Longest tag value kept, in characters: a hostile file cannot fill the library with one.
const MAX_TAG_CHARS: usize = 1000;

/// What a file's tags say; every field is `None` where the file does not say it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileTags {
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Artist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    /// Album.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    /// The genre the tags name (not a prediction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genre: Option<String>,
    /// Track number on its album.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<u32>,
    /// Year of release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
}

impl FileTags {
    /// Whether the file said nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Reads the tags of `path`. A file without tags, in a format that has none (Sun AU), or
/// whose tags cannot be parsed gives empty tags: tags never make a song fail.
///
/// # Example
/// ```no_run
/// let tags = genrecast_audio::read_tags("song.mp3".as_ref());
/// println!("{} by {}", tags.title.as_deref().unwrap_or("?"), tags.artist.as_deref().unwrap_or("?"));
/// ```
pub fn read_tags(path: &Path) -> FileTags {
    // Only regular files: opening a FIFO to read would wait for a writer forever.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return FileTags::default();
    }
    // Tag parsers meet hostile bytes too: a panic inside one costs the tags, not the song.
    crate::decode::guard(path, || Ok(read(path))).ok().flatten().unwrap_or_default()
}

fn read(path: &Path) -> Option<FileTags> {
    let options = lofty::config::ParseOptions::new().read_properties(false).read_cover_art(false).parsing_mode(lofty::config::ParsingMode::Relaxed);
    let file = lofty::probe::Probe::open(path).ok()?.options(options).guess_file_type().ok()?.read().ok()?;
    let tag = file.primary_tag().or_else(|| file.first_tag())?;
    let text = |v: Option<std::borrow::Cow<'_, str>>| {
        let v = v?;
        let v = v.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!v.is_empty()).then(|| v.chars().take(MAX_TAG_CHARS).collect::<String>())
    };
    Some(FileTags {
        title: text(tag.title()),
        artist: text(tag.artist()),
        album: text(tag.album()),
        genre: text(tag.genre()),
        track: tag.track(),
        year: tag.date().map(|d| d.year).filter(|&y| y > 0),
    })
}
