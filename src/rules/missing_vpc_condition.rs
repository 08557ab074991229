use super::{Check, Context, Rule};
use crate::catalogue::arn;
use crate::catalogue::{ActionId, Catalogue, Expansion, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::packs::pack;
use crate::policy::operator;
use crate::policy::{ConditionEntry, ConditionOperator, Statement, ValueList};
use crate::resolve::types::{self, TypeReach};
use crate::resolve::{Reach, ResolvedStatement, Subject};
use crate::source::Span;
use serde::Deserialize;
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "missing-vpc-condition",
        severity: Severity::Medium,
        category: Category::LeastPrivilege,
        summary: "EC2 actions that place or change network resources allowed in any VPC (no `ec2:Vpc` condition)",
        doc: include_str!("../../rules/missing-vpc-condition.md"),
    },
    check: Check::Subject(check),
};

/// `rules/packs/network-placement.json`: the actions, and the resource types that fix
/// their VPC.
#[derive(Deserialize)]
struct Pack {
    actions: Vec<Placement>,
}

#[derive(Deserialize)]
struct Placement {
    action: String,
    /// Resource types whose VPC is the VPC of the call.
    placed_by: Vec<String>,
    /// The action's resource types that carry `ec2:Vpc`.
    vpc_key_on: Vec<String>,
    /// Other condition keys of a `placed_by` type that fix the VPC (`ec2:VpcID`).
    #[serde(default)]
    keys: Vec<String>,
}

impl Placement {
    /// Whether `ec2:Vpc` is in the request context when the action is authorized on the
    /// resource that fixes its VPC.
    fn has_vpc_key(&self) -> bool {
        self.placed_by.iter().any(|t| self.vpc_key_on.contains(t))
    }
}

fn pack() -> &'static [Placement] {
    static PLACEMENTS: OnceLock<Vec<Placement>> = OnceLock::new();
    PLACEMENTS.get_or_init(|| {
        let pack: Pack = pack!("network-placement.json");
        pack.actions
    })
}

/// A pack action found in the catalogue, with the ARN formats of its `placed_by` types.
struct Placed<'a> {
    entry: &'a Placement,
    id: ActionId,
    formats: Vec<&'a str>,
}

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    let Some(ec2) = catalogue.find_service("ec2") else { return };
    // Looking the pack up parses the ec2 service: only for subjects that grant some of it.
    if !subject.statements().any(|(_, rs)| rs.actions.services().any(|s| s == ec2)) {
        return;
    }
    let placed: Vec<Placed<'_>> = pack()
        .iter()
        .filter_map(|entry| {
            let id = catalogue.lookup(&entry.action)?;
            let placed_by: Vec<&str> = entry.placed_by.iter().map(String::as_str).collect();
            let formats = types::formats(catalogue, ec2, &placed_by);
            Some(Placed { entry, id, formats })
        })
        .collect();
    // A statement full-admin reports is left to it.
    for (st, rs) in subject.judged_statements(catalogue) {
        let Some(resource) = &st.resource else { continue };
        let open: Vec<&Placed<'_>> = placed
            .iter()
            .filter(|p| rs.actions.contains(p.id) && in_any_vpc(st, resource, p))
            .filter(|p| !denied_elsewhere(subject, st, p, catalogue))
            .collect();
        if !open.is_empty() {
            ctx.report(finding(st, rs, resource, &open, catalogue));
        }
    }
}

/// Whether the statement lets the action reach a VPC the policy does not choose. Each
/// action is judged on the resources that fix its VPC: RunInstances authorizes the
/// subnet, so a VPC condition on the subnet statement constrains the whole launch and a
/// statement on images, volumes or network interfaces needs none (VPC policy examples,
/// "Launch instances into a specific VPC").
fn in_any_vpc(st: &Statement, resource: &ValueList, p: &Placed<'_>) -> bool {
    match types::reach(resource, &p.formats) {
        None => return false,
        Some(TypeReach::Values(values)) if values.iter().all(|v| pins(&v.value, &p.entry.placed_by)) => return false,
        Some(_) => {}
    }
    vpc_condition(st, p.entry).is_none()
}

/// Whether a Deny of the document keeps the action out of other VPCs: an unconditional
/// one that removes it or confines it to named resources of the types that fix its VPC
/// (the effective-grant model, asked about those types only), or
/// one that denies it when the VPC is not the chosen one (`"StringNotEquals": {"ec2:Vpc":
/// ...}`, the guard-rail form of the VPC condition).
fn denied_elsewhere(subject: &Subject<'_>, st: &Statement, p: &Placed<'_>, catalogue: &Catalogue) -> bool {
    let types: Vec<&str> = p.entry.placed_by.iter().map(String::as_str).collect();
    let model = subject.grant_on(st, p.id, &types, catalogue);
    if model.is_none_or(|g| g.confined_by.is_some() && g.reach == Reach::Named) {
        return true;
    }
    subject.statements().any(|(deny, drs)| {
        let on_placed = deny.resource.as_ref().is_some_and(|r| r.negated)
            || drs.resources.iter().any(|r| types::names_type(&r.value.value, &p.formats));
        deny.is_deny()
            && drs.actions.contains(p.id)
            && on_placed
            && deny.condition.as_ref().is_some_and(|c| {
                // The Deny must hold for every caller outside the VPC: its only entry is the
                // negated VPC key (another entry, such as a principal tag or MFA, makes it
                // apply to some callers only), with a value that names a VPC
                // (`StringNotLike` `*` matches every VPC and denies nothing).
                let mut entries = c.entries();
                let (Some((op, e)), None) = (entries.next(), entries.next()) else { return false };
                let negated = operator::parse(&op.name.value).is_some_and(|o| o.base.negated);
                let vpc_key = e.key.value.eq_ignore_ascii_case("ec2:Vpc")
                    || p.entry.keys.iter().any(|k| k.eq_ignore_ascii_case(&e.key.value));
                negated && vpc_key && names_vpcs(e)
            })
    })
}

/// `arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc`: an ARN of one of `types` whose
/// id is fixed (`subnet/subnet-*` names none).
fn pins<S: AsRef<str>>(value: &str, types: &[S]) -> bool {
    let Some([_, "ec2", _, _, resource]) = arn::split(value) else { return false };
    resource.split_once('/').is_some_and(|(kind, id)| {
        types.iter().any(|t| t.as_ref() == kind) && !id.is_empty() && !has_wildcard(id) && !id.contains("${")
    })
}

/// The condition entry that fixes the VPC of the action, if any: `ec2:Vpc` (or the
/// pack's other keys, such as `ec2:VpcID`) under a positive operator, with values that
/// name VPCs (`names_vpcs`). `...IfExists` and `ForAllValues:` pass when the key is
/// absent, so on an action whose placed resource does not carry `ec2:Vpc` they constrain
/// nothing. A negated operator alone (`StringNotEquals`) allows every other VPC.
fn vpc_condition<'a>(st: &'a Statement, entry: &Placement) -> Option<&'a ConditionEntry> {
    st.condition.as_ref()?.entries().find_map(|(op, e)| {
        let key = e.key.value.as_str();
        let other = entry.keys.iter().any(|k| k.eq_ignore_ascii_case(key));
        if !(other || key.eq_ignore_ascii_case("ec2:Vpc")) || !(positive(op) && names_vpcs(e)) {
            return None;
        }
        let op = op.name.value.to_ascii_lowercase();
        let absent_passes = op.ends_with("ifexists") || op.starts_with("forallvalues:");
        (!absent_passes || other || entry.has_vpc_key()).then_some(e)
    })
}

/// A known operator that is not negated.
fn positive(op: &ConditionOperator) -> bool {
    operator::parse(&op.name.value).is_some_and(|o| !o.base.negated)
}

/// Whether every value of a VPC entry names VPCs: a VPC id (after `vpc/` in an ARN, and
/// after `vpc-`) that is not only wildcards. `"*"`, `arn:aws:ec2:*:*:vpc/*` and `vpc-*`
/// match every VPC; a value unknown until deployment (`${VpcId}`) is taken to name one.
fn names_vpcs(entry: &ConditionEntry) -> bool {
    !entry.values.is_empty()
        && entry.values.iter().all(|v| {
            let value = v.value.as_str();
            let id = value.rsplit_once(":vpc/").map_or(value, |(_, id)| id);
            let id = id.strip_prefix("vpc-").unwrap_or(id);
            id.contains("${")
                || id.chars().any(|c| c != '*' && c != '?') && (value.contains(":vpc/") || !value.starts_with("arn:"))
        })
}

/// Why an `ec2:Vpc` entry of the statement does not count, for its label.
fn why_not_counted(op: &ConditionOperator, e: &ConditionEntry, names: &[String]) -> String {
    if !positive(op) {
        format!("`{}` allows every other VPC: it keeps nothing in a VPC", op.name.value)
    } else if !names_vpcs(e) {
        "this value matches every VPC: it keeps nothing in a VPC".to_string()
    } else {
        format!(
            "`{}` passes when `ec2:Vpc` is absent, as it is for {}",
            op.name.value,
            if names.len() == 1 { "this action" } else { "these actions" }
        )
    }
}

fn finding(
    st: &Statement,
    rs: &ResolvedStatement,
    resource: &ValueList,
    open: &[&Placed<'_>],
    catalogue: &Catalogue,
) -> Draft {
    let names: Vec<String> = open.iter().map(|p| catalogue.action_name(p.id)).collect();
    let message = match names.as_slice() {
        [one] => format!("`{one}` allowed in any VPC"),
        _ => format!("{} actions that place or change network resources allowed in any VPC", names.len()),
    };
    let grantors = grantors(st, rs, open, &names);
    let wildcard = grantors.iter().any(|g| g.1);
    let (primary, others) = grantors.split_first().map_or((None, &[][..]), |(f, r)| (Some(f), r));
    let mut draft = match primary {
        Some((span, _, label)) => Draft::new(span.clone(), message).label(label.clone()),
        None => Draft::new(st.span.clone(), message).label("this statement"),
    };
    for (span, _, label) in others {
        draft = draft.also(span.clone(), label.clone());
    }
    draft = resource_labels(draft, resource, open);
    if let Some(condition) = &st.condition {
        // An `ec2:Vpc` entry that did not count: negated, matching every VPC, or IfExists
        // on an action without the key.
        let ignored = condition.entries().find(|(_, e)| e.key.value.eq_ignore_ascii_case("ec2:Vpc"));
        draft = match ignored {
            Some((op, e)) => draft.also(e.key.span.clone(), why_not_counted(op, e, &names)),
            None => draft.also(condition.key_span.clone(), "no `ec2:Vpc` key in this condition"),
        };
    }
    draft = draft.help(help(open, &names)).in_statement(st).actions(names.clone());
    if wildcard || names.len() > 1 {
        draft = draft.note(format!("it allows, in any VPC: {}", names.join(", ")));
    }
    draft
}

/// The Action values (or the `NotAction` key) that grant the open actions: span,
/// whether it is a wildcard, label.
fn grantors(
    st: &Statement,
    rs: &ResolvedStatement,
    open: &[&Placed<'_>],
    names: &[String],
) -> Vec<(Span, bool, String)> {
    if let Some(list) = st.action.as_ref().filter(|a| a.negated) {
        return vec![(
            list.key_span.clone(),
            true,
            "`NotAction` grants every action not listed, including these".into(),
        )];
    }
    rs.values
        .iter()
        .filter_map(|v| {
            let Expansion::Actions(set) = &v.expansion else { return None };
            let granted: Vec<(&Placed<'_>, &String)> =
                open.iter().copied().zip(names).filter(|(p, _)| set.contains(p.id)).collect();
            let written = &v.value.value;
            let label = match granted.as_slice() {
                [] => return None,
                [(p, _)] if !has_wildcard(written) => {
                    let key = if p.entry.has_vpc_key() {
                        "ec2:Vpc"
                    } else {
                        p.entry.keys.first().map_or("ec2:Vpc", String::as_str)
                    };
                    let types: Vec<&str> = p.entry.placed_by.iter().map(String::as_str).collect();
                    format!("allowed with no `{key}` condition or specific {}", type_list(&types))
                }
                [(_, one)] => format!("`{written}` includes `{one}`"),
                many => format!("`{written}` includes {} of these actions", many.len()),
            };
            Some((v.value.span.clone(), has_wildcard(written), label))
        })
        .collect()
}

fn resource_labels(mut draft: Draft, resource: &ValueList, open: &[&Placed<'_>]) -> Draft {
    let mut all_types: Vec<&str> = Vec::new();
    for p in open {
        for t in &p.entry.placed_by {
            if !all_types.contains(&t.as_str()) {
                all_types.push(t);
            }
        }
    }
    if resource.negated {
        return draft.also(
            resource.key_span.clone(),
            format!("`NotResource` grants every resource not listed, so any {}", type_list(&all_types)),
        );
    }
    for value in &resource.values {
        let types: Vec<&str> = all_types
            .iter()
            .copied()
            .filter(|t| open.iter().any(|p| p.entry.placed_by.iter().any(|x| x == t) && matches_any(&value.value, p)))
            .collect();
        if types.is_empty() || pins(&value.value, &types) {
            continue;
        }
        let label = if value.value == "*" {
            format!("any resource, so any {}", type_list(&types))
        } else {
            format!("matches any {}", type_list(&types))
        };
        draft = draft.also(value.span.clone(), label);
    }
    draft
}

fn matches_any(value: &str, p: &Placed<'_>) -> bool {
    types::names_type(value, &p.formats)
}

/// `subnet, security group or network interface`.
fn type_list(types: &[&str]) -> String {
    let words: Vec<String> =
        types.iter().map(|t| if *t == "vpc" { "VPC".to_string() } else { t.replace('-', " ") }).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A specific ARN of the resource type, to write in `Resource`.
fn example_arn(kind: &str) -> String {
    let id = match kind {
        "security-group" => "sg-ID",
        "network-interface" => "eni-ID",
        "subnet" => "subnet-ID",
        "vpc" => "vpc-ID",
        _ => "ID",
    };
    format!("arn:aws:ec2:REGION:ACCOUNT:{kind}/{id}")
}

fn help(open: &[&Placed<'_>], names: &[String]) -> String {
    let mut parts = Vec::new();
    let with_key: Vec<&&Placed<'_>> = open.iter().filter(|p| p.entry.has_vpc_key()).collect();
    if let Some(first) = with_key.first() {
        // A subnet fixes the VPC of most calls: show it when it is one of the placed types.
        let kind = if with_key.iter().any(|p| p.entry.placed_by.iter().any(|t| t == "subnet")) {
            "subnet"
        } else {
            first.entry.placed_by.first().map_or("subnet", String::as_str)
        };
        parts.push(format!(
            "add \"Condition\": {{\"StringEquals\": {{\"ec2:Vpc\": \"arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-ID\"}}}}, or \
             name specific resources in \"Resource\" (\"{}\")",
            example_arn(kind)
        ));
    }
    if open.iter().any(|p| p.entry.action.eq_ignore_ascii_case("ec2:RunInstances")) {
        parts.push(
            "for `ec2:RunInstances` only the statement that grants it on subnets needs this: grant images, \
             volumes, key pairs, network interfaces and security groups in a separate statement"
                .to_string(),
        );
    }
    let without: Vec<&str> =
        open.iter().zip(names).filter(|(p, _)| !p.entry.has_vpc_key()).map(|(_, n)| n.as_str()).collect();
    if !without.is_empty() {
        let key = open.iter().find_map(|p| p.entry.keys.first()).map_or("ec2:VpcID", String::as_str);
        parts.push(format!(
            "name the VPC in \"Resource\" (\"{}\") or add an `{key}` condition for {}, which {} no `ec2:Vpc` key",
            example_arn("vpc"),
            without.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and "),
            if without.len() == 1 { "has" } else { "have" }
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_action_is_in_the_catalogue_with_its_resource_types() {
        let catalogue = Catalogue::bundled();
        let ec2 = catalogue.find_service("ec2").expect("ec2 in the catalogue");
        let raw: serde_json::Value = pack!("network-placement.json");
        let entries = raw["actions"].as_array().unwrap();
        assert_eq!(entries.len(), pack().len());
        let mut previous = String::new();
        for (entry, raw) in pack().iter().zip(entries) {
            assert!(
                raw["reference"].as_str().is_some_and(|r| r.starts_with("https://")),
                "{}: reference",
                entry.action
            );
            assert!(entry.action > previous, "{} is out of order", entry.action);
            previous = entry.action.clone();
            let id = catalogue.lookup(&entry.action).unwrap_or_else(|| panic!("{} not in the catalogue", entry.action));
            assert_eq!(catalogue.action_name(id), entry.action, "spelled as AWS does");
            let action = catalogue.action(id);
            let keys_on = |kind: &str| {
                action.resources.iter().find(|r| r.kind == kind).map(|r| r.keys.iter().map(|k| k.to_string()).collect())
            };
            let mut carrying: Vec<&str> = action
                .resources
                .iter()
                .filter(|r| r.keys.iter().any(|k| k == "ec2:Vpc"))
                .map(|r| r.kind.as_ref())
                .collect();
            carrying.sort();
            assert_eq!(carrying, entry.vpc_key_on, "{}: vpc_key_on", entry.action);
            assert!(!entry.placed_by.is_empty(), "{}: placed_by", entry.action);
            for kind in &entry.placed_by {
                let keys: Vec<String> =
                    keys_on(kind).unwrap_or_else(|| panic!("{}: no resource type {kind}", entry.action));
                assert!(catalogue.resource_type(ec2, kind).is_some(), "ec2 has no resource type {kind}");
                for key in &entry.keys {
                    assert!(keys.contains(key), "{}: {kind} does not carry {key}", entry.action);
                }
            }
        }
    }

    #[test]
    fn pinned_resources() {
        let subnet = ["subnet".to_string()];
        assert!(pins("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc", &subnet));
        assert!(pins("arn:aws:ec2:*:*:subnet/subnet-0abc", &subnet));
        assert!(!pins("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-*", &subnet));
        assert!(!pins("arn:aws:ec2:us-east-1:111122223333:subnet/*", &subnet));
        assert!(!pins("arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0abc", &subnet));
        assert!(!pins("*", &subnet));
    }

    #[test]
    fn type_lists_read_naturally() {
        assert_eq!(type_list(&["subnet"]), "subnet");
        assert_eq!(type_list(&["subnet", "vpc", "security-group"]), "subnet, VPC or security group");
    }
}
