//! `iamlint diff`: what a change grants. Reads both sides, compares them (the diff module),
//! renders (`report::diff`), and exits 1 on new access or introduced findings at or
//! above the thresholds, 2 when a file could not be read or parsed on either side.

use super::check::{Flags, KindArg, Resolved, SeverityArg, kind_of, load_config, resolve};
use super::{EXIT_ERROR, EXIT_FINDINGS, usage_error};
use crate::catalogue::Catalogue;
use crate::catalogue::model::AccessLevel;
use crate::config::Settings;
use crate::diff::{SideFile, diff_with, git};
use crate::discover::{Filters, discover};
use crate::filter::selected_rules;
use crate::lint::LintOptions;
use crate::policy::PolicyKind;
use crate::report::diff::{DiffFormat, DiffVerdict, render};
use crate::source::display;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct DiffArgs {
    /// OLD and NEW: two files or two directories; with --git, the paths of the working
    /// tree to compare with BASE (default: the current directory)
    pub paths: Vec<PathBuf>,

    /// Compare the working tree with this git revision (a branch, tag or commit: the pull
    /// request's base), read with the git executable
    #[arg(long, value_name = "BASE")]
    pub git: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,

    /// Exit with 1 when the change grants new access at or above this access level
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "write")]
    pub fail_on_access: AccessArg,

    /// Exit with 1 when the change introduces a finding at or above this severity
    /// [default: the configuration's fail-on, else medium]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Run only these rules for the findings compared (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Only compare walked files matching these globs (default: *.json, *.yaml, *.yml,
    /// *.template, *.tf)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files matching these globs
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Walk directories without honouring .gitignore, .ignore and git's exclude file
    #[arg(long)]
    pub no_ignore: bool,

    /// Treat every document as this kind instead of inferring it
    #[arg(long, value_enum, value_name = "KIND")]
    pub policy_kind: Option<KindArg>,

    /// Accounts you trust (12-digit ids, comma-separated), for the findings compared
    #[arg(long = "known-accounts", value_delimiter = ',', value_name = "ACCOUNTS")]
    pub known_accounts: Vec<String>,

    /// Directory SARIF URIs are relative to (default: the repository root holding .git,
    /// else the current directory)
    #[arg(long, value_name = "DIR")]
    pub sarif_base: Option<PathBuf>,

    /// Read this configuration file instead of the iamlint.toml or .iamlint.toml found
    /// from the current directory up to the repository root
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long)]
    pub isolated: bool,
}

impl DiffArgs {
    fn flags(&self) -> Flags<'_> {
        Flags {
            select: &self.select,
            ignore: &self.ignore,
            fail_on: self.fail_on,
            include: &self.include,
            exclude: &self.exclude,
            known_accounts: &self.known_accounts,
            config: self.config.as_deref(),
            isolated: self.isolated,
        }
    }
}

const AFTER_HELP: &str = "\
For each document (matched by file and locator) or principal (by ARN or locator), and each
concrete catalogue action, the changes are:
  new-action    granted now, on no resource before
  wider         granted before, now on more resources (the new patterns are listed;
                \"may be wider\" when containment of two patterns cannot be decided)
  looser        a narrowing condition removed or widened
  new-principal a trust or resource policy names a new account, everyone, or a service
and the other way: removed, narrower, tighter, removed-principal. Unconditional Denies are
credited. Findings are compared by fingerprint: introduced and fixed.

Exit codes: 0 nothing at or above the thresholds; 1 new access at or above
--fail-on-access, or an introduced finding at or above --fail-on; 2 the run broke (bad
arguments, a file that cannot be read or parsed on either side, git failing).

Examples:
  iamlint diff old/ new/
  iamlint diff --git origin/main infra/ --format markdown > comment.md
  iamlint diff before.json after.json --format json";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AccessArg {
    PermissionsManagement,
    Write,
    Tagging,
    Read,
    List,
    /// Never fail on new access
    None,
}

impl AccessArg {
    fn level(self) -> Option<AccessLevel> {
        match self {
            AccessArg::PermissionsManagement => Some(AccessLevel::PermissionsManagement),
            AccessArg::Write => Some(AccessLevel::Write),
            AccessArg::Tagging => Some(AccessLevel::Tagging),
            AccessArg::Read => Some(AccessLevel::Read),
            AccessArg::List => Some(AccessLevel::List),
            AccessArg::None => None,
        }
    }
}

/// The files of one side: walked directories keyed by their path under the directory;
/// the configuration's globs match them at their path under `new` (NEW's root).
fn side(root: &Path, new: &Path, filters: &Filters) -> Result<Vec<SideFile>, String> {
    let found = discover(&[root.to_path_buf()], filters);
    if let Some(e) = found.errors.first() {
        return Err(format!("{}: {}", display(&e.path), e.message));
    }
    Ok(found
        .files
        .into_iter()
        .map(|c| {
            let key = c.path.strip_prefix(root).map_or_else(|_| display(&c.path), display);
            let at = c.path.strip_prefix(root).map_or_else(|_| c.path.clone(), |k| new.join(k));
            SideFile { at, ..SideFile::read(key, c.path) }
        })
        .collect())
}

/// Gives each file the kind the configuration's policy-kinds give its path in NEW.
fn kinds(files: &mut [SideFile], settings: &Resolved) -> Result<(), String> {
    for f in files {
        f.kind = kind_of(&f.at, &settings.kinds).map_err(|m| format!("{}: {m}", display(&f.at)))?;
    }
    Ok(())
}

pub fn run(args: &DiffArgs, out: &mut impl Write) -> std::io::Result<u8> {
    // The configuration `check` reads: flags stand over its keys.
    let config = match load_config(&args.flags()) {
        Ok(c) => c,
        Err(e) => return usage_error(&format!("error: {e}")),
    };
    let mut settings = match resolve(&args.flags(), config.as_ref()) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("error: {e}")),
    };
    let rules = match selected_rules(&settings.select, &settings.ignore) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };
    settings.filter.ran = rules.iter().map(|r| r.id()).collect();
    if let Some(bad) = args.known_accounts.iter().find(|a| !(a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))) {
        return usage_error(&format!("--known-accounts takes 12-digit account ids; `{bad}` is not one"));
    }
    let mut filters = match Filters::new(&settings.include, &settings.exclude) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    filters.no_ignore = args.no_ignore;
    let (old, new) = match &args.git {
        Some(base) => {
            let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
            let old = match git::revision_files(base, &paths, &filters) {
                Ok(files) => files,
                Err(e) => return usage_error(&e),
            };
            let found = discover(&paths, &filters);
            // A path gone from the working tree is compared as deleted, not an error.
            let missing = |p: &PathBuf| !p.exists();
            if let Some(e) = found.errors.iter().find(|e| !missing(&e.path)) {
                return usage_error(&format!("{}: {}", display(&e.path), e.message));
            }
            let new = found.files.into_iter().map(|c| SideFile::read(display(&c.path), c.path)).collect();
            (old, new)
        }
        None => {
            let [old, new] = args.paths.as_slice() else {
                return usage_error(
                    "iamlint diff takes two paths, OLD and NEW (two files or two directories), or --git BASE [PATHS]",
                );
            };
            match (old.is_dir(), new.is_dir()) {
                (true, true) => match (side(old, new, &filters), side(new, new, &filters)) {
                    (Ok(o), Ok(n)) => (o, n),
                    (Err(e), _) | (_, Err(e)) => return usage_error(&e),
                },
                (false, false) => {
                    let key = display(new);
                    let old = SideFile { at: new.clone(), ..SideFile::read(key.clone(), old.clone()) };
                    (vec![old], vec![SideFile::read(key, new.clone())])
                }
                _ => return usage_error("OLD and NEW must both be files or both be directories"),
            }
        }
    };
    let (mut old, mut new) = (old, new);
    if let Err(e) = kinds(&mut old, &settings).and_then(|()| kinds(&mut new, &settings)) {
        return usage_error(&format!("error: {e}"));
    }
    let options = LintOptions {
        rules,
        kind: args.policy_kind.map(PolicyKind::from),
        settings: Settings { known_accounts: settings.known_accounts.clone() },
        scps: Default::default(),
    };
    let catalogue = Catalogue::bundled();
    let mut report = diff_with(old, new, &options, &settings.filter, catalogue);
    report.errors.sort();
    let verdict = DiffVerdict::of(&report, args.fail_on_access.level(), settings.fail_on);
    let base = match &args.sarif_base {
        Some(dir) => crate::source::absolute(dir),
        None => super::check::repository_root(),
    };
    render(&report, &verdict, args.format, &base, catalogue, out, &mut std::io::stderr().lock())?;
    Ok(if verdict.broken {
        EXIT_ERROR
    } else if verdict.failed() {
        EXIT_FINDINGS
    } else {
        0
    })
}
