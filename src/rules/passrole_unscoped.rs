use super::shared::passrole::{PASS_ROLE, PassRoleGrant, pass_role_grants};
use super::shared::wording;
use super::{Check, Context, Rule};
use crate::catalogue::Catalogue;
use crate::diagnostic::{Category, Draft, RuleMeta, Severity};
use crate::policy::Statement;
use crate::resolve::Subject;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "passrole-unscoped",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "`iam:PassRole` allowed on every role, on a wildcard role name or through NotResource",
        doc: include_str!("../../rules/passrole-unscoped.md"),
    },
    check: Check::Subject(check),
};

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    for (st, grant) in pass_role_grants(subject, catalogue) {
        if !grant.is_unscoped() {
            continue;
        }
        for (value, scope) in &grant.broad {
            let message = format!("`{PASS_ROLE}` allowed on {}", scope.roles());
            let label = if value.value == "*" {
                "every resource, including every role".to_string()
            } else if value.value.contains("**") {
                format!("`**` is markdown bold left in the ARN: matches {}", scope.roles())
            } else {
                format!("matches {}", scope.roles())
            };
            let draft = Draft::new(value.span.clone(), message).label(label);
            let draft = grant.grantors.iter().fold(draft, |d, g| d.also(g.span.clone(), g.label(PASS_ROLE)));
            ctx.report(finish(draft, &grant, scope.example(&value.value), st, catalogue));
        }
        if let Some(not_resource) = grant.not_resource {
            let Some((first, rest)) = grant.grantors.split_first() else { continue };
            let draft = Draft::new(
                first.span.clone(),
                format!("`{PASS_ROLE}` allowed on every role not listed in `NotResource`"),
            )
            .label(first.label(PASS_ROLE))
            .also(not_resource.key_span.clone(), "`NotResource` grants every resource except those listed");
            let draft = rest.iter().fold(draft, |d, g| d.also(g.span.clone(), g.label(PASS_ROLE)));
            ctx.report(finish(draft, &grant, "arn:aws:iam::ACCOUNT:role/NAME".to_string(), st, catalogue));
        }
    }
}

/// Adds what every finding of this rule carries: the service condition (which lowers the
/// severity), the help, the note on wildcards.
fn finish(draft: Draft, grant: &PassRoleGrant<'_>, example: String, st: &Statement, catalogue: &Catalogue) -> Draft {
    let mut draft = draft;
    for (op, entry) in &grant.loose_tags {
        let lower = op.to_ascii_lowercase();
        let text = if lower.ends_with("ifexists") || lower.starts_with("forallvalues:") {
            format!("`{op}` also passes roles without this tag")
        } else if entry.matches_any_value(op) {
            "`*` matches any value of the tag: every role that has it passes".to_string()
        } else {
            format!("`{op}` does not limit the roles to a tag value")
        };
        draft = draft.also(entry.key.span.clone(), text);
    }
    for entry in &grant.service_limits {
        draft = draft.also(
            entry.key.span.clone(),
            format!("`{}` limits the service the role goes to, not which role", entry.key.value),
        );
    }
    let help = if grant.service_limits.is_empty() {
        format!(
            "name the roles it may pass: \"Resource\": \"{example}\", and add \"Condition\": {{\"StringEquals\": \
             {{\"iam:PassedToService\": \"ec2.amazonaws.com\"}}}} (the service that receives the role)"
        )
    } else {
        format!("name the roles it may pass: \"Resource\": \"{example}\"")
    };
    draft = draft.help(help).in_statement(st).actions(vec![PASS_ROLE.to_string()]);
    if !grant.service_limits.is_empty() {
        draft = draft.severity(Severity::Medium);
    }
    if let Some(note) = wording::grantors_note(&grant.grantors, catalogue) {
        draft = draft.note(note);
    }
    draft
}
