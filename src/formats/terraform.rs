//! Terraform HCL (`.tf`), parsed with `hcl-edit` (byte spans on blocks, attributes,
//! `jsonencode({...})` trees and heredocs; it stops at the first syntax error, which is
//! reported once with its span).
//!
//! Policies are read where Terraform users write them: `jsonencode({...})` (spans on the
//! HCL), heredoc JSON (each `${...}` replaced by a placeholder of the same length before the
//! JSON is parsed, so offsets stay exact, then turned back into an unresolved value),
//! `aws_iam_policy_document` data sources (statement blocks, merged with
//! `source_policy_documents` and `override_policy_documents` as the AWS provider does),
//! and `file()`/`templatefile()` of a JSON file inside the module's directory.
//! Terraform's JSON syntax (`.tf.json`) is rewritten as HCL by `tf_json` and read by the
//! same model, every span mapped back into the JSON file.
//!
//! A module is read as Terraform reads it: this file's text first (its spans unchanged),
//! then the other `.tf` files of its directory, parsed as one body, so references,
//! attachments and principals resolve across the module's files. Spans past the end of
//! this file's text stand in a sibling (`LoadedFile::context`); only this file's problems
//! are kept, and only the principals one of this file's documents belongs to; `lint`
//! reports the findings anchored in this file, and those anchored in a sibling that point
//! into this file when that sibling is not linted in the same run. A run over files of a
//! module (`lint`, by directory) reads the module once instead, its files in path order
//! (`module_files`, `load_module`), and gives each file what is anchored in it.

use super::document::{self, DocumentOptions};
use super::embedded::{self, Fill, Hole, Place};
use super::tf_json::OffsetMap;
use super::tree::Node;
use super::{Adapter, Gap, LoadOptions, Loaded, LoadedFile, SyntaxProblem, Tree, aws_managed};
use crate::diagnostic::PrincipalRef;
use crate::policy::{PolicyDocument, PolicyKind, PrincipalPolicies, Problem, Unresolved, UnresolvedPart};
use crate::source::{SourceFile, Span, Spanned};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub static ADAPTER: Adapter = Adapter { name: "Terraform", claims, load };

fn claims(path: &Path, _: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tf"))
}

/// Terraform's JSON syntax (`*.tf.json`, as CDKTF writes it): rewritten as HCL with a map
/// back to the JSON file (`tf_json`), then read by the same model as `.tf` files, every
/// span mapped into the JSON.
pub static JSON_SYNTAX_ADAPTER: Adapter = Adapter {
    name: "Terraform JSON syntax",
    claims: |path, _| path.file_name().is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".tf.json")),
    load: load_json_syntax,
};

/// Whether a `.tf.json` file's text names an IAM resource (one that does not is passed
/// over).
fn names_iam(text: &str) -> bool {
    POLICY_ATTRIBUTES
        .iter()
        .map(|(ty, ..)| *ty)
        .chain(["aws_iam_policy_document", "Statement", "aws_iam_"])
        .any(|needle| text.contains(needle))
}

fn load_json_syntax(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let text = source.text.as_str();
    if !names_iam(text) {
        return Loaded::NotPolicy("a Terraform JSON file without IAM resources".into());
    }
    match super::tf_json::translate(text) {
        Ok((hcl, map)) => read(source.clone(), &hcl, options, Some(&map)),
        Err(syntax) => Loaded::Policy(LoadedFile::new(source, syntax, Vec::new())),
    }
}

/// Resource types with an attribute that holds a policy document, and its kind
/// (`aws_iam_role` and `aws_organizations_policy` are read apart: trust and inline
/// policies, SCP or RCP by `type`). The plan adapter reads the same table.
pub(crate) const POLICY_ATTRIBUTES: &[(&str, &str, PolicyKind)] = &[
    ("aws_iam_policy", "policy", PolicyKind::Identity),
    ("aws_iam_role_policy", "policy", PolicyKind::Identity),
    ("aws_iam_user_policy", "policy", PolicyKind::Identity),
    ("aws_iam_group_policy", "policy", PolicyKind::Identity),
    ("aws_ssoadmin_permission_set_inline_policy", "inline_policy", PolicyKind::Identity),
    ("aws_s3_bucket_policy", "policy", PolicyKind::Resource),
    ("aws_s3_bucket", "policy", PolicyKind::Resource),
    ("aws_s3_access_point", "policy", PolicyKind::Resource),
    ("aws_s3control_access_point_policy", "policy", PolicyKind::Resource),
    ("aws_sqs_queue_policy", "policy", PolicyKind::Resource),
    ("aws_sqs_queue", "policy", PolicyKind::Resource),
    ("aws_sns_topic_policy", "policy", PolicyKind::Resource),
    ("aws_sns_topic", "policy", PolicyKind::Resource),
    ("aws_kms_key", "policy", PolicyKind::Resource),
    ("aws_kms_key_policy", "policy", PolicyKind::Resource),
    ("aws_ecr_repository_policy", "policy", PolicyKind::Resource),
    ("aws_ecr_registry_policy", "policy", PolicyKind::Resource),
    ("aws_secretsmanager_secret_policy", "policy", PolicyKind::Resource),
    ("aws_secretsmanager_secret", "policy", PolicyKind::Resource),
    ("aws_glacier_vault", "access_policy", PolicyKind::Resource),
    ("aws_efs_file_system_policy", "policy", PolicyKind::Resource),
    ("aws_backup_vault_policy", "policy", PolicyKind::Resource),
    ("aws_cloudwatch_log_resource_policy", "policy_document", PolicyKind::Resource),
    ("aws_opensearch_domain_policy", "access_policies", PolicyKind::Resource),
    ("aws_elasticsearch_domain_policy", "access_policies", PolicyKind::Resource),
    ("aws_api_gateway_rest_api_policy", "policy", PolicyKind::Resource),
    ("aws_vpc_endpoint", "policy", PolicyKind::Resource),
    ("aws_iam_role", "assume_role_policy", PolicyKind::Trust),
    ("aws_organizations_policy", "content", PolicyKind::ServiceControl),
];

/// The kind of an `aws_organizations_policy` by its `type`; `None` for the types that are
/// not IAM policies (tag, backup, AI opt-out, chatbot, declarative policies).
pub(crate) fn organizations_kind(policy_type: Option<&str>) -> Option<PolicyKind> {
    match policy_type {
        None | Some("SERVICE_CONTROL_POLICY") => Some(PolicyKind::ServiceControl),
        Some("RESOURCE_CONTROL_POLICY") => Some(PolicyKind::ResourceControl),
        Some(_) => None,
    }
}

/// Largest file `file()`/`templatefile()` or a sibling `.tf` file is read up to.
const MAX_READ: u64 = 4 << 20;

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    // hcl-edit rejects a BOM; three spaces keep every offset.
    let text = match source.text.strip_prefix('\u{feff}') {
        Some(rest) => format!("   {rest}"),
        None => source.text.clone(),
    };
    read(source, &text, options, None)
}

/// Reads HCL `text`: the file's own, or (with `map`) HCL written from a `.tf.json` file,
/// whose spans `map` moves into that file.
fn read(source: Arc<SourceFile>, text: &str, options: &LoadOptions, map: Option<&OffsetMap>) -> Loaded {
    let to_file = |span: Span| map.map_or(span.clone(), |m| m.span(&span));
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(e) => {
            let mut problem = syntax_problem(text, &e);
            problem.span = to_file(problem.span);
            return Loaded::Policy(LoadedFile::new(source.clone(), vec![problem], Vec::new()));
        }
    };
    // The module: this file's text first (its spans unchanged), then each sibling `.tf`
    // file's, read as one body (Terraform reads a directory as one configuration).
    let siblings = if map.is_none() { module_siblings(&source.path, options.tree.as_deref()) } else { Vec::new() };
    let own = text.len();
    let mut combined = text.to_string();
    let mut context = Vec::new();
    for sibling in siblings {
        combined.push('\n');
        context.push((combined.len(), sibling.clone()));
        match sibling.text.strip_prefix('\u{feff}') {
            Some(rest) => {
                combined.push_str("   ");
                combined.push_str(rest);
            }
            None => combined.push_str(&sibling.text),
        }
    }
    let module_body = if context.is_empty() { None } else { hcl_edit::parser::parse_body(&combined).ok() };
    let (text, body) = match &module_body {
        Some(b) => (combined.as_str(), b),
        None => {
            context.clear();
            (text, &body)
        }
    };
    let path = source.path.clone();
    let mut module = Module::new(text, &path, body, options.kind);
    module.map = map;
    module.tree = options.tree.as_deref();
    module.run();
    // What the siblings hold is reported where they are linted: here only this file's
    // problems, and the principals one of this file's documents belongs to.
    let local = |span: &Span| span.start <= own;
    let mut syntax: Vec<SyntaxProblem> = std::mem::take(&mut module.syntax)
        .into_iter()
        .filter(|p| local(&p.span))
        .map(|mut p| {
            p.span = to_file(p.span);
            p
        })
        .collect();
    syntax.extend(std::mem::take(&mut module.file_syntax).into_iter().filter(|p| local(&p.span)));
    let gaps: Vec<Gap> = std::mem::take(&mut module.gaps).into_iter().filter(|g| local(&g.span)).collect();
    let is_local = |i: &usize| module.documents.get(*i).is_some_and(|d| local(&d.span));
    if !module.documents.iter().any(|d| local(&d.span)) && syntax.is_empty() && gaps.is_empty() {
        return Loaded::NotPolicy("a Terraform file without IAM policies".into());
    }
    let principals: Vec<PrincipalPolicies> = module
        .principals()
        .into_iter()
        .filter(|p| p.documents.iter().chain(&p.ceilings).chain(&p.trust).any(is_local))
        .collect();
    let mut loaded = LoadedFile::new(source, syntax, module.documents);
    loaded.principals = principals;
    loaded.gaps = gaps;
    loaded.context = context;
    Loaded::Policy(loaded)
}

/// Whether Terraform reads `path` as a file of its directory's module: `*.tf` and
/// `*.tf.json` (Terraform reads both syntaxes of a directory as one configuration).
pub fn is_module_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tf") || is_json_syntax(path)
}

fn is_json_syntax(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".tf.json"))
}

/// Why a file of a module that holds no policy, problem or gap is passed over (what its
/// own run says).
pub fn passed_over(source: &SourceFile) -> String {
    if is_json_syntax(&source.path) && !names_iam(&source.text) {
        "a Terraform JSON file without IAM resources".into()
    } else {
        "a Terraform file without IAM policies".into()
    }
}

/// The files of the module `path` is in, for `lint` to read once whichever of them a run
/// names: the directory's `.tf` and `.tf.json` files that parse, in name order, each named
/// as `path`'s directory is named. `None` when `path` is not a file on disk, when the
/// directory holds more files than a file's run reads, or when one of them is larger than
/// a sibling is read up to (each file is then read on its own).
pub fn module_files(path: &Path) -> Option<Vec<Arc<SourceFile>>> {
    if !path.is_file() {
        return None;
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| is_module_file(&e.path()))
        .map(|e| e.file_name())
        .collect();
    if names.len() > MAX_SIBLINGS + 1 {
        return None;
    }
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let file = dir.join(&name);
        let meta = std::fs::metadata(&file).ok()?;
        if meta.len() > MAX_READ {
            return None;
        }
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let parses = if is_json_syntax(&file) {
            super::tf_json::translate(&text).is_ok_and(|(hcl, _)| hcl_edit::parser::parse_body(&hcl).is_ok())
        } else {
            hcl_edit::parser::parse_body(text.trim_start_matches('\u{feff}')).is_ok()
        };
        if !parses {
            continue;
        }
        let shown = path.parent().map_or(file.clone(), |d| d.join(&name));
        out.push(Arc::new(SourceFile::new(shown, text)));
    }
    Some(out)
}

/// A module's files (`module_files`) read once, as one configuration: the first file is
/// the loaded file's source and the others its context, and nothing is left out (every
/// file's problems, gaps and principals are kept): `lint` gives each file what is anchored
/// in it, as each file's own run would. A `.tf.json` file is rewritten as HCL (`tf_json`)
/// and its spans mapped back into it. `None` when the files do not read as one body.
pub fn load_module(files: &[Arc<SourceFile>], options: &LoadOptions) -> Option<LoadedFile> {
    let first = files.first()?;
    // The HCL read (each file's text, or the HCL written from it), and where each file
    // starts in it and in the files' texts laid end to end (the spans' offsets).
    let mut hcl = String::new();
    let mut parts: Vec<(usize, usize, Option<OffsetMap>)> = Vec::new();
    let mut context = Vec::new();
    let mut file_base = 0;
    for (k, file) in files.iter().enumerate() {
        if k > 0 {
            hcl.push('\n');
            file_base += 1;
            context.push((file_base, file.clone()));
        }
        let hcl_base = hcl.len();
        if is_json_syntax(&file.path) {
            let (text, map) = super::tf_json::translate(&file.text).ok()?;
            hcl.push_str(&text);
            parts.push((hcl_base, file_base, Some(map)));
        } else {
            match file.text.strip_prefix('\u{feff}') {
                Some(rest) => {
                    hcl.push_str("   ");
                    hcl.push_str(rest);
                }
                None => hcl.push_str(&file.text),
            }
            parts.push((hcl_base, file_base, None));
        }
        file_base += file.text.len();
    }
    let map = parts.iter().any(|(_, _, m)| m.is_some()).then(|| OffsetMap::joined(&parts, hcl.len()));
    let body = hcl_edit::parser::parse_body(&hcl).ok()?;
    let mut module = Module::new(&hcl, &first.path, &body, options.kind);
    module.map = map.as_ref();
    module.run();
    let mut syntax: Vec<SyntaxProblem> = std::mem::take(&mut module.syntax)
        .into_iter()
        .map(|mut p| {
            p.span = module.file_span(p.span);
            p
        })
        .collect();
    syntax.extend(std::mem::take(&mut module.file_syntax));
    let gaps = std::mem::take(&mut module.gaps);
    let principals = module.principals();
    let mut loaded = LoadedFile::new(first.clone(), syntax, module.documents);
    loaded.principals = principals;
    loaded.gaps = gaps;
    loaded.context = context;
    Some(loaded)
}

/// The other `.tf` files of the directory of `path` that parse, in name order (read-only:
/// they are linted, and their findings reported, in their own run). None when `path` is
/// not a file on disk (standard input, tests), and none past `MAX_SIBLINGS` files or
/// `MAX_READ` bytes each.
fn module_siblings(path: &Path, tree: Option<&Tree>) -> Vec<Arc<SourceFile>> {
    let mut out = Vec::new();
    for (file, text) in sibling_texts(path, tree, MAX_SIBLINGS) {
        if hcl_edit::parser::parse_body(text.trim_start_matches('\u{feff}')).is_err() {
            continue;
        }
        // Named as the linted file's directory is named (`modules/ci/iam.tf`).
        let name = path.parent().map_or(file.clone(), |dir| dir.join(file.file_name().unwrap_or_default()));
        out.push(Arc::new(SourceFile::new(name, text)));
    }
    out
}

/// The first `limit` other `.tf` files of the directory of `path`, sorted, with their text
/// (a file larger than `MAX_READ` or unreadable is left out): from `tree` when the files
/// are not on disk (a git revision's), else from the directory. Empty when `path` is not
/// a file of the tree, or on disk.
fn sibling_texts(path: &Path, tree: Option<&Tree>, limit: usize) -> Vec<(PathBuf, String)> {
    if let Some(tree) = tree {
        if !tree.contains_key(path) {
            return Vec::new();
        }
        let dir = path.parent();
        let tf = |p: &Path| {
            p.parent() == dir && p.extension().is_some_and(|e| e == "tf") && p.file_name() != path.file_name()
        };
        return tree
            .iter()
            .filter(|(p, _)| tf(p))
            .take(limit)
            .filter(|(_, text)| text.len() as u64 <= MAX_READ)
            .map(|(p, text)| (p.clone(), text.to_string()))
            .collect();
    }
    let Some(files) = sibling_files(path) else { return Vec::new() };
    let read = |file: PathBuf| {
        let meta = std::fs::metadata(&file).ok()?;
        if !meta.is_file() || meta.len() > MAX_READ {
            return None;
        }
        let text = std::fs::read_to_string(&file).ok()?;
        Some((file, text))
    };
    files.into_iter().take(limit).filter_map(read).collect()
}

/// The other `.tf` files of the directory of `path`, sorted; `None` when `path` is not a
/// file on disk.
fn sibling_files(path: &Path) -> Option<Vec<PathBuf>> {
    if !path.is_file() {
        return None;
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.file_name() != path.file_name())
        .collect();
    files.sort();
    Some(files)
}

/// Most sibling files a module is read with.
const MAX_SIBLINGS: usize = 256;

fn syntax_problem(text: &str, e: &hcl_edit::parser::Error) -> SyntaxProblem {
    let mut start = e.location().offset().min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
    let message = e.message().trim_end_matches('.');
    SyntaxProblem {
        span: start..end,
        message: format!("Terraform syntax error: {message}"),
        label: "the HCL parser stops here".into(),
        help: Some(
            "fix the syntax (`terraform validate` reports the same place); the policies in this file are read once it parses"
                .into(),
        ),
    }
}

/// A literal value known at lint time: a `variable` block's default.
#[derive(Debug, Clone)]
enum Literal {
    String(String),
    Number(String),
    Bool(bool),
    Null,
    List(Vec<Literal>),
}

impl Literal {
    fn of(e: &Expression) -> Option<Literal> {
        Some(match e {
            Expression::String(s) => Literal::String(s.value().to_string()),
            Expression::Number(n) => Literal::Number(n.value().to_string()),
            Expression::Bool(b) => Literal::Bool(*b.value()),
            Expression::Null(_) => Literal::Null,
            Expression::Array(a) => Literal::List(a.iter().map(Literal::of).collect::<Option<_>>()?),
            _ => return None,
        })
    }

    /// As a tree, every span on `span` (the reference that stands for it).
    fn node(&self, span: &Span) -> Node {
        match self {
            Literal::String(s) => Node::String(Spanned::new(s.clone(), span.clone())),
            Literal::Number(n) => Node::Number(Spanned::new(n.clone(), span.clone())),
            Literal::Bool(b) => Node::Bool(Spanned::new(*b, span.clone())),
            Literal::Null => Node::Null(span.clone()),
            Literal::List(items) => Node::Array(items.iter().map(|i| i.node(span)).collect(), span.clone()),
        }
    }
}

/// What a policy attribute's value is.
enum Source {
    /// A policy written here.
    Tree { node: Node, size: usize, escape_overhead: usize },
    /// `data.aws_iam_policy_document.NAME.json` of a data source in this file.
    Data(String),
    /// A data source of another file of the module: linted in its own file.
    Elsewhere,
    /// Something iamlint cannot read: a finding, never a skip.
    Unreadable { span: Span, message: String },
}

/// Who a document belongs to.
#[derive(Clone)]
enum Owner {
    /// `aws_iam_policy.NAME`: attached by attachments.
    ManagedPolicy(String),
    /// An inline policy of a role, user or group (`aws_iam_role_policy`, `inline_policy`).
    Inline(&'static str, Option<String>),
    /// A role's trust policy.
    Trust(String),
    None,
}

struct Site<'a> {
    expr: &'a Expression,
    locator: String,
    kind: Option<PolicyKind>,
    owner: Owner,
}

/// A statement of an `aws_iam_policy_document`, before merging.
struct Statement {
    node: Node,
    locator: String,
    sid: Option<String>,
}

#[derive(Default)]
struct Holder {
    documents: Vec<usize>,
    ceilings: Vec<usize>,
    trust: Option<usize>,
    groups: Vec<String>,
}

struct Module<'a> {
    text: &'a str,
    path: &'a Path,
    forced: Option<PolicyKind>,
    resources: Vec<(&'a str, &'a str, &'a Block)>,
    data_documents: Vec<(&'a str, &'a Block)>,
    modules: Vec<(&'a str, &'a Block)>,
    locals: Vec<(&'a str, &'a Expression)>,
    variables: HashMap<String, Literal>,
    sibling_variables: OnceCell<HashMap<String, Literal>>,
    /// The files around this one when they are not on disk (`LoadOptions::tree`).
    tree: Option<&'a Tree>,
    documents: Vec<PolicyDocument>,
    syntax: Vec<SyntaxProblem>,
    /// Document index of each data source built so far.
    data_index: HashMap<String, usize>,
    /// Data sources being built (a cycle of source documents is cut).
    building: Vec<String>,
    /// The kind of each data source, from the first attribute that uses it.
    data_kinds: HashMap<String, PolicyKind>,
    managed: HashMap<String, usize>,
    /// Documents of AWS managed policies from the bundled snapshot, by where they are named.
    aws_managed: HashMap<Span, usize>,
    /// What the analysis cannot include (an AWS managed policy the snapshot does not know).
    gaps: Vec<Gap>,
    holders: BTreeMap<(&'static str, String), Holder>,
    used_locals: HashSet<String>,
    /// For HCL written from a `.tf.json` file: where its bytes stand in that file.
    map: Option<&'a OffsetMap>,
    /// Syntax problems already spanned in the file (not through `map`).
    file_syntax: Vec<SyntaxProblem>,
}

impl<'a> Module<'a> {
    fn new(text: &'a str, path: &'a Path, body: &'a Body, forced: Option<PolicyKind>) -> Module<'a> {
        let mut m = Module {
            text,
            path,
            forced,
            resources: Vec::new(),
            data_documents: Vec::new(),
            modules: Vec::new(),
            locals: Vec::new(),
            variables: HashMap::new(),
            sibling_variables: OnceCell::new(),
            tree: None,
            documents: Vec::new(),
            syntax: Vec::new(),
            data_index: HashMap::new(),
            building: Vec::new(),
            data_kinds: HashMap::new(),
            managed: HashMap::new(),
            aws_managed: HashMap::new(),
            gaps: Vec::new(),
            holders: BTreeMap::new(),
            used_locals: HashSet::new(),
            map: None,
            file_syntax: Vec::new(),
        };
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("resource", [ty, name]) => m.resources.push((ty, name, block)),
                ("data", ["aws_iam_policy_document", name]) => m.data_documents.push((name, block)),
                ("module", [name]) => m.modules.push((name, block)),
                ("locals", []) => m.locals.extend(block.body.attributes().map(|a| (a.key.as_str(), &a.value))),
                ("variable", [name]) => {
                    if let Some(default) = block.body.get_attribute("default").and_then(|a| Literal::of(&a.value)) {
                        m.variables.insert(name.to_string(), default);
                    }
                }
                _ => {}
            }
        }
        m
    }

    fn run(&mut self) {
        let sites = self.sites();
        // A data source takes the kind of the first attribute that uses it (a trust policy,
        // a bucket policy); one nobody uses here has its kind inferred.
        for site in &sites {
            if let (Some(name), Some(kind)) = (data_reference(site.expr), site.kind) {
                self.data_kinds.entry(name).or_insert(kind);
            }
        }
        for (name, _) in self.data_documents.clone() {
            self.data_document(name);
        }
        for site in sites {
            let Some(index) = self.site(&site) else { continue };
            match site.owner {
                Owner::ManagedPolicy(name) => {
                    self.managed.insert(name, index);
                }
                Owner::Inline(kind, Some(holder)) => self.holder(kind, holder).documents.push(index),
                Owner::Trust(role) => self.holder("role", role).trust = Some(index),
                Owner::Inline(_, None) | Owner::None => {}
            }
        }
        for (name, expr) in self.locals.clone() {
            if !self.used_locals.contains(name) && policy_shaped(expr) {
                let site = Site { expr, locator: format!("local.{name}"), kind: None, owner: Owner::None };
                self.site(&site);
            }
        }
        self.attachments();
    }

    /// Every attribute that holds a policy, in file order.
    fn sites(&self) -> Vec<Site<'a>> {
        let boundaries = self.boundary_only();
        let mut sites = Vec::new();
        for &(ty, name, block) in &self.resources {
            let known: Vec<(&str, PolicyKind)> =
                POLICY_ATTRIBUTES.iter().filter(|(t, ..)| *t == ty).map(|&(_, attr, kind)| (attr, kind)).collect();
            let resource_kind = if ty == "aws_organizations_policy" {
                let policy_type = block.body.get_attribute("type").map(|a| &a.value);
                match policy_type.map(|e| e.as_str()) {
                    Some(Some(t)) => organizations_kind(Some(t)),
                    _ => organizations_kind(None),
                }
            } else {
                None
            };
            if ty == "aws_organizations_policy" && resource_kind.is_none() {
                continue;
            }
            for attr in block.body.attributes() {
                let key = attr.key.as_str();
                let locator = format!("{ty}.{name}");
                let site = match known.iter().find(|(a, _)| *a == key) {
                    Some(&(_, kind)) => {
                        let mut kind = resource_kind.unwrap_or(kind);
                        if ty == "aws_iam_policy" && boundaries.contains(name) {
                            kind = PolicyKind::Boundary;
                        }
                        let (locator, owner) = match ty {
                            "aws_iam_policy" => (locator, Owner::ManagedPolicy(name.to_string())),
                            "aws_iam_role" => (format!("{locator}.{key}"), Owner::Trust(name.to_string())),
                            "aws_iam_role_policy" => (locator, self.inline_owner(block, "role")),
                            "aws_iam_user_policy" => (locator, self.inline_owner(block, "user")),
                            "aws_iam_group_policy" => (locator, self.inline_owner(block, "group")),
                            _ => (locator, Owner::None),
                        };
                        Site { expr: &attr.value, locator, kind: Some(kind), owner }
                    }
                    None if policy_shaped(&attr.value) => {
                        Site { expr: &attr.value, locator: format!("{locator}.{key}"), kind: None, owner: Owner::None }
                    }
                    None => continue,
                };
                sites.push(site);
            }
            if ty == "aws_iam_role" {
                for (i, inline) in block.body.get_blocks("inline_policy").enumerate() {
                    if let Some(policy) = inline.body.get_attribute("policy") {
                        sites.push(Site {
                            expr: &policy.value,
                            locator: format!("aws_iam_role.{name}.inline_policy[{i}]"),
                            kind: Some(PolicyKind::Identity),
                            owner: Owner::Inline("role", Some(name.to_string())),
                        });
                    }
                }
            }
        }
        for &(name, block) in &self.modules {
            for attr in block.body.attributes() {
                if policy_shaped(&attr.value) {
                    let locator = format!("module.{name}.{}", attr.key.as_str());
                    sites.push(Site { expr: &attr.value, locator, kind: None, owner: Owner::None });
                }
            }
        }
        sites
    }

    /// `aws_iam_policy` resources used as a permissions boundary and attached nowhere.
    fn boundary_only(&self) -> HashSet<&'a str> {
        let mut boundaries = HashSet::new();
        let mut attached = HashSet::new();
        for &(ty, _, block) in &self.resources {
            let body = &block.body;
            let policy_refs = |attr: &str, into: &mut HashSet<&'a str>| {
                if let Some(a) = body.get_attribute(attr) {
                    for e in list_items(&a.value) {
                        if let Some(name) = managed_reference(e) {
                            into.insert(name);
                        }
                    }
                }
            };
            match ty {
                "aws_iam_role" | "aws_iam_user" => {
                    policy_refs("permissions_boundary", &mut boundaries);
                    policy_refs("managed_policy_arns", &mut attached);
                }
                _ => policy_refs("policy_arn", &mut attached),
            }
        }
        boundaries.retain(|b| !attached.contains(b));
        boundaries
    }

    fn inline_owner(&self, block: &Block, kind: &'static str) -> Owner {
        let holder = block.body.get_attribute(kind).and_then(|a| self.holder_key(kind, &a.value));
        Owner::Inline(kind, holder)
    }

    /// The document of a policy attribute, built here or found.
    fn site(&mut self, site: &Site<'a>) -> Option<usize> {
        let kind = self.forced.or(site.kind);
        match self.source(site.expr) {
            Source::Tree { node, size, escape_overhead } => {
                Some(self.push(&node, site.locator.clone(), kind, size, escape_overhead, None))
            }
            Source::Data(name) => self.data_index.get(&name).copied(),
            Source::Elsewhere => None,
            Source::Unreadable { span, message } => Some(self.unreadable(span, site.locator.clone(), message)),
        }
    }

    fn push(
        &mut self,
        node: &Node,
        locator: String,
        kind: Option<PolicyKind>,
        size: usize,
        escape_overhead: usize,
        statement_locators: Option<Vec<String>>,
    ) -> usize {
        let options = DocumentOptions { locator, kind, bare_statement: false, size, escape_overhead };
        let mut doc = match self.map {
            Some(map) => document::build(&map.node(node.clone()), &options),
            None => document::build(node, &options),
        };
        if let Some(locators) = statement_locators {
            for (st, locator) in doc.statements.iter_mut().zip(locators) {
                st.locator = locator;
            }
        }
        self.documents.push(doc);
        self.documents.len() - 1
    }

    /// A document iamlint cannot read: one problem (reported by `malformed-policy`) and
    /// nothing else to analyse.
    fn unreadable(&mut self, span: Span, locator: String, message: String) -> usize {
        let span = self.file_span(span);
        let empty = Node::Object(
            vec![(
                Spanned::new("Version".to_string(), span.clone()),
                Node::String(Spanned::new("2012-10-17".to_string(), span.clone())),
            )],
            span.clone(),
        );
        let options =
            DocumentOptions { locator, kind: self.forced, bare_statement: false, size: 0, escape_overhead: 0 };
        let mut doc = document::build(&empty, &options);
        doc.problems = vec![Problem {
            span,
            message,
            label: "not analysed".into(),
            help: Some(
                "write the policy in this module (jsonencode, a heredoc, an aws_iam_policy_document data source), \
                 or lint the configuration that supplies it (e.g. the plan: terraform show -json)"
                    .into(),
            ),
            statement: None,
        }];
        self.documents.push(doc);
        self.documents.len() - 1
    }

    fn span(e: &Expression) -> Span {
        e.span().unwrap_or(0..0)
    }

    /// A span of the text read as a span of the file (they differ for `.tf.json`).
    fn file_span(&self, span: Span) -> Span {
        match self.map {
            Some(map) => map.span(&span),
            None => span,
        }
    }

    /// The source text of an expression, whitespace runs folded to one space.
    fn written(&self, span: &Span) -> String {
        let raw = self.text.get(span.clone()).unwrap_or_default();
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// What a policy attribute's value is.
    fn source(&mut self, e: &'a Expression) -> Source {
        let span = Self::span(e);
        match e {
            Expression::Parenthesis(p) => self.source(p.inner()),
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                let args: Vec<&'a Expression> = call.args.iter().collect();
                match (call.name.name.as_str(), args.as_slice()) {
                    ("jsonencode", [arg]) => {
                        let arg = self.local_value(arg).unwrap_or(arg);
                        let node = self.value(arg);
                        if let Node::Unresolved(u) = &node {
                            return Source::Unreadable {
                                span,
                                message: format!("policy is `jsonencode({})`, unknown until deployment", u.written),
                            };
                        }
                        let size = rendered_size(&node);
                        Source::Tree { node, size, escape_overhead: 0 }
                    }
                    ("file", [path]) => self.file(path, None, span),
                    ("templatefile", [path, vars]) => self.file(path, Some(vars), span),
                    (name, _) => Source::Unreadable {
                        span: span.clone(),
                        message: format!("policy is `{name}(...)`, which iamlint does not evaluate"),
                    },
                }
            }
            Expression::HeredocTemplate(h) => self.template_json(h.template.iter(), span),
            // Terraform 0.11 wrote `"${data.aws_iam_policy_document.x.json}"`.
            Expression::StringTemplate(t) if t.len() == 1 => match t.iter().next() {
                Some(Element::Interpolation(i)) => self.source(&i.expr),
                _ => self.template_json(t.iter(), span),
            },
            // JSON text has braces; `"${var.a}${var.b}"` is not JSON but a value.
            Expression::StringTemplate(t) if t.iter().any(|el| el.as_literal().is_some_and(|l| l.contains('{'))) => {
                self.template_json(t.iter(), span)
            }
            Expression::String(s) => {
                let start = span.start + 1;
                let raw = self.text.get(start..span.end.saturating_sub(1)).unwrap_or_default();
                // Without escapes, the string's text is the JSON's text: spans stay exact.
                if raw == s.value().as_str() {
                    return self.embedded(s.value(), &[], &Place::At(start), span, false);
                }
                // Escapes JSON shares with HCL (`\"`, `\\`, `\n`, `\u0041`): mapped exactly.
                if let Some((_, map)) = embedded::unescape_with_map(raw, start).filter(|(d, _)| d == s.value().as_str())
                {
                    return self.embedded(s.value(), &[], &Place::Mapped(&map), span, false);
                }
                let place = Place::Collapsed(span.clone(), "in this string: ".into());
                self.embedded(s.value(), &[], &place, span, false)
            }
            _ => {
                if let Some(name) = data_reference(e) {
                    return if self.data_documents.iter().any(|(n, _)| *n == name) {
                        Source::Data(name)
                    } else {
                        Source::Elsewhere
                    };
                }
                if let Some(local) = self.local_value(e) {
                    return self.source(local);
                }
                if let Some(Literal::String(json)) = self.var_default(e) {
                    let place =
                        Place::Collapsed(span.clone(), format!("in the default of `{}`: ", self.written(&span)));
                    return self.embedded(&json, &[], &place, span, false);
                }
                Source::Unreadable {
                    span: span.clone(),
                    message: format!("policy is `{}`, unknown until deployment", self.written(&span)),
                }
            }
        }
    }

    /// `local.NAME` defined in this file: its expression.
    fn local_value(&mut self, e: &Expression) -> Option<&'a Expression> {
        let path = path_of(e)?;
        let ["local", name] = path.as_slice() else { return None };
        let (name, expr) = *self.locals.iter().find(|(n, _)| n == name)?;
        self.used_locals.insert(name.to_string());
        Some(expr)
    }

    /// JSON written in a template (heredoc or quoted), interpolations as holes.
    fn template_json<'e>(&mut self, elements: impl Iterator<Item = &'e Element>, span: Span) -> Source {
        let elements: Vec<&Element> = elements.collect();
        let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
            return Source::Unreadable { span, message: "policy is an empty string".into() };
        };
        let (Some(start), Some(end)) = (element_span(first).map(|s| s.start), element_span(last).map(|s| s.end)) else {
            return Source::Unreadable { span, message: "policy template without positions".into() };
        };
        let mut holes = Vec::new();
        for el in &elements {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => {
                    let Some(range) = i.span() else { continue };
                    let fill = self.fill(&i.expr);
                    holes.push(Hole { range: range.start - start..range.end - start, fill });
                }
                Element::Directive(d) => {
                    return Source::Unreadable {
                        span: d.span().unwrap_or(span),
                        message: "policy template with a `%{...}` directive, which iamlint does not evaluate".into(),
                    };
                }
            }
        }
        let text = self.text.get(start..end).unwrap_or_default().to_string();
        self.embedded(&text, &holes, &Place::At(start), span, true)
    }

    fn embedded(&mut self, text: &str, holes: &[Hole], place: &Place<'_>, span: Span, template: bool) -> Source {
        let parsed = embedded::parse(text, holes, place, template);
        self.syntax.extend(parsed.syntax);
        match parsed.tree {
            Some(node) => Source::Tree { node, size: parsed.size, escape_overhead: parsed.escape_overhead },
            None => Source::Unreadable { span, message: "policy JSON that does not parse".into() },
        }
    }

    /// What an interpolation stands for.
    fn fill(&self, e: &Expression) -> Fill {
        match self.var_default(e) {
            Some(Literal::String(s) | Literal::Number(s)) => Fill::Known(s),
            Some(Literal::Bool(b)) => Fill::Known(b.to_string()),
            _ => {
                let span = Self::span(e);
                Fill::Unknown { name: self.written(&span), stands_for: stands_for(e) }
            }
        }
    }

    /// `file(PATH)` or `templatefile(PATH, VARS)` of a file inside the module's directory.
    fn file(&mut self, path: &Expression, vars: Option<&Expression>, span: Span) -> Source {
        let unreadable = |message: String| Source::Unreadable { span: span.clone(), message };
        let Some(relative) = self.module_path(path) else {
            let written = self.written(&Self::span(path));
            return unreadable(format!("policy is read from `{written}`, a path iamlint cannot work out"));
        };
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let outside = || {
            unreadable(format!(
                "policy file `{}` is outside this module's directory, which iamlint does not read",
                relative.display()
            ))
        };
        let missing = || unreadable(format!("policy file `{}` does not exist", relative.display()));
        let too_large = || unreadable(format!("policy file `{}` is too large", relative.display()));
        let text = match self.tree {
            // A git revision's files: looked up by path, `..` never above the module; a
            // file it lacks is reported as the disk's side reports it (`inside` finds no
            // file), so the two sides of a diff say the same.
            Some(tree) => {
                let Some(file) = inside_tree(dir, &relative) else { return outside() };
                match tree.get(&file) {
                    None => return outside(),
                    Some(text) if text.len() as u64 > MAX_READ => return too_large(),
                    Some(text) => text.to_string(),
                }
            }
            None => {
                let Some(file) = inside(dir, &relative) else { return outside() };
                match std::fs::metadata(&file) {
                    Ok(meta) if meta.len() > MAX_READ => return too_large(),
                    Ok(_) => match std::fs::read_to_string(&file) {
                        Ok(text) => text,
                        Err(e) => return unreadable(format!("cannot read policy file `{}`: {e}", relative.display())),
                    },
                    Err(_) => return missing(),
                }
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        let prefix = format!("in {}: ", relative.display());
        let place = Place::Collapsed(span.clone(), prefix);
        let Some(vars) = vars else {
            return self.embedded(&text, &[], &place, span, false);
        };
        let template = match hcl_edit::parser::parse_template(&text) {
            Ok(t) => t,
            Err(e) => {
                return unreadable(format!("policy template `{}` does not parse: {}", relative.display(), e.message()));
            }
        };
        let known: HashMap<String, String> = match vars {
            Expression::Object(o) => o
                .iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => e.as_str()?.to_string(),
                    };
                    let value = match Literal::of(v.expr()).or_else(|| self.var_default(v.expr()))? {
                        Literal::String(s) | Literal::Number(s) => s,
                        _ => return None,
                    };
                    Some((key, value))
                })
                .collect(),
            _ => HashMap::new(),
        };
        let mut holes = Vec::new();
        for el in template.iter() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => {
                    let Some(range) = i.span() else { continue };
                    let name = text.get(i.expr.span().unwrap_or(0..0)).unwrap_or_default().trim().to_string();
                    let fill = match known.get(&name) {
                        Some(v) => Fill::Known(v.clone()),
                        None => Fill::Unknown { name, stands_for: None },
                    };
                    holes.push(Hole { range, fill });
                }
                Element::Directive(_) => {
                    return unreadable(format!(
                        "policy template `{}` has a `%{{...}}` directive, which iamlint does not evaluate",
                        relative.display()
                    ));
                }
            }
        }
        self.embedded(&text, &holes, &place, span, true)
    }

    /// An AWS managed policy named by its ARN (`"arn:aws:iam::aws:policy/ReadOnlyAccess"`,
    /// also with the partition interpolated): its document from the bundled snapshot,
    /// spanned on the expression, once per place. A customer managed policy defined outside
    /// the file is linted where it is defined; an AWS managed one the snapshot does not know
    /// is a gap (`incomplete-analysis`).
    fn aws_managed(&mut self, e: &Expression, at: &str) -> Option<usize> {
        let span = e.span()?;
        if let Some(&i) = self.aws_managed.get(&span) {
            return Some(i);
        }
        let mut text = String::new();
        match e {
            Expression::String(s) => text.push_str(s.value()),
            Expression::StringTemplate(t) => {
                for el in t.iter() {
                    match el {
                        Element::Literal(l) => text.push_str(l.value()),
                        // The partition (`data.aws_partition.current.partition`): any.
                        _ => text.push('\0'),
                    }
                }
            }
            _ => return None,
        }
        let (head, name) = text.split_once(":iam::aws:policy/")?;
        if !head.starts_with("arn:") || head[4..].contains(':') || name.contains('\0') || name.is_empty() {
            return None;
        }
        let arn = format!("arn:aws:iam::aws:policy/{name}");
        let kind = self.forced.unwrap_or(PolicyKind::Identity);
        let in_file = self.file_span(span.clone());
        match aws_managed::document(&arn, &in_file, at, kind) {
            Some((doc, syntax)) => {
                self.file_syntax.extend(syntax);
                self.documents.push(doc);
                let i = self.documents.len() - 1;
                self.aws_managed.insert(span, i);
                Some(i)
            }
            None => {
                self.gaps.push(Gap {
                    span: in_file,
                    locator: at.to_string(),
                    message: format!(
                        "{arn} is not an AWS managed policy iamlint knows, so what it grants is not analysed"
                    ),
                    label: format!("unknown to the snapshot of {}", crate::catalogue::managed::data_date()),
                    help: "check the name; a policy AWS published after the snapshot needs a newer iamlint".into(),
                });
                None
            }
        }
    }

    /// The path a `file()` argument names, relative to the module: a literal, or
    /// `"${path.module}/..."`.
    fn module_path(&self, e: &Expression) -> Option<PathBuf> {
        let text = match e {
            Expression::String(s) => s.value().to_string(),
            Expression::StringTemplate(t) => {
                let mut out = String::new();
                for el in t.iter() {
                    match el {
                        Element::Literal(l) => out.push_str(l.value()),
                        Element::Interpolation(i) if path_of(&i.expr).as_deref() == Some(&["path", "module"]) => {
                            out.push('.')
                        }
                        _ => return None,
                    }
                }
                out
            }
            _ => return None,
        };
        Some(PathBuf::from(text))
    }

    /// An HCL value as a policy tree, spans on the HCL.
    fn value(&self, e: &Expression) -> Node {
        let span = Self::span(e);
        match e {
            Expression::Null(_) => Node::Null(span),
            Expression::Bool(b) => Node::Bool(Spanned::new(*b.value(), span)),
            Expression::Number(_) => Node::Number(Spanned::new(self.written(&span), span)),
            Expression::String(s) => Node::String(Spanned::new(s.value().to_string(), span)),
            Expression::Array(a) => Node::Array(a.iter().map(|i| self.value(i)).collect(), span),
            Expression::Object(o) => Node::Object(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => {
                                Spanned::new(i.as_str().to_string(), i.span().unwrap_or(span.clone()))
                            }
                            ObjectKey::Expression(e) => match self.value(e) {
                                Node::String(s) => s,
                                other => self.scalar(&other, Self::span(e)),
                            },
                        };
                        (key, self.value(v.expr()))
                    })
                    .collect(),
                span,
            ),
            Expression::StringTemplate(t) => self.template(t.iter(), span),
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), span),
            Expression::Parenthesis(p) => self.value(p.inner()),
            _ => match self.var_default(e) {
                Some(literal) => literal.node(&span),
                None => self.unknown(e, span),
            },
        }
    }

    fn scalar(&self, node: &Node, span: Span) -> Spanned<String> {
        node.scalar_text().unwrap_or_else(|| Spanned::new(format!("${{{}}}", self.written(&span)), span))
    }

    fn unknown(&self, e: &Expression, span: Span) -> Node {
        let written = self.written(&span);
        Node::Unresolved(Unresolved {
            value: Spanned::new(format!("${{{written}}}"), span),
            parts: vec![UnresolvedPart { name: written.clone(), stands_for: stands_for(e) }],
            written,
        })
    }

    /// A string template: a string when every interpolation is known, otherwise an
    /// unresolved value with each unknown part written `${...}`.
    fn template<'e>(&self, elements: impl Iterator<Item = &'e Element>, span: Span) -> Node {
        let mut value = String::new();
        let mut parts = Vec::new();
        for el in elements {
            match el {
                Element::Literal(l) => value.push_str(l.value()),
                Element::Interpolation(i) => match self.fill(&i.expr) {
                    Fill::Known(v) => value.push_str(&v),
                    Fill::Unknown { name, stands_for } => {
                        value.push_str(&format!("${{{name}}}"));
                        parts.push(UnresolvedPart { name, stands_for });
                    }
                },
                Element::Directive(_) => {
                    let written = self.written(&span);
                    return Node::Unresolved(Unresolved {
                        value: Spanned::new(format!("${{{written}}}"), span),
                        parts: vec![UnresolvedPart { name: written.clone(), stands_for: None }],
                        written,
                    });
                }
            }
        }
        if parts.is_empty() {
            return Node::String(Spanned::new(value, span));
        }
        let written = self.text.get(span.clone()).unwrap_or_default().to_string();
        Node::Unresolved(Unresolved { value: Spanned::new(value, span), written, parts })
    }

    /// `var.NAME` with a literal default (in this file or a sibling `.tf` file).
    fn var_default(&self, e: &Expression) -> Option<Literal> {
        let path = path_of(e)?;
        let ["var", name] = path.as_slice() else { return None };
        if let Some(v) = self.variables.get(*name) {
            return Some(v.clone());
        }
        self.sibling_variables.get_or_init(|| sibling_variables(self.path, self.tree)).get(*name).cloned()
    }

    /// The document of `data.aws_iam_policy_document.NAME` (built once).
    fn data_document(&mut self, name: &str) -> Option<usize> {
        if let Some(&i) = self.data_index.get(name) {
            return Some(i);
        }
        let (tree, locators, size) = self.data_tree(name)?;
        let kind = self.forced.or(self.data_kinds.get(name).copied());
        let index = self.push(&tree, format!("data.aws_iam_policy_document.{name}"), kind, size, 0, Some(locators));
        self.data_index.insert(name.to_string(), index);
        Some(index)
    }

    /// The merged tree of a data source, with each statement's locator in the HCL.
    fn data_tree(&mut self, name: &str) -> Option<(Node, Vec<String>, usize)> {
        if self.building.iter().any(|b| b == name) || self.building.len() > 16 {
            return None;
        }
        let &(_, block) = self.data_documents.iter().find(|(n, _)| *n == name)?;
        self.building.push(name.to_string());
        let locator = format!("data.aws_iam_policy_document.{name}");
        let body = &block.body;
        let ident = block.ident.span().unwrap_or(0..0);
        let mut merged: Vec<Statement> = Vec::new();
        let mut problems: Vec<(Span, String)> = Vec::new();

        // The provider's order: source documents, then this block's statements (which
        // replace a source statement with the same Sid), then override documents.
        for (list, what) in [("source_policy_documents", "source"), ("override_policy_documents", "override")] {
            if what == "override" {
                let own = self.statements(body, &locator);
                merge(&mut merged, own);
            }
            let Some(attr) = body.get_attribute(list) else { continue };
            for (i, item) in list_items(&attr.value).into_iter().enumerate() {
                let from = format!("{locator}.{list}[{i}]");
                match self.merged_statements(item, &from) {
                    Ok(statements) => merge(&mut merged, statements),
                    Err(why) => problems.push((Self::span(item), why)),
                }
            }
        }
        self.building.pop();

        let mut top = Vec::new();
        let version = match body.get_attribute("version") {
            Some(a) => {
                (Spanned::new("Version".to_string(), a.key.span().unwrap_or(ident.clone())), self.value(&a.value))
            }
            None => (
                Spanned::new("Version".to_string(), ident.clone()),
                Node::String(Spanned::new("2012-10-17".to_string(), ident.clone())),
            ),
        };
        top.push(version);
        if let Some(a) = body.get_attribute("policy_id") {
            top.push((Spanned::new("Id".to_string(), a.key.span().unwrap_or(ident.clone())), self.value(&a.value)));
        }
        let locators: Vec<String> = merged.iter().map(|s| s.locator.clone()).collect();
        if !merged.is_empty() {
            let statements: Vec<Node> = merged.into_iter().map(|s| s.node).collect();
            top.push((
                Spanned::new("Statement".to_string(), ident.clone()),
                Node::Array(statements, block.span().unwrap_or(ident.clone())),
            ));
        }
        let tree = Node::Object(top, block.span().unwrap_or(ident));
        for (span, why) in problems {
            self.syntax_free_problem(span, why);
        }
        let size = rendered_size(&tree);
        Some((tree, locators, size))
    }

    /// Problems found while merging a data source are reported as syntax problems would
    /// be: they are about the HCL, not about a statement.
    fn syntax_free_problem(&mut self, span: Span, message: String) {
        self.syntax.push(SyntaxProblem {
            span,
            message,
            label: "its statements are not analysed".into(),
            help: Some(
                "reference an aws_iam_policy_document of this file, or lint the file that defines it as well".into(),
            ),
        });
    }

    /// The statements of a source or override document.
    fn merged_statements(&mut self, e: &'a Expression, from: &str) -> Result<Vec<Statement>, String> {
        if let Some(name) = data_reference(e) {
            if !self.data_documents.iter().any(|(n, _)| *n == name) {
                return Ok(Vec::new());
            }
            let (tree, locators, _) = self
                .data_tree(&name)
                .ok_or_else(|| format!("`data.aws_iam_policy_document.{name}` is merged into itself"))?;
            return Ok(statements_of(tree, Some(locators), from));
        }
        match self.source(e) {
            Source::Tree { node, .. } => Ok(statements_of(node, None, from)),
            Source::Data(_) | Source::Elsewhere => Ok(Vec::new()),
            Source::Unreadable { message, .. } => Err(format!("merged {message}")),
        }
    }

    /// The `statement` blocks of a data source (and `dynamic "statement"` contents).
    fn statements(&self, body: &Body, locator: &str) -> Vec<Statement> {
        let mut out = Vec::new();
        for (i, block) in content_blocks(body, "statement").into_iter().enumerate() {
            let locator = format!("{locator}.statement[{i}]");
            out.push(self.statement(block, locator));
        }
        out
    }

    fn statement(&self, block: &Block, locator: String) -> Statement {
        let body = &block.body;
        let ident = block.ident.span().unwrap_or(0..0);
        let span = block.span().unwrap_or(ident.clone());
        let mut props: Vec<(Spanned<String>, Node)> = Vec::new();
        let key = |name: &str, a: &hcl_edit::structure::Attribute| {
            Spanned::new(name.to_string(), a.key.span().unwrap_or(ident.clone()))
        };
        let mut sid = None;
        if let Some(a) = body.get_attribute("sid") {
            let node = self.value(&a.value);
            if let Node::String(s) = &node {
                sid = Some(s.value.clone()).filter(|s| !s.is_empty());
            }
            props.push((key("Sid", a), node));
        }
        match body.get_attribute("effect") {
            Some(a) => props.push((key("Effect", a), self.value(&a.value))),
            // The provider's default.
            None => props.push((
                Spanned::new("Effect".to_string(), ident.clone()),
                Node::String(Spanned::new("Allow".to_string(), ident.clone())),
            )),
        }
        for (attr, name, variables) in [
            ("actions", "Action", false),
            ("not_actions", "NotAction", false),
            ("resources", "Resource", true),
            ("not_resources", "NotResource", true),
        ] {
            if let Some(a) = body.get_attribute(attr) {
                let mut node = self.value(&a.value);
                if variables {
                    ampersand_variables(&mut node);
                }
                props.push((key(name, a), node));
            }
        }
        for (blocks, name) in [("principals", "Principal"), ("not_principals", "NotPrincipal")] {
            let found = content_blocks(body, blocks);
            if let Some(first) = found.first() {
                let key = Spanned::new(name.to_string(), first.ident.span().unwrap_or(ident.clone()));
                props.push((key, self.principal_node(&found)));
            }
        }
        let conditions = content_blocks(body, "condition");
        if let Some(first) = conditions.first() {
            let key = Spanned::new("Condition".to_string(), first.ident.span().unwrap_or(ident.clone()));
            props.push((key, self.conditions(&conditions)));
        }
        Statement { node: Node::Object(props, span), locator, sid }
    }

    /// `principals` blocks as the provider writes them: identifiers of one type together,
    /// and a lone `AWS`/`*` principal of `["*"]` as `"*"`.
    fn principal_node(&self, blocks: &[&Block]) -> Node {
        let span = blocks[0].span().unwrap_or(0..0);
        let mut entries: Vec<(Spanned<String>, Node)> = Vec::new();
        for block in blocks {
            let ty = match block.body.get_attribute("type") {
                Some(a) => {
                    let node = self.value(&a.value);
                    self.scalar(&node, Self::span(&a.value))
                }
                None => Spanned::new(String::new(), block.ident.span().unwrap_or(0..0)),
            };
            let mut ids = match block.body.get_attribute("identifiers") {
                Some(a) => self.value(&a.value),
                None => Node::Array(Vec::new(), block.span().unwrap_or(0..0)),
            };
            ampersand_variables(&mut ids);
            if blocks.len() == 1 && (ty.value == "AWS" || ty.value == "*") {
                let lone_star = match &ids {
                    Node::String(s) if s.value == "*" => Some(s.span.clone()),
                    Node::Array(items, _) if items.len() == 1 => match &items[0] {
                        Node::String(s) if s.value == "*" => Some(s.span.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(star) = lone_star {
                    return Node::String(Spanned::new("*".to_string(), star));
                }
            }
            match entries.iter_mut().find(|(k, _)| k.value == ty.value) {
                Some((_, existing)) => append(existing, ids),
                None => entries.push((ty, ids)),
            }
        }
        Node::Object(entries, span)
    }

    /// `condition` blocks: `{test: {variable: values}}`, values of one test and variable
    /// together.
    fn conditions(&self, blocks: &[&Block]) -> Node {
        let span = blocks[0].span().unwrap_or(0..0);
        let mut tests: Vec<(Spanned<String>, Node)> = Vec::new();
        for block in blocks {
            let body = &block.body;
            let ident = block.ident.span().unwrap_or(0..0);
            let text = |attr: &str| match body.get_attribute(attr) {
                Some(a) => {
                    let node = self.value(&a.value);
                    self.scalar(&node, Self::span(&a.value))
                }
                None => Spanned::new(String::new(), ident.clone()),
            };
            let (test, variable) = (text("test"), text("variable"));
            let mut values = match body.get_attribute("values") {
                Some(a) => self.value(&a.value),
                None => Node::Array(Vec::new(), block.span().unwrap_or(0..0)),
            };
            ampersand_variables(&mut values);
            let block_span = block.span().unwrap_or(ident.clone());
            let entries = match tests.iter_mut().find(|(k, _)| k.value == test.value) {
                Some((_, Node::Object(entries, _))) => entries,
                _ => {
                    tests.push((test, Node::Object(Vec::new(), block_span)));
                    match tests.last_mut() {
                        Some((_, Node::Object(entries, _))) => entries,
                        _ => continue,
                    }
                }
            };
            match entries.iter_mut().find(|(k, _)| k.value == variable.value) {
                Some((_, existing)) => append(existing, values),
                None => entries.push((variable, values)),
            }
        }
        Node::Object(tests, span)
    }

    fn holder(&mut self, kind: &'static str, key: String) -> &mut Holder {
        self.holders.entry((kind, key)).or_default()
    }

    /// Which role, user or group an expression names: `aws_iam_role.NAME.name` (or `.id`,
    /// `.arn`), or a literal name, matched to the resource that creates it in this file.
    fn holder_key(&self, kind: &str, e: &Expression) -> Option<String> {
        let resource = format!("aws_iam_{kind}");
        if let Some(path) = path_of(e)
            && path.len() >= 2
            && path[0] == resource
        {
            return Some(path[1].to_string());
        }
        let literal = e.as_str()?;
        let created = self.resources.iter().find(|(ty, _, block)| {
            *ty == resource && block.body.get_attribute("name").and_then(|a| a.value.as_str()) == Some(literal)
        });
        Some(match created {
            Some((_, name, _)) => name.to_string(),
            None => format!("\"{literal}\""),
        })
    }

    /// Attachments, boundaries and group memberships.
    fn attachments(&mut self) {
        for (ty, _, block) in self.resources.clone() {
            let body = &block.body;
            let get = |attr: &str| body.get_attribute(attr).map(|a| &a.value);
            let address = format!("{ty}.{}", block.labels.get(1).map_or("", |l| l.as_str()));
            let policy = match get("policy_arn") {
                Some(e) => match managed_reference(e) {
                    Some(p) => self.managed.get(p).copied(),
                    None => self.aws_managed(e, &format!("{address}.policy_arn")),
                },
                None => None,
            };
            match ty {
                "aws_iam_role_policy_attachment"
                | "aws_iam_user_policy_attachment"
                | "aws_iam_group_policy_attachment" => {
                    let kind = match ty {
                        "aws_iam_role_policy_attachment" => "role",
                        "aws_iam_user_policy_attachment" => "user",
                        _ => "group",
                    };
                    if let (Some(doc), Some(key)) = (policy, get(kind).and_then(|e| self.holder_key(kind, e))) {
                        self.holder(kind, key).documents.push(doc);
                    }
                }
                "aws_iam_policy_attachment" => {
                    let Some(doc) = policy else { continue };
                    for (attr, kind) in [("roles", "role"), ("users", "user"), ("groups", "group")] {
                        let keys: Vec<String> = get(attr)
                            .map(|e| list_items(e).into_iter().filter_map(|i| self.holder_key(kind, i)).collect())
                            .unwrap_or_default();
                        for key in keys {
                            self.holder(kind, key).documents.push(doc);
                        }
                    }
                }
                "aws_iam_role" | "aws_iam_user" => {
                    let kind = if ty == "aws_iam_role" { "role" } else { "user" };
                    let Some(name) = block.labels.get(1).map(|l| l.as_str().to_string()) else { continue };
                    let mut refs = |attr: &str| -> Vec<usize> {
                        let items = get(attr).map(list_items).unwrap_or_default();
                        items
                            .into_iter()
                            .enumerate()
                            .filter_map(|(k, e)| match managed_reference(e) {
                                Some(p) => self.managed.get(p).copied(),
                                None => self.aws_managed(e, &format!("{ty}.{name}.{attr}[{k}]")),
                            })
                            .collect()
                    };
                    let (attached, boundary) = (refs("managed_policy_arns"), refs("permissions_boundary"));
                    for &i in &boundary {
                        if self.documents[i].expanded_from.is_some() {
                            self.documents[i].kind = PolicyKind::Boundary;
                        }
                    }
                    let holder = self.holder(kind, name);
                    holder.documents.extend(attached);
                    holder.ceilings.extend(boundary);
                }
                "aws_iam_user_group_membership" => {
                    let Some(user) = get("user").and_then(|e| self.holder_key("user", e)) else { continue };
                    let groups: Vec<String> = get("groups")
                        .map(|e| list_items(e).into_iter().filter_map(|g| self.holder_key("group", g)).collect())
                        .unwrap_or_default();
                    self.holder("user", user).groups.extend(groups);
                }
                "aws_iam_group_membership" => {
                    let Some(group) = get("group").and_then(|e| self.holder_key("group", e)) else { continue };
                    let users: Vec<String> = get("users")
                        .map(|e| list_items(e).into_iter().filter_map(|u| self.holder_key("user", u)).collect())
                        .unwrap_or_default();
                    for user in users {
                        self.holder("user", user).groups.push(group.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// Principals with more than one document (or a boundary): what is judged together.
    fn principals(&self) -> Vec<PrincipalPolicies> {
        let mut out = Vec::new();
        for ((kind, key), holder) in &self.holders {
            let mut documents = holder.documents.clone();
            if *kind == "user" {
                for group in &holder.groups {
                    if let Some(g) = self.holders.get(&("group", group.clone())) {
                        documents.extend(&g.documents);
                    }
                }
            }
            documents.sort_unstable();
            documents.dedup();
            if documents.is_empty() {
                continue;
            }
            let resource = format!("aws_iam_{kind}");
            let (name, locator) = match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                Some(literal) => (literal.to_string(), String::new()),
                None => {
                    let block = self.resources.iter().find(|(ty, n, _)| *ty == resource && n == key);
                    // The `name` as written (`"ci-${var.env}"`), or the Terraform name.
                    let name = block
                        .and_then(|(_, _, b)| b.body.get_attribute("name"))
                        .map(|a| match self.value(&a.value) {
                            Node::String(s) => s.value,
                            Node::Unresolved(u) => u.value.value,
                            _ => key.clone(),
                        })
                        .unwrap_or_else(|| key.clone());
                    (name, format!("{resource}.{key}"))
                }
            };
            // The groups of the module a user is a member of (by `aws_iam_group_membership`
            // or `aws_iam_user_group_membership`) whose policies it holds: what they grant
            // alone is reported on the group, as for an account dump.
            let mut groups: Vec<String> = Vec::new();
            if *kind == "user" {
                for group in &holder.groups {
                    let held = self.holders.get(&("group", group.clone())).is_some_and(|g| !g.documents.is_empty());
                    let locator = format!("aws_iam_group.{group}");
                    if held && !group.starts_with('"') && !groups.contains(&locator) {
                        groups.push(locator);
                    }
                }
            }
            out.push(PrincipalPolicies {
                principal: PrincipalRef { kind, name, arn: String::new(), locator },
                documents,
                ceilings: holder.ceilings.clone(),
                trust: holder.trust,
                groups,
            });
        }
        out
    }
}

/// Provider merge: a statement with a Sid replaces the earlier one with the same Sid;
/// others are appended (`IAMPolicyDoc.Merge` in the AWS provider).
fn merge(into: &mut Vec<Statement>, new: Vec<Statement>) {
    for st in new {
        match st.sid.as_ref().and_then(|sid| into.iter().position(|s| s.sid.as_ref() == Some(sid))) {
            Some(i) => into[i] = st,
            None => into.push(st),
        }
    }
}

/// The statements of a policy tree, each with its locator.
fn statements_of(tree: Node, locators: Option<Vec<String>>, from: &str) -> Vec<Statement> {
    let Node::Object(props, _) = tree else { return Vec::new() };
    let Some((_, statements)) = props.into_iter().find(|(k, _)| k.value == "Statement") else { return Vec::new() };
    let items = match statements {
        Node::Array(items, _) => items,
        single @ Node::Object(..) => vec![single],
        _ => return Vec::new(),
    };
    let mut locators = locators.map(|l| l.into_iter());
    items
        .into_iter()
        .enumerate()
        .map(|(i, node)| {
            let sid = match &node {
                Node::Object(props, _) => props.iter().find_map(|(k, v)| match v {
                    Node::String(s) if k.value == "Sid" && !s.value.is_empty() => Some(s.value.clone()),
                    _ => None,
                }),
                _ => None,
            };
            let locator = locators.as_mut().and_then(|l| l.next()).unwrap_or_else(|| format!("{from}.Statement[{i}]"));
            Statement { node, locator, sid }
        })
        .collect()
}

/// Adds `more` to a list of values (both become one array).
fn append(existing: &mut Node, more: Node) {
    let span = existing.span();
    let mut items = match std::mem::replace(existing, Node::Null(0..0)) {
        Node::Array(items, _) => items,
        other => vec![other],
    };
    match more {
        Node::Array(more, _) => items.extend(more),
        other => items.push(other),
    }
    *existing = Node::Array(items, span);
}

/// The data source writes `&{aws:username}` for the policy variable `${aws:username}` (the
/// provider replaces it in resources, principals and condition values).
fn ampersand_variables(node: &mut Node) {
    match node {
        Node::String(s) if s.value.contains("&{") => s.value = s.value.replace("&{", "${"),
        Node::Unresolved(u) if u.value.value.contains("&{") => u.value.value = u.value.value.replace("&{", "${"),
        Node::Array(items, _) => items.iter_mut().for_each(ampersand_variables),
        _ => {}
    }
}

/// Blocks named `name` in a body, and the `content` of `dynamic "name"` blocks (analysed
/// once, their iterator values unresolved).
fn content_blocks<'b>(body: &'b Body, name: &str) -> Vec<&'b Block> {
    let mut out = Vec::new();
    for block in body.blocks() {
        if block.ident.as_str() == name {
            out.push(block);
        } else if block.ident.as_str() == "dynamic"
            && block.labels.first().map(|l| l.as_str()) == Some(name)
            && let Some(content) = block.body.get_blocks("content").next()
        {
            out.push(content);
        }
    }
    out
}

fn element_span(el: &Element) -> Option<Span> {
    match el {
        Element::Literal(l) => l.span(),
        Element::Interpolation(i) => i.span(),
        Element::Directive(d) => d.span(),
    }
}

/// The names of a plain reference (`aws_iam_role.ci.arn`, `var.x`); index operators
/// (`aws_iam_role.ci[0].arn`) are skipped, splats make it no plain reference.
fn path_of(e: &Expression) -> Option<Vec<&str>> {
    match e {
        Expression::Variable(v) => Some(vec![v.as_str()]),
        Expression::Parenthesis(p) => path_of(p.inner()),
        Expression::Traversal(t) => {
            let mut path = path_of(&t.expr)?;
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(name) => path.push(name.as_str()),
                    TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => {}
                    _ => return None,
                }
            }
            Some(path)
        }
        Expression::StringTemplate(t) if t.len() == 1 => match t.iter().next() {
            Some(Element::Interpolation(i)) => path_of(&i.expr),
            _ => None,
        },
        _ => None,
    }
}

/// `data.aws_iam_policy_document.NAME.json` (or `.minified_json`): NAME.
fn data_reference(e: &Expression) -> Option<String> {
    match path_of(e)?.as_slice() {
        ["data", "aws_iam_policy_document", name, "json" | "minified_json"] => Some(name.to_string()),
        _ => None,
    }
}

/// `aws_iam_policy.NAME.arn` (or `.id`): NAME.
fn managed_reference(e: &Expression) -> Option<&str> {
    match path_of(e)?.as_slice() {
        ["aws_iam_policy", name, "arn" | "id" | "policy_id"] => Some(name),
        _ => None,
    }
}

/// The resource type and attribute a reference stands for (`aws_s3_bucket.logs.arn`).
fn stands_for(e: &Expression) -> Option<(String, String)> {
    match path_of(e)?.as_slice() {
        [ty, _, attr, ..] if ty.starts_with("aws_") => Some((ty.to_string(), attr.to_string())),
        _ => None,
    }
}

/// The items of a list expression (or the expression itself).
fn list_items(e: &Expression) -> Vec<&Expression> {
    match e {
        Expression::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

/// A value that reads as a policy wherever it stands: `jsonencode` of an object with a
/// `Statement`, JSON text naming `"Statement"`, or an `aws_iam_policy_document`.
fn policy_shaped(e: &Expression) -> bool {
    match e {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => call.args.iter().any(|a| match a {
            Expression::Object(o) => o.iter().any(|(k, _)| match k {
                ObjectKey::Ident(i) => i.as_str() == "Statement",
                ObjectKey::Expression(e) => e.as_str() == Some("Statement"),
            }),
            _ => false,
        }),
        Expression::HeredocTemplate(h) => h.template.iter().any(|el| match el {
            Element::Literal(l) => l.value().contains("\"Statement\""),
            _ => false,
        }),
        Expression::String(s) => s.value().contains("\"Statement\""),
        _ => false,
    }
}

/// The size of the JSON Terraform renders for a tree (`jsonencode` writes it minified).
fn rendered_size(node: &Node) -> usize {
    let string = |s: &str| serde_json::to_string(s).map_or(s.chars().count() + 2, |q| q.chars().count());
    match node {
        Node::String(s) => string(&s.value),
        Node::Unresolved(u) => string(&u.value.value),
        Node::Number(n) => n.value.chars().count(),
        Node::Bool(b) => {
            if b.value {
                4
            } else {
                5
            }
        }
        Node::Null(_) => 4,
        Node::Array(items, _) => 2 + items.iter().map(rendered_size).sum::<usize>() + items.len().saturating_sub(1),
        Node::Object(props, _) => {
            2 + props.iter().map(|(k, v)| string(&k.value) + 1 + rendered_size(v)).sum::<usize>()
                + props.len().saturating_sub(1)
        }
    }
}

/// `relative` joined to `dir`, when it stays inside `dir` (symbolic links resolved).
fn inside(dir: &Path, relative: &Path) -> Option<PathBuf> {
    if relative.is_absolute() {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let file = dir.join(relative).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

/// `relative` inside `dir` for a tree that is not on disk: its `.` and `..` worked out by
/// name, `None` when it is absolute or climbs above `dir`.
fn inside_tree(dir: &Path, relative: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for part in relative.components() {
        match part {
            std::path::Component::Normal(name) => parts.push(name),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts.iter().fold(dir.to_path_buf(), |path, name| path.join(name)))
}

/// `variable` defaults of the other `.tf` files in the directory of `path` (Terraform
/// reads a module's directory as one configuration), for when the siblings are not read
/// with the file (a `.tf.json` file; a module whose files do not parse as one body).
/// Nothing outside that directory is read, and nothing when `path` is not a file on disk.
fn sibling_variables(path: &Path, tree: Option<&Tree>) -> HashMap<String, Literal> {
    let mut out = HashMap::new();
    for (_, text) in sibling_texts(path, tree, usize::MAX) {
        // Only files that declare variables are parsed.
        if !text.contains("variable") {
            continue;
        }
        let Ok(body) = hcl_edit::parser::parse_body(text.trim_start_matches('\u{feff}')) else { continue };
        for block in body.blocks() {
            if block.ident.as_str() == "variable"
                && let Some(name) = block.labels.first()
                && let Some(default) = block.body.get_attribute("default").and_then(|a| Literal::of(&a.value))
            {
                out.entry(name.as_str().to_string()).or_insert(default);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> LoadedFile {
        let source = Arc::new(SourceFile::new("mem/main.tf", text.to_string()));
        match load(source, &LoadOptions::default()) {
            Loaded::Policy(f) => f,
            Loaded::NotPolicy(why) => panic!("not a policy: {why}"),
        }
    }

    fn under<'t>(text: &'t str, span: &Span) -> &'t str {
        &text[span.clone()]
    }

    #[test]
    fn jsonencode_values_are_spanned_on_the_hcl() {
        let text = r#"resource "aws_iam_policy" "deploy" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::${var.bucket}/*" }]
  })
}
"#;
        let f = load_text(text);
        assert_eq!(f.documents.len(), 1);
        let doc = &f.documents[0];
        assert_eq!(doc.locator, "aws_iam_policy.deploy");
        assert_eq!(doc.kind, PolicyKind::Identity);
        let st = &doc.statements[0];
        assert_eq!(st.locator, "aws_iam_policy.deploy.Statement[0]");
        let action = &st.action.as_ref().unwrap().values[0];
        assert_eq!(under(text, &action.span), "\"s3:GetObject\"");
        let resource = &st.resource.as_ref().unwrap().values[0];
        assert_eq!(resource.value, "arn:aws:s3:::${var.bucket}/*");
        assert_eq!(doc.unresolved.len(), 1);
        assert_eq!(doc.unresolved[0].parts[0].name, "var.bucket");
    }

    #[test]
    fn heredoc_interpolations_keep_exact_offsets() {
        let text = "resource \"aws_iam_role_policy\" \"p\" {\n  role = aws_iam_role.r.id\n  policy = <<-EOT\n    {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\",\n      \"Resource\": [\"${aws_s3_bucket.b.arn}/*\", \"arn:aws:s3:::x/$${aws:username}\"]}]}\n  EOT\n}\n";
        let f = load_text(text);
        assert!(f.syntax.is_empty(), "{:?}", f.syntax);
        let st = &f.documents[0].statements[0];
        let values = &st.resource.as_ref().unwrap().values;
        assert_eq!(values[0].value, "${aws_s3_bucket.b.arn}/*");
        assert_eq!(under(text, &values[0].span), "\"${aws_s3_bucket.b.arn}/*\"");
        assert_eq!(values[1].value, "arn:aws:s3:::x/${aws:username}");
        let part = &f.documents[0].unresolved[0].parts[0];
        assert_eq!(part.stands_for, Some(("aws_s3_bucket".to_string(), "arn".to_string())));
    }

    #[test]
    fn a_syntax_error_is_one_problem() {
        let text = "resource \"aws_iam_policy\" \"x\" {\n  policy = jsonencode({\n}\n";
        let f = load_text(text);
        assert_eq!(f.syntax.len(), 1);
        assert!(f.syntax[0].message.starts_with("Terraform syntax error"), "{}", f.syntax[0].message);
        assert!(f.documents.is_empty());
    }

    #[test]
    fn files_without_policies_are_not_policies() {
        let source = Arc::new(SourceFile::new("x.tf", "resource \"aws_s3_bucket\" \"b\" { bucket = \"x\" }\n".into()));
        assert!(matches!(load(source, &LoadOptions::default()), Loaded::NotPolicy(_)));
    }

    #[test]
    fn data_source_statements_principals_and_conditions() {
        let text = r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:org/*"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:other/*"]
    }
  }
}
resource "aws_iam_role" "ci" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#;
        let f = load_text(text);
        assert_eq!(f.documents.len(), 1);
        let doc = &f.documents[0];
        assert_eq!(doc.kind, PolicyKind::Trust);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let st = &doc.statements[0];
        assert_eq!(st.locator, "data.aws_iam_policy_document.trust.statement[0]");
        assert!(st.is_allow());
        let cond = st.condition.as_ref().unwrap();
        assert_eq!(cond.operators.len(), 1);
        assert_eq!(cond.operators[0].entries.len(), 1);
        assert_eq!(cond.operators[0].entries[0].values.len(), 2);
        assert_eq!(under(text, &cond.operators[0].entries[0].values[1].span), "\"repo:other/*\"");
    }

    #[test]
    fn source_and_override_documents_merge_by_sid() {
        let text = r#"data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    sid       = "Write"
    actions   = ["s3:PutObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "combined" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [jsonencode({ Statement = [{ Sid = "Write", Effect = "Deny", Action = "s3:PutObject", Resource = "*" }] })]
  statement {
    sid       = "Read"
    actions   = ["s3:ListBucket"]
    resources = ["*"]
  }
}
"#;
        let f = load_text(text);
        let combined = f.documents.iter().find(|d| d.locator.ends_with("combined")).unwrap();
        let locators: Vec<&str> = combined.statements.iter().map(|s| s.locator.as_str()).collect();
        assert_eq!(
            locators,
            [
                "data.aws_iam_policy_document.combined.statement[0]",
                "data.aws_iam_policy_document.combined.override_policy_documents[0].Statement[0]"
            ]
        );
        assert!(combined.statements[1].is_deny());
        let read = &combined.statements[0].action.as_ref().unwrap().values[0];
        assert_eq!(read.value, "s3:ListBucket");
    }

    #[test]
    fn attachments_group_a_roles_policies() {
        let text = r#"resource "aws_iam_role" "ci" { name = "ci" }
resource "aws_iam_policy" "a" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }] })
}
resource "aws_iam_policy" "b" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:RunInstances", Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.a.arn
}
resource "aws_iam_role_policy_attachment" "b" {
  role       = "ci"
  policy_arn = aws_iam_policy.b.arn
}
"#;
        let f = load_text(text);
        assert_eq!(f.principals.len(), 1);
        let p = &f.principals[0];
        assert_eq!((p.principal.kind, p.principal.name.as_str()), ("role", "ci"));
        assert_eq!(p.principal.locator, "aws_iam_role.ci");
        assert_eq!(p.documents, vec![0, 1]);
    }

    #[test]
    fn unreadable_policies_are_problems() {
        let text = "resource \"aws_iam_policy\" \"x\" {\n  policy = var.policy\n}\n";
        let f = load_text(text);
        assert_eq!(f.documents.len(), 1);
        let problem = &f.documents[0].problems[0];
        assert_eq!(under(text, &problem.span), "var.policy");
        assert!(problem.message.contains("unknown until deployment"));
    }
}
