//! What one `Action` value grants: its expansion against the catalogue.

use super::{ActionSet, Catalogue, cmp_ignore_case, has_wildcard, wildcard_match};
use crate::packs::pack;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    /// The value grants these actions (never empty).
    Actions(ActionSet),
    /// Not of the form `service:action`.
    Malformed(String),
    /// The service prefix is not in the catalogue.
    UnknownService { service: String, suggestion: Option<String> },
    /// A literal action the service does not have.
    UnknownAction { suggestion: Option<String> },
    /// A wildcard that matches no action of the services it names.
    NoMatch,
}

impl Catalogue {
    /// Expands an action pattern (`s3:Get*`, `*`, `iam:PassRole`) to the concrete actions
    /// it grants.
    pub fn expand(&self, pattern: &str) -> Expansion {
        if pattern == "*" {
            return Expansion::Actions(ActionSet::everything(self));
        }
        let Some((service, action)) = pattern.split_once(':') else {
            return Expansion::Malformed(format!("`{pattern}` is not of the form service:action"));
        };
        if service.is_empty() || action.is_empty() {
            return Expansion::Malformed(format!("`{pattern}` is not of the form service:action"));
        }
        if action.contains(':') {
            return Expansion::Malformed(format!("`{pattern}` has more than one `:`"));
        }
        let services: Vec<_> = if service == "*" && action == "*" {
            // `*:*` is written for `*`; IAM accepts it.
            return Expansion::Actions(ActionSet::everything(self));
        } else if has_wildcard(service) {
            return Expansion::Malformed(format!(
                "`{pattern}` has a wildcard in the service prefix, which IAM rejects (action vendors must not contain wildcards)"
            ));
        } else {
            match self.find_service(service) {
                Some(s) => vec![s],
                None => {
                    return Expansion::UnknownService {
                        service: service.to_string(),
                        suggestion: self.suggest_service(service),
                    };
                }
            }
        };
        let mut set = ActionSet::new();
        for s in &services {
            if action == "*" {
                set.insert_service(*s);
            } else if has_wildcard(action) {
                for index in 0..self.action_count(*s) as u16 {
                    let id = super::ActionId { service: *s, index };
                    if wildcard_match(action, self.action_short_name(id), true) {
                        set.insert(id);
                    }
                }
            } else if let Some(id) = self.find_action(*s, action) {
                set.insert(id);
            }
        }
        if !set.is_empty() {
            Expansion::Actions(set)
        } else if has_wildcard(pattern) {
            Expansion::NoMatch
        } else {
            let suggestion = services.first().and_then(|s| self.suggest_action(*s, action));
            Expansion::UnknownAction { suggestion }
        }
    }

    fn suggest_service(&self, service: &str) -> Option<String> {
        let lower = service.to_ascii_lowercase();
        best_match(self.lines.iter().map(|(p, _)| *p), &lower).map(str::to_string)
    }

    fn suggest_action(&self, service: super::ServiceId, action: &str) -> Option<String> {
        let lower = action.to_ascii_lowercase();
        let names = (0..self.action_count(service) as u16)
            .map(|index| self.action_short_name(super::ActionId { service, index }));
        best_match(names, &lower).map(|name| format!("{}:{name}", self.prefix(service)))
    }
}

/// Names longer than this get no suggestion: no service prefix or action name is near
/// it, and comparing a 200 KB value with every action of a service takes minutes.
const LONGEST_SUGGESTED: usize = 128;

/// The closest candidate, if it is close enough to be what the user meant.
fn best_match<'a>(candidates: impl Iterator<Item = &'a str>, lower: &str) -> Option<&'a str> {
    if lower.len() > LONGEST_SUGGESTED {
        return None;
    }
    candidates
        .map(|c| (strsim::jaro_winkler(&c.to_ascii_lowercase(), lower), c))
        .filter(|(score, _)| *score >= 0.88)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| cmp_ignore_case(b.1, a.1)))
        .map(|(_, c)| c)
}

/// API operations that are not IAM actions, and the actions that authorize them
/// (`rules/packs/api-operations.json`).
#[derive(Deserialize)]
struct OperationsPack {
    operations: BTreeMap<String, Vec<String>>,
}

/// The IAM actions that authorize an API operation which is not itself an action
/// (`s3:CreateMultipartUpload` is authorized by `s3:PutObject`), when known.
pub fn operation_hint(name: &str) -> Option<&'static [String]> {
    static PACK: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    let pack = PACK.get_or_init(|| {
        let pack: OperationsPack = pack!("api-operations.json");
        pack.operations.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect()
    });
    pack.get(&name.to_ascii_lowercase()).map(Vec::as_slice)
}
