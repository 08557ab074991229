//! A file as read from disk, with the line index every renderer needs.

use std::path::PathBuf;

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
        let s = self.path.to_string_lossy();
        let s = s.strip_prefix("./").unwrap_or(&s);
        s.replace('\\', "/")
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

    /// The text of a span (empty when the span does not fall on character boundaries).
    pub fn slice(&self, span: &Span) -> &str {
        self.text.get(span.clone()).unwrap_or("")
    }
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
    fn a_bom_is_not_a_column() {
        let f = SourceFile::new("x", "\u{feff}{\"a\": 1}".to_string());
        assert_eq!(f.line_col(3), (1, 1));
        assert_eq!(f.line_col(4), (1, 2));
    }
}
