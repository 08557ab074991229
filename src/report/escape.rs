//! Text taken from the input (values, Sids, keys, locators, file names) on its way to a
//! terminal, a CI log or stderr. Every renderer that writes for a person goes through
//! these functions, so a policy can neither colour, reorder or overwrite what is shown
//! (ANSI escapes, BiDi overrides, carriage returns), nor start a line of its own
//! (newlines), nor start a CI workflow command (`::error::`, `##[group]`, `##vso[`).
//!
//! - [`text`]: escapes every unsafe character (`\n`, `\r`, `\t`, `\u{1b}`, ...);
//! - [`value`]: [`text`], cut to [`MAX_VALUE_CHARS`] characters;
//! - [`message`]: [`text`], with each backtick-quoted value cut and the whole capped;
//! - [`lines`]: [`message`] line by line, for help and notes written on several lines;
//! - [`path`]: [`text`], and a name that would begin a workflow command gets `./`;
//! - [`source`]: the file's text for a snippet, each unsafe character replaced by one of
//!   the same UTF-8 length, so byte spans and columns stay exact;
//! - [`LineGuard`]: a writer that lets no output line begin with a workflow command.
//!
//! Machine formats (JSON, SARIF) escape through serde instead; GitHub annotations use
//! [`text`] under their own percent-encoding (`report::github`).

use std::borrow::Cow;
use std::io::{self, Write};

/// The longest value shown, in characters; a longer one is cut and ends with `…`.
pub const MAX_VALUE_CHARS: usize = 200;

/// The longest message, help or label shown, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Characters no terminal or CI log receives raw: controls (C0, DEL, C1), line and
/// paragraph separators, BiDi controls that reorder what is shown (the "Trojan Source"
/// characters), zero-width and invisible characters that hide text, and Unicode tags
/// (invisible ASCII look-alikes).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{061c}' | '\u{feff}' | '\u{2060}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || ('\u{e0000}'..='\u{e007f}').contains(&c)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.extend(c.escape_unicode()),
    }
}

/// Escapes every unsafe character (`\n`, `\r`, `\t`, others as `\u{..}`).
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) { push_escaped(&mut out, c) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// Cuts `s` to `max` characters, ending with `…` when cut.
fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
    }
}

/// A value from the input: escaped and cut to [`MAX_VALUE_CHARS`].
pub fn value(s: &str) -> Cow<'_, str> {
    match cut(s, MAX_VALUE_CHARS) {
        Cow::Borrowed(b) => text(b),
        Cow::Owned(o) => Cow::Owned(text(&o).into_owned()),
    }
}

/// A message, label, help or note: escaped; each value between backticks (how every
/// message quotes what it is about) cut to [`MAX_VALUE_CHARS`]; the whole cut to
/// [`MAX_TEXT_CHARS`].
pub fn message(s: &str) -> Cow<'_, str> {
    let long_quote = s.split('`').skip(1).step_by(2).any(|q| q.chars().nth(MAX_VALUE_CHARS).is_some());
    let long = s.chars().nth(MAX_TEXT_CHARS).is_some();
    if !long_quote && !long {
        return text(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_TEXT_CHARS * 4));
    let pieces: Vec<&str> = s.split('`').collect();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd pieces sit between backticks (a last odd piece has no closing one).
        if i % 2 == 1 { out.push_str(&cut(piece, MAX_VALUE_CHARS)) } else { out.push_str(piece) }
    }
    let out = cut(&out, MAX_TEXT_CHARS).into_owned();
    Cow::Owned(text(&out).into_owned())
}

/// Help or a note, which may span lines by design (a list of escalation paths): each
/// line escaped as [`message`]; the line breaks kept (no line of a report for people can
/// begin a workflow command anyway: [`LineGuard`]).
pub fn lines(s: &str) -> Cow<'_, str> {
    if !s.contains('\n') {
        return message(s);
    }
    Cow::Owned(s.split('\n').map(message).collect::<Vec<_>>().join("\n"))
}

/// Whether a line would be read as a CI workflow command: GitHub Actions reads `::`
/// commands, Azure Pipelines `##[` and `##vso[`, with leading whitespace trimmed.
pub fn starts_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[") || t.starts_with("##vso[")
}

/// A file name as printed where it may begin a line: escaped, and `./` in front of a
/// name that would begin a workflow command (it still names the same file).
pub fn path(p: &str) -> Cow<'_, str> {
    let escaped = text(p);
    if starts_command(&escaped) { Cow::Owned(format!("./{escaped}")) } else { escaped }
}

/// The same-length stand-in for an unsafe character in a snippet (`?`, `¿` or `�` for
/// one, two or three UTF-8 bytes; tags, four bytes, become `\u{1f6ab}`), so the byte
/// spans findings carry and the columns they print stay exact. Tabs and line endings
/// are kept: the snippet renderer lays them out.
fn stand_in(c: char) -> Option<char> {
    if matches!(c, '\t' | '\n') || !is_unsafe(c) {
        return None;
    }
    Some(match c.len_utf8() {
        1 => '?',
        2 => '\u{bf}',
        3 => '\u{fffd}',
        _ => '\u{1f6ab}',
    })
}

/// A file's text as a snippet may show it: every unsafe character replaced by one of
/// the same UTF-8 length (a carriage return only where it does not end a line).
pub fn source(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let needs = |(i, c): (usize, char)| match c {
        '\r' => bytes.get(i + 1) != Some(&b'\n'),
        c => stand_in(c).is_some(),
    };
    // A leading BOM too: snippets are cut from windows of the text, so a first line
    // shown would carry it raw (and `malformed-json` underlines it in policy JSON).
    if !text.char_indices().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            '\r' if needs((i, c)) => out.push('?'),
            '\r' => out.push('\r'),
            c => out.push(stand_in(c).unwrap_or(c)),
        }
    }
    debug_assert_eq!(out.len(), text.len());
    Cow::Owned(out)
}

/// A writer that lets no line begin with a CI workflow command: such a line gets a `\`
/// in front of the command (after its indentation). Lines are held until they end, so
/// the check sees each whole line whatever the writes look like.
pub struct LineGuard<W: Write> {
    inner: W,
    line: Vec<u8>,
    /// The bytes held continue a line already partly written (by a flush).
    continued: bool,
}

impl<W: Write> LineGuard<W> {
    pub fn new(inner: W) -> LineGuard<W> {
        LineGuard { inner, line: Vec::new(), continued: false }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&self.line);
        if !self.continued && starts_command(&line) {
            let indent = line.len() - line.trim_start().len();
            self.inner.write_all(&self.line[..indent])?;
            self.inner.write_all(b"\\")?;
            self.inner.write_all(&self.line[indent..])?;
        } else {
            self.inner.write_all(&self.line)?;
        }
        self.continued = self.line.last() != Some(&b'\n');
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for LineGuard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for LineGuard<W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_what_a_terminal_or_log_would_act_on() {
        assert_eq!(text("s3:GetObject"), "s3:GetObject");
        assert_eq!(text("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(text("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(text("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(text("\u{85}\u{2028}\u{200b}\u{e0041}"), "\\u{85}\\u{2028}\\u{200b}\\u{e0041}");
        assert_eq!(text("caf\u{e9} \u{1f600}"), "caf\u{e9} \u{1f600}");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "a".repeat(5_000);
        let v = value(&long);
        assert_eq!(v.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(v.ends_with('…'));
        let m = message(&format!("unknown action `{long}` in `{long}`")).into_owned();
        assert!(m.chars().count() < 2 * MAX_VALUE_CHARS + 40, "{}", m.len());
        assert!(m.starts_with("unknown action `aaa") && m.ends_with("…`"), "{m}");
        let m = message(&"word ".repeat(1_000)).into_owned();
        assert_eq!(m.chars().count(), MAX_TEXT_CHARS + 1);
        // Short text is not copied.
        assert!(matches!(message("`s3:*` on every resource"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_path_begins_a_workflow_command() {
        assert_eq!(path("::error::x.json"), "./::error::x.json");
        assert_eq!(path("##[group]x.json"), "./##[group]x.json");
        assert_eq!(path("a\n::error::b.json"), "a\\n::error::b.json");
        assert_eq!(path("policies/a.json"), "policies/a.json");
    }

    #[test]
    fn source_keeps_every_byte_offset() {
        let raw = "{\"Sid\": \"a\u{1b}[2J\u{202e}b\u{85}\u{e0041}\"}\r\nx\ry\u{feff}\n";
        let shown = source(raw);
        assert_eq!(shown.len(), raw.len());
        assert_eq!(shown.chars().count(), raw.chars().count());
        assert!(!shown.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\r'), "{shown:?}");
        assert!(shown.contains("\r\n") && shown.contains("x?y"), "{shown:?}");
        assert!(matches!(source("{\r\n\t\"a\": 1}"), Cow::Borrowed(_)));
        assert_eq!(source("\u{feff}{}"), "\u{fffd}{}");
    }

    #[test]
    fn the_guard_lets_no_line_begin_a_command() {
        let mut out = Vec::new();
        {
            let mut g = LineGuard::new(&mut out);
            g.write_all(b"ok line\n  ::error::x\n##[group]y\n##vso[task.setvariable]z\nend").unwrap();
            g.write_all(b" ::not at start\n:").unwrap();
            g.write_all(b":split::across writes\n").unwrap();
            g.flush().unwrap();
        }
        let out = String::from_utf8(out).unwrap();
        for line in out.lines() {
            assert!(!starts_command(line), "{line:?} in {out:?}");
        }
        assert_eq!(
            out,
            "ok line\n  \\::error::x\n\\##[group]y\n\\##vso[task.setvariable]z\nend ::not at start\n\\::split::across writes\n"
        );
    }
}
