//! `iamlint check`: flags and the configuration file -> settings; then the stages:
//! discover, lint, filter, render, exit code.

use super::{EXIT_ERROR, EXIT_FINDINGS, paths_or_default, usage_error};
use crate::catalogue::Catalogue;
use crate::config::{self, Config, ConfigError, Settings};
use crate::diagnostic::Severity;
use crate::diagnostic::{Finding, Outcome};
use crate::discover::{Candidate, Discovered, Filters, PathGlob, discover};
use crate::filter::Filtered;
use crate::filter::{self, Baseline, FailOn, FilterOptions, Verdict};
use crate::lint::{Extras, FileOutcome, FileResult, LintOptions, Modules, lint_files_with, lint_reader_with, record};
use crate::policy::PolicyKind;
use crate::report::stream;
use crate::report::{self, Format, RenderOptions};
use clap::{Args, ValueEnum};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use toml::Spanned;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to lint (directories are walked honouring .gitignore); `-`
    /// reads standard input
    pub paths: Vec<PathBuf>,

    /// Output format (default: human)
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Exit with 1 when a finding is at or above this severity; `none` reports without
    /// failing (a file that could not be linted still fails) [default: medium]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Run only these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Only lint walked files matching these globs (default: *.json, *.yaml, *.yml,
    /// *.template, *.tf; docs pages such as *.md only when included)
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

    /// A service control policy bounding every principal (the users, groups and roles of an
    /// account dump, a template's roles): an action it does not allow is not granted.
    /// Repeat for several
    #[arg(long = "scp", value_name = "FILE")]
    pub scp: Vec<PathBuf>,

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

    /// Read this configuration file instead of the iamlint.toml or .iamlint.toml found
    /// from the current directory up to the repository root
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long)]
    pub isolated: bool,

    /// Report only findings that this baseline file does not record
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in this baseline file (sorted JSON) and exit 0
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// Also list the suppressed findings, with their reasons
    #[arg(long)]
    pub show_suppressed: bool,

    /// Print how many findings each rule made instead of the findings (human, concise)
    #[arg(long)]
    pub statistics: bool,

    /// Directory SARIF URIs and GitHub annotation paths are relative to (default: the
    /// repository root holding .git, else the current directory)
    #[arg(long, value_name = "DIR")]
    pub sarif_base: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
    /// Never fail on findings
    None,
}

impl From<SeverityArg> for FailOn {
    fn from(s: SeverityArg) -> FailOn {
        match s {
            SeverityArg::Critical => FailOn::AtLeast(Severity::Critical),
            SeverityArg::High => FailOn::AtLeast(Severity::High),
            SeverityArg::Medium => FailOn::AtLeast(Severity::Medium),
            SeverityArg::Low => FailOn::AtLeast(Severity::Low),
            SeverityArg::Info => FailOn::AtLeast(Severity::Info),
            SeverityArg::None => FailOn::Never,
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

/// The flags that stand over the configuration file's keys (`check` and `diff` read the
/// same file).
pub struct Flags<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
    pub fail_on: Option<SeverityArg>,
    pub include: &'a [String],
    pub exclude: &'a [String],
    pub known_accounts: &'a [String],
    pub config: Option<&'a Path>,
    pub isolated: bool,
}

impl CheckArgs {
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

/// Everything `check` (and `diff`) runs with, from the flags over the configuration file.
pub struct Resolved {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub fail_on: FailOn,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub known_accounts: Vec<String>,
    pub kinds: Vec<(PolicyKind, PathGlob)>,
    pub filter: FilterOptions,
}

/// Reads the configuration file that applies (unless `--isolated`).
pub fn load_config(args: &Flags<'_>) -> Result<Option<Config>, ConfigError> {
    if args.isolated {
        return Ok(None);
    }
    let path = match args.config {
        Some(path) => Some(path.to_path_buf()),
        None => config::find(Path::new("."))?,
    };
    path.map(|p| config::read(&p)).transpose()
}

/// Flags override the configuration key by key; the configuration's values are checked
/// here, where rules, kinds and accounts are known, with a span into the file.
pub fn resolve(args: &Flags<'_>, config: Option<&Config>) -> Result<Resolved, ConfigError> {
    let plain =
        |v: &Option<Vec<Spanned<String>>>| -> Vec<String> { v.iter().flatten().map(|s| s.get_ref().clone()).collect() };
    let mut r = Resolved {
        select: args.select.to_vec(),
        ignore: args.ignore.to_vec(),
        fail_on: args.fail_on.map_or(FailOn::AtLeast(Severity::Medium), FailOn::from),
        include: args.include.to_vec(),
        exclude: args.exclude.to_vec(),
        known_accounts: args.known_accounts.to_vec(),
        kinds: Vec::new(),
        filter: FilterOptions::default(),
    };
    let Some(c) = config else { return Ok(r) };
    let o = &c.options;
    for id in o.select.iter().chain(&o.ignore).flatten() {
        filter::config_rule(c, id)?;
    }
    if args.select.is_empty() {
        r.select = plain(&o.select);
    }
    if args.ignore.is_empty() {
        r.ignore = plain(&o.ignore);
    }
    if let Some(v) = &o.fail_on {
        let parsed = FailOn::parse(v.get_ref()).ok_or_else(|| {
            c.error(
                v.span(),
                format!("unknown fail-on `{}`", v.get_ref()),
                Some("write one of critical, high, medium, low, info, none".into()),
            )
        })?;
        if args.fail_on.is_none() {
            r.fail_on = parsed;
        }
    }
    for g in o.include.iter().chain(&o.exclude).flatten() {
        PathGlob::new(g.get_ref(), None).map_err(|m| c.error(g.span(), m, None))?;
    }
    if args.include.is_empty() {
        r.include = plain(&o.include);
    }
    if args.exclude.is_empty() {
        r.exclude = plain(&o.exclude);
    }
    for a in o.known_accounts.iter().flatten() {
        if !is_account(a.get_ref()) {
            return Err(c.error(a.span(), format!("`{}` is not a 12-digit account id", a.get_ref()), None));
        }
    }
    if args.known_accounts.is_empty() {
        r.known_accounts = plain(&o.known_accounts);
    }
    for (name, globs) in o.policy_kinds.iter().flat_map(|k| k.by_kind()) {
        let kind = PolicyKind::from(KindArg::from_str(name, false).expect("the config's kind names are the CLI's"));
        for g in globs {
            let glob = PathGlob::new(g.get_ref(), Some(c.dir())).map_err(|m| c.error(g.span(), m, None))?;
            r.kinds.push((kind, glob));
        }
    }
    r.filter = filter::from_config(c)?;
    Ok(r)
}

fn is_account(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// The kind the configuration gives a file; naming two kinds for one file is an error.
pub fn kind_of(path: &Path, kinds: &[(PolicyKind, PathGlob)]) -> Result<Option<PolicyKind>, String> {
    let mut found: Option<(PolicyKind, &str)> = None;
    for (kind, glob) in kinds {
        if !glob.matches(path) {
            continue;
        }
        match found {
            Some((k, other)) if k != *kind => {
                return Err(format!(
                    "policy-kinds in the configuration give this file two kinds: {} (`{other}`) and {} (`{}`)",
                    k.as_str(),
                    kind.as_str(),
                    glob.text
                ));
            }
            _ => found = Some((*kind, &glob.text)),
        }
    }
    Ok(found.map(|(k, _)| k))
}

/// The repository root holding `.git` above the current directory, else the current
/// directory: what SARIF URIs and GitHub paths are relative to.
pub fn repository_root() -> PathBuf {
    let cwd = crate::source::absolute(Path::new("."));
    cwd.ancestors().find(|d| d.join(".git").exists()).map_or(cwd.clone(), Path::to_path_buf)
}

pub fn run(args: &CheckArgs, out: &mut impl Write) -> std::io::Result<u8> {
    if args.statistics && !matches!(args.format, Format::Human | Format::Concise) {
        return usage_error("--statistics prints a table: use it with --format human or concise");
    }
    let config = match load_config(&args.flags()) {
        Ok(c) => c,
        Err(e) => return usage_error(&format!("error: {e}")),
    };
    let mut settings = match resolve(&args.flags(), config.as_ref()) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("error: {e}")),
    };
    let mut rules = match filter::selected_rules(&settings.select, &settings.ignore) {
        Ok(rules) => rules,
        Err(e) => return usage_error(&e),
    };
    // A file iamlint cannot parse fails the gate whatever rules were chosen (fail closed):
    // `--select`/`--ignore` cannot turn the report of its syntax problems off.
    if let Some(unreadable) = crate::rules::find(filter::UNREADABLE)
        && !rules.iter().any(|r| r.id() == filter::UNREADABLE)
    {
        rules.push(unreadable);
    }
    if let Some(bad) = args.known_accounts.iter().find(|a| !is_account(a)) {
        return usage_error(&format!("--known-accounts takes 12-digit account ids; `{bad}` is not one"));
    }
    if let Some(path) = &args.baseline {
        match Baseline::read(path) {
            Ok(b) => settings.filter.baseline = Some(b),
            Err(e) => return usage_error(&format!("error: {e}")),
        }
    }
    settings.filter.ran = rules.iter().map(|r| r.id()).collect();
    let mut filters = match Filters::new(&settings.include, &settings.exclude) {
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
    let mut discovered = match (reads_stdin, paths.is_empty()) {
        (true, true) => Discovered::default(),
        _ => discover(&paths_or_default(&paths.into_iter().cloned().collect::<Vec<_>>()), &filters),
    };
    let mut files: Vec<Candidate> = Vec::with_capacity(discovered.files.len());
    for mut c in std::mem::take(&mut discovered.files) {
        match kind_of(&c.path, &settings.kinds) {
            Ok(kind) => {
                c.kind = kind;
                files.push(c);
            }
            Err(message) => discovered.errors.push(crate::discover::DiscoverError { path: c.path.clone(), message }),
        }
    }
    let mut scps = Vec::new();
    for path in &args.scp {
        match crate::lint::load_ceiling(path, PolicyKind::ServiceControl, catalogue) {
            Ok(documents) => scps.extend(documents),
            Err(e) => return usage_error(&format!("error: --scp {}: {e}", path.display())),
        }
    }
    let options = LintOptions {
        rules,
        kind: args.policy_kind.map(PolicyKind::from),
        settings: Settings { known_accounts: settings.known_accounts.clone() },
        scps: scps.into(),
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let base = match &args.sarif_base {
        Some(dir) => crate::source::absolute(dir),
        None => repository_root(),
    };
    let render = RenderOptions {
        format: args.format,
        color,
        verbose: args.verbose,
        statistics: args.statistics,
        show_suppressed: args.show_suppressed,
        base,
    };
    // A report written as the run goes shows its own progress on a terminal. One file is
    // rendered straight to the output: as a streamed part it would be held whole in
    // memory beside its findings (110 MB of JSON for a 45.6 MB account dump).
    let streaming =
        stream::streams(&render) && args.write_baseline.is_none() && files.len() + usize::from(reads_stdin) > 1;
    let bar = if streaming && std::io::stdout().is_terminal() { None } else { super::progress::Bar::for_stderr() };
    let extras =
        Extras { access: args.format.shows_access(), progress: bar.as_ref().map(|b| b as &dyn crate::lint::Progress) };
    if streaming {
        let run = Run { options: &options, catalogue, extras, settings: &settings, render: &render, bar: bar.as_ref() };
        return run.stream(files, reads_stdin, discovered, args, out);
    }
    let mut outcome = lint_files_with(&files, &options, catalogue, extras);
    if reads_stdin {
        let name = args.stdin_filename.clone().unwrap_or_else(|| PathBuf::from("<stdin>"));
        let (result, subjects, declared) = match kind_of(&name, &settings.kinds) {
            // The configuration's policy-kinds globs name standard input too.
            Ok(Some(kind)) if options.kind.is_none() => {
                let options = LintOptions { kind: Some(kind), ..options.clone() };
                lint_reader_with(&name, std::io::stdin().lock(), &options, catalogue, extras)
            }
            Ok(_) => lint_reader_with(&name, std::io::stdin().lock(), &options, catalogue, extras),
            Err(message) => (FileOutcome::Failed(message), Vec::new(), None),
        };
        record(&mut outcome, name, result);
        outcome.subjects.extend(subjects);
        outcome.declared.extend(declared);
        outcome.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    close(&mut outcome, discovered, args);
    filter::apply(&mut outcome, &settings.filter);

    if let Some(path) = &args.write_baseline {
        return write_baseline(path, &outcome);
    }
    let verdict = Verdict::of(&outcome, settings.fail_on);
    let code = if verdict.broken {
        EXIT_ERROR
    } else if verdict.failed() {
        EXIT_FINDINGS
    } else {
        0
    };
    // The exit code is the run's, also when the reader closed the pipe early
    // (`iamlint check . | head`): a gate must not pass because its output was cut.
    match report::render(&outcome, &verdict, &render, catalogue, out, &mut std::io::stderr().lock())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(code),
    }
}

/// What a run adds after linting: the walk's errors and exclusions, in order, and the
/// error of a run that checked nothing (unless `--allow-empty`).
fn close(outcome: &mut Outcome, discovered: Discovered, args: &CheckArgs) {
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
}

/// What a run that writes its report as it goes works with.
struct Run<'a> {
    options: &'a LintOptions,
    catalogue: &'a Catalogue,
    extras: Extras<'a>,
    settings: &'a Resolved,
    render: &'a RenderOptions,
    bar: Option<&'a super::progress::Bar>,
}

/// A file to lint, or standard input already linted.
enum Item {
    File(Candidate),
    Read(PathBuf, Mutex<Option<FileResult>>),
}

impl Item {
    fn path(&self) -> &Path {
        match self {
            Item::File(c) => &c.path,
            Item::Read(name, _) => name,
        }
    }
}

/// A file done, as far as the report needs it: its part rendered, what the filter set
/// aside counted, and the findings its run moved into a sibling file (`lint::keep_own`),
/// not yet filtered: whether they are reported, and where, depends on that sibling.
enum Done {
    Linted { path: PathBuf, filtered: Box<Filtered>, part: Box<stream::Part>, moved: Vec<Finding> },
    Skipped(PathBuf, String),
    Failed(PathBuf, String),
}

impl Run<'_> {
    /// Lints, filters and renders each file on the thread pool and writes the parts in
    /// path order as soon as every earlier file is done; a file's source and documents are
    /// dropped once its part is rendered (`report::stream`).
    fn stream(
        &self,
        files: Vec<Candidate>,
        reads_stdin: bool,
        discovered: Discovered,
        args: &CheckArgs,
        out: &mut impl Write,
    ) -> std::io::Result<u8> {
        let mut items: Vec<(String, Item)> =
            files.into_iter().map(|c| (report::display(&c.path), Item::File(c))).collect();
        if reads_stdin {
            let name = args.stdin_filename.clone().unwrap_or_else(|| PathBuf::from("<stdin>"));
            let linted = match kind_of(&name, &self.settings.kinds) {
                // The configuration's policy-kinds globs name standard input too.
                Ok(Some(kind)) if self.options.kind.is_none() => {
                    let options = LintOptions { kind: Some(kind), ..self.options.clone() };
                    lint_reader_with(&name, std::io::stdin().lock(), &options, self.catalogue, self.extras)
                }
                Ok(_) => lint_reader_with(&name, std::io::stdin().lock(), self.options, self.catalogue, self.extras),
                Err(message) => (FileOutcome::Failed(message), Vec::new(), None),
            };
            items.push((report::display(&name), Item::Read(name, Mutex::new(Some(linted)))));
        }
        // The order of the whole run's report: findings by file name as printed.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(p) = self.extras.progress {
            p.planned(items.iter().filter(|(_, i)| matches!(i, Item::File(_))).count() as u64);
        }
        let fail_on = self.settings.fail_on;
        // A Terraform module's files are read and analysed once, by the first asked for.
        let files: Vec<&Candidate> = items
            .iter()
            .filter_map(|(_, i)| match i {
                Item::File(c) => Some(c),
                Item::Read(..) => None,
            })
            .collect();
        let modules = Modules::new(&files);
        let work = |(_, item): &(String, Item)| {
            let (path, (result, subjects, declared)) = match item {
                Item::File(c) => (c.path.clone(), modules.lint(c, self.options, self.catalogue, self.extras)),
                Item::Read(name, linted) => {
                    let taken = linted.lock().ok().and_then(|mut l| l.take());
                    (name.clone(), taken.unwrap_or((FileOutcome::Skipped(String::new()), Vec::new(), None)))
                }
            };
            match result {
                FileOutcome::Linted(findings) => {
                    let (own, moved): (Vec<Finding>, Vec<Finding>) =
                        findings.into_iter().partition(|f| f.source.path == path);
                    let mut filtered = filter::apply_file(own, &path, declared.as_ref(), &self.settings.filter);
                    let part = stream::part(
                        &filtered.kept,
                        &filtered.suppressed,
                        &subjects,
                        self.render,
                        Verdict::new(fail_on),
                    );
                    // What is kept of the file from here on: its part and the counts.
                    filtered.kept = Vec::new();
                    filtered.suppressed = Vec::new();
                    Done::Linted { path, filtered: Box::new(filtered), part: Box::new(part), moved }
                }
                FileOutcome::Skipped(reason) => Done::Skipped(path, reason),
                FileOutcome::Failed(message) => Done::Failed(path, message),
            }
        };
        let mut out = out;
        let mut guarded;
        // No line of a report for people may begin a CI workflow command.
        let out: &mut dyn Write = if matches!(self.render.format, Format::Human | Format::Concise) {
            guarded = report::escape::LineGuard::new(&mut out);
            &mut guarded
        } else {
            &mut out
        };
        let writer = stream::Writer::start(self.render, self.catalogue, Verdict::new(fail_on), out);
        let mut sink = Sink {
            run: self,
            moved: Moved::new(&items),
            writer,
            outcome: Outcome::default(),
            used: vec![false; self.settings.filter.suppressions.len()],
            warnings: std::collections::BTreeSet::new(),
        };
        let mut next = 0;
        crate::lint::in_order(&items, work, |done| {
            sink.take(next, done, out);
            next += 1;
        });
        sink.end(out);
        let Sink { writer, mut outcome, used, mut warnings, .. } = sink;
        if let Some(bar) = self.bar {
            bar.finish();
        }
        close(&mut outcome, discovered, args);
        warnings.extend(filter::unmatched(&self.settings.filter, &used, &outcome.checked_paths));
        outcome.warnings.extend(warnings);
        let (verdict, written) = writer.finish(&outcome, out, &mut std::io::stderr().lock());
        let code = if verdict.broken {
            EXIT_ERROR
        } else if verdict.failed() {
            EXIT_FINDINGS
        } else {
            0
        };
        // The exit code is the run's, also when the reader closed the pipe early.
        match written.and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
            _ => Ok(code),
        }
    }
}

/// Where the findings a file's run moved into a sibling (`lint::keep_own`: a Terraform
/// module's finding anchored in another file of the module) stand in a report written as
/// the run goes. The whole run drops them when that sibling is linted in the run (its own
/// run reports them) and otherwise reports them in the sibling's place, by its path: so a
/// part is written only once every later file whose run may move a finding to a place at
/// or before it is done (`reaches`), and the findings moved into each file wait, by its
/// path as printed, for their place.
struct Moved<'a> {
    /// The items' paths as printed, in report order.
    keys: Vec<&'a str>,
    /// For each item, the last item whose run may move a finding to its place or before.
    reaches: Vec<usize>,
    /// Each file item by its absolute path.
    at: HashMap<PathBuf, usize>,
    /// Which items are files (not standard input).
    file: Vec<bool>,
    /// Which file items were linted (what was moved into them is theirs to report).
    linted: Vec<bool>,
    /// The findings moved into each file, by its path as printed.
    groups: BTreeMap<String, Vec<Finding>>,
    /// Files done and not yet written, in order.
    held: VecDeque<(usize, Done)>,
}

impl<'a> Moved<'a> {
    fn new(items: &'a [(String, Item)]) -> Moved<'a> {
        let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
        let at = items
            .iter()
            .enumerate()
            .filter(|(_, (_, item))| matches!(item, Item::File(_)))
            .map(|(i, (_, item))| (crate::source::absolute(item.path()), i))
            .collect();
        Moved {
            reaches: reaches(items),
            keys,
            at,
            file: items.iter().map(|(_, item)| matches!(item, Item::File(_))).collect(),
            linted: vec![false; items.len()],
            groups: BTreeMap::new(),
            held: VecDeque::new(),
        }
    }
}

/// For each item, the last item whose run may move a finding to a place at or before its
/// own: only a `.tf` file is read with its siblings, the other `.tf` files of its
/// directory, so its run moves findings no earlier than the first of them by path.
fn reaches(items: &[(String, Item)]) -> Vec<usize> {
    let mut first_of: HashMap<PathBuf, Option<String>> = HashMap::new();
    // For each item, the last item whose reach starts there.
    let mut starts = vec![0usize; items.len()];
    for (j, (key, item)) in items.iter().enumerate() {
        let path = item.path();
        if path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let first = first_of.entry(dir.to_path_buf()).or_insert_with(|| first_tf(dir));
        let low = first.as_deref().map_or(key.as_str(), |f| f.min(key.as_str()));
        let from = items.partition_point(|(k, _)| k.as_str() < low);
        if from < j {
            starts[from] = starts[from].max(j);
        }
    }
    let mut last = 0;
    starts
        .into_iter()
        .enumerate()
        .map(|(i, j)| {
            last = last.max(j);
            last.max(i)
        })
        .collect()
}

/// The first `.tf` file of a directory by its path as printed, named as a module's sibling
/// is named (the directory as given, joined with the file's name).
fn first_tf(dir: &Path) -> Option<String> {
    let read = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::read_dir(read)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .filter_map(|p| p.file_name().map(|n| report::display(&dir.join(n))))
        .min()
}

/// What writes the files done, in order, with the findings moved between them.
struct Sink<'r, 'a> {
    run: &'r Run<'r>,
    moved: Moved<'a>,
    writer: stream::Writer,
    outcome: Outcome,
    used: Vec<bool>,
    warnings: std::collections::BTreeSet<String>,
}

impl Sink<'_, '_> {
    /// Item `i`, done (items come in order).
    fn take(&mut self, i: usize, mut done: Done, out: &mut dyn Write) {
        if let Done::Linted { moved, .. } = &mut done {
            // Standard input is not a file of the run: what moves into it stays.
            let m = &mut self.moved;
            m.linted[i] = m.file[i];
            for f in std::mem::take(moved) {
                let into = m.at.get(&crate::source::absolute(&f.source.path)).copied();
                // Its sibling was linted already: its own run reported the finding.
                if into.is_some_and(|k| k < i && m.linted[k]) {
                    continue;
                }
                m.groups.entry(f.source.display_path()).or_default().push(f);
            }
        }
        self.moved.held.push_back((i, done));
        while let Some(&(h, _)) = self.moved.held.front() {
            if self.moved.reaches[h] > i {
                break;
            }
            let Some((h, done)) = self.moved.held.pop_front() else { break };
            let key = self.moved.keys[h];
            while let Some(entry) = self.moved.groups.first_entry() {
                if entry.key().as_str() >= key {
                    break;
                }
                let group = entry.remove();
                self.moved_part(group, out);
            }
            if let Some(group) = self.moved.groups.remove(key)
                && !self.moved.linted[h]
            {
                self.moved_part(group, out);
            }
            self.write(done, out);
        }
    }

    /// What is left once every file is done: the findings moved into files after the last.
    fn end(&mut self, out: &mut dyn Write) {
        while let Some((_, done)) = self.moved.held.pop_front() {
            self.write(done, out);
        }
        while let Some((_, group)) = self.moved.groups.pop_first() {
            self.moved_part(group, out);
        }
    }

    fn write(&mut self, done: Done, out: &mut dyn Write) {
        let outcome = &mut self.outcome;
        match done {
            Done::Linted { path, filtered, part, .. } => {
                outcome.checked += 1;
                outcome.checked_paths.push(path);
                outcome.baselined += filtered.baselined;
                outcome.baseline_fixed += filtered.baseline_fixed;
                for (u, here) in self.used.iter_mut().zip(filtered.used) {
                    *u |= here;
                }
                self.warnings.extend(filtered.warnings);
                self.writer.file(*part, out);
            }
            Done::Skipped(path, reason) => outcome.skipped.push((path, reason)),
            Done::Failed(path, message) => outcome.errors.push((path, message)),
        }
    }

    /// The findings moved into a file the run did not lint, filtered as that file's (it
    /// was not linted: none of its baseline entries counts as fixed), in its place.
    fn moved_part(&mut self, mut group: Vec<Finding>, out: &mut dyn Write) {
        group.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let Some(path) = group.first().map(|f| f.source.path.clone()) else { return };
        let run = self.run;
        let filtered = filter::apply_file(group, &path, None, &run.settings.filter);
        let part =
            stream::part(&filtered.kept, &filtered.suppressed, &[], run.render, Verdict::new(run.settings.fail_on));
        self.outcome.baselined += filtered.baselined;
        for (u, here) in self.used.iter_mut().zip(filtered.used) {
            *u |= here;
        }
        self.warnings.extend(filtered.warnings);
        self.writer.file(part, out);
    }
}

/// `--write-baseline`: records the findings left after suppressions and exits 0, unless a
/// file could not be linted (its findings would be missing from the baseline).
fn write_baseline(path: &Path, outcome: &crate::diagnostic::Outcome) -> std::io::Result<u8> {
    if !outcome.errors.is_empty() {
        for (file, message) in &outcome.errors {
            eprintln!("iamlint: error: {}: {message}", report::display(file));
        }
        return usage_error(&format!(
            "the baseline {} was not written: {} could not be linted",
            path.display(),
            if outcome.errors.len() == 1 { "a file" } else { "files" }
        ));
    }
    let mut text = Vec::new();
    filter::write_baseline(&outcome.findings, &mut text)?;
    if let Err(e) = std::fs::write(path, text) {
        return usage_error(&format!("cannot write the baseline {}: {e}", path.display()));
    }
    eprintln!(
        "iamlint: wrote {} finding{} to the baseline {}",
        outcome.findings.len(),
        if outcome.findings.len() == 1 { "" } else { "s" },
        path.display()
    );
    Ok(0)
}
