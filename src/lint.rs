//! Orchestration, for one file and for many: read, load (the adapter registry), resolve,
//! run the rules over each document and each principal, complete drafts into findings.

use crate::catalogue::ActionSet;
use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::diagnostic::{
    ACCESS_LEVELS, Category, Declared, Draft, Finding, LevelCount, Outcome, PolicyRole, PolicySummary, PrincipalRef,
    ServiceAccess, SubjectSummary, Waiver,
};
use crate::discover::{Candidate, io_reason};
use crate::formats::{self, Gap, LoadOptions, Loaded, LoadedFile, SyntaxProblem};
use crate::policy::{PolicyKind, PrincipalPolicies};
use crate::resolve::{Memos, Principals, ResolvedDocument, Subject, resolve};
use crate::rules::{Check, Context, Rule};
use crate::source::{SourceFile, Span};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Policy files are a few KB; authorization dumps a few MB. Anything larger is not
/// read (and reported), so one stray file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone)]
pub struct LintOptions {
    pub rules: Vec<&'static Rule>,
    /// Forces the kind of every document (otherwise inferred).
    pub kind: Option<PolicyKind>,
    /// Facts about the user's environment that rules read.
    pub settings: Settings,
    /// Service control policies (`--scp`): ceilings of every principal of every file.
    pub scps: Arc<[ResolvedDocument]>,
}

/// What a run asks beyond findings: the access tables (only the reports for people show
/// them: they cost a grant-model query per action granted), and a progress display.
#[derive(Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Compute `SubjectSummary::access`.
    pub access: bool,
    pub progress: Option<&'a dyn Progress>,
}

/// Told how far a run has come: one unit per file, and for a file with many principals
/// (an account dump) one more per rule run over them.
pub trait Progress: Sync {
    /// More units of work are known.
    fn planned(&self, units: u64);
    /// Units of work are done.
    fn advance(&self, units: u64);
}

/// A file holding more principals than this reports its progress rule by rule.
const MANY_PRINCIPALS: usize = 20;

/// What linting one file gives: its outcome, its subjects, and the suppressions it
/// declares (for a file that was linted).
pub type FileResult = (FileOutcome, Vec<SubjectSummary>, Option<Declared>);

/// The result of linting one file.
#[derive(Debug)]
pub enum FileOutcome {
    Linted(Vec<Finding>),
    Skipped(String),
    Failed(String),
}

/// Lints many files in parallel; the outcome is in a deterministic order.
pub fn lint_files(candidates: &[Candidate], options: &LintOptions, catalogue: &Catalogue) -> Outcome {
    lint_files_with(candidates, options, catalogue, Extras::default())
}

/// `lint_files`, with the subjects' summaries (and their access tables when asked) and
/// progress reports.
pub fn lint_files_with(
    candidates: &[Candidate],
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> Outcome {
    if let Some(p) = extras.progress {
        p.planned(candidates.len() as u64);
    }
    let lint = |c: &Candidate| (c.path.clone(), lint_candidate(c, options, catalogue, extras));
    // The files of one Terraform module are read and analysed once (`lint_module`).
    let units = modules_of(candidates);
    let lint_unit = |(module, unit): &(bool, Vec<usize>)| -> Vec<(usize, (PathBuf, FileResult))> {
        if !module {
            return unit.iter().map(|&i| (i, lint(&candidates[i]))).collect();
        }
        let members: Vec<&Candidate> = unit.iter().map(|&i| &candidates[i]).collect();
        let results = lint_module(&members, &options_for(members[0], options), catalogue, extras);
        let mut out = Vec::new();
        for (&i, result) in unit.iter().zip(results) {
            match result {
                Some(result) => {
                    if let Some(p) = extras.progress {
                        p.advance(1);
                    }
                    out.push((i, (candidates[i].path.clone(), result)));
                }
                None => out.push((i, lint(&candidates[i]))),
            }
        }
        out
    };
    // Starting the thread pool costs more than linting the one file a pre-commit hook passes.
    let mut results: Vec<(usize, (PathBuf, FileResult))> = if units.len() > 1 {
        units.par_iter().flat_map_iter(lint_unit).collect()
    } else {
        units.iter().flat_map(lint_unit).collect()
    };
    results.sort_by_key(|(i, _)| *i);
    let results: Vec<(PathBuf, FileResult)> = results.into_iter().map(|(_, r)| r).collect();
    let mut outcome = Outcome::default();
    // A finding a file's run moved into a sibling file (`keep_own`) is dropped when that
    // sibling is linted in this run too: its own run reports it.
    let linted: std::collections::HashSet<PathBuf> = results
        .iter()
        .filter(|(_, (r, ..))| matches!(r, FileOutcome::Linted(_)))
        .map(|(p, _)| crate::source::absolute(p))
        .collect();
    let results = results.into_iter().map(|(path, (mut result, subjects, declared))| {
        if let FileOutcome::Linted(findings) = &mut result {
            findings.retain(|f| f.source.path == path || !linted.contains(&crate::source::absolute(&f.source.path)));
        }
        (path, (result, subjects, declared))
    });
    for (path, (result, subjects, declared)) in results {
        record(&mut outcome, path, result);
        outcome.subjects.extend(subjects);
        outcome.declared.extend(declared);
    }
    outcome.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
}

/// The options a file is linted with: the command line's --policy-kind wins over the
/// configuration's kind for the file.
fn options_for<'a>(c: &Candidate, options: &'a LintOptions) -> std::borrow::Cow<'a, LintOptions> {
    match (options.kind, c.kind) {
        (None, Some(kind)) => std::borrow::Cow::Owned(LintOptions { kind: Some(kind), ..options.clone() }),
        _ => std::borrow::Cow::Borrowed(options),
    }
}

/// Lints one file the walk found (its progress reported), with the kind the
/// configuration gives it.
pub fn lint_candidate(c: &Candidate, options: &LintOptions, catalogue: &Catalogue, extras: Extras<'_>) -> FileResult {
    let result = lint_path_with(&c.path, c.explicit, &options_for(c, options), catalogue, extras);
    if let Some(p) = extras.progress {
        p.advance(1);
    }
    result
}

/// A module's files' results, each until it is asked for.
type ModuleResults = Vec<Mutex<Option<FileResult>>>;

/// Files of a run linted one at a time, in any order and on any thread (a report written
/// as the run goes), with each Terraform module the run names read and analysed once, as
/// `lint_files_with` does: the first of its files asked for lints the module
/// (`lint_module`) and keeps the other files' results until they are asked for.
pub struct Modules<'c> {
    /// Each module (its `.tf` and `.tf.json` files the run names, one or more): its files,
    /// and their results once linted.
    units: Vec<(Vec<&'c Candidate>, OnceLock<ModuleResults>)>,
    /// A file's module and place in it, by its path.
    place: HashMap<&'c Path, (usize, usize)>,
}

impl<'c> Modules<'c> {
    pub fn new(candidates: &[&'c Candidate]) -> Modules<'c> {
        let mut units = Vec::new();
        let mut place = HashMap::new();
        for (module, unit) in modules_of(candidates.iter().copied()) {
            if !module {
                continue;
            }
            for (k, &i) in unit.iter().enumerate() {
                place.insert(candidates[i].path.as_path(), (units.len(), k));
            }
            units.push((unit.iter().map(|&i| candidates[i]).collect(), OnceLock::new()));
        }
        Modules { units, place }
    }

    /// `lint_candidate`, for a module's file from the module's one analysis.
    pub fn lint(&self, c: &Candidate, options: &LintOptions, catalogue: &Catalogue, extras: Extras<'_>) -> FileResult {
        if let Some(&(unit, k)) = self.place.get(c.path.as_path()) {
            let (members, results) = &self.units[unit];
            let results = results.get_or_init(|| {
                let options = options_for(members[0], options);
                lint_module(members, &options, catalogue, extras).into_iter().map(Mutex::new).collect()
            });
            let taken = results.get(k).and_then(|r| r.lock().ok()?.take());
            if let Some(result) = taken {
                if let Some(p) = extras.progress {
                    p.advance(1);
                }
                return result;
            }
        }
        lint_candidate(c, options, catalogue, extras)
    }
}

/// How far ahead of the oldest result not yet handed on the workers of `in_order` may
/// run, per thread: what bounds the results held at once.
const AHEAD_PER_THREAD: usize = 8;

/// Maps `work` over `items` on the thread pool and hands each result to `sink`, on the
/// calling thread, in the order of `items`, as soon as every earlier one is done. Workers
/// take items in order and stay at most a few items per thread ahead of `sink`, so the
/// results held at once are bounded by that window (a run's memory by its largest files,
/// not by how many there are). One item is worked on the calling thread (starting the
/// pool costs more than the one file a pre-commit hook passes).
pub fn in_order<I: Sync, T: Send>(items: &[I], work: impl Fn(&I) -> T + Sync, mut sink: impl FnMut(T)) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if items.len() <= 1 {
        for item in items {
            sink(work(item));
        }
        return;
    }
    let threads = rayon::current_num_threads().max(1);
    let window = threads * AHEAD_PER_THREAD;
    let next = AtomicUsize::new(0);
    let handed = AtomicUsize::new(0);
    // A worker that panics never sends its item: the others must not wait for it.
    let failed = std::sync::atomic::AtomicBool::new(false);
    struct OnPanic<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for OnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.store(true, Ordering::SeqCst);
            }
        }
    }
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    // In place: the calling thread (not one of the pool's) receives and hands on.
    rayon::in_place_scope(|scope| {
        for _ in 0..threads.min(items.len()) {
            let tx = tx.clone();
            let (next, handed, work, failed) = (&next, &handed, &work, &failed);
            scope.spawn(move |_| {
                let _guard = OnPanic(failed);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    while i >= handed.load(Ordering::SeqCst) + window {
                        if failed.load(Ordering::SeqCst) {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    if tx.send((i, work(&items[i]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: std::collections::BTreeMap<usize, T> = std::collections::BTreeMap::new();
        let mut want = 0;
        for (i, result) in rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&want) {
                sink(result);
                want += 1;
                handed.store(want, Ordering::SeqCst);
            }
        }
    });
}

/// Adds one file's result to a run's outcome (findings are sorted by the caller).
pub fn record(outcome: &mut Outcome, path: PathBuf, result: FileOutcome) {
    match result {
        FileOutcome::Linted(findings) => {
            outcome.checked += 1;
            outcome.checked_paths.push(path);
            outcome.findings.extend(findings);
        }
        FileOutcome::Skipped(reason) => outcome.skipped.push((path, reason)),
        FileOutcome::Failed(message) => outcome.errors.push((path, message)),
    }
}

/// Lints what a reader holds (standard input) as the file `name`: the name picks the
/// format and names the file in reports. Read like a file named on the command line.
pub fn lint_reader(name: &Path, reader: impl Read, options: &LintOptions, catalogue: &Catalogue) -> FileOutcome {
    lint_reader_with(name, reader, options, catalogue, Extras::default()).0
}

/// `lint_reader`, with the file's subjects.
pub fn lint_reader_with(
    name: &Path,
    reader: impl Read,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> FileResult {
    let mut bytes = Vec::new();
    // One byte past the limit tells a stream at the limit from one over it.
    if let Err(e) = reader.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return (FileOutcome::Failed(format!("cannot read: {}", io_reason(&e))), Vec::new(), None);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let message =
            format!("input is over {} MiB; iamlint reads up to {} MiB", MAX_FILE_BYTES >> 20, MAX_FILE_BYTES >> 20);
        return (FileOutcome::Failed(message), Vec::new(), None);
    }
    lint_bytes_with(name, bytes, true, false, options, catalogue, extras)
}

pub fn lint_path(path: &Path, explicit: bool, options: &LintOptions, catalogue: &Catalogue) -> FileOutcome {
    lint_path_with(path, explicit, options, catalogue, Extras::default()).0
}

fn lint_path_with(
    path: &Path,
    explicit: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> FileResult {
    let failed = |message| (FileOutcome::Failed(message), Vec::new(), None);
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return failed(format!(
                "file is {} MiB; iamlint reads files up to {} MiB",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            ));
        }
        Err(e) => return failed(format!("cannot read: {}", io_reason(&e))),
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => lint_bytes_with(path, bytes, explicit, links_out_of_tree(path), options, catalogue, extras),
        Err(e) => failed(format!("cannot read: {}", io_reason(&e))),
    }
}

/// Whether reading `path` follows a symbolic link to a file outside the current
/// directory's tree (a pull request adding `policy.json -> /proc/self/environ`). A path
/// that merely names a file elsewhere (`../shared/policy.json`) is not a link.
fn links_out_of_tree(path: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(path) else { return true };
    if real == crate::source::absolute(path) {
        return false;
    }
    let Ok(tree) = std::env::current_dir().and_then(std::fs::canonicalize) else { return true };
    !real.starts_with(tree)
}

/// The documents of a policy file that bounds every principal (`--scp`), resolved. A file
/// that cannot be read, or that holds anything but well-formed policies, is an error: a
/// ceiling half read would hide grants.
pub fn load_ceiling(path: &Path, kind: PolicyKind, catalogue: &Catalogue) -> Result<Vec<ResolvedDocument>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("file is over {} MiB", MAX_FILE_BYTES >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    let text = String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())?;
    let source = Arc::new(SourceFile::new(path, text));
    let loaded = match formats::load(source.clone(), &LoadOptions { kind: Some(kind), explicit: true, tree: None }) {
        Loaded::Policy(loaded) => loaded,
        Loaded::NotPolicy(reason) => return Err(format!("not a policy: {reason}")),
    };
    if let Some(problem) = loaded.syntax.first() {
        let (line, column) = source.line_col(problem.span.start);
        return Err(format!("{}:{line}:{column}: {}", source.display_path(), problem.message));
    }
    if let Some(problem) = loaded.documents.iter().flat_map(|d| &d.problems).next() {
        let (line, column) = source.line_col(problem.span.start);
        return Err(format!("{}:{line}:{column}: {}", source.display_path(), problem.message));
    }
    if loaded.documents.is_empty() {
        return Err("holds no policy".into());
    }
    Ok(loaded.documents.into_iter().map(|d| resolve(d, catalogue)).collect())
}

/// Lints a file's content (used by the CLI, the fixtures and the fuzz tests).
pub fn lint_bytes(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
) -> FileOutcome {
    lint_bytes_with(path, bytes, explicit, false, options, catalogue, Extras::default()).0
}

/// Lints a file's content; `withhold` keeps its text out of reports (a link out of the tree).
fn lint_bytes_with(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    withhold: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> FileResult {
    let failed = |message| (FileOutcome::Failed(message), Vec::new(), None);
    let loaded = match load_bytes(path, bytes, explicit, options) {
        Loaded::NotPolicy(reason) => return (FileOutcome::Skipped(reason), Vec::new(), None),
        Loaded::Policy(loaded) => loaded,
    };
    let declared = Declared { source: loaded.source.clone(), waivers: loaded.waivers.clone() };
    // A file no document could be read from, and that does not look like a policy
    // (a named secret, a binary), is reported without echoing its text.
    if withhold || (loaded.documents.is_empty() && !formats::json::looks_like_policy(&loaded.source.text)) {
        loaded.source.withhold();
    }
    if let Some(d) = loaded.documents.iter().find(|d| d.size > MAX_DOCUMENT_CHARS) {
        let name = if d.locator.is_empty() { "the policy".to_string() } else { format!("`{}`", d.locator) };
        return failed(format!(
            "analysis incomplete: {name} is {} characters of policy, more than the {MAX_DOCUMENT_CHARS} iamlint analyses \
             (the largest IAM quota is 10,240); split it into policies IAM accepts",
            d.size
        ));
    }
    match check_with(loaded, options, catalogue, extras) {
        Ok((findings, subjects)) => (FileOutcome::Linted(findings), subjects, Some(declared)),
        Err(message) => failed(message),
    }
}

/// The largest document analysed, in the characters AWS counts toward its quotas: a
/// hundred times the largest IAM quota (10,240 for a role's inline policies). A larger
/// one is reported as not analysed (exit 2) instead of being worked through for minutes.
pub const MAX_DOCUMENT_CHARS: usize = 1 << 20;

/// Reads a file's content with the adapter registry (invalid UTF-8 is replaced and
/// reported as a syntax problem).
pub fn load_bytes(path: &Path, bytes: Vec<u8>, explicit: bool, options: &LintOptions) -> Loaded {
    load_bytes_in(path, bytes, explicit, options, None)
}

/// `load_bytes` for a file of a tree that is not on disk (`formats::Tree`: a git
/// revision's files, named as `path` is).
pub fn load_bytes_in(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    options: &LintOptions,
    tree: Option<Arc<formats::Tree>>,
) -> Loaded {
    let (text, encoding_problem) = decode(bytes);
    let source = Arc::new(SourceFile::new(path, text));
    let load = LoadOptions { kind: options.kind, explicit: explicit || encoding_problem.is_some(), tree };
    match formats::load(source, &load) {
        Loaded::Policy(mut loaded) => {
            if let Some(problem) = encoding_problem {
                // A UTF-16 file's mark, decoded as U+FEFF at 0..3, is reported once, as
                // the UTF-16 it is, not also as a UTF-8 byte order mark.
                if problem.span == (0..3) {
                    loaded.syntax.retain(|p| p.span != (0..3));
                }
                loaded.syntax.push(problem);
            }
            Loaded::Policy(loaded)
        }
        other => other,
    }
}

/// Decodes a file as IAM reads policy text: UTF-8. A UTF-16 file (by its byte order
/// mark) is decoded and named as such; invalid UTF-8 is replaced and reported. Either
/// is a problem `malformed-json` reports (IAM would reject the policy).
fn decode(bytes: Vec<u8>) -> (String, Option<SyntaxProblem>) {
    let utf16 = match bytes.as_slice() {
        [0xFF, 0xFE, ..] => Some(("UTF-16 (little-endian)", u16::from_le_bytes as fn([u8; 2]) -> u16)),
        [0xFE, 0xFF, ..] => Some(("UTF-16 (big-endian)", u16::from_be_bytes as fn([u8; 2]) -> u16)),
        _ => None,
    };
    if let Some((name, unit)) = utf16 {
        let units = bytes[2..].chunks(2).map(|c| unit([c[0], *c.get(1).unwrap_or(&0)]));
        // The BOM stays (as U+FEFF), so the text's offsets start where the file's do.
        let text: String =
            std::iter::once('\u{feff}').chain(char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}'))).collect();
        let problem = SyntaxProblem {
            span: 0..3,
            message: format!("file is {name}, not UTF-8"),
            label: "UTF-16 byte order mark".into(),
            help: Some("IAM policies are UTF-8 JSON: re-save the file as UTF-8".into()),
        };
        return (text, Some(problem));
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let problem = SyntaxProblem {
                span: at..at + 1,
                message: "file is not valid UTF-8".into(),
                label: "invalid byte sequence".into(),
                help: Some("IAM policies are UTF-8 JSON: re-save the file as UTF-8".into()),
            };
            (text, Some(problem))
        }
    }
}

/// A file resolved and linted, its documents kept for analyses over them (`diff`).
#[derive(Debug)]
pub struct Checked {
    pub source: Arc<SourceFile>,
    /// Files read with this one (`LoadedFile::context`): documents spanned past the end of
    /// `source`'s text stand in them.
    pub context: Vec<(usize, Arc<SourceFile>)>,
    pub documents: Vec<ResolvedDocument>,
    pub principals: Vec<PrincipalPolicies>,
    pub findings: Vec<Finding>,
}

/// Resolves a loaded file's documents and runs the rules: document rules once over the
/// file, subject rules on each document alone and then on each principal.
/// A file whose analysis ran out of budget gives no findings here; `check_with` says why.
pub fn check(loaded: LoadedFile, options: &LintOptions, catalogue: &Catalogue) -> Vec<Finding> {
    check_with(loaded, options, catalogue, Extras::default()).map(|(findings, _)| findings).unwrap_or_default()
}

/// `check`, with the file's subjects: each principal, and each document no principal holds.
pub fn check_with(
    loaded: LoadedFile,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> Result<(Vec<Finding>, Vec<SubjectSummary>), String> {
    let (checked, subjects) = analyse(loaded, options, catalogue, extras)?;
    Ok((checked.findings, subjects))
}

/// `check`, keeping the resolved documents and the principals; an error when a document
/// or principal needed more work than the grant model's budget (analysis incomplete).
pub fn check_keeping(loaded: LoadedFile, options: &LintOptions, catalogue: &Catalogue) -> Result<Checked, String> {
    Ok(analyse(loaded, options, catalogue, Extras::default())?.0)
}

fn analyse(
    loaded: LoadedFile,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> Result<(Checked, Vec<SubjectSummary>), String> {
    let LoadedFile { source, syntax, documents, principals, gaps, whole_account, waivers, context } = loaded;
    let documents = resolve_all(documents, catalogue);
    let file = Resolved { source, syntax, documents, principals, gaps, whole_account, waivers };
    let (mut findings, mut subjects) = run_rules(&file, options, catalogue, extras)?;
    if !context.is_empty() {
        keep_own(&file.source, &context, &mut findings, &mut subjects);
    }
    let Resolved { source, documents, principals, .. } = file;
    Ok((Checked { source, context, documents, principals, findings }, subjects))
}

/// Findings and summaries of a file read with others (a Terraform module's siblings,
/// `LoadedFile::context`). A finding is reported in the file its primary value is in, and
/// a label in another file becomes a line of its note naming the place (`also
/// modules/ci/iam.tf:12:5: ...`), since a finding underlines one file. A finding anchored
/// in a sibling is that sibling's to report: it is dropped, unless it also points into this
/// file (a principal's escalation split across the two), when it is kept, moved into the
/// sibling, for `lint_files_with` to drop when the sibling is linted in the same run (a
/// pre-commit run over the changed file still reports it, with the sibling's fingerprint
/// and suppressions).
fn keep_own(
    source: &Arc<SourceFile>,
    context: &[(usize, Arc<SourceFile>)],
    findings: &mut Vec<Finding>,
    subjects: &mut Vec<SubjectSummary>,
) {
    let own = source.text.len();
    let files: Vec<(usize, Arc<SourceFile>)> =
        std::iter::once((0, source.clone())).chain(context.iter().cloned()).collect();
    findings.retain(|f| f.span.start <= own || f.labels.iter().any(|l| l.span.start <= own));
    for f in findings.iter_mut() {
        rehome(f, &files);
    }
    for s in subjects.iter_mut() {
        s.policies.retain(|p| p.span.start <= own);
    }
    subjects.retain(|s| !s.policies.is_empty());
}

/// Which of files read as one text (each with the offset its text starts at, the first at
/// 0) a span starting at `at` stands in.
fn file_at(files: &[(usize, Arc<SourceFile>)], at: usize) -> usize {
    files.iter().rposition(|(base, _)| *base <= at).unwrap_or(0)
}

/// Moves a finding of files read as one text into the file its primary value is in: its
/// spans made that file's, its labels in other files turned into lines of its note naming
/// the place (`also modules/ci/iam.tf:12:5: ...`), since a finding underlines one file.
fn rehome(f: &mut Finding, files: &[(usize, Arc<SourceFile>)]) {
    let home = file_at(files, f.span.start);
    let base = files[home].0;
    let (kept, elsewhere): (Vec<_>, Vec<_>) =
        std::mem::take(&mut f.labels).into_iter().partition(|l| file_at(files, l.span.start) == home);
    let places: Vec<String> = elsewhere
        .iter()
        .map(|l| {
            let (b, file) = &files[file_at(files, l.span.start)];
            let (line, column) = file.line_col(l.span.start - b);
            format!("also {}:{line}:{column}: {}", file.display_path(), l.text)
        })
        .collect();
    f.labels = kept;
    if base > 0 {
        f.span = f.span.start - base..f.span.end.saturating_sub(base).max(f.span.start - base);
        for l in &mut f.labels {
            l.span = l.span.start - base..l.span.end.saturating_sub(base).max(l.span.start - base);
        }
    }
    f.source = files[home].1.clone();
    if !places.is_empty() {
        let mut note = f.note.take().map(|n| vec![n]).unwrap_or_default();
        note.extend(places);
        f.note = Some(note.join("\n"));
    }
}

/// The candidates in units of work, in order: each file alone, and the `.tf` and `.tf.json` files of one
/// directory (with the same configured kind) together, marked: a Terraform module is one
/// configuration, read and analysed whole for any of its files.
fn modules_of<'c>(candidates: impl IntoIterator<Item = &'c Candidate>) -> Vec<(bool, Vec<usize>)> {
    let mut units: Vec<(bool, Vec<usize>)> = Vec::new();
    let mut module_of: HashMap<(&Path, Option<PolicyKind>), usize> = HashMap::new();
    let mut paths = std::collections::HashSet::new();
    for (i, c) in candidates.into_iter().enumerate() {
        let tf = formats::terraform::is_module_file(&c.path) && paths.insert(&c.path);
        let dir = c.path.parent().unwrap_or(Path::new(""));
        match module_of.get(&(dir, c.kind)) {
            Some(&unit) if tf => units[unit].1.push(i),
            _ => {
                if tf {
                    module_of.insert((dir, c.kind), units.len());
                }
                units.push((tf, vec![i]));
            }
        }
    }
    units
}

/// Lints the `.tf` and `.tf.json` files of one directory named in a run (one or many), reading and
/// analysing their module once, its files in path order: each file gets the findings
/// anchored in it, and those anchored in a file of the module not linted here that point
/// into it (moved into that file, with its fingerprint and suppressions); its subjects;
/// its suppressions. A finding whose values are in several files is anchored in the first
/// (by path) that holds its primary value, whichever files the run names, so one file's
/// run and the directory's agree. A file the module does not hold (it does not parse), and
/// every file when a file's own run reads the module differently (a file alone in its
/// directory, too many or too large files, a link out of the tree, a document too large,
/// an analysis out of budget), is left to its own run (`None`).
fn lint_module(
    members: &[&Candidate],
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> Vec<Option<FileResult>> {
    let alone = || members.iter().map(|_| None).collect();
    if members.iter().any(|c| links_out_of_tree(&c.path)) {
        return alone();
    }
    let Some(files) = formats::terraform::module_files(&members[0].path) else { return alone() };
    // A file alone in its directory is read as its own run reads it.
    if files.len() < 2 {
        return alone();
    }
    let at: Vec<Option<usize>> = members.iter().map(|c| files.iter().position(|f| f.path == c.path)).collect();
    let load = LoadOptions { kind: options.kind, explicit: false, tree: None };
    let Some(loaded) = formats::terraform::load_module(&files, &load) else { return alone() };
    if loaded.documents.is_empty() || loaded.documents.iter().any(|d| d.size > MAX_DOCUMENT_CHARS) {
        return alone();
    }
    let bases: Vec<(usize, Arc<SourceFile>)> =
        std::iter::once((0, loaded.source.clone())).chain(loaded.context.iter().cloned()).collect();
    // What each file holds: a file holding no policy, problem or gap is passed over, as
    // its own run passes it over.
    let mut holds = vec![false; bases.len()];
    let spans = loaded.documents.iter().map(|d| d.span.start);
    let spans = spans.chain(loaded.syntax.iter().map(|p| p.span.start)).chain(loaded.gaps.iter().map(|g| g.span.start));
    for start in spans {
        holds[file_at(&bases, start)] = true;
    }
    let LoadedFile { syntax, documents, principals, gaps, whole_account, waivers, .. } = loaded;
    // Rules that read the text under a span (placeholder, policy-size) read the module's
    // text, each file at its offset, as a file's own run reads it for that file.
    let mut text = String::new();
    for (base, file) in &bases {
        text.extend(std::iter::repeat_n('\n', base - text.len()));
        text.push_str(&file.text);
    }
    let source = Arc::new(SourceFile::new(&bases[0].1.path, text));
    let documents = resolve_all(documents, catalogue);
    let file = Resolved { source, syntax, documents, principals, gaps, whole_account, waivers };
    let Ok((findings, subjects)) = run_rules(&file, options, catalogue, extras) else { return alone() };
    let linted: Vec<bool> = (0..bases.len()).map(|k| at.contains(&Some(k)) && holds[k]).collect();
    let mut of_file: Vec<Vec<Finding>> = vec![Vec::new(); bases.len()];
    for mut f in findings {
        let home = file_at(&bases, f.span.start);
        // Anchored in a file linted here: that file's. Anchored in a file not linted here:
        // each linted file it points into reports it.
        let into: Vec<usize> = if linted[home] {
            vec![home]
        } else {
            let mut into: Vec<usize> =
                f.labels.iter().map(|l| file_at(&bases, l.span.start)).filter(|&k| linted[k]).collect();
            into.sort_unstable();
            into.dedup();
            into
        };
        if into.is_empty() {
            continue;
        }
        rehome(&mut f, &bases);
        for k in into {
            of_file[k].push(f.clone());
        }
    }
    let subjects_of = |k: usize| -> Vec<SubjectSummary> {
        let (base, file) = &bases[k];
        let end = base + file.text.len();
        let mut out = Vec::new();
        for s in &subjects {
            let policies: Vec<PolicySummary> = s
                .policies
                .iter()
                .filter(|p| *base <= p.span.start && p.span.start <= end)
                .map(|p| {
                    let mut p = p.clone();
                    p.span = p.span.start - base..p.span.end.saturating_sub(*base).max(p.span.start - base);
                    p
                })
                .collect();
            if !policies.is_empty() {
                out.push(SubjectSummary {
                    principal: s.principal.clone(),
                    source: file.clone(),
                    policies,
                    access: s.access.clone(),
                });
            }
        }
        out
    };
    at.iter()
        .map(|&k| {
            let k = k?;
            if !holds[k] {
                return Some((FileOutcome::Skipped(formats::terraform::passed_over(&bases[k].1)), Vec::new(), None));
            }
            let mut findings = std::mem::take(&mut of_file[k]);
            findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let declared = Declared { source: bases[k].1.clone(), waivers: Vec::new() };
            Some((FileOutcome::Linted(findings), subjects_of(k), Some(declared)))
        })
        .collect()
}

/// More documents than this (an account dump) are resolved on every core.
const PARALLEL_DOCUMENTS: usize = 64;

/// The documents resolved, in order; in parallel when there are many (a single policy
/// file does not start the thread pool).
fn resolve_all(documents: Vec<crate::policy::PolicyDocument>, catalogue: &Catalogue) -> Vec<ResolvedDocument> {
    if documents.len() > PARALLEL_DOCUMENTS {
        documents.into_par_iter().map(|d| resolve(d, catalogue)).collect()
    } else {
        documents.into_iter().map(|d| resolve(d, catalogue)).collect()
    }
}

/// A loaded file with its documents resolved.
struct Resolved {
    source: Arc<SourceFile>,
    syntax: Vec<SyntaxProblem>,
    documents: Vec<ResolvedDocument>,
    principals: Vec<PrincipalPolicies>,
    gaps: Vec<Gap>,
    whole_account: bool,
    waivers: Vec<Waiver>,
}

/// More documents and principals than this in one file (a module, a template, a dump)
/// are judged on every core; a policy file does not start the thread pool.
const PARALLEL_SUBJECTS: usize = 24;

/// What one worker of `run_rules` found, by rule (in `options.rules` order): a document
/// rule's drafts (worker 0 runs those), and a subject rule's drafts for each document and
/// each principal the worker judged (its share: every `of`-th from its own index).
#[derive(Default)]
struct Judged {
    whole_file: Vec<Vec<Draft>>,
    documents: Vec<Vec<Vec<Draft>>>,
    principals: Vec<Vec<Vec<Draft>>>,
    /// The access tables of its share, when asked.
    document_access: Vec<Option<Vec<ServiceAccess>>>,
    principal_access: Vec<Option<Vec<ServiceAccess>>>,
    /// The first document, and the first principal, whose analysis ran over its budget
    /// (any principal the worker judged, as a target of another's paths too).
    exhausted_document: Option<usize>,
    exhausted_principal: Option<usize>,
}

/// A worker's share of a file's subjects: `worker` of `of`.
#[derive(Clone, Copy)]
struct Share {
    worker: usize,
    of: usize,
}

impl Share {
    fn of(self, n: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        (self.worker..n).step_by(self.of)
    }
}

/// Runs every rule over one share of a file's subjects. Each worker builds its own
/// subjects (and every principal, for whom a path reaches) with its own memos: the grant
/// model's memos are per thread, and what it works out does not depend on who asks, so
/// the drafts are those a single pass gives.
fn judge(
    file: &Resolved,
    options: &LintOptions,
    catalogue: &Catalogue,
    share: Share,
    progress: Option<&dyn Progress>,
    access: bool,
    summarised: &[bool],
) -> Judged {
    let Resolved { source, syntax, documents, principals, gaps, whole_account, .. } = file;
    // Built once for every rule: each subject remembers what the grant model worked out.
    // What is worked out about one statement or value is shared by every subject.
    let memos = Memos::default();
    let document_subjects: Vec<Subject<'_>> =
        share.of(documents.len()).map(|i| Subject::document(&documents[i]).sharing(&memos)).collect();
    let mut members = Principals::new(*whole_account);
    for p in principals {
        let pick = |list: &[usize]| list.iter().filter_map(|&i| documents.get(i)).collect::<Vec<_>>();
        let ceilings = pick(&p.ceilings).into_iter().chain(options.scps.iter()).collect();
        let trust = p.trust.and_then(|i| documents.get(i));
        members.push(
            &p.principal,
            Subject::principal(pick(&p.documents), ceilings, &p.principal).sharing(&memos),
            trust,
        );
    }
    let mut out = Judged::default();
    for rule in &options.rules {
        let mut ctx = Context {
            catalogue,
            settings: &options.settings,
            source,
            syntax,
            documents,
            principals: &members,
            gaps,
            drafts: Vec::new(),
        };
        let (mut of_documents, mut of_principals) = (Vec::new(), Vec::new());
        match rule.check {
            Check::Document(check) if share.worker == 0 => check(&mut ctx),
            Check::Document(_) => {}
            Check::Subject(check) => {
                for subject in &document_subjects {
                    check(&mut ctx, subject);
                    of_documents.push(std::mem::take(&mut ctx.drafts));
                }
                for k in share.of(principals.len()) {
                    check(&mut ctx, &members.members()[k].subject);
                    of_principals.push(std::mem::take(&mut ctx.drafts));
                }
            }
        }
        out.whole_file.push(ctx.drafts);
        out.documents.push(of_documents);
        out.principals.push(of_principals);
        if let Some(p) = progress {
            p.advance(1);
        }
    }
    let index = |slot: usize| share.worker + slot * share.of;
    out.exhausted_document = document_subjects.iter().position(Subject::exhausted).map(index);
    out.exhausted_principal = members.members().iter().position(|m| m.subject.exhausted());
    if access {
        out.document_access = document_subjects
            .iter()
            .enumerate()
            .map(|(slot, s)| (!summarised[index(slot)]).then(|| self::access(s, catalogue)))
            .collect();
        out.principal_access =
            share.of(principals.len()).map(|k| Some(self::access(&members.members()[k].subject, catalogue))).collect();
    }
    out
}

fn run_rules(
    file: &Resolved,
    options: &LintOptions,
    catalogue: &Catalogue,
    extras: Extras<'_>,
) -> Result<(Vec<Finding>, Vec<SubjectSummary>), String> {
    let Resolved { source, documents, principals, waivers, .. } = file;
    let progress = extras.progress.filter(|_| principals.len() > MANY_PRINCIPALS);
    if let Some(p) = progress {
        p.planned(options.rules.len() as u64);
    }
    // Documents that grant some principal access: their findings are judged with the holder.
    let mut held = vec![false; documents.len()];
    for i in principals.iter().flat_map(|p| &p.documents) {
        if let Some(h) = held.get_mut(*i) {
            *h = true;
        }
    }
    // Documents summarised with a principal that holds them (not on their own).
    let mut summarised = vec![false; documents.len()];
    for i in principals.iter().flat_map(|p| p.documents.iter().chain(&p.ceilings).chain(&p.trust)) {
        if let Some(h) = summarised.get_mut(*i) {
            *h = true;
        }
    }
    let of =
        if documents.len() + principals.len() > PARALLEL_SUBJECTS { rayon::current_num_threads().max(1) } else { 1 };
    let work = |worker: usize| {
        let progress = progress.filter(|_| worker == 0);
        judge(file, options, catalogue, Share { worker, of }, progress, extras.access, &summarised)
    };
    let mut parts: Vec<Judged> = if of > 1 { (0..of).into_par_iter().map(work).collect() } else { vec![work(0)] };
    let exhausted_document = parts.iter().filter_map(|j| j.exhausted_document).min();
    let exhausted_principal = parts.iter().filter_map(|j| j.exhausted_principal).min();
    if exhausted_document.is_some() || exhausted_principal.is_some() {
        let what = match exhausted_principal.filter(|_| exhausted_document.is_none()).map(|k| &principals[k].principal)
        {
            Some(p) => format!("the policies of {} `{}` taken together", p.kind, p.name),
            None => "a document".to_string(),
        };
        return Err(format!(
            "analysis incomplete: {what} needed more work than iamlint's budget (statements \
             against Denies, condition keys, resource patterns); split the policy into smaller ones"
        ));
    }
    let mut findings = Vec::new();
    for (r, rule) in options.rules.iter().enumerate() {
        let mut principal_drafts: Vec<(Draft, &PrincipalRef)> = Vec::new();
        let drafts = match rule.check {
            Check::Document(_) => std::mem::take(&mut parts[0].whole_file[r]),
            Check::Subject(_) => {
                // Each document's own findings, by the document they come from.
                let mut of_documents: Vec<(usize, Draft)> = Vec::new();
                for i in 0..documents.len() {
                    let drafts = std::mem::take(&mut parts[i % of].documents[r][i / of]);
                    of_documents.extend(drafts.into_iter().map(|d| (i, d)));
                }
                let mut by_span: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
                for (k, (_, d)) in of_documents.iter().enumerate() {
                    by_span.entry((d.span.start, d.span.end)).or_default().push(k);
                }
                let mut confirmed = vec![false; of_documents.len()];
                for (k, p) in principals.iter().enumerate() {
                    // What a principal's policies grant together adds what no one of them
                    // grants alone; a finding one document already has is not repeated.
                    for draft in std::mem::take(&mut parts[k % of].principals[r][k / of]) {
                        let same = by_span.get(&(draft.span.start, draft.span.end)).into_iter().flatten();
                        let mut repeated = false;
                        for &k in same.filter(|&&k| of_documents[k].1.message == draft.message) {
                            confirmed[k] = true;
                            repeated = true;
                        }
                        if !repeated {
                            principal_drafts.push((draft, &p.principal));
                        }
                    }
                }
                drop_repeats_of_groups(&mut principal_drafts, principals);
                // A document its holders hold under ceilings (a boundary, an SCP) keeps a
                // finding only if the ceilings leave it to at least one holder.
                of_documents
                    .into_iter()
                    .zip(confirmed)
                    .filter(|((i, _), confirmed)| *confirmed || !held[*i])
                    .map(|((_, d), _)| d)
                    .collect()
            }
        };
        let drafts =
            drafts.into_iter().map(|d| (d, None)).chain(principal_drafts.into_iter().map(|(d, p)| (d, Some(p))));
        for (d, principal) in drafts {
            findings.push(Finding {
                rule: &rule.meta,
                severity: d.severity.unwrap_or(rule.meta.severity),
                message: d.message,
                source: source.clone(),
                span: d.span,
                label: d.label,
                labels: d.labels,
                help: d.help,
                note: d.note,
                locator: d.locator.unwrap_or_default(),
                statement: d.statement,
                actions: d.actions,
                principal: principal.cloned(),
                chains: d.chains,
                waiver: None,
            });
        }
    }
    // A finding on the text of an expanded definition (SAM's policy template, an AWS
    // managed policy) about that text's validity or style is about its author's text, not
    // the user's; what it grants is reported.
    let generated: Vec<&Span> = documents.iter().filter_map(|d| d.doc.expanded_from.as_ref()).collect();
    findings.retain(|f| {
        !matches!(f.rule.category, Category::Validity | Category::Suspicious)
            || !generated.iter().any(|g| g.start <= f.span.start && f.span.end <= g.end)
    });
    for f in &mut findings {
        f.waiver = waivers.iter().find(|w| w.covers(f.rule.id, &f.locator)).cloned();
    }
    // A file whose text is withheld (not a policy, a link out of the tree) is not quoted
    // in messages either, in any output format.
    if source.withheld() {
        for f in &mut findings {
            f.message = crate::source::redact(&f.message);
            f.label = crate::source::redact(&f.label);
            f.help = f.help.as_deref().map(crate::source::redact);
            f.note = f.note.as_deref().map(crate::source::redact);
            for l in &mut f.labels {
                l.text = crate::source::redact(&l.text);
            }
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // Documents of one file may share statements (the two readings of a CloudFormation
    // `Fn::If`): a finding they share is reported once.
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| {
        let principal = f.principal.as_ref().map(|p| (p.kind, p.name.clone(), p.locator.clone()));
        seen.insert((f.rule.id, f.span.clone(), f.message.clone(), f.locator.clone(), principal))
    });
    let policy = |i: usize, role: PolicyRole| {
        documents.get(i).map(|d| PolicySummary {
            locator: d.doc.locator.clone(),
            kind: d.doc.kind.as_str(),
            role,
            span: d.doc.span.clone(),
        })
    };
    let mut subjects = Vec::new();
    // A member's policies held through its groups: their findings are shown on the group.
    let group_documents: HashMap<&str, &[usize]> = principals
        .iter()
        .filter(|p| p.principal.kind == "group")
        .map(|p| (p.principal.locator.as_str(), p.documents.as_slice()))
        .collect();
    for (k, p) in principals.iter().enumerate() {
        let through: Vec<usize> =
            p.groups.iter().filter_map(|g| group_documents.get(g.as_str())).flat_map(|d| d.iter().copied()).collect();
        let roles =
            p.documents.iter().map(|&i| (i, if through.contains(&i) { PolicyRole::Group } else { PolicyRole::Grants }));
        let roles = roles.chain(p.ceilings.iter().map(|&i| (i, PolicyRole::Ceiling)));
        let roles = roles.chain(p.trust.map(|i| (i, PolicyRole::Trust)));
        let policies: Vec<PolicySummary> = roles.filter_map(|(i, role)| policy(i, role)).collect();
        let access = parts[k % of].principal_access.get_mut(k / of).and_then(Option::take);
        // A template with an `Fn::If` gives a principal once per reading: one summary
        // holds the policies of both, and per cell the larger count.
        match subjects.iter_mut().find(|s: &&mut SubjectSummary| s.principal.as_ref() == Some(&p.principal)) {
            Some(seen) => {
                for policy in policies {
                    if !seen.policies.contains(&policy) {
                        seen.policies.push(policy);
                    }
                }
                if let (Some(seen), Some(access)) = (&mut seen.access, access) {
                    merge_access(seen, access);
                }
            }
            None => subjects.push(SubjectSummary {
                principal: Some(p.principal.clone()),
                source: source.clone(),
                policies,
                access,
            }),
        }
    }
    for i in (0..documents.len()).filter(|&i| !summarised[i]) {
        let role = match documents[i].doc.kind {
            PolicyKind::Trust => PolicyRole::Trust,
            PolicyKind::Boundary | PolicyKind::ServiceControl | PolicyKind::ResourceControl => PolicyRole::Ceiling,
            PolicyKind::Identity | PolicyKind::Resource => PolicyRole::Grants,
        };
        subjects.push(SubjectSummary {
            principal: None,
            source: source.clone(),
            policies: policy(i, role).into_iter().collect(),
            access: parts[i % of].document_access.get_mut(i / of).and_then(Option::take),
        });
    }
    Ok((findings, subjects))
}

/// A member's finding that one of its groups has too (the same span, severity and message
/// but for the name of the principal it is about) adds nothing to the group's: it is
/// reported once, on the group. What the member's own policies add (another path, another
/// target) makes a different message, and is kept.
fn drop_repeats_of_groups(drafts: &mut Vec<(Draft, &PrincipalRef)>, principals: &[PrincipalPolicies]) {
    if principals.iter().all(|p| p.groups.is_empty()) || drafts.is_empty() {
        return;
    }
    let of: HashMap<*const PrincipalRef, &PrincipalPolicies> =
        principals.iter().map(|p| (&p.principal as *const PrincipalRef, p)).collect();
    // A finding names whose it is (`user/ann: ...`): compared without that name.
    let key = |d: &Draft, p: &PrincipalRef| {
        let who = format!("{}/{}", p.kind, p.name);
        (d.span.start, d.span.end, d.severity, d.message.replace(&who, "\u{0}"))
    };
    let mut of_groups: HashMap<&str, std::collections::HashSet<_>> = HashMap::new();
    for (d, p) in drafts.iter().filter(|(_, p)| p.kind == "group") {
        of_groups.entry(p.locator.as_str()).or_default().insert(key(d, p));
    }
    drafts.retain(|(d, p)| {
        let groups = of.get(&(*p as *const PrincipalRef)).map_or(&[][..], |m| m.groups.as_slice());
        groups.is_empty() || {
            let key = key(d, p);
            !groups.iter().any(|g| of_groups.get(g.as_str()).is_some_and(|found| found.contains(&key)))
        }
    });
}

/// Adds another reading's access to a summary's: per cell, the larger count.
fn merge_access(into: &mut Vec<ServiceAccess>, other: Vec<ServiceAccess>) {
    for o in other {
        match into.iter_mut().find(|a| a.service == o.service) {
            Some(a) => {
                for (mine, theirs) in a.levels.iter_mut().zip(o.levels) {
                    mine.granted = mine.granted.max(theirs.granted);
                    mine.unrestricted = mine.unrestricted.max(theirs.unrestricted);
                }
            }
            None => into.push(o),
        }
    }
    into.sort_by(|a, b| a.service.cmp(b.service));
}

/// What a subject's grants allow, by service and access level, asked of the grant model
/// action by action (Denies and ceilings credited): every action a granting statement
/// names, granted when some statement's grant of it survives.
fn access(subject: &Subject<'_>, catalogue: &Catalogue) -> Vec<ServiceAccess> {
    let mut named = ActionSet::new();
    for (_, rs) in subject.granting_statements() {
        named.union_with(&rs.actions);
    }
    let slot = |id| {
        let level = catalogue.action_access(id).as_str();
        ACCESS_LEVELS.iter().position(|l| *l == level).unwrap_or(0)
    };
    let mut out: Vec<ServiceAccess> = Vec::new();
    for id in named.iter(catalogue) {
        let grants = subject.grants(id, catalogue);
        if grants.is_empty() {
            continue;
        }
        let service = catalogue.prefix(id.service);
        if out.last().is_none_or(|s| s.service != service) {
            let mut levels = [LevelCount::default(); 5];
            for index in 0..catalogue.action_count(id.service) {
                let other = crate::catalogue::ActionId { service: id.service, index: index as u16 };
                levels[slot(other)].total += 1;
            }
            out.push(ServiceAccess { service, levels });
        }
        let count = &mut out.last_mut().expect("pushed above").levels[slot(id)];
        count.granted += 1;
        if grants.iter().any(|g| g.is_unrestricted()) {
            count.unrestricted += 1;
        }
    }
    out.sort_by(|a, b| a.service.cmp(b.service));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::document;
    use crate::formats::tree::Node;
    use crate::policy::{PrincipalPolicies, Unresolved, UnresolvedPart};
    use crate::rules;
    use crate::source::Spanned;
    use crate::testing;

    fn options(ids: &[&str]) -> LintOptions {
        LintOptions {
            rules: ids.iter().map(|id| rules::find(id).unwrap()).collect(),
            kind: None,
            settings: Settings::default(),
            scps: Default::default(),
        }
    }

    /// Two policies in one file, as a template holds a role's inline policy and a managed
    /// policy attached to it.
    const TWO: &str = r#"[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]},
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]}]"#;

    fn role(documents: Vec<usize>, ceilings: Vec<usize>) -> PrincipalPolicies {
        let principal = PrincipalRef {
            kind: "role",
            name: "deploy".into(),
            arn: String::new(),
            locator: "Resources.Deploy".into(),
        };
        PrincipalPolicies { principal, documents, ceilings, trust: None, groups: Vec::new() }
    }

    #[test]
    fn an_escalation_split_over_a_principals_documents_is_found_on_the_principal() {
        let catalogue = Catalogue::bundled();
        let escalation = options(&["privilege-escalation"]);
        // Each document alone opens no path.
        let alone = check(testing::load("t.json", TWO, None), &escalation, catalogue);
        assert!(alone.is_empty(), "{alone:?}");
        // Held by one role, they open ec2-001 (PassRole + RunInstances).
        let mut loaded = testing::load("t.json", TWO, None);
        loaded.principals.push(role(vec![0, 1], Vec::new()));
        let found = check(loaded, &escalation, catalogue);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].principal.as_ref().map(|p| p.name.as_str()), Some("deploy"));
        assert!(found[0].note.as_deref().unwrap_or_default().contains("ec2-001"), "{:?}", found[0].note);
        // A boundary that does not allow iam:* removes the path.
        let bounded = format!(
            "{}, {{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}}]}}]",
            TWO.trim_end().trim_end_matches(']')
        );
        let mut loaded = testing::load("t.json", &bounded, None);
        loaded.principals.push(role(vec![0, 1], vec![2]));
        let found = check(loaded, &escalation, catalogue);
        assert!(found.iter().all(|f| f.principal.is_none()), "{found:?}");
    }

    #[test]
    fn summaries_name_each_principal_and_each_document_no_one_holds_with_what_they_can_do() {
        let catalogue = Catalogue::bundled();
        // Two grants, a boundary allowing only ec2:*, and a bucket policy no one holds;
        // the second grant denies ec2:TerminateInstances.
        let text = r#"[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]},
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances"], "Resource": "*"},
                {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}]},
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]},
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}]"#;
        let mut loaded = testing::load("t.json", text, None);
        loaded.principals.push(role(vec![0, 1], vec![2]));
        let extras = Extras { access: true, progress: None };
        let (_, subjects) = check_with(loaded, &options(&["full-admin"]), catalogue, extras).unwrap();
        assert_eq!(subjects.len(), 2, "{subjects:#?}");
        let deploy = &subjects[0];
        assert_eq!(deploy.principal.as_ref().map(|p| p.name.as_str()), Some("deploy"));
        let roles: Vec<PolicyRole> = deploy.policies.iter().map(|p| p.role).collect();
        assert_eq!(roles, [PolicyRole::Grants, PolicyRole::Grants, PolicyRole::Ceiling]);
        // The boundary removes iam:PassRole, the Deny ec2:TerminateInstances.
        let access = deploy.access.as_ref().unwrap();
        assert_eq!(access.iter().map(|a| a.service).collect::<Vec<_>>(), ["ec2"]);
        let write = ACCESS_LEVELS.iter().position(|l| *l == "Write").unwrap();
        assert_eq!(access[0].levels[write].granted, 1, "{access:#?}");
        assert_eq!(access[0].levels[write].unrestricted, 1);
        assert!(access[0].levels[write].total > 100);
        // The bucket policy: held by no principal, named by itself.
        let bucket = &subjects[1];
        assert!(bucket.principal.is_none());
        assert_eq!(bucket.policies.len(), 1);
        let access = bucket.access.as_ref().unwrap();
        assert_eq!(access[0].service, "s3");
        // Without a renderer that asks, no access table is computed.
        let mut loaded = testing::load("t.json", text, None);
        loaded.principals.push(role(vec![0, 1], vec![2]));
        let (_, subjects) = check_with(loaded, &options(&["full-admin"]), catalogue, Extras::default()).unwrap();
        assert!(subjects.iter().all(|s| s.access.is_none()));
    }

    #[test]
    fn unresolved_values_are_neither_literals_nor_wildcards() {
        let catalogue = Catalogue::bundled();
        // `"Resource": !GetAtt Logs.Arn`, as a template adapter hands it over.
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "LOGS_ARN"}]}"#;
        let mut loaded = testing::load("t.json", text, None);
        let span = text.find("\"LOGS_ARN\"").unwrap()..text.find("\"LOGS_ARN\"").unwrap() + 10;
        let unresolved = Unresolved {
            value: Spanned::new("${Logs.Arn}/*".into(), span.clone()),
            written: "!Sub ${Logs.Arn}/*".into(),
            parts: vec![UnresolvedPart {
                name: "Logs.Arn".into(),
                stands_for: Some(("AWS::S3::Bucket".into(), "Arn".into())),
            }],
        };
        let tree = Node::Object(
            vec![
                (Spanned::new("Version".into(), 1..10), Node::String(Spanned::new("2012-10-17".into(), 12..24))),
                (
                    Spanned::new("Statement".into(), 26..37),
                    Node::Object(
                        vec![
                            (Spanned::new("Effect".into(), 41..49), Node::String(Spanned::new("Allow".into(), 51..58))),
                            (
                                Spanned::new("Action".into(), 60..68),
                                Node::String(Spanned::new("s3:PutObject".into(), 70..84)),
                            ),
                            (Spanned::new("Resource".into(), 86..96), Node::Unresolved(unresolved.clone())),
                        ],
                        40..text.len() - 2,
                    ),
                ),
            ],
            0..text.len(),
        );
        let build = document::DocumentOptions {
            locator: String::new(),
            kind: None,
            bare_statement: false,
            size: 100,
            escape_overhead: 0,
        };
        loaded.documents = vec![document::build(&tree, &build)];
        let doc = &loaded.documents[0];
        assert_eq!(doc.unresolved_at(&span), Some(&unresolved), "the builder records it");
        assert_eq!(doc.statements[0].resource.as_ref().unwrap().values[0].value, "${Logs.Arn}/*");
        // Not a placeholder, not an invalid ARN, not an unscoped write: a named resource
        // whose name is known only at deployment.
        let rules = options(&["placeholder", "invalid-arn", "unscoped-write", "resource-mismatch"]);
        let found = check(loaded, &rules, catalogue);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn many_principals_are_judged_in_parallel_runs_with_each_finding_once() {
        let catalogue = Catalogue::bundled();
        // PassRole alone, RunInstances alone, both together (an escalation on its own),
        // and duplicate Sids (a document rule's finding).
        let text = format!(
            "{}, {}, {}]",
            TWO.trim_end().trim_end_matches(']'),
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}"#,
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Sid": "A", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}"#
        );
        let many = MANY_PRINCIPALS * 2 + 3;
        let load = || {
            let mut loaded = testing::load("t.json", &text, None);
            for i in 0..many {
                // One in three holds the split escalation, one the escalating document too,
                // one PassRole only.
                let documents = match i % 3 {
                    0 => vec![0, 1],
                    1 => vec![2, 3, 0],
                    _ => vec![0, 3],
                };
                let mut role = role(documents, Vec::new());
                role.principal.name = format!("r{i}");
                role.principal.locator = format!("Resources.R{i}");
                loaded.principals.push(role);
            }
            loaded
        };
        let found = check(load(), &options(&["privilege-escalation", "duplicate-sid", "passrole-unscoped"]), catalogue);
        let names = |rule: &str| -> Vec<Option<String>> {
            found.iter().filter(|f| f.rule.id == rule).map(|f| f.principal.as_ref().map(|p| p.name.clone())).collect()
        };
        // The document rule's finding once, not once per run.
        assert_eq!(names("duplicate-sid"), [None]);
        // The two documents granting PassRole on `*` are held by principals of every run:
        // the holders repeat their findings, which are reported once each, on the document.
        assert_eq!(names("passrole-unscoped"), [None, None]);
        // Each holder of an escalation has its own finding (whom it reaches is its own),
        // whichever run judged it; the escalating document's, which no holder repeats, is
        // not reported; PassRole alone is nothing.
        let mut escalations = names("privilege-escalation");
        escalations.sort();
        let mut expected: Vec<Option<String>> =
            (0..many).filter(|i| i % 3 != 2).map(|i| Some(format!("r{i}"))).collect();
        expected.sort();
        assert_eq!(escalations, expected);
        // The same findings in the same order, run after run.
        let again = check(load(), &options(&["privilege-escalation", "duplicate-sid", "passrole-unscoped"]), catalogue);
        let key =
            |f: &Finding| (f.rule.id, f.span.clone(), f.message.clone(), f.principal.as_ref().map(|p| p.name.clone()));
        assert_eq!(found.iter().map(key).collect::<Vec<_>>(), again.iter().map(key).collect::<Vec<_>>());
    }
}
