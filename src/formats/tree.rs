//! A format-neutral tree of spanned values: what every adapter (JSON, YAML, HCL, ...)
//! produces, and what the document builder reads.

use crate::policy::Unresolved;
use crate::source::{Span, Spanned};

#[derive(Debug, Clone)]
pub enum Node {
    String(Spanned<String>),
    /// A number, kept as written.
    Number(Spanned<String>),
    Bool(Spanned<bool>),
    /// A value unknown at lint time (`!Ref`, `${var.x}`): see `policy::Unresolved`.
    Unresolved(Unresolved),
    Null(Span),
    Array(Vec<Node>, Span),
    /// Keys in document order; duplicates are kept so they can be reported.
    Object(Vec<(Spanned<String>, Node)>, Span),
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::String(s) | Node::Number(s) => s.span.clone(),
            Node::Bool(b) => b.span.clone(),
            Node::Unresolved(u) => u.value.span.clone(),
            Node::Null(span) | Node::Array(_, span) | Node::Object(_, span) => span.clone(),
        }
    }

    /// What a person calls this kind of value, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::String(_) => "a string",
            Node::Number(_) => "a number",
            Node::Bool(_) => "a boolean",
            Node::Unresolved(_) => "a value unknown until deployment",
            Node::Null(_) => "null",
            Node::Array(..) => "an array",
            Node::Object(..) => "an object",
        }
    }

    /// A scalar's text (strings, numbers, booleans, unresolved values), as IAM reads
    /// condition values.
    pub fn scalar_text(&self) -> Option<Spanned<String>> {
        match self {
            Node::String(s) | Node::Number(s) => Some(s.clone()),
            Node::Unresolved(u) => Some(u.value.clone()),
            Node::Bool(b) => Some(Spanned::new(b.value.to_string(), b.span.clone())),
            _ => None,
        }
    }

    /// The same tree with every span passed through `f`: for a tree parsed out of a
    /// string whose characters stand elsewhere in the file (a JSON string, a block scalar).
    pub fn map_spans(self, f: &impl Fn(&Span) -> Span) -> Node {
        match self {
            Node::String(s) => Node::String(Spanned::new(s.value, f(&s.span))),
            Node::Number(n) => Node::Number(Spanned::new(n.value, f(&n.span))),
            Node::Bool(b) => Node::Bool(Spanned::new(b.value, f(&b.span))),
            Node::Null(span) => Node::Null(f(&span)),
            Node::Unresolved(mut u) => {
                u.value.span = f(&u.value.span);
                Node::Unresolved(u)
            }
            Node::Array(items, span) => Node::Array(items.into_iter().map(|i| i.map_spans(f)).collect(), f(&span)),
            Node::Object(entries, span) => Node::Object(
                entries.into_iter().map(|(k, v)| (Spanned::new(k.value, f(&k.span)), v.map_spans(f))).collect(),
                f(&span),
            ),
        }
    }
}
