//! Resolves documents against the catalogue once, so that no rule re-expands
//! wildcards: each Action value's expansion and each statement's granted action set,
//! and each Resource value parsed into its ARN fields.

pub mod boundary;
mod effective;
pub mod principals;
mod subject;
pub mod types;

pub use effective::{Grant, Memos, Reach, StatementGrants, narrows};
pub use principals::Principals;
pub use subject::Subject;

use crate::catalogue::arn::{ResourceValue, parse_resource};
use crate::catalogue::{ActionId, ActionSet, Catalogue, Expansion, has_wildcard};
use crate::policy::{PolicyDocument, Statement};
use crate::source::Span;
use crate::source::Spanned;

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
    /// Each value of Resource/NotResource parsed, in document order. Which resource
    /// types a value can name is asked per action format, lazily
    /// (`arn::fits`/`arn::may_match`): resolving does no per-action work.
    pub resources: Vec<ResolvedResource>,
}

#[derive(Debug)]
pub struct ResolvedAction {
    pub value: Spanned<String>,
    pub expansion: Expansion,
}

#[derive(Debug)]
pub struct ResolvedResource {
    pub value: Spanned<String>,
    /// The ARN fields, or why the value is not an ARN.
    pub parsed: ResourceValue,
}

/// An Action value, or the `NotAction` key, that grants a given action: what a finding
/// about that action underlines.
#[derive(Debug, Clone)]
pub struct Grantor {
    pub span: Span,
    /// As written (`iam:*`), or `NotAction`.
    pub text: String,
    /// What it grants, when that is more than the action alone (a wildcard or NotAction).
    pub wildcard: Option<ActionSet>,
}

impl Grantor {
    /// The label under the grantor, naming the action (`iam:PassRole`).
    pub fn label(&self, action: &str) -> String {
        match (&self.wildcard, self.text.as_str()) {
            (None, _) => format!("grants `{action}`"),
            (Some(_), "NotAction") => format!("`NotAction` grants every action not listed, including `{action}`"),
            (Some(_), text) => format!("`{text}` includes `{action}`"),
        }
    }
}

impl ResolvedStatement {
    /// The values of the statement's Action that grant `action`, or its NotAction key.
    pub fn grantors(&self, st: &Statement, action: ActionId) -> Vec<Grantor> {
        match &st.action {
            Some(list) if list.negated => {
                vec![Grantor {
                    span: list.key_span.clone(),
                    text: "NotAction".into(),
                    wildcard: Some(self.actions.clone()),
                }]
            }
            _ => self
                .values
                .iter()
                .filter_map(|v| match &v.expansion {
                    Expansion::Actions(set) if set.contains(action) => Some(Grantor {
                        span: v.value.span.clone(),
                        text: v.value.value.clone(),
                        wildcard: has_wildcard(&v.value.value).then(|| set.clone()),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl ResolvedDocument {
    pub fn statements(&self) -> impl Iterator<Item = (&Statement, &ResolvedStatement)> {
        self.doc.statements.iter().zip(&self.statements)
    }

    /// Whether the statement is an Allow that grants access to someone (not an SCP, RCP
    /// or boundary ceiling, not whole-account delegation): what least-privilege rules judge.
    pub fn is_granting(&self, st: &Statement) -> bool {
        st.is_allow() && self.doc.grants_access(st)
    }

    /// The granting statements (`is_granting`).
    pub fn granting_statements(&self) -> impl Iterator<Item = (&Statement, &ResolvedStatement)> {
        self.statements().filter(|(st, _)| self.is_granting(st))
    }

    /// The granting statements that least-privilege rules judge action by action: every
    /// one but those `full-admin` reports (judging them would say the same thing 22,000
    /// times). A conditional `*`, or `*` on `arn:aws:s3:::*`, is judged.
    pub fn judged_statements<'d>(
        &'d self,
        catalogue: &'d Catalogue,
    ) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> {
        self.granting_statements().filter(move |(st, rs)| !self.is_full_admin(st, rs, catalogue))
    }

    /// What `full-admin` reports: an Allow of every action with `"Resource": "*"` and no
    /// condition, in a policy that grants access.
    pub fn is_full_admin(&self, st: &Statement, rs: &ResolvedStatement, catalogue: &Catalogue) -> bool {
        st.is_allow()
            && !st.is_conditional()
            && self.doc.grants_access(st)
            && st.resource.as_ref().is_some_and(|r| !r.negated && r.values.iter().any(|v| v.value == "*"))
            && rs.actions.is_everything(catalogue)
    }
}

pub fn resolve(doc: PolicyDocument, catalogue: &Catalogue) -> ResolvedDocument {
    let statements = doc.statements.iter().map(|st| statement(st, catalogue)).collect();
    ResolvedDocument { doc, statements }
}

fn statement(st: &Statement, catalogue: &Catalogue) -> ResolvedStatement {
    let resources = st
        .resource
        .iter()
        .flat_map(|list| &list.values)
        .map(|v| ResolvedResource { value: v.clone(), parsed: parse_resource(&v.value) })
        .collect();
    let Some(list) = &st.action else {
        return ResolvedStatement { values: Vec::new(), actions: ActionSet::new(), resources };
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
    ResolvedStatement { values, actions, resources }
}
