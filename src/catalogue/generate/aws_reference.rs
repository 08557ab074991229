//! Refresh from AWS's official service reference: one JSON file per service.
//!
//! Shape used (other fields, e.g. `Operations` and `SupportedBy`, are ignored):
//!
//! ```json
//! {"Name": "iam", "Version": "v1.4",
//!  "Actions": [{"Name": "PassRole", "ActionConditionKeys": ["iam:PassedToService"],
//!               "Annotations": {"Properties": {"IsList": false, "IsPermissionManagement": false,
//!                                              "IsTaggingOnly": false, "IsWrite": true}},
//!               "Resources": [{"Name": "role"}]}],
//!  "Resources": [{"Name": "role", "ARNFormats": ["arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"],
//!                 "ConditionKeys": ["aws:ResourceTag/${TagKey}"]}],
//!  "ConditionKeys": [{"Name": "iam:PassedToService", "Types": ["String"]}]}
//! ```
//!
//! The reference has no descriptions, no required markers, no per action-resource
//! keys, no dependent actions and no global keys: those are carried over from the
//! previous catalogue (matched case-insensitively), and services the reference folder
//! does not hold are kept as they were. A file holding a JSON array (the reference's
//! index of services) is skipped.

use super::{Error, normalize, parse_key_type, read_json, split_arns};
use crate::catalogue::model::{
    AccessLevel, Action, ActionResource, CatalogueFile, ConditionKey, ResourceType, Service, Source,
};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RefService {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    actions: Vec<RefAction>,
    #[serde(default)]
    resources: Vec<RefResource>,
    #[serde(default)]
    condition_keys: Vec<RefConditionKey>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RefAction {
    name: String,
    #[serde(default)]
    action_condition_keys: Vec<String>,
    #[serde(default)]
    annotations: RefAnnotations,
    #[serde(default)]
    resources: Vec<RefName>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RefAnnotations {
    #[serde(default)]
    properties: RefProperties,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RefProperties {
    #[serde(default)]
    is_list: bool,
    #[serde(default)]
    is_permission_management: bool,
    #[serde(default)]
    is_tagging_only: bool,
    #[serde(default)]
    is_write: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RefName {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RefResource {
    name: String,
    #[serde(rename = "ARNFormats", default)]
    arn_formats: Vec<String>,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RefConditionKey {
    name: String,
    #[serde(default)]
    types: Vec<String>,
}

impl RefProperties {
    /// Same precedence as for iam-data's combined levels: an action flagged both
    /// tagging-only and write is a tagging action.
    fn level(&self) -> AccessLevel {
        if self.is_permission_management {
            AccessLevel::PermissionsManagement
        } else if self.is_tagging_only {
            AccessLevel::Tagging
        } else if self.is_write {
            AccessLevel::Write
        } else if self.is_list {
            AccessLevel::List
        } else {
            AccessLevel::Read
        }
    }
}

/// Rebuilds the services found in `dir` from AWS's reference, carrying over what the
/// reference lacks from `previous`; every other service is kept from `previous`.
/// The header's `data_date` is kept too: callers that know the reference's date set it.
pub fn build_from_aws_reference(dir: &Path, previous: &CatalogueFile) -> Result<CatalogueFile, Error> {
    let refs = read_dir(dir)?;
    let old: HashMap<String, &Service<'static>> =
        previous.services.iter().map(|s| (s.prefix.to_ascii_lowercase(), s)).collect();

    let mut versions = BTreeSet::new();
    let mut refreshed: BTreeMap<String, Service<'static>> = BTreeMap::new();
    for (path, reference) in refs {
        if let Some(v) = &reference.version {
            versions.insert(v.clone());
        }
        let prefix = reference.name.to_ascii_lowercase();
        let service = convert(&path, reference, old.get(&prefix).copied())?;
        if refreshed.insert(prefix.clone(), service).is_some() {
            return Err(Error::data(&path, format!("service {prefix} is in more than one file of {}", dir.display())));
        }
    }

    let count = refreshed.len();
    let mut services: Vec<Service<'static>> =
        previous.services.iter().filter(|s| !refreshed.contains_key(&s.prefix.to_ascii_lowercase())).cloned().collect();
    services.extend(refreshed.into_values());

    let mut header = previous.header.clone();
    header.sources.retain(|s| s.registry != "aws-service-reference");
    header.sources.push(Source {
        name: "AWS service authorization reference (per-service JSON)".into(),
        registry: "aws-service-reference".into(),
        version: if versions.is_empty() {
            "unversioned".into()
        } else {
            versions.into_iter().collect::<Vec<_>>().join(", ")
        },
        licence: "AWS documentation data (no licence file)".into(),
        provides: format!(
            "access levels, resource types, ARN formats and condition keys of {count} \
             services; their descriptions, required markers, per-resource keys and \
             dependent actions are carried over from the previous catalogue"
        ),
    });
    let mut file = CatalogueFile { header, services };
    normalize(&mut file);
    Ok(file)
}

fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, RefService)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::data(dir, "no *.json service files in this folder"));
    }
    let mut out = Vec::new();
    for path in paths {
        let value: serde_json::Value = read_json(&path)?;
        if value.is_array() {
            continue; // the index of services, not a service
        }
        let service: RefService =
            serde_json::from_value(value).map_err(|source| Error::Json { path: path.clone(), source })?;
        if service.name.is_empty() {
            return Err(Error::data(&path, "service Name is empty"));
        }
        out.push((path, service));
    }
    Ok(out)
}

fn convert(path: &Path, reference: RefService, old: Option<&Service<'static>>) -> Result<Service<'static>, Error> {
    let old_actions: HashMap<String, &Action<'static>> =
        old.map(|s| s.actions.iter().map(|a| (a.name.to_ascii_lowercase(), a)).collect()).unwrap_or_default();

    let resources: Vec<ResourceType<'static>> = reference
        .resources
        .into_iter()
        .map(|r| ResourceType {
            name: Cow::Owned(r.name),
            arns: r.arn_formats.iter().flat_map(|a| split_arns(a)).collect(),
            keys: r.condition_keys.into_iter().map(Cow::Owned).collect(),
        })
        .collect();

    let mut actions: BTreeMap<String, Action<'static>> = BTreeMap::new();
    for raw in reference.actions {
        let lower = raw.name.to_ascii_lowercase();
        let before = old_actions.get(&lower).copied();
        let rows = raw
            .resources
            .into_iter()
            .map(|r| {
                let old_row = before.and_then(|a| a.resources.iter().find(|o| o.kind.eq_ignore_ascii_case(&r.name)));
                ActionResource {
                    kind: Cow::Owned(r.name),
                    required: old_row.is_some_and(|o| o.required),
                    keys: old_row.map(|o| o.keys.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let action = Action {
            name: Cow::Owned(raw.name),
            access: raw.annotations.properties.level(),
            description: before.map(|a| a.description.clone()).unwrap_or_default(),
            resources: rows,
            keys: raw.action_condition_keys.into_iter().map(Cow::Owned).collect(),
            dependent: before.map(|a| a.dependent.clone()).unwrap_or_default(),
            inferred: false,
        };
        if let Some(twice) = actions.insert(lower, action) {
            return Err(Error::data(path, format!("action {} is listed twice", twice.name)));
        }
    }

    let mut keys = Vec::with_capacity(reference.condition_keys.len());
    for key in reference.condition_keys {
        // A key may list several types (e.g. Date and Numeric); the first is the one
        // AWS documents first, and the model holds one.
        let kind =
            key.types.first().and_then(|t| parse_key_type(t)).ok_or_else(|| {
                Error::data(path, format!("condition key {}: unusable Types {:?}", key.name, key.types))
            })?;
        keys.push(ConditionKey { name: Cow::Owned(key.name), kind });
    }

    let prefix = reference.name.to_ascii_lowercase();
    Ok(Service {
        // The reference names a service only by its prefix: keep the human name.
        name: old.map(|s| s.name.clone()).unwrap_or_else(|| Cow::Owned(prefix.clone())),
        prefix: Cow::Owned(prefix),
        actions: actions.into_values().collect(),
        resources,
        keys,
    })
}
