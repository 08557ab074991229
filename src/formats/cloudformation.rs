//! CloudFormation templates, JSON and YAML (SAM templates included): every policy a
//! resource holds becomes a document spanned on the template's own text, and every role,
//! user and group a principal made of its inline policies and the template's policies
//! attached to it.
//!
//! Values CloudFormation computes are read as far as the template says them:
//! - `Ref` of a parameter with a `Default` is that default; `AWS::Partition` is `aws` and
//!   `AWS::URLSuffix` `amazonaws.com` (what a rule needs of them does not change with the
//!   partition); `AWS::NoValue` removes the value, as CloudFormation does;
//! - `Ref`/`Fn::GetAtt` of a resource are unresolved values that know the resource type
//!   (`${Bucket.Arn}` stands for an `AWS::S3::Bucket` ARN), as are parameters without a
//!   default, other pseudo parameters, `Fn::ImportValue` and the rest;
//! - `Fn::Sub`, `Fn::Join`, `Fn::Select` and `Fn::FindInMap` are computed from those.
//!
//! `Fn::If`: a document that holds one is read twice, once with every `Fn::If` taking its
//! first value and once with every one taking its second, and both documents are linted
//! under the same locator (the engine reports a finding both share once). One document
//! holding both branches would be simpler, but wrong where it matters: a conditional Deny
//! would then always remove what it denies, and a statement that exists only in one
//! branch would be judged together with what exists only in the other. Mixed assignments
//! (one condition true, another false) are not enumerated.

use super::document::{self, DocumentOptions};
use super::tree::Node;
use super::yaml::{self, Style, Yaml};
use super::{Adapter, Gap, LoadOptions, Loaded, LoadedFile, SyntaxProblem, aws_managed, json};
use crate::diagnostic::PrincipalRef;
use crate::diagnostic::Waiver;
use crate::policy::{PolicyDocument, PolicyKind, PrincipalPolicies, Problem, Unresolved, UnresolvedPart};
use crate::source::{SourceFile, Span, Spanned};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

pub static ADAPTER: Adapter = Adapter { name: "CloudFormation", claims, load };

const BOM: &str = "\u{feff}";

/// YAML and `.template` files are this adapter's whatever they hold (so that a YAML file
/// never reaches the JSON reader); JSON files when they look like a template.
fn claims(path: &Path, text: &str) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("yaml" | "yml" | "template") => true,
        Some("json") => mentions_template(text),
        Some("tf" | "hcl" | "md" | "markdown" | "rst" | "txt" | "html") => false,
        _ => text.contains("AWSTemplateFormatVersion"),
    }
}

fn mentions_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion") || (text.contains("\"Resources\"") && text.contains("AWS::"))
}

/// Whether a file that does not parse meant to hold CloudFormation or IAM policies.
fn mentions_policies(text: &str) -> bool {
    ["AWSTemplateFormatVersion", "AWS::", "Statement", "PolicyDocument", "Effect"].iter().any(|m| text.contains(m))
}

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    let text = source.text.as_str();
    let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[base..];
    let ext = source.path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let is_json = match ext.as_deref() {
        Some("json") => true,
        Some("yaml" | "yml") => false,
        _ => body.trim_start().starts_with('{'),
    };
    if is_json {
        let (tree, syntax) = json::parse(body, base);
        let Some(tree) = tree else {
            return Loaded::Policy(LoadedFile::new(source, syntax, Vec::new()));
        };
        let value = from_json(tree);
        if !is_template(&value) {
            // Claimed for its words (`"Resources"`, `AWS::`), but not a template: a policy
            // whose values name CloudFormation types is still a policy.
            return (json::ADAPTER.load)(source, options);
        }
        return checked(analyse(source.clone(), syntax, &[&value], options));
    }

    let (documents, problem) = yaml::parse(text);
    let values: Vec<V> = documents.into_iter().map(|d| from_yaml(d, text)).collect();
    let templates: Vec<&V> = values.iter().filter(|v| is_template(v)).collect();
    if let Some(problem) = problem {
        if !templates.is_empty() || options.explicit || mentions_policies(text) {
            return Loaded::Policy(analyse(source.clone(), vec![problem], &templates, options));
        }
        return Loaded::NotPolicy("YAML that does not parse, and names no CloudFormation or IAM element".into());
    }
    if !templates.is_empty() {
        return checked(analyse(source.clone(), Vec::new(), &templates, options));
    }
    // Not a template: still read when it holds something IAM-shaped (a policy written in
    // YAML, a `PolicyDocument` in some other tool's file), so that it is not passed over.
    let template = Template::default();
    let mut model = Model::new(&source.text, &template, options);
    for value in &values {
        model.scan(value, "", "");
    }
    if model.documents.is_empty() {
        let what = if values.is_empty() { "an empty YAML file" } else { "YAML that is not a CloudFormation template" };
        return Loaded::NotPolicy(format!("{what}, and it holds no IAM policy"));
    }
    let (documents, syntax) = (model.documents, model.syntax);
    Loaded::Policy(LoadedFile::new(source, syntax, documents))
}

/// A template that holds no policy (and parses) is passed over, with the reason.
fn checked(file: LoadedFile) -> Loaded {
    if file.documents.is_empty() && file.syntax.is_empty() {
        return Loaded::NotPolicy("a CloudFormation template with no IAM policy in it".into());
    }
    Loaded::Policy(file)
}

fn analyse(
    source: Arc<SourceFile>,
    mut syntax: Vec<SyntaxProblem>,
    templates: &[&V],
    options: &LoadOptions,
) -> LoadedFile {
    let mut documents = Vec::new();
    let mut principals = Vec::new();
    let mut waivers = Vec::new();
    let mut gaps = Vec::new();
    for value in templates {
        let template = Template::new(value);
        waivers.extend(template_waivers(&template));
        let mut model = Model::new(&source.text, &template, options);
        model.resources();
        let offset = documents.len();
        principals.extend(model.principals().into_iter().map(|mut p| {
            p.documents.iter_mut().chain(p.ceilings.iter_mut()).chain(p.trust.iter_mut()).for_each(|i| *i += offset);
            p
        }));
        documents.extend(model.documents);
        syntax.extend(model.syntax);
        gaps.extend(model.gaps);
    }
    syntax.sort_by_key(|p| (p.span.start, p.span.end));
    LoadedFile { source, syntax, documents, principals, gaps, whole_account: false, waivers, context: Vec::new() }
}

/// A resource's `Metadata: {iamlint: {ignore: [{rule: ID, reason: WHY}]}}`: findings of that
/// rule under `Resources.<Id>` are suppressed, with the reason (cfn-lint and cfn-nag keep
/// their suppressions in the same place). An entry without a reason is kept with an empty
/// one: the filter then suppresses nothing and says so.
fn template_waivers(template: &Template<'_>) -> Vec<Waiver> {
    let mut out = Vec::new();
    for (id, r) in &template.resources {
        let Some(ignore) = r.get("Metadata").and_then(|m| m.get("iamlint")).and_then(|m| m.get("ignore")) else {
            continue;
        };
        for entry in items(ignore) {
            let Some(rule) = entry.get("rule").and_then(V::as_str) else { continue };
            let reason = entry.get("reason").and_then(V::as_str).unwrap_or_default();
            out.push(Waiver {
                locator: format!("Resources.{id}"),
                rule: rule.to_string(),
                reason: reason.trim().to_string(),
                span: entry.span(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// One tree for both syntaxes, intrinsic functions made explicit.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quoting {
    Json,
    Yaml(Style),
}

#[derive(Debug, Clone)]
struct Str {
    value: String,
    span: Span,
    /// Where the characters of `value` are read from (inside the quotes).
    content: Span,
    quoting: Quoting,
}

#[derive(Debug, Clone)]
enum V {
    Str(Str),
    Num(Spanned<String>),
    Bool(Spanned<bool>),
    Null(Span),
    List(Vec<V>, Span),
    Map(Vec<(Spanned<String>, V)>, Span),
    /// An intrinsic function, named as its long form is (`Ref`, `Fn::Sub`), whether it
    /// was written `{"Fn::Sub": ...}` or `!Sub ...`; its argument; the whole value.
    Fn(String, Box<V>, Span),
}

impl V {
    fn span(&self) -> Span {
        match self {
            V::Str(s) => s.span.clone(),
            V::Num(n) => n.span.clone(),
            V::Bool(b) => b.span.clone(),
            V::Null(span) | V::List(_, span) | V::Map(_, span) | V::Fn(_, _, span) => span.clone(),
        }
    }

    /// A map's value for `key` (the last one, if repeated).
    fn get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(entries, _) => entries.iter().rev().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(&s.value),
            _ => None,
        }
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

fn from_json(node: Node) -> V {
    match node {
        Node::String(s) => {
            let content = s.span.start + 1..s.span.end.saturating_sub(1).max(s.span.start + 1);
            V::Str(Str { value: s.value, span: s.span, content, quoting: Quoting::Json })
        }
        Node::Number(n) => V::Num(n),
        Node::Bool(b) => V::Bool(b),
        Node::Null(span) => V::Null(span),
        Node::Unresolved(u) => V::Str(Str {
            content: u.value.span.clone(),
            value: u.value.value,
            span: u.value.span,
            quoting: Quoting::Json,
        }),
        Node::Array(items, span) => V::List(items.into_iter().map(from_json).collect(), span),
        Node::Object(mut props, span) => {
            if props.len() == 1 && is_intrinsic(&props[0].0.value) {
                let (key, value) = props.remove(0);
                return V::Fn(key.value, Box::new(from_json(value)), span);
            }
            V::Map(props.into_iter().map(|(k, v)| (k, from_json(v))).collect(), span)
        }
    }
}

fn from_yaml(node: Yaml, text: &str) -> V {
    // Consumes the YAML tree: a 1 MB template is not copied.
    let tag = match &node {
        Yaml::Scalar(_, t) | Yaml::Seq(_, t, _) | Yaml::Map(_, t, _) => t.as_ref(),
    };
    if let Some(tag) = tag
        && tag.value.starts_with('!')
        && !tag.value.starts_with("!!")
    {
        let name = match &tag.value[1..] {
            "Ref" => "Ref".to_string(),
            "Condition" => "Condition".to_string(),
            other => format!("Fn::{other}"),
        };
        let span = node.span();
        let inner = untagged(node, text, true);
        return V::Fn(name, Box::new(inner), span);
    }
    untagged(node, text, false)
}

fn untagged(node: Yaml, text: &str, strip_tag: bool) -> V {
    match node {
        Yaml::Scalar(s, tag) => {
            let span = if strip_tag { s.body } else { s.span };
            let forced_string = tag.as_ref().is_some_and(|t| t.value == "!!str");
            if s.style == Style::Plain && !forced_string {
                match s.value.as_str() {
                    "true" | "True" | "TRUE" => return V::Bool(Spanned::new(true, span)),
                    "false" | "False" | "FALSE" => return V::Bool(Spanned::new(false, span)),
                    "" | "~" | "null" | "Null" | "NULL" => return V::Null(span),
                    v if is_number(v) => return V::Num(Spanned::new(s.value, span)),
                    _ => {}
                }
            }
            V::Str(Str { value: s.value, span, content: s.content, quoting: Quoting::Yaml(s.style) })
        }
        Yaml::Seq(items, tag, span) => {
            let span = inner_span(tag.as_ref().filter(|_| strip_tag), &span, text);
            V::List(items.into_iter().map(|i| from_yaml(i, text)).collect(), span)
        }
        Yaml::Map(entries, tag, span) => {
            let span = inner_span(tag.as_ref().filter(|_| strip_tag), &span, text);
            let mut entries: Vec<(Spanned<String>, V)> = entries
                .into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::Scalar(s, _) => Spanned::new(s.value, s.span),
                        other => Spanned::new(String::new(), other.span()),
                    };
                    (key, from_yaml(v, text))
                })
                .collect();
            if entries.len() == 1 && is_intrinsic(&entries[0].0.value) {
                let (key, value) = entries.remove(0);
                return V::Fn(key.value, Box::new(value), span);
            }
            V::Map(entries, span)
        }
    }
}

/// A tagged collection's own span starts after its tag.
fn inner_span(tag: Option<&Spanned<String>>, span: &Span, text: &str) -> Span {
    match tag {
        Some(tag) if tag.span.end <= span.end => {
            let rest = &text[tag.span.end..span.end];
            tag.span.end + (rest.len() - rest.trim_start().len())..span.end
        }
        _ => span.clone(),
    }
}

fn is_number(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    !digits.is_empty()
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
        && v.parse::<f64>().is_ok()
}

fn is_template(v: &V) -> bool {
    if !matches!(v, V::Map(..)) {
        return false;
    }
    if v.has("AWSTemplateFormatVersion") {
        return true;
    }
    match v.get("Resources") {
        Some(V::Map(entries, _)) => {
            entries.iter().any(|(_, r)| r.get("Type").and_then(V::as_str).is_some_and(|t| t.contains("::")))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------
// SAM policy templates.

#[derive(serde::Deserialize)]
struct SamTemplates {
    templates: std::collections::BTreeMap<String, SamTemplate>,
}

#[derive(serde::Deserialize)]
struct SamTemplate {
    parameters: Vec<String>,
    definition: serde_json::Value,
}

fn sam_templates() -> &'static SamTemplates {
    static TEMPLATES: std::sync::OnceLock<SamTemplates> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| crate::packs::pack!("sam-policy-templates.json"))
}

/// A SAM template's definition as template values: `Ref` of one of its parameters is the
/// value the user gave (with its own spans); everything else is spanned on the template's
/// name, except an `Fn::Sub` built from a parameter, spanned on that parameter's value.
fn sam_value(value: &serde_json::Value, at: &Span, parameters: &HashMap<&str, &V>) -> V {
    use serde_json::Value as J;
    let text =
        |s: &str| V::Str(Str { value: s.to_string(), span: at.clone(), content: at.clone(), quoting: Quoting::Json });
    match value {
        J::String(s) => text(s),
        J::Number(n) => V::Num(Spanned::new(n.to_string(), at.clone())),
        J::Bool(b) => V::Bool(Spanned::new(*b, at.clone())),
        J::Null => V::Null(at.clone()),
        J::Array(items) => V::List(items.iter().map(|i| sam_value(i, at, parameters)).collect(), at.clone()),
        J::Object(entries) => {
            if let Some(J::String(target)) = entries.get("Ref")
                && entries.len() == 1
                && let Some(given) = parameters.get(target.as_str())
            {
                return (*given).clone();
            }
            let converted: Vec<(Spanned<String>, V)> = entries
                .iter()
                .map(|(k, v)| (Spanned::new(k.clone(), at.clone()), sam_value(v, at, parameters)))
                .collect();
            if converted.len() == 1 && is_intrinsic(&converted[0].0.value) {
                let (key, arg) = converted.into_iter().next().expect("one entry");
                let span = match &arg {
                    V::List(items, _) => match items.get(1) {
                        Some(V::Map(vars, _)) => vars.iter().map(|(_, v)| v.span()).find(|s| s != at),
                        _ => None,
                    },
                    _ => None,
                };
                return V::Fn(key.value, Box::new(arg), span.unwrap_or_else(|| at.clone()));
            }
            V::Map(converted, at.clone())
        }
    }
}

// ---------------------------------------------------------------------------------
// The template's names: parameters, resources and their types, mappings.

#[derive(Default)]
struct Template<'v> {
    parameters: HashMap<&'v str, Option<&'v V>>,
    /// Resources in template order: logical id, definition.
    resources: Vec<(&'v str, &'v V)>,
    types: HashMap<&'v str, &'v str>,
    mappings: Option<&'v V>,
}

impl<'v> Template<'v> {
    fn new(value: &'v V) -> Template<'v> {
        let mut t = Template::default();
        if let Some(V::Map(params, _)) = value.get("Parameters") {
            for (name, p) in params {
                t.parameters.insert(name.value.as_str(), p.get("Default"));
            }
        }
        if let Some(V::Map(resources, _)) = value.get("Resources") {
            for (id, r) in resources {
                if let Some(ty) = r.get("Type").and_then(V::as_str) {
                    t.types.insert(id.value.as_str(), ty);
                }
                t.resources.push((id.value.as_str(), r));
            }
        }
        t.mappings = value.get("Mappings");
        t
    }

    fn type_of(&self, id: &str) -> Option<&'v str> {
        self.types.get(id).copied()
    }
}

// ---------------------------------------------------------------------------------
// Values: what CloudFormation would compute, as far as the template says.

/// Text with unknown parts written `${name}`.
#[derive(Debug, Default, Clone)]
struct Text {
    value: String,
    parts: Vec<UnresolvedPart>,
}

impl Text {
    fn literal(s: &str) -> Text {
        Text { value: s.to_string(), parts: Vec::new() }
    }

    fn unknown(name: &str, stands_for: Option<(&str, &str)>) -> Text {
        Text {
            value: format!("${{{name}}}"),
            parts: vec![UnresolvedPart {
                name: name.to_string(),
                stands_for: stands_for.map(|(t, a)| (t.to_string(), a.to_string())),
            }],
        }
    }

    fn push(&mut self, other: Text) {
        self.value.push_str(&other.value);
        self.parts.extend(other.parts);
    }
}

/// Deeper than any real template's intrinsics; a parameter whose Default refers to
/// itself stops here.
const MAX_EVAL_DEPTH: usize = 64;

struct Eval<'a> {
    template: &'a Template<'a>,
    text: &'a str,
    /// Which value every `Fn::If` takes: the first (true) or the second.
    branch: bool,
    saw_if: bool,
    depth: usize,
}

impl<'a> Eval<'a> {
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>, fallback: impl FnOnce() -> Option<T>) -> Option<T> {
        if self.depth >= MAX_EVAL_DEPTH {
            return fallback();
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// The value as text; `None` for `AWS::NoValue`.
    fn text(&mut self, v: &V) -> Option<Text> {
        match v {
            V::Str(s) => Some(Text::literal(&s.value)),
            V::Num(n) => Some(Text::literal(&n.value)),
            V::Bool(b) => Some(Text::literal(if b.value { "true" } else { "false" })),
            V::Null(_) => Some(Text::default()),
            V::List(..) | V::Map(..) => Some(Text::unknown("value", None)),
            V::Fn(name, arg, _) => self.nested(|e| e.function(name, arg), || Some(Text::unknown("value", None))),
        }
    }

    fn function(&mut self, name: &str, arg: &V) -> Option<Text> {
        let short = name.trim_start_matches("Fn::");
        let unknown = || Some(Text::unknown(short, None));
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target),
                None => unknown(),
            },
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    V::Str(s) => match s.value.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => (s.value.clone(), String::new()),
                    },
                    V::List(items, _) if items.len() == 2 => match (items[0].as_str(), self.text(&items[1])) {
                        (Some(r), Some(a)) if a.parts.is_empty() => (r.to_string(), a.value),
                        _ => return unknown(),
                    },
                    _ => return unknown(),
                };
                let stands_for = self.template.type_of(&resource).map(|t| (t, attribute.as_str()));
                Some(Text::unknown(&format!("{resource}.{attribute}"), stands_for))
            }
            "Fn::Sub" => match arg {
                V::Str(s) => Some(self.substitute(&s.value, &[])),
                V::List(items, _) => match (items.first(), items.get(1)) {
                    (Some(V::Str(s)), Some(V::Map(vars, _))) => Some(self.substitute(&s.value, vars)),
                    (Some(V::Str(s)), None) => Some(self.substitute(&s.value, &[])),
                    _ => unknown(),
                },
                _ => unknown(),
            },
            "Fn::Join" => {
                let V::List(items, _) = arg else { return unknown() };
                let (Some(V::Str(delimiter)), Some(V::List(parts, _))) = (items.first(), items.get(1)) else {
                    return unknown();
                };
                let mut out = Text::default();
                let mut first = true;
                for part in parts {
                    if let Some(t) = self.text(part) {
                        if !first {
                            out.push(Text::literal(&delimiter.value));
                        }
                        first = false;
                        out.push(t);
                    }
                }
                Some(out)
            }
            "Fn::Select" | "Fn::FindInMap" | "Fn::If" => match self.pick(name, arg) {
                Some(Some(chosen)) => self.text(chosen),
                Some(None) => None,
                None => unknown(),
            },
            _ => unknown(),
        }
    }

    /// The value `Fn::Select`, `Fn::FindInMap` or `Fn::If` stands for when the template
    /// says it: `Some(None)` is `AWS::NoValue`; `None` when it cannot be known.
    fn pick<'x>(&mut self, name: &str, arg: &'x V) -> Option<Option<&'x V>>
    where
        'a: 'x,
    {
        let V::List(items, _) = arg else { return None };
        match name {
            "Fn::If" if items.len() == 3 => {
                self.saw_if = true;
                let chosen = &items[if self.branch { 1 } else { 2 }];
                if let V::Fn(f, a, _) = chosen
                    && f == "Ref"
                    && a.as_str() == Some("AWS::NoValue")
                {
                    return Some(None);
                }
                Some(Some(chosen))
            }
            "Fn::FindInMap" if items.len() == 3 => {
                let mut found = self.template.mappings?;
                for key in items {
                    let key = self.text(key).filter(|t| t.parts.is_empty())?;
                    found = found.get(&key.value)?;
                }
                Some(Some(found))
            }
            "Fn::Select" if items.len() == 2 => {
                let index = self.text(&items[0]).filter(|t| t.parts.is_empty())?.value.trim().parse::<usize>().ok()?;
                match &items[1] {
                    V::List(list, _) => list.get(index).map(Some),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn reference(&mut self, target: &str) -> Option<Text> {
        match target {
            "AWS::NoValue" => return None,
            "AWS::Partition" => return Some(Text::literal("aws")),
            "AWS::URLSuffix" => return Some(Text::literal("amazonaws.com")),
            _ => {}
        }
        let template = self.template;
        if let Some(default) = template.parameters.get(target) {
            return match default {
                Some(d) => self.nested(|e| e.text(d), || Some(Text::unknown(target, None))),
                None => Some(Text::unknown(target, None)),
            };
        }
        let stands_for = self.template.type_of(target).map(|t| (t, ""));
        Some(Text::unknown(target, stands_for))
    }

    /// `Fn::Sub`: `${Name}` is a variable of the map, a parameter, a pseudo parameter or a
    /// resource (`${Bucket.Arn}` its attribute); `${!Name}` is the literal `${Name}`.
    fn substitute(&mut self, template: &str, vars: &[(Spanned<String>, V)]) -> Text {
        let mut out = Text::default();
        let mut rest = template;
        while let Some(at) = rest.find("${") {
            out.value.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.value.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.value.push_str(&rest[at..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            rest = &after[end + 1..];
            let piece = if let Some((_, v)) = vars.iter().rev().find(|(k, _)| k.value == name) {
                self.text(v)
            } else if let Some((resource, attribute)) = name.split_once('.')
                && let Some(ty) = self.template.type_of(resource)
            {
                Some(Text::unknown(name, Some((ty, attribute))))
            } else {
                self.reference(name)
            };
            if let Some(piece) = piece {
                out.push(piece);
            }
        }
        out.value.push_str(rest);
        out
    }

    fn to_node(&self, t: Text, span: Span) -> Node {
        if t.parts.is_empty() {
            Node::String(Spanned::new(t.value, span))
        } else {
            let written = self.text.get(span.clone()).unwrap_or_default().to_string();
            Node::Unresolved(Unresolved { value: Spanned::new(t.value, span), written, parts: t.parts })
        }
    }

    /// The value as a policy tree; `None` for `AWS::NoValue`.
    fn node(&mut self, v: &V) -> Option<Node> {
        match v {
            V::Str(s) => Some(Node::String(Spanned::new(s.value.clone(), s.span.clone()))),
            V::Num(n) => Some(Node::Number(n.clone())),
            V::Bool(b) => Some(Node::Bool(b.clone())),
            V::Null(span) => Some(Node::Null(span.clone())),
            V::List(items, span) => {
                // Past the depth limit a value is null: the builder reports it, nothing is dropped.
                let items =
                    items.iter().filter_map(|i| self.nested(|e| e.node(i), || Some(Node::Null(i.span())))).collect();
                Some(Node::Array(items, span.clone()))
            }
            V::Map(entries, span) => {
                let entries = entries
                    .iter()
                    .filter_map(|(k, v)| {
                        self.nested(|e| e.node(v), || Some(Node::Null(v.span()))).map(|n| (k.clone(), n))
                    })
                    .collect();
                Some(Node::Object(entries, span.clone()))
            }
            V::Fn(name, arg, span) => {
                if matches!(name.as_str(), "Fn::If" | "Fn::Select" | "Fn::FindInMap") {
                    match self.pick(name, arg) {
                        Some(Some(chosen)) => {
                            return self.nested(|e| e.node(chosen), || Some(Node::Null(chosen.span())));
                        }
                        Some(None) => return None,
                        None => {}
                    }
                }
                let text = self.text(v)?;
                Some(self.to_node(text, span.clone()))
            }
        }
    }

    /// `${...}` in the strings of a policy given as `Fn::Sub` text.
    fn substitute_strings(&mut self, node: Node, vars: &[(Spanned<String>, V)]) -> Node {
        match node {
            Node::String(s) if s.value.contains("${") => {
                let text = self.substitute(&s.value, vars);
                self.to_node(text, s.span)
            }
            Node::Array(items, span) => {
                Node::Array(items.into_iter().map(|i| self.substitute_strings(i, vars)).collect(), span)
            }
            Node::Object(entries, span) => {
                Node::Object(entries.into_iter().map(|(k, v)| (k, self.substitute_strings(v, vars))).collect(), span)
            }
            other => other,
        }
    }
}

// ---------------------------------------------------------------------------------
// A policy given as a JSON string: parsed, its spans mapped into the template.

/// For each byte of `value`, the file range of the character it was read from, when
/// every character can be found where the scalar is written: verbatim, with JSON or YAML
/// escapes, `''` in single quotes, YAML indentation and line folding. `None` otherwise
/// (an escaped line break in odd places): spans then cover the whole string.
fn align(value: &str, text: &str, content: &Span, quoting: Quoting) -> Option<Vec<(usize, usize)>> {
    let escapes = matches!(quoting, Quoting::Json | Quoting::Yaml(Style::DoubleQuoted));
    let yaml = matches!(quoting, Quoting::Yaml(_));
    let folds =
        matches!(quoting, Quoting::Yaml(Style::Plain | Style::Folded | Style::SingleQuoted | Style::DoubleQuoted));
    let src = text.get(content.clone())?;
    let mut map = Vec::with_capacity(value.len());
    let mut s = 0;
    for c in value.chars() {
        if s >= src.len() && c.is_whitespace() {
            // A block scalar's final line break: the file's text (trimmed) has ended.
            map.extend(std::iter::repeat_n((content.end, content.end), c.len_utf8()));
            continue;
        }
        loop {
            let rest = src.get(s..)?;
            let first = rest.chars().next()?;
            let (sc, len) = if escapes && first == '\\' {
                match unescape(rest) {
                    Some(pair) => pair,
                    None if yaml && rest[1..].starts_with(['\n', '\r']) => ('\n', 1),
                    None => return None,
                }
            } else {
                (first, first.len_utf8())
            };
            if sc == c || (folds && c == ' ' && sc == '\n') {
                let at = content.start + s;
                map.extend(std::iter::repeat_n((at, at + len), c.len_utf8()));
                s += len;
                break;
            }
            let skippable = yaml
                && (matches!(sc, ' ' | '\t' | '\n' | '\r')
                    || (quoting == Quoting::Yaml(Style::SingleQuoted) && sc == '\''));
            if !skippable {
                return None;
            }
            s += len;
        }
    }
    Some(map)
}

/// A JSON or YAML escape at the start of `s`: the character and how many bytes it takes.
fn unescape(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let hex = |from: usize, n: usize| -> Option<u32> { u32::from_str_radix(s.get(from..from + n)?, 16).ok() };
    let c = match *b.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'0' => '\0',
        b'a' => '\u{7}',
        b'v' => '\u{b}',
        b'e' => '\u{1b}',
        b' ' => ' ',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return Some((char::from_u32(hex(2, 2)?)?, 4)),
        b'U' => return Some((char::from_u32(hex(2, 8)?)?, 10)),
        b'u' => {
            let high = hex(2, 4)?;
            if (0xD800..0xDC00).contains(&high) && s.get(6..8) == Some("\\u") {
                let low = hex(8, 4)?;
                let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)?))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(high)?, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

/// Maps spans of the parsed string onto the file.
struct SpanMap<'m> {
    map: Option<&'m [(usize, usize)]>,
    whole: Span,
}

impl SpanMap<'_> {
    fn span(&self, span: &Span) -> Span {
        let Some(map) = self.map else { return self.whole.clone() };
        let start = map.get(span.start).map_or(self.whole.end, |m| m.0);
        let end = if span.end > span.start { map.get(span.end - 1).map_or(start, |m| m.1) } else { start };
        start..end.max(start)
    }

    fn node(&self, node: Node) -> Node {
        node.map_spans(&|span| self.span(span))
    }
}

// ---------------------------------------------------------------------------------
// Resources -> documents and principals.

/// A document's place among the `Fn::If` readings: `None` when it holds no `Fn::If`.
type Variant = Option<bool>;

#[derive(Default)]
struct PrincipalDraft {
    kind: &'static str,
    id: String,
    name: String,
    /// Its own documents (inline policies).
    documents: Vec<usize>,
    trust: Vec<usize>,
    /// Template policies attached to it (logical ids).
    attached: Vec<String>,
    boundary: Vec<String>,
    /// Its permissions boundary when that is an AWS managed policy (a document index).
    aws_boundary: Vec<usize>,
    /// Groups a user is in (logical ids).
    groups: Vec<String>,
}

struct Model<'a> {
    text: &'a str,
    template: &'a Template<'a>,
    kind_override: Option<PolicyKind>,
    documents: Vec<PolicyDocument>,
    variants: Vec<Variant>,
    syntax: Vec<SyntaxProblem>,
    /// Documents of each policy resource (logical id).
    owned: HashMap<String, Vec<usize>>,
    drafts: Vec<PrincipalDraft>,
    /// What the analysis cannot include (an AWS managed policy the snapshot does not know).
    gaps: Vec<Gap>,
    /// (policy id, principal kind, principal id) from a policy's `Roles`/`Users`/`Groups`.
    attachments: Vec<(String, &'static str, String)>,
    /// (user id, group id) from `AWS::IAM::UserToGroupAddition`.
    memberships: Vec<(String, String)>,
}

const ROLE: &str = "AWS::IAM::Role";
const USER: &str = "AWS::IAM::User";
const GROUP: &str = "AWS::IAM::Group";
const MANAGED_POLICY: &str = "AWS::IAM::ManagedPolicy";

/// Keys that hold a policy document in resources of types not listed below (and in YAML
/// that is not a template).
const DOCUMENT_KEYS: [&str; 9] = [
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "KeyPolicy",
    "RepositoryPolicyText",
    "ResourcePolicy",
    "InlinePolicy",
    "AccessPolicies",
    "PermissionsPolicyDocument",
    "FileSystemPolicy",
];

impl<'a> Model<'a> {
    fn new(text: &'a str, template: &'a Template<'a>, options: &LoadOptions) -> Model<'a> {
        Model {
            text,
            template,
            kind_override: options.kind,
            documents: Vec::new(),
            variants: Vec::new(),
            syntax: Vec::new(),
            owned: HashMap::new(),
            drafts: Vec::new(),
            gaps: Vec::new(),
            attachments: Vec::new(),
            memberships: Vec::new(),
        }
    }

    fn eval(&self, branch: bool) -> Eval<'a> {
        Eval { template: self.template, text: self.text, branch, saw_if: false, depth: 0 }
    }

    /// A literal the template states (`RoleName: deploy`), for names.
    fn literal(&self, v: Option<&V>) -> Option<String> {
        let t = self.eval(true).text(v?)?;
        t.parts.is_empty().then_some(t.value)
    }

    fn resources(&mut self) {
        let resources = &self.template.resources;
        // A managed policy used only as a permissions boundary is a boundary, not a grant.
        let mut boundaries = Vec::new();
        let mut granting = Vec::new();
        for (_, r) in resources {
            let props = r.get("Properties");
            let p = |k: &str| props.and_then(|p| p.get(k));
            boundaries.extend(p("PermissionsBoundary").and_then(|v| self.policy_ref(v)));
            for v in p("ManagedPolicyArns").map(items).unwrap_or_default() {
                granting.extend(self.policy_ref(v));
            }
        }
        for (id, r) in resources {
            let ty = r.get("Type").and_then(V::as_str).unwrap_or_default();
            let props = r.get("Properties");
            if (ty == MANAGED_POLICY) && ["Roles", "Users", "Groups"].iter().any(|k| props.is_some_and(|p| p.has(k))) {
                granting.push(id.to_string());
            }
        }
        for (id, r) in resources {
            let boundary_only = boundaries.iter().any(|b| b == id) && !granting.iter().any(|g| g == id);
            self.resource(id, r, boundary_only);
        }
    }

    fn resource(&mut self, id: &str, r: &V, boundary_only: bool) {
        let Some(ty) = r.get("Type").and_then(V::as_str) else { return };
        let Some(props) = r.get("Properties") else { return };
        let at = |key: &str| format!("Resources.{id}.Properties.{key}");
        let resource_kind = Some(PolicyKind::Resource);
        match ty {
            ROLE | USER | GROUP => {
                let kind = match ty {
                    ROLE => "role",
                    USER => "user",
                    _ => "group",
                };
                let name_key = match ty {
                    ROLE => "RoleName",
                    USER => "UserName",
                    _ => "GroupName",
                };
                let mut draft = PrincipalDraft {
                    kind,
                    id: id.to_string(),
                    name: self.literal(props.get(name_key)).unwrap_or_else(|| id.to_string()),
                    ..PrincipalDraft::default()
                };
                if let Some(trust) = props.get("AssumeRolePolicyDocument") {
                    draft.trust = self.document(trust, at("AssumeRolePolicyDocument"), Some(PolicyKind::Trust), id);
                }
                if let Some(policies) = props.get("Policies") {
                    draft.documents = self.inline_policies(policies, &at("Policies"), id);
                }
                for (k, v) in props.get("ManagedPolicyArns").map(items).unwrap_or_default().into_iter().enumerate() {
                    match self.policy_ref(v) {
                        Some(policy) => draft.attached.push(policy),
                        None => {
                            let at = format!("{}[{k}]", at("ManagedPolicyArns"));
                            draft.documents.extend(self.aws_managed(v, &at, id));
                        }
                    }
                }
                if let Some(v) = props.get("PermissionsBoundary") {
                    match self.policy_ref(v) {
                        Some(policy) => draft.boundary.push(policy),
                        None => {
                            let at = at("PermissionsBoundary");
                            let boundary = self.aws_managed(v, &at, id);
                            if let Some(i) = boundary {
                                self.documents[i].kind = PolicyKind::Boundary;
                            }
                            draft.aws_boundary.extend(boundary);
                        }
                    }
                }
                for v in props.get("Groups").map(items).unwrap_or_default() {
                    draft.groups.extend(self.principal_ref(v, GROUP));
                }
                self.drafts.push(draft);
            }
            "AWS::IAM::Policy"
            | MANAGED_POLICY
            | "AWS::IAM::RolePolicy"
            | "AWS::IAM::UserPolicy"
            | "AWS::IAM::GroupPolicy" => {
                let kind = if boundary_only { PolicyKind::Boundary } else { PolicyKind::Identity };
                match props.get("PolicyDocument") {
                    Some(doc) => {
                        self.document(doc, at("PolicyDocument"), Some(kind), id);
                    }
                    None => self.missing(id, r.span(), "PolicyDocument"),
                }
                for (key, kind, target) in
                    [("Roles", "role", ROLE), ("Users", "user", USER), ("Groups", "group", GROUP)]
                {
                    for v in props.get(key).map(items).unwrap_or_default() {
                        if let Some(p) = self.principal_ref(v, target) {
                            self.attachments.push((id.to_string(), kind, p));
                        }
                    }
                }
                for (key, kind, target) in
                    [("RoleName", "role", ROLE), ("UserName", "user", USER), ("GroupName", "group", GROUP)]
                {
                    if let Some(p) = props.get(key).and_then(|v| self.principal_ref(v, target)) {
                        self.attachments.push((id.to_string(), kind, p));
                    }
                }
            }
            "AWS::IAM::UserToGroupAddition" => {
                if let Some(group) = props.get("GroupName").and_then(|v| self.principal_ref(v, GROUP)) {
                    for v in props.get("Users").map(items).unwrap_or_default() {
                        if let Some(user) = self.principal_ref(v, USER) {
                            self.memberships.push((user, group.clone()));
                        }
                    }
                }
            }
            "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                self.required(id, r, props, "PolicyDocument", resource_kind);
            }
            "AWS::S3::AccessPoint" | "AWS::S3::MultiRegionAccessPointPolicy" => {
                if let Some(doc) = props.get("Policy") {
                    self.document(doc, at("Policy"), resource_kind, id);
                }
            }
            "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => self.required(id, r, props, "KeyPolicy", resource_kind),
            "AWS::SecretsManager::ResourcePolicy" => self.required(id, r, props, "ResourcePolicy", resource_kind),
            "AWS::ECR::Repository" => {
                if let Some(doc) = props.get("RepositoryPolicyText") {
                    // A repository policy applies to its repository: AWS's examples have no
                    // Resource (ECR user guide, "Repository policy examples").
                    for i in self.document(doc, at("RepositoryPolicyText"), resource_kind, id) {
                        self.documents[i].problems.retain(|p| !p.message.starts_with("statement has neither Resource"));
                    }
                }
            }
            "AWS::Organizations::Policy" => {
                let kind = match props.get("Type").and_then(V::as_str) {
                    Some("SERVICE_CONTROL_POLICY") => Some(PolicyKind::ServiceControl),
                    Some("RESOURCE_CONTROL_POLICY") => Some(PolicyKind::ResourceControl),
                    // Tag, backup, AI opt-out and declarative policies are not IAM policies.
                    Some(_) => return,
                    None => None,
                };
                self.required(id, r, props, "Content", kind);
            }
            "AWS::SSO::PermissionSet" => {
                if let Some(doc) = props.get("InlinePolicy") {
                    self.document(doc, at("InlinePolicy"), Some(PolicyKind::Identity), id);
                }
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                if let Some(policies) = props.get("Policies") {
                    let documents = self.sam_policies(policies, &at("Policies"), id);
                    // SAM makes the function's role `<Id>Role` from these policies.
                    self.drafts.push(PrincipalDraft {
                        kind: "role",
                        id: id.to_string(),
                        name: format!("{id}Role"),
                        documents,
                        ..PrincipalDraft::default()
                    });
                }
            }
            _ => self.scan(props, &format!("Resources.{id}.Properties"), id),
        }
    }

    fn required(&mut self, id: &str, r: &V, props: &V, key: &str, kind: Option<PolicyKind>) {
        match props.get(key) {
            Some(doc) => {
                self.document(doc, format!("Resources.{id}.Properties.{key}"), kind, id);
            }
            None => self.missing(id, r.span(), key),
        }
    }

    fn missing(&mut self, id: &str, span: Span, key: &str) {
        let locator = format!("Resources.{id}.Properties");
        self.problem(
            locator,
            span.start..span.start + 1,
            format!("resource `{id}` has no {key}"),
            "this resource",
            format!("add {key}: {{Version: \"2012-10-17\", Statement: [...]}}"),
            id,
        );
    }

    /// `Policies` of a role, user or group: `[{PolicyName, PolicyDocument}, ...]`.
    fn inline_policies(&mut self, policies: &V, locator: &str, owner: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let list = match policies {
            V::List(list, _) => list.iter().enumerate().collect::<Vec<_>>(),
            V::Fn(name, ..) if name == "Fn::If" => {
                return both(policies).into_iter().flat_map(|v| self.inline_policies(v, locator, owner)).collect();
            }
            other => {
                self.problem(
                    locator.to_string(),
                    other.span(),
                    format!("Policies is {}, not a list of policies", describe(other)),
                    "not read as policies",
                    "write Policies as a list: - PolicyName: NAME\n  PolicyDocument: {Version: \"2012-10-17\", Statement: [...]}".into(),
                    owner,
                );
                return out;
            }
        };
        for (i, entry) in list {
            let at = format!("{locator}[{i}]");
            for entry in both(entry) {
                match entry.get("PolicyDocument") {
                    Some(doc) => out.extend(self.document(doc, format!("{at}.PolicyDocument"), Some(PolicyKind::Identity), owner)),
                    None => out.push(self.problem(
                        at.clone(),
                        entry.span(),
                        format!("an entry of Policies without a PolicyDocument ({})", describe(entry)),
                        "not read as a policy",
                        "write each entry as PolicyName: NAME and PolicyDocument: {Version: \"2012-10-17\", Statement: [...]}".into(),
                        owner,
                    )),
                }
            }
        }
        out
    }

    /// SAM `Policies`: a managed policy name or ARN, a SAM policy template
    /// (`S3ReadPolicy: {BucketName: ...}`), a policy document, or a list of these.
    fn sam_policies(&mut self, policies: &V, locator: &str, owner: &str) -> Vec<usize> {
        match policies {
            V::List(list, _) => list
                .iter()
                .enumerate()
                .flat_map(|(i, p)| self.sam_policies(p, &format!("{locator}[{i}]"), owner))
                .collect(),
            V::Map(entries, _) => {
                let template = entries.len() == 1 && !entries[0].0.value.eq_ignore_ascii_case("Statement");
                if template {
                    self.sam_template(&entries[0].0, &entries[0].1, locator, owner)
                } else {
                    self.document(policies, locator.to_string(), Some(PolicyKind::Identity), owner)
                }
            }
            V::Fn(name, ..) if name == "Fn::If" => {
                both(policies).into_iter().flat_map(|v| self.sam_policies(v, locator, owner)).collect()
            }
            // A managed policy, by name (`AWSLambdaExecute`) or ARN.
            other => self.aws_managed(other, locator, owner).into_iter().collect(),
        }
    }

    /// An AWS managed policy a role, user, group or SAM function names by ARN or (SAM) by
    /// name: its document from the bundled snapshot, spanned on the name. A customer
    /// managed policy defined elsewhere is linted where it is defined; an AWS managed one
    /// the snapshot does not know is a gap (`incomplete-analysis`), never a silent hole.
    fn aws_managed(&mut self, v: &V, locator: &str, owner: &str) -> Option<usize> {
        let text = self.eval(true).text(v)?;
        if !text.parts.is_empty() {
            return None;
        }
        let written = text.value.trim();
        let arn = if written.starts_with("arn:") {
            written.to_string()
        } else {
            // SAM resolves a bare name among the AWS managed policies.
            aws_managed::arn_of_name(written).unwrap_or_else(|| format!("arn:aws:iam::aws:policy/{written}"))
        };
        if !arn.contains(":iam::aws:policy/") {
            return None;
        }
        let kind = self.kind_override.unwrap_or(PolicyKind::Identity);
        match aws_managed::document(&arn, &v.span(), locator, kind) {
            Some((doc, syntax)) => {
                self.syntax.extend(syntax);
                Some(self.add(doc, None, owner))
            }
            None => {
                self.gaps.push(Gap {
                    span: v.span(),
                    locator: locator.to_string(),
                    message: format!(
                        "{arn} is not an AWS managed policy iamlint knows, so what it grants is not analysed"
                    ),
                    label: format!("unknown to the snapshot of {}", crate::catalogue::managed::data_date()),
                    help: "check the name; a policy AWS published after the snapshot needs a newer iamlint".into(),
                });
                None
            }
        }
    }

    /// A SAM policy template (`S3CrudPolicy: {BucketName: !Ref Bucket}`): the statements
    /// SAM writes for it (`rules/packs/sam-policy-templates.json`), each value spanned on the
    /// template's name, and where a value comes from a parameter, on the parameter's value.
    /// A name SAM does not know, or a parameter left out, fails the deployment: reported.
    fn sam_template(&mut self, name: &Spanned<String>, args: &V, locator: &str, owner: &str) -> Vec<usize> {
        let templates = &sam_templates().templates;
        let Some(template) = templates.get(&name.value) else {
            let closest = templates
                .keys()
                .map(|k| (strsim::jaro_winkler(&k.to_ascii_lowercase(), &name.value.to_ascii_lowercase()), k))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(score, _)| *score > 0.85);
            let help = match closest {
                Some((_, k)) => format!("did you mean `{k}`? SAM's policy templates are listed at https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html"),
                None => "use a policy template SAM lists (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html), or write the statements as a policy document".into(),
            };
            let message = format!("`{}` is not a SAM policy template, so SAM rejects this function", name.value);
            return vec![self.problem(
                locator.to_string(),
                name.span.clone(),
                message,
                "unknown policy template",
                help,
                owner,
            )];
        };
        let given: Vec<&(Spanned<String>, V)> = match args {
            V::Map(entries, _) => entries.iter().collect(),
            _ => Vec::new(),
        };
        let missing: Vec<String> = template
            .parameters
            .iter()
            .filter(|p| !given.iter().any(|(k, _)| &k.value == *p))
            .map(|p| format!("`{p}`"))
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "SAM policy template `{}` is missing {}, so SAM rejects this function",
                name.value,
                crate::diagnostic::and_list(&missing)
            );
            let help = format!("give `{}` its parameters: {}", name.value, template.parameters.join(", "));
            return vec![self.problem(locator.to_string(), args.span(), message, "parameters missing", help, owner)];
        }
        let parameters: HashMap<&str, &V> = given.iter().map(|(k, v)| (k.value.as_str(), v)).collect();
        let expanded = sam_value(&template.definition, &name.span, &parameters);
        let built = self.document(&expanded, locator.to_string(), Some(PolicyKind::Identity), owner);
        for &i in &built {
            self.documents[i].expanded_from = Some(name.span.clone());
        }
        built
    }

    /// Looks through properties this adapter does not know for IAM-shaped values.
    fn scan(&mut self, v: &V, path: &str, owner: &str) {
        match v {
            V::Map(entries, _) => {
                if v.has("Statement") && (v.has("Version") || matches!(v.get("Statement"), Some(V::List(..)))) {
                    self.document(v, path.to_string(), None, owner);
                    return;
                }
                for (key, child) in entries {
                    let at = if path.is_empty() { key.value.clone() } else { format!("{path}.{}", key.value) };
                    let holds_document = matches!(child, V::Map(..) | V::Str(_))
                        || matches!(child, V::Fn(name, ..) if name == "Fn::Sub");
                    if DOCUMENT_KEYS.contains(&key.value.as_str()) && holds_document {
                        if let V::Str(s) = child
                            && !s.value.contains("Statement")
                        {
                            continue;
                        }
                        let kind = (key.value == "AssumeRolePolicyDocument").then_some(PolicyKind::Trust);
                        self.document(child, at, kind, owner);
                    } else {
                        self.scan(child, &at, owner);
                    }
                }
            }
            V::List(items, _) => {
                for (i, item) in items.iter().enumerate() {
                    self.scan(item, &format!("{path}[{i}]"), owner);
                }
            }
            _ => {}
        }
    }

    /// The logical id of a template IAM policy a value refers to (`!Ref Policy`,
    /// `!GetAtt Policy.PolicyArn`).
    fn policy_ref(&self, v: &V) -> Option<String> {
        let V::Fn(name, arg, _) = v else { return None };
        let id = match name.as_str() {
            "Ref" => arg.as_str()?.to_string(),
            "Fn::GetAtt" => match &**arg {
                V::Str(s) => s.value.split_once('.')?.0.to_string(),
                V::List(items, _) => items.first()?.as_str()?.to_string(),
                _ => return None,
            },
            _ => return None,
        };
        (self.template.type_of(&id) == Some(MANAGED_POLICY)).then_some(id)
    }

    /// The logical id of the template role, user or group a value names: `!Ref Role` (a
    /// role's name) or the literal name its `RoleName` gives.
    fn principal_ref(&self, v: &V, ty: &str) -> Option<String> {
        match v {
            V::Fn(name, arg, _) if name == "Ref" => {
                let id = arg.as_str()?;
                (self.template.type_of(id) == Some(ty)).then(|| id.to_string())
            }
            V::Str(s) => {
                let name_key = match ty {
                    ROLE => "RoleName",
                    USER => "UserName",
                    _ => "GroupName",
                };
                self.template
                    .resources
                    .iter()
                    .find(|(id, r)| {
                        self.template.type_of(id) == Some(ty)
                            && self.literal(r.get("Properties").and_then(|p| p.get(name_key))).as_deref()
                                == Some(s.value.as_str())
                    })
                    .map(|(id, _)| id.to_string())
            }
            _ => None,
        }
    }

    /// Builds the document(s) a value holds: one, or one per `Fn::If` reading.
    fn document(&mut self, v: &V, locator: String, kind: Option<PolicyKind>, owner: &str) -> Vec<usize> {
        let mut built = Vec::new();
        for branch in [true, false] {
            let mut eval = self.eval(branch);
            let mut syntax = Vec::new();
            let tree = policy_tree(&mut eval, v, &mut syntax);
            let saw_if = eval.saw_if;
            if branch || saw_if {
                // The syntax of a JSON string is the same in both readings.
                if branch {
                    self.syntax.extend(syntax);
                }
                let variant = saw_if.then_some(branch);
                match tree {
                    Tree::Node(node) => built.push(self.push(&node, &locator, kind, variant, owner)),
                    Tree::Unknown(span, what) => {
                        let index = self.problem(
                            locator.clone(),
                            span,
                            format!("policy document is {what}, a value unknown until deployment"),
                            "iamlint cannot read this policy",
                            "write the policy document in the template (an object, or a JSON string), or lint it where it is defined".into(),
                            owner,
                        );
                        built.push(index);
                    }
                    Tree::Absent | Tree::Broken => {}
                }
            }
            if !saw_if {
                break;
            }
        }
        built
    }

    fn push(&mut self, node: &Node, locator: &str, kind: Option<PolicyKind>, variant: Variant, owner: &str) -> usize {
        let (size, escape_overhead) = compact_size(node);
        let options = DocumentOptions {
            locator: locator.to_string(),
            kind: self.kind_override.or(kind),
            bare_statement: false,
            size,
            escape_overhead,
        };
        let doc = document::build(node, &options);
        self.add(doc, variant, owner)
    }

    fn add(&mut self, doc: PolicyDocument, variant: Variant, owner: &str) -> usize {
        self.documents.push(doc);
        self.variants.push(variant);
        let index = self.documents.len() - 1;
        self.owned.entry(owner.to_string()).or_default().push(index);
        index
    }

    /// Something IAM-shaped this adapter cannot read: a document with one problem, so
    /// that `malformed-policy` reports it and the gate fails.
    fn problem(
        &mut self,
        locator: String,
        span: Span,
        message: String,
        label: &str,
        help: String,
        owner: &str,
    ) -> usize {
        let doc = PolicyDocument {
            locator,
            kind: self.kind_override.unwrap_or(PolicyKind::Identity),
            span: span.clone(),
            version: None,
            // Nothing of the document could be read, its Version neither: the problem
            // is the finding (`policy-version` passes over a Version it cannot read).
            version_key: Some(span.clone()),
            id: None,
            statement_key: None,
            statements: Vec::new(),
            problems: vec![Problem { span, message, label: label.to_string(), help: Some(help), statement: None }],
            bare_statement: false,
            size: 0,
            escape_overhead: 0,
            unresolved: Vec::new(),
            expanded_from: None,
        };
        self.add(doc, None, owner)
    }

    /// Roles, users and groups with their documents (the rules judge them together when
    /// they are more than one document alone: see `lint::check`).
    fn principals(&self) -> Vec<PrincipalPolicies> {
        let owned = |id: &str| self.owned.get(id).cloned().unwrap_or_default();
        let attached_to = |kind: &str, id: &str| -> Vec<usize> {
            self.attachments
                .iter()
                .filter(|(_, k, p)| *k == kind && p == id)
                .flat_map(|(policy, _, _)| owned(policy))
                .collect()
        };
        let mut out = Vec::new();
        for d in &self.drafts {
            let mut documents = d.documents.clone();
            documents.extend(d.attached.iter().flat_map(|p| owned(p)));
            documents.extend(attached_to(d.kind, &d.id));
            let mut member_of = Vec::new();
            if d.kind == "user" {
                let groups = d
                    .groups
                    .iter()
                    .cloned()
                    .chain(self.memberships.iter().filter(|(u, _)| *u == d.id).map(|(_, g)| g.clone()));
                for g in groups {
                    member_of.push(format!("Resources.{g}"));
                    if let Some(group) = self.drafts.iter().find(|x| x.kind == "group" && x.id == g) {
                        documents.extend(group.documents.iter().copied());
                        documents.extend(group.attached.iter().flat_map(|p| owned(p)));
                    }
                    documents.extend(attached_to("group", &g));
                }
            }
            documents.sort_unstable();
            documents.dedup();
            let ceilings: Vec<usize> =
                d.boundary.iter().flat_map(|p| owned(p)).chain(d.aws_boundary.iter().copied()).collect();
            let conditional = documents.iter().chain(&ceilings).chain(&d.trust).any(|&i| self.variants[i].is_some());
            let readings: &[Variant] = if conditional { &[Some(true), Some(false)] } else { &[None] };
            for &reading in readings {
                let fits = |i: &usize| self.variants[*i].is_none() || reading.is_none() || self.variants[*i] == reading;
                let documents: Vec<usize> = documents.iter().copied().filter(fits).collect();
                let ceilings: Vec<usize> = ceilings.iter().copied().filter(fits).collect();
                let trust = d.trust.iter().copied().find(fits);
                if documents.is_empty() && trust.is_none() {
                    continue;
                }
                out.push(PrincipalPolicies {
                    principal: PrincipalRef {
                        kind: d.kind,
                        name: d.name.clone(),
                        arn: String::new(),
                        locator: format!("Resources.{}", d.id),
                    },
                    documents,
                    ceilings,
                    trust,
                    groups: member_of.clone(),
                });
            }
        }
        out
    }
}

/// A list's items, with both values of an `Fn::If` among them (a role listed under a
/// condition is still attached in one reading).
fn items(v: &V) -> Vec<&V> {
    match v {
        V::List(list, _) => list.iter().flat_map(both).collect(),
        other => both(other),
    }
}

/// Both values of an `Fn::If` (`AWS::NoValue` left out), or the value itself.
fn both(v: &V) -> Vec<&V> {
    if let V::Fn(name, arg, _) = v
        && name == "Fn::If"
        && let V::List(items, _) = &**arg
        && items.len() == 3
    {
        return items[1..]
            .iter()
            .filter(|i| !matches!(i, V::Fn(f, a, _) if f == "Ref" && a.as_str() == Some("AWS::NoValue")))
            .collect();
    }
    vec![v]
}

fn describe(v: &V) -> String {
    match v {
        V::Str(_) => "a string".into(),
        V::Num(_) => "a number".into(),
        V::Bool(_) => "a boolean".into(),
        V::Null(_) => "empty".into(),
        V::List(..) => "a list".into(),
        V::Map(entries, _) => {
            let keys: Vec<String> = entries.iter().map(|(k, _)| format!("`{}`", k.value)).collect();
            if keys.is_empty() { "an empty map".into() } else { format!("a map with keys {}", keys.join(", ")) }
        }
        V::Fn(name, ..) => format!("`{name}`"),
    }
}

enum Tree {
    Node(Node),
    /// `AWS::NoValue`: no document in this reading.
    Absent,
    /// A JSON string that does not parse (its syntax problems are reported).
    Broken,
    /// A value computed at deployment (`!Ref PolicyParameter`): where, and what.
    Unknown(Span, String),
}

/// The policy a value holds: an object, a JSON string (plain or `Fn::Sub` text), or
/// either branch of an `Fn::If`.
fn policy_tree(eval: &mut Eval<'_>, v: &V, syntax: &mut Vec<SyntaxProblem>) -> Tree {
    match v {
        V::Str(s) => json_string(eval, s, None, syntax),
        V::Fn(name, arg, span) => match name.as_str() {
            "Fn::Sub" => match &**arg {
                V::Str(s) => json_string(eval, s, Some(&[]), syntax),
                V::List(items, _) => match (items.first(), items.get(1)) {
                    (Some(V::Str(s)), Some(V::Map(vars, _))) => json_string(eval, s, Some(vars), syntax),
                    (Some(V::Str(s)), None) => json_string(eval, s, Some(&[]), syntax),
                    _ => Tree::Unknown(span.clone(), "`Fn::Sub` of an unexpected shape".into()),
                },
                _ => Tree::Unknown(span.clone(), "`Fn::Sub` of an unexpected shape".into()),
            },
            "Fn::If" => match eval.pick(name, arg) {
                Some(Some(chosen)) => policy_tree(eval, chosen, syntax),
                Some(None) => Tree::Absent,
                None => Tree::Unknown(span.clone(), "an `Fn::If` of an unexpected shape".into()),
            },
            "Ref" if arg.as_str() == Some("AWS::NoValue") => Tree::Absent,
            _ => {
                let written = eval.text.get(span.clone()).unwrap_or_default();
                let written = if written.len() > 60 || written.contains('\n') {
                    format!("`{name}`")
                } else {
                    format!("`{written}`")
                };
                Tree::Unknown(span.clone(), written)
            }
        },
        other => match eval.node(other) {
            Some(node) => Tree::Node(node),
            None => Tree::Absent,
        },
    }
}

/// A policy written as a JSON string. With `vars`, the string is `Fn::Sub` text: its
/// `${...}` are substituted inside each JSON string after parsing, so offsets stay exact.
fn json_string(
    eval: &mut Eval<'_>,
    s: &Str,
    vars: Option<&[(Spanned<String>, V)]>,
    syntax: &mut Vec<SyntaxProblem>,
) -> Tree {
    if s.value.trim().is_empty() {
        return Tree::Unknown(s.span.clone(), "an empty string".into());
    }
    let map = align(&s.value, eval.text, &s.content, s.quoting);
    // Where the characters cannot all be found in the file (see `align`), every span is
    // the whole string: the finding still points at the right policy.
    let spans = SpanMap { map: map.as_deref(), whole: s.span.clone() };
    let (tree, problems) = json::parse(&s.value, 0);
    syntax.extend(problems.into_iter().map(|mut p| {
        p.span = spans.span(&p.span);
        p.message = format!("{} (in the policy JSON string)", p.message);
        p
    }));
    match tree {
        None => Tree::Broken,
        Some(tree) => {
            let node = spans.node(tree);
            Tree::Node(match vars {
                Some(vars) => eval.substitute_strings(node, vars),
                None => node,
            })
        }
    }
}

/// The size of the document as CloudFormation hands it to IAM (compact JSON), counted
/// as `json::aws_size` counts it, and how much of that is escape syntax
/// (`json::escape_overhead`); without writing the JSON out.
fn compact_size(node: &Node) -> (usize, usize) {
    fn string(s: &str) -> (usize, usize) {
        let (mut size, mut extra) = (2, 0);
        for c in s.chars() {
            let escape = match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                c if (c as u32) < 0x20 => 6,
                _ => 1,
            };
            size += escape;
            extra += escape - 1;
        }
        (size, extra)
    }
    match node {
        Node::String(s) => string(&s.value),
        Node::Unresolved(u) => string(&u.value.value),
        Node::Number(n) => (n.value.chars().count(), 0),
        Node::Bool(b) => (if b.value { 4 } else { 5 }, 0),
        Node::Null(_) => (4, 0),
        Node::Array(items, _) => items.iter().fold((1 + items.len().max(1), 0), |(s, e), i| {
            let (a, b) = compact_size(i);
            (s + a, e + b)
        }),
        Node::Object(entries, _) => entries.iter().fold((1 + entries.len().max(1), 0), |(s, e), (k, v)| {
            let (ka, kb) = string(&k.value);
            let (va, vb) = compact_size(v);
            (s + ka + 1 + va, e + kb + vb)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned(file: &str, value: &str, quoting: Quoting) -> Option<String> {
        let content = 1..file.len() - 1;
        let map = align(value, file, &content, quoting)?;
        Some(map.iter().map(|&(s, e)| &file[s..e]).collect::<Vec<_>>().join("|"))
    }

    #[test]
    fn escapes_map_to_the_text_they_are_written_as() {
        let got = aligned(r#""a\"\u00e9\n""#, "a\"\u{e9}\n", Quoting::Json).unwrap();
        // é is two bytes, both read from the one escape.
        assert_eq!(got, r#"a|\"|\u00e9|\u00e9|\n"#);
        assert_eq!(aligned("'it''s'", "it's", Quoting::Yaml(Style::SingleQuoted)).unwrap(), "i|t|'|s");
        assert!(aligned(r#""a\qb""#, "aqb", Quoting::Json).is_none());
    }

    #[test]
    fn literal_blocks_skip_their_indentation() {
        let file = "|\n    {\"a\":\n      1}\n|";
        let map = align("{\"a\":\n  1}", file, &(2..file.len() - 2), Quoting::Yaml(Style::Literal)).unwrap();
        assert_eq!(&file[map[1].0..map[3].1], "\"a\"");
        assert_eq!(&file[map[map.len() - 1].0..map[map.len() - 1].1], "}");
    }

    #[test]
    fn sub_substitutes_parameters_pseudo_parameters_and_resources() {
        let default = V::Num(Spanned::new("42".into(), 0..0));
        let template = Template {
            parameters: [("Bucket", Some(&default)), ("NoDefault", None)].into_iter().collect(),
            types: [("Key", "AWS::KMS::Key")].into_iter().collect(),
            ..Template::default()
        };
        let mut eval = Eval { template: &template, text: "", branch: true, saw_if: false, depth: 0 };
        let t = eval
            .substitute("arn:${AWS::Partition}:s3:::${Bucket}/${NoDefault}/${Key.Arn}/${!Literal}/${AWS::Region}", &[]);
        assert_eq!(t.value, "arn:aws:s3:::42/${NoDefault}/${Key.Arn}/${Literal}/${AWS::Region}");
        let names: Vec<_> = t.parts.iter().map(|p| (p.name.as_str(), p.stands_for.clone())).collect();
        assert_eq!(
            names,
            vec![
                ("NoDefault", None),
                ("Key.Arn", Some(("AWS::KMS::Key".to_string(), "Arn".to_string()))),
                ("AWS::Region", None)
            ]
        );
    }

    #[test]
    fn size_is_what_the_compact_json_counts() {
        for text in [r#"{"a": ["x\"y", 1, true, null, []], "b\\": {}, "c": "caf\u00e9\n"}"#, "[]", "{}"] {
            let (tree, _) = json::parse(text, 0);
            let tree = tree.unwrap();
            let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
            assert_eq!(compact_size(&tree), (json::aws_size(&compact), json::escape_overhead(&compact)), "{text}");
        }
    }

    #[test]
    fn a_parameter_default_that_refers_to_itself_stops() {
        let self_ref = V::Fn(
            "Ref".into(),
            Box::new(V::Str(Str { value: "A".into(), span: 0..0, content: 0..0, quoting: Quoting::Json })),
            0..0,
        );
        let template = Template { parameters: [("A", Some(&self_ref))].into_iter().collect(), ..Template::default() };
        let mut eval = Eval { template: &template, text: "", branch: true, saw_if: false, depth: 0 };
        assert!(eval.text(&self_ref).is_some());
    }
}
