use super::{Check, Context, Rule};
use crate::catalogue::arn::NextClose;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{Principal, Statement};
use crate::source::SourceFile;
use crate::source::Spanned;
use std::ops::Range;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "placeholder",
        severity: Severity::High,
        category: Category::Validity,
        summary: "template placeholders left in a policy: `<account-id>`, `[VPC_ID]`, `REPLACE_ME`, AWS's example accounts",
        doc: include_str!("../../rules/placeholder.md"),
    },
    check: Check::Document(check),
};

// What the scanner recognises, as data. Each table is exercised by the unit tests below.

/// Templating filled in by a tool, never by hand, skipped whole: IAM policy variables
/// (`${aws:username}`, `${*}`), CloudFormation `Fn::Sub` and Terraform interpolation
/// (`${AWS::AccountId}`, `${var.account_id}`, a bare `${Name}`), and CloudFormation
/// dynamic references or Jinja/Mustache templates (`{{resolve:ssm:/x}}`).
const SUBSTITUTIONS: &[(&str, &str)] = &[("${", "}"), ("{{", "}}")];

/// A name between delimiters: `<account-ID-without-hyphens>`, `[VPC_ID]`, `{bucket-name}`,
/// `**my-role**` (markdown emphasis copied from a rendered page).
struct Delimited {
    open: &'static str,
    close: &'static str,
    /// Characters allowed inside, besides ASCII letters and digits.
    extra: &'static [u8],
    /// `[abc]` can be literal text; only `[ABC]` or a multi-word `[vpc-id]` is a placeholder.
    shouty_or_words: bool,
}

const DELIMITED: &[Delimited] = &[
    Delimited { open: "**", close: "**", extra: b"-_ ", shouty_or_words: false },
    Delimited { open: "<", close: ">", extra: b"-_ ./", shouty_or_words: false },
    Delimited { open: "[", close: "]", extra: b"-_ ", shouty_or_words: true },
    Delimited { open: "{", close: "}", extra: b"-_ .", shouty_or_words: false },
];

/// Longest name accepted between delimiters.
const MAX_NAME: usize = 64;

/// Whole upper-case words (`-` read as `_`) that stand for a value to fill in.
const WORDS: &[&str] = &[
    "ACCOUNT_ID",
    "ACCOUNT_ID_WITHOUT_HYPHENS",
    "ACCOUNT_NUMBER",
    "ACCOUNTID",
    "AWS_ACCOUNT_ID",
    "AWS_REGION",
    "BUCKET_NAME",
    "CHANGE_ME",
    "CHANGEME",
    "FIXME",
    "PLACEHOLDER",
    "REGION_NAME",
    "REPLACE_ME",
    "REPLACEME",
    "ROLE_NAME",
    "TODO",
];

/// Word beginnings that address the reader (`your-bucket`, `YOUR_ACCOUNT_ID`), and the
/// bucket-name prefixes AWS documentation uses: `amzn-s3-demo-` is reserved by S3 and
/// `DOC-EXAMPLE-` is not a valid bucket name, so neither can name a real bucket.
/// `yourBucket` / `YourBucket` (camel case) is matched in `word_hit`.
const WORD_PREFIXES: &[&str] = &["your-", "your_", "Your-", "Your_", "YOUR-", "YOUR_", "amzn-s3-demo-", "DOC-EXAMPLE-"];

/// A run of `X` standing for digits (`XXXXXXXXXXXX`, `123456XXXXXX`) has at least this many.
/// Only where an account ID is expected: the account field of an ARN, or a run of 12 (an
/// account ID's length) anywhere; elsewhere `xxxx` can be a real name (`xxxx-archive`).
const MIN_XS: usize = 4;

/// The length of an account ID.
const ACCOUNT_LEN: usize = 12;

/// ARN fields that cannot hold a word: a Region always has a digit (`us-east-1`), an
/// account is 12 digits (or `aws` for AWS managed policies). A field with no digit that
/// names what belongs there (`region`, `account-id`, `ACCOUNT`) was never filled in.
const ARN_FIELDS: &[(usize, &str)] = &[(1, "partition"), (3, "region"), (4, "account"), (4, "acct")];

/// Account IDs AWS documentation uses in examples.
const EXAMPLE_ACCOUNTS: &[&str] = &["111122223333", "123456789012", "444455556666", "555555555555", "777788889999"];

/// What a placeholder stands for, from words in it: (word, label, what to write instead).
const SUBJECTS: &[(&str, &str, &str)] = &[
    ("account", "stands for an account ID", "the 12-digit AWS account ID"),
    ("acct", "stands for an account ID", "the 12-digit AWS account ID"),
    ("region", "stands for a Region", "the Region code, such as `us-east-1`"),
    ("partition", "stands for a partition", "the partition, such as `aws`"),
    ("bucket", "stands for a bucket name", "the bucket's name"),
    ("vpce", "stands for a VPC endpoint ID", "the VPC endpoint ID (`vpce-...`)"),
    ("vpc", "stands for a VPC ID", "the VPC ID (`vpc-...`)"),
    ("role", "stands for a role name", "the role's name"),
    ("user", "stands for a user name", "the user's name"),
    ("tag-key", "stands for a tag key", "the tag key"),
    ("tag-value", "stands for a tag value", "the tag value"),
    ("action", "stands for an action", "the action's name, such as `GetObject`"),
    ("key", "stands for a key", "the key's ID or name"),
    ("table", "stands for a table name", "the table's name"),
    ("function", "stands for a function name", "the function's name"),
    ("service", "stands for a service", "the service's name, such as `lambda`"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Text meant to be replaced: the value names nothing real.
    Placeholder,
    /// An account ID from AWS's documentation examples.
    ExampleAccount,
}

/// A placeholder inside a value: its byte range in the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hit {
    pub range: Range<usize>,
    pub kind: Kind,
}

/// Whether `placeholder` reports a template placeholder in this value (not an example
/// account): other rules leave such a value to it, one problem reported once.
pub(super) fn claims(value: &str) -> bool {
    scan(value, true).iter().any(|h| h.kind == Kind::Placeholder)
}

/// Every placeholder in `value`, in order, without overlaps. Without `words`, the words
/// of `WORDS` are not placeholders (`TODO` is a real tag value): only delimited names,
/// prefixes, runs of `X` and ARN fields are.
fn scan(value: &str, words: bool) -> Vec<Hit> {
    let b = value.as_bytes();
    let mut hits = Vec::new();
    let mut closers: Vec<NextClose> =
        SUBSTITUTIONS.iter().map(|(_, close)| NextClose::new(b, close.as_bytes())).collect();
    let mut i = 0;
    'outer: while i < b.len() {
        for ((open, close), closer) in SUBSTITUTIONS.iter().zip(&mut closers) {
            if b[i..].starts_with(open.as_bytes())
                && let Some(end) = closer.after(i + open.len())
            {
                i = end + close.len();
                continue 'outer;
            }
        }
        for d in DELIMITED {
            if b[i..].starts_with(d.open.as_bytes())
                && let Some(end) = find(b, i + d.open.len(), d.close.as_bytes(), MAX_NAME)
                && is_name(&b[i + d.open.len()..end], d)
            {
                let stop = end + d.close.len();
                hits.push(Hit { range: i..stop, kind: Kind::Placeholder });
                i = stop;
                continue 'outer;
            }
        }
        if is_word_byte(b[i]) {
            let start = i;
            while i < b.len() && is_word_byte(b[i]) {
                i += 1;
            }
            word_hits(value, start..i, words, &mut hits);
            continue;
        }
        i += 1;
    }
    arn_field_hits(value, &mut hits);
    hits.sort_by_key(|h| (h.range.start, std::cmp::Reverse(h.range.end)));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if out.last().is_none_or(|last| h.range.start >= last.range.end) {
            out.push(h);
        }
    }
    out
}

/// The first occurrence of `needle` starting at most `within` bytes after `from`.
fn find(b: &[u8], from: usize, needle: &[u8], within: usize) -> Option<usize> {
    let limit = from.saturating_add(within).saturating_add(1).min(b.len());
    // A match may start at any position before `limit`, so it may end past it.
    let window = b.get(from..(limit + needle.len()).saturating_sub(1).min(b.len()))?;
    memchr::memmem::find(window, needle).map(|at| from + at)
}

fn is_name(inner: &[u8], d: &Delimited) -> bool {
    let allowed = inner.iter().all(|c| c.is_ascii_alphanumeric() || d.extra.contains(c));
    let starts = inner.first().is_some_and(u8::is_ascii_alphabetic);
    let ends = inner.last().is_some_and(u8::is_ascii_alphanumeric);
    if !(allowed && starts && ends && inner.len() <= MAX_NAME) {
        return false;
    }
    if d.shouty_or_words {
        let shouty = inner.len() >= 2 && !inner.iter().any(u8::is_ascii_lowercase);
        let words = inner.iter().any(|c| matches!(c, b'-' | b'_' | b' '));
        return shouty || words;
    }
    true
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Placeholders within one word (a run of letters, digits, `-` and `_`).
fn word_hits(value: &str, word: Range<usize>, words: bool, hits: &mut Vec<Hit>) {
    let text = &value[word.clone()];
    let camel = ["your", "Your"]
        .iter()
        .any(|p| text.strip_prefix(p).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase())));
    let shouty =
        words && !text.bytes().any(|c| c.is_ascii_lowercase()) && WORDS.contains(&text.replace('-', "_").as_str());
    if camel || shouty || WORD_PREFIXES.iter().any(|p| text.starts_with(p) && text.len() > p.len()) {
        hits.push(Hit { range: word, kind: Kind::Placeholder });
        return;
    }
    // Alphanumeric runs (`-`/`_`-separated parts): an account ID's length of X standing for
    // digits, and digit runs that are exactly a documentation example account.
    let b = value.as_bytes();
    let mut i = word.start;
    while i < word.end {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < word.end && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i - start == ACCOUNT_LEN && xs_for_digits(&b[start..i]) {
            hits.push(Hit { range: start..i, kind: Kind::Placeholder });
            continue;
        }
        let mut j = start;
        while j < i {
            if !b[j].is_ascii_digit() {
                j += 1;
                continue;
            }
            let digits = j;
            while j < i && b[j].is_ascii_digit() {
                j += 1;
            }
            if EXAMPLE_ACCOUNTS.contains(&&value[digits..j]) {
                hits.push(Hit { range: digits..j, kind: Kind::ExampleAccount });
            }
        }
    }
}

/// Digits with at least `MIN_XS` of them written as `X` (`XXXXXXXXXXXX`, `123456xxxxxx`).
fn xs_for_digits(part: &[u8]) -> bool {
    let xs = part.iter().filter(|c| matches!(c, b'X' | b'x')).count();
    xs >= MIN_XS && part.iter().all(|c| matches!(c, b'X' | b'x') || c.is_ascii_digit())
}

/// ARN fields that name what belongs there instead of holding it (`arn:aws:sqs:region:account-id:q`),
/// and an account field of X standing for digits, whatever its length (`arn:aws:iam::XXXXXX:root`).
fn arn_field_hits(value: &str, hits: &mut Vec<Hit>) {
    if !value.starts_with("arn:") {
        return;
    }
    let fields = arn_fields(value);
    if let Some(account) = fields.get(4)
        && xs_for_digits(&value.as_bytes()[account.clone()])
    {
        hits.push(Hit { range: account.clone(), kind: Kind::Placeholder });
    }
    for (index, word) in ARN_FIELDS {
        let Some(range) = fields.get(*index) else { continue };
        let field = &value[range.clone()];
        let filled = field.bytes().any(|c| c.is_ascii_digit() || matches!(c, b'*' | b'?' | b'$'));
        if !filled && field.to_ascii_lowercase().contains(word) {
            hits.push(Hit { range: range.clone(), kind: Kind::Placeholder });
        }
    }
}

/// The byte ranges of an ARN's first six fields; colons inside `${...}` do not split
/// (`arn:aws:iam::${AWS::AccountId}:root`).
fn arn_fields(value: &str) -> Vec<Range<usize>> {
    let b = value.as_bytes();
    let mut fields = Vec::new();
    let mut braces = NextClose::new(b, b"}");
    let (mut start, mut i) = (0, 0);
    while i < b.len() && fields.len() < 5 {
        if b[i..].starts_with(b"${")
            && let Some(end) = braces.after(i)
        {
            i = end + 1;
            continue;
        }
        if b[i] == b':' {
            fields.push(start..i);
            start = i + 1;
        }
        i += 1;
    }
    fields.push(start..b.len());
    fields
}

/// Where a value stands, for messages: the element and what a placeholder there does.
struct Site {
    what: String,
    note: Option<&'static str>,
    /// Help for a placeholder that names nothing more specific.
    help: Option<&'static str>,
    /// Digits in a Sid or Id are not an account.
    accounts: bool,
    /// Whether the words of `WORDS` count: not in a tag's value, where `TODO` or
    /// `PLACEHOLDER` is a value someone chose.
    words: bool,
    /// IAM reads `*` in the value as a wildcard (Action, Resource).
    wildcards: bool,
}

const NOTE_ACTION: &str = "IAM matches actions by name, so this value matches no action";
const NOTE_RESOURCE: &str = "IAM compares the ARN literally, so it matches no real resource: an Allow grants nothing on it and a Deny protects nothing";
const NOTE_PRINCIPAL: &str =
    "IAM rejects a policy whose principal does not exist, and a principal that happens to exist is not the one meant";
const NOTE_CONDITION: &str = "IAM compares the text literally, so the condition never matches the value meant";

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let source = ctx.source;
    let mut drafts = Vec::new();
    for resolved in documents {
        let doc = &resolved.doc;
        let mut found: Vec<Found> = Vec::new();
        if let Some(id) = &doc.id {
            let site = Site {
                what: "the policy Id".into(),
                note: None,
                help: Some("write an Id that names the policy, or remove it"),
                accounts: false,
                words: true,
                wildcards: false,
            };
            for (d, tokens) in value_findings(source, id, &site) {
                found.push((d.locator(doc.locator.clone()), tokens));
            }
        }
        for st in &doc.statements {
            for (d, tokens) in statement_findings(source, st) {
                found.push((d.in_statement(st), tokens));
            }
        }
        drafts.extend(once_per_token(found));
    }
    for d in drafts {
        ctx.report(d);
    }
}

/// A finding and the placeholder texts it reports.
type Found = (Draft, Vec<String>);

/// One finding per placeholder text per document: a value whose placeholders were all
/// reported before (the same `<account-id>` in nine ARNs) becomes a label on the first
/// finding, whose message says how often the text appears.
fn once_per_token(found: Vec<Found>) -> Vec<Draft> {
    let mut kept: Vec<(Draft, Vec<String>, usize)> = Vec::new();
    for (draft, tokens) in found {
        let info = draft.severity == Some(Severity::Info);
        let earlier = kept.iter_mut().find(|(d, t, _)| {
            (d.severity == Some(Severity::Info)) == info && tokens.iter().all(|token| t.contains(token))
        });
        match earlier {
            Some((first, _, count)) => {
                *count += 1;
                let again = format!("{} again", tokens.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "));
                first.labels.push(crate::diagnostic::Label { span: draft.span.clone(), text: again });
                for label in draft.labels {
                    first.labels.push(label);
                }
            }
            None => kept.push((draft, tokens, 1)),
        }
    }
    kept.into_iter()
        .map(|(mut d, _, count)| {
            if count > 1 {
                d.message = format!("{} (appears {count} times)", d.message);
            }
            d
        })
        .collect()
}

fn statement_findings(source: &SourceFile, st: &Statement) -> Vec<Found> {
    let mut out = Vec::new();
    if let Some(sid) = &st.sid {
        out.extend(value_findings(
            source,
            sid,
            &Site {
                what: "Sid".into(),
                note: None,
                help: Some("write a Sid of letters and digits that says what the statement is for"),
                accounts: false,
                words: true,
                wildcards: false,
            },
        ));
    }
    if let Some(list) = &st.action {
        let site = Site {
            what: list.key_name("Action"),
            note: Some(NOTE_ACTION),
            help: None,
            accounts: true,
            words: true,
            wildcards: true,
        };
        for v in &list.values {
            out.extend(value_findings(source, v, &site));
        }
    }
    if let Some(list) = &st.resource {
        let site = Site {
            what: list.key_name("Resource"),
            note: Some(NOTE_RESOURCE),
            help: None,
            accounts: true,
            words: true,
            wildcards: true,
        };
        for v in &list.values {
            out.extend(value_findings(source, v, &site));
        }
    }
    if let Some(block) = &st.principal
        && let Principal::Map(entries) = &block.principal
    {
        let key = if block.negated { "NotPrincipal" } else { "Principal" };
        for entry in entries {
            let site = Site {
                what: format!("{key} `{}`", entry.kind.value),
                note: Some(NOTE_PRINCIPAL),
                help: None,
                accounts: true,
                words: true,
                wildcards: false,
            };
            for v in &entry.values {
                out.extend(value_findings(source, v, &site));
            }
        }
    }
    if let Some(condition) = &st.condition {
        for (_, entry) in condition.entries() {
            let key_site = Site {
                what: "a condition key".into(),
                note: Some(NOTE_CONDITION),
                help: None,
                accounts: true,
                words: true,
                wildcards: false,
            };
            out.extend(value_findings(source, &entry.key, &key_site));
            let site = Site {
                what: format!("the `{}` condition", entry.key.value),
                note: Some(NOTE_CONDITION),
                help: None,
                accounts: true,
                // `aws:ResourceTag/status` = `TODO` is a tag value, not a placeholder.
                words: !entry.key.value.to_ascii_lowercase().contains("tag/"),
                wildcards: false,
            };
            for v in &entry.values {
                out.extend(value_findings(source, v, &site));
            }
        }
    }
    out
}

/// At most two findings per value: its placeholders (high) and its example accounts
/// (info), each with the texts it reports.
fn value_findings(source: &SourceFile, value: &Spanned<String>, site: &Site) -> Vec<Found> {
    let hits = scan(&value.value, site.words);
    if hits.is_empty() {
        return Vec::new();
    }
    let base = text_start(source, value);
    let span_of = |h: &Hit| match base {
        Some(b) => b + h.range.start..b + h.range.end,
        None => value.span.clone(),
    };
    let text_of = |h: &Hit| &value.value[h.range.clone()];
    let mut out = Vec::new();

    let placeholders: Vec<&Hit> = hits.iter().filter(|h| h.kind == Kind::Placeholder).collect();
    if let Some((first, rest)) = placeholders.split_first() {
        let names: Vec<String> = placeholders.iter().map(|h| format!("`{}`", text_of(h))).collect();
        let noun = if names.len() == 1 { "placeholder" } else { "placeholders" };
        let message = format!("template {noun} {} left in {}", names.join(", "), site.what);
        let mut draft = Draft::new(span_of(first), message).label(subject(text_of(first)).0);
        for h in rest {
            draft = draft.also(span_of(h), subject(text_of(h)).0);
        }
        let help = if rest.is_empty() {
            match (subject(text_of(first)), site.help) {
                ((GENERIC_LABEL, _), Some(help)) => help.to_string(),
                ((_, what), _) => format!("replace `{}` with {what}", text_of(first)),
            }
        } else {
            let each: Vec<String> =
                placeholders.iter().map(|h| format!("`{}` with {}", text_of(h), subject(text_of(h)).1)).collect();
            format!("replace {}", each.join("; "))
        };
        // `**my-role**` (markdown emphasis) in Action or Resource is wildcard debris, not a
        // literal: IAM reads each `*` as a wildcard, so it matches every name containing
        // `my-role`, more than the one name meant.
        let debris = site.wildcards && placeholders.iter().any(|h| text_of(h).starts_with("**"));
        draft = draft.help(help);
        if debris {
            let name = text_of(first).trim_matches('*');
            draft = draft.note(format!(
                "IAM reads each `*` as a wildcard: `**{name}**` matches every name containing `{name}`, not only the name meant"
            ));
        } else if let Some(note) = site.note {
            draft = draft.note(note);
        }
        out.push((draft, placeholders.iter().map(|h| text_of(h).to_string()).collect()));
    }

    let examples: Vec<&Hit> = hits.iter().filter(|h| site.accounts && h.kind == Kind::ExampleAccount).collect();
    if let Some((first, rest)) = examples.split_first() {
        let names: Vec<String> = examples.iter().map(|h| format!("`{}`", text_of(h))).collect();
        let message = if rest.is_empty() {
            format!("{} in {} is AWS's documentation example account", names[0], site.what)
        } else {
            format!("{} in {} are AWS's documentation example accounts", names.join(", "), site.what)
        };
        let mut draft = Draft::new(span_of(first), message).label("example account").severity(Severity::Info);
        for h in rest {
            draft = draft.also(span_of(h), "example account");
        }
        out.push((
            draft
                .help("write the 12-digit ID of the account you mean")
                .note("AWS documentation uses this ID in examples: unless it really is your account, the policy names an account you do not control"),
            examples.iter().map(|h| text_of(h).to_string()).collect(),
        ));
    }
    out
}

/// The byte offset in the file of the value's first character, when the file holds the
/// value verbatim (a JSON string without escapes, or a bare number); otherwise the
/// finding underlines the whole value.
fn text_start(source: &SourceFile, value: &Spanned<String>) -> Option<usize> {
    let text = source.slice(&value.span);
    if text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) == Some(value.value.as_str()) {
        Some(value.span.start + 1)
    } else if text == value.value {
        Some(value.span.start)
    } else {
        None
    }
}

/// (label, help) for a placeholder, from what it names.
fn subject(text: &str) -> (&'static str, &'static str) {
    let lower = text.to_ascii_lowercase();
    if let Some((_, label, help)) = SUBJECTS.iter().find(|(word, _, _)| lower.contains(word)) {
        return (label, help);
    }
    // Runs of X are only found where an account ID goes.
    if xs_for_digits(text.as_bytes()) {
        return ("stands for an account ID", "the 12-digit AWS account ID");
    }
    (GENERIC_LABEL, "the real value")
}

const GENERIC_LABEL: &str = "placeholder";

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts `scan` finds in `value`, with their kinds.
    fn found(value: &str) -> Vec<(&str, Kind)> {
        scan(value, true).into_iter().map(|h| (&value[h.range], h.kind)).collect()
    }

    fn placeholders(value: &str) -> Vec<&str> {
        found(value).into_iter().filter(|(_, k)| *k == Kind::Placeholder).map(|(t, _)| t).collect()
    }

    #[test]
    fn delimited_placeholders() {
        assert_eq!(placeholders("arn:aws:iam::<account-ID-without-hyphens>:root"), ["<account-ID-without-hyphens>"]);
        assert_eq!(placeholders("arn:aws:s3:::<your-bucket-name>/*"), ["<your-bucket-name>"]);
        assert_eq!(placeholders("<Account ID>"), ["<Account ID>"]);
        assert_eq!(placeholders("[VPC_ID]"), ["[VPC_ID]"]);
        assert_eq!(placeholders("arn:aws:s3:::[bucket-name]/*"), ["[bucket-name]"]);
        assert_eq!(placeholders("arn:aws:s3:::{bucket-name}/*"), ["{bucket-name}"]);
        assert_eq!(placeholders("arn:aws:iam::123:role/**my-role**"), ["**my-role**"]);
        assert_eq!(placeholders("arn:aws:ec2:<region>:<account-id>:instance/*"), ["<region>", "<account-id>"]);
    }

    #[test]
    fn words_and_prefixes() {
        assert_eq!(placeholders("arn:aws:iam::ACCOUNT_ID:role/x"), ["ACCOUNT_ID"]);
        assert_eq!(placeholders("arn:aws:iam::ACCOUNT-ID-WITHOUT-HYPHENS:root"), ["ACCOUNT-ID-WITHOUT-HYPHENS"]);
        assert_eq!(placeholders("REPLACE_ME"), ["REPLACE_ME"]);
        assert_eq!(placeholders("arn:aws:s3:::your-bucket/*"), ["your-bucket"]);
        assert_eq!(placeholders("arn:aws:iam::YOUR_ACCOUNT:root"), ["YOUR_ACCOUNT"]);
        assert_eq!(placeholders("arn:aws:s3:::yourBucketName"), ["yourBucketName"]);
        assert_eq!(placeholders("arn:aws:s3:::amzn-s3-demo-bucket/*"), ["amzn-s3-demo-bucket"]);
        assert_eq!(placeholders("arn:aws:s3:::DOC-EXAMPLE-BUCKET"), ["DOC-EXAMPLE-BUCKET"]);
    }

    #[test]
    fn runs_of_x() {
        assert_eq!(placeholders("arn:aws:iam::XXXXXXXXXXXX:root"), ["XXXXXXXXXXXX"]);
        assert_eq!(placeholders("arn:aws:iam::xxxxxxxxxxxx:root"), ["xxxxxxxxxxxx"]);
        assert_eq!(placeholders("arn:aws:iam::123456XXXXXX:root"), ["123456XXXXXX"]);
        assert_eq!(placeholders("arn:aws:iam::XXXXXX:root"), ["XXXXXX"]);
        assert_eq!(placeholders("XXXXXXXXXXXX"), ["XXXXXXXXXXXX"]);
        assert_eq!(placeholders("arn:aws:s3:::logs-xxxxxxxxxxxx/*"), ["xxxxxxxxxxxx"]);
        assert!(placeholders("arn:aws:s3:::xxxx-archive").is_empty());
        assert!(placeholders("arn:aws:s3:::XXXXXXXXXXX-logs").is_empty());
        assert!(placeholders("role/NodeInstanceRole-XXXXX").is_empty());
        assert!(placeholders("arn:aws:s3:::box-of-xxx/*").is_empty());
        assert!(placeholders("arn:aws:s3:::exxxon").is_empty());
    }

    #[test]
    fn arn_fields_that_name_their_content() {
        assert_eq!(placeholders("arn:aws:sqs:region:account-id:queue"), ["region", "account-id"]);
        assert_eq!(placeholders("arn:aws:iam::ACCOUNT:role/x"), ["ACCOUNT"]);
        assert_eq!(placeholders("arn:partition:iam::111122223333:root"), ["partition"]);
        assert!(placeholders("arn:aws:sqs:us-east-1:111122223333:region-account").is_empty());
        assert!(placeholders("arn:aws:iam::aws:policy/ReadOnlyAccess").is_empty());
        assert_eq!(arn_fields("arn:aws:iam::${AWS::AccountId}:root").len(), 6);
    }

    #[test]
    fn words_are_not_placeholders_in_tag_values() {
        let tag_value = |v: &str| -> Vec<String> {
            scan(v, false).into_iter().filter(|h| h.kind == Kind::Placeholder).map(|h| v[h.range].to_string()).collect()
        };
        assert!(tag_value("TODO").is_empty());
        assert!(tag_value("PLACEHOLDER").is_empty());
        assert_eq!(tag_value("<tag-value>"), ["<tag-value>"]);
        assert_eq!(tag_value("[TEAM_NAME]"), ["[TEAM_NAME]"]);
    }

    #[test]
    fn example_accounts() {
        assert_eq!(found("arn:aws:iam::123456789012:root"), [("123456789012", Kind::ExampleAccount)]);
        assert_eq!(found("111122223333"), [("111122223333", Kind::ExampleAccount)]);
        assert_eq!(found("arn:aws:s3:::logs-444455556666/*"), [("444455556666", Kind::ExampleAccount)]);
        assert!(found("arn:aws:iam::210987654321:root").is_empty());
        assert!(found("1123456789012").is_empty());
        assert!(found("Stmt1392016154000").is_empty());
    }

    #[test]
    fn substitutions_and_real_values_are_not_placeholders() {
        for value in [
            "arn:aws:s3:::my-bucket/*",
            "arn:aws:s3:::my-bucket/${aws:username}/*",
            "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
            "arn:aws:sqs:*:${aws:SourceAccount}:q",
            "${s3:prefix}",
            "arn:aws:s3:::b/${*}${?}${$}",
            "arn:aws:iam::${AWS::AccountId}:role/${AWS::Region}-x",
            "arn:aws:iam::${var.account_id}:role/${local.z}",
            "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root",
            "arn:aws:iam::${AccountId}:root",
            "arn:aws:iam::${ACCOUNT_ID}:root",
            "{{resolve:ssm:/my/param}}",
            "aws:RequestTag/Name",
            "aws:RequestTag/${TagKey}",
            "arn:aws:s3:::b/**",
            "arn:aws:s3:::b/**/x/**",
            "arn:aws:s3:::b/[abc]",
            "arn:aws:s3:::b/a<b",
            "<=",
            "s3:GetObject",
            "AllowReadOnYourOwnBucket",
            "yours",
            "arn:aws:iam::111122223333:role/AccountAdmin",
            "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0abc",
            "10.0.0.0/8",
            "2001:db8::/32",
            "STANDARD_IA",
            "AES256",
        ] {
            assert!(placeholders(value).is_empty(), "{value}: {:?}", placeholders(value));
        }
    }

    #[test]
    fn subjects() {
        assert_eq!(subject("<account-id>").0, "stands for an account ID");
        assert_eq!(subject("XXXXXXXXXXXX").0, "stands for an account ID");
        assert_eq!(subject("[VPC_ID]").0, "stands for a VPC ID");
        assert_eq!(subject("<vpce-id>").0, "stands for a VPC endpoint ID");
        assert_eq!(subject("<tag-key>").0, "stands for a tag key");
        assert_eq!(subject("<kms-key-id>").0, "stands for a key");
        assert_eq!(subject("REPLACE_ME").0, GENERIC_LABEL);
    }
}
