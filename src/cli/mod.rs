//! Command-line interface: clap definitions and one module per subcommand.

mod catalogue;
mod check;
mod diff;
mod progress;
mod rules;

use crate::catalogue::Catalogue;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "iamlint", about = "Static least-privilege linter for AWS IAM policies", disable_version_flag = true)]
pub struct Cli {
    /// Print the version and the catalogue's sources
    #[arg(short = 'V', long, action = clap::ArgAction::SetTrue, global = false)]
    pub version: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint policy files and directories
    Check(Box<check::CheckArgs>),
    /// Compare two versions of policies: what new access a change grants, per action
    Diff(Box<diff::DiffArgs>),
    /// Show what action patterns grant, grouped by access level
    Expand {
        /// Action patterns such as `s3:*Object` or `ec2:Describe*`
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Show an action's access level, resource types, condition keys and dependent actions
    Action {
        /// `service:Action`, e.g. `iam:PassRole`
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List every rule with its id, default severity and summary
    Rules,
    /// Print a rule's documentation
    Explain {
        /// Rule id, e.g. `passrole-unscoped`
        rule: String,
    },
    /// Print a shell completion script (e.g. `iamlint completions bash > /etc/bash_completion.d/iamlint`)
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `iamlint man > /usr/local/share/man/man1/iamlint.1`
    Man,
}

/// Exit codes: 0 clean, 1 findings at or above the threshold, 2 the run itself failed.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Runs iamlint with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Stdout is line-buffered: a SARIF or JSON report of thousands of findings would be
    // hundreds of thousands of writes.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = match (cli.version, cli.command) {
        (true, _) => writeln!(out, "{}", version_text(Catalogue::bundled())).map(|_| 0),
        (false, None) => {
            let _ = <Cli as clap::CommandFactory>::command().print_help();
            Ok(EXIT_ERROR)
        }
        (false, Some(Command::Check(args))) => check::run(&args, &mut out),
        (false, Some(Command::Diff(args))) => diff::run(&args, &mut out),
        (false, Some(Command::Expand { patterns })) => catalogue::expand(&patterns, &mut out),
        (false, Some(Command::Action { names })) => catalogue::action(&names, &mut out),
        (false, Some(Command::Rules)) => rules::list(&mut out),
        (false, Some(Command::Explain { rule })) => rules::explain(&rule, &mut out),
        (false, Some(Command::Completions { shell })) => {
            // Generated into memory: clap_complete panics when its writer fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "iamlint", &mut script);
            out.write_all(&script).map(|_| 0)
        }
        (false, Some(Command::Man)) => man(&mut out),
    };
    // `iamlint ... | head` closes the pipe early: that is not an error, and the run's own
    // exit code stands (`check` keeps it through a closed pipe).
    let result = result.and_then(|code| match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(code),
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamlint: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `iamlint --version`: the tool and the catalogue's provenance.
pub fn version_text(catalogue: &Catalogue) -> String {
    let h = catalogue.header();
    let mut s = format!(
        "iamlint {}\ncatalogue: AWS Service Authorization Reference data of {} ({} services, {} actions, {} resource types)\nsources:",
        env!("CARGO_PKG_VERSION"),
        h.data_date,
        h.totals.services,
        h.totals.actions,
        h.totals.resource_types
    );
    for src in &h.sources {
        s.push_str(&format!("\n  {} {} ({}, {}): {}", src.name, src.version, src.registry, src.licence, src.provides));
    }
    s.push_str(&format!(
        "\naws managed policies (for account dumps that only name them): {}",
        crate::catalogue::managed::provenance()
    ));
    s
}

/// `iamlint man`: one page for the tool and its subcommands, from the clap definitions
/// (so `--help`, completions and the page never disagree).
fn man(out: &mut impl Write) -> std::io::Result<u8> {
    let command = <Cli as clap::CommandFactory>::command().version(env!("CARGO_PKG_VERSION"));
    let page = clap_mangen::Man::new(command.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_subcommands_section(out)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("iamlint {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let sub = sub.clone().bin_name(name);
        let sub_page = clap_mangen::Man::new(sub);
        sub_page.render_synopsis_section(out)?;
        sub_page.render_options_section(out)?;
    }
    page.render_version_section(out)?;
    Ok(0)
}

/// Writes an error about the invocation to stderr in one line.
fn usage_error(message: &str) -> std::io::Result<u8> {
    eprintln!("iamlint: {message}");
    Ok(EXIT_ERROR)
}

fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() }
}
