//! LOAD: format adapters and their one registry. Each adapter turns a source file into
//! policy documents whose every value carries a byte span into the original file, a
//! locator a person understands, its policy kind, and, where the input says so, the
//! principals the documents belong to. `lint` calls `load` and nothing format-specific.
//!
//! Adding a format is one file here (with its `ADAPTER`) and one line in `ADAPTERS`.

pub mod authz;
mod aws_managed;
pub mod cli_output;
pub mod cloudformation;
pub mod docs;
pub mod document;
mod embedded;
pub mod json;
pub mod plan;
pub mod snippet;
pub mod terraform;
mod tf_json;
pub mod tree;
pub mod yaml;

use crate::diagnostic::Waiver;
use crate::policy::{PolicyDocument, PolicyKind, PrincipalPolicies};
use crate::source::{SourceFile, Span};
use std::path::Path;
use std::sync::Arc;

/// A syntax problem in the file itself (reported by `malformed-json`).
#[derive(Debug, Clone)]
pub struct SyntaxProblem {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// A file after loading: its syntax problems, the documents found in it, and the
/// principals those documents make up.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub source: Arc<SourceFile>,
    pub syntax: Vec<SyntaxProblem>,
    pub documents: Vec<PolicyDocument>,
    /// Users, groups and roles whose documents are judged together.
    pub principals: Vec<PrincipalPolicies>,
    /// Parts of the input the analysis could not include (a managed policy attached to a
    /// principal whose document the dump does not hold): `incomplete-analysis` reports them.
    pub gaps: Vec<Gap>,
    /// The principals are every user, group and role of an account (an authorization
    /// dump): a role or user a grant could reach in that account is among them.
    pub whole_account: bool,
    /// Suppressions the file declares for the findings under a locator (a CloudFormation
    /// resource's `Metadata: {iamlint: {ignore: [{rule, reason}]}}`); the filter applies them.
    pub waivers: Vec<Waiver>,
    /// Other files read to resolve this one (the sibling `.tf` files of a Terraform module),
    /// each with the offset its text starts at in this file's spans: a span past the end
    /// of `source`'s text stands in one of them. Their own findings are reported where they
    /// are linted; here they only contribute to principals.
    pub context: Vec<(usize, Arc<SourceFile>)>,
}

impl LoadedFile {
    pub fn new(source: Arc<SourceFile>, syntax: Vec<SyntaxProblem>, documents: Vec<PolicyDocument>) -> LoadedFile {
        LoadedFile {
            source,
            syntax,
            documents,
            principals: Vec::new(),
            gaps: Vec::new(),
            whole_account: false,
            waivers: Vec::new(),
            context: Vec::new(),
        }
    }
}

/// Something a principal's analysis lacks, at the place the input names it.
#[derive(Debug, Clone)]
pub struct Gap {
    pub span: Span,
    pub locator: String,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// What loading made of a file.
#[derive(Debug)]
pub enum Loaded {
    /// A policy file (possibly broken: its problems are in it).
    Policy(LoadedFile),
    /// Not a policy file; the reason is shown by `--verbose`.
    NotPolicy(String),
}

/// How to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Forces the kind of every document (otherwise the adapter or the builder decides).
    pub kind: Option<PolicyKind>,
    /// The file was named on the command line: it is reported when it cannot be read as
    /// a policy, even if it does not look like one.
    pub explicit: bool,
    /// The files around this one when they are not on disk (a git revision's, for `diff
    /// --git`): a Terraform file's module siblings are read from here, not the directory.
    pub tree: Option<Arc<Tree>>,
}

/// Files by path, with their text: a tree that is not on disk.
pub type Tree = std::collections::BTreeMap<std::path::PathBuf, Arc<str>>;

/// One input format.
pub struct Adapter {
    /// What `--verbose` and messages call the format.
    pub name: &'static str,
    /// Whether this adapter reads the file, by its name and content. The first adapter
    /// in `ADAPTERS` that claims a file loads it.
    pub claims: fn(&Path, &str) -> bool,
    pub load: fn(Arc<SourceFile>, &LoadOptions) -> Loaded,
}

/// Every adapter, most specific first.
/// Terraform and plan files are claimed by name and content, account dumps and CLI output
/// by exact top-level keys; both go before CloudFormation, which claims every YAML file and JSON naming
/// `AWSTemplateFormatVersion` or `AWS::` resources. Raw policy JSON takes the rest.
static ADAPTERS: &[&Adapter] = &[
    &terraform::ADAPTER,
    &terraform::JSON_SYNTAX_ADAPTER,
    &plan::ADAPTER,
    &authz::ADAPTER,
    &cli_output::ADAPTER,
    &cloudformation::ADAPTER,
    &docs::ADAPTER,
    &json::ADAPTER,
];

/// The adapter that reads a file, if any.
pub fn detect(path: &Path, text: &str) -> Option<&'static Adapter> {
    ADAPTERS.iter().copied().find(|a| (a.claims)(path, text))
}

/// Loads a file with the adapter that claims it.
pub fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    match detect(&source.path, &source.text) {
        Some(adapter) => (adapter.load)(source, options),
        None => Loaded::NotPolicy("no input format iamlint reads".into()),
    }
}
