use super::{Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::report::{Severity, grants};

pub static RULE: Rule = Rule {
    id: "unscoped-write",
    severity: Severity::Medium,
    summary: "Write or Tagging actions that support resource-level permissions allowed on every resource, with no narrowing condition",
    doc: include_str!("../../rules/unscoped-write.md"),
    check,
};

fn check(ctx: &mut Context<'_>) {
    let catalogue = ctx.catalogue;
    for resolved in ctx.documents {
        let wanted = |id| matches!(catalogue.action_access(id), AccessLevel::Write | AccessLevel::Tagging);
        for found in resolved.statement_grants(catalogue, wanted, |g| g.is_unscoped()) {
            let draft = grants::unscoped(&found, "write actions", catalogue)
                .help(
                    "name the resources in \"Resource\" (e.g. \"arn:aws:s3:::my-bucket/*\", \
                     \"arn:aws:ec2:*:111122223333:instance/i-0abc\"), or add a condition on a key these actions \
                     support that narrows them (`iamlint action NAME` lists the keys), e.g. {\"StringEquals\": \
                     {\"aws:ResourceTag/team\": \"${aws:PrincipalTag/team}\"}} where the resource type has tags, or \
                     ec2:Vpc for EC2 network actions",
                );
            ctx.report(draft);
        }
    }
}
