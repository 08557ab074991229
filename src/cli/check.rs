//! `iamlint check`: discover, lint, filter by threshold, render, exit code.

use super::{EXIT_ERROR, EXIT_FINDINGS, paths_or_default, usage_error};
use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::diagnostic::Severity;
use crate::discover::{Discovered, Filters, discover};
use crate::filter::{self, Verdict};
use crate::lint::{LintOptions, lint_files, lint_reader, record};
use crate::policy::PolicyKind;
use crate::report::{self, Format, RenderOptions};
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to lint (directories are walked honouring .gitignore); `-`
    /// reads standard input
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

    /// The file name standard input stands for (`iamlint check -`): it picks the input
    /// format and names the file in reports; given alone, it reads standard input
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,

    /// Also say which files were skipped and why
    #[arg(short, long)]
    pub verbose: bool,

    /// Walk directories without honouring .gitignore, .ignore and git's exclude file
    #[arg(long)]
    pub no_ignore: bool,

    /// Exit 0 when no file holds a policy iamlint reads (by default such a run exits 2:
    /// a gate that checked nothing must not pass)
    #[arg(long)]
    pub allow_empty: bool,
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

pub fn run(args: &CheckArgs, out: &mut impl Write) -> std::io::Result<u8> {
    let rules = match filter::selected_rules(&args.select, &args.ignore) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };
    if let Some(bad) = args.known_accounts.iter().find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        return usage_error(&format!("--known-accounts takes 12-digit account ids; `{bad}` is not one"));
    }
    let mut filters = match Filters::new(&args.include, &args.exclude) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    filters.no_ignore = args.no_ignore;
    // `-` is standard input (ruff's convention); `--stdin-filename` alone implies it.
    let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) = args.paths.iter().partition(|p| p.as_os_str() == "-");
    let reads_stdin = !stdin.is_empty() || (args.stdin_filename.is_some() && args.paths.is_empty());
    if args.stdin_filename.is_some() && !reads_stdin {
        return usage_error("--stdin-filename names standard input: add `-` to the paths to read it");
    }
    let catalogue = Catalogue::bundled();
    let discovered = match (reads_stdin, paths.is_empty()) {
        (true, true) => Discovered::default(),
        _ => discover(&paths_or_default(&paths.into_iter().cloned().collect::<Vec<_>>()), &filters),
    };
    let options = LintOptions {
        rules,
        kind: args.policy_kind.map(PolicyKind::from),
        settings: Settings { known_accounts: args.known_accounts.clone() },
    };
    let mut outcome = lint_files(&discovered.files, &options, catalogue);
    if reads_stdin {
        let name = args.stdin_filename.clone().unwrap_or_else(|| PathBuf::from("<stdin>"));
        let result = lint_reader(&name, std::io::stdin().lock(), &options, catalogue);
        record(&mut outcome, name, result);
        outcome.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    outcome.errors.extend(discovered.errors.into_iter().map(|e| (e.path, e.message)));
    outcome.skipped.extend(discovered.excluded.into_iter().map(|p| (p, "matches an --exclude glob".to_string())));
    outcome.skipped.sort();
    outcome.errors.sort();
    if outcome.checked == 0 && outcome.errors.is_empty() && !args.allow_empty {
        let paths = paths_or_default(&args.paths).iter().map(|p| report::display(p)).collect::<Vec<_>>().join(", ");
        let skipped = match outcome.skipped.len() {
            0 => String::new(),
            n => format!(" ({n} file{} skipped: --verbose says why)", if n == 1 { "" } else { "s" }),
        };
        outcome.errors.push((
            PathBuf::from(paths),
            format!("no file here holds a policy iamlint reads{skipped}; pass --allow-empty to accept a run that checks nothing"),
        ));
    }

    let verdict = Verdict::of(&outcome, Severity::from(args.fail_on));
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let render = RenderOptions { format: args.format, color, verbose: args.verbose };
    report::render(&outcome, &verdict, &render, catalogue, out, &mut std::io::stderr().lock())?;
    Ok(if verdict.broken {
        EXIT_ERROR
    } else if verdict.failed() {
        EXIT_FINDINGS
    } else {
        0
    })
}
