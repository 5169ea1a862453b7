//! `genrecast models`: the models compiled into the binary (their labels and what each was
//! trained on), and `models export`, which writes one as a model folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use genrecast_models::{Backbone, Tagger, BUILTIN_MODELS, DEFAULT_MODEL};

use crate::args::{ListFormat, ModelsExportArgs, ModelsListArgs};
use crate::names::display;

/// One built-in genre model as the list shows it: the card's facts, never the path its
/// training data had on the machine that built it.
#[derive(serde::Serialize)]
struct Listed {
    name: &'static str,
    default: bool,
    description: &'static str,
    task: String,
    labels: Vec<String>,
    input: serde_json::Value,
    trained_on: serde_json::Value,
}

/// One built-in tagger (`genrecast tag --model`).
#[derive(serde::Serialize)]
struct ListedTagger {
    name: &'static str,
    trained_on: &'static str,
    tags: Vec<String>,
}

pub fn list(args: &ModelsListArgs) -> anyhow::Result<ExitCode> {
    let format = match (args.format, &args.out) {
        (Some(f), _) => f,
        (None, Some(out)) => match out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("json") => ListFormat::Json,
            Some("txt") | None => ListFormat::Table,
            Some(other) => bail!("--out {}: cannot tell the format from '.{other}'; give --format table|json", display(out)),
        },
        (None, None) => ListFormat::Table,
    };
    let mut models = Vec::new();
    for m in BUILTIN_MODELS {
        let card = m.card()?;
        let t = &card.trained_on;
        models.push(Listed {
            name: m.name,
            default: m.name == DEFAULT_MODEL,
            description: m.description,
            // Task and preset as the card spells them ("single-label", "musicnn-msd").
            task: serde_json::to_value(card.task)?.as_str().unwrap_or_default().to_owned(),
            labels: card.labels.clone(),
            input: {
                let mut input = serde_json::json!({ "preset": card.input.preset, "sample_rate": card.input.sample_rate });
                if !card.input.also.is_empty() {
                    // Backbones run beside the preset's, their features joined per patch.
                    input["also"] = serde_json::json!(card.input.also);
                }
                input
            },
            trained_on: serde_json::json!({ "dataset": t.dataset_name(), "kind": t.kind, "split": t.split, "tracks": t.tracks, "text": t.to_string() }),
        });
    }
    let mut taggers = Vec::new();
    for b in Backbone::ALL {
        taggers.push(ListedTagger { name: b.name(), trained_on: b.trained_on(), tags: Tagger::open(b)?.tags().to_vec() });
    }
    let text = match format {
        ListFormat::Json => serde_json::to_string_pretty(&serde_json::json!({ "default": DEFAULT_MODEL, "models": models, "taggers": taggers }))? + "\n",
        ListFormat::Table => table(&models, &taggers),
    };
    match &args.out {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", display(parent)))?;
            }
            genrecast_features::write_atomic(path, |w| std::io::Write::write_all(w, text.as_bytes())).with_context(|| format!("writing {}", display(path)))?;
        }
        None => out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn table(models: &[Listed], taggers: &[ListedTagger]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("Genre models (classify, index, serve: --model NAME):\n");
    for m in models {
        let _ = writeln!(out, "\n{}{}", m.name, if m.default { " (default)" } else { "" });
        let _ = writeln!(out, "  {}", m.description);
        let _ = writeln!(out, "  trained on  {}", m.trained_on["text"].as_str().unwrap_or_default());
        let also = m.input["also"].as_array().into_iter().flatten().filter_map(|b| b.as_str()).map(|b| format!("+{b}")).collect::<String>();
        let _ = writeln!(out, "  input       {}{also} at {} Hz", m.input["preset"].as_str().unwrap_or_default(), m.input["sample_rate"]);
        let _ = writeln!(out, "  labels      {} ({}): {}", m.labels.len(), m.task, m.labels.join(", "));
    }
    out.push_str("\nTaggers (tag --model NAME):\n");
    for t in taggers {
        let _ = writeln!(out, "\n{}", t.name);
        let _ = writeln!(out, "  trained on  {}", t.trained_on);
        let _ = writeln!(out, "  tags        {}: {}", t.tags.len(), t.tags.join(", "));
    }
    out.push_str("\n`genrecast models export NAME DIR` writes a genre model as a model folder.\n");
    out
}

pub fn export(args: &ModelsExportArgs) -> anyhow::Result<ExitCode> {
    let Some(model) = BUILTIN_MODELS.iter().find(|m| m.name == args.name) else {
        let known: Vec<&str> = BUILTIN_MODELS.iter().map(|m| m.name).collect();
        let tagger = Backbone::ALL.iter().any(|b| b.name() == args.name);
        if let Some(now) = genrecast_models::retired_model(&args.name) {
            bail!("no built-in genre model '{}': {now}", args.name);
        }
        bail!("no built-in genre model '{}' (built-in: {}){}", crate::names::escape_controls(&args.name), known.join(", "), if tagger { "; the taggers are not model folders" } else { "" });
    };
    let dir = &args.dir;
    let Some(name) = dir.file_name() else { bail!("{}: name the model folder to write (not '.' or '..')", display(dir)) };
    let replace = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("reading {}", display(dir))),
        Ok(m) if m.file_type().is_symlink() => bail!("{}: is a symbolic link; give the folder itself", display(dir)),
        Ok(m) if !m.is_dir() => bail!("{}: exists and is not a folder", display(dir)),
        Ok(_) => {
            let empty = std::fs::read_dir(dir).with_context(|| format!("reading {}", display(dir)))?.next().is_none();
            if !empty && !args.force {
                bail!("{}: the folder is not empty; give --force to replace it", display(dir));
            }
            // --force replaces a model folder, never a folder of other things given by mistake.
            if !empty && !dir.join("model.json").is_file() {
                bail!("{}: holds files but no model.json, so it is not a model folder; not replacing it, even with --force", display(dir));
            }
            !empty
        }
    };
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", display(parent)))?;
    // Written beside DIR, then moved into place: DIR is never half written. (Made with
    // create_dir, not a 0700 temporary folder, so that DIR gets the umask's permissions.)
    let mut staged_name = std::ffi::OsString::from(".");
    staged_name.push(name);
    staged_name.push(format!(".export-{}", std::process::id()));
    let staged = parent.join(staged_name);
    // A folder of that name is a leftover of an export killed in a process with this id.
    if staged.is_dir() {
        std::fs::remove_dir_all(&staged).with_context(|| format!("removing the leftover {}", display(&staged)))?;
    }
    std::fs::create_dir(&staged).with_context(|| format!("creating {}", display(&staged)))?;
    let written = model.write_folder(&staged).map_err(anyhow::Error::from).and_then(|()| move_into_place(&staged, dir, replace));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e);
    }
    outln!("exported {} to {} (model.json, model.safetensors): use it with --model {}", model.name, display(dir), display(dir));
    Ok(ExitCode::SUCCESS)
}

/// Renames `staged` to `dir`. An empty or missing `dir` is replaced in one rename; a model
/// folder being replaced (`replace`) is first moved aside, and put back if the second rename
/// fails.
fn move_into_place(staged: &Path, dir: &Path, replace: bool) -> anyhow::Result<()> {
    if !replace {
        return std::fs::rename(staged, dir).with_context(|| format!("moving the model into {}", display(dir)));
    }
    let mut aside = staged.as_os_str().to_owned();
    aside.push("-old");
    let aside = PathBuf::from(aside);
    std::fs::rename(dir, &aside).with_context(|| format!("moving the old {} aside", display(dir)))?;
    if let Err(e) = std::fs::rename(staged, dir) {
        let _ = std::fs::rename(&aside, dir);
        return Err(e).with_context(|| format!("moving the model into {}", display(dir)));
    }
    std::fs::remove_dir_all(&aside).with_context(|| format!("removing the old model folder (now {})", display(&aside)))
}
