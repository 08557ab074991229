use super::{Check, Context, Rule};
use crate::catalogue::has_wildcard;
use crate::catalogue::{ActionSet, Catalogue};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, thousands};
use crate::policy::ValueList;
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "not-resource-allow",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "Allow with `NotResource`: grants the actions on every resource not listed, in any account",
        doc: include_str!("../../rules/not-resource-allow.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        // SCPs, RCPs and boundaries only set a ceiling; a Deny never grants.
        for (st, rs) in resolved.granting_statements() {
            let Some(resource) = st.resource.as_ref().filter(|r| r.negated) else { continue };
            let Some(action) = &st.action else { continue };
            // Actions that are not in the catalogue are unknown-action's finding.
            if rs.actions.is_empty() {
                continue;
            }
            let mut draft = Draft::new(
                resource.key_span.clone(),
                format!("{} allowed on every resource not listed in `NotResource`", what(&rs.actions, catalogue)),
            )
            .label(format!("every resource except {}, including resources in other accounts", listed(resource)))
            .help(
                "name the resources the actions apply to in `Resource` instead (e.g. \"Resource\": \
                 \"arn:aws:s3:::my-bucket/*\"); to keep resources out of a broader grant, add a Deny statement that \
                 names them in `Resource`",
            )
            .in_statement(st);
            if action.negated {
                draft = draft.also(action.key_span.clone(), "`NotAction` grants every action not listed");
            } else {
                for v in &action.values {
                    draft = draft.also(v.span.clone(), format!("`{}` granted there", v.value));
                }
            }
            if action.negated || action.values.iter().any(|v| has_wildcard(&v.value)) {
                draft = draft.note(format!("grants {}", wording::describe(&rs.actions, catalogue)));
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

/// `` `s3:GetObject` `` for one action, `every action` or `14 actions` otherwise.
fn what(set: &ActionSet, catalogue: &Catalogue) -> String {
    if set.is_everything(catalogue) {
        return "every action".to_string();
    }
    let total = set.len(catalogue);
    if total == 1
        && let Some(id) = set.iter(catalogue).next()
    {
        return format!("`{}`", catalogue.action_name(id));
    }
    format!("{} actions", thousands(total))
}

/// `` `arn:aws:s3:::secret/*` `` or `the 3 listed`.
fn listed(resource: &ValueList) -> String {
    match resource.values.as_slice() {
        [one] => format!("`{}`", one.value),
        values => format!("the {} listed", values.len()),
    }
}
