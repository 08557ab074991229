//! A file as read from disk, with the line index every renderer needs.

use std::path::{Component, Path, PathBuf};

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
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { path: path.into(), text, line_starts }
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
        let mut col = self.text[self.line_starts[line]..offset].chars().count();
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
    fn a_bom_is_not_a_column() {
        let f = SourceFile::new("x", "\u{feff}{\"a\": 1}".to_string());
        assert_eq!(f.line_col(3), (1, 1));
        assert_eq!(f.line_col(4), (1, 2));
    }
}
