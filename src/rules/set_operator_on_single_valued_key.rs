use super::{Check, Context, Rule};
use crate::catalogue::Expansion;
use crate::catalogue::keys;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family, Operator, SetQualifier};
use crate::policy::{Condition, ConditionEntry, ConditionOperator};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "set-operator-on-single-valued-key",
        severity: Severity::High,
        category: Category::Validity,
        summary: "`ForAllValues:`/`ForAnyValue:` on a single-valued key, or `ForAllValues:` in an Allow without a `Null` guard",
        doc: include_str!("../../rules/set-operator-on-single-valued-key.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            let Some(condition) = &st.condition else { continue };
            // A key's type depends on the actions; unknown actions are other rules' findings.
            if rs.actions.is_empty() || rs.values.iter().any(|v| !matches!(v.expansion, Expansion::Actions(_))) {
                continue;
            }
            for (op, entry) in condition.entries() {
                let Some(parsed) = operator::parse(&op.name.value) else { continue };
                let Some(qualifier) = parsed.qualifier else { continue };
                let Some(kind) = keys::type_of(catalogue, &rs.actions, &entry.key.value) else { continue };
                let draft = if !kind.is_multi_valued() {
                    single_valued(op, &parsed, qualifier, entry, st.is_allow())
                } else if qualifier == SetQualifier::ForAllValues
                    && st.is_allow()
                    && !parsed.if_exists
                    && !guarded(condition, &entry.key.value)
                    && !lists_tag_keys(&entry.key.value)
                {
                    unguarded(op, entry)
                } else {
                    continue;
                };
                ctx.report(draft.in_statement(st).actions(involved(catalogue, &rs.actions)));
            }
        }
    }
}

fn single_valued(
    op: &ConditionOperator,
    parsed: &Operator,
    qualifier: SetQualifier,
    entry: &ConditionEntry,
    allow: bool,
) -> Draft {
    let key = &entry.key.value;
    let plain = Operator { qualifier: None, ..*parsed }.to_string();
    let (severity, note) = match (qualifier, allow) {
        (SetQualifier::ForAllValues, true) => (
            Severity::High,
            format!(
                "`ForAllValues:` is true when the key is absent from the request or has no value, so this Allow \
                 also applies to every request that carries no `{key}`"
            ),
        ),
        (SetQualifier::ForAllValues, false) => (
            Severity::Medium,
            format!(
                "`ForAllValues:` is true when the key is absent from the request or has no value, so this Deny also \
                 applies to every request that carries no `{key}`, whatever the values listed"
            ),
        ),
        (SetQualifier::ForAnyValue, _) if parsed.base.negated => (
            Severity::Medium,
            format!(
                "`ForAnyValue:` is false when `{key}` is absent from the request, where `{plain}` is true: a \
                 request without the key escapes the condition"
            ),
        ),
        (SetQualifier::ForAnyValue, _) => (
            Severity::Medium,
            format!(
                "on a single-valued key `ForAnyValue:` gives the same result as `{plain}`, but reads as if `{key}` \
                 carried several values; AWS documents the set qualifiers for multi-valued keys only"
            ),
        ),
    };
    Draft::new(op.name.span.clone(), format!("set operator `{}` on single-valued key `{key}`", op.name.value))
        .label(format!("`{}:` tests each value of a multi-valued key", qualifier.as_str()))
        .also(entry.key.span.clone(), "a single-valued key")
        .severity(severity)
        .help(format!("write `{plain}`: a single-valued key is tested with the plain operator"))
        .note(note)
}

fn unguarded(op: &ConditionOperator, entry: &ConditionEntry) -> Draft {
    let key = &entry.key.value;
    Draft::new(op.name.span.clone(), format!("`{}` in an Allow also matches requests without `{key}`", op.name.value))
        .label("true when the key is absent")
        .also(entry.key.span.clone(), "a multi-valued key with no `Null` check")
        // Whether requests without the key are meant to pass cannot be read from the policy.
        .severity(Severity::Low)
        .help(format!(
            "if the request must carry `{key}`, add `\"Null\": {{\"{key}\": \"false\"}}` to the Condition; if \
             requests without it are meant to pass, write `{}IfExists` to say so",
            op.name.value
        ))
        .note(
            "`ForAllValues:` is true when every value in the request matches, which includes the case of no value at \
             all: a request that omits the key passes the condition. This is a guess at intent: it is harmless when \
             the key's absence means the request asks for nothing the list restricts",
        )
}

/// `aws:TagKeys`, `s3:RequestObjectTagKeys`: the keys of the tags a request sets. Without
/// the key the request sets no tag, so `ForAllValues:` reading "only these tag keys" is
/// AWS's documented idiom, not a widening.
fn lists_tag_keys(key: &str) -> bool {
    keys::lists_tag_keys(key)
}

/// Whether another condition of the statement requires the key to be present: `Null`
/// with `false`, or a non-negated `ForAnyValue:` test (false when the key is absent).
fn guarded(condition: &Condition, key: &str) -> bool {
    condition.entries().any(|(op, entry)| {
        if !entry.key.value.eq_ignore_ascii_case(key) {
            return false;
        }
        let Some(parsed) = operator::parse(&op.name.value) else { return false };
        match parsed.base.family {
            Family::Null => {
                !entry.values.is_empty() && entry.values.iter().all(|v| v.value.eq_ignore_ascii_case("false"))
            }
            _ => parsed.qualifier == Some(SetQualifier::ForAnyValue) && !parsed.base.negated && !parsed.if_exists,
        }
    })
}

/// The concrete actions a finding involves (none listed for `*`).
fn involved(catalogue: &crate::catalogue::Catalogue, set: &crate::catalogue::ActionSet) -> Vec<String> {
    if set.is_everything(catalogue) { Vec::new() } else { wording::names(set, catalogue, 20) }
}
