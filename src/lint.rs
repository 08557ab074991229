//! Orchestration, for one file and for many: read, load (the adapter registry), resolve,
//! run the rules over each document and each principal, complete drafts into findings.

use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::diagnostic::{Draft, Finding, Outcome, PrincipalRef};
use crate::discover::{Candidate, io_reason};
use crate::formats::{self, LoadOptions, Loaded, LoadedFile, SyntaxProblem};
use crate::policy::PolicyKind;
use crate::resolve::{ResolvedDocument, Subject, resolve};
use crate::rules::{Check, Context, Rule};
use crate::source::SourceFile;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

/// The result of linting one file.
#[derive(Debug)]
pub enum FileOutcome {
    Linted(Vec<Finding>),
    Skipped(String),
    Failed(String),
}

/// Lints many files in parallel; the outcome is in a deterministic order.
pub fn lint_files(candidates: &[Candidate], options: &LintOptions, catalogue: &Catalogue) -> Outcome {
    let lint = |c: &Candidate| (c.path.clone(), lint_path(&c.path, c.explicit, options, catalogue));
    // Starting the thread pool costs more than linting the one file a pre-commit hook passes.
    let results: Vec<(PathBuf, FileOutcome)> = if candidates.len() > 1 {
        candidates.par_iter().map(lint).collect()
    } else {
        candidates.iter().map(lint).collect()
    };
    let mut outcome = Outcome::default();
    for (path, result) in results {
        match result {
            FileOutcome::Linted(findings) => {
                outcome.checked += 1;
                outcome.findings.extend(findings);
            }
            FileOutcome::Skipped(reason) => outcome.skipped.push((path, reason)),
            FileOutcome::Failed(message) => outcome.errors.push((path, message)),
        }
    }
    outcome.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
}

pub fn lint_path(path: &Path, explicit: bool, options: &LintOptions, catalogue: &Catalogue) -> FileOutcome {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return FileOutcome::Failed(format!(
                "file is {} MiB; iamlint reads files up to {} MiB",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            ));
        }
        Err(e) => return FileOutcome::Failed(format!("cannot read: {}", io_reason(&e))),
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => lint_bytes(path, bytes, explicit, options, catalogue),
        Err(e) => FileOutcome::Failed(format!("cannot read: {}", io_reason(&e))),
    }
}

/// Lints a file's content (used by the CLI, the fixtures and the fuzz tests).
pub fn lint_bytes(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
) -> FileOutcome {
    let (text, encoding_problem) = match String::from_utf8(bytes) {
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
    };
    let source = Arc::new(SourceFile::new(path, text));
    let load = LoadOptions { kind: options.kind, explicit: explicit || encoding_problem.is_some() };
    let loaded = match formats::load(source, &load) {
        Loaded::NotPolicy(reason) => return FileOutcome::Skipped(reason),
        Loaded::Policy(mut loaded) => {
            loaded.syntax.extend(encoding_problem);
            loaded
        }
    };
    FileOutcome::Linted(check(loaded, options, catalogue))
}

/// Resolves a loaded file's documents and runs the rules: document rules once over the
/// file, subject rules on each document alone and then on each principal.
pub fn check(loaded: LoadedFile, options: &LintOptions, catalogue: &Catalogue) -> Vec<Finding> {
    let LoadedFile { source, syntax, documents, principals } = loaded;
    let documents: Vec<ResolvedDocument> = documents.into_iter().map(|d| resolve(d, catalogue)).collect();
    // Built once for every rule: each subject remembers what the grant model worked out.
    let document_subjects: Vec<Subject<'_>> = documents.iter().map(Subject::document).collect();
    let principal_subjects: Vec<Subject<'_>> = principals
        .iter()
        .map(|p| {
            let pick = |list: &[usize]| list.iter().filter_map(|&i| documents.get(i)).collect::<Vec<_>>();
            Subject::principal(pick(&p.documents), pick(&p.ceilings), &p.principal)
        })
        .collect();
    let mut findings = Vec::new();
    for rule in &options.rules {
        let mut ctx = Context {
            catalogue,
            settings: &options.settings,
            source: &source,
            syntax: &syntax,
            documents: &documents,
            drafts: Vec::new(),
        };
        let mut principal_drafts: Vec<(Draft, &PrincipalRef)> = Vec::new();
        match rule.check {
            Check::Document(check) => check(&mut ctx),
            Check::Subject(check) => {
                for subject in &document_subjects {
                    check(&mut ctx, subject);
                }
                let of_documents = std::mem::take(&mut ctx.drafts);
                for (subject, p) in principal_subjects.iter().zip(&principals) {
                    check(&mut ctx, subject);
                    // What a principal's policies grant together adds what no one of them
                    // grants alone; a finding one document already has is not repeated.
                    for draft in std::mem::take(&mut ctx.drafts) {
                        let repeated = of_documents.iter().any(|d| d.span == draft.span && d.message == draft.message);
                        if !repeated {
                            principal_drafts.push((draft, &p.principal));
                        }
                    }
                }
                ctx.drafts = of_documents;
            }
        }
        let drafts =
            ctx.drafts.into_iter().map(|d| (d, None)).chain(principal_drafts.into_iter().map(|(d, p)| (d, Some(p))));
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
            });
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
    findings
}
