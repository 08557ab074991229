use super::shared::unscoped::{Scope, report_unscoped};
use super::{Check, Context, Rule};
use crate::diagnostic::Severity;
use crate::diagnostic::{Category, RuleMeta};
use crate::packs::sensitive::sensitive_actions;
use crate::resolve::Subject;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "data-exfiltration",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "actions that read stored data (objects, secrets, parameters, tables, decryption) allowed on every resource they apply to, with no narrowing condition",
        doc: include_str!("../../rules/data-exfiltration.md"),
    },
    check: Check::Subject(check),
};

/// Where the catalogue's first ARN format is not the advice to give.
const SCOPES: &[Scope] = &[
    // GetObject's first resource type is the access point object; buckets are the usual scope.
    Scope { applies_to: "s3", resource: "arn:aws:s3:::my-bucket/*", condition: None },
    Scope {
        applies_to: "secretsmanager",
        resource: "arn:aws:secretsmanager:REGION:ACCOUNT:secret:app/*",
        condition: None,
    },
    Scope { applies_to: "ssm", resource: "arn:aws:ssm:REGION:ACCOUNT:parameter/app/*", condition: None },
    // A key used only through one service decrypts only what that service hands it.
    Scope {
        applies_to: "kms",
        resource: "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID",
        condition: Some(r#"{"StringEquals": {"kms:ViaService": "s3.REGION.amazonaws.com"}}"#),
    },
];

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    report_unscoped(ctx, subject, &sensitive_actions().classes.data, "data-reading actions", SCOPES);
}
