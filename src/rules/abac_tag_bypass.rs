use super::{Check, Context, Rule};
use crate::catalogue::arn::star_like;
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue, ServiceId, wildcard_match};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, and_list};
use crate::packs::pack;
use crate::policy::operator::{self, Family, SetQualifier};
use crate::policy::{ConditionEntry, ConditionOperator, Statement};
use crate::resolve::{Grant, Reach, ResolvedStatement, Subject};
use crate::rules::shared::wording;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "abac-tag-bypass",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "access is scoped by a resource tag, but tagging actions of the same service can set that tag on any resource",
        doc: include_str!("../../rules/abac-tag-bypass.md"),
    },
    check: Check::Subject(check),
};

/// An Allow statement's condition entry that scopes access by a resource tag
/// (`"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}`).
struct Scope<'d> {
    entry: &'d ConditionEntry,
    /// The tag key, as written after `ResourceTag/`.
    tag: &'d str,
    /// The scope only requires the tag to be present (`Null` `false`, `StringLike` `*`).
    presence: bool,
    /// The services of which the statement grants other than tagging actions: a statement
    /// that only scopes tagging gives nothing to reach by retagging.
    services: Vec<ServiceId>,
}

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    let scopes = scopes(subject, catalogue);
    if scopes.is_empty() {
        return;
    }
    let wanted = |id: ActionId| {
        scopes.iter().any(|s| s.services.contains(&id.service))
            && catalogue.action_access(id) == AccessLevel::Tagging
            && sets_tags(catalogue.action_short_name(id))
    };
    // A tagging grant on named resources can retag only those.
    for found in subject.statement_grants(catalogue, wanted, |g| g.reach != Reach::Named) {
        let st = found.statement;
        let mut open: Vec<(ActionId, &Grant<'_>)> = Vec::new();
        let mut bypassed: Vec<&Scope<'_>> = Vec::new();
        for (id, grant) in &found.grants {
            let mut reaches = false;
            for scope in scopes.iter().filter(|s| s.services.contains(&id.service)) {
                if limits(st, scope) || denied(subject, *id, scope.tag) {
                    continue;
                }
                reaches = true;
                if !bypassed.iter().any(|b| std::ptr::eq(*b, scope)) {
                    bypassed.push(scope);
                }
            }
            if reaches {
                open.push((*id, grant));
            }
        }
        if !open.is_empty() {
            ctx.report(finding(subject, st, found.resolved, &open, &bypassed, catalogue));
        }
    }
}

/// The tag scopes of the document's granting statements.
fn scopes<'d>(subject: &Subject<'d>, catalogue: &Catalogue) -> Vec<Scope<'d>> {
    let mut out = Vec::new();
    for (st, rs) in subject.granting_statements() {
        let Some(condition) = &st.condition else { continue };
        for (op, entry) in condition.restrictions() {
            let Some((prefix, tag)) = tag_key(&entry.key.value, "ResourceTag") else { continue };
            // Tag keys that start with `aws:` are AWS's own (`aws:cloudformation:stack-name`):
            // no tagging call can set them.
            if crate::policy::is_reserved_tag(tag) {
                continue;
            }
            // `ec2:ResourceTag/team` is a key of ec2 actions only: for the statement's other
            // services it is absent, and the statement grants them nothing.
            let mut services: Vec<ServiceId> = rs
                .actions
                .services()
                .filter(|s| prefix.eq_ignore_ascii_case("aws") || catalogue.prefix(*s).eq_ignore_ascii_case(prefix))
                .filter(|s| grants_beyond_tagging(rs, *s, catalogue))
                .collect();
            // Tags another service sets: a role's (iam) for sts:AssumeRole, an instance's
            // (ec2) for ssm sessions and commands (rules/packs/tag-owners.json).
            let owners: Vec<ServiceId> = services
                .iter()
                .filter_map(|s| tag_owners().get(catalogue.prefix(*s)))
                .flatten()
                .filter_map(|owner| catalogue.find_service(owner))
                .collect();
            for owner in owners {
                if !services.contains(&owner) {
                    services.push(owner);
                }
            }
            if !services.is_empty() {
                out.push(Scope { entry, tag, presence: entry.requires_resource_tag(op), services });
            }
        }
    }
    out
}

/// `rules/packs/tag-owners.json`: service prefix -> the services whose tagging actions set
/// the tags its actions are authorized against.
fn tag_owners() -> &'static HashMap<String, Vec<String>> {
    #[derive(Deserialize)]
    struct Pack {
        owners: HashMap<String, Vec<String>>,
    }
    static OWNERS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    OWNERS.get_or_init(|| {
        let pack: Pack = pack!("tag-owners.json");
        pack.owners
    })
}

/// Whether the statement grants an action of `service` that is not a tagging action.
fn grants_beyond_tagging(rs: &ResolvedStatement, service: ServiceId, catalogue: &Catalogue) -> bool {
    // A whole service (`ec2:*`, NotAction) is known without parsing its actions.
    if rs.actions.has_whole_service(service, catalogue) {
        return true;
    }
    (0..catalogue.action_count(service))
        .map(|i| ActionId { service, index: i as u16 })
        .any(|id| rs.actions.contains(id) && catalogue.action_access(id) != AccessLevel::Tagging)
}

/// `aws:ResourceTag/team` or `ec2:ResourceTag/team` with `kind` `ResourceTag`: the prefix
/// and the tag key (`team`). Condition key names are case-insensitive.
fn tag_key<'k>(key: &'k str, kind: &str) -> Option<(&'k str, &'k str)> {
    let (prefix, rest) = key.split_once(':')?;
    let (name, tag) = rest.split_once('/')?;
    (name.eq_ignore_ascii_case(kind) && !tag.is_empty() && !prefix.is_empty()).then_some((prefix, tag))
}

/// Whether a Tagging-level action can set tags. Removing a tag never brings a resource
/// into a scope that requires the tag with a value (`ec2:DeleteTags`, `iam:UntagRole`,
/// `rds:RemoveTagsFromResource`, `s3:DeleteObjectTagging`): only the actions that add or
/// replace tags are judged (nor the two `List...` actions the catalogue files under
/// Tagging). The catalogue has no field for this; the verbs are AWS's.
fn sets_tags(name: &str) -> bool {
    const REMOVING: [&str; 4] = ["untag", "delete", "remove", "list"];
    let lower = name.to_ascii_lowercase();
    !REMOVING.iter().any(|verb| lower.starts_with(verb))
}

/// Whether the statement's condition keeps it from bringing resources into the scope of
/// `tag`: `aws:ResourceTag/<tag>` with a value (only resources already in that scope),
/// `<service>:CreateAction` (only while a resource is created), `ForAllValues:`
/// `aws:TagKeys` without the tag or `Null` `aws:RequestTag/<tag>` `true` (the request
/// cannot set the tag).
fn limits(st: &Statement, scope: &Scope<'_>) -> bool {
    st.condition.as_ref().is_some_and(|c| c.entries().any(|(op, e)| limit(op, e, scope.tag, scope.presence)))
}

/// Whether one entry limits tagging for the scope of `tag`; `presence` when the scope only
/// requires the tag to be present: then tagging only resources that already carry it
/// (`Null` `false` on the tagging statement) brings nothing new in.
fn limit(op: &ConditionOperator, entry: &ConditionEntry, tag: &str, presence: bool) -> bool {
    let Some(parsed) = operator::parse(&op.name.value) else { return false };
    let key = entry.key.value.as_str();
    if key.to_ascii_lowercase().ends_with(":createaction") {
        return op.requires_key() && !entry.matches_any_value(&op.name.value);
    }
    if let Some((_, t)) = tag_key(key, "ResourceTag")
        && t.eq_ignore_ascii_case(tag)
    {
        if presence && entry.requires_resource_tag(op) {
            return true;
        }
        // `...IfExists` counts: it still holds the principal to its own resources, and is
        // how tag-on-create is written for services without a CreateAction key.
        return !parsed.base.negated
            && parsed.base.family != Family::Null
            && parsed.qualifier != Some(SetQualifier::ForAllValues)
            && !entry.matches_any_value(&op.name.value);
    }
    if let Some((_, t)) = tag_key(key, "RequestTag")
        && t.eq_ignore_ascii_case(tag)
    {
        return parsed.base.family == Family::Null
            && !entry.values.is_empty()
            && entry.values.iter().all(|v| v.value.eq_ignore_ascii_case("true"));
    }
    if key.eq_ignore_ascii_case("aws:TagKeys")
        && parsed.qualifier == Some(SetQualifier::ForAllValues)
        && parsed.base.family == Family::String
    {
        // Every key of the request must match a value (or, negated, match none).
        return names_tag(entry, parsed.base.wildcards, tag) == parsed.base.negated;
    }
    false
}

/// Whether one of the entry's values names `tag` (tag keys compared case-insensitively,
/// as IAM compares the key names they come from).
fn names_tag(entry: &ConditionEntry, wildcards: bool, tag: &str) -> bool {
    entry
        .values
        .iter()
        .any(|v| if wildcards { wildcard_match(&v.value, tag, true) } else { v.value.eq_ignore_ascii_case(tag) })
}

/// Whether an unconditional-but-for-one-entry Deny on every resource keeps `action` from
/// bringing resources into the scope of `tag`: `StringNotEquals` on the same ResourceTag
/// (only resources already in scope), `ForAnyValue:StringEquals` `aws:TagKeys` naming the
/// tag, or `Null` `aws:RequestTag/<tag>` `false` (the tag cannot be set). A Deny with more
/// entries denies only when all hold, so it is not credited.
fn denied(subject: &Subject<'_>, action: ActionId, tag: &str) -> bool {
    denies(subject, action).any(|(d, drs)| deny_guard(d, drs, tag) == Guard::Guards)
}

/// The Deny statements that cover `action`.
fn denies<'s, 'd>(
    subject: &'s Subject<'d>,
    action: ActionId,
) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + 's {
    subject.statements().filter(move |(d, drs)| d.is_deny() && drs.actions.contains(action))
}

/// What a Deny does for one tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Its condition does not mention the tag.
    Unrelated,
    Guards,
    /// It mentions the tag, but does not cover every resource.
    NotEveryResource,
    /// It mentions the tag, but has other entries that must hold too.
    OtherConditions,
    /// It mentions the tag in a form that does not keep it from being set.
    WrongForm,
}

fn deny_guard(d: &Statement, drs: &ResolvedStatement, tag: &str) -> Guard {
    let Some(condition) = &d.condition else { return Guard::Unrelated };
    let Some((op, entry)) = condition.entries().find(|(_, e)| mentions(&e.key.value, tag)) else {
        return Guard::Unrelated;
    };
    if !(d.resource.as_ref().is_some_and(|r| !r.negated) && drs.resources.iter().any(|r| star_like(&r.parsed))) {
        return Guard::NotEveryResource;
    }
    if condition.entries().nth(1).is_some() {
        return Guard::OtherConditions;
    }
    let Some(parsed) = operator::parse(&op.name.value) else { return Guard::WrongForm };
    let key = entry.key.value.as_str();
    let guards = if tag_key(key, "ResourceTag").is_some() {
        parsed.qualifier.is_none()
            && parsed.base.family == Family::String
            && parsed.base.negated
            && !entry.values.is_empty()
    } else if tag_key(key, "RequestTag").is_some() {
        parsed.base.family == Family::Null
            && !entry.values.is_empty()
            && entry.values.iter().all(|v| v.value.eq_ignore_ascii_case("false"))
    } else {
        parsed.qualifier == Some(SetQualifier::ForAnyValue)
            && parsed.base.family == Family::String
            && !parsed.base.negated
            && names_tag(entry, parsed.base.wildcards, tag)
    };
    if guards { Guard::Guards } else { Guard::WrongForm }
}

/// Whether a condition key is about tag `tag` (its ResourceTag or RequestTag key, or
/// `aws:TagKeys`).
fn mentions(key: &str, tag: &str) -> bool {
    key.eq_ignore_ascii_case("aws:TagKeys")
        || [tag_key(key, "ResourceTag"), tag_key(key, "RequestTag")]
            .into_iter()
            .flatten()
            .any(|(_, t)| t.eq_ignore_ascii_case(tag))
}

fn finding(
    subject: &Subject<'_>,
    st: &Statement,
    rs: &ResolvedStatement,
    open: &[(ActionId, &Grant<'_>)],
    bypassed: &[&Scope<'_>],
    catalogue: &Catalogue,
) -> Draft {
    let mut set = ActionSet::new();
    for (id, _) in open {
        set.insert(*id);
    }
    // The tags, each named by the first key that scopes by it.
    let mut keys: Vec<&Scope<'_>> = Vec::new();
    for scope in bypassed {
        if !keys.iter().any(|k| k.tag.eq_ignore_ascii_case(scope.tag)) {
            keys.push(scope);
        }
    }
    let named: Vec<String> = keys.iter().map(|k| format!("`{}`", k.entry.key.value)).collect();
    let what = match open {
        [(id, _)] => format!("`{}`", catalogue.action_name(*id)),
        _ => format!("{} tagging actions", open.len()),
    };
    let message = format!("{what} can retag any resource into the scope of {}", and_list(&named));

    let set = open.iter().fold(ActionSet::new(), |mut set, (id, _)| {
        set.insert(*id);
        set
    });
    let mut labels = wording::grantor_labels(st, rs, &set, catalogue);
    labels.sort_by_key(|(span, _)| span.start);
    let (primary, primary_label) =
        if labels.is_empty() { (st.span.clone(), "this statement".to_string()) } else { labels.remove(0) };
    let mut draft = Draft::new(primary, message).label(primary_label);
    for (span, text) in labels {
        draft = draft.also(span, text);
    }

    let widest = open.iter().map(|(_, g)| *g).max_by_key(|g| g.reach);
    match (widest.and_then(|g| g.resources.first()), st.resource.as_ref()) {
        (Some(value), _) => {
            let text = if value.value == "*" {
                "`*`: every resource can be retagged"
            } else {
                "matches every resource of its type: each can be retagged"
            };
            draft = draft.also(value.span.clone(), text);
        }
        (None, Some(list)) if list.negated => {
            draft = draft.also(list.key_span.clone(), "`NotResource`: every resource it does not list can be retagged");
        }
        _ => {}
    }

    if let Some(condition) = &st.condition {
        for (op, entry) in condition.entries() {
            if let Some(text) = loose_tag_condition(op, entry, &keys) {
                draft = draft.also(entry.key.span.clone(), text);
            }
        }
    }
    for scope in bypassed {
        draft = draft.also(
            scope.entry.key.span.clone(),
            format!("access is scoped by tag `{}`: setting it on a resource brings that resource in scope", scope.tag),
        );
    }

    for (deny, guard) in uncredited_denies(subject, open, &keys) {
        let Some(entry) = deny
            .condition
            .iter()
            .flat_map(|c| c.entries())
            .map(|(_, e)| e)
            .find(|e| keys.iter().any(|k| mentions(&e.key.value, k.tag)))
        else {
            continue;
        };
        let text = match guard {
            Guard::NotEveryResource => "this Deny does not cover every resource: it is not counted as a guard",
            Guard::OtherConditions => {
                "this Deny applies only when its other conditions hold too: it is not counted as a guard"
            }
            _ => "this Deny does not keep the tag from being set: it is not counted as a guard",
        };
        draft = draft.also(entry.key.span.clone(), text);
    }
    draft = draft.help(help(keys[0], open, catalogue));
    if open.len() > 1 {
        draft = draft.note(format!("{} tagging actions: {}", open.len(), wording::by_service(&set, catalogue)));
    }
    draft.in_statement(st).actions(wording::names(&set, catalogue, wording::ACTIONS_CAP))
}

/// The Deny statements that cover an open action and mention a bypassed tag, but do not
/// guard it, each once.
fn uncredited_denies<'d>(
    subject: &Subject<'d>,
    open: &[(ActionId, &Grant<'_>)],
    keys: &[&Scope<'_>],
) -> Vec<(&'d Statement, Guard)> {
    let mut out: Vec<(&Statement, Guard)> = Vec::new();
    for (id, _) in open {
        for (d, drs) in denies(subject, *id) {
            for scope in keys {
                let guard = deny_guard(d, drs, scope.tag);
                if !matches!(guard, Guard::Unrelated | Guard::Guards) && !out.iter().any(|(o, _)| std::ptr::eq(*o, d)) {
                    out.push((d, guard));
                }
            }
        }
    }
    out
}

/// A tag condition of the tagging statement that looks like a limit but is not one for
/// the bypassed tags, and why.
fn loose_tag_condition(op: &ConditionOperator, entry: &ConditionEntry, keys: &[&Scope<'_>]) -> Option<String> {
    let key = entry.key.value.as_str();
    let is_bypassed = |t: &str| keys.iter().any(|k| k.tag.eq_ignore_ascii_case(t));
    if tag_key(key, "RequestTag").is_some_and(|(_, t)| is_bypassed(t)) {
        return Some(format!("`{key}` limits what the request writes, not which resources get it"));
    }
    if let Some((_, t)) = tag_key(key, "ResourceTag").filter(|(_, t)| is_bypassed(t)) {
        return Some(format!("`{}` does not hold the principal to resources already tagged `{t}`", op.name.value));
    }
    if key.eq_ignore_ascii_case("aws:TagKeys") {
        let tags: Vec<String> = keys.iter().map(|k| format!("`{}`", k.tag)).collect();
        return Some(format!("`{}` does not keep {} out of the request", op.name.value, and_list(&tags)));
    }
    None
}

fn help(scope: &Scope<'_>, open: &[(ActionId, &Grant<'_>)], catalogue: &Catalogue) -> String {
    let tag = scope.tag;
    // The scope's own key when it is global or of the tagging service; otherwise the
    // global form (`ssm:resourceTag/team` is no key of ec2:CreateTags).
    let written = &scope.entry.key.value;
    let own = written.split_once(':').is_some_and(|(prefix, _)| {
        prefix.eq_ignore_ascii_case("aws")
            || open.iter().all(|(id, _)| catalogue.prefix(id.service).eq_ignore_ascii_case(prefix))
    });
    let key = if own { written.clone() } else { format!("aws:ResourceTag/{tag}") };
    let value = scope.entry.values.first().map_or("VALUE", |v| v.value.as_str());
    let first = if scope.presence {
        format!(
            "let it retag only resources that already carry `{tag}`: \"Condition\": {{\"Null\": {{\"{key}\": \"false\"}}}}"
        )
    } else {
        format!(
            "let it retag only resources already in scope, and only to the same value: \"Condition\": {{\"StringEquals\": \
             {{\"{key}\": \"{value}\", \"aws:RequestTag/{tag}\": \"{value}\"}}}}"
        )
    };
    let others: Vec<String> = ["Name", "env", "cost-center"]
        .iter()
        .filter(|k| !k.eq_ignore_ascii_case(tag))
        .take(2)
        .map(|k| format!("\"{k}\""))
        .collect();
    let others = others.join(", ");
    let mut help = format!(
        "{first}; or keep `{tag}` out of the tags it may set: {{\"ForAllValues:StringEquals\": {{\"aws:TagKeys\": [{others}]}}}}"
    );
    let mut prefixes: Vec<&str> = open.iter().map(|(id, _)| catalogue.prefix(id.service)).collect();
    prefixes.dedup();
    if prefixes.contains(&"ec2") {
        help.push_str(
            "; or allow tagging only as resources are created: {\"StringEquals\": {\"ec2:CreateAction\": \
             [\"RunInstances\", \"CreateVolume\"]}}",
        );
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    /// The rule's findings on a policy with these statements: (statement index, actions).
    fn run(statements: &str) -> Vec<(usize, Vec<String>)> {
        let findings = testing::run(&RULE, "policy.json", &testing::policy(statements));
        findings.into_iter().map(|f| (f.statement.map_or(usize::MAX, |s| s.index), f.actions)).collect()
    }

    const ABAC: &str = r#"{"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}"#;

    fn with_abac(tagging: &str) -> Vec<(usize, Vec<String>)> {
        run(&format!("{ABAC}, {tagging}"))
    }

    #[test]
    fn tag_owners_are_catalogue_services() {
        let catalogue = Catalogue::bundled();
        for (service, owners) in tag_owners() {
            assert!(catalogue.find_service(service).is_some(), "{service}");
            for owner in owners {
                assert!(catalogue.find_service(owner).is_some(), "{owner}");
            }
        }
    }

    #[test]
    fn tag_keys() {
        assert_eq!(tag_key("aws:ResourceTag/team", "ResourceTag"), Some(("aws", "team")));
        assert_eq!(tag_key("EC2:resourcetag/Team", "ResourceTag"), Some(("EC2", "Team")));
        assert_eq!(tag_key("aws:RequestTag/team", "ResourceTag"), None);
        assert_eq!(tag_key("aws:ResourceTag/", "ResourceTag"), None);
        assert_eq!(tag_key("aws:PrincipalTag/team", "ResourceTag"), None);
    }

    #[test]
    fn removing_tags_is_not_setting_them() {
        for name in ["CreateTags", "TagResource", "AddTagsToResource", "PutBucketTagging", "CreateOrUpdateTags"] {
            assert!(sets_tags(name), "{name}");
        }
        for name in ["DeleteTags", "UntagResource", "UnTagResource", "RemoveTagsFromResource", "DeleteObjectTagging"] {
            assert!(!sets_tags(name), "{name}");
        }
    }

    #[test]
    fn unconditioned_tagging_is_reported() {
        let tagging = r#"{"Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"], "Resource": "*"}"#;
        assert_eq!(with_abac(tagging), [(1, vec!["ec2:CreateTags".to_string()])]);
    }

    #[test]
    fn request_tag_alone_does_not_limit() {
        let tagging = r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                          "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}"#;
        assert_eq!(with_abac(tagging).len(), 1);
    }

    #[test]
    fn a_presence_scope_is_kept_by_tagging_only_tagged_resources() {
        let scope = r#"{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
            "Condition": {"Null": {"aws:ResourceTag/team": "false"}}}"#;
        let open = r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}"#;
        let kept = r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"Null": {"ec2:ResourceTag/team": "false"}}}"#;
        assert_eq!(run(&format!("{scope}, {open}")).len(), 1);
        assert!(run(&format!("{scope}, {kept}")).is_empty());
        // A value scope is not kept that way: a tagged resource can get another value.
        assert_eq!(with_abac(kept).len(), 1);
    }

    #[test]
    fn limits_that_count() {
        for condition in [
            r#"{"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}"#,
            r#"{"StringEqualsIfExists": {"ec2:ResourceTag/TEAM": "${aws:PrincipalTag/team}"}}"#,
            r#"{"StringEquals": {"ec2:CreateAction": "RunInstances"}}"#,
            r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["Name", "env"]}}"#,
            r#"{"ForAllValues:StringLike": {"aws:TagKeys": ["app-*"]}}"#,
            r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}}"#,
            r#"{"Null": {"aws:RequestTag/team": "true"}}"#,
        ] {
            let tagging = format!(
                r#"{{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {condition}}}"#
            );
            assert!(with_abac(&tagging).is_empty(), "{condition}");
        }
    }

    #[test]
    fn limits_that_do_not_count() {
        for condition in [
            r#"{"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}"#,
            r#"{"StringLike": {"aws:ResourceTag/team": "*"}}"#,
            r#"{"StringEquals": {"aws:ResourceTag/project": "blue"}}"#,
            r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["Name"]}}"#,
            r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["Name", "Team"]}}"#,
            r#"{"ForAllValues:StringLike": {"aws:TagKeys": ["*"]}}"#,
            r#"{"StringLike": {"ec2:CreateAction": "*"}}"#,
            r#"{"Bool": {"aws:SecureTransport": "true"}}"#,
        ] {
            let tagging = format!(
                r#"{{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {condition}}}"#
            );
            assert_eq!(with_abac(&tagging).len(), 1, "{condition}");
        }
    }

    #[test]
    fn denies_that_count() {
        let tagging = r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}"#;
        for deny in [
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*"}"#,
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}"#,
            r#"{"Effect": "Deny", "Action": "ec2:*Tags", "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}}"#,
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
                "Condition": {"Null": {"aws:RequestTag/team": "false"}}}"#,
        ] {
            assert!(with_abac(&format!("{tagging}, {deny}")).is_empty(), "{deny}");
        }
        for deny in [
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                              "Bool": {"aws:MultiFactorAuthPresent": "false"}}}"#,
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:volume/*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}}"#,
            r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["project"]}}}"#,
        ] {
            assert_eq!(with_abac(&format!("{tagging}, {deny}")).len(), 1, "{deny}");
        }
    }

    #[test]
    fn what_is_in_scope() {
        // The same statement scopes its own tagging.
        assert!(
            run(r#"{"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:CreateTags"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}"#)
            .is_empty()
        );
        // Tagging of another service than the scoped one.
        assert!(with_abac(r#"{"Effect": "Allow", "Action": "lambda:TagResource", "Resource": "*"}"#).is_empty());
        // A service-specific key scopes its own service only.
        let iam_scoped = r#"{"Effect": "Allow", "Action": ["iam:GetRole", "ec2:StartInstances"], "Resource": "*",
            "Condition": {"StringEquals": {"iam:ResourceTag/team": "a"}}},
            {"Effect": "Allow", "Action": ["ec2:CreateTags", "iam:TagRole"], "Resource": "*"}"#;
        assert_eq!(run(iam_scoped), [(1, vec!["iam:TagRole".to_string()])]);
        // Tags AWS reserves cannot be set by anyone.
        assert!(
            run(r#"{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": "app"}}},
            {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}"#)
            .is_empty()
        );
        // A statement that scopes only tagging gives nothing to reach by retagging.
        assert!(
            run(r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}},
            {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:volume/*"}"#)
            .is_empty()
        );
        // Named resources.
        assert!(
            with_abac(
                r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "arn:aws:ec2:*:*:instance/i-0abc"}"#
            )
            .is_empty()
        );
    }

    #[test]
    fn each_tag_is_judged() {
        let abac = r#"{"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "a", "aws:ResourceTag/project": "b"}}}"#;
        let tagging = r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}"#;
        assert_eq!(run(&format!("{abac}, {tagging}")).len(), 1, "project can still be set");
    }
}
