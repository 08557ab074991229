//! Reviewed corrections to the generated catalogue: `rules/catalogue/overrides.json`,
//! one entry per place where AWS's own documentation contradicts the Service
//! Authorization Reference data `aws.json` is generated from, each with its reference.
//! Applied when a service is loaded, so `aws.json` stays what the generator writes and
//! every reader of the catalogue (rules, the grant model, `iamlint action`) sees the
//! corrected action.

use super::LoadedService;
use super::model::ActionResource;
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The overrides file as committed.
pub const OVERRIDES_JSON: &str = include_str!("../../rules/catalogue/overrides.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    about: String,
    overrides: Vec<Override>,
}

/// One correction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// `service:Action`, as the catalogue spells it.
    pub action: String,
    /// Resource types of the same service the action also takes.
    #[serde(default)]
    pub add_resource_types: Vec<AddedType>,
    /// Why, in a sentence.
    pub reason: String,
    /// The AWS documentation page that shows it.
    pub reference: String,
}

/// A resource type an action also takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedType {
    /// A resource type of the action's service (`user`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether every call names one (AWS's "required").
    #[serde(default)]
    pub required: bool,
}

/// The reviewed overrides (the committed file; a broken one is a build defect that
/// `tests/catalogue.rs` catches).
pub fn reviewed() -> &'static [Override] {
    static PARSED: OnceLock<Vec<Override>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let file: File = serde_json::from_str(OVERRIDES_JSON)
            .unwrap_or_else(|e| panic!("rules/catalogue/overrides.json is not valid: {e}"));
        file.overrides
    })
}

/// Applies the overrides of the service `prefix` to it as it is loaded: the action is
/// parsed now, corrected, and kept parsed.
pub(super) fn apply(prefix: &str, service: &mut LoadedService, overrides: &[Override]) {
    for o in overrides {
        let Some((p, name)) = o.action.split_once(':') else { continue };
        if !p.eq_ignore_ascii_case(prefix) {
            continue;
        }
        let Ok(i) = service.actions.binary_search_by(|a| super::cmp_ignore_case(a.name(), name)) else { continue };
        let lazy = &mut service.actions[i];
        let mut action = lazy.get().clone();
        for added in &o.add_resource_types {
            if !action.resources.iter().any(|r| r.kind == added.kind) {
                action.resources.push(ActionResource {
                    kind: Cow::Owned(added.kind.clone()),
                    required: added.required,
                    keys: Vec::new(),
                });
            }
        }
        lazy.parsed = OnceLock::from(action);
    }
}
