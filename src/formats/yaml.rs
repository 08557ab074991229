//! YAML with byte spans, tags and duplicate keys kept: what CloudFormation templates
//! (and policies written in YAML) are read with.
//!
//! Built on `saphyr-parser`'s events rather than a YAML value type: the value types of
//! the YAML crates drop duplicate keys (a map) and the spans of tagged nodes, and both
//! matter here (`!GetAtt Bucket.Arn` is underlined whole; a repeated `Action` key is
//! reported). Its marks count characters, not bytes: every span is converted.

use super::SyntaxProblem;
use crate::source::{Span, Spanned};
use saphyr_parser::{Event, Parser, ScalarStyle};

/// Deeper than any template; beyond it a file is reported instead of recursed into.
pub const MAX_DEPTH: usize = 200;
/// Nodes one file may expand to (aliases copy their anchor): a guard against alias bombs.
const MAX_NODES: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
pub struct Scalar {
    /// The value, with escapes, quotes, folding and indentation resolved.
    pub value: String,
    pub style: Style,
    /// The whole node, tag included.
    pub span: Span,
    /// The node without its tag.
    pub body: Span,
    /// Where the text the value is read from starts and ends: inside the quotes, after a
    /// block scalar's header line.
    pub content: Span,
}

#[derive(Debug, Clone)]
pub enum Yaml {
    Scalar(Scalar, Option<Spanned<String>>),
    /// Items, tag, the whole node (tag included).
    Seq(Vec<Yaml>, Option<Spanned<String>>, Span),
    /// Entries in order, duplicates kept; tag; the whole node.
    Map(Vec<(Yaml, Yaml)>, Option<Spanned<String>>, Span),
}

impl Yaml {
    pub fn span(&self) -> Span {
        match self {
            Yaml::Scalar(s, _) => s.span.clone(),
            Yaml::Seq(_, _, span) | Yaml::Map(_, _, span) => span.clone(),
        }
    }

    pub fn tag(&self) -> Option<&Spanned<String>> {
        match self {
            Yaml::Scalar(_, t) | Yaml::Seq(_, t, _) | Yaml::Map(_, t, _) => t.as_ref(),
        }
    }
}

/// Character index -> byte offset (identity for ASCII text).
struct Offsets {
    starts: Option<Vec<u32>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Offsets {
        let starts = (!text.is_ascii())
            .then(|| text.char_indices().map(|(i, _)| i as u32).chain(std::iter::once(text.len() as u32)).collect());
        Offsets { starts, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.starts {
            None => char_index.min(self.len),
            Some(starts) => starts.get(char_index).map_or(self.len, |&b| b as usize),
        }
    }
}

enum Frame {
    Seq(Vec<Yaml>, Option<Spanned<String>>, usize, usize),
    Map(Vec<(Yaml, Yaml)>, Option<Yaml>, Option<Spanned<String>>, usize, usize),
}

/// Parses every document of a YAML stream. A syntax error stops parsing: it is one
/// problem with its span, and the documents completed before it are returned.
pub fn parse(text: &str) -> (Vec<Yaml>, Option<SyntaxProblem>) {
    let offsets = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, Yaml> = std::collections::HashMap::new();
    let mut nodes = 0usize;
    let fail = |at: usize, message: String| {
        let end = text[at.min(text.len())..].chars().next().map_or(at, |c| at + c.len_utf8());
        Some(SyntaxProblem {
            span: at..end,
            message,
            label: "here".into(),
            help: Some("fix the YAML syntax: CloudFormation rejects a template that does not parse".into()),
        })
    };
    loop {
        let (event, span) = match parser.next_event() {
            None => return (documents, None),
            Some(Err(e)) => {
                let at = offsets.byte(e.marker().index());
                return (documents, fail(at, format!("invalid YAML: {}", e.info())));
            }
            Some(Ok(pair)) => pair,
        };
        let (start, end) = (offsets.byte(span.start.index()), offsets.byte(span.end.index()));
        let node = match event {
            Event::StreamEnd => return (documents, None),
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if stack.len() >= MAX_DEPTH {
                    return (documents, fail(start, format!("YAML nested more than {MAX_DEPTH} levels deep")));
                }
                let tag =
                    tag.as_ref().map(|t| Spanned::new(format!("{}{}", t.handle, t.suffix), tag_span(text, start)));
                let is_seq = matches!(event, Event::SequenceStart(..));
                stack.push(if is_seq {
                    Frame::Seq(Vec::new(), tag, start, anchor)
                } else {
                    Frame::Map(Vec::new(), None, tag, start, anchor)
                });
                continue;
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq(items, tag, start, anchor)) = stack.pop() else { continue };
                let end = container_end(text, end, items.last().map(Yaml::span));
                remember(&mut anchors, anchor, Yaml::Seq(items, tag, start..end))
            }
            Event::MappingEnd => {
                let Some(Frame::Map(entries, _, tag, start, anchor)) = stack.pop() else { continue };
                let end = container_end(text, end, entries.last().map(|(_, v)| v.span()));
                remember(&mut anchors, anchor, Yaml::Map(entries, tag, start..end))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let tag = tag.map(|t| Spanned::new(format!("{}{}", t.handle, t.suffix), tag_span(text, start)));
                let body = if tag.is_some() { after_tag(text, start) } else { start };
                let end = trim_end(text, body, end);
                let content = content(text, style, body, end);
                remember(
                    &mut anchors,
                    anchor,
                    Yaml::Scalar(
                        Scalar { value: value.into_owned(), style, span: start..end, body: body..end, content },
                        tag,
                    ),
                )
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    nodes += count(node);
                    if nodes > MAX_NODES {
                        return (documents, fail(start, "YAML aliases expand to too many values".into()));
                    }
                    node.clone()
                }
                None => return (documents, fail(start, "YAML alias to an unknown anchor".into())),
            },
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return (documents, fail(start, "YAML aliases expand to too many values".into()));
        }
        match stack.last_mut() {
            None => documents.push(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, key, ..)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

fn remember(anchors: &mut std::collections::HashMap<usize, Yaml>, anchor: usize, node: Yaml) -> Yaml {
    if anchor != 0 {
        anchors.insert(anchor, node.clone());
    }
    node
}

fn count(node: &Yaml) -> usize {
    // Bounded by MAX_DEPTH: the tree was built under that limit.
    match node {
        Yaml::Scalar(..) => 1,
        Yaml::Seq(items, ..) => 1 + items.iter().map(count).sum::<usize>(),
        Yaml::Map(entries, ..) => 1 + entries.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
    }
}

/// A flow collection ends with its bracket (the end event spans it); a block one with
/// its last value (the end event sits at the next token, past blank lines and comments).
fn container_end(text: &str, end_event: usize, last: Option<Span>) -> usize {
    let bracket = end_event > 0 && matches!(text.as_bytes().get(end_event - 1), Some(b']' | b'}'));
    if bracket { end_event } else { last.map_or(end_event, |s| s.end) }
}

/// The tag token starting at `start` (`!GetAtt`).
fn tag_span(text: &str, start: usize) -> Span {
    let len = text[start..].find(|c: char| c.is_whitespace() || c == '[' || c == '{').unwrap_or(text.len() - start);
    start..start + len
}

/// Where the tagged value starts: past the tag and the blanks after it.
fn after_tag(text: &str, start: usize) -> usize {
    let tag = tag_span(text, start);
    let rest = &text[tag.end..];
    tag.end + (rest.len() - rest.trim_start().len())
}

/// A block scalar's span runs to the next token: trailing blank lines are not the value.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    let end = end.max(start).min(text.len());
    start + text[start..end].trim_end().len()
}

/// The region the value's characters come from.
fn content(text: &str, style: Style, start: usize, end: usize) -> Span {
    match style {
        Style::SingleQuoted | Style::DoubleQuoted if end >= start + 2 => start + 1..end - 1,
        Style::Literal | Style::Folded if matches!(text.as_bytes().get(start), Some(b'|' | b'>')) => {
            let header = text[start..end].find('\n').map_or(end, |i| start + i + 1);
            header..end
        }
        _ => start..end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Yaml {
        let (mut docs, problem) = parse(text);
        assert!(problem.is_none(), "{problem:?}");
        docs.remove(0)
    }

    #[test]
    fn spans_are_bytes_after_non_ascii_text() {
        let text = "d\u{e9}j\u{e0}: \"caf\u{e9}\"\nk: v\n";
        let Yaml::Map(entries, _, _) = one(text) else { panic!("map expected") };
        assert_eq!(&text[entries[1].0.span()], "k");
        assert_eq!(&text[entries[1].1.span()], "v");
        let Yaml::Scalar(s, _) = &entries[0].1 else { panic!("scalar expected") };
        assert_eq!(&text[s.content.clone()], "caf\u{e9}");
    }

    #[test]
    fn tags_span_the_whole_value_and_flow_lists_their_brackets() {
        let text = "a: !GetAtt Bucket.Arn\nb: !Join [\"\", [x, !Ref Y]]\nc: !Sub |\n  {\"a\": 1}\n\nd: 1\n";
        let Yaml::Map(entries, _, _) = one(text) else { panic!("map expected") };
        assert_eq!(&text[entries[0].1.span()], "!GetAtt Bucket.Arn");
        assert_eq!(entries[0].1.tag().unwrap().value, "!GetAtt");
        let Yaml::Scalar(s, _) = &entries[0].1 else { panic!() };
        assert_eq!(&text[s.content.clone()], "Bucket.Arn");
        assert_eq!(&text[entries[1].1.span()], "!Join [\"\", [x, !Ref Y]]");
        let Yaml::Scalar(s, _) = &entries[2].1 else { panic!() };
        assert_eq!(&text[s.span.clone()], "!Sub |\n  {\"a\": 1}");
        assert_eq!(&text[s.content.clone()], "  {\"a\": 1}");
    }

    #[test]
    fn block_collections_end_at_their_last_value() {
        let text = "a:\n  - x\n  - y\n\n# comment\nb:\n  k: v\n";
        let Yaml::Map(entries, _, _) = one(text) else { panic!() };
        assert_eq!(&text[entries[0].1.span()], "- x\n  - y");
        assert_eq!(&text[entries[1].1.span()], "k: v");
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let Yaml::Map(entries, _, _) = one("a: 1\na: 2\n") else { panic!() };
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn errors_are_one_problem_with_a_byte_span() {
        let text = "\u{e9}: [1, 2\nb: c";
        let (_, problem) = parse(text);
        let p = problem.unwrap();
        assert!(p.message.starts_with("invalid YAML"), "{}", p.message);
        assert!(text.is_char_boundary(p.span.start) && p.span.end <= text.len());
    }

    #[test]
    fn empty_input_has_no_document() {
        assert!(parse("").0.is_empty());
        assert!(parse("# only a comment\n").0.is_empty());
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_reported() {
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).1.is_some());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (_, problem) = parse(&bomb);
        assert!(problem.unwrap().message.contains("too many"));
    }
}
