use super::{Context, Rule};
use crate::report::{Draft, Severity};

pub static RULE: Rule = Rule {
    id: "full-admin",
    severity: Severity::Critical,
    summary: "Allow of every action on every resource without a condition: full administrator access",
    doc: include_str!("../../rules/full-admin.md"),
    check,
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let totals = ctx.catalogue.header().totals;
    for resolved in documents {
        let doc = &resolved.doc;
        for st in &doc.statements {
            if !st.is_allow() || st.is_conditional() || !doc.grants_access(st) {
                continue;
            }
            let Some(action) = st.action.as_ref().filter(|a| !a.negated) else { continue };
            let Some(resource) = st.resource.as_ref().filter(|r| !r.negated) else { continue };
            let Some(every_action) = action.values.iter().find(|v| v.value == "*" || v.value == "*:*") else {
                continue;
            };
            let Some(every_resource) = resource.values.iter().find(|v| v.value == "*") else { continue };
            let draft = Draft::new(
                every_action.span.clone(),
                format!("`{}` allowed on every resource: full administrator access", every_action.value),
            )
            .label("every action of every service")
            .also(every_resource.span.clone(), "on every resource")
            .help(
                "list the specific actions the workload needs, on its own resources (e.g. \"s3:GetObject\" on \
                 \"arn:aws:s3:::my-bucket/*\"); keep AdministratorAccess for break-glass roles, with a condition \
                 such as \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}",
            )
            .note(format!(
                "grants every action of every service: {} actions of {} services, including every IAM action, so \
                 the holder can also grant itself anything it lacks",
                thousands(totals.actions),
                thousands(totals.services)
            ))
            .in_statement(st);
            ctx.report(draft);
        }
    }
}

/// `22218` -> `22,218`.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(412), "412");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22218), "22,218");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
