//! DIFF: what a change grants. Two sides (OLD and NEW: two files, two directories, or a
//! git revision and the working tree) are loaded and linted as `check` does; documents
//! are matched by file and locator, principals by ARN or locator; for each concrete
//! catalogue action the grant model (`resolve::Subject::grants`, Denies credited) of
//! both sides is compared: `new-action`, `wider`, `looser` and, the other way, `removed`,
//! `narrower`, `tighter`; trust and resource policies also by who they name
//! (`new-principal`). Findings are compared by fingerprint: introduced and fixed.

pub mod git;

use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue, Containment, contains, wildcard_match};
use crate::diagnostic::{Finding, PrincipalRef};
use crate::filter::{self, FilterOptions, UNREADABLE, fingerprint_of, fingerprint_parts};
use crate::formats::{Loaded, Tree};
use crate::lint::{Checked, LintOptions, MAX_FILE_BYTES, check_keeping, load_bytes_in};
use crate::policy::{Effect, PolicyKind, Principal, Statement};
use crate::resolve::{ResolvedDocument, Subject};
use crate::source::SourceFile;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One file of one side: the key it is matched by (its path relative to the side's
/// root), the path reports name, and its content (or why it could not be read).
#[derive(Debug)]
pub struct SideFile {
    pub key: String,
    pub path: PathBuf,
    pub bytes: Result<Vec<u8>, String>,
    /// The path the configuration's globs (policy kinds, suppressions) are matched at: the
    /// file's path in NEW, on both sides (`path` unless the caller says otherwise).
    pub at: PathBuf,
    /// The kind the configuration gives the file's documents.
    pub kind: Option<PolicyKind>,
    /// The side's files when they are not on disk (a git revision's): a Terraform file's
    /// module is read from here.
    pub tree: Option<Arc<Tree>>,
}

impl SideFile {
    /// Reads a file from disk (at most `MAX_FILE_BYTES`).
    pub fn read(key: String, path: PathBuf) -> SideFile {
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                Err(format!("file is {} MiB; iamlint reads files up to {} MiB", m.len() >> 20, MAX_FILE_BYTES >> 20))
            }
            Ok(_) => std::fs::read(&path).map_err(|e| format!("cannot read: {}", crate::discover::io_reason(&e))),
            Err(e) => Err(format!("cannot read: {}", crate::discover::io_reason(&e))),
        };
        SideFile { key, at: path.clone(), path, bytes, kind: None, tree: None }
    }
}

/// Which side a statement stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Old,
    New,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

/// What changed for one action (or one principal) of a document or principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Granted now, on no resource before.
    NewAction,
    /// Granted before, now on more resources.
    Wider,
    /// A narrowing condition removed or widened.
    Looser,
    /// A trust or resource policy names someone it did not (an account, everyone, a service).
    NewPrincipal,
    /// Not granted any more.
    Removed,
    /// Granted on fewer resources.
    Narrower,
    /// A narrowing condition added or narrowed.
    Tighter,
    /// A trust or resource policy no longer names someone.
    RemovedPrincipal,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewAction => "new-action",
            ChangeKind::Wider => "wider",
            ChangeKind::Looser => "looser",
            ChangeKind::NewPrincipal => "new-principal",
            ChangeKind::Removed => "removed",
            ChangeKind::Narrower => "narrower",
            ChangeKind::Tighter => "tighter",
            ChangeKind::RemovedPrincipal => "removed-principal",
        }
    }

    /// Whether the change grants access (the other kinds take it away).
    pub fn adds(self) -> bool {
        matches!(self, ChangeKind::NewAction | ChangeKind::Wider | ChangeKind::Looser | ChangeKind::NewPrincipal)
    }
}

/// A condition entry that narrows a grant, as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cond {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

/// A statement a change comes from, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementAt {
    pub side: Side,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub index: usize,
    pub sid: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// The concrete catalogue action (`s3:PutObject`); for principal changes, the
    /// principal as written (`arn:aws:iam::444455556666:root`, `*`, `ec2.amazonaws.com`).
    pub action: String,
    pub access_level: AccessLevel,
    /// The resource patterns the change is about: every one for `new-action` and
    /// `removed`, the new (or gone) ones for `wider` (`narrower`), those whose condition
    /// changed for `looser` (`tighter`). `NotResource` values are written `NotResource: v`.
    pub resources: Vec<String>,
    /// The narrowing conditions of the grant (NEW's for added access, OLD's for removed).
    pub conditions: Vec<Cond>,
    /// Why: the condition removed or widened, "may be wider" when containment could not be
    /// decided, who a new principal is.
    pub detail: Option<String>,
    /// False when containment of two patterns could not be decided ("may be wider").
    pub certain: bool,
    pub statements: Vec<StatementAt>,
}

/// Whether the subject is new, gone, or on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// The changes of one document (or one principal's documents taken together).
#[derive(Debug)]
pub struct SubjectChanges {
    pub file: String,
    pub locator: String,
    pub principal: Option<PrincipalRef>,
    pub kind: PolicyKind,
    pub status: Status,
    /// Most dangerous first: access level, then kind, then action.
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
}

/// Everything a diff found.
#[derive(Debug, Default)]
pub struct DiffReport {
    pub changes: Vec<SubjectChanges>,
    /// Findings of NEW that OLD did not have (by fingerprint), and the other way.
    pub introduced: Vec<Finding>,
    pub fixed: Vec<Finding>,
    /// Files that could not be read or parsed on either side: the run fails (exit 2).
    pub errors: Vec<(PathBuf, String)>,
    /// Files compared (present on at least one side and holding a policy).
    pub files: usize,
}

/// One file on each side (absent on one when added or removed).
type Pair = (Option<SideFile>, Option<SideFile>);

/// Compares two sides. Files are matched by key; the rules of `options` run on both.
pub fn diff(old: Vec<SideFile>, new: Vec<SideFile>, options: &LintOptions, catalogue: &Catalogue) -> DiffReport {
    diff_with(old, new, options, &FilterOptions::default(), catalogue)
}

/// `diff`, the findings of both sides filtered as `check` filters them (severity
/// overrides, suppressions) before they are compared.
pub fn diff_with(
    old: Vec<SideFile>,
    new: Vec<SideFile>,
    options: &LintOptions,
    filter: &FilterOptions,
    catalogue: &Catalogue,
) -> DiffReport {
    let mut pairs: BTreeMap<String, Pair> = BTreeMap::new();
    for f in old {
        let key = f.key.clone();
        pairs.entry(key).or_default().0 = Some(f);
    }
    for f in new {
        let key = f.key.clone();
        pairs.entry(key).or_default().1 = Some(f);
    }
    let changed = changed_modules(&pairs);
    let pairs: Vec<(String, Pair)> = pairs.into_iter().collect();
    let results: Vec<FileDiff> = pairs
        .into_par_iter()
        .map(|(key, (o, n))| {
            let module_changed = module_of(&key).is_some_and(|dir| changed.contains(dir));
            diff_file(&key, o, n, module_changed, options, filter, catalogue)
        })
        .collect();
    let mut report = DiffReport::default();
    for r in results {
        report.files += usize::from(r.compared);
        report.changes.extend(r.changes);
        report.introduced.extend(r.introduced);
        report.fixed.extend(r.fixed);
        report.errors.extend(r.errors);
    }
    report
}

/// The directory of a Terraform file (by key): its module, whose `.tf` files are read
/// together (`formats::terraform`).
fn module_of(key: &str) -> Option<&Path> {
    let path = Path::new(key);
    path.extension().is_some_and(|e| e == "tf").then(|| path.parent().unwrap_or(Path::new("")))
}

/// The modules in which some `.tf` file differs between the sides (changed, added or
/// removed): in them, a file whose own bytes are the same may still grant something else
/// (a principal of this file holds a policy written in a sibling that changed), so it is
/// compared, not passed over as unchanged.
fn changed_modules(pairs: &BTreeMap<String, Pair>) -> BTreeSet<PathBuf> {
    pairs
        .iter()
        .filter(|(_, (o, n))| match (o, n) {
            (Some(SideFile { bytes: Ok(a), .. }), Some(SideFile { bytes: Ok(b), .. })) => a != b,
            _ => true,
        })
        .filter_map(|(key, _)| module_of(key).map(Path::to_path_buf))
        .collect()
}

#[derive(Default)]
struct FileDiff {
    compared: bool,
    changes: Vec<SubjectChanges>,
    introduced: Vec<Finding>,
    fixed: Vec<Finding>,
    errors: Vec<(PathBuf, String)>,
}

/// One side of a file, loaded: `None` when it is absent or holds no policy.
fn load_side(
    file: Option<SideFile>,
    options: &LintOptions,
    filter: &FilterOptions,
    catalogue: &Catalogue,
) -> Result<Option<Checked>, (PathBuf, String)> {
    let Some(file) = file else { return Ok(None) };
    let bytes = file.bytes.map_err(|e| (file.path.clone(), e))?;
    // The command line's --policy-kind wins over the configuration's kind for the file.
    let kinded;
    let options = match (options.kind, file.kind) {
        (None, Some(kind)) => {
            kinded = LintOptions { kind: Some(kind), ..options.clone() };
            &kinded
        }
        _ => options,
    };
    match load_bytes_in(&file.path, bytes, false, options, file.tree.clone()) {
        Loaded::NotPolicy(_) => Ok(None),
        Loaded::Policy(loaded) => {
            let checked = check_keeping(loaded, options, catalogue).map_err(|m| (file.path.clone(), m))?;
            // A file that does not parse may hide a policy nobody read: the run breaks.
            if let Some(f) = checked.findings.iter().find(|f| f.rule.id == UNREADABLE) {
                let (line, column) = f.source.line_col(f.span.start);
                return Err((file.path, format!("cannot be parsed: {} (line {line}, column {column})", f.message)));
            }
            let mut checked = checked;
            let findings = std::mem::take(&mut checked.findings);
            checked.findings = filter::apply_file_at(findings, &file.path, Some(&file.at), filter).kept;
            Ok(Some(checked))
        }
    }
}

fn diff_file(
    key: &str,
    old: Option<SideFile>,
    new: Option<SideFile>,
    module_changed: bool,
    options: &LintOptions,
    filter: &FilterOptions,
    catalogue: &Catalogue,
) -> FileDiff {
    let mut out = FileDiff::default();
    // An unchanged file grants nothing new and introduces nothing: it is only read, so
    // that one that does not parse still breaks the run.
    let same = !module_changed
        && matches!((&old, &new), (Some(SideFile { bytes: Ok(a), .. }), Some(SideFile { bytes: Ok(b), .. })) if a == b);
    let options = if same {
        &LintOptions { rules: crate::rules::find(UNREADABLE).into_iter().collect(), ..options.clone() }
    } else {
        options
    };
    // Identical bytes parse the same: read once.
    let old = if same { Ok(None) } else { load_side(old, options, filter, catalogue) };
    let new = load_side(new, options, filter, catalogue);
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            out.errors.extend(o.err().into_iter().chain(n.err()));
            return out;
        }
    };
    if same {
        out.compared = new.is_some();
        return out;
    }
    let (mut old, mut new) = (old, new);
    let old_views = old.as_mut().map(|c| ceiling_views(c, catalogue)).unwrap_or_default();
    let new_views = new.as_mut().map(|c| ceiling_views(c, catalogue)).unwrap_or_default();
    if old.is_none() && new.is_none() {
        return out;
    }
    out.compared = true;
    let file = new.as_ref().or(old.as_ref()).map(|c| c.source.display_path()).unwrap_or_default();
    // Findings, by fingerprint over the key (the same file on both sides).
    let print = |f: &Finding| {
        let mut parts = fingerprint_parts(f);
        parts[1] = key.to_string();
        fingerprint_of(&parts)
    };
    let mut counts: HashMap<String, isize> = HashMap::new();
    for f in old.iter().flat_map(|c| &c.findings) {
        *counts.entry(print(f)).or_default() += 1;
    }
    for f in new.iter().flat_map(|c| &c.findings) {
        let n = counts.entry(print(f)).or_default();
        *n -= 1;
        if *n < 0 {
            out.introduced.push(f.clone());
        }
    }
    let mut left: HashMap<String, isize> = HashMap::new();
    for f in new.iter().flat_map(|c| &c.findings) {
        *left.entry(print(f)).or_default() += 1;
    }
    for f in old.iter().flat_map(|c| &c.findings) {
        let n = left.entry(print(f)).or_default();
        *n -= 1;
        if *n < 0 {
            out.fixed.push(f.clone());
        }
    }
    // Subjects, matched by key.
    let (mut old_subjects, old_keys) = old.as_ref().map(|c| subjects(c, &old_views)).unwrap_or_default();
    let (mut new_subjects, new_keys) = new.as_ref().map(|c| subjects(c, &new_views)).unwrap_or_default();
    // A principal on one side only (a role that gains its second policy becomes one) is
    // compared with the same documents on the other side taken together.
    regroup(&mut old_subjects, &old_keys, &new_subjects, new.as_ref(), &new_keys);
    regroup(&mut new_subjects, &new_keys, &old_subjects, old.as_ref(), &old_keys);
    let mut keys: BTreeSet<&String> = old_subjects.keys().collect();
    keys.extend(new_subjects.keys());
    for k in keys {
        let o = old_subjects.get(k).zip(old.as_ref());
        let n = new_subjects.get(k).zip(new.as_ref());
        if let Some(changes) = compare_subject(&file, o, n, catalogue) {
            out.changes.push(changes);
        }
    }
    out
}

/// A ceiling (SCP, RCP, permissions boundary) no principal holds as a grant, read as what
/// it allows: a copy of it as an identity policy is added to the file's documents, so that
/// the grant model says what passes it (Allows, unconditional Denies credited).
/// (original index, copy index) for each.
fn ceiling_views(c: &mut Checked, catalogue: &Catalogue) -> Vec<(usize, usize)> {
    let held: BTreeSet<usize> = c.principals.iter().flat_map(|p| p.documents.iter().copied()).collect();
    let ceilings: Vec<usize> = (0..c.documents.len())
        .filter(|i| !held.contains(i))
        // A sibling's ceiling (a Terraform module's other file) is judged in its own file.
        .filter(|&i| c.documents[i].doc.span.start <= c.source.text.len())
        .filter(|&i| {
            matches!(
                c.documents[i].doc.kind,
                PolicyKind::ServiceControl | PolicyKind::ResourceControl | PolicyKind::Boundary
            )
        })
        .collect();
    let mut views = Vec::with_capacity(ceilings.len());
    for i in ceilings {
        let doc = crate::policy::PolicyDocument { kind: PolicyKind::Identity, ..c.documents[i].doc.clone() };
        c.documents.push(crate::resolve::resolve(doc, catalogue));
        views.push((i, c.documents.len() - 1));
    }
    views
}

/// What is judged in a file: each principal with its documents, and each document that
/// no principal holds (trust policies, resource policies, standalone policies).
#[derive(Debug, Clone)]
enum Spec {
    Document(usize),
    /// A ceiling read as what it allows: its kind, and the index of its identity copy.
    Ceiling {
        kind: PolicyKind,
        view: usize,
    },
    Principal(usize),
    /// The documents (and ceilings) of this side that the other side's principal holds.
    Group {
        documents: Vec<usize>,
        ceilings: Vec<usize>,
    },
}

/// The subjects of a file by key, and each document's key (`views`: the ceilings read as
/// what they allow, `ceiling_views`).
fn subjects(c: &Checked, views: &[(usize, usize)]) -> (BTreeMap<String, Spec>, Vec<String>) {
    let mut out = BTreeMap::new();
    let held: BTreeSet<usize> = c.principals.iter().flat_map(|p| p.documents.iter().copied()).collect();
    let copies: BTreeSet<usize> = views.iter().map(|(_, v)| *v).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut keys = Vec::with_capacity(c.documents.len());
    for (i, d) in c.documents.iter().enumerate() {
        if copies.contains(&i) {
            // A copy is judged under its original's key, never matched as a document.
            keys.push(format!("v:{i}"));
            continue;
        }
        // Two documents at one locator (the two readings of a CloudFormation `Fn::If`).
        let n = seen.entry(d.doc.locator.as_str()).or_default();
        let key = if *n == 0 { format!("d:{}", d.doc.locator) } else { format!("d:{}#{n}", d.doc.locator) };
        *n += 1;
        // A document of another file read with this one (a Terraform module's sibling) is
        // judged alone in that file's diff, not here.
        if !held.contains(&i) && d.doc.span.start <= c.source.text.len() {
            let spec = match views.iter().find(|(o, _)| *o == i) {
                Some(&(_, view)) => Spec::Ceiling { kind: d.doc.kind, view },
                None => Spec::Document(i),
            };
            out.insert(key.clone(), spec);
        }
        keys.push(key);
    }
    // A principal of a Terraform module is judged in one file: the first, by path, holding
    // one of its documents (each file of the module reads all of them).
    let file_of = |i: usize| -> &Path {
        let at = c.documents.get(i).map_or(0, |d| d.doc.span.start);
        match c.context.iter().rev().find(|(base, _)| *base <= at) {
            Some((_, sibling)) if at > c.source.text.len() => &sibling.path,
            _ => &c.source.path,
        }
    };
    for (i, p) in c.principals.iter().enumerate() {
        let home = p.documents.iter().chain(&p.ceilings).chain(&p.trust).map(|&d| file_of(d)).min();
        if home.is_some_and(|h| h != c.source.path.as_path()) {
            continue;
        }
        let r = &p.principal;
        let key =
            if r.arn.is_empty() { format!("p:{}:{}:{}", r.kind, r.locator, r.name) } else { format!("p:{}", r.arn) };
        out.insert(key, Spec::Principal(i));
    }
    (out, keys)
}

/// For each principal of the other side that this side lacks, this side's documents with
/// the keys of its documents and ceilings, as one subject (taken out of the documents
/// judged alone).
fn regroup(
    mine: &mut BTreeMap<String, Spec>,
    my_keys: &[String],
    theirs: &BTreeMap<String, Spec>,
    other: Option<&Checked>,
    their_keys: &[String],
) {
    let Some(other) = other else { return };
    for (k, spec) in theirs {
        let Spec::Principal(i) = spec else { continue };
        if mine.contains_key(k) {
            continue;
        }
        let p = &other.principals[*i];
        let find = |list: &[usize]| -> Vec<usize> {
            let wanted: BTreeSet<&str> = list.iter().filter_map(|&d| their_keys.get(d)).map(String::as_str).collect();
            my_keys.iter().enumerate().filter(|(_, key)| wanted.contains(key.as_str())).map(|(j, _)| j).collect()
        };
        let documents = find(&p.documents);
        if documents.is_empty() {
            continue;
        }
        for j in &documents {
            mine.remove(&my_keys[*j]);
        }
        mine.insert(k.clone(), Spec::Group { documents, ceilings: find(&p.ceilings) });
    }
}

/// A subject of one side, built.
struct Built<'d> {
    subject: Subject<'d>,
    source: &'d Arc<SourceFile>,
    /// The files read with `source` (a Terraform module's siblings).
    context: &'d [(usize, Arc<SourceFile>)],
    side: Side,
    /// The documents it is made of (to read their principals and kinds).
    documents: Vec<&'d ResolvedDocument>,
    /// Its granting statements and its unconditional Denies, each with its content key,
    /// and the content of its ceilings: what an action's grant is a function of.
    relevant: Vec<(&'d Statement, &'d ActionSet, String)>,
    ceilings: Vec<String>,
    /// The file as reports name it (worked out once: every change names it).
    file: String,
}

/// Builds a subject; a `Group` is judged as the principal `as_principal` (the other side's).
fn build<'d>(spec: &Spec, c: &'d Checked, side: Side, as_principal: Option<&'d PrincipalRef>) -> Built<'d> {
    let pick = |list: &[usize]| list.iter().filter_map(|&i| c.documents.get(i)).collect::<Vec<_>>();
    let (subject, documents, ceilings) = match spec {
        Spec::Group { documents, ceilings } => {
            let principal = as_principal.expect("a group stands for the other side's principal");
            (Subject::principal(pick(documents), pick(ceilings), principal), pick(documents), pick(ceilings))
        }
        Spec::Document(i) | Spec::Ceiling { view: i, .. } => {
            (Subject::document(&c.documents[*i]), vec![&c.documents[*i]], Vec::new())
        }
        Spec::Principal(i) => {
            let p = &c.principals[*i];
            let ceilings = pick(&p.ceilings);
            (Subject::principal(pick(&p.documents), ceilings.clone(), &p.principal), pick(&p.documents), ceilings)
        }
    };
    let mut relevant = Vec::new();
    for d in &documents {
        for (st, rs) in d.statements() {
            if d.is_granting(st) || (st.is_deny() && !st.is_conditional()) {
                relevant.push((st, &rs.actions, statement_key(d.doc.kind, st)));
            }
        }
    }
    let mut ceilings: Vec<String> =
        ceilings.iter().flat_map(|d| d.doc.statements.iter().map(|st| statement_key(d.doc.kind, st))).collect();
    ceilings.sort();
    let file = c.source.display_path();
    Built { subject, source: &c.source, context: &c.context, side, documents, relevant, ceilings, file }
}

/// A statement's content, without positions: two statements with the same key grant the
/// same (the grant model reads nothing else of them).
fn statement_key(kind: PolicyKind, st: &Statement) -> String {
    let mut k = String::with_capacity(128);
    k.push_str(kind.as_str());
    k.push(match st.effect.as_ref().map(|e| e.value) {
        Some(Effect::Allow) => 'A',
        Some(Effect::Deny) => 'D',
        None => '?',
    });
    for (name, list) in [("a", &st.action), ("r", &st.resource)] {
        if let Some(list) = list {
            k.push_str(if list.negated { "\0N" } else { "\0" });
            k.push_str(name);
            for v in &list.values {
                k.push('\u{1}');
                k.push_str(&v.value);
            }
        }
    }
    if let Some(p) = &st.principal {
        k.push_str(if p.negated { "\0NP" } else { "\0P" });
        match &p.principal {
            Principal::Wildcard(_) => k.push('*'),
            Principal::Map(entries) => {
                for e in entries {
                    k.push('\u{2}');
                    k.push_str(&e.kind.value);
                    for v in &e.values {
                        k.push('\u{1}');
                        k.push_str(&v.value);
                    }
                }
            }
        }
    }
    if let Some(c) = &st.condition {
        k.push_str("\0C");
        for (op, e) in c.entries() {
            k.push('\u{2}');
            k.push_str(&op.name.value);
            k.push('\u{3}');
            k.push_str(&e.key.value);
            for v in &e.values {
                k.push('\u{1}');
                k.push_str(&v.value);
            }
        }
    }
    k
}

/// A resource a grant reaches: a pattern, or every resource but those a NotResource lists.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Res<'d> {
    Pattern(&'d str),
    Not(Vec<&'d str>),
}

impl Res<'_> {
    fn text(&self) -> String {
        match self {
            Res::Pattern(p) => p.to_string(),
            Res::Not(values) => format!("NotResource: {}", values.join(", ")),
        }
    }

    /// Whether every resource `inner` names, `self` names.
    fn contains(&self, inner: &Res) -> Containment {
        match (self, inner) {
            (Res::Pattern(o), Res::Pattern(i)) => contains(o, i),
            (Res::Pattern(o), Res::Not(_)) => {
                if *o == "*" {
                    Containment::Yes
                } else {
                    Containment::Unknown
                }
            }
            // Everything but `os` contains everything but `is` when each of `os` lies in one of `is`.
            (Res::Not(os), Res::Not(is)) => {
                let all = os
                    .iter()
                    .map(|o| is.iter().map(|i| contains(i, o)).fold(Containment::No, or))
                    .fold(Containment::Yes, and);
                if all == Containment::Yes { Containment::Yes } else { Containment::Unknown }
            }
            // Everything but `os` contains a literal none of `os` matches.
            (Res::Not(os), Res::Pattern(i)) if !crate::catalogue::has_wildcard(i) => {
                if os.iter().any(|o| wildcard_match(o, i, false)) { Containment::No } else { Containment::Yes }
            }
            (Res::Not(_), Res::Pattern(_)) => Containment::Unknown,
        }
    }

    /// A text the resource names that none of `others` names, when one is easily found:
    /// then `self` is certainly not covered by them.
    fn escapes(&self, others: &[&Res<'_>]) -> bool {
        match self {
            Res::Pattern(p) => {
                let witnesses = [p.replace(['*', '?'], ""), p.replace(['*', '?'], "\u{1}")];
                let w = if p.contains('?') { &witnesses[1..] } else { &witnesses[..] };
                w.iter().any(|w| {
                    others.iter().all(|o| match o {
                        Res::Pattern(o) => !wildcard_match(o, w, false),
                        Res::Not(os) => os.iter().any(|o| wildcard_match(o, w, false)),
                    })
                })
            }
            // Everything but a list is not covered by patterns none of which is `*`.
            Res::Not(_) => others.iter().all(|o| matches!(o, Res::Pattern(p) if *p != "*")),
        }
    }
}

fn or(a: Containment, b: Containment) -> Containment {
    match (a, b) {
        (Containment::Yes, _) | (_, Containment::Yes) => Containment::Yes,
        (Containment::Unknown, _) | (_, Containment::Unknown) => Containment::Unknown,
        _ => Containment::No,
    }
}

fn and(a: Containment, b: Containment) -> Containment {
    match (a, b) {
        (Containment::No, _) | (_, Containment::No) => Containment::No,
        (Containment::Unknown, _) | (_, Containment::Unknown) => Containment::Unknown,
        _ => Containment::Yes,
    }
}

/// One resource of one grant of an action: the grant model's answer, piece by piece.
struct Piece<'d> {
    res: Res<'d>,
    conds: Vec<Cond>,
    st: &'d Statement,
}

fn pieces<'d>(b: &Built<'d>, action: ActionId, catalogue: &Catalogue) -> Vec<Piece<'d>> {
    let mut out = Vec::new();
    for g in b.subject.grants(action, catalogue) {
        let mut conds: Vec<Cond> = g
            .narrowing()
            .into_iter()
            .map(|(op, e)| Cond {
                operator: op.name.value.clone(),
                key: e.key.value.clone(),
                values: e.values.iter().map(|v| v.value.clone()).collect(),
            })
            .collect();
        conds.sort();
        if g.resources.is_empty() {
            let values = g.statement.resource.iter().flat_map(|r| &r.values).map(|v| v.value.as_str()).collect();
            out.push(Piece { res: Res::Not(values), conds, st: g.statement });
        } else {
            for r in &g.resources {
                out.push(Piece { res: Res::Pattern(&r.value), conds: conds.clone(), st: g.statement });
            }
        }
    }
    out
}

/// Why conditions `now` let more through than `before`: an entry of `before` that `now`
/// has no entry at least as narrow for (same operator and key, values among its values).
/// `None` when `now` is at least as narrow.
fn looser(now: &[Cond], before: &[Cond]) -> Option<String> {
    for b in before {
        let same = |n: &&Cond| n.operator.eq_ignore_ascii_case(&b.operator) && n.key.eq_ignore_ascii_case(&b.key);
        let wildcards = b.operator.to_ascii_lowercase().contains("like");
        let within = |n: &Cond| {
            n.values
                .iter()
                .all(|v| b.values.iter().any(|w| if wildcards { contains(w, v) == Containment::Yes } else { w == v }))
        };
        let candidates: Vec<&Cond> = now.iter().filter(same).collect();
        if candidates.is_empty() {
            return Some(format!("condition {} `{}` removed", b.operator, b.key));
        }
        if !candidates.iter().any(|n| within(n)) {
            let extra: Vec<String> = candidates
                .iter()
                .flat_map(|n| &n.values)
                .filter(|v| !b.values.contains(v))
                .map(|v| format!("`{v}`"))
                .collect();
            return Some(format!("condition {} `{}` widened to {}", b.operator, b.key, extra.join(", ")));
        }
    }
    None
}

/// How a piece of one side stands against the other side's pieces of the same action.
#[derive(Clone)]
enum Verdict {
    Covered,
    /// Not covered: certainly (a witness), or maybe (containment undecided).
    Uncovered {
        certain: bool,
    },
    /// Covered on its resources only under a narrower condition: why.
    Conditions(String),
}

/// Containment of two Resource values, remembered across the actions of a subject (the
/// same values come back for every action a statement grants). Keyed by address: the
/// values are borrowed from the documents.
///
/// Also the verdicts on whole lists of pieces: the actions of one resource type that one
/// statement grants have the same pieces, so `s3:*` beside a list of buckets is judged
/// once per resource type, not once per action.
#[derive(Default)]
struct Memo {
    pairs: HashMap<(usize, usize, usize, usize), Containment>,
    verdicts: HashMap<Vec<usize>, Vec<Verdict>>,
}

/// What a list of pieces is made of, by address (the value and its statement, which also
/// fixes its conditions).
fn shape(pieces: &[Piece<'_>], out: &mut Vec<usize>) {
    for p in pieces {
        out.push(p.st as *const Statement as usize);
        match &p.res {
            Res::Pattern(v) => out.extend([v.as_ptr() as usize, v.len()]),
            Res::Not(vs) => {
                out.push(usize::MAX);
                out.extend(vs.iter().flat_map(|v| [v.as_ptr() as usize, v.len()]));
            }
        }
    }
    out.push(usize::MAX - 1);
}

impl Memo {
    fn contains(&mut self, outer: &Res<'_>, inner: &Res<'_>) -> Containment {
        match (outer, inner) {
            (Res::Pattern(o), Res::Pattern(i)) => *self
                .pairs
                .entry((o.as_ptr() as usize, o.len(), i.as_ptr() as usize, i.len()))
                .or_insert_with(|| contains(o, i)),
            _ => outer.contains(inner),
        }
    }
}

fn judge(p: &Piece<'_>, others: &[Piece<'_>], memo: &mut Memo) -> Verdict {
    let mut condition = None;
    for q in others {
        if memo.contains(&q.res, &p.res) == Containment::Yes {
            match looser(&p.conds, &q.conds) {
                None => return Verdict::Covered,
                Some(why) => condition = condition.or(Some(why)),
            }
        }
    }
    let resources: Vec<&Res<'_>> = others.iter().map(|q| &q.res).collect();
    if p.res.escapes(&resources) || others.is_empty() {
        return Verdict::Uncovered { certain: true };
    }
    match condition {
        Some(why) => Verdict::Conditions(why),
        None => Verdict::Uncovered { certain: false },
    }
}

fn statement_at(b: &Built<'_>, st: &Statement) -> StatementAt {
    // A statement of a module's sibling file (`Checked::context`) stands in that file: its
    // span is past the end of this file's text, counted from where the sibling's starts.
    let sibling = (st.span.start > b.source.text.len())
        .then(|| b.context.iter().rev().find(|(base, _)| *base <= st.span.start))
        .flatten();
    let (source, base, file) = match sibling {
        Some((base, f)) => (f, *base, f.display_path()),
        None => (b.source, 0, b.file.clone()),
    };
    let (line, column) = source.line_col(st.span.start - base);
    let (end_line, end_column) = source.line_col(st.span.end.saturating_sub(base));
    StatementAt {
        side: b.side,
        file,
        line,
        column,
        end_line,
        end_column,
        index: st.index,
        sid: st.sid.as_ref().map(|s| s.value.clone()),
    }
}

/// The changes of one side's pieces against the other's, for one action: `from` is the
/// side whose pieces are judged (NEW for added access, OLD for removed).
fn action_changes(
    action: &str,
    level: AccessLevel,
    from: (&Built<'_>, &[Piece<'_>]),
    against: &[Piece<'_>],
    adding: bool,
    memo: &mut Memo,
) -> Vec<Change> {
    let (b, mine) = from;
    let (gone, wider, conditions) = if adding {
        (ChangeKind::NewAction, ChangeKind::Wider, ChangeKind::Looser)
    } else {
        (ChangeKind::Removed, ChangeKind::Narrower, ChangeKind::Tighter)
    };
    let change = |kind, ps: &[&Piece<'_>], detail: Option<String>, certain| {
        let mut resources: Vec<String> = ps.iter().map(|p| p.res.text()).collect();
        resources.dedup();
        let mut conditions: Vec<Cond> = ps.iter().flat_map(|p| p.conds.iter().cloned()).collect();
        conditions.sort();
        conditions.dedup();
        let mut statements: Vec<StatementAt> = ps.iter().map(|p| statement_at(b, p.st)).collect();
        statements.sort();
        statements.dedup();
        Change {
            kind,
            action: action.to_string(),
            access_level: level,
            resources,
            conditions,
            detail,
            certain,
            statements,
        }
    };
    if mine.is_empty() {
        return Vec::new();
    }
    if against.is_empty() {
        let all: Vec<&Piece<'_>> = mine.iter().collect();
        return vec![change(gone, &all, None, true)];
    }
    let (mut out_wide, mut maybe, mut cond) = (Vec::new(), Vec::new(), Vec::new());
    let mut why: Vec<String> = Vec::new();
    let mut key = Vec::new();
    shape(mine, &mut key);
    shape(against, &mut key);
    let verdicts = match memo.verdicts.get(&key) {
        Some(v) => v.clone(),
        None => {
            let v: Vec<Verdict> = mine.iter().map(|p| judge(p, against, memo)).collect();
            memo.verdicts.insert(key, v.clone());
            v
        }
    };
    for (p, verdict) in mine.iter().zip(verdicts) {
        match verdict {
            Verdict::Covered => {}
            Verdict::Uncovered { certain: true } => out_wide.push(p),
            Verdict::Uncovered { certain: false } => maybe.push(p),
            Verdict::Conditions(w) => {
                if !why.contains(&w) {
                    why.push(w);
                }
                cond.push(p);
            }
        }
    }
    let mut out = Vec::new();
    if !out_wide.is_empty() || !maybe.is_empty() {
        let certain = maybe.is_empty();
        let detail = (!certain).then(|| {
            if adding {
                "may be wider: containment of these patterns could not be decided"
            } else {
                "may be narrower: containment of these patterns could not be decided"
            }
            .to_string()
        });
        let all: Vec<&Piece<'_>> = out_wide.into_iter().chain(maybe).collect();
        out.push(change(wider, &all, detail, certain));
    }
    if !cond.is_empty() {
        out.push(change(conditions, &cond, Some(why.join("; ")), true));
    }
    out
}

fn compare_subject<'d>(
    file: &str,
    old: Option<(&'d Spec, &'d Checked)>,
    new: Option<(&'d Spec, &'d Checked)>,
    catalogue: &Catalogue,
) -> Option<SubjectChanges> {
    let principal_of = |side: Option<(&Spec, &'d Checked)>| match side {
        Some((Spec::Principal(i), c)) => Some(&c.principals[*i].principal),
        _ => None,
    };
    let (old_principal, new_principal) = (principal_of(old), principal_of(new));
    let o = old.map(|(s, c)| build(s, c, Side::Old, new_principal));
    let n = new.map(|(s, c)| build(s, c, Side::New, old_principal));
    let (locator, principal, kind) = match (new_principal.or(old_principal), new.or(old)?) {
        (Some(p), _) => (p.locator.clone(), Some(p.clone()), PolicyKind::Identity),
        (None, (Spec::Document(i), c)) => (c.documents[*i].doc.locator.clone(), None, c.documents[*i].doc.kind),
        (None, (Spec::Ceiling { kind, view }, c)) => (c.documents[*view].doc.locator.clone(), None, *kind),
        (None, _) => return None,
    };
    let mut added = Vec::new();
    let mut removed = Vec::new();
    // The actions either side grants.
    let mut actions = ActionSet::new();
    for b in o.iter().chain(n.iter()) {
        for (st, set, _) in &b.relevant {
            if st.is_allow() {
                actions.union_with(set);
            }
        }
    }
    let ceilings_same = match (&o, &n) {
        (Some(o), Some(n)) => o.ceilings == n.ceilings,
        _ => false,
    };
    let mut memo = Memo::default();
    for id in actions.iter(catalogue) {
        // An action whose statements (and ceilings) read the same on both sides is
        // granted the same: nothing to work out.
        if ceilings_same && signature(o.as_ref(), id).eq(signature(n.as_ref(), id)) {
            continue;
        }
        let old_pieces = o.as_ref().map(|b| pieces(b, id, catalogue)).unwrap_or_default();
        let new_pieces = n.as_ref().map(|b| pieces(b, id, catalogue)).unwrap_or_default();
        if old_pieces.is_empty() && new_pieces.is_empty() {
            continue;
        }
        let name = catalogue.action_name(id);
        let level = catalogue.action_access(id);
        if let Some(nb) = &n {
            added.extend(action_changes(&name, level, (nb, &new_pieces), &old_pieces, true, &mut memo));
        }
        if let Some(ob) = &o {
            removed.extend(action_changes(&name, level, (ob, &old_pieces), &new_pieces, false, &mut memo));
        }
    }
    // A ceiling's conditional Denies (a region restriction, a guard on a tag) are not
    // credited by the grant model: one removed lets through what it denied under its
    // conditions (`looser`), one added holds back what it denies (`tighter`).
    if matches!(new.or(old), Some((Spec::Ceiling { .. }, _))) {
        let (o_denies, n_denies) = (o.as_ref().map(conditional_denies), n.as_ref().map(conditional_denies));
        let (o_denies, n_denies) = (o_denies.unwrap_or_default(), n_denies.unwrap_or_default());
        if let Some(nb) = &n {
            let reported: BTreeSet<String> = added.iter().map(|c| c.action.clone()).collect();
            for (k, &(st, set)) in &o_denies {
                if n_denies.contains_key(k) {
                    continue;
                }
                let ob = o.as_ref().expect("a Deny of OLD");
                added.extend(deny_changes(
                    ChangeKind::Looser,
                    (st, set),
                    ob,
                    allowed(nb, catalogue),
                    &reported,
                    catalogue,
                ));
            }
        }
        if let Some(ob) = &o {
            let reported: BTreeSet<String> = removed.iter().map(|c| c.action.clone()).collect();
            for (k, &(st, set)) in &n_denies {
                if o_denies.contains_key(k) {
                    continue;
                }
                let nb = n.as_ref().expect("a Deny of NEW");
                removed.extend(deny_changes(
                    ChangeKind::Tighter,
                    (st, set),
                    nb,
                    allowed(ob, catalogue),
                    &reported,
                    catalogue,
                ));
            }
        }
    }
    // Who trust and resource policies name.
    if principal.is_none() {
        let old_who = o.as_ref().map(who).unwrap_or_default();
        let new_who = n.as_ref().map(who).unwrap_or_default();
        let old_accounts: BTreeSet<&str> = old_who.values().filter_map(|w| w.account.as_deref()).collect();
        let new_accounts: BTreeSet<&str> = new_who.values().filter_map(|w| w.account.as_deref()).collect();
        for (value, w) in &new_who {
            if !old_who.contains_key(value) {
                let fresh = w.account.as_deref().is_some_and(|a| !old_accounts.contains(a));
                added.push(principal_change(ChangeKind::NewPrincipal, w, fresh, n.as_ref()?, catalogue));
            }
        }
        for (value, w) in &old_who {
            if !new_who.contains_key(value) {
                let gone = w.account.as_deref().is_some_and(|a| !new_accounts.contains(a));
                removed.push(principal_change(ChangeKind::RemovedPrincipal, w, gone, o.as_ref()?, catalogue));
            }
        }
    }
    if added.is_empty() && removed.is_empty() && o.is_some() && n.is_some() {
        return None;
    }
    let order = |a: &Change, b: &Change| {
        b.access_level.cmp(&a.access_level).then(a.kind.cmp(&b.kind)).then_with(|| a.action.cmp(&b.action))
    };
    added.sort_by(order);
    removed.sort_by(order);
    let status = match (&o, &n) {
        (None, _) => Status::Added,
        (_, None) => Status::Removed,
        _ => Status::Changed,
    };
    Some(SubjectChanges { file: file.to_string(), locator, principal, kind, status, added, removed })
}

/// A subject's conditional Deny statements, by content key.
fn conditional_denies<'d>(b: &Built<'d>) -> BTreeMap<String, (&'d Statement, &'d ActionSet)> {
    let mut out = BTreeMap::new();
    for d in &b.documents {
        for (st, rs) in d.statements() {
            if st.is_deny() && st.is_conditional() {
                out.insert(statement_key(d.doc.kind, st), (st, &rs.actions));
            }
        }
    }
    out
}

/// The actions a subject's Allow statements name.
fn allowed(b: &Built<'_>, _catalogue: &Catalogue) -> ActionSet {
    let mut set = ActionSet::new();
    for (st, actions, _) in &b.relevant {
        if st.is_allow() {
            set.union_with(actions);
        }
    }
    set
}

/// The changes a conditional Deny of a ceiling makes, gone (`Looser`, statement in OLD)
/// or new (`Tighter`, in NEW): one per action it names that the other side's ceiling
/// allows, unless that action already has a change of its own (`reported`).
fn deny_changes(
    kind: ChangeKind,
    (st, set): (&Statement, &ActionSet),
    from: &Built<'_>,
    mut allowed: ActionSet,
    reported: &BTreeSet<String>,
    catalogue: &Catalogue,
) -> Vec<Change> {
    allowed.intersect_with(set, catalogue);
    let mut conditions: Vec<Cond> = st
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .map(|(op, e)| Cond {
            operator: op.name.value.clone(),
            key: e.key.value.clone(),
            values: e.values.iter().map(|v| v.value.clone()).collect(),
        })
        .collect();
    conditions.sort();
    let resources: Vec<String> = match &st.resource {
        Some(r) if r.negated => {
            vec![format!("NotResource: {}", r.values.iter().map(|v| v.value.as_str()).collect::<Vec<_>>().join(", "))]
        }
        Some(r) => r.values.iter().map(|v| v.value.clone()).collect(),
        None => Vec::new(),
    };
    let detail = match kind {
        ChangeKind::Looser => {
            "a conditional Deny of the ceiling removed: it no longer holds this back under its conditions"
        }
        _ => "a conditional Deny added to the ceiling: it holds this back under its conditions",
    };
    let at = statement_at(from, st);
    allowed
        .iter(catalogue)
        .map(|id| (catalogue.action_name(id), id))
        .filter(|(name, _)| !reported.contains(name.as_str()))
        .map(|(name, id)| Change {
            kind,
            action: name,
            access_level: catalogue.action_access(id),
            resources: resources.clone(),
            conditions: conditions.clone(),
            detail: Some(detail.to_string()),
            certain: true,
            statements: vec![at.clone()],
        })
        .collect()
}

/// The content keys of the statements an action's grant is a function of, in order.
fn signature<'a>(b: Option<&'a Built<'_>>, id: ActionId) -> impl Iterator<Item = &'a str> {
    b.into_iter().flat_map(|b| &b.relevant).filter(move |(_, set, _)| set.contains(id)).map(|(_, _, k)| k.as_str())
}

/// Someone a trust or resource policy names, and the statements naming them.
#[derive(Debug, Default)]
struct Who<'d> {
    /// The principal as first written.
    written: String,
    description: String,
    account: Option<String>,
    statements: Vec<(&'d Statement, &'d ActionSet)>,
}

/// Who the Allow statements of a subject's trust and resource policies name, by value.
fn who<'d>(b: &Built<'d>) -> BTreeMap<String, Who<'d>> {
    let mut out: BTreeMap<String, Who<'d>> = BTreeMap::new();
    for d in &b.documents {
        if !d.doc.kind.has_principal() {
            continue;
        }
        for (st, rs) in d.statements() {
            let Some(block) = st.principal.as_ref().filter(|_| st.is_allow()) else { continue };
            let mut named: Vec<(String, String, String, Option<String>)> = Vec::new();
            match (&block.principal, block.negated) {
                (_, true) => named.push((
                    "NotPrincipal".into(),
                    "NotPrincipal".into(),
                    "everyone but the principals NotPrincipal lists (public)".into(),
                    None,
                )),
                (Principal::Wildcard(_), false) => {
                    named.push(("*".into(), "*".into(), "everyone (public)".into(), None))
                }
                (Principal::Map(entries), false) => {
                    for e in entries {
                        for v in &e.values {
                            let (key, description, account) = describe(&e.kind.value, &v.value);
                            named.push((key, v.value.clone(), description, account));
                        }
                    }
                }
            }
            for (value, written, description, account) in named {
                let entry =
                    out.entry(value).or_insert_with(|| Who { written, description, account, statements: Vec::new() });
                entry.statements.push((st, &rs.actions));
            }
        }
    }
    out
}

/// A principal value: (the key it is compared by, who it is, its account).
fn describe(kind: &str, value: &str) -> (String, String, Option<String>) {
    let account_of = |v: &str| -> Option<String> {
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return Some(v.to_string());
        }
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        (parts.len() >= 5 && parts[0] == "arn" && !parts[4].is_empty()).then(|| parts[4].to_string())
    };
    match kind {
        "AWS" if value == "*" => ("*".into(), "everyone (public)".into(), None),
        "AWS" => {
            let account = account_of(value);
            let is_root = value.len() == 12 || value.ends_with(":root");
            let key = match (&account, is_root) {
                (Some(a), true) => format!("account {a}"),
                _ => value.to_string(),
            };
            let description = match (&account, is_root) {
                (Some(a), true) => format!("account {a}"),
                (Some(a), false) => format!("`{value}` in account {a}"),
                (None, _) => format!("`{value}`"),
            };
            (key, description, account)
        }
        "Service" => (format!("service {value}"), format!("the service {value}"), None),
        "Federated" => (format!("federated {value}"), format!("identities federated by {value}"), None),
        other => (format!("{other} {value}"), format!("{other} `{value}`"), None),
    }
}

fn principal_change(
    kind: ChangeKind,
    w: &Who<'_>,
    account_changes: bool,
    b: &Built<'_>,
    catalogue: &Catalogue,
) -> Change {
    let mut level = AccessLevel::List;
    for (_, set) in &w.statements {
        if let Some((l, _)) = set.count_by_level(catalogue).first() {
            level = level.max(*l);
        }
    }
    let mut statements: Vec<StatementAt> = w.statements.iter().map(|(st, _)| statement_at(b, st)).collect();
    statements.sort();
    statements.dedup();
    let detail = match (account_changes, kind) {
        (true, ChangeKind::NewPrincipal) => format!("{} (an account not named before)", w.description),
        (true, _) => format!("{} (no longer named at all)", w.description),
        _ => w.description.clone(),
    };
    Change {
        kind,
        action: w.written.clone(),
        access_level: level,
        resources: Vec::new(),
        conditions: Vec::new(),
        detail: Some(detail),
        certain: true,
        statements,
    }
}

impl DiffReport {
    /// The added changes at or above `level`.
    pub fn new_access_at_or_above(&self, level: AccessLevel) -> usize {
        self.changes.iter().flat_map(|c| &c.added).filter(|c| c.access_level >= level).count()
    }
}
