use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, thousands};
use crate::policy::{PolicyDocument, PolicyKind};
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "policy-size",
        severity: Severity::High,
        category: Category::Validity,
        summary: "policy longer than the AWS quota for its kind (managed policy 6,144 characters, trust policy 2,048, SCP 5,120)",
        doc: include_str!("../../rules/policy-size.md"),
    },
    check: Check::Document(check),
};

/// The size quota of one kind of policy document.
struct Quota {
    /// Characters the document may have.
    limit: usize,
    /// What the document is called in the message: `policy`, `trust policy`, `SCP`.
    noun: &'static str,
    /// What the quota applies to: `a managed policy`.
    holder: &'static str,
    /// After the quota in the message: ` by default`.
    qualifier: &'static str,
    /// Organizations counts whitespace unless the console saved the policy; IAM never does.
    counts_whitespace: bool,
    help: &'static str,
    note: Option<&'static str>,
}

/// Splitting and precise wildcards, the two ways to shrink a permissions policy.
const SHRINK_MANAGED: &str = "split the statements into several managed policies (a user or role may have 10 attached \
     by default), or group actions under wildcards that stay precise, e.g. `s3:Get*Tagging` for the s3:Get...Tagging \
     actions; whitespace outside strings is not counted, so reformatting does not help";

/// The quota for a document kind. IAM quotas: "IAM and AWS STS quotas" (IAM does not count
/// whitespace); Organizations quotas: "Quotas for AWS Organizations". A resource policy's
/// quota belongs to its service (S3 20 KB, KMS 32 KB, SQS 8,192 bytes...), which a raw JSON
/// document does not name: no finding.
fn quota(kind: PolicyKind) -> Option<Quota> {
    Some(match kind {
        // A raw identity policy is most likely a managed policy; inline quotas are per
        // principal and summed over all its inline policies (see the rule's doc).
        PolicyKind::Identity => Quota {
            limit: 6_144,
            noun: "policy",
            holder: "a managed policy",
            qualifier: "",
            counts_whitespace: false,
            help: SHRINK_MANAGED,
            note: Some(
                "the file is taken to be a managed policy; as an inline policy the quota is 2,048 characters for a \
                 user, 5,120 for a group and 10,240 for a role, summed over all the inline policies of that user, \
                 group or role",
            ),
        },
        // A permissions boundary is always a managed policy, and a principal has only one.
        PolicyKind::Boundary => Quota {
            limit: 6_144,
            noun: "permissions boundary",
            holder: "a managed policy",
            qualifier: "",
            counts_whitespace: false,
            help: "a user or role has only one permissions boundary, so shrink it: group actions under wildcards \
                   that stay precise, e.g. `s3:Get*Tagging` for the s3:Get...Tagging actions, and merge statements \
                   that share Effect, Resource and Condition; whitespace outside strings is not counted, so \
                   reformatting does not help",
            note: None,
        },
        PolicyKind::Trust => Quota {
            limit: 2_048,
            noun: "trust policy",
            holder: "a role trust policy",
            qualifier: " by default",
            counts_whitespace: false,
            help: "trust whole accounts (`arn:aws:iam::111122223333:root`) or your organization (an \
                   `aws:PrincipalOrgID` condition) instead of listing principals one by one, and merge statements \
                   that differ only in Principal; whitespace outside strings is not counted, so reformatting does \
                   not help",
            note: Some(
                "the \"Role trust policy length\" quota can be raised to 4,096 characters through Service Quotas; \
                 if this account's quota was raised, compare with that value",
            ),
        },
        PolicyKind::ServiceControl => Quota {
            limit: 5_120,
            noun: "SCP",
            holder: "an SCP",
            qualifier: "",
            counts_whitespace: true,
            help: "split it into several SCPs (up to 5 may be attached to a root, OU or account), or group actions \
                   under wildcards that stay precise, e.g. `s3:Get*Tagging` for the s3:Get...Tagging actions",
            note: None,
        },
        PolicyKind::ResourceControl => Quota {
            limit: 5_120,
            noun: "RCP",
            holder: "an RCP",
            qualifier: "",
            counts_whitespace: true,
            help: "split it into several RCPs (up to 5 may be attached to a root, OU or account), or group actions \
                   under wildcards that stay precise, e.g. `s3:Get*Tagging` for the s3:Get...Tagging actions",
            note: None,
        },
        PolicyKind::Resource => return None,
    })
}

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let syntax = ctx.syntax;
    let text = ctx.source.text.as_str();
    for resolved in documents {
        let doc = &resolved.doc;
        let Some(quota) = quota(doc.kind) else { continue };
        // A document IAM cannot parse has no size to speak of (comments would be counted);
        // malformed-json reports it.
        if syntax.iter().any(|p| p.span.start < doc.span.end && doc.span.start <= p.span.start) {
            continue;
        }
        if doc.size - doc.escape_overhead > quota.limit {
            ctx.report(over_quota(doc, &quota));
        } else if doc.size > quota.limit {
            // Over only if AWS counts escapes as written: say so, at low.
            let draft = over_quota(doc, &quota).severity(Severity::Low).note(format!(
                "{} of these characters are JSON escape syntax (`\\u0078` is 6 characters written, 1 meant); AWS does \
                 not document which it counts: write the characters themselves to be sure",
                thousands(doc.escape_overhead)
            ));
            ctx.report(draft);
        } else if quota.counts_whitespace && doc.locator.is_empty() {
            // Only a file that is the policy itself is sent as written (`file://scp.json`);
            // a policy inside a template is re-serialised by the tool that deploys it.
            let written = text.get(doc.span.clone()).map_or(0, |t| t.chars().count());
            if written > quota.limit {
                ctx.report(over_quota_with_whitespace(doc, &quota, written));
            }
        }
    }
}

fn over_quota(doc: &PolicyDocument, quota: &Quota) -> Draft {
    let subject = if doc.bare_statement { "this statement alone" } else { quota.noun };
    let size = doc.size;
    let even = if quota.counts_whitespace { " even without whitespace" } else { "" };
    let mut draft = Draft::new(
        primary_span(doc),
        format!(
            "{subject} is {} characters{even}; {} may have {}{}",
            thousands(size),
            quota.holder,
            thousands(quota.limit),
            quota.qualifier
        ),
    )
    .label(format!("{} over the quota", characters(size - quota.limit)))
    .help(quota.help)
    .locator(doc.locator.clone());
    if let Some(note) = quota.note {
        draft = draft.note(note);
    } else if quota.counts_whitespace {
        draft = draft.note(
            "Organizations counts whitespace too unless the console saved the policy, so minifying it is not enough",
        );
    }
    draft
}

fn over_quota_with_whitespace(doc: &PolicyDocument, quota: &Quota, written: usize) -> Draft {
    Draft::new(
        primary_span(doc),
        format!(
            "{} is {} characters with its whitespace; {} saved through the API may have {}",
            quota.noun,
            thousands(written),
            quota.holder,
            thousands(quota.limit)
        ),
    )
    .label(format!("{} over the quota with whitespace", characters(written - quota.limit)))
    .help(format!(
        "remove the whitespace outside strings before saving it ({} characters without it), e.g. with \
         `jq -c . policy.json`; the console removes it itself",
        thousands(doc.size)
    ))
    .note("Organizations counts every character, whitespace included, of a policy saved through the API, CLI or SDK")
    .severity(Severity::Low)
    .locator(doc.locator.clone())
}

/// The `Statement` key, else the document's first character.
fn primary_span(doc: &PolicyDocument) -> Span {
    doc.statement_key.clone().unwrap_or(doc.span.start..doc.span.start + 1)
}

/// `1 character`, `1,272 characters`.
fn characters(n: usize) -> String {
    if n == 1 { "1 character".to_string() } else { format!("{} characters", thousands(n)) }
}
