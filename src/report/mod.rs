//! Findings and their renderers. One `Finding` type; every output format reads it.

pub mod concise;
pub mod grants;
pub mod human;
pub mod json;

use crate::policy::Statement;
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

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
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
}

impl Finding {
    /// 1-based (line, column) of the start and end of the primary span.
    pub fn range(&self) -> ((usize, usize), (usize, usize)) {
        let end = if self.span.end > self.span.start { self.span.end } else { self.span.start };
        (self.source.line_col(self.span.start), self.source.line_col(end))
    }

    /// The order every output uses: file, position, rule, then message.
    pub fn sort_key(&self) -> (String, usize, usize, &'static str, &str) {
        (self.source.display_path(), self.span.start, self.span.end, self.rule, &self.message)
    }
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
    pub fn in_statement(mut self, statement: &Statement) -> Draft {
        self.statement =
            Some(StatementRef { index: statement.index, sid: statement.sid.as_ref().map(|s| s.value.clone()) });
        self.locator = Some(statement.locator.clone());
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
