//! The rule registry. A rule is one file here (id, default severity, summary, docs,
//! check function), its documentation `rules/<rule-id>.md` and its fixtures
//! `fixtures/<rule-id>/{pass,fail}/`. Adding a rule adds one line to `RULES`.

use crate::catalogue::Catalogue;
use crate::formats::SyntaxProblem;
use crate::lint::Settings;
use crate::report::{Draft, Severity};
use crate::resolve::ResolvedDocument;
use crate::source::SourceFile;
use std::sync::Arc;

pub struct Rule {
    /// Kebab-case name of the pattern found, used verbatim everywhere.
    pub id: &'static str,
    pub severity: Severity,
    /// One line for `iamlint rules`.
    pub summary: &'static str,
    /// The rule's documentation, `rules/<rule-id>.md`.
    pub doc: &'static str,
    /// Reads the file's resolved documents and reports drafts; never prints or parses.
    pub check: fn(&mut Context<'_>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// What a rule sees: one file, its syntax problems, its resolved documents and the
/// catalogue.
pub struct Context<'a> {
    pub catalogue: &'a Catalogue,
    pub settings: &'a Settings,
    pub source: &'a Arc<SourceFile>,
    pub syntax: &'a [SyntaxProblem],
    pub documents: &'a [ResolvedDocument],
    pub(crate) drafts: Vec<Draft>,
}

impl Context<'_> {
    pub fn report(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }
}

/// Declares each rule module and lists its `RULE` in `RULES`, in this order.
macro_rules! registry {
    ($($module:ident,)*) => {
        $(mod $module;)*
        /// Every rule, in the order `iamlint rules` lists them.
        pub static RULES: &[&Rule] = &[$(&$module::RULE,)*];
    };
}

// One line per rule.
registry! {
    malformed_json,
    malformed_policy,
    policy_version,
    duplicate_sid,
    invalid_sid,
    unknown_service,
    unknown_action,
    full_admin,
    service_wildcard,
    passrole_unscoped,
    passrole_without_service_condition,
    missing_vpc_condition,
    placeholder,
    unknown_condition_operator,
    wildcard_in_equals_operator,
    mfa_condition_antipattern,
    policy_size,
    redundant_action,
    invalid_arn,
    resource_mismatch,
    unknown_condition_key,
    condition_type_mismatch,
    set_operator_on_single_valued_key,
    not_action_allow,
    not_resource_allow,
    not_principal_allow,
    service_linked_role_unscoped,
    public_principal,
    cross_account_without_external_id,
    oidc_trust_without_subject,
    service_principal_without_source,
    unscoped_write,
    resource_exposure,
    credentials_exposure,
    data_exfiltration,
    privilege_escalation,
    abac_tag_bypass,
}

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}
