//! Knowledge packs read by more than one rule (`rules/packs/*.json`), parsed once on
//! first use. A pack read by one rule only is loaded in that rule's file.

use serde::Deserialize;
use std::sync::OnceLock;

/// `rules/packs/sensitive-actions.json`. Strings are borrowed from the bundled text.
#[derive(Debug, Deserialize)]
pub struct SensitiveActions<'a> {
    #[serde(borrow)]
    pub classes: SensitiveClasses<'a>,
}

#[derive(Debug, Deserialize)]
pub struct SensitiveClasses<'a> {
    /// Read by credentials-exposure.
    #[serde(borrow)]
    pub credentials: Vec<SensitiveAction<'a>>,
    /// Read by data-exfiltration.
    #[serde(borrow)]
    pub data: Vec<SensitiveAction<'a>>,
    /// Read by resource-exposure, beside every Permissions management action.
    #[serde(borrow)]
    pub exposure: Vec<SensitiveAction<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct SensitiveAction<'a> {
    /// `service:Action`, as the catalogue spells it.
    pub action: &'a str,
    /// Why it is sensitive, one phrase (plain text: the pack has no escapes).
    pub why: &'a str,
    /// An action that takes only `*` and gives nothing away alone: not reported.
    #[serde(default)]
    pub star_only_ok: bool,
}

const SENSITIVE: &str = include_str!("../rules/packs/sensitive-actions.json");

pub fn sensitive_actions() -> &'static SensitiveActions<'static> {
    static PACK: OnceLock<SensitiveActions<'static>> = OnceLock::new();
    // The pack is checked by the test suite; a broken one is a build defect.
    PACK.get_or_init(|| serde_json::from_str(SENSITIVE).expect("sensitive-actions pack is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn every_sensitive_action_is_in_the_catalogue_once() {
        let catalogue = Catalogue::bundled();
        let classes = &sensitive_actions().classes;
        for (name, class) in
            [("credentials", &classes.credentials), ("data", &classes.data), ("exposure", &classes.exposure)]
        {
            assert!(!class.is_empty(), "{name}");
            let mut seen = std::collections::HashSet::new();
            for entry in class {
                let id = catalogue
                    .lookup(entry.action)
                    .unwrap_or_else(|| panic!("{name}: {} is not an action", entry.action));
                assert_eq!(catalogue.action_name(id), entry.action, "{name}: spelled as the catalogue does");
                assert!(seen.insert(&entry.action), "{name}: {} twice", entry.action);
                assert!(!entry.why.is_empty());
                if entry.star_only_ok {
                    assert!(catalogue.action_formats(id).is_empty(), "{}: has resource types", entry.action);
                }
            }
        }
        for entry in &classes.exposure {
            let id = catalogue.lookup(entry.action).unwrap();
            assert_ne!(
                catalogue.action_access(id),
                crate::catalogue::model::AccessLevel::PermissionsManagement,
                "{}: resource-exposure takes every Permissions management action already",
                entry.action
            );
        }
    }
}
