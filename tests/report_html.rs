//! The HTML report as a browser shows it: the real binary writes the page for the bundled
//! example (and a template with hostile names), headless Chromium renders it, and the
//! test reads the DOM after the page's script ran. Filtering is driven through the
//! address (`#severity=critical`, `#q=...`), which the script reads.
//!
//! Chromium comes from `$IAMLINT_CHROMIUM` (`source /opt/iamlint-tools/env.sh`, written by
//! `.ci/install-tools`) or `chromium` on the PATH. Under `CI=true` a missing Chromium
//! fails the test; elsewhere the test says why it did not run and passes.

mod common;

use common::Scratch;
use iamlint::catalogue::Catalogue;
use iamlint::diagnostic::{
    Chain, ChainStep, Finding, Outcome, PolicyRole, PolicySummary, PrincipalRef, Severity, SubjectSummary,
};
use iamlint::filter::{FailOn, Verdict};
use iamlint::source::SourceFile;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The hostile role name: markup, quotes, a style end, a BiDi override.
const HOSTILE: &str = "<script>window.pwned=1</script>\"'</style>\u{202e}evil";

fn chromium() -> Option<PathBuf> {
    let from_env = std::env::var_os("IAMLINT_CHROMIUM").map(PathBuf::from).filter(|p| p.is_file());
    let on_path = || {
        let o = Command::new("sh").args(["-c", "command -v chromium"]).output().ok()?;
        let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
        (o.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
    };
    let found = from_env.or_else(on_path);
    if found.is_none() {
        let reason = "no Chromium: set IAMLINT_CHROMIUM (source /opt/iamlint-tools/env.sh) or install `chromium`";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("skipped: {reason}");
    }
    found
}

/// The DOM after scripts, for `target` (a file URL, with a fragment if any).
fn dump_dom(chromium: &Path, scratch: &Path, target: &str) -> String {
    let profile = scratch.join(format!("profile-{}", target.len()));
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--log-level=3",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(target)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium printed no DOM ({:?}):\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    dom
}

/// Every opening tag `<name ...>` of the DOM (quotes respected).
fn tags<'a>(dom: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = dom[from..].find(&open) {
        let start = from + i;
        let mut quote = None;
        let mut end = dom.len();
        for (j, c) in dom[start..].char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = start + j + 1;
                    break;
                }
                _ => {}
            }
        }
        out.push(&dom[start..end]);
        from = end;
    }
    out
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

/// The subject sections: (data-search, data-worst, hidden).
fn sections(dom: &str) -> Vec<(String, String, bool)> {
    tags(dom, "section")
        .into_iter()
        .filter(|t| attr(t, "class").is_some_and(|c| c.starts_with("subject")))
        .map(|t| {
            (
                attr(t, "data-search").unwrap_or_default().to_string(),
                attr(t, "data-worst").unwrap_or_default().to_string(),
                t.contains(" hidden"),
            )
        })
        .collect()
}

fn template_with_hostile_names() -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Hostile:
    Type: AWS::IAM::Role
    Properties:
      RoleName: '{}'
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: ec2.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: "</style><b>x</b>"
                Effect: Allow
                Action: iam:PassRole
                Resource: "arn:aws:iam::123456789012:role/<img src=x onerror=alert(1)>"
"#,
        HOSTILE.replace('\'', "''")
    )
}

#[test]
fn the_html_report_renders_principals_findings_and_filters_in_chromium() {
    let scratch = Scratch::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples/account.yaml");
    fs::copy(&example, scratch.0.join("account.yaml")).unwrap();
    fs::write(scratch.0.join("hostile.yaml"), template_with_hostile_names()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "account.yaml", "hostile.yaml", "--format", "html", "--isolated"])
        .current_dir(&scratch.0)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let page = String::from_utf8(o.stdout).unwrap();
    fs::write(scratch.0.join("report.html"), &page).unwrap();

    // Self-contained: one inline script, nothing loaded from anywhere.
    assert_eq!(page.matches("<script").count(), 1, "one inline script only");
    for external in ["<link", " src=\"", "url(", "@import", "<img", "<iframe", "<object", "<embed"] {
        assert!(!page.contains(external), "the page references something outside it: {external}");
    }
    for (i, _) in page.match_indices(" href=\"") {
        assert!(page[i + 7..].starts_with('#'), "a link out of the page: {}", &page[i..i + 40]);
    }
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // The hostile values are text, and the BiDi override is shown, not obeyed.
    assert!(!page.contains('\u{202e}'), "a raw BiDi override reached the page");
    assert!(page.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;&quot;&#39;&lt;/style&gt;\\u{202e}evil"));
    assert!(page.contains("&lt;/style&gt;&lt;b&gt;x&lt;/b&gt;"), "the Sid in the excerpt is escaped");
    assert_eq!(page.matches("</style>").count(), 1, "only the page's own style element ends");
    // Deterministic: the same run writes the same page.
    let again = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "account.yaml", "hostile.yaml", "--format", "html", "--isolated"])
        .current_dir(&scratch.0)
        .output()
        .unwrap();
    assert!(again.stdout == page.as_bytes(), "two runs wrote different pages");

    let Some(chromium) = chromium() else { return };
    let url = format!("file://{}", scratch.0.join("report.html").display());
    let dom = dump_dom(&chromium, &scratch.0, &url);
    // The script ran: the controls are shown and count the sections.
    let controls = tags(&dom, "div").into_iter().find(|t| attr(t, "id") == Some("controls")).expect("controls");
    assert!(!controls.contains(" hidden"), "the script did not show the controls: {controls}");
    let all = sections(&dom);
    assert!(dom.contains(&format!("{n} of {n} sections shown", n = all.len())), "status line");
    // Each principal of the template is a section (the hostile one too), and the bucket
    // policy no principal holds.
    for name in
        ["user dev", "role deployer", "role build-runner", "role ops-admin", "role thumbnailer", "group developers"]
    {
        assert!(all.iter().any(|(search, _, _)| search.starts_with(name)), "no section for {name}");
    }
    assert!(all.iter().any(|(search, _, _)| search.contains("publicassetspolicy")), "the bucket policy");
    assert!(all.iter().all(|(_, _, hidden)| !hidden), "nothing is filtered by default");
    // The findings with their excerpts: the split escalation of build-runner is there,
    // its PassRole underlined.
    assert!(dom.contains("launch an EC2 instance with a passed instance profile (ec2-001)"));
    assert!(dom.contains("<mark>iam:PassRole</mark>"));
    assert!(dom.contains("found on the policies of role build-runner taken together"));
    // The access table: the admin role can do every IAM action.
    assert!(dom.contains("<td class=\"c all\""), "an all-on-everything cell");
    // The hostile name is text in the DOM, never an element.
    assert!(dom.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"), "the hostile name as text");
    assert!(!dom.contains("<script>window.pwned"), "the hostile name became markup");
    assert!(tags(&dom, "img").is_empty() && tags(&dom, "b").iter().all(|t| !t.contains("x")));

    // Filtering through the address: at least critical.
    let dom = dump_dom(&chromium, &scratch.0, &format!("{url}#severity=critical"));
    let filtered = sections(&dom);
    assert_eq!(filtered.len(), all.len());
    for (search, worst, hidden) in &filtered {
        assert_eq!(*hidden, worst != "critical", "{worst} section {search:.40} hidden={hidden}");
    }
    let articles = tags(&dom, "article");
    assert!(articles.iter().any(|t| attr(t, "data-severity") == Some("critical") && !t.contains(" hidden")));
    assert!(articles.iter().filter(|t| attr(t, "data-severity") != Some("critical")).all(|t| t.contains(" hidden")));
    let select = dom.find("<option value=\"critical\" selected").or_else(|| dom.find("id=\"severity\""));
    assert!(select.is_some());

    // Search: one principal by name.
    let dom = dump_dom(&chromium, &scratch.0, &format!("{url}#q=thumbnailer"));
    let shown: Vec<_> = sections(&dom).into_iter().filter(|s| !s.2).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].0.starts_with("role thumbnailer"));
    assert!(dom.contains(&format!("1 of {} sections shown", all.len())));
}

/// A finding with an escalation chain (what target-aware escalation fills), rendered by
/// the library and drawn by Chromium: principal -> action -> target, the admin marked.
#[test]
fn escalation_chains_are_drawn_as_chains() {
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": \"*\"}]}\n";
    let source = Arc::new(SourceFile::new("dump.json", text.to_string()));
    let at = text.find("\"iam:PassRole\"").unwrap();
    let rule = iamlint::rules::find("privilege-escalation").unwrap();
    let dev = PrincipalRef {
        kind: "user",
        name: "dev".into(),
        arn: "arn:aws:iam::111122223333:user/dev".into(),
        locator: "UserDetailList[0]".into(),
    };
    let step = |from: &str, action: &str, to: &str, to_admin| ChainStep {
        from: from.into(),
        action: action.into(),
        to: to.into(),
        to_admin,
    };
    let finding = Finding {
        rule: &rule.meta,
        severity: Severity::Critical,
        message: "user/dev can pass role/ops-admin to EC2".into(),
        source: source.clone(),
        span: at..at + 14,
        label: "grants `iam:PassRole`".into(),
        labels: Vec::new(),
        help: Some("name the roles in Resource".into()),
        note: None,
        locator: "Statement[0]".into(),
        statement: None,
        actions: vec!["iam:PassRole".into(), "ec2:RunInstances".into()],
        principal: Some(dev.clone()),
        chains: vec![Chain {
            steps: vec![
                step(
                    "arn:aws:iam::111122223333:user/dev",
                    "sts:AssumeRole",
                    "arn:aws:iam::111122223333:role/ci",
                    false,
                ),
                step(
                    "arn:aws:iam::111122223333:role/ci",
                    "iam:PassRole",
                    "arn:aws:iam::111122223333:role/<ops-admin>",
                    true,
                ),
            ],
        }],
        waiver: None,
    };
    let subject = SubjectSummary {
        principal: Some(dev),
        source,
        policies: vec![PolicySummary {
            locator: String::new(),
            kind: "identity",
            role: PolicyRole::Grants,
            span: 0..text.len() - 1,
        }],
        access: None,
    };
    let outcome = Outcome { findings: vec![finding], checked: 1, subjects: vec![subject], ..Outcome::default() };
    let verdict = Verdict::of(&outcome, FailOn::AtLeast(Severity::Medium));
    let page = iamlint::report::html::page(&outcome, &verdict, Catalogue::bundled());
    assert!(page.contains("111122223333"), "the account column");

    let Some(chromium) = chromium() else { return };
    let scratch = Scratch::new();
    fs::write(scratch.0.join("chain.html"), &page).unwrap();
    let dom = dump_dom(&chromium, &scratch.0, &format!("file://{}", scratch.0.join("chain.html").display()));
    let start = dom.find("<ol class=\"chain\"").expect("a chain");
    let chain = &dom[start..start + dom[start..].find("</ol>").unwrap()];
    let items: Vec<&str> = tags(chain, "li").into_iter().filter_map(|t| attr(t, "class")).collect();
    assert_eq!(items, ["node", "edge", "node", "edge", "node admin"]);
    let order = [
        "arn:aws:iam::111122223333:user/dev",
        "sts:AssumeRole",
        "arn:aws:iam::111122223333:role/ci",
        "iam:PassRole",
        "arn:aws:iam::111122223333:role/&lt;ops-admin&gt;",
        ">admin<",
    ];
    let mut at = 0;
    for part in order {
        let found = chain[at..].find(part).unwrap_or_else(|| panic!("{part} not after the previous step in {chain}"));
        at += found + part.len();
    }
    // The account comes from the ARN, in the overview.
    assert!(dom.contains("<td class=\"mono\">111122223333</td>"));
}
