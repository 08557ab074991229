//! Terraform plan JSON (`terraform show -json plan.out`, and `terraform show -json` of a
//! state): every policy attribute of the resources in `planned_values` (or a state's
//! `values`), in the root module and every child module.
//!
//! The file is parsed with spans (`json::parse`). A policy is a JSON *string* in it, with
//! every quote escaped; its content is unescaped with a map from each byte of the result
//! to its offset in the file (`embedded::unescape_with_map`), and the policy parsed from
//! that text has its spans mapped back through the map: exact, so `"s3:*"` inside the
//! string underlines `\"s3:*\"` in the plan, not the whole string.
//!
//! A policy the plan knows only after apply (`after_unknown`) is reported, never skipped.
//! Principals: roles, users and groups of the plan with their inline policies and their
//! attachments (by name and ARN where the plan knows them, otherwise through the
//! `configuration` section's references), so an escalation split across a role's
//! policies is found.
//! A role's or user's `permissions_boundary` is its ceiling (a managed policy of the plan,
//! or an AWS managed one from the bundled snapshot).

use super::document::{self, DocumentOptions};
use super::embedded::{self, Place};
use super::terraform::{POLICY_ATTRIBUTES, organizations_kind};
use super::tree::Node;
use super::{Adapter, Gap, LoadOptions, Loaded, LoadedFile, SyntaxProblem, aws_managed};
use crate::diagnostic::PrincipalRef;
use crate::policy::{PolicyDocument, PolicyKind, PrincipalPolicies, Problem};
use crate::source::{SourceFile, Span, Spanned};
use memchr::memmem;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub static ADAPTER: Adapter = Adapter { name: "Terraform plan JSON", claims, load };

/// Plan JSON is told by its content: `format_version` with `planned_values` or
/// `resource_changes` (a plan), or `terraform_version` with `values` (a state).
fn claims(_: &Path, text: &str) -> bool {
    let has = |needle: &str| memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
    text.trim_start_matches('\u{feff}').trim_start().starts_with('{')
        && has("\"format_version\"")
        && (has("\"planned_values\"")
            || has("\"resource_changes\"")
            || (has("\"terraform_version\"") && has("\"values\"")))
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match node {
        Node::Object(props, _) => props.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match get(node, key)? {
        Node::String(s) => Some(&s.value),
        _ => None,
    }
}

fn items(node: Option<&Node>) -> &[Node] {
    match node {
        Some(Node::Array(items, _)) => items,
        _ => &[],
    }
}

/// A resource of the plan, as the loader needs it.
struct Resource<'n> {
    address: &'n str,
    /// `module.ci.` for a resource of module `ci` (empty in the root module).
    module: String,
    ty: &'n str,
    values: &'n Node,
}

#[derive(Default)]
struct Holder {
    documents: Vec<usize>,
    /// Its permissions boundary.
    ceilings: Vec<usize>,
    trust: Option<usize>,
    groups: Vec<String>,
    locator: String,
}

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let text = source.text.as_str();
    let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (tree, syntax) = super::json::parse(&text[base..], base);
    let Some(tree) = tree else {
        return Loaded::Policy(LoadedFile::new(source, syntax, Vec::new()));
    };
    let mut loader = Loader {
        text,
        forced: options.kind,
        documents: Vec::new(),
        syntax,
        managed: BTreeMap::new(),
        gaps: Vec::new(),
    };

    let mut resources = Vec::new();
    let planned = get(&tree, "planned_values").or_else(|| get(&tree, "values"));
    if let Some(root) = planned.and_then(|p| get(p, "root_module")) {
        collect(root, &mut resources, 0);
    }
    let mut holders: BTreeMap<(&'static str, String), Holder> = BTreeMap::new();
    for r in &resources {
        loader.resource(r, &mut holders);
    }
    loader.unknown_after_apply(&tree, &resources);
    let config = Config::new(&tree);
    loader.attachments(&resources, &config, &mut holders);
    loader.boundaries(&resources, &config, &mut holders);

    if loader.documents.is_empty() && loader.syntax.is_empty() && loader.gaps.is_empty() {
        return Loaded::NotPolicy("a Terraform plan without IAM policies".into());
    }
    let principals = principals(&holders);
    let mut loaded = LoadedFile::new(source.clone(), loader.syntax, loader.documents);
    loaded.principals = principals;
    loaded.gaps = loader.gaps;
    Loaded::Policy(loaded)
}

/// The managed resources of a module and its child modules (at most 64 deep).
fn collect<'n>(module: &'n Node, out: &mut Vec<Resource<'n>>, depth: usize) {
    let prefix = text(module, "address").map(|a| format!("{a}.")).unwrap_or_default();
    for r in items(get(module, "resources")) {
        if text(r, "mode") == Some("data") {
            continue;
        }
        let (Some(address), Some(ty), Some(values)) = (text(r, "address"), text(r, "type"), get(r, "values")) else {
            continue;
        };
        out.push(Resource { address, module: prefix.clone(), ty, values });
    }
    if depth < 64 {
        for child in items(get(module, "child_modules")) {
            collect(child, out, depth + 1);
        }
    }
}

struct Loader<'t> {
    text: &'t str,
    forced: Option<PolicyKind>,
    documents: Vec<PolicyDocument>,
    syntax: Vec<SyntaxProblem>,
    /// Document of each `aws_iam_policy`, by address and by ARN when known.
    managed: BTreeMap<String, usize>,
    /// What the analysis cannot include (an AWS managed boundary the snapshot does not know).
    gaps: Vec<Gap>,
}

impl Loader<'_> {
    fn resource(&mut self, r: &Resource<'_>, holders: &mut BTreeMap<(&'static str, String), Holder>) {
        let kind_of_org = if r.ty == "aws_organizations_policy" {
            match organizations_kind(text(r.values, "type")) {
                Some(kind) => Some(kind),
                None => return,
            }
        } else {
            None
        };
        let Node::Object(props, _) = r.values else { return };
        for (key, value) in props {
            let known = POLICY_ATTRIBUTES.iter().find(|(t, a, _)| *t == r.ty && *a == key.value).map(|(_, _, k)| *k);
            let Node::String(s) = value else { continue };
            let shaped = s.value.contains("\"Statement\"");
            if known.is_none() && !shaped {
                continue;
            }
            if s.value.trim().is_empty() {
                continue;
            }
            let kind = kind_of_org.or(known);
            let locator = if r.ty == "aws_iam_role" || known.is_none() {
                format!("{}.{}", r.address, key.value)
            } else {
                r.address.to_string()
            };
            let Some(index) = self.policy_string(s, locator, kind) else { continue };
            match (r.ty, key.value.as_str()) {
                ("aws_iam_policy", "policy") => {
                    self.managed.insert(r.address.to_string(), index);
                    if let Some(arn) = text(r.values, "arn") {
                        self.managed.insert(arn.to_string(), index);
                    }
                }
                ("aws_iam_role", "assume_role_policy") => {
                    if let Some(name) = text(r.values, "name") {
                        holder(holders, "role", name, r.address).trust = Some(index);
                    }
                }
                ("aws_iam_role_policy", _) | ("aws_iam_user_policy", _) | ("aws_iam_group_policy", _) => {
                    let kind = &r.ty["aws_iam_".len()..r.ty.len() - "_policy".len()];
                    let kind = match kind {
                        "role" => "role",
                        "user" => "user",
                        _ => "group",
                    };
                    if let Some(name) = text(r.values, kind) {
                        let name = name.rsplit('/').next().unwrap_or(name);
                        holder(holders, kind, name, "").documents.push(index);
                    }
                }
                _ => {}
            }
        }
        if r.ty == "aws_iam_role" {
            for (i, inline) in items(get(r.values, "inline_policy")).iter().enumerate() {
                let Some(Node::String(s)) = get(inline, "policy") else { continue };
                if s.value.trim().is_empty() {
                    continue;
                }
                let locator = format!("{}.inline_policy[{i}]", r.address);
                let Some(index) = self.policy_string(s, locator, Some(PolicyKind::Identity)) else { continue };
                if let Some(name) = text(r.values, "name") {
                    holder(holders, "role", name, r.address).documents.push(index);
                }
            }
        }
    }

    /// A policy held in a JSON string of the plan, spans mapped through its escapes.
    fn policy_string(&mut self, s: &Spanned<String>, locator: String, kind: Option<PolicyKind>) -> Option<usize> {
        let start = s.span.start + 1;
        let end = s.span.end.saturating_sub(1).max(start);
        let raw = self.text.get(start..end)?;
        let (decoded, map) = embedded::unescape_with_map(raw, start)?;
        let parsed = embedded::parse(&decoded, &[], &Place::Mapped(&map), false);
        self.syntax.extend(parsed.syntax);
        let tree = parsed.tree?;
        let options = DocumentOptions {
            locator,
            kind: self.forced.or(kind),
            bare_statement: false,
            size: parsed.size,
            escape_overhead: parsed.escape_overhead,
        };
        self.documents.push(document::build(&tree, &options));
        Some(self.documents.len() - 1)
    }

    /// Policies the plan knows only after apply (they depend on values created by the
    /// apply): reported, since nobody can say yet what they grant.
    fn unknown_after_apply(&mut self, tree: &Node, resources: &[Resource<'_>]) {
        for change in items(get(tree, "resource_changes")) {
            let (Some(address), Some(ty)) = (text(change, "address"), text(change, "type")) else { continue };
            let Some(unknown) = get(change, "change").and_then(|c| get(c, "after_unknown")) else { continue };
            for &(t, attr, kind) in POLICY_ATTRIBUTES {
                if t != ty {
                    continue;
                }
                let Some(Node::Bool(flag)) = get(unknown, attr) else { continue };
                if !flag.value {
                    continue;
                }
                let planned = resources.iter().find(|r| r.address == address);
                if planned.is_some_and(|r| matches!(get(r.values, attr), Some(Node::String(_)))) {
                    continue;
                }
                let locator = if ty == "aws_iam_role" { format!("{address}.{attr}") } else { address.to_string() };
                self.unreadable(
                    flag.span.clone(),
                    locator,
                    kind,
                    format!("policy of `{address}` is known only after apply"),
                );
            }
        }
    }

    fn unreadable(&mut self, span: Span, locator: String, kind: PolicyKind, message: String) {
        let version = Node::Object(
            vec![(
                Spanned::new("Version".to_string(), span.clone()),
                Node::String(Spanned::new("2012-10-17".to_string(), span.clone())),
            )],
            span.clone(),
        );
        let options = DocumentOptions {
            locator,
            kind: self.forced.or(Some(kind)),
            bare_statement: false,
            size: 0,
            escape_overhead: 0,
        };
        let mut doc = document::build(&version, &options);
        doc.problems = vec![Problem {
            span,
            message,
            label: "not analysed".into(),
            help: Some(
                "lint the policy where it is written (the .tf files), or a plan made after the values it depends on exist"
                    .into(),
            ),
            statement: None,
        }];
        self.documents.push(doc);
    }

    /// Managed policy attachments and group memberships.
    fn attachments(
        &self,
        resources: &[Resource<'_>],
        config: &Config<'_>,
        holders: &mut BTreeMap<(&'static str, String), Holder>,
    ) {
        // The name of a role, user or group, by its address (for references).
        let names: BTreeMap<String, &str> = resources
            .iter()
            .filter(|r| matches!(r.ty, "aws_iam_role" | "aws_iam_user" | "aws_iam_group"))
            .filter_map(|r| Some((r.address.to_string(), text(r.values, "name")?)))
            .collect();
        // A value of the plan, or what the configuration says it refers to.
        let named = |r: &Resource<'_>, attr: &str, ty: &str| -> Vec<String> {
            match get(r.values, attr) {
                Some(Node::String(s)) => return vec![s.value.clone()],
                Some(Node::Array(items, _)) if !items.is_empty() => {
                    return items.iter().filter_map(|i| i.scalar_text().map(|s| s.value)).collect();
                }
                _ => {}
            }
            config
                .references(r, attr)
                .into_iter()
                .filter_map(|target| {
                    // `aws_iam_role.ci.name` -> `aws_iam_role.ci` in the resource's module.
                    let name = target.strip_prefix(ty)?.strip_prefix('.')?.split('.').next()?;
                    names.get(&format!("{}{ty}.{name}", r.module)).map(|n| n.to_string())
                })
                .collect()
        };
        let policy = |r: &Resource<'_>| -> Option<usize> {
            if let Some(arn) = text(r.values, "policy_arn")
                && let Some(&i) = self.managed.get(arn)
            {
                return Some(i);
            }
            config.references(r, "policy_arn").into_iter().find_map(|target| {
                let name = target.strip_prefix("aws_iam_policy.")?.split('.').next()?;
                self.managed.get(&format!("{}aws_iam_policy.{name}", r.module)).copied()
            })
        };
        for r in resources {
            match r.ty {
                "aws_iam_role_policy_attachment"
                | "aws_iam_user_policy_attachment"
                | "aws_iam_group_policy_attachment" => {
                    let kind = match r.ty {
                        "aws_iam_role_policy_attachment" => "role",
                        "aws_iam_user_policy_attachment" => "user",
                        _ => "group",
                    };
                    let Some(doc) = policy(r) else { continue };
                    for name in named(r, kind, &format!("aws_iam_{kind}")) {
                        holder(holders, kind, &name, "").documents.push(doc);
                    }
                }
                "aws_iam_policy_attachment" => {
                    let Some(doc) = policy(r) else { continue };
                    for (attr, kind) in [("roles", "role"), ("users", "user"), ("groups", "group")] {
                        for name in named(r, attr, &format!("aws_iam_{kind}")) {
                            holder(holders, kind, &name, "").documents.push(doc);
                        }
                    }
                }
                "aws_iam_role" => {
                    let Some(name) = text(r.values, "name") else { continue };
                    let attached: Vec<usize> = items(get(r.values, "managed_policy_arns"))
                        .iter()
                        .filter_map(|a| a.scalar_text().and_then(|a| self.managed.get(&a.value).copied()))
                        .collect();
                    holder(holders, "role", name, r.address).documents.extend(attached);
                }
                // A group is named by its address, for its members to name it.
                "aws_iam_group" => {
                    if let Some(name) = text(r.values, "name") {
                        holder(holders, "group", name, r.address);
                    }
                }
                "aws_iam_user_group_membership" => {
                    let users = named(r, "user", "aws_iam_user");
                    let groups = named(r, "groups", "aws_iam_group");
                    for user in users {
                        holder(holders, "user", &user, "").groups.extend(groups.iter().cloned());
                    }
                }
                "aws_iam_group_membership" => {
                    let groups = named(r, "group", "aws_iam_group");
                    for user in named(r, "users", "aws_iam_user") {
                        holder(holders, "user", &user, "").groups.extend(groups.iter().cloned());
                    }
                }
                _ => {}
            }
        }
    }

    /// The `permissions_boundary` of each role and user: a customer managed policy of the
    /// plan (by ARN, or through the configuration's reference when the ARN is known only
    /// after apply) or an AWS managed one from the bundled snapshot, spanned on the ARN.
    /// It is the principal's ceiling: what it does not allow is not granted. A policy used
    /// only as a boundary is judged as one (its own grants are not the principal's).
    fn boundaries(
        &mut self,
        resources: &[Resource<'_>],
        config: &Config<'_>,
        holders: &mut BTreeMap<(&'static str, String), Holder>,
    ) {
        let mut bounding = Vec::new();
        for r in resources {
            let kind = match r.ty {
                "aws_iam_role" => "role",
                "aws_iam_user" => "user",
                _ => continue,
            };
            let Some(name) = text(r.values, "name") else { continue };
            let arn = match get(r.values, "permissions_boundary") {
                Some(Node::String(s)) if !s.value.trim().is_empty() => Some(s),
                _ => None,
            };
            let of_plan = arn.and_then(|a| self.managed.get(&a.value).copied()).or_else(|| {
                config.references(r, "permissions_boundary").into_iter().find_map(|target| {
                    let policy = target.strip_prefix("aws_iam_policy.")?.split('.').next()?;
                    self.managed.get(&format!("{}aws_iam_policy.{policy}", r.module)).copied()
                })
            });
            let index = match (of_plan, arn) {
                (Some(i), _) => Some(i),
                (None, Some(arn)) => self.aws_managed(arn, &format!("{}.permissions_boundary", r.address)),
                (None, None) => None,
            };
            if let Some(i) = index {
                holder(holders, kind, name, r.address).ceilings.push(i);
                bounding.push(i);
            }
        }
        let granting: Vec<usize> = holders.values().flat_map(|h| h.documents.iter().copied()).collect();
        for i in bounding {
            if self.forced.is_none() && !granting.contains(&i) {
                self.documents[i].kind = PolicyKind::Boundary;
            }
        }
    }

    /// An AWS managed policy named by its ARN (any partition): its document from the
    /// bundled snapshot, spanned on the ARN's string; one the snapshot does not know is a
    /// gap (`incomplete-analysis`). A customer managed policy the plan does not hold is
    /// not read (the principal is judged without that ceiling: more findings, not fewer).
    fn aws_managed(&mut self, arn: &Spanned<String>, at: &str) -> Option<usize> {
        let (head, name) = arn.value.split_once(":iam::aws:policy/")?;
        if !head.starts_with("arn:") || head[4..].contains(':') || name.is_empty() {
            return None;
        }
        let canonical = format!("arn:aws:iam::aws:policy/{name}");
        match aws_managed::document(&canonical, &arn.span, at, PolicyKind::Boundary) {
            Some((doc, syntax)) => {
                self.syntax.extend(syntax);
                self.documents.push(doc);
                Some(self.documents.len() - 1)
            }
            None => {
                self.gaps.push(Gap {
                    span: arn.span.clone(),
                    locator: at.to_string(),
                    message: format!(
                        "{canonical} is not an AWS managed policy iamlint knows, so the boundary it sets is not analysed"
                    ),
                    label: format!("unknown to the snapshot of {}", crate::catalogue::managed::data_date()),
                    help: "check the name; a policy AWS published after the snapshot needs a newer iamlint".into(),
                });
                None
            }
        }
    }
}

fn holder<'h>(
    holders: &'h mut BTreeMap<(&'static str, String), Holder>,
    kind: &'static str,
    name: &str,
    address: &str,
) -> &'h mut Holder {
    let h = holders.entry((kind, name.to_string())).or_default();
    if h.locator.is_empty() {
        h.locator = address.to_string();
    }
    h
}

fn principals(holders: &BTreeMap<(&'static str, String), Holder>) -> Vec<PrincipalPolicies> {
    let mut out = Vec::new();
    for ((kind, name), h) in holders {
        let mut documents = h.documents.clone();
        if *kind == "user" {
            for g in &h.groups {
                if let Some(group) = holders.get(&("group", g.clone())) {
                    documents.extend(&group.documents);
                }
            }
        }
        documents.sort_unstable();
        documents.dedup();
        if documents.is_empty() && h.trust.is_none() {
            continue;
        }
        let mut ceilings = h.ceilings.clone();
        ceilings.sort_unstable();
        ceilings.dedup();
        // The groups of the plan a user is a member of whose policies it holds: what they
        // grant alone is reported on the group, as for an account dump.
        let mut groups: Vec<String> = Vec::new();
        if *kind == "user" {
            for g in &h.groups {
                let Some(group) = holders.get(&("group", g.clone())) else { continue };
                if !group.documents.is_empty() && !group.locator.is_empty() && !groups.contains(&group.locator) {
                    groups.push(group.locator.clone());
                }
            }
        }
        out.push(PrincipalPolicies {
            principal: PrincipalRef { kind, name: name.clone(), arn: String::new(), locator: h.locator.clone() },
            documents,
            ceilings,
            trust: h.trust,
            groups,
        });
    }
    out
}

/// The plan's `configuration` section: which resources each attribute refers to.
struct Config<'n> {
    /// Resource address (module prefix included) -> its `expressions`.
    expressions: BTreeMap<String, &'n Node>,
}

impl<'n> Config<'n> {
    fn new(tree: &'n Node) -> Config<'n> {
        let mut expressions = BTreeMap::new();
        if let Some(root) = get(tree, "configuration").and_then(|c| get(c, "root_module")) {
            Self::walk(root, String::new(), &mut expressions, 0);
        }
        Config { expressions }
    }

    fn walk(module: &'n Node, prefix: String, out: &mut BTreeMap<String, &'n Node>, depth: usize) {
        for r in items(get(module, "resources")) {
            if let (Some(address), Some(expressions)) = (text(r, "address"), get(r, "expressions")) {
                out.insert(format!("{prefix}{address}"), expressions);
            }
        }
        if depth >= 64 {
            return;
        }
        if let Some(Node::Object(calls, _)) = get(module, "module_calls") {
            for (name, call) in calls {
                if let Some(inner) = get(call, "module") {
                    Self::walk(inner, format!("{prefix}module.{}.", name.value), out, depth + 1);
                }
            }
        }
    }

    /// The references of an attribute (`aws_iam_role.ci.name`, ...), relative to the
    /// resource's module.
    fn references(&self, r: &Resource<'_>, attr: &str) -> Vec<&'n str> {
        // `aws_x.y[0]` and `aws_x.y["k"]` are configured once, as `aws_x.y`.
        let address = match r.address.rfind('[') {
            Some(i) if r.address.ends_with(']') => &r.address[..i],
            _ => r.address,
        };
        let Some(expressions) = self.expressions.get(address) else { return Vec::new() };
        let Some(expr) = get(expressions, attr) else { return Vec::new() };
        let mut out = Vec::new();
        let mut stack = vec![expr];
        while let Some(node) = stack.pop() {
            match node {
                Node::Object(props, _) => {
                    for (k, v) in props {
                        if k.value == "references" {
                            out.extend(items(Some(v)).iter().filter_map(|n| match n {
                                Node::String(s) => Some(s.value.as_str()),
                                _ => None,
                            }));
                        } else {
                            stack.push(v);
                        }
                    }
                }
                Node::Array(items, _) => stack.extend(items),
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_plans_and_states_only() {
        let p = Path::new("x.json");
        assert!(claims(p, r#"{"format_version":"1.2","planned_values":{}}"#));
        assert!(claims(p, r#"{"format_version":"1.0","terraform_version":"1.6.0","values":{}}"#));
        assert!(!claims(p, r#"{"Version":"2012-10-17","Statement":[]}"#));
        assert!(!claims(p, r#"{"format_version":"1.0"}"#));
    }

    #[test]
    fn policy_strings_get_exact_spans() {
        let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"#;
        let text = format!(
            r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"child_modules":[{{"address":"module.ci","resources":[{{"address":"module.ci.aws_iam_policy.deploy","mode":"managed","type":"aws_iam_policy","name":"deploy","values":{{"policy":"{policy}"}}}}]}}]}}}}}}"#
        );
        let source = Arc::new(SourceFile::new("plan.json", text.clone()));
        let Loaded::Policy(f) = load(source, &LoadOptions::default()) else { panic!("policy expected") };
        assert!(f.syntax.is_empty(), "{:?}", f.syntax);
        let doc = &f.documents[0];
        assert_eq!(doc.locator, "module.ci.aws_iam_policy.deploy");
        let action = &doc.statements[0].action.as_ref().unwrap().values[0];
        assert_eq!(action.value, "s3:*");
        assert_eq!(&text[action.span.clone()], r#"\"s3:*\""#);
    }
}
