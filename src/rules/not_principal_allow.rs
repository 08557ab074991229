use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{Principal, PrincipalBlock};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "not-principal-allow",
        severity: Severity::High,
        category: Category::Trust,
        summary: "Allow with `NotPrincipal`: grants access to everyone not listed, including anonymous users",
        doc: include_str!("../../rules/not-principal-allow.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        // SCPs, RCPs and boundaries only set a ceiling; a Deny never grants.
        for (st, rs) in resolved.granting_statements() {
            let Some(block) = st.principal.as_ref().filter(|p| p.negated) else { continue };
            // `"NotPrincipal": "*"` leaves no one.
            if matches!(block.principal, Principal::Wildcard(_)) {
                continue;
            }
            let mut draft = Draft::new(
                block.key_span.clone(),
                format!("`NotPrincipal` in an Allow grants access to everyone except {}", excluded(block)),
            )
            .label("everyone not listed: every account, every role and user, and anonymous users")
            .help(
                "name who may have access in `Principal` instead (e.g. \"Principal\": {\"AWS\": \
                 \"arn:aws:iam::111122223333:role/reader\"}); to keep someone out, use a Deny statement with \
                 `NotPrincipal`, or a condition on `aws:PrincipalArn`",
            )
            .in_statement(st);
            if let Some(action) = &st.action {
                draft = draft.also(action.span.clone(), "granted to them");
            }
            if !rs.actions.is_empty() && !rs.actions.is_everything(catalogue) {
                draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
            }
            if st.is_conditional() {
                draft = wording::condition_label(draft, st).severity(Severity::Medium);
            }
            ctx.report(draft);
        }
    }
}

/// `` `arn:aws:iam::111122223333:role/admin` `` or `the 3 listed principals`.
fn excluded(block: &PrincipalBlock) -> String {
    let Principal::Map(entries) = &block.principal else { return "no one".to_string() };
    let values: Vec<&str> = entries.iter().flat_map(|e| e.values.iter().map(|v| v.value.as_str())).collect();
    match values.as_slice() {
        [one] => format!("`{one}`"),
        values => format!("the {} listed principals", values.len()),
    }
}
