//! The policy model every format adapter produces and every rule reads.
//!
//! Each value keeps the byte span of where it stands in the ORIGINAL file, so a
//! finding can underline exactly the string the user wrote, whatever the format.

pub mod operator;
mod principal;

pub use principal::PrincipalPolicies;

use crate::catalogue::{arn, keys};
use crate::diagnostic::{Located, StatementRef};
use crate::source::{Span, Spanned};
use std::fmt;

/// What a policy document is attached to; quotas and the meaning of Principal follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// Attached to a user, group or role (no Principal).
    Identity,
    /// Attached to a resource (bucket, key, queue...): names a Principal.
    Resource,
    /// A role's trust policy: names a Principal allowed to assume the role.
    Trust,
    /// AWS Organizations service control policy.
    ServiceControl,
    /// AWS Organizations resource control policy.
    ResourceControl,
    /// A permissions boundary.
    Boundary,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource => "resource",
            PolicyKind::Trust => "trust",
            PolicyKind::ServiceControl => "scp",
            PolicyKind::ResourceControl => "rcp",
            PolicyKind::Boundary => "boundary",
        }
    }

    /// Whether statements of this kind name a Principal.
    pub fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Resource | PolicyKind::Trust | PolicyKind::ResourceControl)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One policy document found in a file (a file may hold several, e.g. a template).
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// Where the document stands, for a person: `data.aws_iam_policy_document.ci`,
    /// `Resources.Role.Properties.Policies[0]`; empty for a file that is one policy.
    pub locator: String,
    pub kind: PolicyKind,
    /// The whole document value.
    pub span: Span,
    pub version: Option<Spanned<String>>,
    /// The `Version` key, when present (even if its value is not a string).
    pub version_key: Option<Span>,
    pub id: Option<Spanned<String>>,
    /// The `Statement` key, when present.
    pub statement_key: Option<Span>,
    pub statements: Vec<Statement>,
    /// Structural problems found while loading (reported by `malformed-policy`).
    pub problems: Vec<Problem>,
    /// The file held a bare statement object instead of a policy.
    pub bare_statement: bool,
    /// Characters AWS counts toward the size quota (whitespace outside strings excluded),
    /// JSON escapes counted as written.
    pub size: usize,
    /// How many of those characters are escape syntax (`\u0078` counts 6 as written, 1 as
    /// meant): a size over the quota only because of them is not certain.
    pub escape_overhead: usize,
    /// The values of the document that are unknown at lint time, in document order.
    pub unresolved: Vec<Unresolved>,
    /// Set when the document is not written in the file but expanded from a definition the
    /// file names (a SAM policy template): the span of that name. The definition's text is
    /// its author's, so a validity or style finding on it is not the user's to fix and is
    /// not reported; what the expansion grants is judged as usual.
    pub expanded_from: Option<Span>,
}

/// A value unknown at lint time: a CloudFormation `Ref`, `Fn::GetAtt` or `Fn::Sub` of a
/// parameter or resource, a Terraform variable or resource reference.
///
/// Rules read it through `value`, where each unknown part is written as a `${name}`
/// substitution, the way `Fn::Sub` and Terraform spell it (`arn:aws:s3:::${Bucket}/*`;
/// a whole `!GetAtt DeployRole.Arn` is `${DeployRole.Arn}`). The ARN parser reads such a
/// part as unknown text (`FieldKind::Unknown`): neither a literal that can be checked nor
/// a wildcard that widens a grant. Rules that can say more ask the document for the
/// record (`PolicyDocument::unresolved_at`): the source text and the resource type each
/// part stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    /// The value as rules read it; its span is the whole value in the original file.
    pub value: Spanned<String>,
    /// The source text as written (`!GetAtt DeployRole.Arn`), for messages.
    pub written: String,
    /// Each unknown part, in order.
    pub parts: Vec<UnresolvedPart>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnresolvedPart {
    /// The name inside `${...}` in `value` (`DeployRole.Arn`, `var.bucket_name`).
    pub name: String,
    /// The resource type it stands for where the input says it (`AWS::S3::Bucket`,
    /// `aws_s3_bucket`), and which attribute (`Arn`, `arn`, or empty for a `Ref`).
    pub stands_for: Option<(String, String)>,
}

impl PolicyDocument {
    /// The unresolved value at exactly this span, if the value there is one.
    pub fn unresolved_at(&self, span: &Span) -> Option<&Unresolved> {
        self.unresolved.iter().find(|u| u.value.span == *span)
    }
}

impl PolicyDocument {
    /// Whether the statement grants access to someone. SCPs, RCPs and permissions boundaries
    /// only set a ceiling (`FullAWSAccess` is the default SCP); a resource policy statement
    /// whose principals are whole accounts (`arn:aws:iam::111122223333:root`) delegates to
    /// that account's IAM policies, as the default KMS key policy does.
    pub fn grants_access(&self, st: &Statement) -> bool {
        match self.kind {
            PolicyKind::Identity => true,
            PolicyKind::ServiceControl | PolicyKind::ResourceControl | PolicyKind::Boundary => false,
            PolicyKind::Resource | PolicyKind::Trust => !delegates_to_accounts(st),
        }
    }
}

fn delegates_to_accounts(st: &Statement) -> bool {
    let Some(block) = st.principal.as_ref().filter(|p| !p.negated) else { return false };
    let Principal::Map(entries) = &block.principal else { return false };
    !entries.is_empty()
        && entries
            .iter()
            .all(|e| e.kind.value == "AWS" && !e.values.is_empty() && e.values.iter().all(|v| is_account(&v.value)))
}

/// `111122223333` or `arn:<partition>:iam::111122223333:root`.
fn is_account(principal: &str) -> bool {
    let id = if principal.starts_with("arn:") {
        let Some([_, "iam", "", account, "root"]) = arn::split(principal) else { return false };
        account
    } else {
        principal
    };
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the document's `Statement` list (0 for a single statement object).
    pub index: usize,
    pub locator: String,
    pub span: Span,
    pub sid: Option<Spanned<String>>,
    /// `None` when the element is missing or invalid (a problem says which).
    pub effect: Option<Spanned<Effect>>,
    pub action: Option<ValueList>,
    pub resource: Option<ValueList>,
    pub principal: Option<PrincipalBlock>,
    pub condition: Option<Condition>,
}

impl Located for Statement {
    fn statement_ref(&self) -> StatementRef {
        StatementRef { index: self.index, sid: self.sid.as_ref().map(|s| s.value.clone()) }
    }

    fn locator(&self) -> &str {
        &self.locator
    }
}

impl Statement {
    pub fn is_allow(&self) -> bool {
        matches!(self.effect, Some(Spanned { value: Effect::Allow, .. }))
    }

    pub fn is_deny(&self) -> bool {
        matches!(self.effect, Some(Spanned { value: Effect::Deny, .. }))
    }

    /// The statement has a Condition with at least one key.
    pub fn is_conditional(&self) -> bool {
        self.condition.as_ref().is_some_and(|c| c.operators.iter().any(|op| !op.entries.is_empty()))
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a string or a list of strings.
#[derive(Debug, Clone)]
pub struct ValueList {
    /// `NotAction` / `NotResource`.
    pub negated: bool,
    /// The key as written (`"Action"`), for labels.
    pub key_span: Span,
    /// The whole value (string or array).
    pub span: Span,
    pub values: Vec<Spanned<String>>,
}

impl ValueList {
    /// The key as IAM names it.
    pub fn key_name(&self, base: &str) -> String {
        if self.negated { format!("Not{base}") } else { base.to_string() }
    }
}

#[derive(Debug, Clone)]
pub struct PrincipalBlock {
    /// `NotPrincipal`.
    pub negated: bool,
    pub key_span: Span,
    pub span: Span,
    pub principal: Principal,
}

#[derive(Debug, Clone)]
pub enum Principal {
    /// `"Principal": "*"`.
    Wildcard(Span),
    /// `{"AWS": [...], "Service": ..., "Federated": ..., "CanonicalUser": ...}`.
    Map(Vec<PrincipalEntry>),
}

#[derive(Debug, Clone)]
pub struct PrincipalEntry {
    pub kind: Spanned<String>,
    pub values: Vec<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub key_span: Span,
    pub span: Span,
    pub operators: Vec<ConditionOperator>,
}

impl Condition {
    /// Every (operator, entry) pair, in document order.
    pub fn entries(&self) -> impl Iterator<Item = (&ConditionOperator, &ConditionEntry)> {
        self.operators.iter().flat_map(|op| op.entries.iter().map(move |e| (op, e)))
    }
}

impl Condition {
    /// The entries that narrow the statement: under an operator that requires the key
    /// (`ConditionOperator::requires_key`), with values that do not match every value; and
    /// those that require a resource to carry a tag (`ConditionEntry::requires_resource_tag`):
    /// only tagged resources are reached.
    pub fn restrictions(&self) -> impl Iterator<Item = (&ConditionOperator, &ConditionEntry)> {
        self.entries().filter(|(op, entry)| {
            op.requires_key() && !entry.matches_any_value(&op.name.value) || entry.requires_resource_tag(op)
        })
    }

    /// The entries on `key` (compared case-insensitively, as IAM compares keys) whose
    /// operator requires the key: negated operators (`StringNotEquals`), `...IfExists` and
    /// `ForAllValues:` hold when the key is absent, `Null` only tests presence, and an
    /// operator IAM rejects restricts nothing. Whether each also matches every value is
    /// `Restriction::matches_anything`.
    pub fn requiring(&self, key: &str) -> Vec<Restriction<'_>> {
        self.entries()
            .filter(|(op, entry)| entry.key.value.eq_ignore_ascii_case(key) && op.requires_key())
            .map(|(op, entry)| Restriction {
                op,
                entry,
                wildcards: operator::parse(&op.name.value).is_some_and(|parsed| parsed.base.wildcards),
            })
            .collect()
    }

    /// The entries on `key` whose operator does not require it (see `requiring`).
    pub fn not_requiring(&self, key: &str) -> Vec<(&ConditionOperator, &ConditionEntry)> {
        self.entries().filter(|(op, entry)| entry.key.value.eq_ignore_ascii_case(key) && !op.requires_key()).collect()
    }
}

/// A condition entry whose operator requires its key.
#[derive(Debug, Clone, Copy)]
pub struct Restriction<'s> {
    pub op: &'s ConditionOperator,
    pub entry: &'s ConditionEntry,
    /// The operator reads `*` and `?` in values as wildcards.
    pub wildcards: bool,
}

impl Restriction<'_> {
    /// Some value matches every request (`ConditionEntry::matches_any_value`).
    pub fn matches_anything(&self) -> bool {
        self.entry.matches_any_value(&self.op.name.value)
    }
}

#[derive(Debug, Clone)]
pub struct ConditionOperator {
    /// As written: `StringEquals`, `ForAnyValue:StringLike`, `BoolIfExists`.
    pub name: Spanned<String>,
    pub entries: Vec<ConditionEntry>,
}

#[derive(Debug, Clone)]
pub struct ConditionEntry {
    pub key: Spanned<String>,
    /// Values as text (numbers and booleans keep their JSON spelling).
    pub values: Vec<Spanned<String>>,
}

impl ConditionOperator {
    /// Whether the operator holds only when its key is present with a listed value.
    /// Negated operators (`StringNotEquals`) hold for every other value, `...IfExists`
    /// and `ForAllValues:` hold when the key is absent, `Null` only tests presence; an
    /// unknown operator is rejected by IAM and restricts nothing here.
    pub fn requires_key(&self) -> bool {
        operator::parse(&self.name.value).is_some_and(|op| {
            !op.base.negated
                && !op.if_exists
                && op.base.family != operator::Family::Null
                && op.qualifier != Some(operator::SetQualifier::ForAllValues)
        })
    }
}

impl ConditionEntry {
    /// Whether the entry, under `operator`, accepts any value of its key: the one
    /// definition every rule uses. Under an operator that reads wildcards (`StringLike`,
    /// `ArnLike`) a pattern that matches every value the key can have
    /// (`catalogue::keys::matches_every_value`: `"*"`, `"?*"`, and `*.amazonaws.com` for a
    /// key whose values are service principals) is vacuous; values are alternatives, so one
    /// such value is enough. Under `StringEquals` a `*` is a literal character and limits.
    /// An empty value list (which IAM rejects) limits nothing.
    pub fn matches_any_value(&self, operator: &str) -> bool {
        let wildcards = operator::parse(operator).is_some_and(|op| op.base.wildcards && !op.base.negated);
        self.values.is_empty()
            || wildcards && self.values.iter().any(|v| keys::matches_every_value(&self.key.value, &v.value))
    }
}

impl ConditionEntry {
    /// Whether the entry holds only for resources that carry the tag its key names
    /// (`aws:ResourceTag/K`, `ec2:ResourceTag/K`): `Null` with `false` (the key must be
    /// present), or a positive operator without `IfExists` whose value matches every value
    /// (`StringLike "*"`: present, with any value). Such a condition limits the grant to
    /// tagged resources; tags under the reserved `aws:` prefix (`aws:cloud9:environment`)
    /// are set by AWS only, so no principal can bring another resource into it.
    pub fn requires_resource_tag(&self, operator: &ConditionOperator) -> bool {
        if resource_tag(&self.key.value).is_none() || self.values.is_empty() {
            return false;
        }
        let Some(op) = operator::parse(&operator.name.value) else { return false };
        if op.base.family == operator::Family::Null {
            return !op.if_exists && self.values.iter().all(|v| v.value.eq_ignore_ascii_case("false"));
        }
        operator.requires_key() && self.matches_any_value(&operator.name.value)
    }
}

/// The tag a resource-tag condition key names: `team` for `aws:ResourceTag/team` or
/// `ec2:ResourceTag/team` (key names compare case-insensitively).
pub fn resource_tag(key: &str) -> Option<&str> {
    let (prefix, rest) = key.split_once(':')?;
    let (name, tag) = rest.split_once('/')?;
    (!prefix.is_empty() && name.eq_ignore_ascii_case("ResourceTag") && !tag.is_empty()).then_some(tag)
}

/// Whether a tag key is under the prefix AWS reserves for its own tags (`aws:`): no
/// principal can set or remove such a tag.
pub fn is_reserved_tag(tag: &str) -> bool {
    tag.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

/// A structural problem IAM would reject, found while loading.
#[derive(Debug, Clone)]
pub struct Problem {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    /// The statement the problem sits in, when it sits in one.
    pub statement: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::is_account;
    use crate::testing;

    /// `(requiring, matching anything)` for the first statement's `key`.
    fn restrictions_of(operator: &str, key: &str, values: &str) -> (usize, bool) {
        let json = testing::policy(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {{"{operator}": {{"{key}": {values}}}}}}}"#
        ));
        let loaded = testing::load("policy.json", &json, None);
        let condition = loaded.documents[0].statements[0].condition.as_ref().unwrap();
        let required = condition.requiring(key);
        (required.len(), required.iter().all(|r| r.matches_anything()))
    }

    #[test]
    fn one_definition_of_matching_anything() {
        // "?*" is any non-empty value: it restricts nothing, for every rule.
        assert_eq!(restrictions_of("StringLike", "aws:SourceArn", r#""?*""#), (1, true));
        assert_eq!(restrictions_of("StringLike", "aws:SourceArn", r#""*""#), (1, true));
        assert_eq!(restrictions_of("ArnLike", "aws:SourceArn", r#"["arn:aws:sns:*:111122223333:t", "*"]"#), (1, true));
        assert_eq!(restrictions_of("StringLike", "aws:SourceArn", r#""arn:aws:sns:*:111122223333:*""#), (1, false));
        // Under StringEquals `*` is a literal character: it limits.
        assert_eq!(restrictions_of("StringEquals", "aws:SourceArn", r#""*""#), (1, false));
        // Operators that do not require the key are not restrictions at all.
        assert_eq!(restrictions_of("StringNotLike", "aws:SourceArn", r#""x""#), (0, true));
        assert_eq!(restrictions_of("StringLikeIfExists", "aws:SourceArn", r#""x""#), (0, true));
        assert_eq!(restrictions_of("StringEquals", "aws:SourceArn", "[]"), (1, true));
        // Service principals all end in `.amazonaws.com`: a pattern on that alone is vacuous.
        assert_eq!(restrictions_of("StringLike", "iam:PassedToService", r#""*.amazonaws.com""#), (1, true));
        assert_eq!(restrictions_of("StringLike", "iam:AWSServiceName", r#""*""#), (1, true));
        assert_eq!(restrictions_of("StringLike", "iam:PassedToService", r#""ec2.*""#), (1, false));
        assert_eq!(restrictions_of("StringLike", "aws:SourceArn", r#""*.amazonaws.com""#), (1, false));
    }

    #[test]
    fn tag_presence_narrows() {
        let narrowing = |condition: &str| {
            let json = testing::policy(&format!(
                r#"{{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*", "Condition": {condition}}}"#
            ));
            let loaded = testing::load("policy.json", &json, None);
            loaded.documents[0].statements[0].condition.as_ref().unwrap().restrictions().count()
        };
        assert_eq!(narrowing(r#"{"Null": {"aws:ResourceTag/team": "false"}}"#), 1);
        assert_eq!(narrowing(r#"{"Null": {"ec2:ResourceTag/aws:cloudformation:stack-id": "false"}}"#), 1);
        assert_eq!(narrowing(r#"{"StringLike": {"aws:ResourceTag/team": "*"}}"#), 1);
        // Absent tag, IfExists, negated: untagged resources pass.
        assert_eq!(narrowing(r#"{"Null": {"aws:ResourceTag/team": "true"}}"#), 0);
        assert_eq!(narrowing(r#"{"StringLikeIfExists": {"aws:ResourceTag/team": "*"}}"#), 0);
        assert_eq!(narrowing(r#"{"StringNotLike": {"aws:ResourceTag/team": "*"}}"#), 0);
        // Presence of a request value is no resource scope.
        assert_eq!(narrowing(r#"{"Null": {"aws:RequestTag/team": "false"}}"#), 0);
        assert_eq!(narrowing(r#"{"StringLike": {"s3:prefix": "*"}}"#), 0);
        assert!(super::is_reserved_tag("AWS:cloud9:environment"));
        assert!(!super::is_reserved_tag("awsteam"));
    }

    #[test]
    fn recognises_whole_accounts() {
        assert!(is_account("111122223333"));
        assert!(is_account("arn:aws:iam::111122223333:root"));
        assert!(is_account("arn:aws-us-gov:iam::111122223333:root"));
        assert!(!is_account("arn:aws:iam::111122223333:role/admin"));
        assert!(!is_account("arn:aws:iam::111122223333:root/x"));
        assert!(!is_account("*"));
        assert!(!is_account("11112222333"));
        assert!(!is_account("arn:aws:sts::111122223333:root"));
    }
}
