//! Resource-type reach: how a statement's Resource or NotResource meets one resource
//! type (its ARN formats), for rules that ask about a type rather than an action: the
//! roles `iam:PassRole` can pass, the service-linked roles a statement can create, the
//! subnets that fix a launch's VPC. The grant model (`effective.rs`) answers per action
//! on the same ARN matching; this answers per type, naming the values involved.

use crate::catalogue::arn::{covers, may_match};
use crate::catalogue::{Catalogue, ServiceId};
use crate::policy::ValueList;
use crate::source::Spanned;

/// The ARN formats of some of a service's resource types (borrowed from the catalogue).
pub fn formats<'c>(catalogue: &'c Catalogue, service: ServiceId, types: &[&str]) -> Vec<&'c str> {
    types
        .iter()
        .filter_map(|t| catalogue.resource_type(service, t))
        .flat_map(|t| t.arns.iter().map(|a| a.as_ref()))
        .collect()
}

/// How a Resource or NotResource reaches resources of the types.
#[derive(Debug)]
pub enum TypeReach<'s> {
    /// A NotResource that leaves them granted: no listed value covers every one of them.
    AllBut(&'s ValueList),
    /// The Resource values that may name one of them (at least one), in document order.
    Values(Vec<&'s Spanned<String>>),
}

/// How `resource` reaches resources with these ARN formats; `None` when it names none
/// of them (or its NotResource excludes them all).
pub fn reach<'s>(resource: &'s ValueList, formats: &[&str]) -> Option<TypeReach<'s>> {
    if resource.negated {
        // NotResource grants every resource it does not list: the type stays granted
        // unless, for each format, a listed value covers all of it as written.
        let excluded = formats.iter().all(|f| resource.values.iter().any(|v| covers(&v.value, f)));
        return (!excluded).then_some(TypeReach::AllBut(resource));
    }
    let values: Vec<&Spanned<String>> = resource.values.iter().filter(|v| names_type(&v.value, formats)).collect();
    (!values.is_empty()).then_some(TypeReach::Values(values))
}

/// Whether a Resource value may name a resource with one of these ARN formats.
pub fn names_type(value: &str, formats: &[&str]) -> bool {
    formats.iter().any(|f| may_match(value, f))
}
