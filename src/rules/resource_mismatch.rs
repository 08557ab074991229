use super::{Check, Context, Rule};
use crate::catalogue::arn::{Arn, Header, ResourceValue, fits, formats_of_service, parse_resource, star_like};
use crate::catalogue::{ActionId, ActionSet, Catalogue, Expansion, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, and_list};
use crate::policy::Statement;
use crate::resolve::{ResolvedResource, ResolvedStatement};
use crate::rules::shared::wording;
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "resource-mismatch",
        severity: Severity::Medium,
        category: Category::Validity,
        summary: "allowed actions that none of the statement's resources can apply to",
        doc: include_str!("../../rules/resource-mismatch.md"),
    },
    check: Check::Document(check),
};

/// Formats named in a message or label.
const SHOWN_FORMATS: usize = 3;

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            if let Some(draft) = statement(st, rs, catalogue) {
                ctx.report(draft);
            }
        }
    }
}

/// An Action value whose actions fit none of the resources.
struct Mismatch<'a> {
    span: &'a Span,
    written: &'a str,
    /// The literal action, or every action of the wildcard.
    actions: ActionSet,
    literal: Option<ActionId>,
    /// None of its actions has a resource type in the catalogue.
    star_only: bool,
}

fn statement(st: &Statement, rs: &ResolvedStatement, catalogue: &Catalogue) -> Option<Draft> {
    // Deny never grants; NotResource and NotAction name what is left out; a statement
    // with `*` or a value the catalogue cannot read may fit anything.
    if !st.is_allow() {
        return None;
    }
    let list = st.resource.as_ref().filter(|r| !r.negated && !r.values.is_empty())?;
    if st.action.as_ref().is_none_or(|a| a.negated) || !rs.resources.iter().all(decidable) {
        return None;
    }
    let values: Vec<&str> = rs.resources.iter().map(|r| r.value.value.as_str()).collect();
    let mut found: Vec<Mismatch<'_>> = Vec::new();
    for ra in &rs.values {
        let Expansion::Actions(set) = &ra.expansion else { continue };
        let written = ra.value.value.as_str();
        if has_wildcard(written) {
            // A wildcard that fits some of the resources grants what it can there: only
            // one none of whose actions fits is a mistake.
            if set.is_everything(catalogue) || set.iter(catalogue).any(|id| fits_action(id, &values, catalogue)) {
                continue;
            }
            let star_only = set.iter(catalogue).all(|id| catalogue.action(id).resources.is_empty());
            found.push(Mismatch { span: &ra.value.span, written, actions: set.clone(), literal: None, star_only });
        } else if let Some(id) = set.iter(catalogue).next()
            && !fits_action(id, &values, catalogue)
        {
            let star_only = catalogue.action(id).resources.is_empty();
            found.push(Mismatch { span: &ra.value.span, written, actions: set.clone(), literal: Some(id), star_only });
        }
    }
    if found.is_empty() || !rs.resources.iter().all(|r| known_service(r, catalogue)) {
        return None;
    }
    Some(finding(st, list.span.clone(), &found, catalogue))
}

/// A value the catalogue can judge: an ARN without unresolved substitutions, `*` aside
/// (it fits everything, so a statement with it has no mismatch).
fn decidable(r: &ResolvedResource) -> bool {
    matches!(&r.parsed, ResourceValue::Arn(arn) if arn.decidable)
}

/// Whether the value's service is one the catalogue has ARN formats for: an ARN of a
/// service it knows no resource type of (`applicationinsights`) may be what an action
/// really takes.
fn known_service(r: &ResolvedResource, catalogue: &Catalogue) -> bool {
    let ResourceValue::Arn(arn) = &r.parsed else { return false };
    match arn.field(Arn::SERVICE) {
        Some(f) if f.kind == crate::catalogue::arn::FieldKind::Literal => {
            !formats_of_service(catalogue, &f.text).is_empty()
        }
        _ => true,
    }
}

/// Whether one of the values can name a resource the action applies to. An action
/// with no resource type takes only `"Resource": "*"`; a value whose resource part is
/// all `*` (`arn:aws:ec2:*:*:*`) is given the benefit of the doubt.
fn fits_action(id: ActionId, values: &[&str], catalogue: &Catalogue) -> bool {
    let action = catalogue.action(id);
    if action.resources.is_empty() {
        return values.iter().any(|v| star_like(&parse_resource(v)));
    }
    action.resources.iter().any(|r| {
        catalogue
            .resource_type(id.service, &r.kind)
            .is_none_or(|t| t.arns.iter().any(|f| values.iter().any(|v| fits(v, f, Header::Loose))))
    })
}

fn quoted_formats(formats: &[&str]) -> String {
    if formats.is_empty() {
        return "only `*`".into();
    }
    let mut shown: Vec<String> = formats.iter().take(SHOWN_FORMATS).map(|f| format!("`{f}`")).collect();
    if formats.len() > SHOWN_FORMATS {
        shown.push(format!("{} more", formats.len() - SHOWN_FORMATS));
    }
    shown.join(", ")
}

fn finding(st: &Statement, span: Span, found: &[Mismatch<'_>], catalogue: &Catalogue) -> Draft {
    let mut all = ActionSet::new();
    for m in found {
        all.union_with(&m.actions);
    }
    let names: Vec<String> = found.iter().map(|m| format!("`{}`", m.written)).collect();
    let literal_formats: Vec<&str> = {
        let mut out: Vec<&str> = Vec::new();
        for m in found {
            for f in m.literal.map(|id| catalogue.action_formats(id)).unwrap_or_default() {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    };
    let star_only = found.iter().all(|m| m.star_only);
    let all_literal = found.iter().all(|m| m.literal.is_some());
    let message = match (found, all_literal && found.len() <= 3) {
        ([_], true) if star_only => {
            format!("{} takes only `\"Resource\": \"*\"`, not these resources", names[0])
        }
        ([_], true) => {
            format!("{} applies to none of these resources: it takes {}", names[0], quoted_formats(&literal_formats))
        }
        (_, true) if star_only => format!("{} take only `\"Resource\": \"*\"`, not these resources", and_list(&names)),
        (_, true) => {
            format!(
                "{} apply to none of these resources: they take {}",
                and_list(&names),
                quoted_formats(&literal_formats)
            )
        }
        ([_], false) => format!("no action of {} applies to these resources", names[0]),
        _ => format!("{} action values apply to none of these resources", found.len()),
    };
    let count = all.len(catalogue);
    let label = if count == 1 {
        format!("none of these fits {}", names[0])
    } else {
        format!("none of these fits {count} of the actions")
    };
    let mut draft = Draft::new(span, message).label(label);
    for m in found {
        let text = match m.literal {
            Some(id) => {
                let types: Vec<String> =
                    catalogue.action(id).resources.iter().map(|r| format!("`{}`", r.kind)).collect();
                if types.is_empty() {
                    "does not support resource-level permissions".to_string()
                } else {
                    format!("applies to {} resources", and_list(&types).replace(" and ", " or "))
                }
            }
            None => format!("{} actions, none of which fits these resources", m.actions.len(catalogue)),
        };
        draft = draft.also(m.span.clone(), text);
    }
    let help = if star_only {
        "move these actions to a statement with \"Resource\": \"*\": they do not support resource-level permissions"
            .to_string()
    } else {
        "add the ARNs these actions take to \"Resource\" (or move the actions to a statement that names them), \
         or remove the actions if they are not needed"
            .to_string()
    };
    draft = draft.help(help).in_statement(st).actions(wording::names(&all, catalogue, 50));
    if found.iter().any(|m| m.literal.is_none()) || count > 3 {
        draft = draft.note(format!("mismatched: {}", wording::describe(&all, catalogue)));
    }
    if star_only {
        // The reference lists no resource type for these actions; AWS adds resource-level
        // support to old actions now and then, so this is the catalogue's word, not a fact.
        draft = draft.severity(Severity::Low).note(format!(
            "the Service Authorization Reference of {} lists no resource type for {}: IAM then matches only \
             `\"Resource\": \"*\"`; if AWS has since added resource-level permissions, this finding is out of date",
            catalogue.header().data_date,
            if count == 1 { "this action" } else { "these actions" }
        ));
    }
    draft
}
