use super::{Check, Context, Rule};
use crate::catalogue::keys;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{PolicyKind, Principal, Statement};
use crate::rules::shared::wording;
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "public-principal",
        severity: Severity::Critical,
        category: Category::Trust,
        summary: "resource or trust policy allows `\"Principal\": \"*\"` with no condition on who the caller is",
        doc: include_str!("../../rules/public-principal.md"),
    },
    check: Check::Document(check),
};

/// Condition keys (compared case-insensitively) whose value narrows who can use a
/// statement: the caller's account, organization, ARN or network origin, or the resource
/// a service acts for. From the global condition keys reference
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
/// and the service keys that name the calling account. `aws:SecureTransport` and the like
/// say how someone calls, not who.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:userid",
    "kms:CallerAccount",
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
];

/// `aws:SourceIp` values that match every address.
const EVERY_ADDRESS: &[&str] = &["0.0.0.0/0", "::/0"];

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        // An RCP's Allow only sets a ceiling (`RCPFullAWSAccess` is `"Principal": "*"`);
        // identity policies, SCPs and boundaries name no principal.
        if !matches!(resolved.doc.kind, PolicyKind::Resource | PolicyKind::Trust) {
            continue;
        }
        for (st, rs) in resolved.statements() {
            if !st.is_allow() || restricts_caller(st) {
                continue;
            }
            let Some(span) = public_value(st) else { continue };
            let mut draft = Draft::new(
                span,
                "policy allows any principal (`*`), with no condition on who the caller is",
            )
            .label("`*`: every AWS account, and anonymous callers where the service allows them")
            .help(
                "name the account or role (e.g. \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/reader\"}), \
                     or add a condition such as \"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \
                     \"o-exampleorgid\"}} or {\"ArnLike\": {\"aws:SourceArn\": \"...\"}}",
            )
            .locator(resolved.doc.locator.clone())
            .in_statement(st);
            if let Some(action) = &st.action {
                draft = draft.also(action.span.clone(), "allowed to anyone");
            }
            if let Some(condition) = &st.condition {
                let wildcard_accounts: Vec<&Span> = condition
                    .entries()
                    .flat_map(|(_, e)| e.values.iter().filter(|v| partly_wild(&e.key.value, &v.value)))
                    .map(|v| &v.span)
                    .collect();
                if wildcard_accounts.is_empty() {
                    draft = draft.also(condition.key_span.clone(), "does not restrict who the caller is");
                }
                for span in wildcard_accounts {
                    draft = draft.also(
                        span.clone(),
                        "a wildcard account or organization: anyone can create a match in their own",
                    );
                }
            }
            if !rs.actions.is_empty() {
                draft = draft.note(format!("anyone may call {}", wording::describe(&rs.actions, catalogue)));
                if !rs.actions.is_everything(catalogue) {
                    draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
                }
            }
            ctx.report(draft);
        }
    }
}

/// A value with a wildcard account or organization that is not only wildcards (`"*"` is
/// labelled as not restricting at all).
fn partly_wild(key: &str, value: &str) -> bool {
    keys::admits_any_account(key, value) && value.chars().any(|c| c != '*' && c != '?')
}

/// The first `*` the statement's (non-negated) Principal names: `"Principal": "*"` or a
/// `*` in its `AWS` entry.
fn public_value(st: &Statement) -> Option<Span> {
    let block = st.principal.as_ref().filter(|p| !p.negated)?;
    match &block.principal {
        Principal::Wildcard(span) => Some(span.clone()),
        Principal::Map(entries) => entries
            .iter()
            .filter(|e| e.kind.value == "AWS")
            .flat_map(|e| &e.values)
            .find(|v| v.value == "*")
            .map(|v| v.span.clone()),
    }
}

/// Whether a condition narrows who may use the statement: an entry on a key that names
/// the caller, under an operator that requires it (`ConditionOperator::requires_key`).
fn restricts_caller(st: &Statement) -> bool {
    let Some(condition) = &st.condition else { return false };
    condition.entries().any(|(op, entry)| {
        let values: Vec<&str> = entry.values.iter().map(|v| v.value.as_str()).collect();
        op.requires_key() && restricting_entry(&entry.key.value, &values)
    })
}

/// Whether a key, under a positive operator, with these values, narrows the caller.
fn restricting_entry(key: &str, values: &[&str]) -> bool {
    if !RESTRICTING_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return false;
    }
    // A value that matches anything (`"*"`, `0.0.0.0/0`) restricts no one; nor does one
    // with a wildcard account or organization (`arn:aws:iam::*:role/ci-*`, `o-*`): anyone
    // can create a matching role in their own account.
    let open = |v: &str| {
        v == "*"
            || (key.eq_ignore_ascii_case("aws:SourceIp") && EVERY_ADDRESS.contains(&v))
            || keys::admits_any_account(key, v)
    };
    !values.is_empty() && !values.iter().any(|v| open(v))
}

#[cfg(test)]
mod tests {
    use super::restricting_entry;

    #[test]
    fn restricting_keys_and_values() {
        assert!(restricting_entry("aws:PrincipalOrgID", &["o-abc"]));
        assert!(restricting_entry("AWS:principalorgid", &["o-abc"]));
        assert!(restricting_entry("kms:CallerAccount", &["111122223333"]));
        assert!(restricting_entry("aws:SourceIp", &["203.0.113.0/24"]));
        assert!(!restricting_entry("aws:SourceIp", &["203.0.113.0/24", "0.0.0.0/0"]));
        assert!(!restricting_entry("aws:SourceIp", &["::/0"]));
        assert!(!restricting_entry("aws:PrincipalArn", &["*"]));
        assert!(!restricting_entry("aws:PrincipalArn", &["arn:aws:iam::*:role/ci-*"]));
        assert!(!restricting_entry("aws:PrincipalOrgID", &["o-*"]));
        assert!(!restricting_entry("aws:SourceArn", &["arn:aws:sns:*:111122223333:t", "arn:aws:sns:*:*:*"]));
        assert!(restricting_entry("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/ci-*"]));
        assert!(!restricting_entry("aws:SecureTransport", &["true"]));
        assert!(!restricting_entry("aws:PrincipalOrgID", &[]));
    }
}
