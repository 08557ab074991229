use super::{Check, Context, Rule};
use crate::catalogue::arn;
use crate::catalogue::has_wildcard;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{ConditionEntry, Statement};
use crate::resolve::ResolvedStatement;
use crate::resolve::types::{self, TypeReach};
use crate::rules::shared::wording;
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "service-linked-role-unscoped",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "`iam:CreateServiceLinkedRole` allowed for any service, without an `iam:AWSServiceName` condition",
        doc: include_str!("../../rules/service-linked-role-unscoped.md"),
    },
    check: Check::Document(check),
};

const CREATE_SLR: &str = "iam:CreateServiceLinkedRole";

/// Every service-linked role lives under this path, followed by the service's principal
/// (`role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`).
const SLR_PATH: &str = "role/aws-service-role/";

const HELP: &str = "add \"Condition\": {\"StringEquals\": {\"iam:AWSServiceName\": \"SERVICE.amazonaws.com\"}}, or \
                    scope the Resource to the service's role path: \
                    \"arn:aws:iam::*:role/aws-service-role/SERVICE.amazonaws.com/*\"";

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    let Some(iam) = catalogue.find_service("iam") else { return };
    // Looking the action up parses the iam service: only do it for files that grant some of it.
    let grants_iam = |rs: &ResolvedStatement| rs.actions.services().any(|s| s == iam);
    if !documents.iter().any(|d| d.statements.iter().any(grants_iam)) {
        return;
    }
    let Some(create_slr) = catalogue.lookup(CREATE_SLR) else { return };
    let role_arns = types::formats(catalogue, iam, &["role"]);
    for resolved in documents {
        // A statement full-admin reports is left to it.
        for (st, rs) in resolved.judged_statements(catalogue) {
            if !rs.actions.contains(create_slr) {
                continue;
            }
            let Some(scope) = unscoped_resources(st, &role_arns) else { continue };
            let Some(any_service) = service_condition(st) else { continue };
            let grantors = rs.grantors(st, create_slr);
            let Some((first, rest)) = grantors.split_first() else { continue };
            let mut draft = Draft::new(
                first.span.clone(),
                format!("`{CREATE_SLR}` allowed for every service without an `iam:AWSServiceName` condition"),
            )
            .label(first.label(CREATE_SLR));
            for g in rest {
                draft = draft.also(g.span.clone(), g.label(CREATE_SLR));
            }
            for (span, text) in scope {
                draft = draft.also(span, text);
            }
            if let Some(entry) = any_service {
                let why = if entry.values.iter().all(|v| v.value.eq_ignore_ascii_case("false")) {
                    "only asks that the key be present, which it is for every request: this limits nothing"
                } else {
                    "this pattern matches every service name: it limits nothing"
                };
                draft = draft.also(entry.key.span.clone(), why);
            }
            draft = draft.help(HELP).in_statement(st).actions(vec![CREATE_SLR.to_string()]);
            if let Some(note) = wording::grantors_note(&grantors, catalogue) {
                draft = draft.note(note);
            }
            ctx.report(draft);
        }
    }
}

/// The Resource values (or the `NotResource` key) that let the statement create the
/// service-linked role of any service, with their labels; `None` when every value is
/// limited to named services' role paths (or to no service-linked role at all).
fn unscoped_resources(st: &Statement, role_arns: &[&str]) -> Option<Vec<(Span, String)>> {
    let values = match types::reach(st.resource.as_ref()?, role_arns)? {
        TypeReach::AllBut(list) => {
            let text = "`NotResource` grants every resource except those listed, including every service-linked role";
            return Some(vec![(list.key_span.clone(), text.to_string())]);
        }
        TypeReach::Values(values) => values,
    };
    let broad: Vec<(Span, String)> = values
        .into_iter()
        .filter(|v| spans_services(&v.value))
        .map(|v| {
            let text = if v.value == "*" {
                "every resource, including every service's service-linked role".to_string()
            } else {
                "matches the service-linked role of every service".to_string()
            };
            (v.span.clone(), text)
        })
        .collect();
    (!broad.is_empty()).then_some(broad)
}

/// Whether a Resource value that may match a role matches service-linked roles of more
/// than named services: its service segment after `role/aws-service-role/` is missing or
/// has a wildcard, or a wildcard comes before the path is spelt out (`*`, `role/*`).
/// A value whose literal text leaves the path (`role/app-role`) names no service-linked
/// role, so CreateServiceLinkedRole cannot create anything on it.
fn spans_services(value: &str) -> bool {
    let Some([.., resource]) = arn::split(value) else {
        // `*`, `arn:aws:*`: a wildcard spans the whole resource part.
        return true;
    };
    match resource.strip_prefix(SLR_PATH) {
        Some(rest) => match rest.split_once('/') {
            Some((service, _)) => service.is_empty() || has_wildcard(service),
            None => true,
        },
        None => {
            let literal = resource.split(['*', '?']).next().unwrap_or_default();
            has_wildcard(resource) && SLR_PATH.starts_with(literal)
        }
    }
}

/// Whether the statement's condition limits the service; `Some(None)` when it has no
/// `iam:AWSServiceName` key, `Some(Some(entry))` when its only such keys match any name
/// under a Like operator, `None` when a key limits it.
fn service_condition(st: &Statement) -> Option<Option<&ConditionEntry>> {
    let mut any_service = None;
    if let Some(condition) = &st.condition {
        for (op, entry) in condition.entries() {
            if !entry.key.value.eq_ignore_ascii_case("iam:AWSServiceName") {
                continue;
            }
            if matches_any_name(&op.name.value, entry) {
                any_service = Some(entry);
            } else {
                return None;
            }
        }
    }
    Some(any_service)
}

/// `"StringLike": {"iam:AWSServiceName": "*"}` matches every service name; `"Null": {...:
/// "false"}` only asks that the key be present, which it always is for this action.
fn matches_any_name(operator: &str, entry: &ConditionEntry) -> bool {
    if operator.eq_ignore_ascii_case("null") {
        return !entry.values.is_empty() && entry.values.iter().all(|v| v.value.eq_ignore_ascii_case("false"));
    }
    entry.matches_any_value(operator)
}

#[cfg(test)]
mod tests {
    use super::spans_services;

    #[test]
    fn service_spans() {
        assert!(spans_services("*"));
        assert!(spans_services("arn:aws:iam::*:*"));
        assert!(spans_services("arn:aws:iam::*:role/*"));
        assert!(spans_services("arn:aws:iam::*:role/aws-*"));
        assert!(spans_services("arn:aws:iam::*:role/aws-service-role/*"));
        assert!(spans_services("arn:aws:iam::*:role/aws-service-role/*.amazonaws.com/*"));
        assert!(!spans_services("arn:aws:iam::*:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS*"));
        assert!(!spans_services("arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/*"));
        assert!(!spans_services("arn:aws:iam::*:role/app-role"));
        assert!(!spans_services("arn:aws:iam::*:role/app-*"));
    }
}
