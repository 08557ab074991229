use super::{Check, Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionSet, Catalogue};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, thousands};
use crate::policy::ValueList;
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "not-action-allow",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "Allow with `NotAction`: grants every action not listed, including those added to AWS later",
        doc: include_str!("../../rules/not-action-allow.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        // SCPs, RCPs and boundaries only set a ceiling; a Deny never grants.
        for (st, rs) in resolved.granting_statements() {
            let Some(action) = st.action.as_ref().filter(|a| a.negated) else { continue };
            // `"NotAction": "*"` leaves nothing granted.
            if rs.actions.is_empty() {
                continue;
            }
            let mut draft = Draft::new(action.key_span.clone(), message(&rs.actions, catalogue))
                .label("grants every action not listed, including actions AWS adds later")
                .help(
                    "list the actions the workload needs in `Action` instead (e.g. \"Action\": [\"s3:GetObject\", \
                     \"s3:PutObject\"]); to keep actions out of a broader grant, add a Deny statement that names \
                     them in `Action`",
                )
                .note(format!("grants {}", wording::describe(&rs.actions, catalogue)))
                .in_statement(st);
            if let Some(resource) = &st.resource {
                draft = draft.also(resource.span.clone(), resource_label(resource));
            }
            if !rs.actions.is_everything(catalogue) {
                draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
            }
            if st.is_conditional() {
                draft = wording::condition_label(draft, st).severity(Severity::Low);
            }
            ctx.report(draft);
        }
    }
}

/// `` `NotAction` in an Allow grants 18,342 actions, 7,123 of them Write and 1,012 Permissions management ``.
fn message(set: &ActionSet, catalogue: &Catalogue) -> String {
    // Counting levels parses every service the set touches: for a NotAction that is
    // nearly all of them, which is the price of an exact count.
    let counts = set.count_by_level(catalogue);
    let count = |level| counts.iter().find(|(l, _)| *l == level).map_or(0, |(_, n)| *n);
    let total = set.len(catalogue);
    let noun = if total == 1 { "action" } else { "actions" };
    let head = format!("`NotAction` in an Allow grants {} {noun}", thousands(total));
    match (count(AccessLevel::Write), count(AccessLevel::PermissionsManagement)) {
        (0, 0) => format!("{head}, none of them Write or Permissions management"),
        (w, 0) => format!("{head}, {} of them Write", thousands(w)),
        (0, p) => format!("{head}, {} of them Permissions management", thousands(p)),
        (w, p) => format!("{head}, {} of them Write and {} Permissions management", thousands(w), thousands(p)),
    }
}

pub(crate) fn resource_label(resource: &ValueList) -> String {
    if resource.negated {
        "on every resource except these".to_string()
    } else if resource.values.iter().any(|v| v.value == "*") {
        "on every resource".to_string()
    } else if resource.values.len() == 1 {
        "on this resource".to_string()
    } else {
        "on these resources".to_string()
    }
}
