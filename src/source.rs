//! A file as read from disk, with the line index every renderer needs.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Byte range into the original file's text.
pub type Span = std::ops::Range<usize>;

/// A value and where it stands in the original file.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as found under a directory they gave).
    pub path: PathBuf,
    /// The file's text. Invalid UTF-8 was replaced (and reported) by the loader.
    pub text: String,
    line_starts: Vec<usize>,
    /// For text that is not all ASCII: every `CHECKPOINT` bytes (rounded to a character
    /// boundary), the byte offset and the characters from its line's start, so that a
    /// column is counted from the nearest checkpoint, not from the line's start (one
    /// minified line with 80,000 findings is otherwise quadratic). Empty for ASCII text
    /// (`ascii`), where a column is a byte count.
    checkpoints: Vec<(usize, usize)>,
    ascii: bool,
    /// The text must not be echoed in reports (`withhold`).
    withheld: AtomicBool,
}

const CHECKPOINT: usize = 4096;

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let mut checkpoints = Vec::new();
        let ascii = text.is_ascii();
        if !ascii {
            let (mut next, mut chars) = (CHECKPOINT, 0);
            for (i, c) in text.char_indices() {
                if i >= next {
                    checkpoints.push((i, chars));
                    next = i + CHECKPOINT;
                }
                // `chars` counts the characters from the line's start up to `i`.
                chars = if c == '\n' { 0 } else { chars + 1 };
            }
        }
        SourceFile { path: path.into(), text, line_starts, checkpoints, ascii, withheld: AtomicBool::new(false) }
    }

    /// Keeps the file's text out of reports: it is not a policy, or a link out of the
    /// tree (`policy.json -> /proc/self/environ` in a pull request must not print the CI
    /// runner's secrets). Findings still name the line and column.
    pub fn withhold(&self) {
        self.withheld.store(true, Ordering::Relaxed);
    }

    /// Whether the text is kept out of reports.
    pub fn withheld(&self) -> bool {
        self.withheld.load(Ordering::Relaxed)
    }

    /// The byte offset where a 1-based line starts (the text's length past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        line.checked_sub(1).and_then(|i| self.line_starts.get(i)).copied().unwrap_or(self.text.len())
    }

    /// The path with `/` separators, as every output format prints it.
    pub fn display_path(&self) -> String {
        display(&self.path)
    }

    /// 1-based line and column of a byte offset. Columns count Unicode scalar values,
    /// so a finding after a non-ASCII character still points at the right place in an
    /// editor; SARIF says so with `columnKind: unicodeCodePoints`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut col = if self.ascii {
            offset - start
        } else {
            // The nearest checkpoint at or before `offset`, if it lies on this line.
            let i = self.checkpoints.partition_point(|&(at, _)| at <= offset);
            match i.checked_sub(1).map(|i| self.checkpoints[i]) {
                Some((at, chars)) if at > start => chars + self.text[at..offset].chars().count(),
                _ => self.text[start..offset].chars().count(),
            }
        };
        // A BOM is not a character an editor shows.
        if line == 0 && offset > 0 && self.text.starts_with('\u{feff}') {
            col -= 1;
        }
        (line + 1, col + 1)
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The text of a 1-based line, without its line ending (empty past the last line).
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else { return "" };
        let end = self.line_starts.get(line).map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The text of a span (empty when the span does not fall on character boundaries).
    pub fn slice(&self, span: &Span) -> &str {
        self.text.get(span.clone()).unwrap_or("")
    }
}

/// A message about a withheld file (`SourceFile::withhold`) without the file's text:
/// whatever it quotes (between backticks or double quotes) becomes `…`.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    open = Some(c);
                }
            }
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// A path as every output prints it: `/` separators, no leading `./`.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    s.replace('\\', "/")
}

/// The absolute form of a path, `.` and `..` folded without touching the file system.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("x", "ab\n\u{e9}t\u{e9}\nz".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'é' is two bytes: the 't' at byte 5 is column 2.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(9), (3, 1));
        assert_eq!(f.line_col(999), (3, 2));
    }

    #[test]
    fn line_text_strips_the_line_ending() {
        let f = SourceFile::new("x", "a\r\nbc\n\nd".to_string());
        assert_eq!(f.line_text(1), "a");
        assert_eq!(f.line_text(2), "bc");
        assert_eq!(f.line_text(3), "");
        assert_eq!(f.line_text(4), "d");
        assert_eq!(f.line_text(0), "");
        assert_eq!(f.line_text(5), "");
    }

    #[test]
    fn columns_on_a_long_non_ascii_line_count_characters() {
        // Checkpoints every 4 KiB: columns past them must match a plain count.
        let text = format!("{}\n{}", "\u{e9}x".repeat(5_000), "ab\u{1f600}".repeat(3_000));
        let f = SourceFile::new("x", text.clone());
        for offset in (0..text.len()).step_by(97).chain([text.len()]) {
            let offset = (0..=offset).rev().find(|&o| text.is_char_boundary(o)).unwrap();
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let line = 1 + text[..offset].matches('\n').count();
            assert_eq!(f.line_col(offset), (line, text[line_start..offset].chars().count() + 1), "at {offset}");
        }
    }

    #[test]
    fn redact_drops_what_a_message_quotes() {
        assert_eq!(redact("unquoted text `ghp_x` here"), "unquoted text `…` here");
        assert_eq!(redact("write it as a string: \"s3cret\""), "write it as a string: \"…\"");
        assert_eq!(redact("unclosed `abc"), "unclosed `…");
        assert_eq!(redact("unexpected token"), "unexpected token");
    }

    #[test]
    fn a_bom_is_not_a_column() {
        let f = SourceFile::new("x", "\u{feff}{\"a\": 1}".to_string());
        assert_eq!(f.line_col(3), (1, 1));
        assert_eq!(f.line_col(4), (1, 2));
    }
}
