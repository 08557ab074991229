use super::shared::suggest::{consequence, plausible, trimmed_fix};
use super::{Check, Context, Rule};
use crate::catalogue::{Catalogue, Expansion, has_wildcard, operation_hint, undocumented};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, and_list};
use crate::resolve::ResolvedAction;
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unknown-action",
        severity: Severity::High,
        category: Category::Validity,
        summary: "action values that name no action: misspellings, API operation names, patterns that match nothing, no `service:` prefix",
        doc: include_str!("../../rules/unknown-action.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            let Some(list) = &st.action else { continue };
            for ra in &rs.values {
                // A value unknown until deployment (`${var.actions}`) names nothing that
                // can be checked yet: neither a known nor an unknown action.
                if resolved.doc.unresolved_at(&ra.value.span).is_some() {
                    continue;
                }
                // Known, or used by AWS's own current managed policies although undocumented.
                if matches!(ra.expansion, Expansion::Actions(_)) || undocumented::used_by_aws(&ra.value.value).is_some()
                {
                    continue;
                }
                let Some(draft) = finding(ra, catalogue) else { continue };
                let mut draft = draft.in_statement(st);
                if let Some((span, text)) = consequence(st, rs, list, &ra.value) {
                    draft = draft.also(span, text);
                }
                ctx.report(draft);
            }
        }
    }
}

fn finding(ra: &ResolvedAction, catalogue: &Catalogue) -> Option<Draft> {
    let value = &ra.value.value;
    let span = ra.value.span.clone();
    let draft = match &ra.expansion {
        Expansion::UnknownAction { suggestion } => {
            if let Some(actions) = operation_hint(value) {
                return Some(operation(span, value, actions, catalogue));
            }
            let (service, action) = value.split_once(':').unwrap_or(("", value));
            let prefix = catalogue.find_service(service).map_or(service, |s| catalogue.prefix(s));
            let draft = Draft::new(span, format!("unknown action `{value}`"))
                .label(format!("{prefix} has no action `{action}`"));
            let suggestion = suggestion.as_deref().filter(|s| plausible(action, s.split_once(':').map_or(*s, |x| x.1)));
            match (trimmed_fix(value, catalogue), suggestion) {
                (Some(fix), _) => draft.help(format!("remove the surrounding whitespace: `{fix}`")),
                (None, Some(s)) => draft.help(format!("did you mean `{s}`?")),
                (None, None) => draft
                    .help(format!("write an action {prefix} has; `iamlint expand '{prefix}:*'` lists them"))
                    .note(catalogue_note(catalogue, "an action")),
            }
        }
        Expansion::NoMatch => {
            let service = value.split_once(':').map_or("", |(s, _)| s);
            if has_wildcard(service) {
                Draft::new(span, format!("`{value}` matches no action")).label("matches nothing").help(
                    "write a pattern that matches the actions you mean; `iamlint expand` shows what a pattern matches",
                )
            } else {
                let prefix = catalogue.find_service(service).map_or(service, |s| catalogue.prefix(s));
                Draft::new(span, format!("`{value}` matches no {prefix} action"))
                    .label(format!("matches no {prefix} action"))
                    .help(format!(
                        "write a pattern that matches the actions you mean; `iamlint expand '{prefix}:*'` lists every {prefix} action"
                    ))
                    .note(catalogue_note(catalogue, "an action"))
            }
        }
        Expansion::Malformed(reason) => malformed(span, value, reason),
        Expansion::Actions(_) | Expansion::UnknownService { .. } => return None,
    };
    Some(draft)
}

/// `s3:CreateMultipartUpload`: an API operation that is not an IAM action.
fn operation(span: Span, value: &str, actions: &[String], catalogue: &Catalogue) -> Draft {
    // The pack is checked against the catalogue by its own test; print AWS's spelling.
    let names: Vec<String> =
        actions.iter().map(|a| catalogue.lookup(a).map_or_else(|| a.clone(), |id| catalogue.action_name(id))).collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let (who, help) = match quoted.as_slice() {
        [one] => (format!("{one} authorizes it"), format!("write {one} instead")),
        _ => (
            format!("{} authorize it", and_list(&quoted)),
            format!("write the ones the statement needs instead, among {}", quoted.join(", ")),
        ),
    };
    Draft::new(span, format!("`{value}` is an API operation, not an IAM action: {who}"))
        .label("not an IAM action")
        .help(help)
        .actions(names)
}

/// No `service:` prefix, an empty half, or more than one `:`.
fn malformed(span: Span, value: &str, reason: &str) -> Draft {
    if value.trim().is_empty() {
        return Draft::new(span, "empty action value")
            .label("empty")
            .help("write an action such as `s3:GetObject`, or remove the value");
    }
    let (label, help) = match value.split_once(':') {
        _ if value.starts_with("arn:") => (
            "an ARN, not an action",
            "move the ARN to Resource and write actions such as `s3:GetObject` here".to_string(),
        ),
        None => {
            ("no `service:` prefix", format!("prefix it with its service: `service:{value}`, as in `s3:GetObject`"))
        }
        Some(("", action)) => {
            ("no service prefix", format!("write the service's prefix before the colon: `service:{action}`"))
        }
        Some((service, "")) => (
            "no action after the colon",
            format!("write `{service}:ActionName`, or `{service}:*` for every {service} action"),
        ),
        Some((_, action)) if action.contains(':') => {
            ("more than one `:`", "write one `service:Action` per value".to_string())
        }
        Some(_) => ("not a valid action", "write `service:Action`, such as `s3:GetObject`".to_string()),
    };
    Draft::new(span, reason.to_string()).label(label).help(help)
}

/// A note that the catalogue may be older than the action or service.
fn catalogue_note(catalogue: &Catalogue, what: &str) -> String {
    format!(
        "the catalogue is of {} (`iamlint --version` shows it): {what} launched after that date needs a newer iamlint",
        catalogue.header().data_date
    )
}
