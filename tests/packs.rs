//! Every knowledge pack in `rules/packs/`: its structure, the actions it names, and, for
//! the escalation pack, that each path fires on a policy granting exactly its actions and
//! falls silent when any one of them is missing. A new path needs no fixture of its own.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::rules;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn pack(name: &str) -> Value {
    let text = std::fs::read_to_string(Path::new("rules/packs").join(name)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strings<'v>(v: &'v Value, what: &str) -> Vec<&'v str> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not a list"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("{what}: {s} is not a string")))
        .collect()
}

/// The action, spelt exactly as the catalogue spells it.
fn known_action(catalogue: &Catalogue, name: &str, what: &str) {
    let id = catalogue.lookup(name).unwrap_or_else(|| panic!("{what}: {name} is not an action"));
    assert_eq!(catalogue.action_name(id), name, "{what}: spelt as the catalogue does");
}

#[test]
fn every_pack_has_provenance() {
    let mut names: Vec<String> = std::fs::read_dir("rules/packs")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 13, "a new pack gets its structure checked here: {names:?}");
    for name in &names {
        let p = pack(name);
        let about = p.get("description").or_else(|| p.get("about")).and_then(Value::as_str);
        assert!(about.is_some_and(|a| a.len() > 20), "{name}: no description");
        // The sensitive-actions pack's provenance is per entry: each says why
        // (`pack_actions_exist`), and the actions are the catalogue's.
        if name != "sensitive-actions.json" {
            let refs = p.get("references").or_else(|| p.get("sources")).and_then(Value::as_array);
            assert!(refs.is_some_and(|r| !r.is_empty()), "{name}: no references or sources");
        }
    }
}

#[test]
fn pack_actions_exist() {
    let catalogue = Catalogue::bundled();
    for entry in pack("network-placement.json")["actions"].as_array().unwrap() {
        known_action(catalogue, entry["action"].as_str().unwrap(), "network-placement");
        assert!(!strings(&entry["placed_by"], "placed_by").is_empty());
    }
    for (class, entries) in pack("sensitive-actions.json")["classes"].as_object().unwrap() {
        assert!(!entries.as_array().unwrap().is_empty(), "{class} is empty");
        for entry in entries.as_array().unwrap() {
            known_action(catalogue, entry["action"].as_str().unwrap(), class);
            assert!(entry["why"].as_str().is_some_and(|w| !w.is_empty()), "{class}: {entry}");
        }
    }
}

#[test]
fn escalation_targets_are_well_formed() {
    let catalogue = Catalogue::bundled();
    let pack = pack("privilege-escalation.json");
    let targets = pack["targets"].as_array().unwrap();
    assert!(targets.len() >= 13);
    for t in targets {
        known_action(catalogue, t["action"].as_str().unwrap(), "targets");
        assert!(["role", "user", "group"].contains(&t["target"].as_str().unwrap()), "{t}");
        assert!(["target", "any"].contains(&t["gains"].as_str().unwrap()), "{t}");
        assert!(t.get("via").is_none_or(|v| ["pass", "assume"].contains(&v.as_str().unwrap())), "{t}");
    }
}

#[test]
fn boundary_delegation_names_catalogue_actions() {
    let catalogue = Catalogue::bundled();
    let pack = pack("boundary-delegation.json");
    assert_eq!(pack["key"].as_str(), Some("iam:PermissionsBoundary"));
    for list in ["bounded", "setters", "removers", "editors"] {
        let names = strings(&pack[list], list);
        assert!(!names.is_empty(), "{list} is empty");
        for name in names {
            known_action(catalogue, name, list);
            if list != "editors" {
                let id = catalogue.lookup(name).unwrap();
                let keys = &catalogue.action(id).keys;
                assert!(
                    keys.iter().any(|k| k.eq_ignore_ascii_case("iam:PermissionsBoundary")),
                    "{name}: no iam:PermissionsBoundary"
                );
            }
        }
    }
    // A setter sets a boundary only to the one a bounded grant names.
    for setter in strings(&pack["setters"], "setters") {
        assert!(strings(&pack["bounded"], "bounded").contains(&setter), "{setter}");
    }
}

#[test]
fn retired_services_are_dated_and_gone_from_the_catalogue() {
    let catalogue = Catalogue::bundled();
    for service in pack("retired-services.json")["services"].as_array().unwrap() {
        let prefix = service["prefix"].as_str().unwrap();
        assert!(catalogue.find_service(prefix).is_none(), "{prefix} is in the catalogue");
        let date = service["absent_since"].as_str().unwrap();
        assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "{prefix}: absent_since {date}");
        assert!(service["reference"].as_str().is_some_and(|r| r.starts_with("https://")), "{prefix}");
    }
}

#[test]
fn confused_deputy_services_are_well_formed() {
    let mut seen = BTreeSet::new();
    for service in pack("confused-deputy-services.json")["services"].as_array().unwrap() {
        let principal = service["principal"].as_str().unwrap();
        assert!(principal.ends_with(".amazonaws.com"), "{principal}");
        assert!(seen.insert(principal.to_string()), "{principal} twice");
        for kind in strings(&service["policies"], principal) {
            assert!(["trust", "resource"].contains(&kind), "{principal}: policies has {kind}");
        }
        assert!(service["reference"].as_str().is_some_and(|r| r.starts_with("https://")), "{principal}");
    }
}

fn escalation_paths() -> Vec<(String, String, Vec<String>)> {
    let pack = pack("privilege-escalation.json");
    pack["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let actions = strings(&p["actions"], "actions").into_iter().map(str::to_string).collect();
            (p["id"].as_str().unwrap().to_string(), p["category"].as_str().unwrap().to_string(), actions)
        })
        .collect()
}

#[test]
fn escalation_paths_are_well_formed() {
    let catalogue = Catalogue::bundled();
    let paths = escalation_paths();
    assert!(paths.len() >= 93, "{} paths", paths.len());
    let mut ids = BTreeSet::new();
    for (id, category, actions) in &paths {
        assert!(ids.insert(id.clone()), "{id} twice");
        assert!(
            ["self-escalation", "principal-access", "new-passrole", "existing-passrole"].contains(&category.as_str()),
            "{id}: category {category}"
        );
        assert!(!actions.is_empty(), "{id}");
        for name in actions {
            known_action(catalogue, name, id);
        }
    }
    let pack = pack("privilege-escalation.json");
    let prefixes: BTreeSet<&str> =
        paths.iter().flat_map(|(_, _, a)| a.iter().filter_map(|a| a.split_once(':').map(|(s, _)| s))).collect();
    for (service, aliases) in pack["passed_to_aliases"].as_object().unwrap() {
        assert!(prefixes.contains(service.as_str()), "passed_to_aliases: {service} is no path's service");
        assert!(
            strings(aliases, service).iter().all(|a| !a.is_empty() && !a.contains('.')),
            "{service}: aliases are service names"
        );
    }
    for policy in strings(&pack["admin_policies"], "admin_policies") {
        assert!(policy.starts_with("arn:aws:iam::aws:policy/"), "{policy}");
    }
}

/// Every path id of DataDog's pathfinding.cloud, as `rules/catalogue/pathfinding-paths.sh`
/// last read them (`rules/catalogue/pathfinding-paths.txt`, with the commit), is a path of
/// the escalation pack or listed in its `excluded` with a reason.
#[test]
fn every_pathfinding_cloud_path_is_covered_or_excluded() {
    let text = std::fs::read_to_string("rules/catalogue/pathfinding-paths.txt").unwrap();
    let is_commit = |w: &str| w.len() == 40 && w.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(
        text.lines().any(|l| l.starts_with('#') && l.split_whitespace().any(is_commit)),
        "pathfinding-paths.txt names the commit it was read at"
    );
    let listed: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    assert!(listed.len() >= 60, "{} ids", listed.len());
    let covered: BTreeSet<String> = escalation_paths().into_iter().map(|(id, _, _)| id).collect();
    let pack = pack("privilege-escalation.json");
    let mut excluded = BTreeSet::new();
    for e in pack["excluded"].as_array().expect("excluded is a list") {
        let id = e["id"].as_str().expect("an excluded entry has an id");
        assert!(e["reason"].as_str().is_some_and(|r| r.len() > 10), "{id}: excluded without a reason");
        assert!(!covered.contains(id), "{id} is both a path and excluded");
        assert!(excluded.insert(id.to_string()), "{id} excluded twice");
    }
    let missing: Vec<&str> =
        listed.iter().copied().filter(|id| !covered.contains(*id) && !excluded.contains(*id)).collect();
    assert!(missing.is_empty(), "pathfinding.cloud paths neither in the pack nor excluded: {missing:?}");
}

/// The path ids privilege-escalation names (in the message or the note) for a policy
/// granting exactly these actions on every resource.
fn paths_found(actions: &[String]) -> BTreeSet<String> {
    let rule = rules::find("privilege-escalation").unwrap();
    let json = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let options =
        LintOptions { rules: vec![rule], kind: None, settings: Settings::default(), scps: Default::default() };
    let bytes = serde_json::to_vec(&json).unwrap();
    let FileOutcome::Linted(findings) = lint_bytes(Path::new("p.json"), bytes, true, &options, Catalogue::bundled())
    else {
        panic!("not linted")
    };
    let text: String =
        findings.iter().map(|f| format!("{} {}\n", f.message, f.note.as_deref().unwrap_or(""))).collect();
    // Ids are `service-NNN` or `iamlint-NNN`: read them as whole words.
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).map(str::to_string).collect()
}

#[test]
fn every_escalation_path_fires_on_exactly_its_actions() {
    let mut failures = Vec::new();
    for (id, _, actions) in escalation_paths() {
        if !paths_found(&actions).contains(&id) {
            failures.push(format!("{id}: not reported for {actions:?}"));
        }
        for i in 0..actions.len() {
            let mut fewer = actions.clone();
            let dropped = fewer.remove(i);
            if paths_found(&fewer).contains(&id) {
                failures.push(format!("{id}: still reported without {dropped}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every SAM policy template refers only to its own parameters (and pseudo parameters),
/// and what it grants is in the catalogue: a template whose expansion would meet an
/// unknown action is caught here, when the pack is refreshed, not in a user's run.
#[test]
fn sam_policy_templates_are_well_formed() {
    fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(map) => {
                if let (1, Some(Value::String(target))) = (map.len(), map.get("Ref")) {
                    out.push(target);
                }
                map.values().for_each(|x| refs(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let catalogue = Catalogue::bundled();
    let pack = pack("sam-policy-templates.json");
    let templates = pack["templates"].as_object().unwrap();
    assert!(templates.len() > 70, "{}", templates.len());
    let mut unknown = Vec::new();
    for (name, t) in templates {
        let parameters = strings(&t["parameters"], name);
        let mut used = Vec::new();
        refs(&t["definition"], &mut used);
        for target in used.iter().filter(|r| !r.starts_with("AWS::")) {
            assert!(parameters.contains(target), "{name}: Ref {target} is not a parameter");
        }
        for st in t["definition"]["Statement"].as_array().unwrap_or_else(|| panic!("{name}: no Statement list")) {
            let actions = match &st["Action"] {
                Value::String(a) => vec![a.as_str()],
                other => strings(other, name),
            };
            for action in actions {
                if !matches!(catalogue.expand(action), iamlint::catalogue::Expansion::Actions(_)) {
                    unknown.push(format!("{name}: {action}"));
                }
            }
        }
    }
    // SQS authorizes its batch calls by the single actions; SAM's poller template names the
    // batch operations too (they grant nothing, and what the user wrote is not at fault:
    // iamlint does not report validity findings on a template's own text).
    let known_gaps = ["SQSPollerPolicy: sqs:ChangeMessageVisibilityBatch", "SQSPollerPolicy: sqs:DeleteMessageBatch"];
    unknown.retain(|u| !known_gaps.contains(&u.as_str()));
    assert!(unknown.is_empty(), "SAM templates grant actions the catalogue does not know: {unknown:#?}");
}
