//! `--format markdown`: the overview and the findings of the HTML report as
//! GitHub-flavoured markdown, for a ticket or a pull-request comment. Each principal
//! with findings is a collapsible `<details>`; principals without findings are named in
//! one line.
//!
//! Text from the input goes through `md` (markdown punctuation backslash-escaped, `<>&`
//! as entities, `@` kept from mentioning anyone, control and BiDi characters as
//! `\u{..}`); excerpts are fenced with more backticks than they hold.

use super::excerpt::{self, Mark};
use super::overview::{self, Section};
use crate::diagnostic::{ACCESS_LEVELS, Finding, Outcome, PolicyRole, ServiceAccess, Severity, thousands};
use crate::filter::Verdict;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Services listed in a principal's access table; the rest are counted.
const ACCESS_ROWS: usize = 8;
/// Actions of a finding listed by name.
const ACTIONS_LISTED: usize = 8;

/// Markdown text that renders as the characters given, in a paragraph, a table cell,
/// a heading or a `<summary>`.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A zero-width space after `@` keeps GitHub from mentioning a user or team.
            '@' => out.push_str("@\u{200b}"),
            // A line break that stays inside the paragraph or table cell.
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '~'
            | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if super::escape::is_unsafe(c) => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for a fenced code block: only control and BiDi characters are escaped (tabs kept).
fn code_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c != '\t' && super::escape::is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A fence longer than any run of backticks in the block.
fn fence(block: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in block.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

pub fn write(outcome: &Outcome, verdict: &Verdict, out: &mut impl Write) -> io::Result<()> {
    out.write_all(document(outcome, verdict).as_bytes())
}

pub fn document(outcome: &Outcome, verdict: &Verdict) -> String {
    document_within(outcome, verdict, BUDGET)
}

/// GitHub refuses a pull-request comment or issue body over 65,536 characters; the report
/// stays under this many bytes (never fewer characters than bytes), leaving room for the
/// note of what was left out and the closing line.
pub const BUDGET: usize = 60_000;
/// Rows of the principals table; the rest are counted.
const PRINCIPAL_ROWS: usize = 50;
/// Principals without findings named; the rest are counted.
const CLEAN_NAMED: usize = 50;
/// Files that could not be linted, listed; the rest are counted.
const ERRORS_LISTED: usize = 20;

/// The report within `budget` bytes: the overview always (its tables cut to their first
/// rows), then the findings, the worst first, until the budget is spent; a line then says
/// how many were left out and where the whole report is.
pub fn document_within(outcome: &Outcome, verdict: &Verdict, budget: usize) -> String {
    let overview = overview::of(outcome);
    let mut m = String::new();
    m.push_str("## iamlint report\n\n");
    let _ = writeln!(m, "{}\n", md(&super::human::summary_line(outcome, verdict)));
    if !outcome.errors.is_empty() {
        m.push_str("> [!CAUTION]\n> The run fails whatever the threshold: these files could not be linted.\n");
        for (path, message) in outcome.errors.iter().take(ERRORS_LISTED) {
            let _ = writeln!(m, "> - {}: {}", md(&super::display(path)), md(message));
        }
        if outcome.errors.len() > ERRORS_LISTED {
            let _ = writeln!(m, "> - and {} more", thousands(outcome.errors.len() - ERRORS_LISTED));
        }
        m.push('\n');
    }
    let principals: Vec<&Section<'_>> = overview.principals().collect();
    if !principals.is_empty() {
        m.push_str("### Principals, the worst first\n\n| principal | account or file | worst | findings |\n| --- | --- | --- | --- |\n");
        let with_findings: Vec<&&Section<'_>> = principals.iter().filter(|s| !s.findings.is_empty()).collect();
        for s in with_findings.iter().take(PRINCIPAL_ROWS) {
            let p = s.subject.principal.as_ref().expect("principals only");
            let _ = writeln!(
                m,
                "| {} {} | {} | **{}** | {} |",
                md(p.kind),
                md(&p.name),
                md(&overview::account(p).unwrap_or_else(|| s.subject.source.display_path())),
                s.worst().map_or("", Severity::as_str),
                s.counts_text()
            );
        }
        if with_findings.len() > PRINCIPAL_ROWS {
            let _ =
                writeln!(m, "\nand {} more principals with findings.", thousands(with_findings.len() - PRINCIPAL_ROWS));
        }
        let clean: Vec<String> = principals.iter().filter(|s| s.findings.is_empty()).map(|s| md(&s.title())).collect();
        if !clean.is_empty() {
            let named = clean.len().min(CLEAN_NAMED);
            let more = match clean.len() - named {
                0 => String::new(),
                n => format!(" and {} more", thousands(n)),
            };
            let _ = writeln!(m, "\nWithout findings: {}{more}.", clean[..named].join(", "));
        }
        m.push('\n');
    }
    if !overview.by_rule.is_empty() {
        m.push_str("### Findings by rule\n\n| rule | worst | findings |\n| --- | --- | ---: |\n");
        for (rule, n, worst) in &overview.by_rule {
            let _ = writeln!(m, "| `{rule}` | {worst} | {} |", thousands(*n));
        }
        m.push('\n');
    }
    if overview.by_account.iter().any(|(a, _, _)| a.is_some()) {
        m.push_str("### By account\n\n| account | principals | findings |\n| --- | ---: | ---: |\n");
        for (account, principals, findings) in &overview.by_account {
            let name = account.as_deref().map_or("no ARN".to_string(), md);
            let _ = writeln!(m, "| {name} | {} | {} |", thousands(*principals), thousands(*findings));
        }
        m.push('\n');
    }
    // The worst first: sections by their worst finding (principals before documents at
    // the same severity), and in each its findings by severity.
    let mut with_findings: Vec<&Section<'_>> =
        overview.principals().chain(overview.documents()).filter(|s| !s.findings.is_empty()).collect();
    with_findings.sort_by_key(|s| std::cmp::Reverse(s.worst()));
    if !with_findings.is_empty() {
        m.push_str("### Findings\n\n");
    }
    let mut shown: std::collections::HashSet<*const Finding> = std::collections::HashSet::new();
    let mut full = false;
    for s in with_findings {
        if full {
            break;
        }
        let mut findings = s.findings.clone();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let mut text = String::new();
        section_head(&mut text, s);
        let mut any = false;
        for f in findings {
            let mut one = String::new();
            finding(&mut one, f);
            if m.len() + text.len() + one.len() + SECTION_END.len() > budget {
                full = true;
                break;
            }
            text.push_str(&one);
            shown.insert(f as *const Finding);
            any = true;
        }
        if any {
            m.push_str(&text);
            m.push_str(SECTION_END);
        }
    }
    if !overview.unplaced.is_empty() && !full {
        let mut text = String::from("### Other findings\n\n");
        for f in &overview.unplaced {
            let mut one = String::new();
            finding(&mut one, f);
            if m.len() + text.len() + one.len() > budget {
                break;
            }
            text.push_str(&one);
            shown.insert(*f as *const Finding);
        }
        m.push_str(&text);
    }
    let left_out = outcome.findings.len() - shown.len().min(outcome.findings.len());
    if left_out > 0 {
        let _ = writeln!(
            m,
            "> [!NOTE]\n> {} of {} findings are not shown: a comment holds {} characters. The whole report is \
             `iamlint check ... --format html` (one page) or `--format json`.\n",
            thousands(left_out),
            thousands(outcome.findings.len()),
            thousands(65_536)
        );
    }
    let _ = writeln!(m, "<sub>iamlint {}</sub>", env!("CARGO_PKG_VERSION"));
    m
}

const SECTION_END: &str = "</details>\n\n";

/// A section's summary line, policies and access table, before its findings.
fn section_head(m: &mut String, s: &Section<'_>) {
    let worst = s.worst().map_or("", Severity::as_str);
    // `<summary>` is inside an HTML block, where markdown is not read: HTML-escaped.
    let title = super::html::text(&s.title()).replace('@', "@\u{200b}");
    let _ = writeln!(m, "<details>\n<summary><b>{title}</b> · {worst} · {}</summary>\n", s.counts_text());
    if let Some(p) = &s.subject.principal {
        if !p.arn.is_empty() {
            let _ = writeln!(m, "ARN: {}\n", md(&p.arn));
        }
        let policies: Vec<String> = s
            .subject
            .policies
            .iter()
            .map(|p| {
                let place = if p.locator.is_empty() { "the file".to_string() } else { md(&p.locator) };
                let what = match p.role {
                    PolicyRole::Grants => md(p.kind),
                    role if role.as_str() == p.kind => md(p.kind),
                    role => format!("{}, {}", md(p.kind), role.as_str()),
                };
                format!("- {place} ({what})")
            })
            .collect();
        let _ = writeln!(m, "Policies in {}:\n{}\n", md(&s.subject.source.display_path()), policies.join("\n"));
    }
    if let Some(access) = &s.subject.access {
        access_table(m, access);
    }
}

fn access_table(m: &mut String, access: &[ServiceAccess]) {
    if access.is_empty() {
        m.push_str("Its policies grant no action.\n\n");
        return;
    }
    let actions: usize = access.iter().flat_map(|a| a.levels.iter()).map(|l| l.granted).sum();
    let open: usize = access.iter().flat_map(|a| a.levels.iter()).map(|l| l.unrestricted).sum();
    let _ = writeln!(
        m,
        "Can do {} action{} in {} service{}; {} of them on everything they act on, with no narrowing condition.\n",
        thousands(actions),
        if actions == 1 { "" } else { "s" },
        access.len(),
        if access.len() == 1 { "" } else { "s" },
        thousands(open)
    );
    let rows = overview::ranked(access);
    m.push_str("| service |");
    for l in ACCESS_LEVELS {
        let _ = write!(m, " {l} |");
    }
    m.push_str("\n| --- |");
    m.push_str(&" ---: |".repeat(ACCESS_LEVELS.len()));
    m.push('\n');
    for a in rows.iter().take(ACCESS_ROWS) {
        let _ = write!(m, "| {} |", md(a.service));
        for l in &a.levels {
            match (l.granted, l.unrestricted) {
                (0, _) => m.push_str(" · |"),
                (g, 0) => {
                    let _ = write!(m, " {g}/{} |", l.total);
                }
                (g, _) => {
                    let _ = write!(m, " **{g}/{}** |", l.total);
                }
            }
        }
        m.push('\n');
    }
    if rows.len() > ACCESS_ROWS {
        let _ = writeln!(m, "\nand {} more services.", rows.len() - ACCESS_ROWS);
    }
    m.push_str(
        "\nActions granted / actions of that level; **bold**: some on everything, with no narrowing condition.\n\n",
    );
}

fn finding(m: &mut String, f: &Finding) {
    let ((line, col), _) = f.range();
    let _ = writeln!(m, "#### {} `{}`: {}\n", f.severity, f.rule.id, md(&f.message));
    let locator = if f.locator.is_empty() { String::new() } else { format!(" ({})", md(&f.locator)) };
    let _ = writeln!(m, "{}:{line}:{col}{locator}\n", md(&f.source.display_path()));
    if let Some(window) = excerpt::of(f).into_iter().next() {
        let mut block = String::new();
        let width = window.last().map_or(1, |l| l.number.to_string().len());
        for l in &window {
            let mut shown = String::new();
            let mut caret = String::new();
            if l.cut_before {
                shown.push('…');
                caret.push(' ');
            }
            for (piece, mark) in &l.pieces {
                let t = code_text(piece);
                let under = if *mark == Mark::Primary { '^' } else { ' ' };
                caret.extend(t.chars().map(|c| if c == '\t' { '\t' } else { under }));
                shown.push_str(&t);
            }
            if l.cut_after {
                shown.push('…');
            }
            let _ = writeln!(block, "{:>width$} | {shown}", l.number);
            if caret.contains('^') {
                let _ = writeln!(block, "{:>width$} | {}", "", caret.trim_end());
            }
        }
        let fence = fence(&block);
        let _ = writeln!(m, "{fence}text\n{block}{fence}\n");
    }
    if !f.label.is_empty() {
        let _ = writeln!(m, "^ {}\n", md(&f.label));
    }
    if let Some(help) = &f.help {
        let _ = writeln!(m, "**help:** {}\n", md(help));
    }
    if let Some(note) = &f.note {
        let _ = writeln!(m, "**note:** {}\n", md(note));
    }
    if !f.actions.is_empty() {
        let listed: Vec<String> = f.actions.iter().take(ACTIONS_LISTED).map(|a| md(a)).collect();
        let more = match f.actions.len().saturating_sub(ACTIONS_LISTED) {
            0 => String::new(),
            n => format!(" and {} more", thousands(n)),
        };
        let _ = writeln!(m, "Actions: {}{more}\n", listed.join(", "));
    }
    for c in &f.chains {
        let Some(first) = c.steps.first() else { continue };
        let mut line = md(&first.from);
        for step in &c.steps {
            let to = if step.to_admin { format!("**{}** (admin)", md(&step.to)) } else { md(&step.to) };
            let _ = write!(line, " —{}→ {to}", md(&step.action));
        }
        let _ = writeln!(m, "Chain: {line}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_text_is_text_in_markdown() {
        assert_eq!(md("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(md("a|b"), "a\\|b", "a table cell is not split");
        assert_eq!(md("[x](https://evil)"), "\\[x\\]\\(https\\://evil\\)");
        assert_eq!(md("**bold** `code` # h"), "\\*\\*bold\\*\\* \\`code\\` \\# h");
        assert_eq!(md("@octocat"), "@\u{200b}octocat", "no mention");
        assert_eq!(md("a\u{202e}b"), "a\\\\u{202e}b");
        assert_eq!(md("one\ntwo"), "one<br>two");
    }

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_it_holds() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
        assert_eq!(code_text("x\u{202e}\ty"), "x\\u{202e}\ty");
    }
}
