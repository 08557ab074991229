//! Terraform's JSON syntax (`*.tf.json`, what CDKTF writes) rewritten as HCL text, with a
//! map from every byte of that text back to the JSON file. The Terraform adapter then
//! reads the HCL with the one model of blocks it has (resources, data sources,
//! attachments, principals) and maps every span it builds through the map, so findings
//! underline the JSON file's own characters. Nothing here knows what a policy is.
//!
//! The rewriting follows Terraform's JSON syntax: `resource`, `data`, `module`, `variable`
//! and `locals` at the top (an object per label, or an array of such objects); in a body,
//! the keys that are blocks in the resources iamlint reads (`statement`, `principals`,
//! `condition`, `inline_policy`, `dynamic`, ...) become blocks, every other key an
//! attribute. A JSON string is a template (`${...}` interpolates, `$${` is a literal
//! `${`): its literal parts are re-escaped for HCL and its interpolations copied as they
//! are (they are HCL expressions already). `"//"` keys are comments.

use super::SyntaxProblem;
use super::tree::Node;
use crate::source::{Span, Spanned};

/// Keys that are nested blocks in the bodies iamlint reads (the AWS provider's schema).
const BLOCKS: &[&str] =
    &["statement", "principals", "not_principals", "condition", "inline_policy", "content", "dynamic"];

/// Top-level block types read, with the number of labels each has.
const TOP: &[(&str, usize)] = &[("resource", 2), ("data", 2), ("module", 1), ("variable", 1), ("locals", 0)];

/// Deepest nesting of JSON values rewritten (the JSON parser has its own limit; this keeps
/// the rewriting's recursion bounded whatever it accepts).
const MAX_DEPTH: usize = 128;

/// Where each byte of the HCL text stands in the JSON file.
#[derive(Debug, Default)]
pub(crate) struct OffsetMap {
    /// Per HCL byte: the range of the JSON text it was written from.
    from: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// The JSON file's span for a span of the HCL text.
    pub(crate) fn span(&self, span: &Span) -> Span {
        let at = |i: usize| self.from.get(i).or(self.from.last()).copied().unwrap_or((0, 0));
        if span.end <= span.start {
            let (start, _) = at(span.start);
            return start..start;
        }
        let (start, _) = at(span.start);
        let (_, end) = at(span.end - 1);
        start..end.max(start)
    }

    /// The map of several files' HCL read as one text (a module's `.tf` and `.tf.json`
    /// files): for each file, where its HCL starts in that text, where its own text starts
    /// among the files' texts laid end to end (one byte apart), and its map (none: the HCL
    /// is the file's text). `len` is the length of the HCL text.
    pub(crate) fn joined(parts: &[(usize, usize, Option<OffsetMap>)], len: usize) -> OffsetMap {
        let mut from = Vec::with_capacity(len);
        for (k, (hcl_base, file_base, map)) in parts.iter().enumerate() {
            let hcl_end = parts.get(k + 1).map_or(len, |(next, _, _)| next - 1);
            for i in 0..hcl_end.saturating_sub(*hcl_base) {
                from.push(match map {
                    Some(m) => m.from.get(i).map_or((*file_base, *file_base), |(s, e)| (file_base + s, file_base + e)),
                    None => (file_base + i, file_base + i + 1),
                });
            }
            // The newline between two files stands just before the next file's text.
            if let Some((_, next_base, _)) = parts.get(k + 1) {
                from.push((next_base - 1, *next_base));
            }
        }
        OffsetMap { from }
    }

    /// A tree built from the HCL text, its spans moved into the JSON file.
    pub(crate) fn node(&self, node: Node) -> Node {
        node.map_spans(&|s| self.span(s))
    }
}

/// The HCL text and its map, or the problems that stop the file being read.
pub(crate) fn translate(text: &str) -> Result<(String, OffsetMap), Vec<SyntaxProblem>> {
    let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (tree, syntax) = super::json::parse(&text[base..], base);
    let Some(tree) = tree else { return Err(syntax) };
    if !syntax.is_empty() {
        return Err(syntax);
    }
    let mut w = Writer { text, out: String::new(), map: OffsetMap::default() };
    for root in objects(&tree) {
        let Node::Object(props, _) = root else { continue };
        for (key, value) in props {
            let Some(&(ident, labels)) = TOP.iter().find(|(t, _)| *t == key.value) else { continue };
            w.labelled(ident, key, value, labels, &mut Vec::new());
        }
    }
    Ok((w.out, w.map))
}

/// An object, or the objects of an array (Terraform's JSON allows either wherever a block
/// or a level of labels is expected).
fn objects(node: &Node) -> Vec<&Node> {
    match node {
        Node::Object(..) => vec![node],
        Node::Array(items, _) => items.iter().filter(|i| matches!(i, Node::Object(..))).collect(),
        _ => Vec::new(),
    }
}

/// A name HCL reads as an identifier.
fn identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

struct Writer<'t> {
    text: &'t str,
    out: String,
    map: OffsetMap,
}

impl Writer<'_> {
    /// Writes `s`, every byte standing for `from` in the JSON file.
    fn emit(&mut self, s: &str, from: &Span) {
        self.out.push_str(s);
        self.map.from.extend(std::iter::repeat_n((from.start, from.end), s.len()));
    }

    /// `ident` blocks whose `labels` levels are the keys of nested objects (`resource`:
    /// type, then name), `found` holding the labels read so far.
    fn labelled(
        &mut self,
        ident: &str,
        ident_key: &Spanned<String>,
        value: &Node,
        labels: usize,
        found: &mut Vec<Spanned<String>>,
    ) {
        if found.len() == labels {
            for body in objects(value) {
                let at = if matches!(value, Node::Array(..)) {
                    let s = body.span();
                    s.start..s.start + 1
                } else {
                    ident_key.span.clone()
                };
                self.block(ident, &at, found, body, 0);
            }
            return;
        }
        for level in objects(value) {
            let Node::Object(props, _) = level else { continue };
            for (key, inner) in props {
                if key.value == "//" {
                    continue;
                }
                found.push(key.clone());
                self.labelled(ident, ident_key, inner, labels, found);
                found.pop();
            }
        }
    }

    /// `ident "label" ... { body }`, the identifier standing for `at`.
    fn block(&mut self, ident: &str, at: &Span, labels: &[Spanned<String>], body: &Node, depth: usize) {
        let Node::Object(props, span) = body else { return };
        if depth > MAX_DEPTH {
            return;
        }
        self.emit(ident, at);
        for label in labels {
            self.emit(" ", &(label.span.start..label.span.start));
            self.quoted_literal(&label.value, &label.span);
        }
        self.emit(" {\n", &(span.start..span.start + 1));
        for (key, value) in props {
            if key.value == "//" {
                continue;
            }
            if key.value == "dynamic" {
                // `"dynamic": {"statement": {"for_each": ..., "content": {...}}}`.
                for level in objects(value) {
                    let Node::Object(kinds, _) = level else { continue };
                    for (kind, inner) in kinds {
                        for b in objects(inner) {
                            self.block("dynamic", &key.span, std::slice::from_ref(kind), b, depth + 1);
                        }
                    }
                }
            } else if BLOCKS.contains(&key.value.as_str()) {
                let many = matches!(value, Node::Array(..));
                for b in objects(value) {
                    let at = if many { b.span().start..b.span().start + 1 } else { key.span.clone() };
                    self.block(&key.value, &at, &[], b, depth + 1);
                }
            } else if identifier(&key.value) {
                self.emit(&key.value, &key.span);
                self.emit(" = ", &(key.span.end..key.span.end));
                self.expression(value, depth + 1);
                let end = value.span().end;
                self.emit("\n", &(end..end));
            }
        }
        self.emit("}\n", &(span.end.saturating_sub(1)..span.end));
    }

    /// A JSON value as an HCL expression.
    fn expression(&mut self, node: &Node, depth: usize) {
        if depth > MAX_DEPTH {
            let span = node.span();
            self.emit("null", &span);
            return;
        }
        match node {
            Node::String(s) => self.template(s),
            Node::Number(n) => self.emit(&n.value, &n.span),
            Node::Bool(b) => self.emit(if b.value { "true" } else { "false" }, &b.span),
            Node::Null(span) => self.emit("null", span),
            // The JSON parser makes none; a value unknown here is unknown in HCL too.
            Node::Unresolved(u) => self.emit("null", &u.value.span),
            Node::Array(items, span) => {
                self.emit("[", &(span.start..span.start + 1));
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        let at = item.span().start;
                        self.emit(", ", &(at..at));
                    }
                    self.expression(item, depth + 1);
                }
                self.emit("]", &(span.end.saturating_sub(1)..span.end));
            }
            Node::Object(props, span) => {
                self.emit("{\n", &(span.start..span.start + 1));
                for (key, value) in props {
                    self.template(key);
                    self.emit(" = ", &(key.span.end..key.span.end));
                    self.expression(value, depth + 1);
                    let end = value.span().end;
                    self.emit("\n", &(end..end));
                }
                self.emit("}", &(span.end.saturating_sub(1)..span.end));
            }
        }
    }

    /// A literal HCL string for `value` (a label): quotes, backslashes and template
    /// sequences escaped, every byte standing for `span`.
    fn quoted_literal(&mut self, value: &str, span: &Span) {
        let mut s = String::from("\"");
        for c in value.chars() {
            push_escaped(&mut s, c);
        }
        s = s.replace("${", "$${").replace("%{", "%%{");
        s.push('"');
        self.emit(&s, span);
    }

    /// A JSON string (spanned with its quotes) as an HCL quoted template.
    fn template(&mut self, s: &Spanned<String>) {
        let span = &s.span;
        let raw = self.text.get(span.start + 1..span.end.saturating_sub(1)).unwrap_or_default();
        let Some((decoded, map)) = super::embedded::unescape_with_map(raw, span.start + 1) else {
            // Not what the JSON parser accepted: the value as a literal on the whole string.
            return self.quoted_literal(&s.value, span);
        };
        self.emit("\"", &(span.start..span.start + 1));
        // Outside every interpolation when empty; otherwise the innermost context.
        let mut stack: Vec<Context> = Vec::new();
        let chars: Vec<(usize, char)> = decoded.char_indices().collect();
        let from = |k: usize| -> Span {
            let (i, c) = chars[k];
            map[i]..map.get(i + c.len_utf8()).copied().unwrap_or(map[i])
        };
        let next = |k: usize, n: usize| chars.get(k + n).map(|&(_, c)| c);
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k].1;
            let here = from(k);
            match stack.last_mut() {
                None => {
                    // `$${` and `%%{` are literal `${` and `%{`: copied as they are.
                    if (c == '$' || c == '%') && next(k, 1) == Some(c) && next(k, 2) == Some('{') {
                        for n in 0..3 {
                            let s = chars[k + n].1.to_string();
                            self.emit(&s, &from(k + n));
                        }
                        k += 3;
                        continue;
                    }
                    if (c == '$' || c == '%') && next(k, 1) == Some('{') {
                        self.emit(&c.to_string(), &here);
                        self.emit("{", &from(k + 1));
                        stack.push(Context::Expression(1));
                        k += 2;
                        continue;
                    }
                    let mut escaped = String::new();
                    push_escaped(&mut escaped, c);
                    self.emit(&escaped, &here);
                }
                Some(Context::Expression(depth)) => {
                    match c {
                        '{' => *depth += 1,
                        '}' => {
                            *depth -= 1;
                            if *depth == 0 {
                                stack.pop();
                            }
                        }
                        '"' => stack.push(Context::String),
                        _ => {}
                    }
                    // An expression is HCL text already; line breaks become blanks (a quoted
                    // template holds none).
                    let s = if c == '\n' || c == '\r' { ' '.to_string() } else { c.to_string() };
                    self.emit(&s, &here);
                }
                Some(Context::String) => {
                    match c {
                        '\\' => {
                            self.emit("\\", &here);
                            if let Some(n) = next(k, 1) {
                                self.emit(&n.to_string(), &from(k + 1));
                            }
                            k += 2;
                            continue;
                        }
                        '"' => {
                            stack.pop();
                        }
                        '$' | '%' if next(k, 1) == Some(c) && next(k, 2) == Some('{') => {
                            for n in 0..3 {
                                let s = chars[k + n].1.to_string();
                                self.emit(&s, &from(k + n));
                            }
                            k += 3;
                            continue;
                        }
                        '$' | '%' if next(k, 1) == Some('{') => {
                            self.emit(&c.to_string(), &here);
                            self.emit("{", &from(k + 1));
                            stack.push(Context::Expression(1));
                            k += 2;
                            continue;
                        }
                        _ => {}
                    }
                    let s = if c == '\n' || c == '\r' { ' '.to_string() } else { c.to_string() };
                    self.emit(&s, &here);
                }
            }
            k += 1;
        }
        self.emit("\"", &(span.end.saturating_sub(1)..span.end));
    }
}

/// Where the template reader is inside a JSON string.
enum Context {
    /// In `${...}`, this many braces deep.
    Expression(usize),
    /// In a quoted string inside an expression.
    String,
}

/// `c` as it is written inside an HCL quoted string's literal part.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_attributes_and_templates_become_hcl_with_a_map_back() {
        let text = r#"{"resource": {"aws_iam_policy": {"p": {"//": "note", "name": "a\"b", "policy": "${jsonencode({\"Statement\" = []})}"}}}}"#;
        let (hcl, map) = translate(text).unwrap();
        assert!(hcl.starts_with("resource \"aws_iam_policy\" \"p\" {\n"), "{hcl}");
        assert!(hcl.contains("name = \"a\\\"b\"\n"), "{hcl}");
        assert!(hcl.contains("policy = \"${jsonencode({\"Statement\" = []})}\"\n"), "{hcl}");
        let at = hcl.find("\"Statement\"").unwrap();
        let back = map.span(&(at..at + "\"Statement\"".len()));
        assert_eq!(&text[back], r#"\"Statement\""#);
        hcl_edit::parser::parse_body(&hcl).unwrap();
    }

    #[test]
    fn arrays_of_blocks_and_literal_template_sequences() {
        let text = r#"{"data": {"aws_iam_policy_document": {"d": {"statement": [{"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/$${aws:username}"]}, {"actions": ["sqs:*"]}]}}}}"#;
        let (hcl, _) = translate(text).unwrap();
        assert_eq!(hcl.matches("statement {").count(), 2, "{hcl}");
        assert!(hcl.contains("$${aws:username}"), "{hcl}");
        hcl_edit::parser::parse_body(&hcl).unwrap();
    }
}
