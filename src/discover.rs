//! Finds the files to lint: explicit files as given, directories walked in parallel
//! honouring `.gitignore`, filtered by include/exclude globs.

use crate::policy::PolicyKind;
use crate::source::absolute;
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named on the command line (always reported if it cannot be read or parsed).
    pub explicit: bool,
    /// The kind every document in it has, when the configuration says so by glob.
    pub kind: Option<PolicyKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    pub path: PathBuf,
    pub message: String,
}

pub struct Filters {
    include: GlobSet,
    exclude: GlobSet,
    /// Walk without `.gitignore`, `.ignore` and git's exclude file (`--no-ignore`): a pull
    /// request cannot then hide a policy by adding an ignore file.
    pub no_ignore: bool,
}

/// Files a directory walk picks up when no `--include` is given: every format an adapter
/// reads from a repository (content then decides whether a file holds policies). Docs
/// pages are read when named or included, not walked.
pub const DEFAULT_INCLUDE: &[&str] = &["*.json", "*.yaml", "*.yml", "*.template", "*.tf"];

impl Filters {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filters, String> {
        let defaults: Vec<String> = DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect();
        let include = if include.is_empty() { &defaults } else { include };
        Ok(Filters { include: build(include)?, exclude: build(exclude)?, no_ignore: false })
    }

    /// Whether a walked file is linted. Globs without `/` match the file name anywhere;
    /// others match the path relative to the directory given.
    pub fn wants(&self, relative: &Path) -> bool {
        let name = relative.file_name().map(Path::new).unwrap_or(relative);
        let matches = |set: &GlobSet| set.is_match(relative) || set.is_match(name);
        matches(&self.include) && !matches(&self.exclude)
    }

    fn excludes(&self, relative: &Path) -> bool {
        let name = relative.file_name().map(Path::new).unwrap_or(relative);
        self.exclude.is_match(relative) || self.exclude.is_match(name)
    }
}

fn build(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| format!("invalid glob `{p}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

/// `./a/./b.json` -> `a/b.json`: one spelling per file, so a file named twice is linted
/// once and globs see the path as the user thinks of it.
fn normalise(path: &Path) -> PathBuf {
    let normal: PathBuf = path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
    if normal.as_os_str().is_empty() { PathBuf::from(".") } else { normal }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Sorted, one entry per file.
    pub files: Vec<Candidate>,
    pub errors: Vec<DiscoverError>,
    /// Files named on the command line that an `--exclude` glob matches (listed by
    /// `--verbose`, so an exclusion is never silent).
    pub excluded: Vec<PathBuf>,
}

/// Expands the command-line paths into a sorted, de-duplicated list of files.
pub fn discover(paths: &[PathBuf], filters: &Filters) -> Discovered {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut excluded = Vec::new();
    for path in &paths.iter().map(|p| normalise(p)).collect::<Vec<_>>() {
        match std::fs::metadata(path) {
            Err(e) => {
                errors.push(DiscoverError { path: path.clone(), message: format!("cannot read: {}", io_reason(&e)) })
            }
            Ok(meta) if meta.is_dir() => walk(path, filters, &mut found, &mut errors),
            // A FIFO, socket or device would block or never end: only regular files are read.
            Ok(meta) if !meta.is_file() => errors.push(DiscoverError {
                path: path.clone(),
                message: "not a regular file (a FIFO, socket or device is not read)".into(),
            }),
            Ok(_) => {
                // Excludes apply to named files too (a pre-commit hook names every changed
                // file), but visibly.
                if filters.excludes(path) {
                    excluded.push(path.clone());
                } else {
                    found.push(Candidate { path: path.clone(), explicit: true, kind: None });
                }
            }
        }
    }
    found.sort();
    found.dedup_by(|a, b| {
        let same = a.path == b.path;
        if same {
            b.explicit |= a.explicit;
        }
        same
    });
    Discovered { files: found, errors, excluded }
}

fn walk(root: &Path, filters: &Filters, found: &mut Vec<Candidate>, errors: &mut Vec<DiscoverError>) {
    let honour = !filters.no_ignore;
    let walker = ignore::WalkBuilder::new(root)
        // Honour .gitignore even outside a git checkout (CI tarballs, fresh copies).
        .require_git(false)
        .git_ignore(honour)
        .git_exclude(honour)
        .git_global(honour)
        .ignore(honour)
        .parents(honour)
        .follow_links(false)
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
                if filters.wants(relative) {
                    found.push(Candidate { path: entry.into_path(), explicit: false, kind: None });
                }
            }
            Err(e) => errors.push(DiscoverError { path: root.to_path_buf(), message: e.to_string() }),
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A glob written in a configuration file: it matches a path relative to the directory
/// holding that file (when the path lies under it) or the path as iamlint prints it; a
/// glob without `/` also matches the file name anywhere, as `--include` does.
#[derive(Debug, Clone)]
pub struct PathGlob {
    pub text: String,
    matcher: GlobMatcher,
    /// The configuration file's directory, absolute.
    base: Option<PathBuf>,
}

impl PathGlob {
    pub fn new(text: &str, base: Option<&Path>) -> Result<PathGlob, String> {
        let matcher = Glob::new(text).map_err(|e| format!("invalid glob `{text}`: {}", e.kind()))?.compile_matcher();
        Ok(PathGlob { text: text.to_string(), matcher, base: base.map(absolute) })
    }

    pub fn matches(&self, path: &Path) -> bool {
        let shown = normalise(path);
        if self.matcher.is_match(&shown) {
            return true;
        }
        if let Some(base) = &self.base
            && let Ok(relative) = absolute(path).strip_prefix(base)
            && self.matcher.is_match(relative)
        {
            return true;
        }
        !self.text.contains('/') && path.file_name().is_some_and(|name| self.matcher.is_match(name))
    }
}
