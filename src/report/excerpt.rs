//! Policy excerpts for the reports for people: the lines under a finding's spans with a
//! few lines of context, cut into pieces that say which span each covers. Very long lines
//! (minified JSON, URL-encoded documents in a dump) are cut around the span.

use crate::diagnostic::Finding;
use crate::source::{SourceFile, Span};

/// What a piece of a line is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    None,
    /// The finding's primary span.
    Primary,
    /// A secondary label's span.
    Label,
}

#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based.
    pub number: usize,
    pub pieces: Vec<(&'a str, Mark)>,
    /// Text before (after) the pieces was left out.
    pub cut_before: bool,
    pub cut_after: bool,
}

/// Consecutive lines of the file.
pub type Window<'a> = Vec<Line<'a>>;

/// Lines of context around a span.
const CONTEXT: usize = 2;
/// A span over more lines than this shows its first ones only.
const MAX_SPAN_LINES: usize = 8;
/// At most this many windows per finding (a principal finding's labels may point into
/// many policies).
const MAX_WINDOWS: usize = 4;
/// Lines longer than this (in bytes) are cut around the marked text.
const LONG_LINE: usize = 160;
/// Bytes kept on each side of the marked text of a long line.
const AROUND: usize = 60;

/// The windows of a finding: its primary span and its labels, overlapping windows merged.
pub fn of(f: &Finding) -> Vec<Window<'_>> {
    let mut spans: Vec<(Span, Mark)> = vec![(f.span.clone(), Mark::Primary)];
    spans.extend(f.labels.iter().map(|l| (l.span.clone(), Mark::Label)));
    windows(&f.source, &spans)
}

pub fn windows<'a>(source: &'a SourceFile, spans: &[(Span, Mark)]) -> Vec<Window<'a>> {
    let last_line = source.line_col(source.text.len()).0;
    let mut ranges: Vec<(usize, usize)> = spans
        .iter()
        .map(|(span, _)| {
            let first = source.line_col(span.start).0;
            let end = source.line_col(span.end.max(span.start)).0;
            let end = end.min(first + MAX_SPAN_LINES - 1);
            (first.saturating_sub(CONTEXT).max(1), (end + CONTEXT).min(last_line))
        })
        .collect();
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    // The primary span's window first, then the others in file order.
    let primary = source.line_col(spans[0].0.start).0;
    merged.sort_by_key(|(a, b)| !(*a <= primary && primary <= *b));
    merged.truncate(MAX_WINDOWS);
    merged.into_iter().map(|(a, b)| (a..=b).map(|n| line(source, n, spans)).collect()).collect()
}

fn line<'a>(source: &'a SourceFile, number: usize, spans: &[(Span, Mark)]) -> Line<'a> {
    let text = source.line_text(number);
    // `line_text` borrows from the file's text (an empty static past the last line).
    let Some(start) = (text.as_ptr() as usize)
        .checked_sub(source.text.as_ptr() as usize)
        .filter(|s| s + text.len() <= source.text.len())
    else {
        return Line { number, pieces: Vec::new(), cut_before: false, cut_after: false };
    };
    let end = start + text.len();
    // The spans' parts on this line, relative to it.
    let on_line: Vec<(usize, usize, Mark)> = spans
        .iter()
        .filter(|(s, _)| s.start < end && s.end.max(s.start + 1) > start)
        .map(|(s, m)| (s.start.max(start) - start, s.end.min(end).max(s.start.max(start)) - start, *m))
        .collect();
    // The part of the line shown.
    let (mut from, mut to) = (0, text.len());
    if text.len() > LONG_LINE {
        let marked = on_line.iter().find(|(_, _, m)| *m == Mark::Primary).or(on_line.first());
        let (a, b) = marked.map_or((0, 0), |(a, b, _)| (*a, *b));
        from = a.saturating_sub(AROUND);
        to = (b.max(a + 1) + AROUND).min(text.len()).min(from + 2 * LONG_LINE);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        while !text.is_char_boundary(to) {
            to += 1;
        }
    }
    let mut cuts = vec![from, to];
    for (a, b, _) in &on_line {
        cuts.extend([*a, *b].into_iter().filter(|c| *c > from && *c < to && text.is_char_boundary(*c)));
    }
    cuts.sort();
    cuts.dedup();
    let mark_of = |a: usize, b: usize| {
        let covering = |m: Mark| on_line.iter().any(|(s, e, k)| *k == m && *s <= a && b <= *e && s < e);
        if covering(Mark::Primary) {
            Mark::Primary
        } else if covering(Mark::Label) {
            Mark::Label
        } else {
            Mark::None
        }
    };
    let pieces = cuts.windows(2).map(|w| (&text[w[0]..w[1]], mark_of(w[0], w[1]))).collect();
    Line { number, pieces, cut_before: from > 0, cut_after: to < text.len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text and any spans into it: windows, never a panic, every piece from the text.
        #[test]
        fn any_spans_over_any_text_cut_cleanly(text in "(\\PC|\n|\r|\t){0,400}", a in 0usize..500, b in 0usize..500, c in 0usize..500) {
            let source = SourceFile::new("x", text.clone());
            let len = text.len();
            let spans = [(a.min(len)..b.min(len).max(a.min(len)), Mark::Primary), (c.min(len)..len, Mark::Label)];
            for window in windows(&source, &spans) {
                for line in window {
                    for (piece, _) in line.pieces {
                        prop_assert!(text.contains(piece));
                    }
                }
            }
        }
    }

    #[test]
    fn marks_the_span_with_context_and_cuts_long_lines_around_it() {
        let text = "a\nb\n  \"Action\": \"iam:PassRole\",\nc\nd\ne\n".to_string();
        let source = SourceFile::new("p.json", text.clone());
        let at = text.find("\"iam:PassRole\"").unwrap();
        let w = windows(&source, &[(at..at + 14, Mark::Primary)]);
        assert_eq!(w.len(), 1);
        let numbers: Vec<usize> = w[0].iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(
            w[0][2].pieces,
            [("  \"Action\": ", Mark::None), ("\"iam:PassRole\"", Mark::Primary), (",", Mark::None)]
        );

        let long = format!("{}\"x\u{e9}\"{}", "\u{e9}".repeat(300), "y".repeat(300));
        let source = SourceFile::new("p.json", long.clone());
        let at = long.find("\"x").unwrap();
        let w = windows(&source, &[(at..at + 5, Mark::Primary)]);
        let line = &w[0][0];
        assert!(line.cut_before && line.cut_after);
        let shown: String = line.pieces.iter().map(|p| p.0).collect();
        assert!(shown.len() < 200 && shown.contains("\"x\u{e9}\""), "{shown}");
    }
}
