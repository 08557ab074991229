use super::{Check, Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::diagnostic::Severity;
use crate::diagnostic::{Category, RuleMeta};
use crate::resolve::Subject;
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unscoped-write",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "Write or Tagging actions that support resource-level permissions allowed on every resource, with no narrowing condition",
        doc: include_str!("../../rules/unscoped-write.md"),
    },
    check: Check::Subject(check),
};

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    let wanted = |id| matches!(catalogue.action_access(id), AccessLevel::Write | AccessLevel::Tagging);
    for found in subject.statement_grants(catalogue, wanted, |g| g.is_unscoped()) {
        let draft = wording::unscoped(&found, "write actions", catalogue).help(
            "name the resources in \"Resource\" (e.g. \"arn:aws:s3:::my-bucket/*\", \
                 \"arn:aws:ec2:*:111122223333:instance/i-0abc\"), or add a condition on a key these actions \
                 support that narrows them (`iamlint action NAME` lists the keys), e.g. {\"StringEquals\": \
                 {\"aws:ResourceTag/team\": \"${aws:PrincipalTag/team}\"}} where the resource type has tags, or \
                 ec2:Vpc for EC2 network actions",
        );
        ctx.report(draft);
    }
}
