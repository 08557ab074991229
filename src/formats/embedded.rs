//! Policy JSON written inside another format: a Terraform heredoc with `${...}`
//! interpolations, a file read by Terraform's `file()`, a policy string inside plan JSON.
//! The JSON parser (`json::parse`) reads it, and every span is mapped back into the file
//! being linted: exactly where the text stands in it (at an offset, or through a map of
//! offsets when the text was unescaped first), or onto one span when the text lives in
//! another file (every value of a `file()` policy underlines the `file(...)` call).

use super::SyntaxProblem;
use super::json;
use super::json::StringState;
use super::tree::Node;
use crate::policy::{Unresolved, UnresolvedPart};
use crate::source::{Span, Spanned};
use std::ops::Range;

/// A stretch of the text that is not JSON: a template interpolation.
#[derive(Debug, Clone)]
pub(crate) struct Hole {
    /// Byte range in the text handed to `parse`.
    pub range: Range<usize>,
    pub fill: Fill,
}

#[derive(Debug, Clone)]
pub(crate) enum Fill {
    /// Its value is known at lint time (a variable's literal default).
    Known(String),
    /// Unknown until deployment: written `${name}` in the value rules read.
    Unknown { name: String, stands_for: Option<(String, String)> },
}

/// Where the text stands in the file being linted.
pub(crate) enum Place<'a> {
    /// At this byte offset, byte for byte.
    At(usize),
    /// Through this map: byte `i` of the text stands at file offset `map[i]`
    /// (`map.len() == text.len() + 1`), e.g. a JSON string that was unescaped.
    Mapped(&'a [usize]),
    /// In another file: every span becomes this one, and syntax messages start with the
    /// prefix (`in policies/ci.json: `).
    Collapsed(Span, String),
}

pub(crate) struct Embedded {
    pub tree: Option<Node>,
    pub syntax: Vec<SyntaxProblem>,
    /// AWS's size count of the JSON text (interpolations counted as written).
    pub size: usize,
    pub escape_overhead: usize,
}

/// Parses JSON `text` whose `holes` are template interpolations. `template` says the text
/// is a Terraform template, where `$${` and `%%{` stand for a literal `${` and `%{`.
pub(crate) fn parse(text: &str, holes: &[Hole], place: &Place<'_>, template: bool) -> Embedded {
    let holes: Vec<&Hole> = ordered(text, holes);
    let (filled, inside) = fill(text, &holes);
    let (tree, syntax) = json::parse(&filled, 0);
    let fixer = Fixer { text, holes: &holes, inside: &inside, place, template };
    let tree = tree.map(|t| fixer.node(t));
    let syntax = syntax
        .into_iter()
        .map(|mut p| {
            p.span = fixer.span(&p.span);
            if let Place::Collapsed(_, prefix) = place {
                p.message = format!("{prefix}{}", p.message);
            }
            p
        })
        .collect();
    Embedded { tree, syntax, size: json::aws_size(&filled), escape_overhead: json::escape_overhead(&filled) }
}

/// The holes inside the text, in order, without overlaps.
fn ordered<'h>(text: &str, holes: &'h [Hole]) -> Vec<&'h Hole> {
    let mut sorted: Vec<&Hole> = holes
        .iter()
        .filter(|h| {
            h.range.start < h.range.end
                && h.range.end <= text.len()
                && text.is_char_boundary(h.range.start)
                && text.is_char_boundary(h.range.end)
        })
        .collect();
    sorted.sort_by_key(|h| h.range.start);
    let mut kept: Vec<&Hole> = Vec::with_capacity(sorted.len());
    for h in sorted {
        if kept.last().is_none_or(|last| last.range.end <= h.range.start) {
            kept.push(h);
        }
    }
    kept
}

/// Replaces each hole by a placeholder of the same byte length, so that every offset the
/// JSON parser reports is an offset of the original text: `xxxx` inside a JSON string,
/// `"xx"` (a string of its own) outside one. Also says which holes were inside a string.
fn fill(text: &str, holes: &[&Hole]) -> (String, Vec<bool>) {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut inside = Vec::with_capacity(holes.len());
    let (mut i, mut state) = (0, StringState::default());
    for h in holes {
        while i < h.range.start {
            state.step(bytes[i]);
            i += 1;
        }
        let in_string = state.inside;
        inside.push(in_string);
        out[h.range.clone()].fill(b'x');
        if !in_string && h.range.len() >= 2 {
            out[h.range.start] = b'"';
            out[h.range.end - 1] = b'"';
        }
        i = h.range.end;
    }
    // Whole characters were replaced by ASCII, so the bytes are still UTF-8.
    (String::from_utf8(out).unwrap_or_else(|_| text.to_string()), inside)
}

struct Fixer<'a> {
    text: &'a str,
    holes: &'a [&'a Hole],
    inside: &'a [bool],
    place: &'a Place<'a>,
    template: bool,
}

impl Fixer<'_> {
    fn span(&self, span: &Span) -> Span {
        match self.place {
            Place::At(base) => span.start + base..span.end + base,
            Place::Mapped(map) => {
                let at = |i: usize| map.get(i).or(map.last()).copied().unwrap_or(0);
                at(span.start)..at(span.end)
            }
            Place::Collapsed(at, _) => at.clone(),
        }
    }

    fn node(&self, node: Node) -> Node {
        match node {
            Node::String(s) => self.string(s),
            Node::Number(n) => Node::Number(Spanned::new(n.value, self.span(&n.span))),
            Node::Bool(b) => Node::Bool(Spanned::new(b.value, self.span(&b.span))),
            Node::Null(span) => Node::Null(self.span(&span)),
            Node::Unresolved(mut u) => {
                u.value.span = self.span(&u.value.span);
                Node::Unresolved(u)
            }
            Node::Array(items, span) => {
                Node::Array(items.into_iter().map(|n| self.node(n)).collect(), self.span(&span))
            }
            Node::Object(props, span) => Node::Object(
                props
                    .into_iter()
                    .map(|(k, v)| {
                        let key = match self.string(k) {
                            Node::String(s) => s,
                            Node::Unresolved(u) => u.value,
                            _ => unreachable!("a string becomes a string or an unresolved value"),
                        };
                        (key, self.node(v))
                    })
                    .collect(),
                self.span(&span),
            ),
        }
    }

    /// A JSON string of the filled text: its value with every hole put back.
    fn string(&self, s: Spanned<String>) -> Node {
        let span = s.span.clone();
        let within: Vec<(usize, &Hole)> = self
            .holes
            .iter()
            .enumerate()
            .filter(|(_, h)| h.range.start < span.end && h.range.end > span.start)
            .map(|(i, h)| (i, *h))
            .collect();
        if within.is_empty() {
            let value = if self.template { untemplate(&s.value) } else { s.value };
            return Node::String(Spanned::new(value, self.span(&span)));
        }
        let mut value = String::new();
        let mut parts = Vec::new();
        let mut put = |fill: &Fill, value: &mut String| match fill {
            Fill::Known(text) => value.push_str(text),
            Fill::Unknown { name, stands_for } => {
                value.push_str(&format!("${{{name}}}"));
                parts.push(UnresolvedPart { name: name.clone(), stands_for: stands_for.clone() });
            }
        };
        let whole_hole = within.len() == 1 && !self.inside[within[0].0] && within[0].1.range == span;
        if whole_hole {
            put(&within[0].1.fill, &mut value);
        } else {
            // The string's content between its quotes, literal stretches unescaped.
            let (mut pos, end) = (span.start + 1, span.end.saturating_sub(1).max(span.start + 1));
            for (_, h) in &within {
                let start = h.range.start.max(pos).min(end);
                value.push_str(&self.literal(pos..start));
                put(&h.fill, &mut value);
                pos = h.range.end.max(pos);
            }
            if pos < end {
                value.push_str(&self.literal(pos..end));
            }
        }
        let span = self.span(&span);
        if parts.is_empty() {
            return Node::String(Spanned::new(value, span));
        }
        let written = self.text.get(s.span.clone()).unwrap_or_default().to_string();
        Node::Unresolved(Unresolved { value: Spanned::new(value, span), written, parts })
    }

    /// Raw JSON string content, unescaped (as written when it is not valid on its own).
    fn literal(&self, range: Range<usize>) -> String {
        let raw = self.text.get(range).unwrap_or_default();
        let value = serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_string());
        if self.template { untemplate(&value) } else { value }
    }
}

/// Terraform templates write a literal `${` as `$${` and `%{` as `%%{`.
pub(crate) fn untemplate(text: &str) -> String {
    if text.contains("$${") || text.contains("%%{") {
        text.replace("$${", "${").replace("%%{", "%{")
    } else {
        text.to_string()
    }
}

/// Unescapes the content of a JSON string (between its quotes) that starts at file offset
/// `base`, with the file offset of every byte of the result (and one past the end), so that
/// spans inside the unescaped text can be mapped back exactly.
pub(crate) fn unescape_with_map(raw: &str, base: usize) -> Option<(String, Vec<usize>)> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        let at = base + i;
        if bytes[i] != b'\\' {
            let ch = raw[i..].chars().next()?;
            for _ in 0..ch.len_utf8() {
                map.push(at);
            }
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let (ch, len) = match *bytes.get(i + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => {
                let unit = |at: usize| raw.get(at..at + 4).and_then(|h| u16::from_str_radix(h, 16).ok());
                let high = unit(i + 2)?;
                if (0xD800..0xDC00).contains(&high) && raw.get(i + 6..i + 8) == Some("\\u") {
                    let low = unit(i + 8)?;
                    let code = 0x10000 + ((high as u32 - 0xD800) << 10) + (low as u32).checked_sub(0xDC00)?;
                    (char::from_u32(code)?, 12)
                } else {
                    (char::from_u32(high as u32).unwrap_or('\u{fffd}'), 6)
                }
            }
            _ => return None,
        };
        for _ in 0..ch.len_utf8() {
            map.push(at);
        }
        out.push(ch);
        i += len;
    }
    map.push(base + raw.len());
    Some((out, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(range: Range<usize>, name: &str) -> Hole {
        Hole { range, fill: Fill::Unknown { name: name.into(), stands_for: None } }
    }

    #[test]
    fn holes_inside_strings_keep_offsets_and_become_unresolved() {
        let text = r#"{"Resource": "arn:aws:s3:::${var.b}/*", "Action": ${local.a}}"#;
        let b = text.find("${var.b}").unwrap();
        let a = text.find("${local.a}").unwrap();
        let holes = [unknown(b..b + 8, "var.b"), unknown(a..a + 10, "local.a")];
        let got = parse(text, &holes, &Place::At(100), true);
        assert!(got.syntax.is_empty(), "{:?}", got.syntax);
        let Some(Node::Object(props, _)) = got.tree else { panic!("object expected") };
        let Node::Unresolved(r) = &props[0].1 else { panic!("unresolved expected: {:?}", props[0].1) };
        assert_eq!(r.value.value, "arn:aws:s3:::${var.b}/*");
        assert_eq!(&text[r.value.span.start - 100..r.value.span.end - 100], r#""arn:aws:s3:::${var.b}/*""#);
        let Node::Unresolved(u) = &props[1].1 else { panic!("unresolved expected") };
        assert_eq!(u.value.value, "${local.a}");
        assert_eq!(u.value.span, a + 100..a + 110);
    }

    #[test]
    fn known_holes_and_template_escapes_are_values() {
        let text = r#"{"a": "x-${var.b}-$${aws:username}"}"#;
        let b = text.find("${var.b}").unwrap();
        let holes = [Hole { range: b..b + 8, fill: Fill::Known("bucket".into()) }];
        let got = parse(text, &holes, &Place::At(0), true);
        let Some(Node::Object(props, _)) = got.tree else { panic!("object expected") };
        let Node::String(s) = &props[0].1 else { panic!("string expected") };
        assert_eq!(s.value, "x-bucket-${aws:username}");
    }

    #[test]
    fn unescaping_maps_every_byte() {
        let raw = r#"{\"a\":\"\u00e9\"}"#;
        let (text, map) = unescape_with_map(raw, 10).unwrap();
        assert_eq!(text, "{\"a\":\"\u{e9}\"}");
        assert_eq!(map.len(), text.len() + 1);
        let got = parse(&text, &[], &Place::Mapped(&map), false);
        let Some(Node::Object(props, _)) = got.tree else { panic!("object expected") };
        assert_eq!(props[0].0.span, 11..16);
        assert_eq!(&raw[props[0].0.span.start - 10..props[0].0.span.end - 10], r#"\"a\""#);
        let v = props[0].1.span();
        assert_eq!(&raw[v.start - 10..v.end - 10], r#"\"\u00e9\""#);
    }

    #[test]
    fn collapsed_spans_all_point_at_one_place() {
        let got = parse(r#"{"a": [1,]}"#, &[], &Place::Collapsed(5..9, "in x.json: ".into()), false);
        assert_eq!(got.tree.unwrap().span(), 5..9);
        assert_eq!(got.syntax[0].span, 5..9);
        assert!(got.syntax[0].message.starts_with("in x.json: "));
    }
}
