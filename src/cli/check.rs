//! `iamlint check`: discover, lint, filter by threshold, render, exit code.

use super::{EXIT_ERROR, EXIT_FINDINGS, Format, paths_or_default, usage_error};
use crate::catalogue::Catalogue;
use crate::discover::{Filters, discover};
use crate::lint::{LintOptions, Settings, count_at_least, lint_files};
use crate::policy::PolicyKind;
use crate::report::{Severity, concise, human, json};
use crate::rules::{self, RULES, Rule};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to lint (directories are walked honouring .gitignore)
    pub paths: Vec<PathBuf>,

    /// Output format (default: human)
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Exit with 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value = "medium", value_name = "SEVERITY")]
    pub fail_on: SeverityArg,

    /// Run only these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Only lint walked files matching these globs (default: *.json)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files matching these globs
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Treat every document as this kind instead of inferring it
    #[arg(long, value_enum, value_name = "KIND")]
    pub policy_kind: Option<KindArg>,

    /// Accounts you trust (12-digit ids, comma-separated): a trust policy naming one is
    /// not reported as cross-account
    #[arg(long = "known-accounts", value_delimiter = ',', value_name = "ACCOUNTS")]
    pub known_accounts: Vec<String>,

    /// Colour in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,

    /// Also say which files were skipped and why
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Identity,
    Resource,
    Trust,
    Scp,
    Rcp,
    Boundary,
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> PolicyKind {
        match k {
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Resource => PolicyKind::Resource,
            KindArg::Trust => PolicyKind::Trust,
            KindArg::Scp => PolicyKind::ServiceControl,
            KindArg::Rcp => PolicyKind::ResourceControl,
            KindArg::Boundary => PolicyKind::Boundary,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// The rules to run: `--select` (or all) minus `--ignore`; unknown ids are errors.
pub fn selected_rules(select: &[String], ignore: &[String]) -> Result<Vec<&'static Rule>, String> {
    // `--select a,` leaves an empty id: nothing to select.
    let select: Vec<&String> = select.iter().filter(|s| !s.trim().is_empty()).collect();
    let ignore: Vec<&String> = ignore.iter().filter(|s| !s.trim().is_empty()).collect();
    for id in select.iter().chain(&ignore) {
        if rules::find(id).is_none() {
            let suggestion = RULES
                .iter()
                .map(|r| (strsim::jaro_winkler(r.id, id), r.id))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, r)| format!(" (did you mean `{r}`?)"))
                .unwrap_or_default();
            return Err(format!("unknown rule `{id}`{suggestion}; `iamlint rules` lists them"));
        }
    }
    Ok(RULES
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| *s == r.id))
        .filter(|r| !ignore.iter().any(|s| *s == r.id))
        .collect())
}

pub fn run(args: &CheckArgs, out: &mut impl Write) -> std::io::Result<u8> {
    let rules = match selected_rules(&args.select, &args.ignore) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };
    if let Some(bad) = args.known_accounts.iter().find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        return usage_error(&format!("--known-accounts takes 12-digit account ids; `{bad}` is not one"));
    }
    let filters = match Filters::new(&args.include, &args.exclude) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let catalogue = Catalogue::bundled();
    let fail_on = Severity::from(args.fail_on);
    let discovered = discover(&paths_or_default(&args.paths), &filters);
    let options = LintOptions {
        rules,
        kind: args.policy_kind.map(PolicyKind::from),
        settings: Settings { known_accounts: args.known_accounts.clone() },
    };
    let mut outcome = lint_files(&discovered.files, &options, catalogue);
    outcome.errors.extend(discovered.errors.into_iter().map(|e| (e.path, e.message)));
    outcome.skipped.extend(discovered.excluded.into_iter().map(|p| (p, "matches an --exclude glob".to_string())));
    outcome.skipped.sort();
    outcome.errors.sort();

    let gated = count_at_least(&outcome.findings, fail_on);
    let code = if !outcome.errors.is_empty() {
        EXIT_ERROR
    } else if gated > 0 {
        EXIT_FINDINGS
    } else {
        0
    };

    match args.format {
        Format::Json => {
            let report = json::Report {
                version: 1,
                tool: json::Tool { name: "iamlint", version: env!("CARGO_PKG_VERSION") },
                catalogue: json::catalogue_info(catalogue),
                findings: outcome.findings.iter().map(json::finding).collect(),
                errors: outcome
                    .errors
                    .iter()
                    .map(|(p, m)| json::JsonError { file: display(p), message: m.clone() })
                    .collect(),
                summary: json::Summary::new(
                    &outcome.findings,
                    outcome.checked,
                    outcome.skipped.len(),
                    fail_on,
                    code != 0,
                ),
            };
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        Format::Concise => {
            for f in &outcome.findings {
                writeln!(out, "{}", concise::line(f))?;
            }
        }
        Format::Human => {
            let color = match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let style = human::Style { color, ..human::Style::PLAIN };
            // miette's layout is the costly part of a large run: render in parallel, print in order.
            let render = |f| human::render(f, style);
            let rendered: Vec<String> = if outcome.findings.len() > 16 {
                outcome.findings.par_iter().map(render).collect()
            } else {
                outcome.findings.iter().map(render).collect()
            };
            for text in rendered {
                write!(out, "{text}")?;
            }
            writeln!(out, "{}", summary_line(&outcome, fail_on, gated))?;
        }
    }
    if args.verbose {
        for (path, reason) in &outcome.skipped {
            eprintln!("iamlint: skipped {}: {reason}", display(path));
        }
    }
    if args.format != Format::Json {
        for (path, message) in &outcome.errors {
            eprintln!("iamlint: error: {}: {message}", display(path));
        }
    }
    Ok(code)
}

fn display(p: &std::path::Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).replace('\\', "/")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn summary_line(outcome: &crate::lint::Outcome, fail_on: Severity, gated: usize) -> String {
    let mut counts = Vec::new();
    for s in Severity::ALL {
        let n = outcome.findings.iter().filter(|f| f.severity == s).count();
        if n > 0 {
            counts.push(format!("{n} {s}"));
        }
    }
    let mut line = if outcome.findings.is_empty() {
        format!("no findings in {}", plural(outcome.checked, "file"))
    } else {
        format!(
            "{} ({}) in {}; {gated} at or above {fail_on}",
            plural(outcome.findings.len(), "finding"),
            counts.join(", "),
            plural(outcome.checked, "file")
        )
    };
    if !outcome.skipped.is_empty() {
        line.push_str(&format!("; {} skipped (--verbose says why)", plural(outcome.skipped.len(), "file")));
    }
    if !outcome.errors.is_empty() {
        line.push_str(&format!("; {} could not be linted", plural(outcome.errors.len(), "file")));
    }
    line
}
