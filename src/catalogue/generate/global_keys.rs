//! Reader for the project-owned `rules/catalogue/global-condition-keys.json`.
//!
//! The global (`aws:*`) key table is small and reviewed by hand here, because the
//! packages' copies have type errors and miss recent keys. Its shape:
//!
//! ```json
//! {"reviewed": "2026-11-22", "about": ["..."],
//!  "keys": [{"name": "aws:SourceVpcArn", "type": "ARN", "category": "network", "note": "..."}]}
//! ```
//!
//! `category` and `note` are for reviewers; only `name` and `type` reach the catalogue.

use super::{Error, parse_key_type, read_json};
use crate::catalogue::model::{ConditionKey, Source};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

pub(super) struct GlobalKeys {
    pub reviewed: String,
    pub keys: Vec<ConditionKey<'static>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    reviewed: String,
    #[serde(default)]
    #[allow(dead_code)] // read so that deny_unknown_fields accepts it
    about: Vec<String>,
    keys: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code)]
    category: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

pub(super) fn read(path: &Path) -> Result<GlobalKeys, Error> {
    let raw: RawFile = read_json(path)?;
    let mut seen = HashSet::new();
    let mut keys = Vec::with_capacity(raw.keys.len());
    for key in raw.keys {
        if !key.name.contains(':') || key.name.contains(char::is_whitespace) {
            return Err(Error::data(path, format!("bad key name {:?}", key.name)));
        }
        // IAM compares key names case-insensitively: two spellings would be one key.
        if !seen.insert(key.name.to_ascii_lowercase()) {
            return Err(Error::data(path, format!("key {} listed twice", key.name)));
        }
        let kind = parse_key_type(&key.kind)
            .ok_or_else(|| Error::data(path, format!("key {}: unknown type {:?}", key.name, key.kind)))?;
        keys.push(ConditionKey { name: Cow::Owned(key.name), kind });
    }
    Ok(GlobalKeys { reviewed: raw.reviewed, keys })
}

impl GlobalKeys {
    /// The header's source entry for this table.
    pub fn source(&self, path: &Path) -> Source {
        // Name it by its place in the repository, whatever path it was read from.
        let name = match path.file_name().and_then(|n| n.to_str()) {
            Some(file) => format!("rules/catalogue/{file}"),
            None => "rules/catalogue/global-condition-keys.json".to_string(),
        };
        Source {
            name,
            registry: "iamlint".into(),
            version: self.reviewed.clone(),
            licence: "MIT".into(),
            provides: format!(
                "{} global condition keys and their types, reviewed against AWS's \
                 \"AWS global condition context keys\" page",
                self.keys.len()
            ),
        }
    }
}
