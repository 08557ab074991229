//! Format adapters: each turns a source file into policy documents with spans.

pub mod json;
pub mod tree;

use crate::policy::PolicyDocument;
use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// A syntax problem in the file itself (reported by `malformed-json`).
#[derive(Debug, Clone)]
pub struct SyntaxProblem {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// A file after loading: its syntax problems and the documents found in it.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub source: Arc<SourceFile>,
    pub syntax: Vec<SyntaxProblem>,
    pub documents: Vec<PolicyDocument>,
}

/// What loading made of a file.
#[derive(Debug)]
pub enum Loaded {
    /// A policy file (possibly broken: its problems are in it).
    Policy(LoadedFile),
    /// Not a policy file; the reason is shown by `--verbose`.
    NotPolicy(String),
}
