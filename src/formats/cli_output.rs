//! AWS CLI output as people save it (`aws iam get-role ... > role.json`): the policy
//! document inside the response, at the path the response puts it.
//!
//! | command | document | kind |
//! | --- | --- | --- |
//! | `iam get-policy-version` | `PolicyVersion.Document` | identity (inferred) |
//! | `iam get-role`, `create-role` | `Role.AssumeRolePolicyDocument` | trust |
//! | `iam get-role-policy` / `get-user-policy` / `get-group-policy` | `PolicyDocument` | identity |
//! | `s3api get-bucket-policy`, `lambda get-policy`, `kms get-key-policy` | `Policy` | resource |
//! | `sqs get-queue-attributes`, `sns get-topic-attributes` | `Attributes.Policy` | resource |
//! | `ecr get-repository-policy` | `policyText` | resource |
//! | `secretsmanager get-resource-policy` | `ResourcePolicy` | resource |
//! | `organizations describe-policy` | `Policy.Content` | SCP or RCP by `PolicySummary.Type` |
//!
//! A document may be an object, a JSON string, or a URL-encoded string (what the IAM
//! API returns; the CLI decodes it, SDK dumps do not). Spans inside a string map back
//! onto the escaped or encoded text exactly; where they cannot (a URL-encoded document
//! that is not UTF-8 once decoded), every value is spanned on the whole string.
//!
//! An account authorization dump (`iam get-account-authorization-details`) is read by
//! `authz.rs`, which claims it first.

use super::document::{self, DocumentOptions};
use super::json;
use super::tree::Node;
use super::{Adapter, LoadOptions, Loaded, LoadedFile, SyntaxProblem};
use crate::policy::{PolicyDocument, PolicyKind, Unresolved};
use crate::source::{SourceFile, Span, Spanned};
use std::path::Path;
use std::sync::Arc;

pub static ADAPTER: Adapter = Adapter { name: "AWS CLI output", claims, load };

/// Top-level keys of a response that holds a policy document.
const RESPONSE_KEYS: [&str; 7] =
    ["PolicyVersion", "Role", "PolicyDocument", "Policy", "Attributes", "policyText", "ResourcePolicy"];

/// Claims a JSON object whose top-level keys are a CLI response's, without parsing the
/// file: the keys are read in one pass.
fn claims(_: &Path, text: &str) -> bool {
    let Some((array, keys)) = top_keys(text) else { return false };
    // A policy is never a response: its own keys decide first.
    if array || is_policy(&keys) {
        return false;
    }
    keys.iter().any(|k| RESPONSE_KEYS.contains(k))
}

/// Whether top-level keys are a policy's (or a statement's).
pub(super) fn is_policy(keys: &[&str]) -> bool {
    keys.iter().any(|k| *k == "Statement" || *k == "Version" || *k == "Effect")
}

/// The keys of the top-level object (or, for an array, of its first element), read
/// without building a tree: `None` when the text is not an object or array of objects.
pub(super) fn top_keys(text: &str) -> Option<(bool, Vec<&str>)> {
    let bytes = text.as_bytes();
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let mut i = bom + bytes[bom..].iter().position(|b| !b.is_ascii_whitespace())?;
    let array = bytes[i] == b'[';
    if array {
        i += 1 + bytes[i + 1..].iter().position(|b| !b.is_ascii_whitespace())?;
    }
    if bytes[i] != b'{' {
        return None;
    }
    let mut keys = Vec::new();
    let (mut depth, mut string_start) = (0usize, None::<usize>);
    let mut escaped = false;
    while i < bytes.len() {
        if let Some(start) = string_start {
            let b = bytes[i];
            if !escaped && b != b'"' && b != b'\\' {
                // Inside a string: on to its next quote or backslash at once (a dump is
                // tens of MB of strings, read here before any parser sees it).
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    Some(n) => i += n,
                    None => break,
                }
                continue;
            }
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                string_start = None;
                let is_key = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':');
                if depth == 1 && is_key {
                    keys.push(text.get(start + 1..i)?);
                }
            }
        } else {
            // Outside strings only quotes and braces matter (keys stand in objects, and
            // brackets hold none of this object's): on to the next one at once.
            match memchr::memchr3(b'"', b'{', b'}', &bytes[i..]) {
                Some(n) => i += n,
                None => break,
            }
            match bytes[i] {
                b'"' => string_start = Some(i),
                b'{' => depth += 1,
                _ => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
            }
        }
        i += 1;
    }
    Some((array, keys))
}

/// Where a response keeps its document.
struct Found<'a> {
    node: &'a Node,
    locator: String,
    kind: Option<PolicyKind>,
}

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let text = source.text.as_str();
    let base = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let (tree, syntax) = json::parse(&text[base..], base);
    let Some(tree) = tree else {
        // Claimed by its keys but broken: always reported.
        return Loaded::Policy(LoadedFile::new(source, syntax, Vec::new()));
    };
    let found = match find(&tree) {
        Ok(found) => found,
        Err(reason) => return Loaded::NotPolicy(reason),
    };
    let kind = options.kind.or(found.kind);
    let mut problems = syntax;
    let documents = document_at(text, found.node, found.locator, kind, &mut problems).into_iter().collect();
    Loaded::Policy(LoadedFile::new(source, problems, documents))
}

/// The policy document written at `node`: an object, a JSON string or a URL-encoded
/// string, spanned into `text`. `None` when a string holds no policy JSON (its problem
/// is added).
pub(super) fn document_at(
    text: &str,
    node: &Node,
    locator: String,
    kind: Option<PolicyKind>,
    problems: &mut Vec<SyntaxProblem>,
) -> Option<PolicyDocument> {
    match node {
        Node::String(s) => {
            let (tree, size, escape_overhead, p) = string_document(text, s);
            problems.extend(p);
            let options = DocumentOptions { locator, kind, bare_statement: false, size, escape_overhead };
            Some(document::build(&tree?, &options))
        }
        node => {
            let written = &text[node.span()];
            let options = DocumentOptions {
                locator,
                kind,
                bare_statement: false,
                size: json::aws_size(written),
                escape_overhead: json::escape_overhead(written),
            };
            Some(document::build(node, &options))
        }
    }
}

pub(super) fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match node {
        Node::Object(props, _) => props.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The document a response holds, or why there is none.
fn find(tree: &Node) -> Result<Found<'_>, String> {
    let at = |node, locator: &str, kind| Ok(Found { node, locator: locator.to_string(), kind });
    if let Some(version) = get(tree, "PolicyVersion") {
        return match get(version, "Document") {
            Some(doc) => at(doc, "PolicyVersion.Document", None),
            None => Err("`aws iam get-policy-version` output without its Document".into()),
        };
    }
    if let Some(role) = get(tree, "Role") {
        return match get(role, "AssumeRolePolicyDocument") {
            Some(doc) => at(doc, "Role.AssumeRolePolicyDocument", Some(PolicyKind::Trust)),
            None => Err("`aws iam get-role` output without an AssumeRolePolicyDocument".into()),
        };
    }
    if let Some(doc) = get(tree, "PolicyDocument") {
        // get-role-policy, get-user-policy, get-group-policy: an inline identity policy.
        return at(doc, "PolicyDocument", Some(PolicyKind::Identity));
    }
    if let Some(policy) = get(tree, "Policy") {
        return match policy {
            // s3api get-bucket-policy, lambda get-policy, kms get-key-policy.
            Node::String(_) => at(policy, "Policy", Some(PolicyKind::Resource)),
            Node::Object(..) if get(policy, "Content").is_some() => organizations_policy(policy),
            Node::Object(..) => Err("`aws iam get-policy` output: the policy's metadata, not its document \
                 (`aws iam get-policy-version` has the document)"
                .into()),
            other => at(other, "Policy", Some(PolicyKind::Resource)),
        };
    }
    if let Some(attributes) = get(tree, "Attributes") {
        return match get(attributes, "Policy") {
            Some(doc) => at(doc, "Attributes.Policy", Some(PolicyKind::Resource)),
            None => Err("queue or topic attributes without a Policy".into()),
        };
    }
    for key in ["policyText", "ResourcePolicy"] {
        if let Some(doc) = get(tree, key) {
            return at(doc, key, Some(PolicyKind::Resource));
        }
    }
    Err("AWS CLI output without a policy document".into())
}

/// `aws organizations describe-policy`: an SCP or RCP by its type; other policy types
/// (tag, backup, AI opt-out) are not IAM policies.
fn organizations_policy(policy: &Node) -> Result<Found<'_>, String> {
    let content = get(policy, "Content").expect("checked by the caller");
    let kind = match get(policy, "PolicySummary").and_then(|s| get(s, "Type")) {
        Some(Node::String(t)) if t.value == "SERVICE_CONTROL_POLICY" => PolicyKind::ServiceControl,
        Some(Node::String(t)) if t.value == "RESOURCE_CONTROL_POLICY" => PolicyKind::ResourceControl,
        Some(Node::String(t)) => {
            return Err(format!("an AWS Organizations {} policy, not an IAM policy", t.value.to_lowercase()));
        }
        _ => PolicyKind::ServiceControl,
    };
    Ok(Found { node: content, locator: "Policy.Content".into(), kind: Some(kind) })
}

/// Maps offsets in a decoded text back to the file: `starts[i]` is where the unit that
/// produced decoded byte `i` begins in the file, `starts[len]` where the string ends.
struct OffsetMap {
    starts: Vec<usize>,
    /// The whole string, for spans that cannot be mapped exactly.
    whole: Span,
}

impl OffsetMap {
    fn span(&self, span: &Span) -> Span {
        match (self.starts.get(span.start), self.starts.get(span.end)) {
            (Some(&start), Some(&end)) if start <= end => start..end,
            _ => self.whole.clone(),
        }
    }
}

/// A policy written as a JSON string (possibly URL-encoded inside): its tree with spans
/// in the file, its size as AWS counts it, the escape overhead, and its problems.
fn string_document(text: &str, s: &Spanned<String>) -> (Option<Node>, usize, usize, Vec<SyntaxProblem>) {
    let whole = s.span.clone();
    let empty_problem = |message: &str| SyntaxProblem {
        span: whole.clone(),
        message: message.into(),
        label: "this string".into(),
        help: Some(r#"the string holds the policy JSON: {"Version": "2012-10-17", "Statement": [...]}"#.into()),
    };
    // The string as written, between its quotes.
    let raw = whole.start + 1..whole.end.saturating_sub(1).max(whole.start + 1);
    let (mut decoded, mut map) = match unescape(&text[raw.clone()], raw.start) {
        Some((decoded, starts)) => (decoded, OffsetMap { starts, whole: whole.clone() }),
        None => (s.value.clone(), OffsetMap { starts: Vec::new(), whole: whole.clone() }),
    };
    if decoded.trim().is_empty() {
        return (None, 0, 0, vec![empty_problem("empty policy document")]);
    }
    if !decoded.trim_start().starts_with('{') && decoded.contains('%') {
        let (url_decoded, starts) = percent_decode(&decoded, &map.starts);
        match String::from_utf8(url_decoded) {
            Ok(text) => {
                decoded = text;
                map.starts = starts;
            }
            Err(e) => {
                decoded = String::from_utf8_lossy(e.as_bytes()).into_owned();
                map.starts = Vec::new();
            }
        }
    }
    if !decoded.trim_start().starts_with('{') {
        return (None, 0, 0, vec![empty_problem("a policy document string that is not policy JSON")]);
    }
    let (tree, problems) = json::parse(&decoded, 0);
    let problems = problems.into_iter().map(|p| SyntaxProblem { span: map.span(&p.span), ..p }).collect();
    let tree = tree.map(|t| remap(t, &map));
    (tree, json::aws_size(&decoded), json::escape_overhead(&decoded), problems)
}

/// JSON string escapes decoded, with where each decoded byte came from. `None` when an
/// escape is invalid (the parser has reported it).
fn unescape(raw: &str, base: usize) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(raw.len());
    let mut starts = Vec::with_capacity(raw.len() + 1);
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let decoded = if c == '\\' {
            let (_, e) = chars.next()?;
            match e {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
                        let digits: String = (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                        u32::from_str_radix(&digits, 16).ok()
                    };
                    let first = hex(&mut chars)?;
                    if (0xD800..0xDC00).contains(&first) {
                        // A surrogate pair: two escapes, one character.
                        if chars.next().map(|(_, c)| c) != Some('\\') || chars.next().map(|(_, c)| c) != Some('u') {
                            return None;
                        }
                        let second = hex(&mut chars)?;
                        char::from_u32(0x10000 + ((first - 0xD800) << 10) + second.checked_sub(0xDC00)?)?
                    } else {
                        char::from_u32(first)?
                    }
                }
                _ => return None,
            }
        } else {
            c
        };
        starts.extend(std::iter::repeat_n(base + i, decoded.len_utf8()));
        out.push(decoded);
    }
    starts.push(base + raw.len());
    Some((out, starts))
}

/// `%XX` decoded (RFC 3986, as IAM encodes documents; `+` stays `+`), composing the
/// offset map.
fn percent_decode(text: &str, starts: &[usize]) -> (Vec<u8>, Vec<usize>) {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut map = Vec::with_capacity(bytes.len() + 1);
    let at = |i: usize| starts.get(i).copied().unwrap_or_default();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                map.push(at(i));
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                map.push(at(i));
                i += 1;
            }
        }
    }
    map.push(at(bytes.len()));
    (out, map)
}

/// The tree with every span moved from the decoded text onto the file.
fn remap(node: Node, map: &OffsetMap) -> Node {
    let spanned = |s: Spanned<String>| Spanned::new(s.value, map.span(&s.span));
    match node {
        Node::String(s) => Node::String(spanned(s)),
        Node::Number(s) => Node::Number(spanned(s)),
        Node::Bool(b) => Node::Bool(Spanned::new(b.value, map.span(&b.span))),
        Node::Null(span) => Node::Null(map.span(&span)),
        Node::Unresolved(u) => Node::Unresolved(Unresolved { value: spanned(u.value), ..u }),
        Node::Array(items, span) => Node::Array(items.into_iter().map(|n| remap(n, map)).collect(), map.span(&span)),
        Node::Object(props, span) => {
            Node::Object(props.into_iter().map(|(k, v)| (spanned(k), remap(v, map))).collect(), map.span(&span))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_keys_reads_the_first_level_only() {
        let (array, keys) = top_keys(r#" {"Role": {"Path": "/", "X": {"Y": 1}}, "Z": "a\"b"}"#).unwrap();
        assert!(!array);
        assert_eq!(keys, vec!["Role", "Z"]);
        let (array, keys) = top_keys("\u{feff}[{\"RoleDetailList\": []}, {\"Other\": 1}]").unwrap();
        assert!(array);
        assert_eq!(keys, vec!["RoleDetailList"]);
        assert!(top_keys("# markdown").is_none());
    }

    #[test]
    fn claims_responses_not_policies() {
        assert!(claims(Path::new("x.json"), r#"{"Policy": "{}"}"#));
        assert!(!claims(Path::new("x.json"), r#"{"Version": "2012-10-17", "Statement": [], "Policy": 1}"#));
        assert!(!claims(Path::new("x.json"), r#"[{"Policy": "{}"}]"#));
        assert!(!claims(Path::new("x.json"), r#"{"name": "x", "nested": {"Policy": 1}}"#));
    }

    #[test]
    fn escapes_map_back_exactly() {
        let raw = r#"{\"a\":\"\u00e9\ud83d\ude00\n\"}"#;
        let (decoded, starts) = unescape(raw, 10).unwrap();
        assert_eq!(decoded, "{\"a\":\"\u{e9}\u{1F600}\n\"}");
        assert_eq!(starts.len(), decoded.len() + 1);
        // `é` (2 bytes) both map to its escape; the emoji (4 bytes) to its pair.
        let e = decoded.find('\u{e9}').unwrap();
        assert_eq!(&raw[starts[e] - 10..starts[e + 2] - 10], r"\u00e9");
        let smile = decoded.find('\u{1F600}').unwrap();
        assert_eq!(&raw[starts[smile] - 10..starts[smile + 4] - 10], r"\ud83d\ude00");
        assert!(unescape(r"\x", 0).is_none());
        assert!(unescape(r"\ud83d", 0).is_none());
    }

    #[test]
    fn percent_decoding_composes_the_map() {
        let text = "%7B%22a%22:1%7D%";
        let starts: Vec<usize> = (0..=text.len()).map(|i| i + 100).collect();
        let (decoded, map) = percent_decode(text, &starts);
        assert_eq!(decoded, b"{\"a\":1}%");
        assert_eq!(map.len(), decoded.len() + 1);
        assert_eq!(map[1], 103);
        assert_eq!(map[decoded.len()], 100 + text.len());
    }
}
