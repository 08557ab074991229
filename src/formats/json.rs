//! Raw IAM policy JSON, parsed with byte spans for every value.
//!
//! Parsing runs twice when needed: a strict pass (what IAM accepts) and, if that
//! fails, a lenient pass that tolerates comments, trailing and missing commas, so that
//! every such mistake is reported at once and linting goes on with the recovered
//! document.

use super::document::{self, DocumentOptions};
use super::tree::Node;
use super::{Adapter, LoadOptions, Loaded, LoadedFile, SyntaxProblem, snippet};
use crate::policy::PolicyKind;
use crate::source::Spanned;
use crate::source::{SourceFile, Span};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, Scanner, ScannerOptions, parse_to_ast};
use std::sync::Arc;

const BOM: &str = "\u{feff}";

/// Raw policy JSON: every file the walk or the command line hands over that no more
/// specific adapter claims (the walk takes `*.json`; a file named explicitly is read
/// whatever its name).
pub static ADAPTER: Adapter = Adapter { name: "policy JSON", claims: |_, _| true, load };

/// Loads a policy JSON file, reporting a UTF-8 byte order mark: IAM rejects a policy
/// document that starts with one. Its `PolicyDocument` parameter admits only tab, line
/// feed, carriage return and U+0020-U+00FF (the pattern in the CreatePolicy and
/// PutRolePolicy API references), S3 answers "the first byte must be '{'", and the tools
/// that send a file do not strip it: the AWS CLI's `file://` reads text in the locale's
/// encoding (UTF-8, which keeps U+FEFF), and Terraform's `file()` keeps it for
/// `jsondecode` and the provider's JSON check to reject.
fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let bom = source.text.starts_with(BOM);
    match load_text(source, options) {
        Loaded::Policy(mut loaded) if bom => {
            loaded.syntax.insert(
                0,
                SyntaxProblem {
                    span: 0..BOM.len(),
                    message: "file starts with a UTF-8 byte order mark, which IAM rejects".into(),
                    label: "byte order mark (U+FEFF)".into(),
                    help: Some(
                        "save the file as UTF-8 without a byte order mark (the policy must start with `{`)".into(),
                    ),
                },
            );
            Loaded::Policy(loaded)
        }
        other => other,
    }
}

/// Loads a policy JSON file. A file named on the command line is always reported when
/// it cannot be parsed, even if it does not look like a policy.
fn load_text(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let (kind, explicit) = (options.kind, options.explicit);
    let text = source.text.as_str();
    // A BOM is not JSON; skip it and keep offsets into the original text.
    let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[base..];
    let (tree, syntax) = parse(body, base);

    let Some(tree) = tree else {
        if let Some(loaded) = load_run(&source, base, kind) {
            return loaded;
        }
        if explicit || looks_like_policy(body) {
            return Loaded::Policy(LoadedFile::new(source, syntax, Vec::new()));
        }
        return Loaded::NotPolicy("not valid JSON, and it mentions no Statement or Effect".into());
    };

    if let Node::Array(items, span) = &tree {
        return load_array(source, kind, items, span.clone());
    }
    let shape = match classify(&tree) {
        Ok(shape) => shape,
        Err(reason) => return Loaded::NotPolicy(reason),
    };
    let span = tree.span();
    let size = aws_size(&source.text[span.clone()]);
    let escape_overhead = escape_overhead(&source.text[span.clone()]);
    let document = document::build(
        &tree,
        &DocumentOptions {
            locator: String::new(),
            kind,
            bare_statement: shape == Shape::BareStatement,
            size,
            escape_overhead,
        },
    );
    Loaded::Policy(LoadedFile::new(source, syntax, vec![document]))
}

/// A JSON array whose elements are policies (or statements): IAM takes one policy
/// object, but the elements are still analysed, each as its own document.
fn load_array(source: Arc<SourceFile>, kind: Option<PolicyKind>, items: &[Node], span: Span) -> Loaded {
    let mut documents = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Ok(shape) = classify(item) else { continue };
        let size = aws_size(&source.text[item.span()]);
        let escape_overhead = escape_overhead(&source.text[item.span()]);
        let options = DocumentOptions {
            locator: format!("[{i}]"),
            kind,
            bare_statement: shape == Shape::BareStatement,
            size,
            escape_overhead,
        };
        documents.push(document::build(item, &options));
    }
    let Some(first) = documents.first_mut() else {
        return Loaded::NotPolicy("a JSON array at the top level, not a policy object".into());
    };
    first.problems.insert(
        0,
        crate::policy::Problem {
            span: span.start..span.start + 1,
            message: "a JSON array of policies, not a policy".into(),
            label: "IAM takes one policy object".into(),
            help: Some("keep one policy per file: {\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}".into()),
            statement: None,
        },
    );
    Loaded::Policy(LoadedFile::new(source, Vec::new(), documents))
}

/// A file holding statements copied out of a policy (`{...},{...}`, or one statement
/// followed by its comma), as vendors' snippets get saved: analysed as the statements of
/// one document, with one finding saying it is not a policy. `None` when the file is
/// anything else.
fn load_run(source: &Arc<SourceFile>, base: usize, kind: Option<PolicyKind>) -> Option<Loaded> {
    let text = source.text.as_str();
    let [block] = snippet::blocks(&text[base..]).try_into().ok()?;
    let block = snippet::Block {
        values: block.values.iter().map(|v| v.start + base..v.end + base).collect(),
        trailing_comma: block.trailing_comma.map(|c| c + base),
    };
    // The block must be the whole file: nothing before it, nothing after its last comma.
    let end = block.trailing_comma.map_or(block.span().end, |c| c + 1);
    let whole = text[base..block.span().start].trim().is_empty() && text[end..].trim().is_empty();
    if !whole || (block.values.len() < 2 && block.trailing_comma.is_none()) {
        return None;
    }
    let snippet::Read::Document(document, mut syntax) = snippet::read(text, &block, String::new(), kind, None) else {
        return None;
    };
    if !document.bare_statement {
        return None;
    }
    if let (1, Some(comma)) = (block.values.len(), block.trailing_comma) {
        syntax.push(SyntaxProblem {
            span: comma..comma + 1,
            message: "trailing comma".into(),
            label: "this comma ends the statement".into(),
            help: Some("remove the comma after the statement".into()),
        });
    }
    Some(Loaded::Policy(LoadedFile::new(source.clone(), syntax, vec![*document])))
}

#[derive(Debug, PartialEq)]
pub(crate) enum Shape {
    Policy,
    BareStatement,
}

/// Decides whether a parsed JSON value is a policy, a bare statement, or something else.
pub(crate) fn classify(tree: &Node) -> Result<Shape, String> {
    let Node::Object(props, _) = tree else {
        return Err(format!("{} at the top level, not a policy object", tree.type_name()));
    };
    let has = |key: &str| props.iter().any(|(k, _)| k.value.eq_ignore_ascii_case(key));
    // `Version` alone marks a policy only when it is spelled as IAM spells it and holds a
    // date: package.json has a `version` too.
    let policy_version = props.iter().any(|(k, v)| {
        k.value == "Version" && matches!(v, Node::String(s) if s.value.starts_with("20") || s.value.starts_with("19"))
    });
    if has("Statement") || policy_version && !has("Effect") {
        return Ok(Shape::Policy);
    }
    if has("Effect") && (has("Action") || has("NotAction") || has("Resource") || has("NotResource")) {
        return Ok(Shape::BareStatement);
    }
    Err("no Statement, Version or Effect key at the top level".into())
}

/// A file that does not parse is still reported when it looks as if it meant to be a
/// policy: it names a policy element (in any case: a misspelt one is still a policy) or
/// the policy language version.
pub(crate) fn looks_like_policy(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["\"statement", "\"effect\"", "\"action\"", "\"notaction\"", "\"resource\"", "2012-10-17", "2008-10-17"]
        .iter()
        .any(|marker| lower.contains(marker))
}

fn strict_options() -> ParseOptions {
    // The default ParseOptions are lenient; IAM accepts plain JSON only.
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parses `body` (which starts at byte `base` of the file): the tree if it could be
/// recovered, and every syntax problem found.
pub(crate) fn parse(body: &str, base: usize) -> (Option<Node>, Vec<SyntaxProblem>) {
    // Plain JSON, as nearly every policy and dump is, is read in one pass; anything else
    // (or anything the fast reader is unsure of) goes to jsonc-parser, which says why.
    match Strict::read(body, base) {
        Some(tree) => (Some(tree), Vec::new()),
        None => parse_jsonc(body, base),
    }
}

/// `parse` with jsonc-parser: a strict pass, then a lenient one that recovers.
fn parse_jsonc(body: &str, base: usize) -> (Option<Node>, Vec<SyntaxProblem>) {
    let strict = parse_to_ast(body, &CollectOptions::default(), &strict_options());
    let strict_error = match strict {
        Ok(result) => {
            return match result.value {
                Some(v) => (Some(convert(&v, base)), raw_controls(body, base)),
                None => (None, vec![empty(base)]),
            };
        }
        Err(error) => error,
    };
    let strict_problem = problem_from_error(strict_error.kind(), strict_error.range(), base);

    let collect = CollectOptions { comments: CommentCollectionStrategy::AsTokens, tokens: true };
    let lenient = parse_to_ast(body, &collect, &ParseOptions::default());
    let (tree, mut problems, fatal) = match lenient {
        Ok(result) => (
            result.value.map(|v| convert(&v, base)),
            token_problems(result.tokens.as_deref().unwrap_or_default(), base),
            None,
        ),
        // Not recoverable (an unclosed bracket, a missing colon): still report every
        // comment and comma problem before the point where parsing stopped.
        Err(error) => {
            let fatal = problem_from_error(error.kind(), error.range(), base);
            (None, token_problems(&scan_tokens(body), base), Some(fatal))
        }
    };
    // The token scan finds every problem of the kinds it knows; the parse errors add
    // only what it does not know (single quotes, hex numbers, an unclosed object, ...).
    for extra in std::iter::once(strict_problem).chain(fatal) {
        if !problems.iter().any(|p| p.message == extra.message) {
            problems.push(extra);
        }
    }
    if tree.is_some() {
        problems.extend(raw_controls(body, base));
    }
    problems.sort_by_key(|p| (p.span.start, p.span.end));
    (tree, problems)
}

/// At most this many raw control characters are reported per text (the first ones).
const MAX_RAW_CONTROLS: usize = 20;

/// Raw control characters (U+0000 to U+001F: a tab, a newline, an escape) inside
/// strings: JSON allows them only escaped and IAM rejects the policy, while the parser
/// reads them as they are.
fn raw_controls(body: &str, base: usize) -> Vec<SyntaxProblem> {
    let mut state = StringState::default();
    let mut problems = Vec::new();
    for (i, b) in body.bytes().enumerate() {
        let inside = state.inside;
        if state.step(b) && inside && b < 0x20 {
            problems.push(SyntaxProblem {
                span: base + i..base + i + 1,
                message: format!("raw control character U+{b:04X} inside a string"),
                label: "control character".into(),
                help: Some(format!("write it escaped (`\\u{b:04x}`) or remove it: IAM rejects raw control characters")),
            });
            if problems.len() == MAX_RAW_CONTROLS {
                break;
            }
        }
    }
    problems
}

/// The tokens of a text, comments included, up to the first one that cannot be read.
fn scan_tokens(body: &str) -> Vec<TokenAndRange<'_>> {
    let mut scanner = Scanner::new(body, &ScannerOptions::default());
    let mut tokens = Vec::new();
    while let Ok(Some(token)) = scanner.scan() {
        let range = jsonc_parser::common::Range { start: scanner.token_start(), end: scanner.token_end() };
        tokens.push(TokenAndRange { range, token });
    }
    tokens
}

/// Finds every comment, trailing comma, missing comma and unquoted word in a token
/// stream the lenient parser accepted.
fn token_problems(tokens: &[jsonc_parser::tokens::TokenAndRange<'_>], base: usize) -> Vec<SyntaxProblem> {
    let mut problems = Vec::new();
    let mut previous: Option<(&Token<'_>, Span)> = None;
    for t in tokens {
        let span = t.range.start + base..t.range.end + base;
        match &t.token {
            Token::CommentLine(_) | Token::CommentBlock(_) => {
                problems.push(SyntaxProblem {
                    span,
                    message: "comment in JSON".into(),
                    label: "comment".into(),
                    help: Some("remove the comment: IAM accepts only plain JSON (a Sid can carry a short note)".into()),
                });
                continue;
            }
            Token::CloseBrace | Token::CloseBracket => {
                if let Some((Token::Comma, comma)) = &previous {
                    problems.push(SyntaxProblem {
                        span: comma.clone(),
                        message: "trailing comma".into(),
                        label: "this comma ends the list".into(),
                        help: Some("remove the comma after the last element: IAM accepts only plain JSON".into()),
                    });
                }
            }
            Token::Word(word) => problems.push(SyntaxProblem {
                span: span.clone(),
                message: format!("unquoted text `{word}`"),
                label: "not a JSON value".into(),
                help: Some(format!("write it as a string: \"{word}\"")),
            }),
            _ => {}
        }
        if let Some((prev, _)) = &previous
            && ends_value(prev)
            && starts_value(&t.token)
        {
            problems.push(SyntaxProblem {
                span: span.clone(),
                message: "missing comma".into(),
                label: "a comma is missing before this".into(),
                help: Some("separate the two values with a comma".into()),
            });
        }
        previous = Some((&t.token, span));
    }
    problems
}

/// A token that is a whole value by itself.
fn is_scalar(token: &Token<'_>) -> bool {
    matches!(token, Token::String(_) | Token::Number(_) | Token::Boolean(_) | Token::Null | Token::Word(_))
}

fn ends_value(token: &Token<'_>) -> bool {
    is_scalar(token) || matches!(token, Token::CloseBrace | Token::CloseBracket)
}

fn starts_value(token: &Token<'_>) -> bool {
    is_scalar(token) || matches!(token, Token::OpenBrace | Token::OpenBracket)
}

fn problem_from_error(kind: &ParseErrorKind, range: jsonc_parser::common::Range, base: usize) -> SyntaxProblem {
    let span = range.start + base..range.end.max(range.start + 1) + base;
    let (message, label, help): (String, &str, Option<&str>) = match kind {
        ParseErrorKind::TrailingCommasNotAllowed => (
            "trailing comma".into(),
            "this comma ends the list",
            Some("remove the comma after the last element: IAM accepts only plain JSON"),
        ),
        ParseErrorKind::CommentsNotAllowed => (
            "comment in JSON".into(),
            "comment",
            Some("remove the comment: IAM accepts only plain JSON (a Sid can carry a short note)"),
        ),
        ParseErrorKind::ExpectedComma => {
            ("missing comma".into(), "a comma is missing before this", Some("separate the two values with a comma"))
        }
        ParseErrorKind::SingleQuotedStringsNotAllowed => (
            "single-quoted string".into(),
            "single quotes",
            Some("use double quotes: JSON strings are written \"like this\""),
        ),
        ParseErrorKind::UnterminatedObject => {
            ("unclosed object".into(), "this object is never closed", Some("add the missing `}`"))
        }
        ParseErrorKind::UnterminatedArray => {
            ("unclosed array".into(), "this array is never closed", Some("add the missing `]`"))
        }
        ParseErrorKind::NestingDepthExceeded => (
            "JSON nested too deeply".into(),
            "nesting exceeds 512 levels here",
            Some("an IAM policy is at most a few levels deep: check the file is what you meant to lint"),
        ),
        other => (lowercase_first(&other.to_string()), "here", None),
    };
    SyntaxProblem { span, message, label: label.into(), help: help.map(str::to_string) }
}

fn empty(base: usize) -> SyntaxProblem {
    SyntaxProblem {
        span: base..base,
        message: "empty file".into(),
        label: "no JSON value".into(),
        help: Some(r#"a policy is an object: {"Version": "2012-10-17", "Statement": [...]}"#.into()),
    }
}

fn lowercase_first(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn convert(value: &Value<'_>, base: usize) -> Node {
    let span = |r: jsonc_parser::common::Range| r.start + base..r.end + base;
    match value {
        Value::StringLit(s) => Node::String(Spanned::new(s.value.to_string(), span(s.range))),
        Value::NumberLit(n) => Node::Number(Spanned::new(n.value.to_string(), span(n.range))),
        Value::BooleanLit(b) => Node::Bool(Spanned::new(b.value, span(b.range))),
        Value::NullKeyword(n) => Node::Null(span(n.range())),
        Value::Array(a) => Node::Array(a.elements.iter().map(|e| convert(e, base)).collect(), span(a.range)),
        Value::Object(o) => Node::Object(
            o.properties
                .iter()
                .map(|p| {
                    let key = match &p.name {
                        ObjectPropName::String(s) => Spanned::new(s.value.to_string(), span(s.range)),
                        ObjectPropName::Word(w) => Spanned::new(w.value.to_string(), span(w.range)),
                    };
                    (key, convert(&p.value, base))
                })
                .collect(),
            span(o.range),
        ),
    }
}

/// Nesting deeper than this is left to jsonc-parser (which reports it past 512 levels).
const STRICT_DEPTH: usize = 256;

/// A reader of plain JSON (RFC 8259: no comment, trailing comma, single quote, raw control
/// character in a string, lone surrogate) straight into a spanned `Node`, the tree
/// `convert` makes of jsonc-parser's AST, without the AST. It gives up (`None`) on
/// anything else; the caller then parses with jsonc-parser, which reports the problem.
pub(crate) struct Strict<'t> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
    base: usize,
    /// Which object values to build (`None`: all of them).
    keep: Option<fn(&str) -> Keep>,
    /// Where the objects left for later (`Keep::Later`) start, in the body.
    later: Vec<usize>,
}

/// What `Strict::read_kept` does with an object's value, by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Build it, asking again for the keys of the objects inside.
    Kept,
    /// Build all of it.
    Whole,
    /// Check that it is plain JSON, build nothing: the key is left out of its object.
    Skip,
    /// An object: check that it is plain JSON and stand an empty object with its span in
    /// for it (its start is listed, to be read by itself later); anything else: `Whole`.
    Later,
}

impl<'t> Strict<'t> {
    /// The tree of `body` (at byte `base` of the file), if `body` is one plain JSON value.
    pub(crate) fn read(body: &'t str, base: usize) -> Option<Node> {
        Strict::read_kept(body, base, None).map(|(tree, _)| tree)
    }

    /// `read`, building only what `keep` keeps of each object (the rest is still checked
    /// to be plain JSON, so that the whole text is), with the file offsets of the objects
    /// left for later.
    pub(crate) fn read_kept(body: &'t str, base: usize, keep: Option<fn(&str) -> Keep>) -> Option<(Node, Vec<usize>)> {
        let mut r = Strict { bytes: body.as_bytes(), text: body, at: 0, base, keep, later: Vec::new() };
        r.space();
        let tree = r.value(0)?;
        r.space();
        (r.at == r.bytes.len()).then(|| (tree, r.later.iter().map(|at| at + base).collect()))
    }

    /// A value checked and passed over; `None` when it is not plain JSON.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match *self.bytes.get(self.at)? {
            open @ (b'{' | b'[') => {
                if depth >= STRICT_DEPTH {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                self.space();
                if self.bytes.get(self.at) == Some(&close) {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        if self.bytes.get(self.at) != Some(&b'"') {
                            return None;
                        }
                        self.skip_string()?;
                        self.space();
                        if self.bytes.get(self.at) != Some(&b':') {
                            return None;
                        }
                        self.at += 1;
                        self.space();
                    }
                    self.skip(depth + 1)?;
                    self.space();
                    match *self.bytes.get(self.at)? {
                        b',' => {
                            self.at += 1;
                            self.space();
                        }
                        b if b == close => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.skip_string(),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A string checked and passed over (escapes valid, no raw control character).
    fn skip_string(&mut self) -> Option<()> {
        let start = self.at + 1;
        let plain = self.bytes[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.bytes[start + plain] == b'"' {
            self.at = start + plain + 1;
            return Some(());
        }
        // Escapes: decoded to be checked (rare outside documents).
        self.string().map(drop)
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn span(&self, start: usize) -> Span {
        self.base + start..self.base + self.at
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        let start = self.at;
        match *self.bytes.get(self.at)? {
            b'{' => {
                if depth >= STRICT_DEPTH {
                    return None;
                }
                self.at += 1;
                self.space();
                let mut props = Vec::new();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Some(Node::Object(props, self.span(start)));
                }
                loop {
                    let key_start = self.at;
                    if self.bytes.get(self.at) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?;
                    let key = Spanned::new(key, self.span(key_start));
                    self.space();
                    if self.bytes.get(self.at) != Some(&b':') {
                        return None;
                    }
                    self.at += 1;
                    self.space();
                    match self.keep.map_or(Keep::Whole, |keep| keep(&key.value)) {
                        Keep::Skip => self.skip(depth + 1)?,
                        Keep::Later if self.bytes.get(self.at) == Some(&b'{') => {
                            let start = self.at;
                            self.skip(depth + 1)?;
                            self.later.push(start);
                            props.push((key, Node::Object(Vec::new(), self.span(start))));
                        }
                        Keep::Kept => props.push((key, self.value(depth + 1)?)),
                        Keep::Whole | Keep::Later => {
                            let keep = self.keep.take();
                            let value = self.value(depth + 1);
                            self.keep = keep;
                            props.push((key, value?));
                        }
                    }
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => {
                            self.at += 1;
                            self.space();
                        }
                        b'}' => {
                            self.at += 1;
                            return Some(Node::Object(props, self.span(start)));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth >= STRICT_DEPTH {
                    return None;
                }
                self.at += 1;
                self.space();
                let mut items = Vec::new();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Some(Node::Array(items, self.span(start)));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => {
                            self.at += 1;
                            self.space();
                        }
                        b']' => {
                            self.at += 1;
                            return Some(Node::Array(items, self.span(start)));
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let value = self.string()?;
                Some(Node::String(Spanned::new(value, self.span(start))))
            }
            b't' => self.word(b"true").map(|()| Node::Bool(Spanned::new(true, self.span(start)))),
            b'f' => self.word(b"false").map(|()| Node::Bool(Spanned::new(false, self.span(start)))),
            b'n' => self.word(b"null").map(|()| Node::Null(self.span(start))),
            b'-' | b'0'..=b'9' => {
                self.number()?;
                Some(Node::Number(Spanned::new(self.text[start..self.at].to_string(), self.span(start))))
            }
            _ => None,
        }
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        // A literal runs into no letter or digit (`nullx` is not JSON).
        let next = self.bytes.get(end).copied().unwrap_or(b' ');
        (self.bytes.get(self.at..end) == Some(word) && !next.is_ascii_alphanumeric()).then(|| self.at = end)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        // A number runs into no letter, digit or dot (`1.2.3`, `0x1` are not JSON).
        let next = self.bytes.get(self.at).copied().unwrap_or(b' ');
        (!next.is_ascii_alphanumeric() && next != b'.').then_some(())
    }

    /// A string at `self.at` (its opening quote), decoded; the reader ends past its
    /// closing quote.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let start = self.at;
        // The common case: no escape, copied in one piece.
        let plain = self.bytes[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.bytes[start + plain] == b'"' {
            self.at = start + plain + 1;
            return Some(self.text[start..start + plain].to_string());
        }
        let mut out = String::with_capacity(plain + 16);
        loop {
            let run = self.bytes[self.at..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(&self.text[self.at..self.at + run]);
            self.at += run;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = match *self.bytes.get(self.at + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex(self.at + 2)?;
                            if (0xD800..0xDC00).contains(&first) {
                                if self.bytes.get(self.at + 6..self.at + 8) != Some(b"\\u") {
                                    return None;
                                }
                                let second = self.hex(self.at + 8)?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return None;
                                }
                                self.at += 6;
                                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                            } else {
                                char::from_u32(first)?
                            }
                        }
                        _ => return None,
                    };
                    self.at += if self.bytes[self.at + 1] == b'u' { 6 } else { 2 };
                    out.push(c);
                }
                // A raw control character: IAM rejects it, `raw_controls` reports it.
                _ => return None,
            }
        }
    }

    /// Four hex digits at `at`.
    fn hex(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }
}

/// Whether the bytes of JSON text stand inside a string, read one byte at a time: the
/// one place that follows quotes and backslash escapes through JSON text.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StringState {
    /// The last byte stepped over was inside a string (its quotes included), or the
    /// next byte will be.
    pub inside: bool,
    escaped: bool,
}

impl StringState {
    /// Steps over one byte; returns whether it belongs to a string, quotes included.
    pub fn step(&mut self, b: u8) -> bool {
        if !self.inside {
            self.inside = b == b'"';
            return self.inside;
        }
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.inside = false;
        }
        true
    }
}

/// Characters AWS counts toward a policy's size quota: whitespace outside strings is
/// not counted (IAM quotas page, "IAM and AWS STS quotas"). Strings are passed over with
/// memchr: every document of an account dump is measured.
pub fn aws_size(json: &str) -> usize {
    let bytes = json.as_bytes();
    // Characters, not bytes: UTF-8 continuation bytes are not counted.
    let chars = |s: &[u8]| s.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    let (mut size, mut i) = (0, 0);
    while i < bytes.len() {
        let quote = memchr::memchr(b'"', &bytes[i..]).map_or(bytes.len(), |n| i + n);
        size += bytes[i..quote].iter().filter(|&&b| !b.is_ascii_whitespace() && b & 0xC0 != 0x80).count();
        if quote == bytes.len() {
            break;
        }
        // The string, its quotes included, up to its closing quote (or the end).
        let mut end = quote + 1;
        while end < bytes.len() {
            match memchr::memchr2(b'"', b'\\', &bytes[end..]) {
                Some(n) if bytes[end + n] == b'\\' => end = (end + n + 2).min(bytes.len()),
                Some(n) => {
                    end += n + 1;
                    break;
                }
                None => end = bytes.len(),
            }
        }
        size += chars(&bytes[quote..end]);
        i = end;
    }
    size
}

/// How many of `aws_size`'s characters are JSON escape syntax beyond the one character
/// each escape stands for (`\u0078` is 6 written, 1 meant). AWS does not document which
/// of the two its quota counts.
pub fn escape_overhead(json: &str) -> usize {
    let bytes = json.as_bytes();
    let (mut extra, mut i, mut in_string) = (0, 0, false);
    while let Some(n) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
        i += n;
        if bytes[i] == b'"' {
            in_string = !in_string;
            i += 1;
        } else if in_string {
            let len = if bytes.get(i + 1) == Some(&b'u') { 6 } else { 2 };
            extra += len - 1;
            i = (i + len).min(bytes.len());
        } else {
            i += 1;
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(String, String)> {
        let (_, p) = parse(text, 0);
        p.into_iter().map(|p| (p.message, text[p.span].to_string())).collect()
    }

    #[test]
    fn strict_json_has_no_problems() {
        assert!(problems(r#"{"a": [1, "x", true, null]}"#).is_empty());
    }

    #[test]
    fn every_trailing_comma_and_comment_is_reported() {
        let got = problems("{\"a\": [1, 2,], // note\n \"b\": {\"c\": 1,},}");
        let messages: Vec<_> = got.iter().map(|(m, t)| format!("{m}@{t}")).collect();
        assert_eq!(
            messages,
            vec!["trailing comma@,", "comment in JSON@// note", "trailing comma@,", "trailing comma@,"]
        );
    }

    #[test]
    fn missing_comma_points_at_the_next_value() {
        let got = problems("{\"a\": 1\n \"b\": 2}");
        assert_eq!(got, vec![("missing comma".to_string(), "\"b\"".to_string())]);
    }

    #[test]
    fn unrecoverable_input_gives_one_problem_and_no_tree() {
        let (tree, p) = parse("{\"a\": ", 0);
        assert!(tree.is_none());
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn unrecoverable_input_still_reports_every_comma_and_comment() {
        let got = problems("{\"a\": [1, 2,], // c\n \"b\": [");
        let messages: Vec<_> = got.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(messages, vec!["trailing comma", "comment in JSON", "unclosed array"]);
    }

    #[test]
    fn size_skips_whitespace_outside_strings_only() {
        assert_eq!(aws_size("{ \"a b\" : 1 }"), 9);
        assert_eq!(aws_size("{\"a\\\" b\":1}"), 11);
        assert_eq!(aws_size("{\"caf\u{e9}\": 1}"), 10);
        assert_eq!(escape_overhead(r#"{"a": "\u0078\n", "b\"": 1}"#), 5 + 1 + 1);
    }

    /// Where the fast reader reads a text, jsonc-parser reads the same tree from it with no
    /// problem; where it gives up, jsonc-parser is the one that answers.
    #[test]
    fn the_fast_reader_reads_as_jsonc_parser_does() {
        let cases = [
            r#"{"a": [1, -2.5e+3, "x", true, false, null, {}, []], "b": {"c": "\u00e9\ud83d\ude00\n\"\\\/"}}"#,
            r#"{"a": 1, "a": 2}"#,
            " \r\n\t[ ]  ",
            "\"caf\u{e9}\"",
            "0",
            "-0.0E-0",
        ];
        for text in cases {
            let fast = Strict::read(text, 7).unwrap_or_else(|| panic!("{text}"));
            let (slow, problems) = parse_jsonc(text, 7);
            assert!(problems.is_empty(), "{text}: {problems:?}");
            assert_eq!(format!("{fast:?}"), format!("{:?}", slow.unwrap()), "{text}");
        }
        for text in [
            r#"{"a": 1,}"#,
            "[1 2]",
            "{'a': 1}",
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": .5}"#,
            "{\"a\": \"x\ty\"}",
            r#"{"a": "\ud800"}"#,
            r#"{"a": "\x"}"#,
            "// c\n{}",
            "{} {}",
            "nul",
            "truex",
            r#"{"a": 1e}"#,
            "",
            "\u{a0}{}",
        ] {
            assert!(Strict::read(text, 0).is_none(), "{text}");
        }
        let deep = "[".repeat(STRICT_DEPTH + 1) + &"]".repeat(STRICT_DEPTH + 1);
        assert!(Strict::read(&deep, 0).is_none());
    }

    proptest::proptest! {
        /// Random text over JSON's alphabet: whatever the fast reader accepts, jsonc-parser
        /// reads the same way, without a problem.
        #[test]
        fn the_fast_reader_never_accepts_what_jsonc_parser_rejects(
            text in "[ \\[\\]{}:,\"a-c0-9.eE+\\-\\\\/ut\u{e9}\t\n]{0,40}"
        ) {
            if let Some(fast) = Strict::read(&text, 3) {
                let (slow, problems) = parse_jsonc(&text, 3);
                proptest::prop_assert!(problems.is_empty(), "{:?}: {:?}", text, problems);
                proptest::prop_assert_eq!(format!("{fast:?}"), format!("{:?}", slow.unwrap()));
            }
        }
    }

    /// The byte-by-byte definitions `aws_size` and `escape_overhead` are measured against.
    fn size_bytewise(json: &str) -> (usize, usize) {
        let mut state = StringState::default();
        let size = json.bytes().filter(|&b| (state.step(b) || !b.is_ascii_whitespace()) && b & 0xC0 != 0x80).count();
        let bytes = json.as_bytes();
        let (mut extra, mut i, mut in_string) = (0, 0, false);
        while i < bytes.len() {
            match bytes[i] {
                b'"' => in_string = !in_string,
                b'\\' if in_string => {
                    let len = if bytes.get(i + 1) == Some(&b'u') { 6 } else { 2 };
                    extra += len - 1;
                    i += len;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        (size, extra)
    }

    proptest::proptest! {
        #[test]
        fn sizes_are_what_the_bytewise_definitions_count(text in "[ a\"\\\\u\u{e9}\n{}:,]{0,40}") {
            proptest::prop_assert_eq!((aws_size(&text), escape_overhead(&text)), size_bytewise(&text));
        }
    }

    #[test]
    fn spans_are_offset_by_base() {
        let (tree, _) = parse("{\"a\": \"b\"}", 3);
        let Some(Node::Object(props, span)) = tree else { panic!("object expected") };
        assert_eq!(span, 3..13);
        assert_eq!(props[0].0.span, 4..7);
    }
}
