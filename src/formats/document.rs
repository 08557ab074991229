//! Builds a `PolicyDocument` from a format-neutral tree (any adapter's), recording every structural
//! problem IAM would reject instead of stopping at the first one.
//!
//! Grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>

use super::tree::Node;
use crate::policy::*;
use crate::source::{Span, Spanned};

pub struct DocumentOptions {
    pub locator: String,
    /// The kind, when the adapter knows it; otherwise inferred from the statements.
    pub kind: Option<PolicyKind>,
    pub bare_statement: bool,
    pub size: usize,
    pub escape_overhead: usize,
}

const TOP_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];
const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

struct Builder {
    problems: Vec<Problem>,
    statement: Option<usize>,
    /// Unresolved values met so far, in document order.
    unresolved: Vec<Unresolved>,
}

impl Builder {
    /// A string value, or an unresolved one (recorded for the document).
    fn text(&mut self, node: &Node) -> Option<Spanned<String>> {
        match node {
            Node::String(s) => Some(s.clone()),
            Node::Unresolved(u) => {
                self.unresolved.push(u.clone());
                Some(u.value.clone())
            }
            _ => None,
        }
    }

    fn problem(&mut self, span: Span, message: String, label: &str, help: Option<String>) {
        self.problems.push(Problem { span, message, label: label.to_string(), help, statement: self.statement });
    }

    fn wrong_type(&mut self, what: &str, node: &Node, expected: &str) {
        self.problem(
            node.span(),
            format!("{what} is {}, not {expected}", node.type_name()),
            "wrong type",
            Some(format!("write {what} as {expected}")),
        );
    }

    /// Reports keys that appear twice: parsers disagree on which one wins.
    fn duplicate_keys(&mut self, props: &[(Spanned<String>, Node)]) {
        for (i, (key, _)) in props.iter().enumerate() {
            if props[..i].iter().any(|(k, _)| k.value == key.value) {
                self.problem(
                    key.span.clone(),
                    format!("duplicate key `{}`", key.value),
                    "repeated here",
                    Some(format!("merge the two `{}` values into one", key.value)),
                );
            }
        }
    }

    fn unknown_key(&mut self, key: &Spanned<String>, known: &[&str], place: &str) {
        let suggestion = known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(&key.value))
            // Element names are short: a long key is compared with none of them.
            .or_else(|| known.iter().find(|k| key.value.len() <= 64 && strsim::jaro_winkler(k, &key.value) > 0.85))
            .map(|k| format!("did you mean `{k}`? Element names are case-sensitive"))
            .or_else(|| Some(format!("{place} elements are: {}", known.join(", "))));
        self.problem(
            key.span.clone(),
            format!("unknown {place} element `{}`", key.value),
            "IAM rejects this element",
            suggestion,
        );
    }
}

pub fn build(tree: &Node, options: &DocumentOptions) -> PolicyDocument {
    let mut b = Builder { problems: Vec::new(), statement: None, unresolved: Vec::new() };
    let mut doc = PolicyDocument {
        locator: options.locator.clone(),
        kind: options.kind.unwrap_or(PolicyKind::Identity),
        span: tree.span(),
        version: None,
        version_key: None,
        id: None,
        statement_key: None,
        statements: Vec::new(),
        problems: Vec::new(),
        bare_statement: options.bare_statement,
        size: options.size,
        escape_overhead: options.escape_overhead,
        unresolved: Vec::new(),
        expanded_from: None,
    };
    if let (true, Node::Array(items, span)) = (options.bare_statement, tree) {
        // Statements copied out of a policy (`{...},{...}` from a docs page): IAM takes
        // none of them as they are, but they are analysed as the statements of one
        // document, so that what they grant together is judged.
        b.problem(
            span.clone(),
            format!("{} statements separated by commas, not a policy", items.len()),
            "these are statements",
            Some(r#"wrap them in a policy: {"Version": "2012-10-17", "Statement": [ ... ]}"#.into()),
        );
        for (i, item) in items.iter().enumerate() {
            doc.statements.push(statement(&mut b, item, i, &join(&options.locator, &format!("Statement[{i}]"))));
        }
        return finish(doc, b, options);
    }
    let Node::Object(props, span) = tree else {
        b.wrong_type("a policy", tree, "an object");
        doc.problems = b.problems;
        return doc;
    };

    if options.bare_statement {
        b.problem(
            span.clone(),
            "a single statement, not a policy".into(),
            "this is one statement",
            Some(r#"wrap it in a policy: {"Version": "2012-10-17", "Statement": [ ... ]}"#.into()),
        );
        doc.statements.push(statement(&mut b, tree, 0, &join(&options.locator, "Statement")));
    } else {
        b.duplicate_keys(props);
        for (key, value) in props {
            match key.value.as_str() {
                "Version" => {
                    doc.version_key = Some(key.span.clone());
                    match value {
                        Node::String(v) => {
                            if !VERSIONS.contains(&v.value.as_str()) {
                                b.problem(
                                v.span.clone(),
                                format!("invalid Version `{}`", v.value),
                                "not a policy language version",
                                Some(r#"write "Version": "2012-10-17" (the date of the policy language, not of your policy)"#.into()),
                            );
                            }
                            doc.version = Some(v.clone());
                        }
                        other => b.wrong_type("Version", other, "a string"),
                    }
                }
                "Id" => match value {
                    Node::String(v) => doc.id = Some(v.clone()),
                    other => b.wrong_type("Id", other, "a string"),
                },
                "Statement" => {
                    doc.statement_key = Some(key.span.clone());
                    match value {
                        Node::Object(..) => {
                            // A repeated Statement key (reported as a duplicate) keeps
                            // counting, so every statement has its own index.
                            let index = doc.statements.len();
                            doc.statements.push(statement(&mut b, value, index, &join(&options.locator, "Statement")));
                        }
                        Node::Array(items, span) => {
                            if items.is_empty() {
                                b.problem(
                                    span.clone(),
                                    "empty Statement list".into(),
                                    "no statements",
                                    Some("add at least one statement".into()),
                                );
                            }
                            let first = doc.statements.len();
                            for (i, item) in items.iter().enumerate() {
                                let locator = join(&options.locator, &format!("Statement[{i}]"));
                                doc.statements.push(statement(&mut b, item, first + i, &locator));
                            }
                        }
                        other => b.wrong_type("Statement", other, "an object or an array of objects"),
                    }
                }
                _ => b.unknown_key(key, &TOP_KEYS, "policy"),
            }
        }
        if doc.statement_key.is_none() {
            b.problem(
                span.start..span.start + 1,
                "policy has no Statement".into(),
                "this policy",
                Some(r#"add "Statement": [{"Effect": "Allow", "Action": ..., "Resource": ...}]"#.into()),
            );
        }
    }

    finish(doc, b, options)
}

/// What is checked once the statements are known: the kind, and what depends on it.
fn finish(mut doc: PolicyDocument, mut b: Builder, options: &DocumentOptions) -> PolicyDocument {
    if options.kind.is_none() {
        doc.kind = infer_kind(&doc.statements);
    }
    // Checks that depend on the kind, once it is known.
    for st in &doc.statements {
        b.statement = Some(st.index);
        if st.action.is_none() {
            b.problem(
                st.span.start..st.span.start + 1,
                "statement has neither Action nor NotAction".into(),
                "this statement",
                Some(r#"add "Action": ["service:Action", ...]"#.into()),
            );
        }
        if st.resource.is_none() && !matches!(doc.kind, PolicyKind::Trust) {
            b.problem(
                st.span.start..st.span.start + 1,
                "statement has neither Resource nor NotResource".into(),
                "this statement",
                Some(
                    r#"add "Resource": the ARNs the actions apply to ("*" only for actions that take no resource)"#
                        .into(),
                ),
            );
        }
        if st.principal.is_none() && doc.kind.has_principal() {
            b.problem(
                st.span.start..st.span.start + 1,
                format!("statement in a {} policy has no Principal", doc.kind),
                "this statement",
                Some(
                    r#"add "Principal": {"AWS": "arn:aws:iam::ACCOUNT:role/NAME"} (who the statement applies to)"#
                        .into(),
                ),
            );
        }
    }
    doc.problems = b.problems;
    doc.unresolved = b.unresolved;
    doc
}

fn join(base: &str, part: &str) -> String {
    if base.is_empty() { part.to_string() } else { format!("{base}.{part}") }
}

/// A document with a Principal is a resource policy, or a trust policy when it lets
/// someone assume a role.
fn infer_kind(statements: &[Statement]) -> PolicyKind {
    if !statements.iter().any(|s| s.principal.is_some()) {
        return PolicyKind::Identity;
    }
    let assumes = statements.iter().any(|s| {
        s.action.as_ref().is_some_and(|a| {
            !a.negated && a.values.iter().any(|v| v.value.to_ascii_lowercase().starts_with("sts:assumerole"))
        })
    });
    if assumes { PolicyKind::Trust } else { PolicyKind::Resource }
}

fn statement(b: &mut Builder, node: &Node, index: usize, locator: &str) -> Statement {
    b.statement = Some(index);
    let mut st = Statement {
        index,
        locator: locator.to_string(),
        span: node.span(),
        sid: None,
        effect: None,
        action: None,
        resource: None,
        principal: None,
        condition: None,
    };
    let Node::Object(props, span) = node else {
        b.wrong_type("a statement", node, "an object");
        return st;
    };
    b.duplicate_keys(props);
    let mut effect_seen = false;
    for (key, value) in props {
        match key.value.as_str() {
            "Sid" => match value {
                Node::String(s) => st.sid = Some(s.clone()),
                other => b.wrong_type("Sid", other, "a string"),
            },
            "Effect" => {
                effect_seen = true;
                st.effect = effect(b, value);
            }
            "Action" | "NotAction" | "Resource" | "NotResource" => {
                let negated = key.value.starts_with("Not");
                let base = key.value.trim_start_matches("Not");
                let list = value_list(b, key, value, negated);
                let slot = if base == "Action" { &mut st.action } else { &mut st.resource };
                if slot.as_ref().is_some_and(|existing| existing.negated == negated) {
                    // A repeated key (reported as a duplicate): the later value wins, as in
                    // most JSON parsers, so what is analysed is what a deployment would read.
                    *slot = list;
                } else if slot.is_some() {
                    b.problem(
                        key.span.clone(),
                        format!("statement has both {base} and Not{base}"),
                        "second one here",
                        Some(format!("keep either {base} or Not{base}")),
                    );
                } else {
                    *slot = list;
                }
            }
            "Principal" | "NotPrincipal" => {
                let block = principal(b, key, value);
                if st.principal.is_some() {
                    b.problem(
                        key.span.clone(),
                        "statement has both Principal and NotPrincipal".into(),
                        "second one here",
                        Some("keep either Principal or NotPrincipal".into()),
                    );
                } else {
                    st.principal = block;
                }
            }
            "Condition" => st.condition = condition(b, key, value),
            _ => b.unknown_key(key, &STATEMENT_KEYS, "statement"),
        }
    }
    if !effect_seen {
        b.problem(
            span.start..span.start + 1,
            "statement has no Effect".into(),
            "this statement",
            Some(r#"add "Effect": "Allow" or "Effect": "Deny""#.into()),
        );
    }
    st
}

fn effect(b: &mut Builder, value: &Node) -> Option<Spanned<Effect>> {
    let Node::String(s) = value else {
        b.wrong_type("Effect", value, r#""Allow" or "Deny""#);
        return None;
    };
    let effect = match s.value.to_ascii_lowercase().as_str() {
        "allow" => Effect::Allow,
        "deny" => Effect::Deny,
        _ => {
            b.problem(
                s.span.clone(),
                format!("invalid Effect `{}`", s.value),
                "not Allow or Deny",
                Some(r#"write "Allow" or "Deny""#.into()),
            );
            return None;
        }
    };
    if s.value != "Allow" && s.value != "Deny" {
        // IAM is case-sensitive here; analyse it as meant, but report it.
        let fixed = if effect == Effect::Allow { "Allow" } else { "Deny" };
        b.problem(
            s.span.clone(),
            format!("invalid Effect `{}`", s.value),
            "wrong case",
            Some(format!("write \"{fixed}\": IAM compares it case-sensitively")),
        );
    }
    Some(Spanned::new(effect, s.span.clone()))
}

fn strings(b: &mut Builder, what: &str, value: &Node) -> Vec<Spanned<String>> {
    match value {
        Node::String(_) | Node::Unresolved(_) => b.text(value).into_iter().collect(),
        Node::Array(items, span) => {
            if items.is_empty() {
                b.problem(
                    span.clone(),
                    format!("empty {what} list"),
                    "empty",
                    Some(format!("list at least one value in {what}, or remove the element")),
                );
            }
            items
                .iter()
                .filter_map(|item| {
                    let text = b.text(item);
                    if text.is_none() {
                        b.wrong_type(&format!("a value in {what}"), item, "a string");
                    }
                    text
                })
                .collect()
        }
        other => {
            b.wrong_type(what, other, "a string or an array of strings");
            Vec::new()
        }
    }
}

fn value_list(b: &mut Builder, key: &Spanned<String>, value: &Node, negated: bool) -> Option<ValueList> {
    let values = strings(b, &key.value, value);
    Some(ValueList { negated, key_span: key.span.clone(), span: value.span(), values })
}

fn principal(b: &mut Builder, key: &Spanned<String>, value: &Node) -> Option<PrincipalBlock> {
    let principal = match value {
        Node::String(s) if s.value == "*" => Principal::Wildcard(s.span.clone()),
        Node::Object(props, _) => {
            b.duplicate_keys(props);
            let mut entries = Vec::new();
            for (kind, v) in props {
                if !PRINCIPAL_TYPES.contains(&kind.value.as_str()) {
                    b.unknown_key(kind, &PRINCIPAL_TYPES, "principal");
                }
                let values = strings(b, &format!("{}.{}", key.value, kind.value), v);
                for v in &values {
                    if kind.value == "AWS" && v.value != "*" && v.value.contains('*') {
                        b.problem(
                            v.span.clone(),
                            format!("wildcard inside a principal ARN `{}`", v.value),
                            "IAM rejects partial wildcards in principals",
                            Some(r#"name the account or role exactly, or use "*" with an aws:PrincipalArn / aws:PrincipalOrgID condition"#.into()),
                        );
                    }
                }
                entries.push(PrincipalEntry { kind: kind.clone(), values });
            }
            Principal::Map(entries)
        }
        other => {
            b.wrong_type(&key.value, other, r#""*" or an object such as {"AWS": "arn:..."}"#);
            return None;
        }
    };
    Some(PrincipalBlock {
        negated: key.value == "NotPrincipal",
        key_span: key.span.clone(),
        span: value.span(),
        principal,
    })
}

fn condition(b: &mut Builder, key: &Spanned<String>, value: &Node) -> Option<Condition> {
    let Node::Object(ops, span) = value else {
        b.wrong_type("Condition", value, "an object of operators");
        return None;
    };
    b.duplicate_keys(ops);
    let mut operators = Vec::new();
    for (name, body) in ops {
        let Node::Object(entries, _) = body else {
            b.wrong_type(
                &format!("the `{}` condition", name.value),
                body,
                r#"an object such as {"aws:SourceVpc": "vpc-..."}"#,
            );
            continue;
        };
        b.duplicate_keys(entries);
        let mut parsed = Vec::new();
        for (k, v) in entries {
            let values = match v {
                Node::Array(items, span) => {
                    if items.is_empty() {
                        b.problem(
                            span.clone(),
                            format!("empty value list for `{}`", k.value),
                            "empty",
                            Some("list at least one value".into()),
                        );
                    }
                    items
                        .iter()
                        .filter_map(|item| {
                            let text = b.text(item).or_else(|| item.scalar_text());
                            if text.is_none() {
                                b.wrong_type(&format!("a value of `{}`", k.value), item, "a string, number or boolean");
                            }
                            text
                        })
                        .collect()
                }
                other => match b.text(other).or_else(|| other.scalar_text()) {
                    Some(t) => vec![t],
                    None => {
                        b.wrong_type(
                            &format!("the value of `{}`", k.value),
                            other,
                            "a string, number, boolean or an array of them",
                        );
                        Vec::new()
                    }
                },
            };
            parsed.push(ConditionEntry { key: k.clone(), values });
        }
        operators.push(ConditionOperator { name: name.clone(), entries: parsed });
    }
    Some(Condition { key_span: key.span.clone(), span: span.clone(), operators })
}
