use super::{Check, Context, Rule};
use crate::catalogue::{Catalogue, Expansion, has_wildcard, operation_hint};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity, and_list};
use crate::policy::{Effect, Statement, ValueList};
use crate::resolve::{ResolvedAction, ResolvedStatement};
use crate::source::Span;
use crate::source::Spanned;

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
                if matches!(ra.expansion, Expansion::Actions(_)) {
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

/// Whether a suggested name is close enough to the typed one to be worth offering: the
/// catalogue's similarity score favours a shared beginning (`kms:DeleteKey` scores high
/// against `kms:DeleteCustomKeyStore`), so also bound the number of edits.
pub(super) fn plausible(typed: &str, suggested: &str) -> bool {
    let edits = strsim::levenshtein(&typed.to_ascii_lowercase(), &suggested.to_ascii_lowercase());
    edits <= (typed.chars().count() / 3).max(2)
}

/// The value without surrounding whitespace, when that is a catalogue action or pattern.
pub(super) fn trimmed_fix(value: &str, catalogue: &Catalogue) -> Option<String> {
    let trimmed = value.trim();
    if trimmed == value {
        return None;
    }
    matches!(catalogue.expand(trimmed), Expansion::Actions(_)).then(|| trimmed.to_string())
}

/// A note that the catalogue may be older than the action or service.
pub(super) fn catalogue_note(catalogue: &Catalogue, what: &str) -> String {
    format!(
        "the catalogue is of {} (`iamlint --version` shows it): {what} launched after that date needs a newer iamlint",
        catalogue.header().data_date
    )
}

/// What a value that names no action does to its statement, as a label on the Effect
/// (a Deny that blocks nothing) or on the NotAction key (an exclusion that excludes nothing).
pub(super) fn consequence(
    st: &Statement,
    rs: &ResolvedStatement,
    list: &ValueList,
    value: &Spanned<String>,
) -> Option<(Span, String)> {
    let effect = st.effect.as_ref()?;
    let names_nothing = rs.values.iter().all(|v| !matches!(v.expansion, Expansion::Actions(_)));
    match (effect.value, list.negated) {
        (Effect::Allow, false) => None,
        (Effect::Deny, false) if names_nothing => {
            Some((effect.span.clone(), "this Deny protects nothing: none of its actions exists".to_string()))
        }
        (Effect::Deny, false) => {
            Some((effect.span.clone(), format!("this Deny does not block what `{}` was meant to block", value.value)))
        }
        (Effect::Allow, true) => Some((
            list.key_span.clone(),
            format!("`{}` excludes nothing: this Allow still grants what it was meant to leave out", value.value),
        )),
        (Effect::Deny, true) => Some((
            list.key_span.clone(),
            format!("`{}` exempts nothing: this Deny still denies what it was meant to leave out", value.value),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_suggestions_are_a_few_edits_away() {
        assert!(plausible("GetObjects", "GetObject"));
        assert!(plausible("ec", "ec2"));
        assert!(plausible("organisations", "organizations"));
        assert!(plausible("PasRole", "PassRole"));
        assert!(!plausible("DeleteKey", "DeleteCustomKeyStore"));
    }

    #[test]
    fn whitespace_fix_only_when_it_resolves() {
        let c = Catalogue::bundled();
        assert_eq!(trimmed_fix(" s3:GetObject ", c).as_deref(), Some("s3:GetObject"));
        assert_eq!(trimmed_fix("s3:GetObject", c), None);
        assert_eq!(trimmed_fix(" s3:GetObjectz", c), None);
    }
}
