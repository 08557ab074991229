//! Resolves documents against the catalogue once, so that no rule re-expands
//! wildcards: each Action value's expansion and each statement's granted action set.

use crate::catalogue::{ActionSet, Catalogue, Expansion};
use crate::policy::{PolicyDocument, Spanned, Statement};

#[derive(Debug)]
pub struct ResolvedDocument {
    pub doc: PolicyDocument,
    /// Parallel to `doc.statements`.
    pub statements: Vec<ResolvedStatement>,
}

#[derive(Debug)]
pub struct ResolvedStatement {
    /// Each value of Action/NotAction with what it expands to, in document order.
    pub values: Vec<ResolvedAction>,
    /// The concrete actions the statement covers: the union of its Action values, or,
    /// for NotAction, every catalogue action except those.
    pub actions: ActionSet,
}

#[derive(Debug)]
pub struct ResolvedAction {
    pub value: Spanned<String>,
    pub expansion: Expansion,
}

impl ResolvedDocument {
    pub fn statements(&self) -> impl Iterator<Item = (&Statement, &ResolvedStatement)> {
        self.doc.statements.iter().zip(&self.statements)
    }
}

pub fn resolve(doc: PolicyDocument, catalogue: &Catalogue) -> ResolvedDocument {
    let statements = doc.statements.iter().map(|st| statement(st, catalogue)).collect();
    ResolvedDocument { doc, statements }
}

fn statement(st: &Statement, catalogue: &Catalogue) -> ResolvedStatement {
    let Some(list) = &st.action else {
        return ResolvedStatement { values: Vec::new(), actions: ActionSet::new() };
    };
    let mut listed = ActionSet::new();
    let values: Vec<ResolvedAction> = list
        .values
        .iter()
        .map(|v| {
            let expansion = catalogue.expand(&v.value);
            if let Expansion::Actions(set) = &expansion {
                listed.union_with(set);
            }
            ResolvedAction { value: v.clone(), expansion }
        })
        .collect();
    let actions = if list.negated { listed.complement(catalogue) } else { listed };
    ResolvedStatement { values, actions }
}
