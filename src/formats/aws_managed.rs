//! AWS managed policies a file names but does not hold (a dump saved without them, a
//! template's `ManagedPolicyArns`, a SAM function's `Policies: [AWSLambdaExecute]`): their
//! documents come from the bundled snapshot (`catalogue::managed`), every span on the
//! place the file names the policy. The text is AWS's, so the document is marked
//! `expanded_from` that place: what it grants is judged, its validity is not the user's.

use super::SyntaxProblem;
use super::document::{self, DocumentOptions};
use super::embedded::{self, Place};
use crate::catalogue::managed;
use crate::policy::{PolicyDocument, PolicyKind};
use crate::source::Span;

/// The snapshot's document of the AWS managed policy `arn` (any partition), spanned on
/// `span`, located `<at>[AWS managed <name> <version> of <date>]`; `None` when the snapshot
/// does not know it.
pub(crate) fn document(
    arn: &str,
    span: &Span,
    at: &str,
    kind: PolicyKind,
) -> Option<(PolicyDocument, Vec<SyntaxProblem>)> {
    let policy = managed::aws_managed(arn)?;
    let place = Place::Collapsed(span.clone(), format!("in the bundled AWS managed policy {arn}: "));
    let parsed = embedded::parse(policy.document, &[], &place, false);
    let tree = parsed.tree?;
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let options = DocumentOptions {
        locator: format!("{at}[AWS managed {name} {} of {}]", policy.version, managed::data_date()),
        kind: Some(kind),
        bare_statement: false,
        size: parsed.size,
        escape_overhead: parsed.escape_overhead,
    };
    let mut doc = document::build(&tree, &options);
    doc.expanded_from = Some(span.clone());
    Some((doc, parsed.syntax))
}

/// The ARN of an AWS managed policy named without its ARN (SAM's `Policies:
/// [AWSLambdaBasicExecutionRole]`), whatever its path (`service-role/`).
pub(crate) fn arn_of_name(name: &str) -> Option<String> {
    managed::path_of_name(name).map(|path| format!("arn:aws:iam::aws:policy/{path}"))
}
