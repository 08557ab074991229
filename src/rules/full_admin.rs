use super::{Check, Context, Rule};
use crate::catalogue::{Expansion, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, thousands};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "full-admin",
        severity: Severity::Critical,
        category: Category::LeastPrivilege,
        summary: "Allow of every action on every resource without a condition: full administrator access",
        doc: include_str!("../../rules/full-admin.md"),
    },
    check: Check::Document(check),
};

const HELP: &str = "list the specific actions the workload needs, on its own resources (e.g. \"s3:GetObject\" on \
                    \"arn:aws:s3:::my-bucket/*\"); keep AdministratorAccess for break-glass roles, with a condition \
                    such as \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}";

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    let totals = catalogue.header().totals;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            // Decided on what the statement grants, not on how it is written: `*`, `*:*`, or a
            // NotAction whose values name no real action (it excludes nothing).
            if !resolved.is_full_admin(st, rs, catalogue) {
                continue;
            }
            let Some(action) = &st.action else { continue };
            let Some(resource) = st.resource.as_ref() else { continue };
            let Some(every_resource) = resource.values.iter().find(|v| v.value == "*") else { continue };
            let mut draft = if action.negated {
                let written: Vec<String> = action.values.iter().map(|v| format!("`{}`", v.value)).collect();
                let mut draft = Draft::new(
                    action.key_span.clone(),
                    format!(
                        "`NotAction` excludes no real action ({}): every action allowed on every resource, full \
                         administrator access",
                        written.join(", ")
                    ),
                )
                .label("grants every action not listed");
                for v in &action.values {
                    let what = if has_wildcard(&v.value) { "matches" } else { "names" };
                    draft = draft.also(v.span.clone(), format!("{what} no action in the catalogue: excludes nothing"));
                }
                draft.help(
                    "write the actions `NotAction` should leave out as they are named in the catalogue (`iamlint \
                     expand` shows what a value matches); better, list the specific actions the workload needs in \
                     `Action`, on its own resources",
                )
            } else {
                // The value that grants everything by itself (`*`, `*:*`); else the Action key,
                // when only the values together do.
                let whole = rs
                    .values
                    .iter()
                    .find(|v| matches!(&v.expansion, Expansion::Actions(set) if set.is_everything(catalogue)));
                match whole {
                    Some(v) => Draft::new(
                        v.value.span.clone(),
                        format!("`{}` allowed on every resource: full administrator access", v.value.value),
                    )
                    .label("every action of every service"),
                    None => Draft::new(
                        action.key_span.clone(),
                        "every action allowed on every resource: full administrator access",
                    )
                    .label("together, these values cover every action of every service"),
                }
                .help(HELP)
            };
            draft = draft
                .also(every_resource.span.clone(), "on every resource")
                .note(format!(
                    "grants every action of every service: {} actions of {} services, including every IAM action, \
                     so the holder can also grant itself anything it lacks",
                    thousands(totals.actions as usize),
                    thousands(totals.services as usize)
                ))
                .in_statement(st);
            ctx.report(draft);
        }
    }
}
