use super::shared::suggest::{consequence, plausible, trimmed_fix};
use super::{Check, Context, Rule};
use crate::catalogue::{Expansion, has_wildcard, undocumented};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unknown-service",
        severity: Severity::High,
        category: Category::Validity,
        summary: "action values whose service prefix names no AWS service, with a did-you-mean",
        doc: include_str!("../../rules/unknown-service.md"),
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
                let Expansion::UnknownService { service, suggestion } = &ra.expansion else { continue };
                let value = &ra.value.value;
                // Used by AWS's own current managed policies, undocumented: not unknown.
                if undocumented::used_by_aws(value).is_some() {
                    continue;
                }
                if let Some(retired) = undocumented::retired(service) {
                    let when = retired.end_of_support.as_ref().map_or(
                        format!("not in the Service Authorization Reference since {}", retired.absent_since),
                        |d| format!("end of support {d}"),
                    );
                    ctx.report(
                        Draft::new(ra.value.span.clone(), format!("`{value}` grants nothing: the service is retired"))
                            .label(format!("{} ({service}): {when}", retired.name))
                            .help("remove it: no request is authorized against a retired service")
                            .note(format!("see {}", retired.reference))
                            .severity(Severity::Low)
                            .in_statement(st),
                    );
                    continue;
                }
                let action = value.split_once(':').map_or("", |(_, a)| a);
                let mut draft =
                    Draft::new(ra.value.span.clone(), format!("unknown service prefix `{service}` in `{value}`"))
                        .in_statement(st);
                let suggestion = suggestion.as_deref().filter(|s| plausible(service, s));
                draft = match (trimmed_fix(value, catalogue), suggestion) {
                    (Some(fix), _) => draft
                        .label(format!("`{service}` has surrounding whitespace"))
                        .help(format!("remove the surrounding whitespace: `{fix}`")),
                    (None, Some(s)) => {
                        let fixed = format!("{s}:{action}");
                        // A literal action is checked under the suggested prefix too; a pattern
                        // is left to `unknown-action` once the prefix is fixed.
                        let exists = has_wildcard(action) || catalogue.lookup(&fixed).is_some();
                        let draft = draft.label(format!("no AWS service has the prefix `{service}`"));
                        if exists {
                            draft.help(format!("did you mean `{fixed}`?"))
                        } else {
                            draft.help(format!(
                                "did you mean the service `{s}`? it has no action `{action}` either: `iamlint expand '{s}:*'` lists its actions"
                            ))
                        }
                    }
                    (None, None) => draft
                        .label(format!("not a service prefix in the catalogue of {}", catalogue.header().data_date))
                        .help("write the prefix the Service Authorization Reference gives for the service")
                        .note("`iamlint --version` shows the catalogue's date: a service launched after it needs a newer iamlint"),
                };
                if let Some((span, text)) = consequence(st, rs, list, &ra.value) {
                    draft = draft.also(span, text);
                }
                ctx.report(draft);
            }
        }
    }
}
