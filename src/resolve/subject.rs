//! What the grant model judges: a *subject*. One document alone, or a principal: the
//! documents that grant it access (inline, attached managed, its groups' policies)
//! together, under its ceilings (a permissions boundary, service control policies).
//!
//! The same rules run on both, so an escalation split over two policies of one role is
//! found without any rule knowing where its statements came from.

use super::effective::{Memo, Memos, Shared};
use super::{ResolvedDocument, ResolvedStatement};
use crate::catalogue::{ActionId, Catalogue, ServiceId};
use crate::diagnostic::PrincipalRef;
use crate::policy::Statement;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug)]
pub struct Subject<'d> {
    /// Every statement of the granting documents, in document order.
    entries: Vec<Entry<'d>>,
    /// Statement address -> index in `entries`.
    index: HashMap<usize, usize>,
    /// Documents that bound what the others grant: an action none of their Allows
    /// names (or one they deny unconditionally) is not granted.
    ceilings: Vec<&'d ResolvedDocument>,
    /// Set when the subject is a principal.
    pub principal: Option<&'d PrincipalRef>,
    pub(super) memo: Memo<'d>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Entry<'d> {
    pub doc: &'d ResolvedDocument,
    pub st: &'d Statement,
    pub rs: &'d ResolvedStatement,
}

impl<'d> Subject<'d> {
    /// One document judged alone.
    pub fn document(doc: &'d ResolvedDocument) -> Subject<'d> {
        Subject::new(std::slice::from_ref(&doc).iter().copied(), Vec::new(), None)
    }

    /// A principal: the documents that grant it access, and its ceilings.
    pub fn principal(
        documents: impl IntoIterator<Item = &'d ResolvedDocument>,
        ceilings: Vec<&'d ResolvedDocument>,
        principal: &'d PrincipalRef,
    ) -> Subject<'d> {
        Subject::new(documents, ceilings, Some(principal))
    }

    fn new(
        documents: impl IntoIterator<Item = &'d ResolvedDocument>,
        ceilings: Vec<&'d ResolvedDocument>,
        principal: Option<&'d PrincipalRef>,
    ) -> Subject<'d> {
        let mut entries = Vec::new();
        for doc in documents {
            for (st, rs) in doc.statements() {
                entries.push(Entry { doc, st, rs });
            }
        }
        let index = entries.iter().enumerate().map(|(i, e)| (e.st as *const Statement as usize, i)).collect();
        Subject { entries, index, ceilings, principal, memo: Memo::default() }
    }

    /// Shares what the grant model works out about statements and values with the other
    /// subjects built over the same documents (each document alone, each principal that
    /// holds it): `memos` must not outlive those documents' subjects, which the borrow
    /// makes sure of.
    pub fn sharing(mut self, memos: &'d Memos) -> Subject<'d> {
        self.memo.shared = Shared::With(memos);
        self
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = Entry<'d>> + '_ {
        self.entries.iter().copied()
    }

    /// The entry at an index of `entries`.
    pub(super) fn entry_at(&self, i: usize) -> Entry<'d> {
        self.entries[i]
    }

    /// The entry of a statement of this subject.
    pub(super) fn entry(&self, st: &Statement) -> Entry<'d> {
        self.entries[self.index[&(st as *const Statement as usize)]]
    }

    /// Every statement, Allow and Deny, of every document.
    pub fn statements(&self) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + '_ {
        self.entries.iter().map(|e| (e.st, e.rs))
    }

    /// Every statement of the ceilings (boundaries, SCPs): their Denies bound the subject too.
    pub(super) fn ceiling_statements(&self) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + '_ {
        self.ceilings.iter().flat_map(|c| c.statements())
    }

    /// The Allow statements that grant access to someone (not SCP/RCP/boundary ceilings,
    /// not whole-account delegation): what least-privilege rules judge.
    pub fn granting_statements(&self) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + '_ {
        self.entries.iter().filter(|e| e.doc.is_granting(e.st)).map(|e| (e.st, e.rs))
    }

    /// The granting statements that least-privilege rules judge action by action: every
    /// one but those `full-admin` reports (judging them would say the same thing 22,000
    /// times). A conditional `*`, or `*` on `arn:aws:s3:::*`, is judged.
    pub fn judged_statements<'s>(
        &'s self,
        catalogue: &'s Catalogue,
    ) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + 's {
        self.entries
            .iter()
            .filter(move |e| e.doc.is_granting(e.st) && !e.doc.is_full_admin(e.st, e.rs, catalogue))
            .map(|e| (e.st, e.rs))
    }

    /// Whether a statement of this subject is one `full-admin` reports.
    pub fn is_full_admin(&self, st: &Statement, rs: &ResolvedStatement, catalogue: &Catalogue) -> bool {
        self.entry(st).doc.is_full_admin(st, rs, catalogue)
    }

    /// Whether the subject can do everything: an unconditional Allow of every action on
    /// `*`, and ceilings that each allow every action on `*` without a Deny.
    pub fn is_admin(&self, catalogue: &Catalogue) -> bool {
        let unbounded = |doc: &ResolvedDocument| {
            doc.statements().any(|(st, rs)| {
                st.is_allow()
                    && !st.is_conditional()
                    && st.resource.as_ref().is_some_and(|r| !r.negated && r.values.iter().any(|v| v.value == "*"))
                    && rs.actions.is_everything(catalogue)
            }) && !doc.statements().any(|(st, _)| st.is_deny())
        };
        self.entries.iter().any(|e| e.doc.is_full_admin(e.st, e.rs, catalogue))
            && self.ceilings.iter().all(|c| unbounded(c))
    }

    /// The services the judged statements grant something of (decided without parsing
    /// them): what rules look pack actions up in, since a lookup parses the service.
    pub fn judged_services(&self, catalogue: &Catalogue) -> BTreeSet<ServiceId> {
        self.judged_statements(catalogue).flat_map(|(_, rs)| rs.actions.services()).collect()
    }

    /// Whether the ceilings let `action` through: each ceiling has an Allow naming it
    /// and no unconditional Deny of it on `*`. Judged per action: a ceiling that allows
    /// the action on some resources only is taken to let it through.
    pub(super) fn ceilings_allow(&self, action: ActionId) -> bool {
        if self.ceilings.is_empty() {
            return true;
        }
        if let Some(found) = self.memo.ceilings.borrow().get(&action) {
            return *found;
        }
        let found = self.ceilings.iter().all(|c| {
            let allowed = c.statements().any(|(st, rs)| st.is_allow() && rs.actions.contains(action));
            let denied = c.statements().any(|(st, rs)| {
                st.is_deny()
                    && !st.is_conditional()
                    && rs.actions.contains(action)
                    && st.resource.as_ref().is_some_and(|r| !r.negated && r.values.iter().any(|v| v.value == "*"))
            });
            allowed && !denied
        });
        self.memo.ceilings.borrow_mut().insert(action, found);
        found
    }
}
