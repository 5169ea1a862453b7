//! `--config FILE` for `train`: a TOML or JSON table whose keys are the command's long option
//! names (`model = "cnn2d"`, `epochs = 40`, `final-fit = true`). Its entries are inserted
//! before the command-line options, so that options given on the command line win.

use std::ffi::OsString;

use anyhow::{bail, Context};

/// Replaces `--config FILE` (after `train`) with the options the file holds.
pub fn expand(argv: Vec<OsString>) -> anyhow::Result<Vec<OsString>> {
    let Some(cmd) = argv.iter().position(|a| a == "train") else { return Ok(argv) };
    let Some(flag) = argv.iter().skip(cmd + 1).position(|a| a == "--config").map(|i| i + cmd + 1) else { return Ok(argv) };
    let path = argv.get(flag + 1).context("--config needs a file")?.clone();
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read the config file", path.to_string_lossy()))?;
    let table: serde_json::Map<String, serde_json::Value> = if path.to_string_lossy().ends_with(".json") {
        serde_json::from_str(&text).with_context(|| format!("{}: not a JSON object", path.to_string_lossy()))?
    } else {
        let t: toml::Table = toml::from_str(&text).with_context(|| format!("{}: not TOML", path.to_string_lossy()))?;
        serde_json::to_value(t)?.as_object().cloned().unwrap_or_default()
    };
    let mut options = Vec::new();
    for (key, value) in table {
        let name = format!("--{}", key.replace('_', "-"));
        match value {
            serde_json::Value::Bool(true) => options.push(OsString::from(name)),
            serde_json::Value::Bool(false) => {}
            serde_json::Value::String(s) => options.extend([OsString::from(name), s.into()]),
            serde_json::Value::Number(n) => options.extend([OsString::from(name), n.to_string().into()]),
            other => bail!("{}: '{key}' must be a string, number or boolean, not {other}", path.to_string_lossy()),
        }
    }
    let mut out: Vec<OsString> = argv[..=cmd].to_vec();
    out.extend(options);
    out.extend(argv[cmd + 1..flag].iter().cloned());
    out.extend(argv[flag + 2..].iter().cloned());
    Ok(out)
}
