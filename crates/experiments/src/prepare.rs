//! Readying a dataset for a model's input before any work: the tracks that can give it, the
//! input a model reads by default, and what a `train` run's settings name.

use std::path::Path;

use genrecast_datasets::Dataset;
use genrecast_models::{Architecture, InputPreset, Task};

use crate::error::{bail, Result};
use crate::{Progress, TrainOptions};

/// Readies `ds` for a model on `preset` (and lyrics, when `reads_lyrics`) before any work:
/// keeps the tagtraum tracks whose per-track file is here (for segment series) and the tracks
/// with lyrics, and refuses an input the files cannot give. Returns the bags of words read from
/// `lyrics`.
///
/// ```no_run
/// use genrecast_experiments::{prepare_dataset, DatasetSource, Stderr};
/// let mut ds = DatasetSource::new("../shared/data/gtzan").open()?;
/// let bags = prepare_dataset(&mut ds, genrecast_models::InputPreset::Summary, false, &[], &Stderr)?;
/// assert!(bags.is_none());
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// Lyrics wanted but not given or matching no track, or an input the files cannot give.
pub fn prepare_dataset(ds: &mut Dataset, preset: InputPreset, reads_lyrics: bool, lyrics: &[std::path::PathBuf], progress: &dyn Progress) -> Result<Option<genrecast_datasets::LyricsBags>> {
    if preset == InputPreset::MsdSegments && ds.kind == genrecast_datasets::DatasetKind::Tagtraum {
        // A label file covers far more tracks than a local copy holds.
        let before = ds.tracks.len();
        ds.retain(|t| t.path.is_file());
        progress.note(&format!("{} of {before} labelled tracks have a per-track file; the others are left out", ds.tracks.len()));
    }
    let bags = if reads_lyrics {
        if lyrics.is_empty() {
            bail!("this model reads lyrics: pass the musiXmatch bag-of-words files with --lyrics FILE[,FILE]");
        }
        let bags = crate::lyrics::read_bags(lyrics)?;
        crate::lyrics::keep_tracks_with_lyrics(ds, &bags, progress)?;
        Some(bags)
    } else {
        None
    };
    check_input_fits(ds, preset)?;
    Ok(bags)
}

/// Refuses an input that the dataset's files cannot give: segment series from audio files,
/// or audio features from MSD per-track files (which hold Echo Nest analyses, not sound).
fn check_input_fits(ds: &Dataset, preset: InputPreset) -> Result<()> {
    let is_h5 = |t: &genrecast_datasets::Track| t.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("h5"));
    match preset {
        InputPreset::Lyrics => Ok(()),
        InputPreset::MsdSegments if !ds.tracks.iter().any(is_h5) => {
            bail!("--input msd-segments reads MSD per-track .h5 files; {} lists none (e.g. {})", ds.root.display(), ds.tracks.first().map_or_else(String::new, |t| t.path.display().to_string()))
        }
        InputPreset::MsdSegments => Ok(()),
        p if !ds.tracks.is_empty() && ds.tracks.iter().all(is_h5) => {
            bail!("{} lists MSD per-track .h5 files, which hold Echo Nest segment series, not audio: use --input msd-segments (or lyrics), not {p:?}", ds.root.display())
        }
        _ => Ok(()),
    }
}

/// The input a model reads when none is named: segment series for tagtraum's MSD tracks,
/// else what suits the architecture.
pub fn default_input(arch: Architecture, kind: genrecast_datasets::DatasetKind) -> InputPreset {
    if kind == genrecast_datasets::DatasetKind::Tagtraum {
        // tagtraum labels MSD tracks, whose per-track files hold segment series, not audio.
        return InputPreset::MsdSegments;
    }
    match arch {
        Architecture::Linear | Architecture::Mlp | Architecture::SvmRbf => InputPreset::Summary,
        Architecture::Cnn1d | Architecture::Lstm => InputPreset::MfccChroma,
        Architecture::Cnn2d | Architecture::Crnn | Architecture::Resnet => InputPreset::LogMel,
    }
}

/// The model and input of a `train` run, and its display name.
pub(crate) fn model_and_input(args: &TrainOptions, kind: genrecast_datasets::DatasetKind) -> Result<(Architecture, InputPreset, String)> {
    if let Some(parent) = &args.init_from {
        let card = genrecast_models::model_card(parent)?;
        if card.input.reads_lyrics() || !card.input.reads_audio() && card.input.preset != InputPreset::MsdSegments {
            bail!("--init-from {parent}: a model that reads lyrics cannot be a starting point (its encoder is fitted on its own songs)");
        }
        if card.task == Task::SingleLabel && card.labels.is_empty() {
            bail!("--init-from {parent}: the card has no labels");
        }
        return Ok((card.network.architecture, card.input.preset, format!("{:?} from {}", card.network.architecture, parent_name(parent)).to_lowercase()));
    }
    Ok(match &args.backbone {
        Some(b) => {
            let head: Architecture = args.head.parse()?;
            if !matches!(head, Architecture::Linear | Architecture::Mlp | Architecture::SvmRbf) {
                bail!("--head {} (a head on a backbone is linear, mlp or svm-rbf)", args.head);
            }
            (head, InputPreset::from_backbone(backbones_and_layer(b)?.0[0]), format!("{} head on {b}", args.head))
        }
        None => {
            let arch: Architecture = args.model.parse()?;
            let preset = args.input.as_deref().map(str::parse).transpose()?.unwrap_or_else(|| default_input(arch, kind));
            let name = if args.lyrics.is_empty() || preset == InputPreset::Lyrics { args.model.clone() } else { format!("{} + lyrics", args.model) };
            (arch, preset, name)
        }
    })
}

/// `--backbone NAME[+NAME...][:LAYER]`: the backbones (several run side by side on the same
/// patches, their features joined) and the layer the head reads of each (default: the
/// penultimate one).
///
/// ```
/// let (backbones, _layer) = genrecast_experiments::backbones_and_layer("musicnn-msd+vgg-msd:max-pool")?;
/// assert_eq!(backbones.len(), 2);
/// assert!(genrecast_experiments::backbones_and_layer("musicnn-msd+musicnn-msd").is_err());
/// # Ok::<(), genrecast_experiments::Error>(())
/// ```
///
/// # Errors
/// An unknown backbone or layer, or a backbone named twice.
pub fn backbones_and_layer(s: &str) -> Result<(Vec<genrecast_models::Backbone>, genrecast_models::BackboneLayer)> {
    let (names, layer) = s.split_once(':').unwrap_or((s, "penultimate"));
    let backbones = names.split('+').map(str::parse).collect::<std::result::Result<Vec<genrecast_models::Backbone>, _>>()?;
    if let Some(b) = backbones.iter().enumerate().find_map(|(i, b)| backbones[..i].contains(b).then_some(b)) {
        bail!("--backbone {s}: {} is named twice", b.name());
    }
    Ok((backbones, layer.parse()?))
}

/// A parent model as a card names it: a built-in name, or its folder's name (not the path).
pub(crate) fn parent_name(parent: &str) -> String {
    Path::new(parent).file_name().map_or_else(|| parent.to_owned(), |n| n.to_string_lossy().into_owned())
}
