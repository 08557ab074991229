//! A format-neutral tree of spanned values: what every adapter (JSON today, YAML and
//! HCL later) produces, and what the policy builder reads.

use crate::policy::Spanned;
use crate::source::Span;

#[derive(Debug, Clone)]
pub enum Node {
    String(Spanned<String>),
    /// A number, kept as written.
    Number(Spanned<String>),
    Bool(Spanned<bool>),
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
            Node::Null(span) | Node::Array(_, span) | Node::Object(_, span) => span.clone(),
        }
    }

    /// What a person calls this kind of value, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::String(_) => "a string",
            Node::Number(_) => "a number",
            Node::Bool(_) => "a boolean",
            Node::Null(_) => "null",
            Node::Array(..) => "an array",
            Node::Object(..) => "an object",
        }
    }

    /// A scalar's text (strings, numbers, booleans), as IAM reads condition values.
    pub fn scalar_text(&self) -> Option<Spanned<String>> {
        match self {
            Node::String(s) | Node::Number(s) => Some(s.clone()),
            Node::Bool(b) => Some(Spanned::new(b.value.to_string(), b.span.clone())),
            _ => None,
        }
    }
}
