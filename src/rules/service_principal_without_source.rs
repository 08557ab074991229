use super::{Check, Context, Rule};
use crate::catalogue::{has_wildcard, keys, wildcard_match};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::packs::pack;
use crate::policy::{ConditionEntry, ConditionOperator, PolicyKind, Principal, Statement};
use crate::rules::shared::wording;
use serde::Deserialize;
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "service-principal-without-source",
        severity: Severity::Low,
        category: Category::Trust,
        summary: "Service principal allowed without `aws:SourceArn` / `aws:SourceAccount`: the service may act for any account (confused deputy)",
        doc: include_str!("../../rules/service-principal-without-source.md"),
    },
    check: Check::Document(check),
};

/// The global keys a service sets to the resource (and its account or organization)
/// it acts for.
const SOURCE_KEYS: [&str; 4] = ["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"];

/// One entry of `rules/packs/confused-deputy-services.json`.
#[derive(Deserialize)]
struct Service {
    principal: String,
    source_arn: String,
    policies: Vec<String>,
}

#[derive(Deserialize)]
struct Pack {
    services: Vec<Service>,
}

fn pack() -> &'static [Service] {
    static SERVICES: OnceLock<Vec<Service>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let pack: Pack = pack!("confused-deputy-services.json");
        pack.services
    })
}

/// The pack entry for `principal` in a policy of this kind: only the services that send
/// the source keys there (a compute service assuming its role sends none).
fn service(principal: &str, kind: PolicyKind) -> Option<&'static Service> {
    let kind = match kind {
        PolicyKind::Trust => "trust",
        PolicyKind::Resource => "resource",
        _ => return None,
    };
    pack().iter().find(|s| wildcard_match(&s.principal, principal, true) && s.policies.iter().any(|p| p == kind))
}

/// Some source key is required with a value that is not `*`.
fn has_source_condition(st: &Statement) -> bool {
    SOURCE_KEYS.iter().any(|key| st.condition.as_ref().is_some_and(|c| c.requiring(key).iter().any(restricts_source)))
}

/// A source entry that names sources: not a value matching anything, and no value with a
/// wildcard account or organization (`arn:aws:sns:*:*:*`: any account's topic).
fn restricts_source(r: &crate::policy::Restriction<'_>) -> bool {
    !r.matches_anything() && !r.entry.values.iter().any(|v| keys::admits_any_account(&r.entry.key.value, &v.value))
}

/// The source key entries the statement has (none of which restricts, when reporting).
fn source_entries(st: &Statement) -> impl Iterator<Item = (&ConditionOperator, &ConditionEntry)> {
    st.condition
        .iter()
        .flat_map(|c| c.entries())
        .filter(|(_, e)| SOURCE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(&e.key.value)))
}

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            if !st.is_allow() || !resolved.doc.grants_access(st) || has_source_condition(st) {
                continue;
            }
            let Some(block) = st.principal.as_ref().filter(|p| !p.negated) else { continue };
            let Principal::Map(entries) = &block.principal else { continue };
            for value in entries.iter().filter(|e| e.kind.value == "Service").flat_map(|e| &e.values) {
                let Some(service) = service(&value.value, resolved.doc.kind) else { continue };
                let mut draft = Draft::new(
                    value.span.clone(),
                    format!(
                        "service principal `{}` allowed without an `aws:SourceArn` or `aws:SourceAccount` condition",
                        value.value
                    ),
                )
                .label("this service acting for any account's resources, not only yours")
                .help(format!(
                    "add \"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": \"ACCOUNT\"}}, \"ArnLike\": \
                     {{\"aws:SourceArn\": \"{}\"}}}}",
                    service.source_arn
                ))
                .in_statement(st);
                if let Some(action) = &st.action {
                    draft = draft.also(action.span.clone(), "granted to it");
                }
                for (op, entry) in source_entries(st) {
                    let why = if st.condition.as_ref().is_none_or(|c| c.requiring(&entry.key.value).is_empty()) {
                        wording::why_ignored(&op.name.value, "request")
                    } else if !entry.matches_any_value(&op.name.value)
                        && entry.values.iter().any(|v| keys::admits_any_account(&entry.key.value, &v.value))
                    {
                        "a wildcard account or organization matches every account's resources".to_string()
                    } else {
                        format!("`{}` with `*` matches every source", op.name.value)
                    };
                    draft = draft.also(entry.key.span.clone(), why);
                }
                if st.action.iter().flat_map(|a| &a.values).any(|v| has_wildcard(&v.value)) {
                    draft = draft.note(wording::describe(&rs.actions, catalogue));
                }
                if !rs.actions.is_empty() && !rs.actions.is_everything(catalogue) {
                    draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
                }
                ctx.report(draft);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::service;
    use crate::policy::PolicyKind;

    #[test]
    fn applies_only_where_aws_documents_the_keys() {
        assert!(service("sns.amazonaws.com", PolicyKind::Resource).is_some());
        assert!(service("logs.eu-west-1.amazonaws.com", PolicyKind::Trust).is_some());
        assert!(service("config.amazonaws.com", PolicyKind::Trust).is_some());
        assert!(service("lambda.amazonaws.com", PolicyKind::Trust).is_none());
        assert!(service("ec2.amazonaws.com", PolicyKind::Trust).is_none());
        assert!(service("sns.amazonaws.com", PolicyKind::Identity).is_none());
    }
}
