//! What the user tells iamlint about their environment and how to run: the settings the
//! stages read, and the configuration file (`iamlint.toml` or `.iamlint.toml`) they come
//! from. This module reads the file strictly (an unknown key is an error with a span
//! into the file); the values that name rules, kinds or globs are checked by the stage
//! that knows them, which reports through the same `ConfigError`.

use crate::source::{SourceFile, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// What rules may know about the user's environment (facts rules read).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// 12-digit ids of accounts the user trusts (their own organisation's): a trust policy
    /// naming one is not a cross-account finding.
    pub known_accounts: Vec<String>,
}

/// The names a configuration file may have, looked for in this order in each directory.
pub const FILE_NAMES: [&str; 2] = ["iamlint.toml", ".iamlint.toml"];

/// The keys of the file, as written (each value keeps its span for error messages).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub fail_on: Option<Spanned<String>>,
    pub include: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub known_accounts: Option<Vec<Spanned<String>>>,
    /// Globs of files whose documents have a kind: `[policy-kinds] scp = ["org/scps/**"]`.
    pub policy_kinds: Option<PolicyKinds>,
    /// Severity per rule id: `[severity] unscoped-write = "high"`.
    pub severity: Option<BTreeMap<String, Spanned<String>>>,
    /// Accepted findings, each with its reason.
    #[serde(default)]
    pub suppress: Vec<Spanned<SuppressEntry>>,
}

/// `[policy-kinds]`: for each kind, the globs of the files that hold it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyKinds {
    #[serde(default)]
    pub identity: Vec<Spanned<String>>,
    #[serde(default)]
    pub resource: Vec<Spanned<String>>,
    #[serde(default)]
    pub trust: Vec<Spanned<String>>,
    #[serde(default)]
    pub scp: Vec<Spanned<String>>,
    #[serde(default)]
    pub rcp: Vec<Spanned<String>>,
    #[serde(default)]
    pub boundary: Vec<Spanned<String>>,
}

impl PolicyKinds {
    /// `(kind name as the CLI spells it, globs)`.
    pub fn by_kind(&self) -> [(&'static str, &[Spanned<String>]); 6] {
        [
            ("identity", &self.identity),
            ("resource", &self.resource),
            ("trust", &self.trust),
            ("scp", &self.scp),
            ("rcp", &self.rcp),
            ("boundary", &self.boundary),
        ]
    }
}

/// One `[[suppress]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressEntry {
    pub rule: Spanned<String>,
    /// Glob of the files it applies to.
    pub path: Spanned<String>,
    /// Only the statement with this Sid.
    pub sid: Option<Spanned<String>>,
    /// Only findings at this locator or under it (`Statement[2]`, `Resources.DeployRole`).
    pub locator: Option<Spanned<String>>,
    /// Why the finding is accepted; required.
    pub reason: Spanned<String>,
}

/// Every key the file may have (for did-you-mean).
const KEYS: &[&str] = &[
    "select",
    "ignore",
    "fail-on",
    "include",
    "exclude",
    "known-accounts",
    "policy-kinds",
    "severity",
    "suppress",
    "rule",
    "path",
    "sid",
    "locator",
    "reason",
    "identity",
    "resource",
    "trust",
    "scp",
    "rcp",
    "boundary",
];

/// A configuration file, read.
#[derive(Debug)]
pub struct Config {
    pub source: SourceFile,
    pub options: Options,
}

impl Config {
    /// The directory the file's globs are relative to.
    pub fn dir(&self) -> &Path {
        self.source.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    /// An error about the value at `span` in this file.
    pub fn error(&self, span: Span, message: impl Into<String>, help: Option<String>) -> ConfigError {
        ConfigError::at(&self.source, Some(span), message.into(), help)
    }

    /// `iamlint.toml:12`: where a value is written, for messages that name it.
    pub fn place(&self, span: &Span) -> String {
        format!("{}:{}", self.source.display_path(), self.source.line_col(span.start).0)
    }
}

/// A problem with the configuration: the run stops with exit code 2.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub message: String,
    pub help: Option<String>,
    /// `path:line:col` and the line's text with the value underlined, when known.
    pub place: Option<String>,
    pub excerpt: Option<String>,
}

impl ConfigError {
    pub fn at(source: &SourceFile, span: Option<Span>, message: String, help: Option<String>) -> ConfigError {
        let Some(span) = span else {
            return ConfigError { message, help, place: Some(source.display_path()), excerpt: None };
        };
        let (line, col) = source.line_col(span.start);
        let (end_line, end_col) = source.line_col(span.end.max(span.start));
        let text = source.line_text(line);
        let width = if end_line == line { end_col.saturating_sub(col).max(1) } else { 1 };
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        let shown: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let excerpt = format!(
            "{pad} |\n{number} | {shown}\n{pad} | {}{}",
            " ".repeat(col.saturating_sub(1)),
            "^".repeat(width.min(shown.chars().count().saturating_sub(col - 1).max(1)))
        );
        ConfigError {
            message,
            help,
            place: Some(format!("{}:{line}:{col}", source.display_path())),
            excerpt: Some(excerpt),
        }
    }

    fn plain(message: String) -> ConfigError {
        ConfigError { message, help: None, place: None, excerpt: None }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{place}: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        if let Some(excerpt) = &self.excerpt {
            write!(f, "\n{excerpt}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

/// The configuration file that applies in `start`: the first `iamlint.toml` or
/// `.iamlint.toml` found going up from it, stopping at the repository root (a directory
/// holding `.git`). Two in one directory is an error: which one wins would be a guess.
pub fn find(start: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let start = crate::source::absolute(start);
    for dir in start.ancestors() {
        let found: Vec<PathBuf> = FILE_NAMES.iter().map(|n| dir.join(n)).filter(|p| p.is_file()).collect();
        match found.as_slice() {
            [] => {}
            // Named relative to the current directory when under it (messages cite it).
            [one] => {
                let cwd = crate::source::absolute(Path::new("."));
                return Ok(Some(one.strip_prefix(&cwd).map_or(one.clone(), Path::to_path_buf)));
            }
            _ => {
                return Err(ConfigError::plain(format!(
                    "both iamlint.toml and .iamlint.toml are in {}; keep one",
                    dir.display()
                )));
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// Reads and parses a configuration file strictly.
pub fn read(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::plain(format!("cannot read configuration {}: {e}", path.display())))?;
    parse(path, text)
}

/// Parses a configuration file's text.
pub fn parse(path: &Path, text: String) -> Result<Config, ConfigError> {
    let source = SourceFile::new(path, text);
    match toml::from_str::<Options>(&source.text) {
        Ok(options) => Ok(Config { source, options }),
        Err(e) => {
            let (message, help) = explain(e.message());
            Err(ConfigError::at(&source, e.span(), message, help))
        }
    }
}

/// serde's wording, made ours: an unknown key gets a did-you-mean.
fn explain(message: &str) -> (String, Option<String>) {
    let message = message.trim().trim_end_matches('.');
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, _)) = rest.split_once('`')
    {
        let help = KEYS
            .iter()
            .map(|k| (strsim::jaro_winkler(k, key), k))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| format!("did you mean `{k}`?"))
            .or_else(|| Some("the README's Configuration section lists the keys".to_string()));
        return (format!("unknown key `{key}`"), help);
    }
    let first = message.lines().next().unwrap_or(message);
    let lower = first.chars().next().map(|c| c.to_lowercase().collect::<String>() + &first[c.len_utf8()..]);
    (lower.unwrap_or_default(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("iamlint.toml"), text.to_string())
    }

    #[test]
    fn reads_every_key() {
        let c = parse_text(
            r#"
select = ["full-admin"]
ignore = ["placeholder"]
fail-on = "high"
include = ["*.json"]
exclude = ["vendor/**"]
known-accounts = ["111122223333"]

[policy-kinds]
scp = ["org/scps/**"]

[severity]
unscoped-write = "low"

[[suppress]]
rule = "passrole-unscoped"
path = "deploy/*.json"
sid = "PassNodeRole"
reason = "the node role is the only role in this account"
"#,
        )
        .unwrap();
        let o = &c.options;
        assert_eq!(o.select.as_ref().unwrap()[0].get_ref(), "full-admin");
        assert_eq!(o.fail_on.as_ref().unwrap().get_ref(), "high");
        assert_eq!(o.policy_kinds.as_ref().unwrap().scp[0].get_ref(), "org/scps/**");
        assert_eq!(o.severity.as_ref().unwrap()["unscoped-write"].get_ref(), "low");
        assert_eq!(o.suppress.len(), 1);
        assert_eq!(o.suppress[0].get_ref().sid.as_ref().unwrap().get_ref(), "PassNodeRole");
    }

    #[test]
    fn an_unknown_key_is_an_error_with_a_place_and_a_suggestion() {
        let e = parse_text("select = []\nfial-on = \"high\"\n").unwrap_err();
        assert_eq!(e.message, "unknown key `fial-on`");
        assert_eq!(e.place.as_deref(), Some("iamlint.toml:2:1"));
        assert_eq!(e.help.as_deref(), Some("did you mean `fail-on`?"));
        assert!(e.excerpt.as_deref().unwrap().contains("2 | fial-on = \"high\""), "{e}");
        let e = parse_text("[[suppress]]\nrule = \"x\"\npath = \"*\"\nreasn = \"y\"\n").unwrap_err();
        assert_eq!(e.message, "unknown key `reasn`");
        assert_eq!(e.help.as_deref(), Some("did you mean `reason`?"));
    }

    #[test]
    fn a_suppression_needs_a_reason() {
        let e = parse_text("[[suppress]]\nrule = \"full-admin\"\npath = \"*\"\n").unwrap_err();
        assert!(e.message.contains("missing field `reason`"), "{e}");
        assert!(e.place.is_some());
    }

    #[test]
    fn a_wrong_type_is_an_error() {
        let e = parse_text("select = \"full-admin\"\n").unwrap_err();
        assert_eq!(e.place.as_deref(), Some("iamlint.toml:1:10"), "{e}");
    }

    #[test]
    fn found_upward_and_not_past_the_repository_root() {
        let root = std::env::temp_dir().join(format!("iamlint-config-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let repo = root.join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        std::fs::write(root.join("iamlint.toml"), "").unwrap();
        assert_eq!(find(&repo.join("a/b")).unwrap(), None, "the file above the repository is not read");
        std::fs::write(repo.join(".iamlint.toml"), "").unwrap();
        assert_eq!(find(&repo.join("a/b")).unwrap(), Some(repo.join(".iamlint.toml")));
        std::fs::write(repo.join("a/iamlint.toml"), "").unwrap();
        assert_eq!(find(&repo.join("a/b")).unwrap(), Some(repo.join("a/iamlint.toml")));
        std::fs::write(repo.join("a/.iamlint.toml"), "").unwrap();
        assert!(find(&repo.join("a/b")).is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}
