//! File names as the outputs show them: a name is data, never markup. Terminal control
//! characters are escaped where text goes to a terminal, spreadsheet formulas are defused in
//! CSV, and names that are not UTF-8 still appear (escaped) instead of failing the run.

use std::path::Path;

/// `text` with control characters (ESC, BEL, CR, ...) written as `\x1b`-style escapes, so
/// that a file name cannot move the cursor, retitle the terminal or hide a line.
///
/// ```ignore
/// assert_eq!(escape_controls("a\x1b[2Jb"), "a\\x1b[2Jb");
/// ```
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            let code = u32::from(c);
            if code <= 0xff {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A path as printed on a terminal: bytes that are not UTF-8 as `\xNN`, control characters
/// escaped.
pub fn display(path: &Path) -> String {
    escape_controls(&exact_text(path))
}

/// The path's text with every byte that is not UTF-8 written as `\xNN` (a backslash in the
/// name stays as it is): what JSON and CSV carry, since both need text.
pub fn exact_text(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// A path for a JSON document: its text, and when it is not UTF-8 also its raw bytes (so the
/// file can still be found from the output).
pub fn json_fields(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    use std::os::unix::ffi::OsStrExt;
    let mut map = serde_json::Map::new();
    map.insert("file".into(), exact_text(path).into());
    if path.to_str().is_none() {
        map.insert("file_bytes".into(), path.as_os_str().as_bytes().iter().map(|&b| serde_json::Value::from(b)).collect());
    }
    map
}

/// A CSV cell that a spreadsheet will not run as a formula: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice for CSV injection).
pub fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn names_are_escaped_for_each_output() {
        assert_eq!(escape_controls("a\x1b[2Jb\u{7}"), "a\\x1b[2Jb\\x07");
        let odd = Path::new(OsStr::from_bytes(b"dir/bad\xff\xfe.ogg"));
        assert_eq!(exact_text(odd), "dir/bad\\xFF\\xFE.ogg");
        let fields = json_fields(odd);
        assert_eq!(fields["file"], "dir/bad\\xFF\\xFE.ogg");
        assert_eq!(fields["file_bytes"].as_array().map(Vec::len), Some(13));
        assert!(!json_fields(Path::new("ok.ogg")).contains_key("file_bytes"));
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("music/a.ogg"), "music/a.ogg");
    }
}
