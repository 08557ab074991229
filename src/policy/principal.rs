//! Principals: a user, group or role of the input, with the documents that make up its
//! access. Adapters that know who holds a policy (a CloudFormation role and the managed
//! policies attached to it, an account dump) group documents this way; the grant model
//! then judges them together (`resolve::Subject::principal`).

use crate::diagnostic::PrincipalRef;

#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalPolicies {
    pub principal: PrincipalRef,
    /// Indices into the file's documents: the policies that grant it access (inline,
    /// attached managed, its groups' policies).
    pub documents: Vec<usize>,
    /// Indices of the documents that bound it: its permissions boundary, service control
    /// policies.
    pub ceilings: Vec<usize>,
    /// Index of its trust policy (roles).
    pub trust: Option<usize>,
    /// The locators of the groups (principals of the same file) it is a member of, whose
    /// policies `documents` holds (users): what a group's policies say alone or together
    /// is reported once, on the group.
    pub groups: Vec<String>,
}
