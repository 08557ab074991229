//! Policy JSON in free text: the blocks of JSON a docs page holds (fenced, indented, in
//! the middle of prose), runs of statements copied out of a policy (`{...},{...}`), and
//! the page's formatting debris around them (`**bold**`, blockquote `>`, backticks).
//! The docs adapter reads pages with it; the JSON adapter reads a file holding such a
//! snippet with it.
//!
//! Finding blocks is one pass over the text (plus a sort of the values found), so a
//! hostile page costs time linear in its length.

use super::SyntaxProblem;
use super::document::{self, DocumentOptions};
use super::json::{self, Shape};
use super::tree::Node;
use crate::policy::{PolicyDocument, PolicyKind};
use crate::source::Span;

/// JSON values that stand together in a text: one policy or statement, or several
/// statements separated by commas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Each top-level value (`{...}` or `[...]`), in order.
    pub values: Vec<Span>,
    /// The offset of a comma after the last value, when there is one.
    pub trailing_comma: Option<usize>,
}

impl Block {
    /// From the first value's start to the last value's end.
    pub fn span(&self) -> Span {
        let start = self.values.first().map_or(0, |v| v.start);
        start..self.values.last().map_or(start, |v| v.end)
    }
}

/// Characters of a page's formatting that can stand between JSON tokens of a block
/// copied from it; none of them is JSON outside a string.
fn is_debris(b: u8) -> bool {
    matches!(b, b'*' | b'`' | b'>')
}

/// The first byte at or after `at` that is neither whitespace nor debris.
fn next_significant(bytes: &[u8], at: usize) -> Option<(usize, u8)> {
    bytes[at.min(bytes.len())..]
        .iter()
        .position(|&b| !b.is_ascii_whitespace() && !is_debris(b))
        .map(|i| (at + i, bytes[at + i]))
}

/// Whether the bracket at `at` opens JSON rather than prose: `{` followed by a quoted
/// key, or `[` followed by such an object. `{bucket}` or `[1]` in a sentence does not.
fn opens_json(bytes: &[u8], at: usize) -> bool {
    match (bytes[at], next_significant(bytes, at + 1)) {
        (b'{', Some((_, b'"'))) => true,
        (b'[', Some((next, b'{'))) => matches!(next_significant(bytes, next + 1), Some((_, b'"'))),
        _ => false,
    }
}

/// A markdown fence (three backticks or tildes) at `at`, the first non-blank of a line.
fn is_fence(bytes: &[u8], at: usize) -> bool {
    let b = bytes[at];
    bytes.len() >= at + 3 && bytes[at + 1] == b && bytes[at + 2] == b
}

/// Every block of JSON values in `text` that opens like JSON, outermost values only.
/// A value left open at a markdown fence or at the end of the text is dropped (the
/// values complete inside it are kept).
pub fn blocks(text: &str) -> Vec<Block> {
    let bytes = text.as_bytes();
    // Open brackets: where, and whether it opened JSON (only those become values).
    let mut stack: Vec<(usize, bool)> = Vec::new();
    let mut values: Vec<Span> = Vec::new();
    let (mut in_string, mut escaped, mut line_start) = (false, false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if b == b'\n' {
                // JSON strings never span lines: a stray quote in prose ends here.
                in_string = false;
                line_start = true;
            }
            i += 1;
            continue;
        }
        match b {
            b'\n' => line_start = true,
            b' ' | b'\t' | b'\r' => {}
            b'`' | b'~' if line_start && is_fence(bytes, i) => {
                // A fence ends every code block: nothing open continues past it.
                stack.clear();
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' if !stack.is_empty() => in_string = true,
            b'{' | b'[' => {
                let json = opens_json(bytes, i);
                // Prose brackets count only inside a block (where they are JSON's).
                if json || !stack.is_empty() {
                    stack.push((i, json));
                }
            }
            b'}' | b']' => {
                if let Some((start, true)) = stack.pop() {
                    values.push(start..i + 1);
                }
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            line_start = false;
        }
        i += 1;
    }
    // Values close innermost first; keep the outermost ones.
    values.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut outer: Vec<Span> = Vec::new();
    for v in values {
        if outer.last().is_none_or(|last| v.start >= last.end) {
            outer.push(v);
        }
    }
    group(bytes, outer)
}

/// Groups values separated only by a comma (and whitespace or debris) into runs.
fn group(bytes: &[u8], values: Vec<Span>) -> Vec<Block> {
    let comma_after = |end: usize| match next_significant(bytes, end) {
        Some((at, b',')) => Some(at),
        _ => None,
    };
    let mut blocks: Vec<Block> = Vec::new();
    // Whether the last block is all objects (only objects make a run of statements).
    let mut objects = false;
    for v in values {
        let object = bytes[v.start] == b'{';
        if let Some(block) = blocks.last_mut()
            && let Some(comma) = block.trailing_comma
            && objects
            && object
            && next_significant(bytes, comma + 1).is_some_and(|(at, _)| at == v.start)
        {
            block.trailing_comma = comma_after(v.end);
            block.values.push(v);
            continue;
        }
        objects = object;
        blocks.push(Block { trailing_comma: comma_after(v.end), values: vec![v] });
    }
    blocks
}

/// `text` with the page's formatting debris outside JSON strings replaced by spaces:
/// same length, so every offset still points into the page.
pub fn clean(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    let (mut in_string, mut escaped) = (false, false);
    for b in out.iter_mut() {
        if in_string {
            if escaped {
                escaped = false;
            } else if *b == b'\\' {
                escaped = true;
            } else if *b == b'"' || *b == b'\n' {
                in_string = false;
            }
        } else if *b == b'"' {
            in_string = true;
        } else if is_debris(*b) {
            *b = b' ';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// A page whose JSON is written with typographic quotes (`“Effect”`) or HTML-escaped
/// quotes (`&quot;Effect&quot;`), as docs sites render and people copy it: the page with
/// straight quotes, and the way from its offsets back to the page's. IAM rejects such a
/// policy (the docs adapter reports it), but what it would grant once the quotes are fixed
/// is still analysed.
pub struct Straightened {
    pub text: String,
    /// Each replaced quote: its offset in `text` (where it is one `"`), and its offset and
    /// length in the page.
    quotes: Vec<(usize, usize, usize)>,
}

/// The quotes a docs page may write for `"`, longest first where one begins another.
const QUOTES: [&str; 5] = ["&quot;", "&#34;", "\u{201c}", "\u{201d}", "\u{201e}"];

impl Straightened {
    /// `None` when the page has no such quote.
    pub fn new(page: &str) -> Option<Straightened> {
        if !QUOTES.iter().any(|q| page.contains(q)) {
            return None;
        }
        let mut text = String::with_capacity(page.len());
        let mut quotes = Vec::new();
        let mut rest = page;
        let mut at = 0;
        while let Some((i, quote)) =
            rest.char_indices().find_map(|(i, _)| QUOTES.iter().find(|q| rest[i..].starts_with(**q)).map(|q| (i, *q)))
        {
            text.push_str(&rest[..i]);
            quotes.push((text.len(), at + i, quote.len()));
            text.push('"');
            at += i + quote.len();
            rest = &rest[i + quote.len()..];
        }
        text.push_str(rest);
        Some(Straightened { text, quotes })
    }

    /// The page's offset for an offset of `text`.
    pub fn offset(&self, n: usize) -> usize {
        // The last quote at or before `n`: offsets after it are shifted by what it saved.
        match self.quotes.partition_point(|&(q, _, _)| q < n) {
            0 => n,
            k => {
                let (q, page, len) = self.quotes[k - 1];
                page + len + (n - q - 1)
            }
        }
    }

    pub fn span(&self, span: &Span) -> Span {
        self.offset(span.start)..self.offset(span.end)
    }

    /// The first replaced quote inside `span` (a span of `text`), as a span of the page.
    pub fn first_quote_in(&self, span: &Span) -> Option<Span> {
        let k = self.quotes.partition_point(|&(q, _, _)| q < span.start);
        self.quotes.get(k).filter(|(q, _, _)| *q < span.end).map(|&(_, page, len)| page..page + len)
    }
}

/// What a block holds.
#[derive(Debug)]
pub enum Read {
    /// A policy, a statement or a run of statements, with the syntax problems of its text.
    Document(Box<PolicyDocument>, Vec<SyntaxProblem>),
    /// Policy-like text that does not parse: its problems (reported, never passed over).
    Broken(Vec<SyntaxProblem>),
    /// Several values that are not all statements: read each alone.
    Mixed,
    /// JSON that is not a policy (or text that is not JSON): passed over.
    NotPolicy,
}

/// Reads a block of `text` (offsets are the file's, or `straightened`'s) as a policy
/// document whose spans are the file's.
pub fn read(
    text: &str,
    block: &Block,
    locator: String,
    kind: Option<PolicyKind>,
    straightened: Option<&Straightened>,
) -> Read {
    let back = |span: &Span| straightened.map_or_else(|| span.clone(), |s| s.span(span));
    let parsed: Vec<(Option<Node>, Vec<SyntaxProblem>)> = block
        .values
        .iter()
        .map(|v| {
            let (tree, mut problems) = json::parse(&text[v.clone()], v.start);
            if straightened.is_none() {
                return (tree, problems);
            }
            problems.iter_mut().for_each(|p| p.span = back(&p.span));
            (tree.map(|t| t.map_spans(&back)), problems)
        })
        .collect();
    let options = |bare_statement: bool, span: Span| DocumentOptions {
        locator: locator.clone(),
        kind,
        bare_statement,
        size: json::aws_size(&text[span.clone()]),
        escape_overhead: json::escape_overhead(&text[span]),
    };
    if let [(tree, problems)] = parsed.as_slice() {
        let span = block.values[0].clone();
        return match tree {
            Some(tree @ Node::Object(..)) => match json::classify(tree) {
                Ok(shape) => {
                    let doc = document::build(tree, &options(shape == Shape::BareStatement, span));
                    Read::Document(Box::new(doc), problems.clone())
                }
                Err(_) => Read::NotPolicy,
            },
            // `[{statement}, ...]`: the value of a Statement, copied without its key.
            Some(tree @ Node::Array(items, _)) if !items.is_empty() && items.iter().all(is_statement) => {
                Read::Document(Box::new(document::build(tree, &options(true, span))), problems.clone())
            }
            Some(_) => Read::NotPolicy,
            None if json::looks_like_policy(&text[span]) => Read::Broken(problems.clone()),
            None => Read::NotPolicy,
        };
    }
    let all_statements = parsed.iter().all(|(tree, _)| tree.as_ref().is_some_and(is_statement));
    if !all_statements {
        return Read::Mixed;
    }
    let span = block.span();
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (tree, p) in parsed {
        items.extend(tree);
        problems.extend(p);
    }
    let run = Node::Array(items, back(&span));
    Read::Document(Box::new(document::build(&run, &options(true, span))), problems)
}

fn is_statement(node: &Node) -> bool {
    matches!(node, Node::Object(..)) && json::classify(node) == Ok(Shape::BareStatement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<Vec<&str>> {
        blocks(text).iter().map(|b| b.values.iter().map(|v| &text[v.clone()]).collect()).collect()
    }

    #[test]
    fn finds_json_in_prose_and_skips_prose_brackets() {
        let text = "Replace {bucket} with yours [1]:\n  {\"Effect\": \"Allow\", \"Action\": \"s3:*\"}\nThen {\"a\": [1, {\"b\": 2}]} too.";
        assert_eq!(
            found(text),
            vec![vec![r#"{"Effect": "Allow", "Action": "s3:*"}"#], vec![r#"{"a": [1, {"b": 2}]}"#]]
        );
    }

    #[test]
    fn a_comma_separated_run_is_one_block() {
        let text = "Add these:\n{\"Effect\": \"Allow\"},\n  {\"Effect\": \"Deny\"},\nand save.";
        let b = blocks(text);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].values.len(), 2);
        assert_eq!(&text[b[0].trailing_comma.unwrap()..][..1], ",");
    }

    #[test]
    fn values_without_a_comma_between_are_separate_blocks() {
        assert_eq!(found("{\"a\": 1}\n{\"b\": 2}").len(), 2);
    }

    #[test]
    fn braces_in_strings_and_a_stray_quote_do_not_confuse_it() {
        let text = "{\"Sid\": \"a}b{\", \"x\": \"it's\"}\nsay \"hi {\"k\": 1}";
        assert_eq!(found(text), vec![vec![r#"{"Sid": "a}b{", "x": "it's"}"#], vec![r#"{"k": 1}"#]]);
    }

    #[test]
    fn a_fence_closes_an_unclosed_block_and_its_inner_values_are_kept() {
        let text = "```json\n{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\"}\n```\n{\"k\": 1}";
        assert_eq!(found(text), vec![vec![r#"{"Effect": "Allow"}"#], vec![r#"{"k": 1}"#]]);
    }

    #[test]
    fn debris_is_blanked_outside_strings_only() {
        assert_eq!(clean("> **{\"a\": \"**b**\"}**"), "    {\"a\": \"**b**\"}  ");
    }
}
