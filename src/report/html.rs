//! `--format html`: one self-contained page for people (no external script, style, font
//! or image; a Content-Security-Policy forbids loading any). An overview (principals by
//! worst severity, counts by rule and by account), then each principal: its policies,
//! what it can do by service and access level, its findings with the policy excerpts,
//! and the principals it reaches drawn as chains; then the documents no principal holds.
//!
//! Every string from the input goes through `text`/`attr` (HTML-escaped; control and
//! BiDi characters written as `\u{..}`). All content is in the page: the small script
//! only shows the filter controls and hides what they filter out, so the page reads the
//! same with JavaScript off. The output is deterministic (no time stamps).

use super::excerpt::{self, Mark};
use super::overview::{self, Overview, Section};
use crate::catalogue::Catalogue;
use crate::diagnostic::{ACCESS_LEVELS, Chain, Finding, Outcome, ServiceAccess, Severity, thousands};
use crate::filter::{FailOn, Verdict};
use std::fmt::Write as _;
use std::io::{self, Write};

/// HTML text: `&<>"'` as entities, control (but tab and newline), line-separator and
/// BiDi characters as visible `\u{..}` (so nothing reorders or hides what the page shows).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if super::escape::is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (always written in double quotes): the same escaping.
pub fn attr(s: &str) -> String {
    text(s)
}

/// Rows of an access table shown before the rest are folded away.
const ACCESS_ROWS: usize = 12;
/// Actions of a finding listed by name; more are counted.
const ACTIONS_LISTED: usize = 12;

const STYLE: &str = r#"
:root{--crit:#9f1239;--high:#dc2626;--med:#ea580c;--low:#ca8a04;--info:#64748b;--ink:#0f172a;--mute:#64748b;--line:#e2e8f0;--bg:#f8fafc}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header.top{background:#0f172a;color:#f8fafc;padding:20px 32px}
header.top h1{margin:0;font-size:22px;font-weight:650}
header.top p{margin:4px 0 0;color:#cbd5e1}
main{max-width:1200px;margin:0 auto;padding:16px 32px 48px}
h2{font-size:18px;margin:28px 0 10px}h3{font-size:14px;margin:16px 0 6px;color:#334155;text-transform:uppercase;letter-spacing:.04em}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:12px 0;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.tile{flex:1 1 120px;background:#fff;border:1px solid var(--line);border-left:5px solid var(--info);border-radius:8px;padding:10px 14px}
.tile b{display:block;font-size:24px;line-height:1.2}.tile span{color:var(--mute);font-size:12px;text-transform:uppercase}
.tile.critical{border-left-color:var(--crit)}.tile.high{border-left-color:var(--high)}.tile.medium{border-left-color:var(--med)}.tile.low{border-left-color:var(--low)}
.grid{display:grid;grid-template-columns:2fr 1fr;gap:16px}@media(max-width:900px){.grid{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:#334155;background:#f1f5f9}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
.sev{display:inline-block;min-width:64px;text-align:center;border-radius:999px;padding:1px 8px;font-size:11px;font-weight:700;text-transform:uppercase;color:#fff;background:var(--info)}
.sev.critical{background:var(--crit)}.sev.high{background:var(--high)}.sev.medium{background:var(--med)}.sev.low{background:var(--low)}.sev.none{background:#16a34a}
.kind{display:inline-block;border:1px solid #cbd5e1;border-radius:4px;padding:0 6px;font-size:11px;color:#334155;text-transform:uppercase;margin-right:6px}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.mute{color:var(--mute)}
section.subject{background:#fff;border:1px solid var(--line);border-radius:10px;margin:18px 0;overflow:hidden}
section.subject>header{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap;padding:12px 18px;background:#f1f5f9;border-bottom:1px solid var(--line)}
section.subject>header h2{margin:0;font-size:17px}
section.subject .body{padding:4px 18px 16px}
section.subject.w-critical{border-left:5px solid var(--crit)}section.subject.w-high{border-left:5px solid var(--high)}section.subject.w-medium{border-left:5px solid var(--med)}section.subject.w-low{border-left:5px solid var(--low)}
table.access th.c{text-align:center}table.access td.c{text-align:center;font-variant-numeric:tabular-nums;width:13%}
table.access td.zero{color:#cbd5e1}
table.access td.some{background:#eff6ff}
table.access td.open{background:#fee2e2;color:#991b1b;font-weight:600}
table.access td.all{background:#fecaca;color:#7f1d1d;font-weight:700}
.legend{font-size:12px;color:var(--mute);margin-top:6px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}
details>summary{cursor:pointer;color:#1d4ed8;margin:6px 0}
article.finding{border:1px solid var(--line);border-left:4px solid var(--info);border-radius:8px;margin:10px 0;padding:10px 14px}
article.finding.critical{border-left-color:var(--crit)}article.finding.high{border-left-color:var(--high)}article.finding.medium{border-left-color:var(--med)}article.finding.low{border-left-color:var(--low)}
article.finding h4{margin:0 0 4px;font-size:14px;font-weight:600}
article.finding .rule{font-family:ui-monospace,monospace;font-size:12px;color:#475569;margin-left:6px}
.where{font-size:12px;color:var(--mute)}
pre.excerpt{background:#0f172a;color:#e2e8f0;border-radius:6px;padding:8px 0;overflow-x:auto;margin:8px 0;line-height:1.45}
pre.excerpt .l{display:block;padding:0 12px;white-space:pre}
pre.excerpt .ln{display:inline-block;width:44px;color:#64748b;text-align:right;margin-right:12px;user-select:none}
pre.excerpt mark{background:#facc15;color:#0f172a;border-radius:2px}
pre.excerpt mark.label{background:#334155;color:#fde68a;outline:1px dashed #fde68a}
pre.excerpt .cut{color:#64748b}
ul.labels{margin:4px 0;padding-left:18px;font-size:13px}
p.help{white-space:pre-line;margin:6px 0;padding:6px 10px;background:#f0fdf4;border-radius:6px;border:1px solid #bbf7d0}
p.note{white-space:pre-line;margin:6px 0;padding:6px 10px;background:#f8fafc;border-radius:6px;border:1px solid var(--line)}
ol.chain{list-style:none;display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:8px 10px;margin:6px 0;background:#fff7ed;border:1px solid #fed7aa;border-radius:8px}
ol.chain li.node{background:#fff;border:1px solid #cbd5e1;border-radius:6px;padding:2px 8px;font-family:ui-monospace,monospace;font-size:12px}
ol.chain li.node.admin{border-color:var(--crit);background:#ffe4e6;color:#881337;font-weight:700}
ol.chain li.edge{font-size:12px;color:#9a3412}
ol.chain li.edge::before{content:"\2014 "}ol.chain li.edge::after{content:" \2192"}
.tag{font-size:10px;font-weight:700;text-transform:uppercase;background:var(--crit);color:#fff;border-radius:3px;padding:0 4px;margin-left:4px}
#controls{position:sticky;top:0;z-index:2;display:flex;gap:12px;align-items:center;background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 16px;margin:12px 0;box-shadow:0 2px 6px rgba(15,23,42,.06)}
#controls input{flex:1;padding:6px 10px;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
#controls select{padding:5px 8px;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
.errors{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d;border-radius:10px;padding:12px 18px;margin:12px 0}
footer{color:var(--mute);font-size:12px;text-align:center;padding:24px}
"#;

/// Shows the filter controls and applies them: severity (at least) and a search over each
/// section's text; `#severity=high&q=text` in the address sets them.
const SCRIPT: &str = r#"
(function () {
  var rank = {all: -1, info: 0, low: 1, medium: 2, high: 3, critical: 4};
  var controls = document.getElementById('controls');
  var sev = document.getElementById('severity');
  var q = document.getElementById('q');
  var status = document.getElementById('status');
  controls.hidden = false;
  function fromHash() {
    var parts = location.hash.replace(/^#/, '').split('&');
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      var v = kv.slice(1).join('=');
      try { v = decodeURIComponent(v.replace(/\+/g, ' ')); } catch (e) { v = ''; }
      if (kv[0] === 'severity' && rank.hasOwnProperty(v)) sev.value = v;
      if (kv[0] === 'q') q.value = v;
    }
  }
  function apply(write) {
    var min = rank[sev.value], text = q.value.toLowerCase(), shown = 0, total = 0;
    var sections = document.querySelectorAll('section.subject');
    for (var i = 0; i < sections.length; i++) {
      var s = sections[i], any = false;
      var findings = s.querySelectorAll('article.finding');
      for (var j = 0; j < findings.length; j++) {
        var ok = rank[findings[j].getAttribute('data-severity')] >= min;
        findings[j].hidden = !ok;
        any = any || ok;
      }
      var match = !text || s.getAttribute('data-search').indexOf(text) >= 0;
      var visible = match && (min < 0 || any);
      s.hidden = !visible;
      total++;
      if (visible) shown++;
      var row = document.getElementById('row-' + s.id);
      if (row) row.hidden = !visible;
    }
    status.textContent = shown + ' of ' + total + ' sections shown';
    if (write) {
      try {
        history.replaceState(null, '', '#severity=' + sev.value + (q.value ? '&q=' + encodeURIComponent(q.value) : ''));
      } catch (e) {}
    }
  }
  fromHash();
  apply(false);
  sev.addEventListener('change', function () { apply(true); });
  q.addEventListener('input', function () { apply(true); });
  window.addEventListener('hashchange', function () { fromHash(); apply(false); });
})();
"#;

pub fn write(outcome: &Outcome, verdict: &Verdict, catalogue: &Catalogue, out: &mut impl Write) -> io::Result<()> {
    let page = page(outcome, verdict, catalogue);
    out.write_all(page.as_bytes())
}

/// The whole page.
pub fn page(outcome: &Outcome, verdict: &Verdict, catalogue: &Catalogue) -> String {
    let overview = overview::of(outcome);
    let mut h = String::with_capacity(64 * 1024);
    let version = env!("CARGO_PKG_VERSION");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"iamlint {version}\">\n<title>iamlint report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let files = outcome.checked;
    let _ = write!(
        h,
        "<header class=\"top\"><h1>iamlint report</h1><p>{} in {} file{} · {} principal{} · iamlint {version} · AWS catalogue of {}</p></header>\n<main>\n",
        plural(outcome.findings.len(), "finding"),
        thousands(files),
        if files == 1 { "" } else { "s" },
        thousands(overview.principals().count()),
        if overview.principals().count() == 1 { "" } else { "s" },
        text(&catalogue.header().data_date),
    );
    errors(&mut h, outcome, verdict);
    summary(&mut h, outcome, verdict, &overview);
    h.push_str(
        "<div id=\"controls\" hidden><label>Severity <select id=\"severity\">\
         <option value=\"all\">everything</option><option value=\"info\">info and above</option>\
         <option value=\"low\">low and above</option><option value=\"medium\">medium and above</option>\
         <option value=\"high\">high and above</option><option value=\"critical\">critical</option></select></label>\
         <input id=\"q\" type=\"search\" placeholder=\"Search principals, ARNs, rules, actions, messages\" aria-label=\"search\">\
         <span id=\"status\" class=\"mute\"></span></div>\n",
    );
    if overview.principals().next().is_some() {
        h.push_str("<h2 id=\"principals\">Principals</h2>\n");
        for s in overview.principals() {
            section(&mut h, s);
        }
    }
    if overview.documents().next().is_some() {
        h.push_str("<h2 id=\"documents\">Policies no principal holds</h2>\n");
        for s in overview.documents() {
            section(&mut h, s);
        }
    }
    if !overview.unplaced.is_empty() {
        h.push_str("<h2 id=\"other\">Other findings</h2>\n<div class=\"card\">\n");
        for f in &overview.unplaced {
            finding(&mut h, f);
        }
        h.push_str("</div>\n");
    }
    let _ = write!(
        h,
        "</main>\n<footer>iamlint {version} · {} · the page loads nothing from elsewhere</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        text(&super::human::summary_line(outcome, verdict)),
    );
    h
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", thousands(n)) }
}

fn badge(s: Option<Severity>) -> String {
    match s {
        Some(s) => format!("<span class=\"sev {s}\">{s}</span>"),
        None => "<span class=\"sev none\">clean</span>".into(),
    }
}

fn errors(h: &mut String, outcome: &Outcome, verdict: &Verdict) {
    if outcome.errors.is_empty() && verdict.unreadable == 0 {
        return;
    }
    h.push_str("<div class=\"errors\" id=\"errors\"><b>The run fails whatever the threshold:</b><ul>");
    for (path, message) in &outcome.errors {
        let _ = write!(h, "<li><span class=\"mono\">{}</span>: {}</li>", text(&super::display(path)), text(message));
    }
    if verdict.unreadable > 0 {
        let _ = write!(
            h,
            "<li>{} iamlint could not fully read (see the findings of rule <code>{}</code>)</li>",
            plural(verdict.unreadable, "policy"),
            crate::filter::UNREADABLE
        );
    }
    h.push_str("</ul></div>\n");
}

fn summary(h: &mut String, outcome: &Outcome, verdict: &Verdict, overview: &Overview<'_>) {
    h.push_str("<section id=\"overview\"><div class=\"tiles\">");
    for s in Severity::ALL {
        let n = outcome.findings.iter().filter(|f| f.severity == s).count();
        let _ = write!(h, "<div class=\"tile {s}\"><b>{}</b><span>{s}</span></div>", thousands(n));
    }
    let gate = match verdict.fail_on {
        FailOn::AtLeast(s) if verdict.failed() => format!("fails (at or above {s})"),
        FailOn::AtLeast(s) => format!("passes (at or above {s})"),
        FailOn::Never => "reports only (--fail-on none)".into(),
    };
    let _ = writeln!(
        h,
        "<div class=\"tile\"><b>{}</b><span>gate: {}</span></div></div>",
        if verdict.failed() { "✗" } else { "✓" },
        text(&gate)
    );
    h.push_str("<div class=\"grid\">");
    // Principals by worst severity.
    h.push_str("<div class=\"card\"><h3>Principals, the worst first</h3>");
    if overview.principals().next().is_none() {
        h.push_str("<p class=\"mute\">No principals in these files: each policy document is judged alone.</p>");
    } else {
        h.push_str("<table><thead><tr><th>principal</th><th>account or file</th><th>worst</th><th>findings</th></tr></thead><tbody>");
        for s in overview.principals() {
            let p = s.subject.principal.as_ref().expect("principals only");
            let _ = write!(
                h,
                "<tr id=\"row-{id}\"><td><span class=\"kind\">{}</span><a href=\"#{id}\">{}</a></td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                text(p.kind),
                text(&p.name),
                text(&overview::account(p).unwrap_or_else(|| s.subject.source.display_path())),
                badge(s.worst()),
                text(&s.counts_text()),
                id = s.id,
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</div><div>");
    h.push_str("<div class=\"card\"><h3>Findings by rule</h3>");
    if overview.by_rule.is_empty() {
        h.push_str("<p class=\"mute\">No findings.</p>");
    } else {
        h.push_str("<table><thead><tr><th>rule</th><th>worst</th><th class=\"n\">findings</th></tr></thead><tbody>");
        for (rule, n, worst) in &overview.by_rule {
            let _ = write!(
                h,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                text(rule),
                badge(Some(*worst)),
                thousands(*n)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</div>");
    if !overview.by_account.is_empty() {
        h.push_str("<div class=\"card\"><h3>By account</h3><table><thead><tr><th>account</th><th class=\"n\">principals</th><th class=\"n\">findings</th></tr></thead><tbody>");
        for (account, principals, findings) in &overview.by_account {
            let name = account.as_deref().map_or("no ARN (template)".to_string(), text);
            let _ = write!(
                h,
                "<tr><td class=\"mono\">{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                thousands(*principals),
                thousands(*findings)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</div></div></section>\n");
}

/// What the search matches in a section, lower-cased.
fn search_text(s: &Section<'_>) -> String {
    let mut t = s.title();
    if let Some(p) = &s.subject.principal {
        t.push(' ');
        t.push_str(&p.arn);
    }
    t.push(' ');
    t.push_str(&s.subject.source.display_path());
    for p in &s.subject.policies {
        t.push(' ');
        t.push_str(&p.locator);
    }
    for f in &s.findings {
        let _ = write!(t, " {} {} {}", f.rule.id, f.severity, f.message);
        for a in &f.actions {
            t.push(' ');
            t.push_str(a);
        }
        for c in &f.chains {
            for step in &c.steps {
                let _ = write!(t, " {} {}", step.action, step.to);
            }
        }
    }
    t.to_lowercase()
}

fn section(h: &mut String, s: &Section<'_>) {
    let worst = s.worst();
    let _ = write!(
        h,
        "<section class=\"subject{}\" id=\"{}\" data-worst=\"{}\" data-search=\"{}\">\n<header>",
        worst.map_or(String::new(), |w| format!(" w-{w}")),
        s.id,
        worst.map_or("", |w| w.as_str()),
        attr(&search_text(s)),
    );
    let path = s.subject.source.display_path();
    match &s.subject.principal {
        Some(p) => {
            let _ = write!(h, "<span class=\"kind\">{}</span><h2>{}</h2>", text(p.kind), text(&p.name));
            if !p.arn.is_empty() {
                let _ = write!(h, "<span class=\"mono mute\">{}</span>", text(&p.arn));
            }
            let place = if p.locator.is_empty() { path } else { format!("{path} · {}", p.locator) };
            let _ = write!(h, "<span class=\"where\">{}</span>", text(&place));
        }
        None => {
            let kind = s.subject.policies.first().map_or("policy", |p| p.kind);
            let _ = write!(h, "<span class=\"kind\">{}</span><h2 class=\"mono\">{}</h2>", text(kind), text(&s.title()));
        }
    }
    let _ = write!(
        h,
        "{} <span class=\"mute\">{}</span></header>\n<div class=\"body\">\n",
        badge(worst),
        text(&s.counts_text())
    );
    if s.subject.principal.is_some() {
        h.push_str("<h3>Policies</h3><table class=\"policies\"><thead><tr><th>role</th><th>kind</th><th>where</th></tr></thead><tbody>");
        for p in &s.subject.policies {
            let (line, _) = s.subject.source.line_col(p.span.start);
            let locator = if p.locator.is_empty() { String::new() } else { format!(" · {}", p.locator) };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}:{line}{}</td></tr>",
                p.role.as_str(),
                text(p.kind),
                text(&s.subject.source.display_path()),
                text(&locator)
            );
        }
        if s.subject.policies.is_empty() {
            h.push_str("<tr><td colspan=\"3\" class=\"mute\">no policy</td></tr>");
        }
        h.push_str("</tbody></table>\n");
    }
    if let Some(access) = &s.subject.access {
        access_table(h, access);
    }
    if !s.findings.is_empty() {
        h.push_str("<h3>Findings</h3>\n");
        for f in &s.findings {
            finding(h, f);
        }
    }
    h.push_str("</div>\n</section>\n");
}

fn access_table(h: &mut String, access: &[ServiceAccess]) {
    h.push_str("<h3>What it can do</h3>");
    if access.is_empty() {
        h.push_str("<p class=\"mute\">Its policies grant no action (after Denies and ceilings).</p>\n");
        return;
    }
    let actions: usize = access.iter().flat_map(|a| a.levels.iter()).map(|l| l.granted).sum();
    let open: usize = access.iter().flat_map(|a| a.levels.iter()).map(|l| l.unrestricted).sum();
    let _ = write!(
        h,
        "<p>{} in {}; {} of them on everything they act on, with no narrowing condition.</p>",
        plural(actions, "action"),
        plural(access.len(), "service"),
        thousands(open)
    );
    let rows = overview::ranked(access);
    let head = {
        let mut t = String::from("<table class=\"access\"><thead><tr><th>service</th>");
        for l in ACCESS_LEVELS {
            let _ = write!(t, "<th class=\"c\">{l}</th>");
        }
        t.push_str("</tr></thead><tbody>");
        t
    };
    let row = |h: &mut String, a: &ServiceAccess| {
        let _ = write!(h, "<tr><td class=\"mono\">{}</td>", text(a.service));
        for l in &a.levels {
            let class = if l.granted == 0 {
                "zero"
            } else if l.unrestricted == l.total {
                "all"
            } else if l.unrestricted > 0 {
                "open"
            } else {
                "some"
            };
            let title = format!(
                "{} of {} granted, {} on everything without a narrowing condition",
                l.granted, l.total, l.unrestricted
            );
            let shown = if l.granted == 0 { "·".to_string() } else { format!("{}/{}", l.granted, l.total) };
            let _ = write!(h, "<td class=\"c {class}\" title=\"{}\">{shown}</td>", attr(&title));
        }
        h.push_str("</tr>");
    };
    h.push_str(&head);
    for a in rows.iter().take(ACCESS_ROWS) {
        row(h, a);
    }
    h.push_str("</tbody></table>");
    if rows.len() > ACCESS_ROWS {
        let _ = write!(h, "<details><summary>{} more</summary>{head}", plural(rows.len() - ACCESS_ROWS, "service"));
        for a in rows.iter().skip(ACCESS_ROWS) {
            row(h, a);
        }
        h.push_str("</tbody></table></details>");
    }
    h.push_str(
        "<div class=\"legend\">granted / actions of that level in the service:\
         <i style=\"background:#eff6ff\"></i>scoped or conditional\
         <i style=\"background:#fee2e2\"></i>some on everything\
         <i style=\"background:#fecaca\"></i>all on everything</div>\n",
    );
}

fn finding(h: &mut String, f: &Finding) {
    let ((line, col), _) = f.range();
    let _ = write!(
        h,
        "<article class=\"finding {s}\" data-severity=\"{s}\">\n<h4>{} {}<span class=\"rule\">{}</span></h4>\n",
        badge(Some(f.severity)),
        text(&f.message),
        text(f.rule.id),
        s = f.severity,
    );
    let locator = if f.locator.is_empty() { String::new() } else { format!(" · {}", f.locator) };
    let _ =
        write!(h, "<div class=\"where mono\">{}:{line}:{col}{}</div>", text(&f.source.display_path()), text(&locator));
    if let Some(p) = &f.principal {
        let _ = write!(
            h,
            "<div class=\"where\">found on the policies of {} {} taken together</div>",
            text(p.kind),
            text(&p.name)
        );
    }
    for window in excerpt::of(f) {
        h.push_str("<pre class=\"excerpt\">");
        for l in window {
            let _ = write!(h, "<span class=\"l\"><span class=\"ln\">{}</span>", l.number);
            if l.cut_before {
                h.push_str("<span class=\"cut\">…</span>");
            }
            for (piece, mark) in l.pieces {
                match mark {
                    Mark::None => h.push_str(&text(piece)),
                    Mark::Primary => {
                        let _ = write!(h, "<mark>{}</mark>", text(piece));
                    }
                    Mark::Label => {
                        let _ = write!(h, "<mark class=\"label\">{}</mark>", text(piece));
                    }
                }
            }
            if l.cut_after {
                h.push_str("<span class=\"cut\">…</span>");
            }
            h.push_str("</span>");
        }
        h.push_str("</pre>\n");
    }
    let labels: Vec<String> = std::iter::once((f.span.start, &f.label))
        .chain(f.labels.iter().map(|l| (l.span.start, &l.text)))
        .filter(|(_, t)| !t.is_empty())
        .map(|(at, t)| {
            format!("<li><span class=\"mono mute\">line {}</span> {}</li>", f.source.line_col(at).0, text(t))
        })
        .collect();
    if !labels.is_empty() {
        let _ = write!(h, "<ul class=\"labels\">{}</ul>", labels.concat());
    }
    if let Some(help) = &f.help {
        let _ = write!(h, "<p class=\"help\"><b>help:</b> {}</p>", text(help));
    }
    if let Some(note) = &f.note {
        let _ = write!(h, "<p class=\"note\"><b>note:</b> {}</p>", text(note));
    }
    if !f.actions.is_empty() {
        let listed: Vec<String> =
            f.actions.iter().take(ACTIONS_LISTED).map(|a| format!("<code>{}</code>", text(a))).collect();
        let more = match f.actions.len().saturating_sub(ACTIONS_LISTED) {
            0 => String::new(),
            n => format!(" and {} more", thousands(n)),
        };
        let _ = write!(h, "<div class=\"where\">actions: {}{more}</div>", listed.join(", "));
    }
    for c in &f.chains {
        chain(h, c);
    }
    h.push_str("</article>\n");
}

/// `from —action→ to —action→ to`, admin targets marked.
fn chain(h: &mut String, c: &Chain) {
    let Some(first) = c.steps.first() else { return };
    let _ =
        write!(h, "<ol class=\"chain\" aria-label=\"escalation chain\"><li class=\"node\">{}</li>", text(&first.from));
    for step in &c.steps {
        let _ = write!(h, "<li class=\"edge\">{}</li>", text(&step.action));
        if step.to_admin {
            let _ = write!(h, "<li class=\"node admin\">{}<span class=\"tag\">admin</span></li>", text(&step.to));
        } else {
            let _ = write!(h, "<li class=\"node\">{}</li>", text(&step.to));
        }
    }
    h.push_str("</ol>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_text_cannot_become_markup_or_reorder_the_page() {
        let hostile = "<script>alert(1)</script>\"'</style>&amp;\u{202e}x\u{2066}\u{1b}[31m";
        let escaped = text(hostile);
        assert_eq!(
            escaped,
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&lt;/style&gt;&amp;amp;\\u{202e}x\\u{2066}\\u{1b}[31m"
        );
        for raw in ['<', '>', '"', '\'', '\u{202e}', '\u{2066}', '\u{1b}'] {
            assert!(!escaped.contains(raw), "{raw:?} left raw");
        }
        // An attribute value cannot be closed from inside.
        assert!(!attr("\" onmouseover=\"alert(1)").contains('"'));
    }
}
