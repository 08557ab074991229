use super::shared::passrole::{PASS_ROLE, pass_role_grants};
use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::resolve::Subject;
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "passrole-without-service-condition",
        severity: Severity::Low,
        category: Category::LeastPrivilege,
        summary: "`iam:PassRole` on named roles without an `iam:PassedToService` condition",
        doc: include_str!("../../rules/passrole-without-service-condition.md"),
    },
    check: Check::Subject(check),
};

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    for (st, grant) in pass_role_grants(subject, catalogue) {
        // An unscoped grant is passrole-unscoped's finding, whatever its condition.
        if grant.is_unscoped() || grant.passed_to_service {
            continue;
        }
        let Some((first, rest)) = grant.grantors.split_first() else { continue };
        let mut draft =
            Draft::new(first.span.clone(), "`iam:PassRole` allowed without an `iam:PassedToService` condition")
                .label(first.label(PASS_ROLE));
        for g in rest {
            draft = draft.also(g.span.clone(), g.label(PASS_ROLE));
        }
        for value in &grant.named {
            draft = draft.also(value.span.clone(), "the role it can pass");
        }
        for (value, _) in &grant.broad {
            // Only reached when a tag condition scopes the roles.
            draft = draft.also(value.span.clone(), "the roles it can pass, as the tag condition limits them");
        }
        for entry in grant.service_limits.iter().filter(|e| e.key.value.eq_ignore_ascii_case("iam:PassedToService")) {
            // Present, yet it names no service: only `*` or `*.amazonaws.com`.
            draft = draft.also(entry.key.span.clone(), "this pattern matches every service: it names none");
        }
        draft = draft
            .help(
                "add \"Condition\": {\"StringEquals\": {\"iam:PassedToService\": \"ec2.amazonaws.com\"}}, naming the \
                 service that receives the role (e.g. lambda.amazonaws.com for a function's execution role)",
            )
            .in_statement(st)
            .actions(vec!["iam:PassRole".to_string()]);
        if let Some(note) = wording::grantors_note(&grant.grantors, catalogue) {
            draft = draft.note(note);
        }
        ctx.report(draft);
    }
}
