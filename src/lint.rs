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
use std::io::Read;
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
    let lint = |c: &Candidate| {
        // The command line's --policy-kind wins over the configuration's kind for the file.
        let result = match (options.kind, c.kind) {
            (None, Some(kind)) => {
                let options = LintOptions { kind: Some(kind), ..options.clone() };
                lint_path(&c.path, c.explicit, &options, catalogue)
            }
            _ => lint_path(&c.path, c.explicit, options, catalogue),
        };
        (c.path.clone(), result)
    };
    // Starting the thread pool costs more than linting the one file a pre-commit hook passes.
    let results: Vec<(PathBuf, FileOutcome)> = if candidates.len() > 1 {
        candidates.par_iter().map(lint).collect()
    } else {
        candidates.iter().map(lint).collect()
    };
    let mut outcome = Outcome::default();
    for (path, result) in results {
        record(&mut outcome, path, result);
    }
    outcome.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    outcome
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
    let mut bytes = Vec::new();
    // One byte past the limit tells a stream at the limit from one over it.
    if let Err(e) = reader.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return FileOutcome::Failed(format!("cannot read: {}", io_reason(&e)));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return FileOutcome::Failed(format!(
            "input is over {} MiB; iamlint reads up to {} MiB",
            MAX_FILE_BYTES >> 20,
            MAX_FILE_BYTES >> 20
        ));
    }
    lint_bytes(name, bytes, true, options, catalogue)
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
        Ok(bytes) => lint_text(path, bytes, explicit, links_out_of_tree(path), options, catalogue),
        Err(e) => FileOutcome::Failed(format!("cannot read: {}", io_reason(&e))),
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

/// Lints a file's content (used by the CLI, the fixtures and the fuzz tests).
pub fn lint_bytes(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
) -> FileOutcome {
    lint_text(path, bytes, explicit, false, options, catalogue)
}

/// Lints a file's content; `withhold` keeps its text out of reports.
fn lint_text(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    withhold: bool,
    options: &LintOptions,
    catalogue: &Catalogue,
) -> FileOutcome {
    let (text, encoding_problem) = decode(bytes);
    let source = Arc::new(SourceFile::new(path, text));
    if withhold {
        source.withhold();
    }
    let load = LoadOptions { kind: options.kind, explicit: explicit || encoding_problem.is_some() };
    let loaded = match formats::load(source, &load) {
        Loaded::NotPolicy(reason) => return FileOutcome::Skipped(reason),
        Loaded::Unsupported(message) => return FileOutcome::Failed(message),
        Loaded::Policy(mut loaded) => {
            loaded.syntax.extend(encoding_problem);
            loaded
        }
    };
    // A file no document could be read from, and that does not look like a policy
    // (a named secret, a binary), is reported without echoing its text.
    if loaded.documents.is_empty() && !formats::json::looks_like_policy(&loaded.source.text) {
        loaded.source.withhold();
    }
    if let Some(d) = loaded.documents.iter().find(|d| d.size > MAX_DOCUMENT_CHARS) {
        let name = if d.locator.is_empty() { "the policy".to_string() } else { format!("`{}`", d.locator) };
        return FileOutcome::Failed(format!(
            "analysis incomplete: {name} is {} characters of policy, more than the {MAX_DOCUMENT_CHARS} iamlint analyses \
             (the largest IAM quota is 10,240); split it into policies IAM accepts",
            d.size
        ));
    }
    match analyse(loaded, options, catalogue) {
        Ok(findings) => FileOutcome::Linted(findings),
        Err(message) => FileOutcome::Failed(message),
    }
}

/// The largest document analysed, in the characters AWS counts toward its quotas: a
/// hundred times the largest IAM quota (10,240 for a role's inline policies). A larger
/// one is reported as not analysed (exit 2) instead of being worked through for minutes.
pub const MAX_DOCUMENT_CHARS: usize = 1 << 20;

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

/// Resolves a loaded file's documents and runs the rules: document rules once over the
/// file, subject rules on each document alone and then on each principal.
pub fn check(loaded: LoadedFile, options: &LintOptions, catalogue: &Catalogue) -> Vec<Finding> {
    analyse(loaded, options, catalogue).unwrap_or_default()
}

/// `check`, or why the file could not be analysed completely: a document or principal
/// needed more work than the grant model's budget (`resolve::effective::WORK_BUDGET`).
pub fn analyse(loaded: LoadedFile, options: &LintOptions, catalogue: &Catalogue) -> Result<Vec<Finding>, String> {
    let LoadedFile { source, syntax, documents, principals, waivers } = loaded;
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
                chains: d.chains,
                waiver: None,
            });
        }
    }
    if let Some(s) = document_subjects.iter().chain(&principal_subjects).find(|s| s.exhausted()) {
        let what = match s.principal {
            Some(p) => format!("the policies of {} `{}` taken together", p.kind, p.name),
            None => "a document".to_string(),
        };
        return Err(format!(
            "analysis incomplete: {what} needed more work than iamlint's budget (statements \
             against Denies, condition keys, resource patterns); split the policy into smaller ones"
        ));
    }
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
    Ok(findings)
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
        PrincipalPolicies { principal, documents, ceilings, trust: None }
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
}
