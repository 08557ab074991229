//! The bundled AWS action catalogue: loading, lookup, wildcard expansion.
//!
//! `rules/catalogue/aws.json` is compiled into the binary. At start-up only its service
//! lines are indexed (a scan for newlines); a service is parsed the first time a policy
//! names it, so a small policy pays for the few services it uses.

pub mod arn;
mod expand;
mod formats_index;
pub mod generate;
pub mod keys;
pub mod managed;
pub mod model;
pub mod overrides;
mod pattern;
mod set;
pub mod undocumented;

pub use expand::{Expansion, operation_hint};
pub use pattern::{Containment, contains, has_wildcard, wildcard_match};
pub use set::ActionSet;

use model::{AccessLevel, Action, ConditionKey, Header, ResourceType};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// The catalogue file as committed; see `model.rs` for its layout.
pub const BUNDLED_JSON: &str = include_str!("../../rules/catalogue/aws.json");

/// (prefix, start, end) of each service's JSON in `BUNDLED_JSON`, computed by build.rs.
const BUNDLED_INDEX: &[(&str, usize, usize)] = include!(concat!(env!("OUT_DIR"), "/catalogue_index.rs"));

/// Index of a service in the catalogue (services are sorted by prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u16);

/// One concrete catalogue action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId {
    pub service: ServiceId,
    pub index: u16,
}

pub struct Catalogue {
    header: Header<'static>,
    /// (prefix, the service's JSON line), sorted by prefix.
    lines: Vec<(&'static str, &'static str)>,
    services: Vec<OnceLock<LoadedService>>,
    /// Services listing condition keys of another prefix than their own, by lower-cased
    /// prefix (ssm lists `ec2:SourceInstanceARN`, sts the identity providers' keys); built
    /// on first use.
    foreign_keys: OnceLock<std::collections::HashMap<String, Vec<ServiceId>>>,
    /// Applied to each service as it is loaded (`overrides::reviewed` unless a test says
    /// otherwise).
    overrides: &'static [overrides::Override],
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue").field("services", &self.lines.len()).finish()
    }
}

const HEADER_START: &str = "{\"header\":";
const SERVICE_START: &str = "{\"prefix\":\"";

impl Catalogue {
    /// The catalogue compiled into this binary.
    pub fn bundled() -> &'static Catalogue {
        static BUNDLED: OnceLock<Catalogue> = OnceLock::new();
        // build.rs indexed the service lines, so start-up touches only the header line.
        // The bundled file is checked by the test suite; a broken one is a build defect.
        BUNDLED.get_or_init(|| {
            let services =
                BUNDLED_INDEX.iter().map(|(prefix, start, end)| (*prefix, &BUNDLED_JSON[*start..*end])).collect();
            Catalogue::with_services(BUNDLED_JSON, services).expect("the bundled catalogue is valid")
        })
    }

    /// Indexes a catalogue text in the canonical layout (parses the header only).
    pub fn from_text(text: &'static str) -> Result<Catalogue, String> {
        let mut services = Vec::new();
        for line in text.lines().skip(1) {
            let Some(rest) = line.strip_prefix(SERVICE_START) else { continue };
            let prefix = rest.split('"').next().unwrap_or_default();
            let json = line.strip_suffix(',').unwrap_or(line);
            services.push((prefix, json));
        }
        Catalogue::with_services(text, services)
    }

    fn with_services(text: &'static str, services: Vec<(&'static str, &'static str)>) -> Result<Catalogue, String> {
        let first = text.split('\n').next().unwrap_or_default();
        let header_json = first
            .strip_prefix(HEADER_START)
            .and_then(|h| h.strip_suffix(','))
            .ok_or("the first line is not the catalogue header")?;
        let header: Header<'static> =
            serde_json::from_str(header_json).map_err(|e| format!("catalogue header: {e}"))?;
        if header.format != model::FORMAT {
            return Err(format!("catalogue format {} (this iamlint reads {})", header.format, model::FORMAT));
        }
        if !services.is_sorted_by(|a, b| a.0 < b.0) {
            return Err("catalogue services are not sorted by prefix".into());
        }
        if services.len() > u16::MAX as usize {
            return Err("too many services".into());
        }
        Ok(Catalogue {
            header,
            services: services.iter().map(|_| OnceLock::new()).collect(),
            lines: services,
            foreign_keys: OnceLock::new(),
            overrides: overrides::reviewed(),
        })
    }

    /// The same catalogue without the reviewed overrides (`rules/catalogue/overrides.json`):
    /// the generated data as it is, to show what an override changes.
    pub fn without_overrides(mut self) -> Catalogue {
        self.overrides = &[];
        self.services = self.lines.iter().map(|_| OnceLock::new()).collect();
        self
    }

    pub fn header(&self) -> &Header<'static> {
        &self.header
    }

    pub fn service_ids(&self) -> impl Iterator<Item = ServiceId> + '_ {
        (0..self.lines.len()).map(|i| ServiceId(i as u16))
    }

    pub fn service_count(&self) -> usize {
        self.lines.len()
    }

    pub fn prefix(&self, id: ServiceId) -> &'static str {
        self.lines[id.0 as usize].0
    }

    /// Finds a service by prefix, case-insensitively.
    pub fn find_service(&self, prefix: &str) -> Option<ServiceId> {
        self.lines.binary_search_by(|(p, _)| cmp_ignore_case(p, prefix)).ok().map(|i| ServiceId(i as u16))
    }

    /// The service's data, parsed on first use (its actions stay raw until used).
    pub fn service(&self, id: ServiceId) -> &LoadedService {
        self.services[id.0 as usize].get_or_init(|| {
            let json = self.lines[id.0 as usize].1;
            // The bundled file is checked by the test suite; a broken one is a build defect.
            let mut service = split_service_line(json).unwrap_or_else(|| {
                let line: ServiceLine<'static> =
                    serde_json::from_str(json).unwrap_or_else(|e| panic!("catalogue service {}: {e}", self.prefix(id)));
                LoadedService {
                    name: line.name,
                    resources: line.resources,
                    keys: line.keys,
                    actions: line.actions.into_iter().map(|a| LazyAction::new(a.get())).collect(),
                    continued: OnceLock::new(),
                }
            });
            overrides::apply(self.prefix(id), &mut service, self.overrides);
            service
        })
    }

    pub fn action_count(&self, service: ServiceId) -> usize {
        self.service(service).actions.len()
    }

    /// An action's full data, parsed on first use.
    pub fn action(&self, id: ActionId) -> &Action<'static> {
        self.service(id.service).actions[id.index as usize].get()
    }

    /// The services that list a condition key with this prefix although the prefix is not
    /// theirs. A key whose prefix is itself templated is listed under `""`.
    pub fn services_listing_key_prefix(&self, prefix: &str) -> &[ServiceId] {
        let index = self.foreign_keys.get_or_init(|| {
            let mut index: std::collections::HashMap<String, Vec<ServiceId>> = std::collections::HashMap::new();
            for id in self.service_ids() {
                let own = self.prefix(id);
                for key in &self.service(id).keys {
                    let p = key.name.split_once(':').map_or("", |(p, _)| p);
                    let p = if p.contains("${") || p.contains('<') { "" } else { p };
                    if !p.eq_ignore_ascii_case(own) {
                        let list = index.entry(p.to_ascii_lowercase()).or_default();
                        if list.last() != Some(&id) {
                            list.push(id);
                        }
                    }
                }
            }
            index
        });
        index.get(&prefix.to_ascii_lowercase()).map_or(&[], Vec::as_slice)
    }

    /// An action's access level, without parsing the rest of it.
    pub fn action_access(&self, id: ActionId) -> AccessLevel {
        self.service(id.service).actions[id.index as usize].access()
    }

    /// Whether an action has resource types (is not `*`-only), without parsing it: in the
    /// raw text `"resources":[` can only be the key (inside a JSON string its quotes
    /// would be escaped).
    pub fn action_has_resource_types(&self, id: ActionId) -> bool {
        let lazy = &self.service(id.service).actions[id.index as usize];
        match lazy.parsed.get() {
            Some(action) => !action.resources.is_empty(),
            None => lazy.raw.contains("\"resources\":["),
        }
    }

    /// An action's name as AWS spells it (`PassRole`), without parsing the rest of it.
    pub fn action_short_name(&self, id: ActionId) -> &str {
        self.service(id.service).actions[id.index as usize].name()
    }

    /// `service:Action` as AWS spells it.
    pub fn action_name(&self, id: ActionId) -> String {
        format!("{}:{}", self.prefix(id.service), self.action_short_name(id))
    }

    /// Finds an action of a service by name, case-insensitively.
    pub fn find_action(&self, service: ServiceId, name: &str) -> Option<ActionId> {
        self.service(service)
            .actions
            .binary_search_by(|a| cmp_ignore_case(a.name(), name))
            .ok()
            .map(|i| ActionId { service, index: i as u16 })
    }

    /// Finds `service:Action`, case-insensitively.
    pub fn lookup(&self, full: &str) -> Option<ActionId> {
        let (service, action) = full.split_once(':')?;
        self.find_action(self.find_service(service)?, action)
    }

    /// The ARN formats of an action's resource types, without repeats (empty: the action
    /// takes only `*`). Borrowed from the service's resource types, so actions on the same
    /// type share them; which ones an action has is gathered once per action.
    pub fn action_formats(&self, id: ActionId) -> Vec<&str> {
        let service = self.service(id.service);
        let indices = service.actions[id.index as usize].formats.get_or_init(|| {
            let mut out: Vec<(u16, u16)> = Vec::new();
            for r in &self.action(id).resources {
                let Some(t) = service.resources.iter().position(|t| t.name == r.kind) else { continue };
                for a in 0..service.resources[t].arns.len() {
                    let format = &service.resources[t].arns[a];
                    if !out.iter().any(|&(ot, oa)| service.resources[ot as usize].arns[oa as usize] == *format) {
                        out.push((t as u16, a as u16));
                    }
                }
            }
            out
        });
        indices.iter().map(|&(t, a)| service.resources[t as usize].arns[a as usize].as_ref()).collect()
    }

    pub fn resource_type(&self, service: ServiceId, name: &str) -> Option<&ResourceType<'static>> {
        self.service(service).resources.iter().find(|r| r.name == name)
    }
}

/// A service as loaded at run time. Its actions are kept as raw JSON and parsed one by
/// one when a rule needs more than the name: parsing a whole large service (ec2: 826
/// actions, 380 KB) costs about three times as much as finding where each action is.
#[derive(Debug)]
pub struct LoadedService {
    pub name: Cow<'static, str>,
    pub resources: Vec<ResourceType<'static>>,
    pub keys: Vec<ConditionKey<'static>>,
    actions: Vec<LazyAction>,
    /// `LoadedService::continues_with_slash`, worked out on first use.
    continued: OnceLock<Vec<String>>,
}

impl LoadedService {
    /// Whether another ARN format of the service continues `upto` (a format's text up to
    /// the end of one of its placeholders) with `/`: dynamodb's
    /// `...:table/${TableName}/index/${IndexName}` continues `...:table/${TableName}`, so a
    /// table name holds no `/` (`arn::segment_bounded` reads this).
    pub fn continues_with_slash(&self, upto: &str) -> bool {
        let continued = self.continued.get_or_init(|| {
            let formats: Vec<&str> = self.resources.iter().flat_map(|r| r.arns.iter().map(|a| a.as_ref())).collect();
            let mut out: Vec<String> = Vec::new();
            for format in &formats {
                for (end, _) in format.match_indices('}').map(|(i, c)| (i + 1, c)) {
                    let upto = &format[..end];
                    let continues =
                        formats.iter().any(|f| f.len() > end && f.starts_with(upto) && f.as_bytes()[end] == b'/');
                    if continues && !out.iter().any(|o| o == upto) {
                        out.push(upto.to_string());
                    }
                }
            }
            out
        });
        continued.iter().any(|c| *c == upto)
    }
}

/// A service line of the catalogue, with its actions left raw.
#[derive(Deserialize)]
struct ServiceLine<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    actions: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    resources: Vec<ResourceType<'a>>,
    #[serde(borrow, default)]
    keys: Vec<ConditionKey<'a>>,
}

/// Loads a service line of the canonical layout
/// (`{"prefix":..,"name":..,"actions":[{"name":..},..],"resources":[{"name":..}],"keys":[{"name":..}]}`)
/// without running a JSON parser over its actions: they are cut at `},{"name":"`, which
/// can only stand between two actions (inside an action, objects start with `{"type"`,
/// and quotes inside strings are escaped). Scanning for that text is several times
/// cheaper (memchr's SIMD substring search) than parsing ec2's 380 KB; name, resource
/// types and keys are parsed as JSON.
/// `None` when the line is not in that layout (the caller then parses it whole).
fn split_service_line(json: &'static str) -> Option<LoadedService> {
    const ACTIONS: &str = "\"actions\":[";
    const RESOURCES: &str = "],\"resources\":[{\"name\"";
    const KEYS: &str = "\"keys\":[{\"name\"";
    const BETWEEN: &str = "},{\"name\":\"";
    let value = |at: usize| -> Option<&'static str> { json.get(at..) };
    let name_at = json.find(",\"name\":")? + ",\"name\":".len();
    let name: Cow<'static, str> = Cow::deserialize(&mut serde_json::Deserializer::from_str(value(name_at)?)).ok()?;
    let actions_at = json.find(ACTIONS)? + ACTIONS.len();
    // Resource types and keys close the line: search for them from its end.
    let resources_at =
        memchr::memmem::rfind(json.as_bytes(), RESOURCES.as_bytes()).map(|i| i + "],\"resources\":".len());
    let keys_at = memchr::memmem::rfind(json.as_bytes(), KEYS.as_bytes()).map(|i| i + "\"keys\":".len());
    let actions_end = match (resources_at, keys_at) {
        (Some(r), _) => r - "],\"resources\":".len(),
        (None, Some(k)) => k - "],\"keys\":".len(),
        (None, None) => json.len().checked_sub(2)?,
    };
    let section = json.get(actions_at..actions_end)?;
    let mut actions = Vec::new();
    if !section.is_empty() {
        let mut start = 0;
        for at in memchr::memmem::find_iter(section.as_bytes(), BETWEEN.as_bytes()) {
            actions.push(LazyAction::new(section.get(start..at + 1)?));
            start = at + 2;
        }
        actions.push(LazyAction::new(section.get(start..)?));
    }
    let resources = match resources_at {
        Some(at) => Vec::deserialize(&mut serde_json::Deserializer::from_str(value(at)?)).ok()?,
        None => Vec::new(),
    };
    let keys = match keys_at {
        Some(at) => Vec::deserialize(&mut serde_json::Deserializer::from_str(value(at)?)).ok()?,
        None => Vec::new(),
    };
    Some(LoadedService { name, resources, keys, actions, continued: OnceLock::new() })
}

#[derive(Debug)]
struct LazyAction {
    raw: &'static str,
    /// The name read straight from the raw text (`{"name":"PassRole",...`), when it has
    /// no escapes; otherwise taken from the parsed action.
    name: Option<&'static str>,
    /// The access level read straight from the raw text (`..."access":"Write",...`):
    /// counting a wildcard's grants by level then needs no full parse.
    access: Option<AccessLevel>,
    parsed: OnceLock<Action<'static>>,
    /// Its resource types' ARN formats, as (resource type, format) indices into the
    /// service, gathered on first use (`action_formats`).
    formats: OnceLock<Vec<(u16, u16)>>,
}

impl LazyAction {
    fn new(raw: &'static str) -> LazyAction {
        let name = raw
            .strip_prefix("{\"name\":\"")
            .and_then(|rest| rest.split_once('"'))
            .map(|(name, _)| name)
            .filter(|name| !name.contains('\\'));
        let access = name
            .and_then(|n| raw.get("{\"name\":\"".len() + n.len()..))
            .and_then(|rest| rest.strip_prefix("\",\"access\":\""))
            .and_then(|rest| rest.split_once('"'))
            .and_then(|(level, _)| AccessLevel::ALL.into_iter().find(|l| l.as_str() == level));
        LazyAction { raw, name, access, parsed: OnceLock::new(), formats: OnceLock::new() }
    }

    fn access(&self) -> AccessLevel {
        self.access.unwrap_or_else(|| self.get().access)
    }

    fn get(&self) -> &Action<'static> {
        // The bundled file is checked by the test suite; a broken one is a build defect.
        self.parsed.get_or_init(|| serde_json::from_str(self.raw).unwrap_or_else(|e| panic!("catalogue action: {e}")))
    }

    fn name(&self) -> &str {
        match self.name {
            Some(name) => name,
            None => &self.get().name,
        }
    }
}

/// Orders like comparing the lower-cased strings, without allocating.
pub fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast split of a service line gives what a full JSON parse gives, for every
    /// service of the bundled catalogue.
    #[test]
    fn split_service_lines_agree_with_the_json_parser() {
        for (prefix, start, end) in BUNDLED_INDEX {
            let json = &BUNDLED_JSON[*start..*end];
            let split = split_service_line(json).unwrap_or_else(|| panic!("{prefix}: not in the canonical layout"));
            let parsed: ServiceLine<'static> = serde_json::from_str(json).unwrap();
            assert_eq!(split.name, parsed.name, "{prefix}");
            assert_eq!(split.resources, parsed.resources, "{prefix}");
            assert_eq!(split.keys, parsed.keys, "{prefix}");
            let raw: Vec<&str> = split.actions.iter().map(|a| a.raw).collect();
            let expected: Vec<&str> = parsed.actions.iter().map(|a| a.get()).collect();
            assert_eq!(raw, expected, "{prefix}");
        }
    }
}
