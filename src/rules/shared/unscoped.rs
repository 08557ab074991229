//! The reporter shared by the sensitive-class rules (`credentials-exposure`,
//! `data-exfiltration`): one finding per statement that grants a class's actions
//! unrestricted, with resource advice per service.

use super::wording;
use crate::catalogue::{ActionId, Catalogue};
use crate::packs::sensitive::{Members, SensitiveAction};
use crate::resolve::{Reach, StatementGrants, Subject};
use crate::rules::Context;

/// How to scope one action, or every action of one service, in a finding's help.
pub struct Scope {
    /// `service:Action`, or `service` for all of its actions.
    pub applies_to: &'static str,
    /// A Resource value to write instead (placeholders in capitals).
    pub resource: &'static str,
    /// A condition that narrows the service's actions, when it has a better one than a
    /// resource tag.
    pub condition: Option<&'static str>,
}

/// The narrowing condition the help offers when no `Scope` has a better one.
const TAG_CONDITION: &str = r#"{"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}"#;

/// The rule body shared by `credentials-exposure` and `data-exfiltration`: one finding per
/// statement that grants actions of a sensitive-actions class on every resource of
/// their types (or a `*`-only one) with no narrowing condition. `what` names the class
/// (`credential actions`); `scopes` feed the help.
pub fn report_unscoped(
    ctx: &mut Context<'_>,
    subject: &Subject<'_>,
    class: &'static [SensitiveAction<'static>],
    what: &str,
    scopes: &[Scope],
) {
    let catalogue = ctx.catalogue;
    // (A resource policy's `"Resource": "*"` names only its own resource: the grant model
    // says so, a KMS key policy's `*` is that key, not every key.)
    let members = Members::of(class, &subject.judged_services(catalogue), catalogue);
    if members.set.is_empty() {
        return;
    }
    // `is_unrestricted` is `is_unscoped` for actions with resource types, and keeps
    // `*`-only actions granted with no narrowing condition (`*` is all they take).
    let found = subject.statement_grants(catalogue, |id| members.set.contains(id), |g| g.is_unrestricted());
    for found in found {
        let mut draft = wording::unscoped(&found, what, catalogue).help(help(&found, scopes, catalogue));
        if let [(id, _)] = found.grants.as_slice()
            && let Some(entry) = members.entry(*id)
        {
            draft = draft.note(format!("`{}` {}", entry.action, entry.why));
        }
        ctx.report(draft);
    }
}

/// What to write instead: a Resource value per service (at most three, the advice of
/// `scopes` first), a narrowing condition, and for `*`-only actions that they cannot be
/// scoped.
fn help(found: &StatementGrants<'_>, scopes: &[Scope], catalogue: &Catalogue) -> String {
    const SHOWN: usize = 3;
    // (from `scopes`, subject, Resource value), one per subject.
    let mut examples: Vec<(bool, &str, String)> = Vec::new();
    // (subject, condition) of the scopes that have one; whether some action has none of its own.
    let mut conditions: Vec<(&str, &str)> = Vec::new();
    let mut generic = false;
    let mut star_only = Vec::new();
    for (id, grant) in &found.grants {
        let name = catalogue.action_name(*id);
        if grant.reach == Reach::StarOnly {
            star_only.push(format!("`{name}`"));
            continue;
        }
        let prefix = catalogue.prefix(id.service);
        let scope = scopes
            .iter()
            .find(|s| s.applies_to.eq_ignore_ascii_case(&name))
            .or_else(|| scopes.iter().find(|s| s.applies_to == prefix));
        let example = match scope {
            Some(s) => {
                match s.condition {
                    Some(c) if !conditions.iter().any(|(subject, _)| *subject == s.applies_to) => {
                        conditions.push((s.applies_to, c))
                    }
                    Some(_) => {}
                    None => generic = true,
                }
                (true, s.applies_to, s.resource.to_string())
            }
            None => {
                generic = true;
                match example_arn(*id, catalogue) {
                    Some(arn) => (false, prefix, arn),
                    None => continue,
                }
            }
        };
        if !examples.iter().any(|(_, subject, _)| *subject == example.1) {
            examples.push(example);
        }
    }
    examples.sort_by_key(|(from_scopes, _, _)| !from_scopes);
    examples.truncate(SHOWN);
    let mut parts = Vec::new();
    if !examples.is_empty() {
        let listed = match examples.as_slice() {
            [(_, _, one)] => format!("\"{one}\""),
            many => {
                many.iter().map(|(_, subject, arn)| format!("\"{arn}\" for {subject}")).collect::<Vec<_>>().join(", ")
            }
        };
        // The tag condition for actions no scope gives one; a scope's own for its actions.
        let condition = match (generic, conditions.as_slice()) {
            (false, [(_, only)]) => only.to_string(),
            (_, []) => TAG_CONDITION.to_string(),
            (_, scoped) => std::iter::once(TAG_CONDITION.to_string())
                .chain(scoped.iter().map(|(subject, c)| format!("{c} for {subject}")))
                .collect::<Vec<_>>()
                .join(", or "),
        };
        parts.push(format!(
            "name the resources in \"Resource\" (e.g. {listed}), or add a condition that narrows {}, such as {condition}",
            if found.grants.len() == 1 { "it" } else { "them" },
        ));
    }
    if !star_only.is_empty() {
        let n = star_only.len();
        let mut listed = star_only.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if n > SHOWN {
            listed.push_str(&format!(" and {} more", n - SHOWN));
        }
        let (verb, them, their) = if n == 1 { ("takes", "it", "its") } else { ("take", "them", "their") };
        parts.push(format!(
            "{listed} {verb} only \"*\": grant {them} only to the principals that need {them}, in a statement of {their} own"
        ));
    }
    parts.join("; ")
}

/// A Resource example from the catalogue: the ARN format of the action's first required
/// resource type (else its first), with placeholders in capitals
/// (`arn:aws:redshift:REGION:ACCOUNT:dbuser:CLUSTER-NAME/DB-USER`).
fn example_arn(id: ActionId, catalogue: &Catalogue) -> Option<String> {
    let action = catalogue.action(id);
    let kind = action.resources.iter().find(|r| r.required).or(action.resources.first())?;
    let format = catalogue.resource_type(id.service, &kind.kind)?.arns.first()?;
    Some(fill_placeholders(format))
}

/// `arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}` ->
/// `arn:aws:kms:REGION:ACCOUNT:key/KEY-ID`.
fn fill_placeholders(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else { break };
        out.push_str(&rest[..start]);
        let name = &rest[start + 2..start + end];
        if name == "Partition" {
            out.push_str("aws");
        } else {
            for (i, c) in name.char_indices() {
                let boundary =
                    i > 0 && c.is_ascii_uppercase() && !name[..i].ends_with(|p: char| p.is_ascii_uppercase());
                if boundary {
                    out.push('-');
                }
                out.push(c.to_ascii_uppercase());
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::sensitive::sensitive_actions;

    #[test]
    fn placeholders_in_capitals() {
        assert_eq!(
            fill_placeholders("arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"),
            "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"
        );
        assert_eq!(
            fill_placeholders("arn:${Partition}:rds-db:${Region}:${Account}:dbuser:${DbiResourceId}/${DbUserName}"),
            "arn:aws:rds-db:REGION:ACCOUNT:dbuser:DBI-RESOURCE-ID/DB-USER-NAME"
        );
        assert_eq!(fill_placeholders("arn:${Partition}:s3:::${BucketName}"), "arn:aws:s3:::BUCKET-NAME");
        assert_eq!(fill_placeholders("arn:${Partition}:iam::${Account}:root"), "arn:aws:iam::ACCOUNT:root");
        assert_eq!(fill_placeholders("broken ${Region"), "broken ${Region");
    }

    #[test]
    fn every_class_action_has_resource_advice() {
        let catalogue = Catalogue::bundled();
        let classes = &sensitive_actions().classes;
        for entry in classes.credentials.iter().chain(&classes.data).filter(|e| !e.star_only_ok) {
            let id = catalogue.lookup(entry.action).unwrap();
            if !catalogue.action_formats(id).is_empty() {
                let arn = example_arn(id, catalogue).unwrap_or_else(|| panic!("{}: no example", entry.action));
                assert!(arn.starts_with("arn:aws:") && !arn.contains("${"), "{}: {arn}", entry.action);
            }
        }
    }
}
