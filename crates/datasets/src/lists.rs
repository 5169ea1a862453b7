//! Readers for the small list formats split files come in: text lists, NumPy `.npy` arrays of
//! strings or floats, and Python-2 pickles (protocol 0) of string lists.
//!
//! Written here rather than taken from a crate because only these narrow cases occur (npyz
//! does not read NumPy's fixed-width unicode `<U` arrays; no pickle crate is needed for
//! protocol-0 lists of strings) and each reader refuses anything else with a clear error.

use std::path::Path;

use crate::error::{io, parse_error, Result};

/// Non-empty, non-comment (`#`) lines of a text file, with their 1-based line numbers.
pub(crate) fn text_lines(path: &Path) -> Result<Vec<(u64, String)>> {
    let text = std::fs::read(path).map_err(io(path))?;
    let text = String::from_utf8_lossy(&text);
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r').to_string()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect())
}

/// A NumPy array read from `.npy`.
#[derive(Debug, PartialEq)]
pub(crate) enum NpyArray {
    /// Fixed-width unicode strings (`<U`n), trailing NULs removed.
    Strings(Vec<String>),
    /// Floats (`<f8` or `<f4`), row-major, with the shape.
    Floats { shape: Vec<usize>, data: Vec<f64> },
}

/// Reads a C-order `.npy` of `<U`n strings or `<f4`/`<f8` floats.
pub(crate) fn read_npy(path: &Path) -> Result<NpyArray> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let bad = |m: &str| parse_error(path, None, format!("not a readable .npy: {m}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NUMPY magic"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(bad(&format!("format version {v}"))),
    };
    let header = bytes.get(start..start + header_len).ok_or_else(|| bad("header runs past the end"))?;
    let header = String::from_utf8_lossy(header);
    let field = |key: &str| -> Option<String> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
        let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
        Some(rest[..end].trim().trim_matches('\'').to_string())
    };
    let descr = field("descr").ok_or_else(|| bad("no descr"))?;
    if field("fortran_order").as_deref() != Some("False") {
        return Err(bad("Fortran-order arrays are not supported here"));
    }
    let shape: Vec<usize> = field("shape")
        .ok_or_else(|| bad("no shape"))?
        .trim_matches(['(', ')'])
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<_>>()?;
    let count: usize = shape.iter().product();
    let data = &bytes[start + header_len..];
    if let Some(width) = descr.strip_prefix("<U") {
        let width: usize = width.parse().map_err(|_| bad("bad string width"))?;
        if data.len() < count * width * 4 {
            return Err(bad("data shorter than its shape"));
        }
        let strings = data
            .chunks_exact(width * 4)
            .take(count)
            .map(|item| {
                item.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .take_while(|&c| c != 0)
                    .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect()
            })
            .collect();
        return Ok(NpyArray::Strings(strings));
    }
    let width = match descr.as_str() {
        "<f8" => 8,
        "<f4" => 4,
        other => return Err(bad(&format!("dtype {other} (expected <U.., <f4 or <f8)"))),
    };
    if data.len() < count * width {
        return Err(bad("data shorter than its shape"));
    }
    let data = data
        .chunks_exact(width)
        .take(count)
        .map(|c| match c.try_into() {
            Ok(b8) => f64::from_le_bytes(b8),
            Err(_) => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        })
        .collect();
    Ok(NpyArray::Floats { shape, data })
}

/// Reads a Python-2 pickle (protocol 0) of a list of strings, as `cPickle.dump(list, f)`
/// writes it: `(lp1`, then `S'item'` / `aS'item'` lines with `pN` memo lines between.
pub(crate) fn read_pickle_string_list(path: &Path) -> Result<Vec<String>> {
    let lines = text_lines(path)?;
    let mut iter = lines.iter();
    match iter.next() {
        Some((_, first)) if first.starts_with("(lp") => {}
        _ => return Err(parse_error(path, Some(1), "not a protocol-0 pickle of a list (expected '(lp')")),
    }
    let mut items = Vec::new();
    for (n, line) in iter {
        let line = line.strip_prefix('a').unwrap_or(line);
        if line.starts_with('p') || line == "." || line.is_empty() {
            continue;
        }
        if let Some(quoted) = line.strip_prefix('S').or_else(|| line.strip_prefix('V')) {
            let item = quoted.strip_prefix('\'').and_then(|q| q.strip_suffix('\'')).unwrap_or(quoted);
            items.push(item.replace("\\'", "'").replace("\\\\", "\\"));
        } else {
            return Err(parse_error(path, Some(*n), format!("unexpected pickle opcode line '{line}' (only lists of strings are read)")));
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pickle_list_of_strings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("l.cP");
        std::fs::write(&p, "(lp1\nS'c/a-b-1-2.npy'\np2\naS'TRX'\np3\na.").expect("write");
        assert_eq!(read_pickle_string_list(&p).expect("read"), vec!["c/a-b-1-2.npy", "TRX"]);
        std::fs::write(&p, "(dp1\n").expect("write");
        assert!(read_pickle_string_list(&p).is_err());
    }
}
