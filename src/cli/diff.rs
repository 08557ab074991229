//! `iamlint diff`: what a change grants. Reads both sides, compares them (the diff module),
//! renders (`report::diff`), and exits 1 on new access or introduced findings at or
//! above the thresholds, 2 when a file could not be read or parsed on either side.

use super::check::{KindArg, SeverityArg};
use super::{EXIT_ERROR, EXIT_FINDINGS, usage_error};
use crate::catalogue::Catalogue;
use crate::catalogue::model::AccessLevel;
use crate::config::Settings;
use crate::diff::{SideFile, diff, git};
use crate::discover::{Filters, discover};
use crate::filter::{self, FailOn};
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
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "medium")]
    pub fail_on: SeverityArg,

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

/// The files of one side: walked directories keyed by their path under the directory.
fn side(root: &Path, filters: &Filters) -> Result<Vec<SideFile>, String> {
    let found = discover(&[root.to_path_buf()], filters);
    if let Some(e) = found.errors.first() {
        return Err(format!("{}: {}", display(&e.path), e.message));
    }
    Ok(found
        .files
        .into_iter()
        .map(|c| {
            let key = c.path.strip_prefix(root).map_or_else(|_| display(&c.path), display);
            SideFile::read(key, c.path)
        })
        .collect())
}

pub fn run(args: &DiffArgs, out: &mut impl Write) -> std::io::Result<u8> {
    let rules = match filter::selected_rules(&args.select, &args.ignore) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };
    if let Some(bad) = args.known_accounts.iter().find(|a| !(a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))) {
        return usage_error(&format!("--known-accounts takes 12-digit account ids; `{bad}` is not one"));
    }
    let mut filters = match Filters::new(&args.include, &args.exclude) {
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
                (true, true) => match (side(old, &filters), side(new, &filters)) {
                    (Ok(o), Ok(n)) => (o, n),
                    (Err(e), _) | (_, Err(e)) => return usage_error(&e),
                },
                (false, false) => {
                    let key = display(new);
                    (vec![SideFile::read(key.clone(), old.clone())], vec![SideFile::read(key, new.clone())])
                }
                _ => return usage_error("OLD and NEW must both be files or both be directories"),
            }
        }
    };
    let options = LintOptions {
        rules,
        kind: args.policy_kind.map(PolicyKind::from),
        settings: Settings { known_accounts: args.known_accounts.clone() },
        scps: Default::default(),
    };
    let catalogue = Catalogue::bundled();
    let mut report = diff(old, new, &options, catalogue);
    report.errors.sort();
    let verdict = DiffVerdict::of(&report, args.fail_on_access.level(), FailOn::from(args.fail_on));
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
