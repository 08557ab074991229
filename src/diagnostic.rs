//! The diagnostic types every stage shares: `Severity`, what a rule reports (`Draft`),
//! and the `Finding` the engine completes it into, carrying its rule's metadata. The
//! bottom layer with `source`: it knows no policy model, rule or renderer.

use crate::source::{SourceFile, Span};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Risk of a finding. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `22218` -> `22,218`, for counts in messages.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `a`, `a and b`, `a, b and c`: items in a message.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A secondary label: another value involved in the finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementRef {
    pub index: usize,
    pub sid: Option<String>,
}

/// The principal a finding is about, when a rule judged a principal (a role and the
/// policies attached to it) rather than one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrincipalRef {
    /// `role`, `user` or `group`.
    pub kind: &'static str,
    pub name: String,
    /// The ARN when the input says it (an account dump); otherwise empty.
    pub arn: String,
    /// Where the principal stands in its file (`Resources.DeployRole`).
    #[serde(skip)]
    pub locator: String,
}

/// How one principal reaches another, step by step: what target-aware escalation reports
/// (`user/dev` -`iam:PassRole`-> `role/ops-admin`) and the reports draw as a chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Chain {
    pub steps: Vec<ChainStep>,
}

/// One step of a chain: `from` can do `action` to reach `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChainStep {
    /// The acting principal (its ARN when known, else `kind/name`).
    pub from: String,
    /// The catalogue action that takes the step (`iam:PassRole`, `sts:AssumeRole`).
    pub action: String,
    /// The principal reached.
    pub to: String,
    /// Whether `to` is more privileged: full admin, or able to escalate further.
    pub to_admin: bool,
}

/// Where a finding sits in a document: the policy model's statements implement it, so
/// that this layer needs no policy model.
pub trait Located {
    fn statement_ref(&self) -> StatementRef;
    fn locator(&self) -> &str;
}

/// The family a rule belongs to: what config selects by group and SARIF tags carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The file or policy is not what IAM accepts (syntax, grammar, unknown names).
    Validity,
    /// The policy grants more than it needs to.
    LeastPrivilege,
    /// Who may act: trust and resource policy principals.
    Trust,
    /// Valid, but likely not what the author meant.
    Suspicious,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Validity => "validity",
            Category::LeastPrivilege => "least-privilege",
            Category::Trust => "trust",
            Category::Suspicious => "suspicious",
        }
    }
}

/// What a rule is, apart from its check: every finding carries it, so renderers (SARIF's
/// `rules[]`) describe rules without a lookup.
#[derive(Debug)]
pub struct RuleMeta {
    /// Kebab-case name of the pattern found, used verbatim everywhere.
    pub id: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line for `iamlint rules`.
    pub summary: &'static str,
    /// The rule's documentation, `rules/<rule-id>.md`.
    pub doc: &'static str,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    /// One line, lower-case start, no trailing period: what is wrong.
    pub message: String,
    pub source: Arc<SourceFile>,
    /// The value the finding is about (underlined).
    pub span: Span,
    pub label: String,
    pub labels: Vec<Label>,
    /// What to write instead.
    pub help: Option<String>,
    /// Extra facts, such as what a wildcard really grants.
    pub note: Option<String>,
    pub locator: String,
    pub statement: Option<StatementRef>,
    /// Concrete catalogue actions involved, `service:Action`.
    pub actions: Vec<String>,
    /// Set when the finding is about a principal's policies taken together.
    pub principal: Option<PrincipalRef>,
    /// The principals the finding's principal can reach, and how (target-aware escalation).
    pub chains: Vec<Chain>,
    /// A suppression the input file declares for this finding's place (a CloudFormation
    /// resource's `Metadata: {iamlint: {ignore: [...]}}`): the filter honours it.
    pub waiver: Option<Waiver>,
}

/// A suppression written in the input file itself, about everything under a locator
/// (`Resources.DeployRole`): adapters record them, the filter applies them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Findings whose locator is this or starts with it (followed by `.` or `[`).
    pub locator: String,
    pub rule: String,
    pub reason: String,
    /// Where the suppression is written.
    pub span: Span,
}

impl Waiver {
    /// Whether the waiver covers a finding of `rule` at `locator`.
    pub fn covers(&self, rule: &str, locator: &str) -> bool {
        self.rule == rule
            && locator.strip_prefix(self.locator.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') || self.locator.is_empty()
            })
    }
}

/// A finding the filter set aside, and why.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    /// The reason the suppression gives.
    pub reason: String,
    /// Where the suppression is written (`iamlint.toml:12`, `deploy.yaml:40`).
    pub by: String,
    /// Written in the input file itself (a comment, template metadata), not in the
    /// configuration.
    pub in_source: bool,
}

impl Finding {
    /// 1-based (line, column) of the start and end of the primary span.
    pub fn range(&self) -> ((usize, usize), (usize, usize)) {
        let end = if self.span.end > self.span.start { self.span.end } else { self.span.start };
        (self.source.line_col(self.span.start), self.source.line_col(end))
    }

    /// The order every output uses: file, position, rule, then message.
    pub fn sort_key(&self) -> (String, usize, usize, &'static str, &str) {
        (self.source.display_path(), self.span.start, self.span.end, self.rule.id, &self.message)
    }
}

/// What the reports for people (HTML, markdown) and the summary's "needs attention" list
/// show about one principal, or about one document no principal holds: its policies and,
/// when a renderer asked for it, what it can do.
#[derive(Debug, Clone)]
pub struct SubjectSummary {
    /// None for a document no principal holds (a plain policy file, a bucket policy).
    pub principal: Option<PrincipalRef>,
    /// The file the policies stand in.
    pub source: Arc<SourceFile>,
    pub policies: Vec<PolicySummary>,
    /// What the subject's grants allow, by service; computed only when a renderer needs
    /// it (`--format html`, `markdown`), else None.
    pub access: Option<Vec<ServiceAccess>>,
}

/// One policy of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySummary {
    /// Where the document stands (`Resources.Deploy.Properties.Policies[0].PolicyDocument`);
    /// empty for a file that is one policy.
    pub locator: String,
    /// `identity`, `trust`, `boundary`, ...
    pub kind: &'static str,
    pub role: PolicyRole,
    /// The whole document.
    pub span: Span,
}

/// What a policy does for its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRole {
    /// Grants access (inline, attached).
    Grants,
    /// Grants access to a member of a group, as the group's policy: what it says is
    /// shown on the group.
    Group,
    /// Bounds what the others grant (a permissions boundary, an SCP).
    Ceiling,
    /// Says who may assume the role.
    Trust,
}

impl PolicyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyRole::Grants => "grants",
            PolicyRole::Group => "grants through a group",
            PolicyRole::Ceiling => "ceiling",
            PolicyRole::Trust => "trust",
        }
    }
}

/// The access levels of the catalogue, in the order the access tables show them.
pub const ACCESS_LEVELS: [&str; 5] = ["List", "Read", "Write", "Permissions management", "Tagging"];

/// What a subject can do in one service, per access level (`ACCESS_LEVELS` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    /// The service prefix (`iam`).
    pub service: &'static str,
    pub levels: [LevelCount; 5],
}

/// Actions of one access level of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelCount {
    /// Actions the grants allow after Denies and ceilings.
    pub granted: usize,
    /// Of those, the ones allowed on everything they can act on with no narrowing
    /// condition.
    pub unrestricted: usize,
    /// Actions of this level the service has.
    pub total: usize,
}

/// What a run produced: the findings, the files that could not be linted, and those
/// passed over as not policies.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Files that could not be linted at all (the run fails).
    pub errors: Vec<(std::path::PathBuf, String)>,
    pub checked: usize,
    /// Files passed over as not policies, with the reason.
    pub skipped: Vec<(std::path::PathBuf, String)>,
    /// The files linted, in order.
    pub checked_paths: Vec<std::path::PathBuf>,
    /// Findings a suppression (config, inline comment, template metadata) set aside.
    pub suppressed: Vec<Suppressed>,
    /// Findings left out because the baseline records them.
    pub baselined: usize,
    /// Baseline entries (of the files linted) that no longer occur: fixed since.
    pub baseline_fixed: usize,
    /// Things the user should know that are not findings (a suppression that matched
    /// nothing, an inline suppression without a reason).
    pub warnings: Vec<String>,
    /// Each principal of the files linted, and each document no principal holds, in
    /// file order.
    pub subjects: Vec<SubjectSummary>,
    /// The suppressions each linted file declares in itself (template metadata; inline
    /// comments are read from its text): the filter reports those that matched nothing.
    pub declared: Vec<Declared>,
}

/// A linted file and the suppressions an adapter found in it (`LoadedFile::waivers`).
#[derive(Debug, Clone)]
pub struct Declared {
    pub source: Arc<SourceFile>,
    pub waivers: Vec<Waiver>,
}

/// What a rule reports; the engine completes it into a `Finding`.
#[derive(Debug, Clone)]
pub struct Draft {
    pub span: Span,
    pub message: String,
    pub label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub note: Option<String>,
    pub severity: Option<Severity>,
    pub locator: Option<String>,
    pub statement: Option<StatementRef>,
    pub actions: Vec<String>,
    pub chains: Vec<Chain>,
}

impl Draft {
    pub fn new(span: Span, message: impl Into<String>) -> Draft {
        Draft {
            span,
            message: message.into(),
            label: String::new(),
            labels: Vec::new(),
            help: None,
            note: None,
            severity: None,
            locator: None,
            statement: None,
            actions: Vec::new(),
            chains: Vec::new(),
        }
    }

    /// The text under the primary span.
    pub fn label(mut self, text: impl Into<String>) -> Draft {
        self.label = text.into();
        self
    }

    /// Another value involved, underlined with its own text.
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Draft {
        self.labels.push(Label { span, text: text.into() });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Draft {
        self.help = Some(text.into());
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Draft {
        self.note = Some(text.into());
        self
    }

    /// Overrides the rule's default severity for this finding.
    pub fn severity(mut self, severity: Severity) -> Draft {
        self.severity = Some(severity);
        self
    }

    /// The statement the finding is in (sets the locator too).
    pub fn in_statement(mut self, statement: &impl Located) -> Draft {
        self.statement = Some(statement.statement_ref());
        self.locator = Some(statement.locator().to_string());
        self
    }

    pub fn locator(mut self, locator: impl Into<String>) -> Draft {
        self.locator = Some(locator.into());
        self
    }

    pub fn actions(mut self, actions: Vec<String>) -> Draft {
        self.actions = actions;
        self
    }

    /// The principals reached, and how.
    pub fn chains(mut self, chains: Vec<Chain>) -> Draft {
        self.chains = chains;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{and_list, thousands};

    #[test]
    fn and_list_joins_naturally() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&v(&["a"])), "a");
        assert_eq!(and_list(&v(&["a", "b"])), "a and b");
        assert_eq!(and_list(&v(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22218), "22,218");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
