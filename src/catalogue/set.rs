//! Sets of concrete catalogue actions: a bitset per service, or "every action of the
//! service" without parsing it (what `*` and `ec2:*` grant).

use super::{ActionId, Catalogue, ServiceId};
use crate::catalogue::model::AccessLevel;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Members {
    All,
    Some(Vec<u64>),
}

/// Shared until changed (copy on write): every `Action: *` of a file holds the same map
/// of every service, not its own (20,000 Denies of `*` held 40 KB each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionSet {
    services: Arc<BTreeMap<ServiceId, Members>>,
}

impl ActionSet {
    pub fn new() -> ActionSet {
        ActionSet::default()
    }

    /// Every action of every service.
    pub fn everything(catalogue: &Catalogue) -> ActionSet {
        static BUNDLED: OnceLock<ActionSet> = OnceLock::new();
        let build = || ActionSet { services: Arc::new(catalogue.service_ids().map(|s| (s, Members::All)).collect()) };
        if std::ptr::eq(catalogue, Catalogue::bundled()) { BUNDLED.get_or_init(build).clone() } else { build() }
    }

    /// Every action of every service (what `*` grants), decided without parsing.
    pub fn is_everything(&self, catalogue: &Catalogue) -> bool {
        self.services.len() == catalogue.service_count() && self.services.values().all(|m| *m == Members::All)
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    pub fn insert(&mut self, id: ActionId) {
        let members = Arc::make_mut(&mut self.services).entry(id.service).or_insert_with(|| Members::Some(Vec::new()));
        if let Members::Some(bits) = members {
            let (word, bit) = (id.index as usize / 64, id.index as usize % 64);
            if bits.len() <= word {
                bits.resize(word + 1, 0);
            }
            bits[word] |= 1 << bit;
        }
    }

    pub fn insert_service(&mut self, service: ServiceId) {
        Arc::make_mut(&mut self.services).insert(service, Members::All);
    }

    pub fn contains(&self, id: ActionId) -> bool {
        match self.services.get(&id.service) {
            None => false,
            Some(Members::All) => true,
            Some(Members::Some(bits)) => {
                let (word, bit) = (id.index as usize / 64, id.index as usize % 64);
                bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
            }
        }
    }

    /// Whether every action of `service` is in the set (without parsing it when possible).
    pub fn has_whole_service(&self, service: ServiceId, catalogue: &Catalogue) -> bool {
        match self.services.get(&service) {
            None => false,
            Some(Members::All) => true,
            Some(Members::Some(bits)) => {
                let n = catalogue.action_count(service);
                (0..n).all(|i| bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0))
            }
        }
    }

    pub fn services(&self) -> impl Iterator<Item = ServiceId> + '_ {
        self.services.keys().copied()
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        if other.services.is_empty() || Arc::ptr_eq(&self.services, &other.services) {
            return;
        }
        if self.services.is_empty() {
            self.services = other.services.clone();
            return;
        }
        let services = Arc::make_mut(&mut self.services);
        for (service, members) in other.services.iter() {
            match (services.get_mut(service), members) {
                (None, m) => {
                    services.insert(*service, m.clone());
                }
                (Some(Members::All), _) => {}
                (Some(mine), Members::All) => *mine = Members::All,
                (Some(Members::Some(mine)), Members::Some(theirs)) => {
                    if mine.len() < theirs.len() {
                        mine.resize(theirs.len(), 0);
                    }
                    for (a, b) in mine.iter_mut().zip(theirs) {
                        *a |= b;
                    }
                }
            }
        }
    }

    /// Removes every action of `other` (parses the services both sets share).
    pub fn subtract(&mut self, other: &ActionSet, catalogue: &Catalogue) {
        if other.services.is_empty() {
            return;
        }
        let services = Arc::make_mut(&mut self.services);
        for (service, theirs) in other.services.iter() {
            let Some(mine) = services.get_mut(service) else { continue };
            match theirs {
                Members::All => {
                    services.remove(service);
                }
                Members::Some(theirs) => {
                    let mut bits = match mine {
                        Members::All => full_bits(catalogue.action_count(*service)),
                        Members::Some(bits) => std::mem::take(bits),
                    };
                    for (a, b) in bits.iter_mut().zip(theirs) {
                        *a &= !b;
                    }
                    if bits.iter().all(|w| *w == 0) {
                        services.remove(service);
                    } else {
                        *mine = Members::Some(bits);
                    }
                }
            }
        }
    }

    /// Keeps only the actions that are also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet, catalogue: &Catalogue) {
        let mut outside = self.clone();
        outside.subtract(other, catalogue);
        self.subtract(&outside, catalogue);
    }

    /// Everything in the catalogue that is not in this set (what a NotAction grants).
    pub fn complement(&self, catalogue: &Catalogue) -> ActionSet {
        let mut all = ActionSet::everything(catalogue);
        all.subtract(self, catalogue);
        all
    }

    /// The concrete actions, in catalogue order (parses the services it covers).
    pub fn iter<'a>(&'a self, catalogue: &'a Catalogue) -> impl Iterator<Item = ActionId> + 'a {
        self.services.iter().flat_map(move |(service, members)| {
            let n = catalogue.action_count(*service);
            (0..n)
                .filter(move |&i| match members {
                    Members::All => true,
                    Members::Some(bits) => bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0),
                })
                .map(move |i| ActionId { service: *service, index: i as u16 })
        })
    }

    pub fn len(&self, catalogue: &Catalogue) -> usize {
        self.services
            .iter()
            .map(|(service, members)| match members {
                Members::All => catalogue.action_count(*service),
                Members::Some(bits) => bits.iter().map(|w| w.count_ones() as usize).sum(),
            })
            .sum()
    }

    /// How many actions at each access level, most sensitive first.
    pub fn count_by_level(&self, catalogue: &Catalogue) -> Vec<(AccessLevel, usize)> {
        let mut counts = [0usize; 5];
        for id in self.iter(catalogue) {
            counts[level_slot(catalogue.action_access(id))] += 1;
        }
        AccessLevel::ALL.iter().map(|l| (*l, counts[level_slot(*l)])).filter(|(_, n)| *n > 0).collect()
    }
}

fn level_slot(level: AccessLevel) -> usize {
    AccessLevel::ALL.iter().position(|l| *l == level).unwrap_or(0)
}

fn full_bits(n: usize) -> Vec<u64> {
    let mut bits = vec![u64::MAX; n.div_ceil(64)];
    if !n.is_multiple_of(64)
        && let Some(last) = bits.last_mut()
    {
        *last = (1u64 << (n % 64)) - 1;
    }
    bits
}
