//! What the reports for people share: each finding placed with the subjects it is about
//! (a principal: its own findings and those in its policies, but for the policies it
//! holds through a group, which are shown on the group; a document no principal holds),
//! the principals ranked by what needs attention first, counts by rule and by account.
//! No finding is left out: one that no subject holds (a file-level syntax error) is
//! listed as such.

use crate::diagnostic::{
    ACCESS_LEVELS, Finding, Outcome, PolicyRole, PrincipalRef, ServiceAccess, Severity, SubjectSummary,
};
use std::collections::{BTreeMap, HashMap};

pub struct Overview<'a> {
    /// Principals first, the worst first (severity, then number of findings); then the
    /// documents no principal holds, in file order.
    pub sections: Vec<Section<'a>>,
    /// Findings no subject holds, in outcome order.
    pub unplaced: Vec<&'a Finding>,
    /// Each rule that reported: findings, and the worst severity among them; most first.
    pub by_rule: Vec<(&'static str, usize, Severity)>,
    /// Each account the principals' ARNs name (`None`: principals without an ARN, as in
    /// a template): principals, findings placed with them.
    pub by_account: Vec<(Option<String>, usize, usize)>,
}

pub struct Section<'a> {
    pub subject: &'a SubjectSummary,
    /// In outcome order (file, position, rule).
    pub findings: Vec<&'a Finding>,
    /// An id unique in the report (`s12`).
    pub id: String,
}

impl Section<'_> {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings at each severity, `Severity::ALL` order.
    pub fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for f in &self.findings {
            counts[Severity::ALL.iter().position(|s| *s == f.severity).unwrap_or(0)] += 1;
        }
        counts
    }

    /// `1 critical, 2 high`; `no findings`.
    pub fn counts_text(&self) -> String {
        counts_text(&self.counts())
    }

    /// What a person calls the subject: `role DeployRole`, or the document's place.
    pub fn title(&self) -> String {
        match &self.subject.principal {
            Some(p) => format!("{} {}", p.kind, p.name),
            None => {
                let locator = self.subject.policies.first().map_or("", |p| p.locator.as_str());
                match locator {
                    "" => self.subject.source.display_path(),
                    l => format!("{} {l}", self.subject.source.display_path()),
                }
            }
        }
    }
}

/// `1 critical, 2 high`; `no findings`.
pub fn counts_text(counts: &[usize; 5]) -> String {
    let parts: Vec<String> =
        Severity::ALL.iter().zip(counts).filter(|(_, n)| **n > 0).map(|(s, n)| format!("{n} {s}")).collect();
    if parts.is_empty() { "no findings".into() } else { parts.join(", ") }
}

/// The account of an ARN (`arn:aws:iam::111122223333:role/x` -> `111122223333`).
pub fn account(p: &PrincipalRef) -> Option<String> {
    let account = p.arn.split(':').nth(4)?;
    (p.arn.starts_with("arn:") && !account.is_empty()).then(|| account.to_string())
}

/// Whether `locator` is `parent` or under it (`parent.x`, `parent[0]`).
fn under(locator: &str, parent: &str) -> bool {
    locator.strip_prefix(parent).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Where each finding goes, found without comparing every finding with every subject (an
/// account dump has thousands of each): a principal's own findings by the principal; a
/// document's findings by the policy span holding them (documents do not overlap, except
/// the readings of one template document, which share their span); a finding outside
/// every span by its locator, under a policy's.
fn place(outcome: &Outcome) -> (Vec<Vec<&Finding>>, Vec<&Finding>) {
    type File = *const crate::source::SourceFile;
    /// A principal's kind, name, ARN and locator.
    type Key = (&'static str, String, String, String);
    let key = |p: &PrincipalRef| -> Key { (p.kind, p.name.clone(), p.arn.clone(), p.locator.clone()) };
    let mut by_principal: HashMap<(File, Key), Vec<usize>> = HashMap::new();
    // Per file: (policy span, subject), sorted by span.
    let mut spans: HashMap<File, Vec<(usize, usize, usize)>> = HashMap::new();
    for (i, s) in outcome.subjects.iter().enumerate() {
        let file = std::sync::Arc::as_ptr(&s.source);
        if let Some(p) = &s.principal {
            by_principal.entry((file, key(p))).or_default().push(i);
        }
        // A member's group policies show their findings on the group, once.
        for p in s.policies.iter().filter(|p| p.role != PolicyRole::Group) {
            spans.entry(file).or_default().push((p.span.start, p.span.end, i));
        }
    }
    for list in spans.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    let mut placed: Vec<Vec<&Finding>> = vec![Vec::new(); outcome.subjects.len()];
    let mut unplaced = Vec::new();
    for f in &outcome.findings {
        let file = std::sync::Arc::as_ptr(&f.source);
        let mut holders: Vec<usize> = match &f.principal {
            Some(p) => by_principal.get(&(file, key(p))).cloned().unwrap_or_default(),
            None => {
                let list = spans.get(&file).map_or(&[][..], Vec::as_slice);
                // The spans starting at or before the finding, nearest first.
                let upto = list.partition_point(|(start, _, _)| *start <= f.span.start);
                let mut found: Vec<usize> = Vec::new();
                let mut nearest = None;
                for &(start, end, i) in list[..upto].iter().rev() {
                    if nearest.is_some_and(|n| n != start) {
                        break;
                    }
                    if f.span.end <= end && start < end {
                        nearest = Some(start);
                        found.push(i);
                    }
                }
                if found.is_empty() && !f.locator.is_empty() {
                    found = outcome
                        .subjects
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| std::sync::Arc::as_ptr(&s.source) == file)
                        .filter(|(_, s)| {
                            s.policies.iter().any(|p| {
                                p.role != PolicyRole::Group && !p.locator.is_empty() && under(&f.locator, &p.locator)
                            })
                        })
                        .map(|(i, _)| i)
                        .collect();
                }
                found
            }
        };
        holders.sort_unstable();
        holders.dedup();
        if holders.is_empty() {
            unplaced.push(f);
        }
        for i in holders {
            placed[i].push(f);
        }
    }
    (placed, unplaced)
}

pub fn of(outcome: &Outcome) -> Overview<'_> {
    let (placed, unplaced) = place(outcome);
    let mut sections: Vec<Section<'_>> = outcome
        .subjects
        .iter()
        .zip(placed)
        .enumerate()
        .map(|(i, (subject, findings))| Section { subject, findings, id: format!("s{i}") })
        .collect();
    // Principals first, worst first (severity, then count); the sort is stable, so ties
    // and documents keep file order.
    sections.sort_by_key(|s| match &s.subject.principal {
        Some(_) => (false, std::cmp::Reverse(s.worst()), std::cmp::Reverse(s.findings.len())),
        None => (true, std::cmp::Reverse(None), std::cmp::Reverse(0)),
    });
    let mut rules: BTreeMap<&'static str, (usize, Severity)> = BTreeMap::new();
    for f in &outcome.findings {
        let e = rules.entry(f.rule.id).or_insert((0, f.severity));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    let mut by_rule: Vec<_> = rules.into_iter().map(|(id, (n, s))| (id, n, s)).collect();
    by_rule.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
    let mut accounts: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
    for s in sections.iter().filter(|s| s.subject.principal.is_some()) {
        let e = accounts.entry(s.subject.principal.as_ref().and_then(account)).or_default();
        e.0 += 1;
        e.1 += s.findings.len();
    }
    let by_account = accounts.into_iter().map(|(a, (p, f))| (a, p, f)).collect();
    Overview { sections, unplaced, by_rule, by_account }
}

impl<'a> Overview<'a> {
    pub fn principals(&self) -> impl Iterator<Item = &Section<'a>> {
        self.sections.iter().filter(|s| s.subject.principal.is_some())
    }

    pub fn documents(&self) -> impl Iterator<Item = &Section<'a>> {
        self.sections.iter().filter(|s| s.subject.principal.is_none())
    }
}

/// The services in the order a reviewer reads them: most permissions management first,
/// then most granted on everything, then write, then everything granted.
pub fn ranked(access: &[ServiceAccess]) -> Vec<&ServiceAccess> {
    let level = |a: &ServiceAccess, name: &str| {
        ACCESS_LEVELS.iter().position(|l| *l == name).map_or(0, |i| a.levels[i].granted)
    };
    let mut rows: Vec<&ServiceAccess> = access.iter().collect();
    rows.sort_by(|a, b| {
        let key = |x: &ServiceAccess| {
            let open: usize = x.levels.iter().map(|l| l.unrestricted).sum();
            let all: usize = x.levels.iter().map(|l| l.granted).sum();
            std::cmp::Reverse((level(x, "Permissions management"), open, level(x, "Write"), all))
        };
        key(a).cmp(&key(b)).then(a.service.cmp(b.service))
    });
    rows
}

/// The principals to look at first, for the end of the human summary: those with
/// findings, worst first, at most `n`.
pub fn attention(outcome: &Outcome, n: usize) -> Vec<String> {
    if outcome.subjects.iter().all(|s| s.principal.is_none()) {
        return Vec::new();
    }
    let mut attention = Attention::new(n);
    for r in ranked_principals(outcome) {
        attention.push(r);
    }
    attention.lines()
}

/// A principal with findings, as the human summary names it: its worst severity, its
/// number of findings, its line.
pub struct Ranked {
    worst: Severity,
    findings: usize,
    line: String,
}

/// The principals with findings of an outcome (one file's, or a run's), in subject order.
pub fn ranked_principals(outcome: &Outcome) -> Vec<Ranked> {
    let (placed, _) = place(outcome);
    let mut out = Vec::new();
    for (i, (subject, findings)) in outcome.subjects.iter().zip(placed).enumerate() {
        let (Some(p), Some(worst)) = (&subject.principal, findings.iter().map(|f| f.severity).max()) else {
            continue;
        };
        let s = Section { subject, findings, id: format!("s{i}") };
        let place = if p.arn.is_empty() {
            match p.locator.as_str() {
                "" => subject.source.display_path(),
                l => format!("{} {l}", subject.source.display_path()),
            }
        } else {
            p.arn.clone()
        };
        let line = plain(&format!("{} {} ({place}): {}", p.kind, p.name, s.counts_text()));
        out.push(Ranked { worst, findings: s.findings.len(), line });
    }
    out
}

/// The `n` principals to look at first among those pushed (worst severity first, then
/// most findings, then the order they came in), and how many there were: what a run
/// keeps of its principals for the human summary, whatever their number.
pub struct Attention {
    n: usize,
    kept: Vec<Ranked>,
    total: usize,
}

impl Attention {
    pub fn new(n: usize) -> Attention {
        Attention { n, kept: Vec::new(), total: 0 }
    }

    pub fn push(&mut self, r: Ranked) {
        self.total += 1;
        let key = |r: &Ranked| (std::cmp::Reverse(r.worst), std::cmp::Reverse(r.findings));
        // After those that rank the same: the earlier stays first.
        let at = self.kept.partition_point(|k| key(k) <= key(&r));
        if at < self.n {
            self.kept.insert(at, r);
            self.kept.truncate(self.n);
        }
    }

    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.kept.iter().map(|r| r.line.clone()).collect();
        if self.total > self.n {
            let more = self.total - self.n;
            lines.push(format!("and {more} more principal{} with findings", if more == 1 { "" } else { "s" }));
        }
        lines
    }
}

/// Text from the input for a terminal: control characters, line separators and BiDi
/// controls written as `\u{..}`.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if super::escape::is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}
