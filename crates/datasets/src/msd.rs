//! Million Song Dataset per-track HDF5 files (`TR....h5`; Bertin-Mahieux et al., ISMIR
//! 2011): the Echo Nest analysis (segments with their timbre and pitch vectors, loudness,
//! tempo, key, mode, time signature) and the metadata (artist, title, year), read with the
//! pure-Rust `hdf5-reader` (no libhdf5), and the segment series as fixed-length model input.

use std::path::Path;

use hdf5_reader::{Datatype, Hdf5File};

use crate::error::{parse_error, Result};

/// One MSD track: its song-level fields and its segment series.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MsdTrack {
    /// Track id (`TR...`), from `/analysis/songs`.
    pub track_id: String,
    /// Artist name.
    pub artist: String,
    /// Song title.
    pub title: String,
    /// Release year (0 when unknown).
    pub year: i64,
    /// Duration in seconds.
    pub duration: f64,
    /// Estimated tempo in BPM.
    pub tempo: f64,
    /// Estimated key, 0 (C) to 11.
    pub key: i64,
    /// Mode, 1 major, 0 minor.
    pub mode: i64,
    /// Estimated beats per bar.
    pub time_signature: i64,
    /// Overall loudness in dB.
    pub loudness: f64,
    /// Number of beats.
    pub beats: usize,
    /// Segment start times in seconds.
    pub segments_start: Vec<f64>,
    /// Per segment, the 12 timbre coefficients (the Echo Nest's MFCC-like basis).
    pub segments_timbre: Vec<[f64; 12]>,
    /// Per segment, the 12 pitch-class strengths (chroma, max 1).
    pub segments_pitches: Vec<[f64; 12]>,
    /// Per segment, the maximum loudness in dB.
    pub segments_loudness_max: Vec<f64>,
}

/// Reads one per-track file.
///
/// # Errors
/// [`crate::Error::Parse`] naming the file for a file that is not HDF5, lacks a dataset or
/// field of the MSD layout, or whose segment arrays disagree in length.
///
/// # Example
/// ```no_run
/// let t = genrecast_datasets::read_msd_track("TRAXLZU12903D05F94.h5".as_ref())?;
/// println!("{} - {}: {} segments", t.artist, t.title, t.segments_timbre.len());
/// # Ok::<(), genrecast_datasets::Error>(())
/// ```
pub fn read_msd_track(path: &Path) -> Result<MsdTrack> {
    let fail = |m: String| parse_error(path, None, m);
    let file = Hdf5File::open(path).map_err(|e| fail(format!("not a readable HDF5 file ({e})")))?;
    let analysis = Record::read(&file, "/analysis/songs").map_err(fail)?;
    let metadata = Record::read(&file, "/metadata/songs").map_err(fail)?;
    let musicbrainz = Record::read(&file, "/musicbrainz/songs").map_err(fail)?;
    let vector = |name: &str| -> Result<Vec<f64>> {
        let ds = file.dataset(name).map_err(|e| fail(format!("{name}: {e}")))?;
        let a = ds.read_array::<f64>().map_err(|e| fail(format!("{name}: {e}")))?;
        Ok(a.iter().copied().collect())
    };
    let rows12 = |name: &str| -> Result<Vec<[f64; 12]>> {
        let flat = vector(name)?;
        if flat.len() % 12 != 0 {
            return Err(fail(format!("{name}: {} values, not rows of 12", flat.len())));
        }
        Ok(flat.chunks_exact(12).map(|c| std::array::from_fn(|i| c[i])).collect())
    };
    let segments_start = vector("/analysis/segments_start")?;
    let segments_timbre = rows12("/analysis/segments_timbre")?;
    let segments_pitches = rows12("/analysis/segments_pitches")?;
    let segments_loudness_max = vector("/analysis/segments_loudness_max")?;
    let n = segments_start.len();
    if segments_timbre.len() != n || segments_pitches.len() != n || segments_loudness_max.len() != n {
        return Err(fail(format!("segment arrays disagree: {n} starts, {} timbre rows, {} pitch rows", segments_timbre.len(), segments_pitches.len())));
    }
    let beats = file.dataset("/analysis/beats_start").ok().and_then(|d| d.shape().first().copied()).unwrap_or(0) as usize;
    Ok(MsdTrack {
        track_id: analysis.string("track_id").map_err(fail)?,
        artist: metadata.string("artist_name").map_err(fail)?,
        title: metadata.string("title").map_err(fail)?,
        year: musicbrainz.integer("year").map_err(fail)?,
        duration: analysis.float("duration").map_err(fail)?,
        tempo: analysis.float("tempo").map_err(fail)?,
        key: analysis.integer("key").map_err(fail)?,
        mode: analysis.integer("mode").map_err(fail)?,
        time_signature: analysis.integer("time_signature").map_err(fail)?,
        loudness: analysis.float("loudness").map_err(fail)?,
        beats,
        segments_start,
        segments_timbre,
        segments_pitches,
        segments_loudness_max,
    })
}

/// The first row of a one-row compound table, with its field layout.
struct Record {
    table: String,
    bytes: Vec<u8>,
    fields: Vec<hdf5_reader::CompoundField>,
}

impl Record {
    fn read(file: &Hdf5File, table: &str) -> std::result::Result<Self, String> {
        let ds = file.dataset(table).map_err(|e| format!("{table}: {e}"))?;
        let Datatype::Compound { size, fields } = ds.dtype().clone() else {
            return Err(format!("{table} is not a compound table"));
        };
        let bytes = ds.read_raw_bytes().map_err(|e| format!("{table}: {e}"))?;
        if bytes.len() < size as usize {
            return Err(format!("{table} has no row"));
        }
        Ok(Self { table: table.to_owned(), bytes: bytes[..size as usize].to_vec(), fields })
    }

    fn field(&self, name: &str) -> std::result::Result<(&[u8], &Datatype), String> {
        let f = self.fields.iter().find(|f| f.name == name).ok_or_else(|| format!("{} has no field {name}", self.table))?;
        let start = f.byte_offset as usize;
        let size = match &f.datatype {
            Datatype::FixedPoint { size, .. } | Datatype::FloatingPoint { size, .. } => usize::from(*size),
            Datatype::String { size: hdf5_reader::StringSize::Fixed(n), .. } => *n as usize,
            other => return Err(format!("{}.{name}: unexpected type {other:?}", self.table)),
        };
        let bytes = self.bytes.get(start..start + size).ok_or_else(|| format!("{}.{name} lies outside the row", self.table))?;
        Ok((bytes, &f.datatype))
    }

    fn float(&self, name: &str) -> std::result::Result<f64, String> {
        match self.field(name)? {
            (b, Datatype::FloatingPoint { size: 8, byte_order }) => {
                let a: [u8; 8] = b.try_into().map_err(|_| format!("{name}: short"))?;
                Ok(if matches!(byte_order, hdf5_reader::ByteOrder::BigEndian) { f64::from_be_bytes(a) } else { f64::from_le_bytes(a) })
            }
            (b, Datatype::FloatingPoint { size: 4, byte_order }) => {
                let a: [u8; 4] = b.try_into().map_err(|_| format!("{name}: short"))?;
                Ok(f64::from(if matches!(byte_order, hdf5_reader::ByteOrder::BigEndian) { f32::from_be_bytes(a) } else { f32::from_le_bytes(a) }))
            }
            (_, t) => Err(format!("{}.{name}: {t:?} is not a float", self.table)),
        }
    }

    fn integer(&self, name: &str) -> std::result::Result<i64, String> {
        match self.field(name)? {
            (b, Datatype::FixedPoint { signed, byte_order, .. }) => {
                let mut a = [0u8; 8];
                let big = matches!(byte_order, hdf5_reader::ByteOrder::BigEndian);
                let bytes: Vec<u8> = if big { b.iter().rev().copied().collect() } else { b.to_vec() };
                a[..bytes.len()].copy_from_slice(&bytes);
                let negative = *signed && bytes.last().is_some_and(|&x| x & 0x80 != 0);
                if negative {
                    a[bytes.len()..].fill(0xFF);
                }
                Ok(i64::from_le_bytes(a))
            }
            (_, t) => Err(format!("{}.{name}: {t:?} is not an integer", self.table)),
        }
    }

    fn string(&self, name: &str) -> std::result::Result<String, String> {
        match self.field(name)? {
            (b, Datatype::String { .. }) => {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                Ok(String::from_utf8_lossy(&b[..end]).trim_end().to_owned())
            }
            (_, t) => Err(format!("{}.{name}: {t:?} is not a string", self.table)),
        }
    }
}

/// A segment series cut or zero-padded to a fixed number of steps, with the mask of real
/// steps: the input the seed's sequence models take (300 steps by default).
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentSeries {
    /// `steps x 24`: the 12 timbre coefficients then the 12 pitch strengths of each step.
    pub values: Vec<[f32; 24]>,
    /// Whether each step is a real segment (false for padding).
    pub mask: Vec<bool>,
}

impl MsdTrack {
    /// The first `steps` segments (timbre then pitches), zero-padded and masked when the
    /// track has fewer.
    ///
    /// # Example
    /// ```no_run
    /// let t = genrecast_datasets::read_msd_track("TRAXLZU12903D05F94.h5".as_ref())?;
    /// let s = t.segment_series(300);
    /// assert_eq!((s.values.len(), s.mask.len()), (300, 300));
    /// # Ok::<(), genrecast_datasets::Error>(())
    /// ```
    pub fn segment_series(&self, steps: usize) -> SegmentSeries {
        let mut values = Vec::with_capacity(steps);
        let mut mask = Vec::with_capacity(steps);
        for i in 0..steps {
            match (self.segments_timbre.get(i), self.segments_pitches.get(i)) {
                (Some(t), Some(p)) => {
                    values.push(std::array::from_fn(|k| if k < 12 { t[k] as f32 } else { p[k - 12] as f32 }));
                    mask.push(true);
                }
                _ => {
                    values.push([0.0; 24]);
                    mask.push(false);
                }
            }
        }
        SegmentSeries { values, mask }
    }
}
