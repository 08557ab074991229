//! Reader for PyPI `cfn-lint`'s `data/AdditionalSpecs/Policies.json`.
//!
//! cfn-lint regenerates this file from AWS's service reference often, so it is the
//! freshest list of services, actions and the resource types of each action. It has
//! no access levels, no key types and no required markers, and it cuts ARN formats to
//! regular expressions after the first `${...}`: only names are taken from it.

use super::{Error, read_json, wheel_metadata};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) struct CfnLint {
    pub version: String,
    pub licence: String,
    /// Keyed by lower-cased prefix.
    pub services: BTreeMap<String, CfnService>,
}

#[derive(Deserialize)]
pub(super) struct CfnService {
    /// Keyed by lower-cased action name.
    #[serde(rename = "Actions", default)]
    pub actions: BTreeMap<String, CfnAction>,
}

#[derive(Deserialize)]
pub(super) struct CfnAction {
    /// Resource type names; spelling varies (`ConfigurationSet`, `targetgroup`).
    #[serde(rename = "Resources", default)]
    pub resources: Vec<String>,
}

pub(super) fn read(path: &Path) -> Result<CfnLint, Error> {
    let (version, licence) = wheel_metadata(path, "cfn_lint")?;
    let raw: BTreeMap<String, CfnService> = read_json(path)?;
    let services = raw
        .into_iter()
        .map(|(prefix, mut service)| {
            // Lower-case again in case a future file stops doing it; later entries of
            // a name that collides this way are dropped rather than guessed at.
            service.actions = std::mem::take(&mut service.actions)
                .into_iter()
                .map(|(name, action)| (name.to_ascii_lowercase(), action))
                .collect();
            (prefix.to_ascii_lowercase(), service)
        })
        .collect();
    Ok(CfnLint { version, licence, services })
}
