//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//! `::error file=..,line=..,endLine=..,col=..,endColumn=..,title=..::message`.
//!
//! The runner reads a command from the start of a log line, its properties up to the
//! next `::`, and its data to the end of the line. So every piece of text is escaped as
//! the runner unescapes it (`%` -> `%25`, CR -> `%0D`, LF -> `%0A`; in properties also
//! `:` -> `%3A` and `,` -> `%2C`): text from a policy can neither end the command, nor
//! end its properties, nor start a new line (hence a new command). Other control
//! characters (ANSI escapes, BiDi overrides) are written as `\u{..}`, since the runner
//! would pass them to the log as they are.

use super::escape;
use super::human::summary_line;
use crate::diagnostic::{Finding, Outcome, Severity};
use crate::filter::Verdict;
use std::io::{self, Write};
use std::path::Path;

/// Escapes text for the data part of a workflow command.
pub fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if escape::is_unsafe(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a property value of a workflow command.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    }
}

/// One annotation. `base` is the repository root the file path is made relative to.
pub fn annotation(f: &Finding, base: &Path) -> String {
    let ((line, col), (mut end_line, mut end_col)) = f.range();
    if (end_line, end_col) <= (line, col) {
        (end_line, end_col) = (line, col + 1);
    }
    let absolute = crate::source::absolute(&f.source.path);
    let file = match absolute.strip_prefix(base) {
        Ok(relative) => crate::source::display(relative),
        Err(_) => f.source.display_path(),
    };
    let title = format!("iamlint {} ({})", f.rule.id, f.severity);
    // Values cut as in every output for people; `data` escapes the rest.
    let mut message = escape::message(&f.message).into_owned();
    if !f.locator.is_empty() {
        message.push_str(&format!(" (at {})", escape::value(&f.locator)));
    }
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(&escape::lines(help));
    }
    // GitHub's annotation API takes columns only when the range is on one line.
    let columns = if end_line == line { format!(",col={col},endColumn={end_col}") } else { String::new() };
    format!(
        "::{} file={},line={line},endLine={end_line}{columns},title={}::{}",
        command(f.severity),
        property(&file),
        property(&title),
        data(&message)
    )
}

/// Every finding as an annotation, then the summary line (plain text, not a command).
pub fn write(outcome: &Outcome, verdict: &Verdict, base: &Path, out: &mut impl Write) -> io::Result<()> {
    for f in &outcome.findings {
        writeln!(out, "{}", annotation(f, base))?;
    }
    write_end(outcome, &summary_line(outcome, verdict), out)
}

/// After the annotations: the files not linted, the warnings, the summary line.
pub fn write_end(outcome: &Outcome, summary: &str, out: &mut impl Write) -> io::Result<()> {
    for (path, message) in &outcome.errors {
        writeln!(
            out,
            "::error file={},title={}::{}",
            property(&crate::source::display(path)),
            property("iamlint: file not linted"),
            data(message)
        )?;
    }
    for w in &outcome.warnings {
        writeln!(out, "::warning title={}::{}", property("iamlint"), data(w))?;
    }
    writeln!(out, "{}", data(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_unescapes() {
        assert_eq!(data("a%b\r\nc::d"), "a%25b%0D%0Ac::d");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(data("\u{1b}[31m"), "\\u{1b}[31m");
        assert_eq!(data("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn hostile_text_stays_on_one_line_and_in_its_place() {
        for hostile in ["x\n::error::pwned", "x\r::stop-commands::t", "a::b,c=d", "%0A", "\u{2028}::e::"] {
            let p = property(hostile);
            let d = data(hostile);
            for s in [&p, &d] {
                assert!(!s.contains('\n') && !s.contains('\r') && !s.contains('\u{2028}'), "{s:?}");
            }
            assert!(!p.contains("::") && !p.contains(','), "{p:?}");
            // What the runner reads back is what was written.
            let unescaped = d.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%");
            if !hostile.contains('\u{2028}') {
                assert_eq!(unescaped, hostile);
            }
        }
    }
}
