use super::shared::unscoped::{Scope, report_unscoped};
use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta, Severity};
use crate::packs::sensitive::sensitive_actions;
use crate::resolve::Subject;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "credentials-exposure",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "actions that hand out credentials, passwords, tokens or sessions allowed on every resource they apply to, with no narrowing condition",
        doc: include_str!("../../rules/credentials-exposure.md"),
    },
    check: Check::Subject(check),
};

/// Where the catalogue's first ARN format is not the advice to give.
const SCOPES: &[Scope] = &[
    // Each user manages only their own keys, passwords and SSH keys.
    Scope { applies_to: "iam", resource: "arn:aws:iam::ACCOUNT:user/${aws:username}", condition: None },
    Scope { applies_to: "sts:AssumeRole", resource: "arn:aws:iam::ACCOUNT:role/NAME", condition: None },
    // StartSession's first resource type is the SSM document; the instance is what the
    // session opens a shell on.
    Scope { applies_to: "ssm:StartSession", resource: "arn:aws:ec2:REGION:ACCOUNT:instance/i-ID", condition: None },
];

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    report_unscoped(ctx, subject, &sensitive_actions().classes.credentials, "credential actions", SCOPES);
}
