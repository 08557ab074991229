//! `iamlint expand` and `iamlint action`: what the catalogue knows.

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::catalogue::model::{AccessLevel, KeyType};
use crate::catalogue::{Catalogue, Expansion, ServiceId, operation_hint};
use std::io::Write;

pub fn expand(patterns: &[String], out: &mut impl Write) -> std::io::Result<u8> {
    let catalogue = Catalogue::bundled();
    let mut code = 0;
    for (i, pattern) in patterns.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match catalogue.expand(pattern) {
            Expansion::Actions(set) => {
                let total = set.len(catalogue);
                writeln!(out, "{pattern} grants {total} action{}", if total == 1 { "" } else { "s" })?;
                for level in AccessLevel::ALL {
                    let names: Vec<String> = set
                        .iter(catalogue)
                        .filter(|id| catalogue.action_access(*id) == level)
                        .map(|id| catalogue.action_name(id))
                        .collect();
                    if names.is_empty() {
                        continue;
                    }
                    writeln!(out, "  {} ({}):", level.as_str(), names.len())?;
                    for n in names {
                        writeln!(out, "    {n}")?;
                    }
                }
            }
            other => {
                writeln!(out, "{pattern}: {}", explain_miss(&other, pattern))?;
                code = EXIT_FINDINGS;
            }
        }
    }
    Ok(code)
}

/// Says why a pattern grants nothing.
pub fn explain_miss(expansion: &Expansion, pattern: &str) -> String {
    match expansion {
        Expansion::Actions(_) => "grants actions".into(),
        Expansion::Malformed(reason) => reason.clone(),
        Expansion::UnknownService { service, suggestion } => match suggestion {
            Some(s) => format!("unknown service `{service}` (did you mean `{s}`?)"),
            None => format!("unknown service `{service}`"),
        },
        Expansion::UnknownAction { suggestion } => match (operation_hint(pattern), suggestion) {
            (Some(actions), _) => {
                format!("not an IAM action; the API operation is authorized by {}", actions.join(" + "))
            }
            (None, Some(s)) => format!("unknown action (did you mean `{s}`?)"),
            (None, None) => "unknown action".into(),
        },
        Expansion::NoMatch => "matches no action".into(),
    }
}

fn key_type(catalogue: &Catalogue, service: ServiceId, key: &str) -> Option<KeyType> {
    let global = &catalogue.header().global_keys;
    let own = &catalogue.service(service).keys;
    global.iter().chain(own.iter()).find(|k| k.name.eq_ignore_ascii_case(key)).map(|k| k.kind)
}

pub fn action(names: &[String], out: &mut impl Write) -> std::io::Result<u8> {
    let catalogue = Catalogue::bundled();
    let mut code = 0;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let Some(id) = catalogue.lookup(name) else {
            writeln!(out, "{name}: {}", explain_miss(&catalogue.expand(name), name))?;
            code = EXIT_ERROR;
            continue;
        };
        let a = catalogue.action(id);
        writeln!(out, "{}", catalogue.action_name(id))?;
        if !a.description.is_empty() {
            writeln!(out, "  {}", a.description)?;
        }
        let inferred = if a.inferred { " (inferred from the name: no source gives a level)" } else { "" };
        writeln!(out, "  access level: {}{inferred}", a.access.as_str())?;
        if a.resources.is_empty() {
            writeln!(out, "  resource types: none (the action takes only \"*\")")?;
        } else {
            writeln!(out, "  resource types:")?;
            for r in &a.resources {
                let required = if r.required { " (required)" } else { "" };
                writeln!(out, "    {}{required}", r.kind)?;
                if let Some(rt) = catalogue.resource_type(id.service, &r.kind) {
                    for arn in &rt.arns {
                        writeln!(out, "      {arn}")?;
                    }
                }
                for k in &r.keys {
                    let t = key_type(catalogue, id.service, k).map(|t| format!(" ({t:?})")).unwrap_or_default();
                    writeln!(out, "      key: {k}{t}")?;
                }
            }
        }
        if a.keys.is_empty() {
            writeln!(out, "  condition keys: none of its own")?;
        } else {
            writeln!(out, "  condition keys:")?;
            for k in &a.keys {
                let t = key_type(catalogue, id.service, k).map(|t| format!(" ({t:?})")).unwrap_or_default();
                writeln!(out, "    {k}{t}")?;
            }
        }
        if a.dependent.is_empty() {
            writeln!(out, "  dependent actions: none")?;
        } else {
            writeln!(out, "  dependent actions: {}", a.dependent.join(", "))?;
        }
    }
    Ok(code)
}
