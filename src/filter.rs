//! FILTER: which rules run, and what the run's findings decide. Rule selection, the
//! fail threshold and the verdict live here, before anything is rendered; config
//! severities, suppressions and the baseline join them here.

use crate::diagnostic::{Finding, Outcome, Severity};
use crate::rules::{self, RULES, Rule};

/// The rules to run: `select` (or all) minus `ignore`; unknown ids are errors with a
/// did-you-mean.
pub fn selected_rules(select: &[String], ignore: &[String]) -> Result<Vec<&'static Rule>, String> {
    // `--select a,` leaves an empty id: nothing to select.
    let select: Vec<&String> = select.iter().filter(|s| !s.trim().is_empty()).collect();
    let ignore: Vec<&String> = ignore.iter().filter(|s| !s.trim().is_empty()).collect();
    for id in select.iter().chain(&ignore) {
        if rules::find(id).is_none() {
            let suggestion = did_you_mean(id).map(|r| format!(" (did you mean `{r}`?)")).unwrap_or_default();
            return Err(format!("unknown rule `{id}`{suggestion}; `iamlint rules` lists them"));
        }
    }
    Ok(RULES
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| *s == r.id()))
        .filter(|r| !ignore.iter().any(|s| *s == r.id()))
        .collect())
}

/// The rule id closest to a misspelt one.
pub fn did_you_mean(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (strsim::jaro_winkler(r.id(), id), r.id()))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r)
}

/// Counts findings at or above a severity.
pub fn count_at_least(findings: &[Finding], threshold: Severity) -> usize {
    findings.iter().filter(|f| f.severity >= threshold).count()
}

/// What a run decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub fail_on: Severity,
    /// Findings at or above `fail_on`.
    pub gated: usize,
    /// A file could not be linted: the gate fails whatever the threshold.
    pub broken: bool,
}

impl Verdict {
    pub fn of(outcome: &Outcome, fail_on: Severity) -> Verdict {
        Verdict { fail_on, gated: count_at_least(&outcome.findings, fail_on), broken: !outcome.errors.is_empty() }
    }

    pub fn failed(&self) -> bool {
        self.broken || self.gated > 0
    }
}
