//! Account authorization dumps: `aws iam get-account-authorization-details > dump.json`,
//! one object, or a JSON array of the pages a paginating script saved.
//!
//! Every user, group and role is a principal judged with all its policies together:
//! a user with its inline policies, its attached managed policies and each of its groups'
//! inline and attached policies; a group with its own; a role with its inline and attached
//! policies and its trust policy (`AssumeRolePolicyDocument`, checked by the trust rules).
//! A permissions boundary is a ceiling. A managed policy is read at its default version
//! (`IsDefaultVersion`, else `DefaultVersionId`) and appears once among the documents,
//! whoever it is attached to, so what it says alone is reported once, on the policy.
//!
//! An attached AWS managed policy the dump does not hold (`--filter` without
//! `AWSManagedPolicy`) is taken from the bundled snapshot (`catalogue::managed`); its
//! values are underlined at the attachment's `PolicyArn`. Any other policy, group or
//! boundary a principal names that the dump does not hold is a gap (`incomplete-analysis`).
//!
//! Documents may be objects, JSON strings or URL-encoded strings (as the IAM API returns
//! them): spans map back onto the string exactly (`cli_output::document_at`).
//!
//! Locators name each level by its index and its name, as the console shows it:
//! `RoleDetailList[1](github-deploy).RolePolicyList[0](deploy).PolicyDocument`,
//! `Policies[3](DeployPolicy).PolicyVersionList[0](v2).Document`,
//! `GroupDetailList[1](ops).AttachedManagedPolicies[0](AdministratorAccess)` (an AWS managed
//! policy from the snapshot), with `[i].` in front for the page of a paginated dump.
//! The copies of a role's trust policy inside `InstanceProfileList` are not read again.

use super::aws_managed;
use super::cli_output::{document_at, get, is_policy, top_keys};
use super::json;
use super::tree::Node;
use super::{Adapter, Gap, LoadOptions, Loaded, LoadedFile, SyntaxProblem};
use crate::diagnostic::PrincipalRef;
use crate::policy::{PolicyDocument, PolicyKind, PrincipalPolicies};
use crate::source::{SourceFile, Span};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

pub static ADAPTER: Adapter = Adapter { name: "account authorization dump", claims, load };

/// The lists of an account authorization dump.
const DUMP_KEYS: [&str; 3] = ["UserDetailList", "GroupDetailList", "RoleDetailList"];

/// Claims an object (or an array of objects) whose top-level keys are a dump's.
fn claims(_: &Path, text: &str) -> bool {
    let Some((_, keys)) = top_keys(text) else { return false };
    !is_policy(&keys) && keys.iter().any(|k| DUMP_KEYS.contains(k))
}

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let text = source.text.as_str();
    let base = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    // The dump's own fields are read with serde_json, keeping only what principals need
    // (no tags, instance profiles, last-used records); each policy document is parsed with
    // spans. A dump serde_json rejects is read again by the span-keeping parser, which
    // reports its syntax problems.
    let (tree, syntax) = match pruned(&text[base..], text) {
        Some(tree) => (tree, Vec::new()),
        None => match json::parse(&text[base..], base) {
            (Some(tree), syntax) => (tree, syntax),
            (None, syntax) => return Loaded::Policy(LoadedFile::new(source, syntax, Vec::new())),
        },
    };
    Loaded::Policy(read(source.clone(), &tree, syntax, options))
}

/// The principals and documents of a dump's tree.
fn read(source: Arc<SourceFile>, tree: &Node, syntax: Vec<SyntaxProblem>, options: &LoadOptions) -> LoadedFile {
    let text = source.text.as_str();
    let pages: Vec<(String, &Node)> = match tree {
        Node::Array(items, _) => items.iter().enumerate().map(|(i, page)| (format!("[{i}]."), page)).collect(),
        page => vec![(String::new(), page)],
    };
    let mut dump = Dump { text, forced: options.kind, documents: Vec::new(), syntax, gaps: Vec::new() };
    let policies = dump.managed_policies(&pages);
    let mut attach = Attach { policies, snapshot: HashMap::new() };
    let groups = dump.groups(&pages, &mut attach);
    let mut principals: Vec<PrincipalPolicies> = groups.iter().map(|g| g.principal.clone()).collect();
    let by_name: HashMap<&str, &Group> = groups.iter().map(|g| (g.name.as_str(), g)).collect();
    principals.extend(dump.users(&pages, &mut attach, &by_name));
    principals.extend(dump.roles(&pages, &mut attach));
    let Dump { mut documents, mut syntax, gaps, .. } = dump;
    // A managed policy used only as a boundary is a boundary, not a grant.
    let granting: HashSet<usize> = principals.iter().flat_map(|p| p.documents.iter().copied()).collect();
    for i in principals.iter().flat_map(|p| p.ceilings.iter().copied()) {
        if !granting.contains(&i) && options.kind.is_none() {
            documents[i].kind = PolicyKind::Boundary;
        }
    }
    syntax.sort_by_key(|p| (p.span.start, p.span.end));
    let mut loaded = LoadedFile::new(source, syntax, documents);
    loaded.principals = principals;
    loaded.gaps = gaps;
    loaded.whole_account = true;
    loaded
}

struct Dump<'t> {
    text: &'t str,
    forced: Option<PolicyKind>,
    documents: Vec<PolicyDocument>,
    syntax: Vec<SyntaxProblem>,
    gaps: Vec<Gap>,
}

/// A managed policy of the dump: its default version's document, if it has one.
struct Managed {
    document: Option<usize>,
}

/// How attachments find their documents.
struct Attach {
    /// By ARN: the dump's managed policies.
    policies: HashMap<String, Managed>,
    /// By ARN: AWS managed policies taken from the snapshot, added on first use.
    snapshot: HashMap<String, usize>,
}

struct Group {
    name: String,
    principal: PrincipalPolicies,
}

fn items<'n>(node: &'n Node, key: &str) -> &'n [Node] {
    match get(node, key) {
        Some(Node::Array(items, _)) => items,
        _ => &[],
    }
}

fn string<'n>(node: &'n Node, key: &str) -> Option<(&'n str, Span)> {
    match get(node, key) {
        Some(Node::String(s)) => Some((s.value.as_str(), s.span.clone())),
        _ => None,
    }
}

fn name_of(node: &Node, key: &str) -> String {
    string(node, key).map(|(s, _)| s.to_string()).unwrap_or_default()
}

impl Dump<'_> {
    fn document(&mut self, node: &Node, locator: String, kind: PolicyKind) -> Option<usize> {
        let kind = self.forced.or(Some(kind));
        let document = document_at(self.text, node, locator, kind, &mut self.syntax)?;
        self.documents.push(document);
        Some(self.documents.len() - 1)
    }

    fn gap(&mut self, span: Span, locator: String, message: String, label: &str, help: &str) {
        self.gaps.push(Gap { span, locator, message, label: label.into(), help: help.into() });
    }

    /// Every page's `Policies`, at their default version.
    fn managed_policies(&mut self, pages: &[(String, &Node)]) -> HashMap<String, Managed> {
        let mut policies = HashMap::new();
        for (prefix, page) in pages {
            for (j, policy) in items(page, "Policies").iter().enumerate() {
                let Some((arn, arn_span)) = string(policy, "Arn") else { continue };
                let name = name_of(policy, "PolicyName");
                let default = string(policy, "DefaultVersionId").map(|(v, _)| v);
                let versions = items(policy, "PolicyVersionList");
                let is_default = |v: &Node| match get(v, "IsDefaultVersion") {
                    Some(Node::Bool(b)) => b.value,
                    _ => default.is_some() && string(v, "VersionId").map(|(id, _)| id) == default,
                };
                let locator = format!("{prefix}Policies[{j}]({name})");
                let found = versions.iter().enumerate().find(|(_, v)| is_default(v));
                let document = match found.and_then(|(k, v)| Some((k, v, get(v, "Document")?))) {
                    Some((k, version, node)) => {
                        let id = name_of(version, "VersionId");
                        self.document(
                            node,
                            format!("{locator}.PolicyVersionList[{k}]({id}).Document"),
                            PolicyKind::Identity,
                        )
                    }
                    None => None,
                };
                if document.is_none() {
                    self.gap(
                        arn_span,
                        locator.clone(),
                        format!("managed policy {name} has no default version document in the dump"),
                        "its default version's document is missing",
                        "save the dump with `aws iam get-account-authorization-details`, which lists every version \
                         of each policy with its Document",
                    );
                }
                policies.insert(arn.to_string(), Managed { document });
            }
        }
        policies
    }

    /// The documents of a principal's `AttachedManagedPolicies`.
    fn attached(&mut self, node: &Node, locator: &str, who: &str, attach: &mut Attach) -> Vec<usize> {
        let mut documents = Vec::new();
        for (k, attachment) in items(node, "AttachedManagedPolicies").iter().enumerate() {
            let Some((arn, span)) = string(attachment, "PolicyArn") else { continue };
            let name = name_of(attachment, "PolicyName");
            let at = format!("{locator}.AttachedManagedPolicies[{k}]({name})");
            if let Some(i) = self.managed(arn, span, &at, who, attach) {
                documents.push(i);
            }
        }
        documents
    }

    /// The document of a managed policy a principal names (attached, or as its boundary):
    /// the dump's, else the snapshot's for an AWS managed policy, else a gap.
    fn managed(&mut self, arn: &str, span: Span, at: &str, who: &str, attach: &mut Attach) -> Option<usize> {
        if let Some(managed) = attach.policies.get(arn) {
            // A policy without its document was reported where the dump lists it.
            return managed.document;
        }
        if let Some(&i) = attach.snapshot.get(arn) {
            return Some(i);
        }
        let kind = self.forced.unwrap_or(PolicyKind::Identity);
        if let Some((doc, syntax)) = aws_managed::document(arn, &span, at, kind) {
            self.syntax.extend(syntax);
            self.documents.push(doc);
            attach.snapshot.insert(arn.to_string(), self.documents.len() - 1);
            return Some(self.documents.len() - 1);
        }
        let aws = arn.contains(":iam::aws:policy/");
        self.gap(
            span,
            at.to_string(),
            format!("{who}: policy {arn} is not in the dump, so what it grants is not analysed"),
            if aws {
                "an AWS managed policy the bundled snapshot does not know either"
            } else {
                "the dump holds no document for this policy"
            },
            "save the whole account: `aws iam get-account-authorization-details` without `--filter` (or with \
             `LocalManagedPolicy` and `AWSManagedPolicy` among the filters)",
        );
        None
    }

    /// Inline policies: `list` of `{PolicyName, PolicyDocument}`.
    fn inline(&mut self, node: &Node, list: &str, locator: &str) -> Vec<usize> {
        let mut documents = Vec::new();
        for (k, policy) in items(node, list).iter().enumerate() {
            let Some(doc) = get(policy, "PolicyDocument") else { continue };
            let name = name_of(policy, "PolicyName");
            let at = format!("{locator}.{list}[{k}]({name}).PolicyDocument");
            documents.extend(self.document(doc, at, PolicyKind::Identity));
        }
        documents
    }

    fn boundary(&mut self, node: &Node, locator: &str, who: &str, attach: &mut Attach) -> Vec<usize> {
        let Some(boundary) = get(node, "PermissionsBoundary") else { return Vec::new() };
        let Some((arn, span)) = string(boundary, "PermissionsBoundaryArn") else { return Vec::new() };
        let at = format!("{locator}.PermissionsBoundary");
        self.managed(arn, span, &at, who, attach).into_iter().collect()
    }

    fn groups(&mut self, pages: &[(String, &Node)], attach: &mut Attach) -> Vec<Group> {
        let mut groups = Vec::new();
        for (prefix, page) in pages {
            for (i, group) in items(page, "GroupDetailList").iter().enumerate() {
                let name = name_of(group, "GroupName");
                let locator = format!("{prefix}GroupDetailList[{i}]({name})");
                let who = format!("group {name}");
                let mut documents = self.inline(group, "GroupPolicyList", &locator);
                documents.extend(self.attached(group, &locator, &who, attach));
                let principal = principal("group", &name, group, &locator);
                groups.push(Group {
                    name,
                    principal: PrincipalPolicies { principal, documents, ceilings: Vec::new(), trust: None },
                });
            }
        }
        groups
    }

    fn users(
        &mut self,
        pages: &[(String, &Node)],
        attach: &mut Attach,
        groups: &HashMap<&str, &Group>,
    ) -> Vec<PrincipalPolicies> {
        let mut users = Vec::new();
        for (prefix, page) in pages {
            for (i, user) in items(page, "UserDetailList").iter().enumerate() {
                let name = name_of(user, "UserName");
                let locator = format!("{prefix}UserDetailList[{i}]({name})");
                let who = format!("user {name}");
                let mut documents = self.inline(user, "UserPolicyList", &locator);
                documents.extend(self.attached(user, &locator, &who, attach));
                for (k, member) in items(user, "GroupList").iter().enumerate() {
                    let Node::String(group) = member else { continue };
                    match groups.get(group.value.as_str()) {
                        Some(g) => documents.extend(g.principal.documents.iter().copied()),
                        None => self.gap(
                            group.span.clone(),
                            format!("{locator}.GroupList[{k}]"),
                            format!(
                                "{who}: group {} is not in the dump, so what it grants is not analysed",
                                group.value
                            ),
                            "the dump holds no GroupDetailList entry for this group",
                            "save the whole account: `aws iam get-account-authorization-details` without `--filter` \
                             (or with `Group` among the filters)",
                        ),
                    }
                }
                dedup(&mut documents);
                let ceilings = self.boundary(user, &locator, &who, attach);
                let principal = principal("user", &name, user, &locator);
                users.push(PrincipalPolicies { principal, documents, ceilings, trust: None });
            }
        }
        users
    }

    fn roles(&mut self, pages: &[(String, &Node)], attach: &mut Attach) -> Vec<PrincipalPolicies> {
        let mut roles = Vec::new();
        for (prefix, page) in pages {
            for (i, role) in items(page, "RoleDetailList").iter().enumerate() {
                let name = name_of(role, "RoleName");
                let locator = format!("{prefix}RoleDetailList[{i}]({name})");
                let who = format!("role {name}");
                let trust = get(role, "AssumeRolePolicyDocument").and_then(|doc| {
                    self.document(doc, format!("{locator}.AssumeRolePolicyDocument"), PolicyKind::Trust)
                });
                let mut documents = self.inline(role, "RolePolicyList", &locator);
                documents.extend(self.attached(role, &locator, &who, attach));
                dedup(&mut documents);
                let ceilings = self.boundary(role, &locator, &who, attach);
                let principal = principal("role", &name, role, &locator);
                roles.push(PrincipalPolicies { principal, documents, ceilings, trust });
            }
        }
        roles
    }
}

/// Keys of the dump that principals are made of; everything else is passed over.
const KEPT: [&str; 21] = [
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "UserName",
    "GroupName",
    "RoleName",
    "PolicyName",
    "Arn",
    "PolicyArn",
    "DefaultVersionId",
    "VersionId",
    "IsDefaultVersion",
    "PolicyVersionList",
    "UserPolicyList",
    "GroupPolicyList",
    "RolePolicyList",
    "AttachedManagedPolicies",
    "GroupList",
    "PermissionsBoundary",
    "PermissionsBoundaryArn",
];

/// Keys whose value is a policy document.
const DOCUMENTS: [&str; 3] = ["PolicyDocument", "AssumeRolePolicyDocument", "Document"];

/// The dump as a tree of only the kept keys, spanned into `text` (`body` is a slice of
/// it); `None` when serde_json does not read it or a document has a syntax problem.
fn pruned(body: &str, text: &str) -> Option<Node> {
    let raw: &serde_json::value::RawValue = serde_json::from_str(body).ok()?;
    prune(raw, text, false, 0)
}

/// Deeper than any dump nests what it keeps (pages, principal lists, principals, policy
/// lists, versions: under ten levels). Each level parses its value again, and recursion
/// takes stack: a dump of 3,000 nested arrays once overflowed the stack and one of 100,000
/// ran for minutes. A deeper dump is read by the span-keeping parser, which bounds depth.
const MAX_PRUNE_DEPTH: usize = 32;

fn prune(raw: &serde_json::value::RawValue, text: &str, document: bool, depth: usize) -> Option<Node> {
    if depth > MAX_PRUNE_DEPTH {
        return None;
    }
    let s = raw.get();
    let at = (s.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let span = at..at + s.len();
    if document {
        let (tree, syntax) = json::parse(s, at);
        return if syntax.is_empty() { tree } else { None };
    }
    Some(match s.as_bytes().first()? {
        b'{' => {
            let map: Vec<(std::borrow::Cow<'_, str>, &serde_json::value::RawValue)> =
                serde_json::from_str::<Entries<'_>>(s).ok()?.0;
            let mut props = Vec::new();
            for (key, value) in map {
                let document = DOCUMENTS.contains(&key.as_ref());
                if document || KEPT.contains(&key.as_ref()) {
                    let node = prune(value, text, document, depth + 1)?;
                    props.push((crate::source::Spanned::new(key.into_owned(), span.clone()), node));
                }
            }
            Node::Object(props, span)
        }
        b'[' => {
            let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(s).ok()?;
            Node::Array(items.into_iter().map(|i| prune(i, text, false, depth + 1)).collect::<Option<_>>()?, span)
        }
        b'"' => Node::String(crate::source::Spanned::new(serde_json::from_str(s).ok()?, span)),
        b't' | b'f' => Node::Bool(crate::source::Spanned::new(s == "true", span)),
        b'n' => Node::Null(span),
        _ => Node::Number(crate::source::Spanned::new(s.to_string(), span)),
    })
}

/// An object's entries in order, values left unparsed.
struct Entries<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Entries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Entries<'a>, M::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    out.push((key, map.next_value::<&'de serde_json::value::RawValue>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

fn principal(kind: &'static str, name: &str, node: &Node, locator: &str) -> PrincipalRef {
    PrincipalRef { kind, name: name.to_string(), arn: name_of(node, "Arn"), locator: locator.to_string() }
}

/// Keeps the first of each document (a policy attached directly and through a group).
fn dedup(documents: &mut Vec<usize>) {
    let mut seen = HashSet::new();
    documents.retain(|i| seen.insert(*i));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_dumps_not_responses_or_policies() {
        let p = Path::new("x.json");
        assert!(claims(p, r#"{"UserDetailList": [], "RoleDetailList": []}"#));
        assert!(claims(p, r#"[{"RoleDetailList": []}, {"RoleDetailList": []}]"#));
        assert!(!claims(p, r#"{"Role": {}}"#));
        assert!(!claims(p, r#"{"Version": "2012-10-17", "Statement": [], "RoleDetailList": []}"#));
    }

    const DUMP: &str = r#"{"UserDetailList": [{"UserName": "u\u0031", "Arn": "arn:aws:iam::123456789012:user/u1",
        "Tags": [{"Key": "k", "Value": "v"}], "UserPolicyList": [{"PolicyName": "p",
        "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}],
        "GroupList": [], "AttachedManagedPolicies": [{"PolicyName": "M", "PolicyArn": "arn:aws:iam::123456789012:policy/M"}]}],
        "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::123456789012:role/r",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [], "AttachedManagedPolicies": []}],
        "Policies": [{"PolicyName": "M", "Arn": "arn:aws:iam::123456789012:policy/M", "DefaultVersionId": "v1",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}}}]}]}"#;

    fn shape(file: &LoadedFile) -> Vec<(String, Span, Vec<Span>)> {
        file.documents
            .iter()
            .map(|d| (d.locator.clone(), d.span.clone(), d.statements.iter().map(|s| s.span.clone()).collect()))
            .collect()
    }

    /// The fast reading (serde_json, only the kept keys) and the span-keeping parser's
    /// full tree make the same documents, principals and spans.
    #[test]
    fn the_pruned_tree_reads_as_the_full_one() {
        let source = Arc::new(SourceFile::new("d.json", DUMP.to_string()));
        let options = LoadOptions::default();
        let fast = read(source.clone(), &pruned(DUMP, DUMP).unwrap(), Vec::new(), &options);
        let (tree, syntax) = json::parse(DUMP, 0);
        assert!(syntax.is_empty());
        let full = read(source, &tree.unwrap(), Vec::new(), &options);
        assert_eq!(shape(&fast), shape(&full));
        assert_eq!(fast.principals, full.principals);
        assert_eq!(fast.principals[0].principal.name, "u1");
        assert_eq!(fast.documents.len(), 3);
    }

    /// A dump serde_json rejects (a trailing comma) is read by the lenient parser: the
    /// problem is reported and the principals are still analysed.
    #[test]
    fn a_broken_dump_is_reported_and_still_read() {
        let broken = DUMP.replacen("}]}]}", "}]}],}", 1);
        let source = Arc::new(SourceFile::new("d.json", broken.clone()));
        let Loaded::Policy(file) = load(source, &LoadOptions::default()) else { panic!("not loaded") };
        assert!(!file.syntax.is_empty());
        assert_eq!(file.principals.len(), 2, "{:?}", file.syntax);
    }
}
