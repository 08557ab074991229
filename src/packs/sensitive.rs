//! The sensitive-actions pack (`rules/packs/sensitive-actions.json`), read by several
//! rules, and which of its actions a subject's services hold.

use crate::catalogue::{ActionId, ActionSet, Catalogue, ServiceId};
use crate::packs::pack;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
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

pub fn sensitive_actions() -> &'static SensitiveActions<'static> {
    static PACK: OnceLock<SensitiveActions<'static>> = OnceLock::new();
    // The pack is checked by the test suite; a broken one is a build defect.
    PACK.get_or_init(|| pack!("sensitive-actions.json"))
}

/// The entries of a class that can matter for a file: those in the services its
/// statements grant (`ResolvedDocument::judged_services`), looked up once (a lookup
/// parses the service). Entries marked `star_only_ok` are left out.
pub struct Members {
    pub set: ActionSet,
    entries: Vec<(ActionId, &'static SensitiveAction<'static>)>,
}

impl Members {
    pub fn of(
        class: &'static [SensitiveAction<'static>],
        services: &BTreeSet<ServiceId>,
        catalogue: &Catalogue,
    ) -> Members {
        let mut members = Members { set: ActionSet::new(), entries: Vec::new() };
        let index = by_prefix(class);
        for &service in services {
            let Some(entries) = index.get(catalogue.prefix(service).to_ascii_lowercase().as_str()) else { continue };
            for (name, entry) in entries {
                if let Some(id) = catalogue.find_action(service, name) {
                    members.set.insert(id);
                    members.entries.push((id, entry));
                }
            }
        }
        members
    }

    /// The pack entry of a member action.
    pub fn entry(&self, id: ActionId) -> Option<&'static SensitiveAction<'static>> {
        self.entries.iter().find(|(e, _)| *e == id).map(|(_, entry)| *entry)
    }
}

/// A class's entries (not `star_only_ok`) by lower-case service prefix, worked out once
/// per class: each subject looks up only the services it grants something of.
fn by_prefix(class: &'static [SensitiveAction<'static>]) -> Rc<ByPrefix> {
    thread_local! {
        static INDEX: RefCell<HashMap<usize, Rc<ByPrefix>>> = RefCell::default();
    }
    INDEX.with(|index| {
        index
            .borrow_mut()
            .entry(class.as_ptr() as usize)
            .or_insert_with(|| {
                let mut out: ByPrefix = HashMap::new();
                for entry in class.iter().filter(|e| !e.star_only_ok) {
                    if let Some((prefix, name)) = entry.action.split_once(':') {
                        out.entry(prefix.to_ascii_lowercase()).or_default().push((name, entry));
                    }
                }
                Rc::new(out)
            })
            .clone()
    })
}

type ByPrefix = HashMap<String, Vec<(&'static str, &'static SensitiveAction<'static>)>>;

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
