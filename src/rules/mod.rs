//! The rule registry. A rule is one file here (its `RuleMeta` and check function), its
//! documentation `rules/<rule-id>.md` and its fixtures `fixtures/<rule-id>/{pass,fail}/`.
//! Adding a rule adds its `mod` line and one entry in `RULES`: plain declarations, so that
//! rustfmt sees every rule file (a macro would hide them from it).

use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::diagnostic::{Draft, RuleMeta};
use crate::formats::{Gap, SyntaxProblem};
use crate::resolve::{Principals, ResolvedDocument, Subject};
use crate::source::SourceFile;
use std::sync::Arc;

pub mod shared;

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// The file: its syntax problems and every document in it (names, values, grammar).
    Document(fn(&mut Context<'_>)),
    /// A subject of the grant model: each document alone, then each principal (its
    /// documents together, under its ceilings). Written once, it runs on both.
    Subject(fn(&mut Context<'_>, &Subject<'_>)),
}

impl Rule {
    pub fn id(&self) -> &'static str {
        self.meta.id
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.meta.id)
    }
}

/// What a rule sees: one file, its syntax problems, its resolved documents, its
/// principals and the catalogue.
pub struct Context<'a> {
    pub catalogue: &'a Catalogue,
    pub settings: &'a Settings,
    pub source: &'a Arc<SourceFile>,
    pub syntax: &'a [SyntaxProblem],
    pub documents: &'a [ResolvedDocument],
    /// Every principal of the file, read-only: whom a principal's grants reach.
    pub principals: &'a Principals<'a>,
    /// What the principals' analysis lacks (`incomplete-analysis`).
    pub gaps: &'a [Gap],
    pub(crate) drafts: Vec<Draft>,
}

impl Context<'_> {
    pub fn report(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }
}

mod abac_tag_bypass;
mod any_value_tag_keys;
mod condition_type_mismatch;
mod credentials_exposure;
mod cross_account_without_external_id;
mod data_exfiltration;
mod duplicate_sid;
mod full_admin;
mod incomplete_analysis;
mod invalid_arn;
mod invalid_sid;
mod malformed_json;
mod malformed_policy;
mod mfa_condition_antipattern;
mod missing_vpc_condition;
mod not_action_allow;
mod not_principal_allow;
mod not_resource_allow;
mod oidc_trust_without_subject;
mod passrole_unscoped;
mod passrole_without_service_condition;
mod placeholder;
mod policy_size;
mod policy_version;
mod privilege_escalation;
mod public_principal;
mod redundant_action;
mod resource_exposure;
mod resource_mismatch;
mod service_linked_role_unscoped;
mod service_principal_without_source;
mod service_wildcard;
mod set_operator_on_single_valued_key;
mod unknown_action;
mod unknown_condition_key;
mod unknown_condition_operator;
mod unknown_service;
mod unscoped_write;
mod wildcard_in_equals_operator;

/// Every rule, in the order `iamlint rules` lists them.
pub static RULES: &[&Rule] = &[
    &malformed_json::RULE,
    &malformed_policy::RULE,
    &incomplete_analysis::RULE,
    &policy_version::RULE,
    &duplicate_sid::RULE,
    &invalid_sid::RULE,
    &unknown_service::RULE,
    &unknown_action::RULE,
    &full_admin::RULE,
    &service_wildcard::RULE,
    &passrole_unscoped::RULE,
    &passrole_without_service_condition::RULE,
    &missing_vpc_condition::RULE,
    &placeholder::RULE,
    &unknown_condition_operator::RULE,
    &wildcard_in_equals_operator::RULE,
    &mfa_condition_antipattern::RULE,
    &policy_size::RULE,
    &redundant_action::RULE,
    &invalid_arn::RULE,
    &resource_mismatch::RULE,
    &unknown_condition_key::RULE,
    &condition_type_mismatch::RULE,
    &set_operator_on_single_valued_key::RULE,
    &any_value_tag_keys::RULE,
    &not_action_allow::RULE,
    &not_resource_allow::RULE,
    &not_principal_allow::RULE,
    &service_linked_role_unscoped::RULE,
    &public_principal::RULE,
    &cross_account_without_external_id::RULE,
    &oidc_trust_without_subject::RULE,
    &service_principal_without_source::RULE,
    &unscoped_write::RULE,
    &resource_exposure::RULE,
    &credentials_exposure::RULE,
    &data_exfiltration::RULE,
    &privilege_escalation::RULE,
    &abac_tag_bypass::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.meta.id == id)
}

#[cfg(test)]
mod tests {
    use crate::testing;

    /// `"?*"` (any non-empty value) restricts nothing, for every rule that asks
    /// (`ConditionEntry::matches_any_value`): the two that once disagreed both report it.
    #[test]
    fn any_value_conditions_restrict_nothing_for_every_rule() {
        let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:111122223333:q",
            "Condition": {"StringLike": {"aws:SourceArn": "?*"}}}]}"#;
        let found = testing::run(&super::service_principal_without_source::RULE, "q.json", trust);
        assert_eq!(found.len(), 1, "{found:?}");
        let pass = testing::policy(
            r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                "Condition": {"StringLike": {"iam:ResourceTag/team": "?*"}}}"#,
        );
        let found = testing::run(&super::passrole_unscoped::RULE, "p.json", &pass);
        assert_eq!(found.len(), 1, "{found:?}");
    }
}

#[cfg(test)]
mod unresolved_tests {
    use crate::testing;

    /// An action list known only at deployment is not an unknown action or service.
    #[test]
    fn unresolved_action_values_are_not_unknown_names() {
        let tf = r#"variable "actions" {}

data "aws_iam_policy_document" "ci" {
  statement {
    actions   = ["s3:GetObject", "${var.prefix}:PutObject", var.extra]
    resources = ["arn:aws:s3:::artefacts/*"]
  }
  statement {
    actions   = ["s3:GetObjekt"]
    resources = ["arn:aws:s3:::artefacts/*"]
  }
}
"#;
        let found = testing::run(&super::unknown_action::RULE, "main.tf", tf);
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(found.len(), 1, "{messages:?}");
        assert!(messages[0].contains("s3:GetObjekt"), "{messages:?}");
        assert!(testing::run(&super::unknown_service::RULE, "main.tf", tf).is_empty());
    }
}
