//! Resource patterns against the catalogue's ARN formats
//! (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`): can a policy's
//! Resource value name a resource of a given type, and does it name all of them.
//!
//! It also parses policy Resource values (`parse_resource`) into their ARN fields. What a
//! `${...}` stands for decides what can be said about a value:
//! - an IAM policy variable (`${aws:username}`, `${aws:PrincipalAccount}`,
//!   `${s3:prefix}`, Terraform's `&{aws:username}`) is filled in at request time: it
//!   matches a run of text, like `*`; `${*}`, `${?}` and `${$}` are those characters;
//! - any other substitution (`${AWS::AccountId}`, `${BucketName}`, `${var.x}`) is a
//!   CloudFormation or Terraform interpolation the file does not resolve: it can hold
//!   anything, so the value is undecidable for resource-type matching, and the fields
//!   from it on are unknown (CloudFormation's `${AWS::Partition}`, `${AWS::Region}`,
//!   `${AWS::AccountId}`, `${AWS::URLSuffix}` and `${AWS::StackName}` never hold a `:`,
//!   so they leave the later fields where they are).

use super::formats_index::arn_formats;
pub use super::formats_index::format_field;
use super::{BUNDLED_JSON, Catalogue, has_wildcard, wildcard_match};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A pattern or an ARN format as pieces, as `may_match` reads them: `*`, `?` (in patterns),
/// and `${...}` placeholders or policy variables, which stand for a run without `:`.
/// In a catalogue ARN format (`wildcards` false), a placeholder that never spans `/`
/// (`segment_bounded`) is a run without `/` either.
fn units_of(text: &str, wildcards: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut braces = NextClose::new(text.as_bytes(), b"}");
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let body_at = text.len() - rest.len() + 2;
        if let Some(var) = rest.strip_prefix("${")
            && let Some(end) = braces.after(body_at)
        {
            let end = end - body_at;
            let after = &var[end + 1..];
            out.push(match &var[..end] {
                // Policy variables that stand for the special characters themselves.
                "*" | "?" | "$" if wildcards => Piece::Char(var.as_bytes()[0] as char),
                _ if !wildcards && segment_bounded(text, text.len() - after.len()) => Piece::Many(Class::NoSlash),
                _ => Piece::Many(Class::NoColon),
            });
            rest = after;
            continue;
        }
        out.push(match c {
            '*' if wildcards => Piece::Many(Class::Any),
            '?' if wildcards => Piece::One(Class::Any),
            c => Piece::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Longer than any ARN IAM accepts; such a value is treated as matching.
const MAX_ARN: usize = 4096;

/// Whether the Resource pattern `pattern` matches at least one ARN of `format`: a search
/// over pairs of positions in both (linear in their product, no backtracking blow-up).
pub fn may_match(pattern: &str, format: &str) -> bool {
    pattern.len() > MAX_ARN || remembered(pattern, format, Test::MayMatch)
}

/// Whether the pattern matches every ARN of `format` (a NotResource value that excludes
/// them all): it must match the format written with `*` for each placeholder, the
/// partition taken from the pattern when it names one.
pub fn covers(pattern: &str, format: &str) -> bool {
    let partition = pattern.split(':').nth(1).filter(|p| !p.is_empty() && !has_wildcard(p)).unwrap_or("aws");
    let mut text = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        text.push_str(if &rest[start..start + end + 1] == "${Partition}" { partition } else { "*" });
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    wildcard_match(pattern, &text, false)
}

/// Whether a Resource value names every resource of `format` that a policy can reach:
/// `covers`, with the value's partition, region and account read as `*` (every instance
/// of one account is still every resource that account's principals can touch). A
/// service or resource part built by a template substitution names something specific.
pub fn covers_every(raw: &str, value: &ResourceValue, format: &str) -> bool {
    match value {
        ResourceValue::Any => true,
        ResourceValue::Arn(arn) if arn.fields.len() == 5 => {
            let (service, resource) = (&arn.fields[Arn::SERVICE], &arn.fields[Arn::RESOURCE]);
            if service.kind == FieldKind::Unknown || resource.kind == FieldKind::Unknown {
                return false;
            }
            // An empty region or account (`arn:aws:s3:::*`) stays empty: it names the
            // global resources of the service, not its regional ones (access points).
            let widen = |i: usize| if arn.fields[i].text.is_empty() { "" } else { "*" };
            covers(
                &format!("arn:*:{}:{}:{}:{}", service.text, widen(Arn::REGION), widen(Arn::ACCOUNT), resource.text),
                format,
            )
        }
        ResourceValue::Arn(arn) => arn.decidable && covers(raw, format),
        ResourceValue::Templated | ResourceValue::NotArn(_) => false,
    }
}

/// Whether a Resource value matches `*`, the resource of an action with no resource
/// types; a value whose resource part is all `*` (`arn:aws:ec2:*:*:*`) is given the
/// benefit of the doubt.
pub fn star_like(value: &ResourceValue) -> bool {
    match value {
        ResourceValue::Any => true,
        ResourceValue::Arn(arn) => arn.fields.len() < 5 || arn.fields[Arn::RESOURCE].text.chars().all(|c| c == '*'),
        _ => false,
    }
}

/// A policy Resource/NotResource value, parsed once at resolve time.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceValue {
    /// `*`: every resource.
    Any,
    /// `arn:...`, split into its fields.
    Arn(Arn),
    /// Built by a substitution that can hold anything (`${BucketArn}/*`): nothing can be
    /// said about it.
    Templated,
    /// Not an ARN IAM accepts.
    NotArn(NotArn),
}

/// Why a Resource value is not an ARN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NotArn {
    /// Empty, or does not start with `arn:` (and no wildcard can make it).
    NoPrefix,
    /// Fewer than the six `:`-separated fields, with no `*` or substitution to make up
    /// for them; `found` counts the fields written (`arn` included).
    TooFewFields { found: usize },
}

/// The fields of an ARN pattern: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arn {
    /// partition, service, region, account, resource (the rest, `:` included); fewer when
    /// the value is short and a `*` or a substitution stands for the rest (`arn:aws:s3:*`).
    pub fields: Vec<Field>,
    /// No substitution other than IAM policy variables: the catalogue can decide which
    /// resource types the value can name.
    pub decidable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub text: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Plain text, at a known position: checkable.
    Literal,
    /// Has `*`, `?` or a policy variable, at a known position.
    Pattern,
    /// Holds an unresolved substitution, or follows one that may hold a `:`.
    Unknown,
}

impl Arn {
    pub const PARTITION: usize = 0;
    pub const SERVICE: usize = 1;
    pub const REGION: usize = 2;
    pub const ACCOUNT: usize = 3;
    pub const RESOURCE: usize = 4;

    pub fn field(&self, index: usize) -> Option<&Field> {
        self.fields.get(index)
    }

    /// The field's text when it is plain text at a known position.
    pub fn literal(&self, index: usize) -> Option<&str> {
        self.field(index).filter(|f| f.kind == FieldKind::Literal).map(|f| f.text.as_str())
    }
}

/// The fields of an ARN as written, borrowed: `[partition, service, region, account,
/// resource]`, the resource keeping any further `:` (`dbuser:cluster/name`). Colons inside
/// a `${...}` substitution do not split (`arn:aws:iam::${AWS::AccountId}:root`). `None`
/// when the text does not start with `arn:` or has fewer fields. The one place ARN text
/// is cut into fields; `parse_resource` classifies them.
pub fn split(value: &str) -> Option<[&str; 5]> {
    let rest = value.strip_prefix("arn:")?;
    let bytes = rest.as_bytes();
    let mut cuts = [0usize; 4];
    let (mut found, mut i) = (0, 0);
    while i < bytes.len() && found < 4 {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            match rest[i..].find('}') {
                Some(end) => i += end + 1,
                None => i = bytes.len(),
            }
            continue;
        }
        if bytes[i] == b':' {
            cuts[found] = i;
            found += 1;
        }
        i += 1;
    }
    if found < 4 {
        return None;
    }
    Some([
        &rest[..cuts[0]],
        &rest[cuts[0] + 1..cuts[1]],
        &rest[cuts[1] + 1..cuts[2]],
        &rest[cuts[2] + 1..cuts[3]],
        &rest[cuts[3] + 1..],
    ])
}

/// Partitions AWS has (ARN field 2).
pub const PARTITIONS: [&str; 8] =
    ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// What a `${...}` stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Substitution {
    /// `${*}`, `${?}`, `${$}`: the character itself.
    Literal(char),
    /// An IAM policy variable, filled in at request time.
    Variable,
    /// A template value that never holds a `:` (CloudFormation pseudo parameters).
    InField,
    /// A template value that may hold anything.
    Opaque,
}

/// No policy variable is longer (a tag key has at most 128 characters, a default value
/// 256): a longer body is template text, classified without reading it (a value of many
/// `&{` re-reads the body of each).
const MAX_VARIABLE: usize = 512;

/// Classifies the text between `${` and `}`. Policy variables are `prefix:Name`
/// (`aws:username`, `www.amazon.com:user_id`, `aws:PrincipalTag/team`), optionally with
/// a default (`${aws:username, 'none'}`); CloudFormation's `AWS::Region` has `::`.
fn substitution(body: &str) -> Substitution {
    match body {
        "*" => return Substitution::Literal('*'),
        "?" => return Substitution::Literal('?'),
        "$" => return Substitution::Literal('$'),
        "AWS::Partition" | "AWS::Region" | "AWS::AccountId" | "AWS::URLSuffix" | "AWS::StackName" => {
            return Substitution::InField;
        }
        _ if body.len() > MAX_VARIABLE => return Substitution::Opaque,
        _ => {}
    }
    let name = body.split_once(',').map_or(body, |(name, _)| name).trim();
    let variable = name.split_once(':').is_some_and(|(prefix, key)| {
        !prefix.is_empty()
            && !key.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b))
    });
    if variable { Substitution::Variable } else { Substitution::Opaque }
}

/// Where a closing delimiter next occurs in a text scanned front to back: the last answer
/// is kept while it still holds, so a text of 200,000 unclosed `${` is searched once, not
/// once per `${` (a search per opening made such a value quadratic).
pub(crate) struct NextClose<'a> {
    hay: &'a [u8],
    needle: &'a [u8],
    /// The last search: where it started and what it found.
    last: Option<(usize, Option<usize>)>,
}

impl<'a> NextClose<'a> {
    pub(crate) fn new(hay: &'a [u8], needle: &'a [u8]) -> NextClose<'a> {
        NextClose { hay, needle, last: None }
    }

    /// The first occurrence of the needle at or after byte `from`.
    pub(crate) fn after(&mut self, from: usize) -> Option<usize> {
        if let Some((start, found)) = self.last
            && start <= from
            && found.is_none_or(|at| at >= from)
        {
            return found;
        }
        let found = memchr::memmem::find(self.hay.get(from..)?, self.needle).map(|at| from + at);
        self.last = Some((from, found));
        found
    }
}

/// Splits the suffix `rest` of `whole` at a `${...}` / `&{...}` (Terraform's escape for
/// policy variables) starting at its beginning: (body, rest, the `&{` form). `braces`
/// finds the `}` in `whole`.
fn split_substitution<'t>(
    whole: &'t str,
    rest: &'t str,
    braces: &mut NextClose<'_>,
) -> Option<(&'t str, &'t str, bool)> {
    let (body, terraform) = match rest.strip_prefix("${") {
        Some(body) => (body, false),
        None => (rest.strip_prefix("&{")?, true),
    };
    let from = whole.len() - body.len();
    let end = braces.after(from)? - from;
    Some((&body[..end], &body[end + 1..], terraform))
}

fn classify(body: &str, terraform: bool) -> Substitution {
    match substitution(body) {
        // `&{...}` is only Terraform's spelling of a policy variable.
        Substitution::Opaque | Substitution::InField if terraform => Substitution::Literal('&'),
        s => s,
    }
}

/// Parses a Resource/NotResource value. Cheap: one pass over the text, no catalogue.
pub fn parse_resource(value: &str) -> ResourceValue {
    if value == "*" {
        return ResourceValue::Any;
    }
    // Fields split at `:` outside substitutions (`${AWS::Region}` holds two).
    let mut fields: Vec<Field> = Vec::new();
    let mut text = String::new();
    let (mut wild, mut opaque_here, mut in_field, mut opaque_before) = (false, false, false, false);
    let mut decidable = true;
    let mut braces = NextClose::new(value.as_bytes(), b"}");
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if let Some((body, after, terraform)) = split_substitution(value, rest, &mut braces) {
            match classify(body, terraform) {
                Substitution::Literal(_) => {}
                Substitution::Variable => wild = true,
                Substitution::InField => {
                    in_field = true;
                    decidable = false;
                }
                Substitution::Opaque => {
                    opaque_here = true;
                    decidable = false;
                }
            }
            text.push_str(&rest[..rest.len() - after.len()]);
            rest = after;
            continue;
        }
        if c == ':' && fields.len() < 5 {
            let unknown = opaque_here || in_field || opaque_before;
            fields.push(field(std::mem::take(&mut text), wild, unknown));
            opaque_before |= opaque_here;
            (wild, opaque_here, in_field) = (false, false, false);
        } else {
            wild |= c == '*' || c == '?';
            text.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    fields.push(field(text, wild, opaque_here || in_field || opaque_before));
    let open_ended = has_wildcard(value) || value.contains("${") || value.contains("&{");
    if fields.first().is_none_or(|f| f.text != "arn") {
        // A value that starts with a wildcard or a substitution may still be an ARN.
        let lead = value.find(['*', '?', '$', '&']).map_or(value, |i| &value[..i]);
        if lead.len() < value.len() && ("arn:".starts_with(lead) || lead.starts_with("arn:")) {
            return if lead.is_empty() && !value.starts_with(['*', '?']) {
                ResourceValue::Templated
            } else {
                ResourceValue::Arn(Arn { fields: Vec::new(), decidable })
            };
        }
        return ResourceValue::NotArn(NotArn::NoPrefix);
    }
    fields.remove(0);
    if fields.len() < 5 && !open_ended {
        return ResourceValue::NotArn(NotArn::TooFewFields { found: fields.len() + 1 });
    }
    ResourceValue::Arn(Arn { fields, decidable })
}

fn field(text: String, wild: bool, unknown: bool) -> Field {
    let kind = if unknown {
        FieldKind::Unknown
    } else if wild {
        FieldKind::Pattern
    } else {
        FieldKind::Literal
    };
    Field { text, kind }
}

/// Characters a run of a pattern or a format may hold.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Any,
    /// No `:` (partition, region, account and most names).
    NoColon,
    /// No `:` and no `/` (S3 bucket and access point names).
    NoSlash,
}

impl Class {
    fn admits(self, c: char) -> bool {
        match self {
            Class::Any => true,
            Class::NoColon => c != ':',
            Class::NoSlash => c != ':' && c != '/',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Char(char),
    /// One character of the class.
    One(Class),
    /// Any run (possibly empty) of characters of the class.
    Many(Class),
}

/// A policy value as pieces: `*` and policy variables match any run (an
/// `${aws:userid}` holds a `:`), unresolved substitutions too.
fn pattern_pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut braces = NextClose::new(text.as_bytes(), b"}");
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some((body, after, terraform)) = split_substitution(text, rest, &mut braces) {
            out.push(match classify(body, terraform) {
                Substitution::Literal('&') => {
                    // Not a substitution after all: read the `&` as text and go on.
                    rest = &rest[1..];
                    out.push(Piece::Char('&'));
                    continue;
                }
                Substitution::Literal(c) => Piece::Char(c),
                _ => Piece::Many(Class::Any),
            });
            rest = after;
            continue;
        }
        out.push(match c {
            '*' => Piece::Many(Class::Any),
            '?' => Piece::One(Class::Any),
            c => Piece::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The pair search's buffers: visited pairs marked with the number of the search, that
/// number, and the stack.
type Scratch = (Vec<u32>, u32, Vec<(usize, usize)>);

/// One answer of `remembered`: the format, the test, the answer.
type Answer = (Box<str>, Test, bool);

/// Pieces shared by the callers that ask about the same text.
type Pieces = Rc<[Piece]>;

/// The last pattern asked about: its text, whether it was read as `units`, its pieces.
type LastPattern = (Box<str>, bool, Pieces);

/// A pattern's pieces for `test`. Rules ask about one value against many formats in a
/// row, so the last value's pieces are kept.
fn pieces_of_pattern(pattern: &str, test: Test) -> Rc<[Piece]> {
    thread_local! {
        static LAST: RefCell<Option<LastPattern>> = const { RefCell::new(None) };
    }
    let units = test == Test::MayMatch;
    LAST.with_borrow_mut(|last| {
        if let Some((text, u, pieces)) = last.as_ref()
            && **text == *pattern
            && *u == units
        {
            return pieces.clone();
        }
        let pieces: Rc<[Piece]> = if units { units_of(pattern, true) } else { pattern_pieces(pattern) }.into();
        *last = Some((pattern.into(), units, pieces.clone()));
        pieces
    })
}

/// A catalogue format's pieces for `test`, worked out once per thread: there are a few
/// thousand formats and every value is compared with some of them.
fn pieces_of_format(format: &str, test: Test) -> Rc<[Piece]> {
    thread_local! {
        /// Per format text, its pieces for each `Test` (in declaration order).
        static FORMATS: RefCell<HashMap<Box<str>, [Option<Pieces>; 3]>> = RefCell::default();
    }
    FORMATS.with_borrow_mut(|formats| {
        if let Some(found) = formats.get(format).and_then(|by_test| by_test[test as usize].clone()) {
            return found;
        }
        let pieces: Rc<[Piece]> = match test {
            Test::MayMatch => units_of(format, false),
            Test::Strict => format_pieces(format, Header::Strict),
            Test::Loose => format_pieces(format, Header::Loose),
        }
        .into();
        formats.entry(format.into()).or_default()[test as usize] = Some(pieces.clone());
        pieces
    })
}

/// How a format's partition, region and account are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Header {
    /// As written: a placeholder is at least one character without `:`, an empty field
    /// stays empty (an S3 bucket ARN has no region and no account).
    Strict,
    /// Region and account match anything without `:`: only the service and the resource
    /// part count (whether they are well formed is `invalid-arn`'s business).
    Loose,
}

/// A catalogue ARN format as pieces. Placeholders of the resource part may hold `:`
/// and `/` (log group names hold `/`, and IAM evaluates log group actions on
/// `log-group:NAME:*`), except those that are one segment of a longer ARN of the same
/// service (`segment_bounded`), which hold neither: that is what tells
/// `arn:aws:s3:::bucket/*` (objects) from a bucket, and a DynamoDB index from a table.
fn format_pieces(format: &str, header: Header) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut field = 0;
    let mut braces = NextClose::new(format.as_bytes(), b"}");
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        let loose = header == Header::Loose && (field == 3 || field == 4);
        if let Some((_, after, _)) = split_substitution(format, rest, &mut braces) {
            let class = if field < 5 {
                Class::NoColon
            } else if segment_bounded(format, format.len() - after.len()) {
                Class::NoSlash
            } else {
                Class::Any
            };
            if !loose {
                out.extend([Piece::One(class), Piece::Many(class)]);
            }
            rest = after;
            continue;
        }
        if c == ':' && field < 5 {
            field += 1;
            out.push(Piece::Char(':'));
            if header == Header::Loose && (field == 3 || field == 4) {
                out.push(Piece::Many(Class::NoColon));
            }
        } else if !loose {
            out.push(Piece::Char(c));
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether the placeholder of a catalogue ARN format that ends at byte `end` stands for
/// one `/`-separated segment: the one rule of ARN matching for names. It does when
/// another ARN format of the same service continues the format's text up to that
/// placeholder with `/` (dynamodb `table/${TableName}` and
/// `table/${TableName}/index/${IndexName}`: a table name holds no `/`, so
/// `table/X/index/*` names indexes, not a table; s3 `${BucketName}` and
/// `${BucketName}/${ObjectName}`). Every other placeholder may hold `/`: S3 object keys
/// (`${ObjectName}`), IAM names with their path (`${RoleNameWithPath}`), log group names,
/// ECR repository names and Secrets Manager secret names all do, and nothing in the
/// catalogue continues them. Decided from the bundled catalogue's formats
/// (`LoadedService::continues_with_slash`); a format whose service field is not a
/// catalogue prefix is left unbounded.
pub fn segment_bounded(format: &str, end: usize) -> bool {
    let Some(service) = format_field(format, 2).filter(|s| !s.is_empty() && !s.contains('$')) else { return false };
    let catalogue = Catalogue::bundled();
    let Some(id) = catalogue.find_service(service) else { return false };
    format.get(..end).is_some_and(|upto| catalogue.service(id).continues_with_slash(upto))
}

fn overlap_pieces(a: Piece, b: Piece) -> bool {
    match (a, b) {
        (Piece::Char(x), Piece::Char(y)) => x == y,
        (Piece::Char(x), Piece::One(k) | Piece::Many(k)) | (Piece::One(k) | Piece::Many(k), Piece::Char(x)) => {
            k.admits(x)
        }
        _ => true,
    }
}

/// Whether some text is matched by both piece lists: a search over pairs of positions
/// (linear in their product).
fn intersect(p: &[Piece], q: &[Piece]) -> bool {
    thread_local! {
        /// Visited pairs, marked with the number of the search (never cleared), and the stack.
        static SCRATCH: RefCell<Scratch> = RefCell::default();
    }
    SCRATCH.with_borrow_mut(|(seen, search, stack)| {
        let (n, m) = (p.len(), q.len());
        if seen.len() < (n + 1) * (m + 1) {
            seen.resize((n + 1) * (m + 1), 0);
        }
        *search = search.wrapping_add(1);
        if *search == 0 {
            seen.fill(0);
            *search = 1;
        }
        stack.clear();
        search_pairs(p, q, seen, *search, stack)
    })
}

fn search_pairs(p: &[Piece], q: &[Piece], seen: &mut [u32], search: u32, stack: &mut Vec<(usize, usize)>) -> bool {
    let repeats = |u: Piece| matches!(u, Piece::Many(_));
    let (n, m) = (p.len(), q.len());
    stack.push((0, 0));
    while let Some((i, j)) = stack.pop() {
        let slot = &mut seen[i * (m + 1) + j];
        if *slot == search {
            continue;
        }
        *slot = search;
        if i == n && j == m {
            return true;
        }
        let (a, b) = (p.get(i).copied(), q.get(j).copied());
        if a.is_some_and(repeats) {
            stack.push((i + 1, j));
        }
        if b.is_some_and(repeats) {
            stack.push((i, j + 1));
        }
        if let (Some(a), Some(b)) = (a, b)
            && overlap_pieces(a, b)
        {
            let next = (if repeats(a) { i } else { i + 1 }, if repeats(b) { j } else { j + 1 });
            if next != (i, j) {
                stack.push(next);
            }
        }
    }
    false
}

/// Whether the Resource pattern can name a resource of the ARN `format`, reading the
/// format's header as `header` says. Errs towards yes: see `format_pieces`.
pub fn fits(pattern: &str, format: &str, header: Header) -> bool {
    if pattern.len() > MAX_ARN {
        return true;
    }
    remembered(pattern, format, if header == Header::Strict { Test::Strict } else { Test::Loose })
}

/// Which question `remembered` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Test {
    MayMatch,
    Strict,
    Loose,
}

/// Answers of `may_match` and `fits` the thread has worked out, by pattern text. The same
/// Resource values come back in every document of a tree and every principal of an
/// account dump, each against the same few formats; the automaton is the costly part.
#[derive(Default)]
struct Answers {
    /// pattern -> (format, test, answer).
    by_pattern: HashMap<Box<str>, Vec<Answer>>,
    size: usize,
}

/// More than a large account needs; past it the answers are forgotten and worked out again.
const MAX_ANSWERS: usize = 1 << 20;

fn remembered(pattern: &str, format: &str, test: Test) -> bool {
    thread_local! {
        static ANSWERS: RefCell<Answers> = RefCell::default();
    }
    let known = ANSWERS.with_borrow(|a| {
        a.by_pattern.get(pattern)?.iter().find(|(f, t, _)| *t == test && **f == *format).map(|(_, _, answer)| *answer)
    });
    if let Some(answer) = known {
        return answer;
    }
    let answer = intersect(&pieces_of_pattern(pattern, test), &pieces_of_format(format, test));
    ANSWERS.with_borrow_mut(|a| {
        if a.size >= MAX_ANSWERS {
            *a = Answers::default();
        }
        a.size += 1;
        a.by_pattern.entry(pattern.into()).or_default().push((format.into(), test, answer));
    });
    answer
}

/// The ARN formats whose service field is `service` (`catalog` formats belong to the
/// `servicecatalog` prefix, `s3-object-lambda` ones to `s3`), from every service of the
/// catalogue. For the bundled catalogue build.rs indexed them (scanning the 5.3 MB text
/// at run time cost ~26 M instructions, more than linting a small file); any other
/// catalogue is scanned when asked.
pub fn formats_of_service(catalogue: &Catalogue, service: &str) -> Vec<&'static str> {
    if std::ptr::eq(catalogue, Catalogue::bundled()) {
        let Ok(i) = BUNDLED_FORMATS.binary_search_by(|(s, _)| (*s).cmp(service)) else { return Vec::new() };
        BUNDLED_FORMATS[i].1.iter().map(|&(start, end)| &BUNDLED_JSON[start..end]).collect()
    } else {
        index(catalogue).remove(service).unwrap_or_default()
    }
}

/// (service field, the byte ranges in `BUNDLED_JSON` of its formats), sorted by service:
/// written by build.rs.
const BUNDLED_FORMATS: &[(&str, &[(usize, usize)])] = include!(concat!(env!("OUT_DIR"), "/arn_formats_index.rs"));

fn index(catalogue: &Catalogue) -> HashMap<&'static str, Vec<&'static str>> {
    let mut out: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for (_, line) in &catalogue.lines {
        for (service, range) in arn_formats(line) {
            let format = &line[range];
            let formats = out.entry(service).or_default();
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_build_rs_indexed_are_those_a_scan_of_the_bundled_catalogue_finds() {
        let catalogue = Catalogue::bundled();
        let scanned = index(catalogue);
        assert_eq!(BUNDLED_FORMATS.len(), scanned.len());
        assert!(scanned.len() > 300, "{} services", scanned.len());
        for (service, formats) in &scanned {
            assert_eq!(&formats_of_service(catalogue, service), formats, "{service}");
        }
        assert!(formats_of_service(catalogue, "s3").contains(&"arn:${Partition}:s3:::${BucketName}"));
    }

    #[test]
    fn next_close_answers_as_a_fresh_search_would() {
        let text = b"${a}${${b}}${";
        let mut braces = NextClose::new(text, b"}");
        for from in 0..=text.len() {
            let fresh = text[from..].iter().position(|&c| c == b'}').map(|at| from + at);
            assert_eq!(braces.after(from), fresh, "from {from}");
        }
        assert_eq!(braces.after(text.len() + 1), None);
    }

    #[test]
    fn unclosed_and_overlong_substitutions_read_as_text_or_template() {
        // Unclosed: plain text (no field is cut inside it).
        let value = format!("arn:aws:s3:::b/{}", "${".repeat(1_000));
        let ResourceValue::Arn(arn) = parse_resource(&value) else { panic!("not an ARN") };
        assert_eq!(arn.fields[Arn::RESOURCE].text, value["arn:aws:s3:::".len()..]);
        // A body longer than any policy variable is template text, not a variable.
        assert_eq!(substitution(&format!("aws:{}", "x".repeat(600))), Substitution::Opaque);
        assert_eq!(substitution("aws:PrincipalTag/team"), Substitution::Variable);
        assert!(may_match(&format!("arn:aws:s3:::{}", "&{".repeat(500)), "arn:${Partition}:s3:::${BucketName}"));
    }

    #[test]
    fn split_keeps_substitutions_and_the_resource_whole() {
        assert_eq!(split("arn:aws:iam::111122223333:role/a/b"), Some(["aws", "iam", "", "111122223333", "role/a/b"]));
        assert_eq!(
            split("arn:aws:rds-db:eu-west-1:1:dbuser:db/u"),
            Some(["aws", "rds-db", "eu-west-1", "1", "dbuser:db/u"])
        );
        assert_eq!(split("arn:aws:iam::${AWS::AccountId}:root"), Some(["aws", "iam", "", "${AWS::AccountId}", "root"]));
        assert_eq!(split("arn:aws:s3:::b"), Some(["aws", "s3", "", "", "b"]));
        assert_eq!(split("arn:aws:s3"), None);
        assert_eq!(split("*"), None);
        assert_eq!(split("arn:aws:iam::${broken"), None);
    }

    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
    const SUBNET: &str = "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}";

    #[test]
    fn arn_patterns_match_formats() {
        assert!(may_match("*", ROLE));
        assert!(may_match("arn:*:iam::*:*", ROLE));
        assert!(may_match("arn:aws:iam::123456789012:role/deployer", ROLE));
        assert!(may_match("arn:aws:iam::*:role/${aws:username}", ROLE));
        assert!(may_match("arn:aws:ec2:*:*:*", SUBNET));
        assert!(may_match("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc", SUBNET));
        assert!(!may_match("arn:aws:iam::123456789012:user/deployer", ROLE));
        assert!(!may_match("arn:aws:s3:::bucket/*", ROLE));
        assert!(!may_match("arn:aws:ec2:us-east-1:1:instance/*", SUBNET), "an account has no `:`");
        assert!(!may_match("arn:aws:ec2:*:*:image/*", SUBNET));
    }

    #[test]
    fn not_resource_coverage() {
        assert!(covers("*", ROLE));
        assert!(covers("arn:aws:iam::*:role/*", ROLE));
        assert!(covers("arn:*:iam::*:*", ROLE));
        assert!(!covers("arn:aws:iam::123456789012:role/*", ROLE), "other accounts stay granted");
        assert!(!covers("arn:aws:iam::*:role/admin", ROLE));
    }

    #[test]
    fn hostile_values_are_fast() {
        let value = "*:".repeat(2000);
        assert!(!may_match(&value, ROLE));
    }

    #[test]
    fn parses_resource_values() {
        assert_eq!(parse_resource("*"), ResourceValue::Any);
        assert_eq!(parse_resource("${BucketArn}/*"), ResourceValue::Templated);
        assert_eq!(parse_resource("s3:::b"), ResourceValue::NotArn(NotArn::NoPrefix));
        assert_eq!(parse_resource("arn:aws:s3"), ResourceValue::NotArn(NotArn::TooFewFields { found: 3 }));
        let ResourceValue::Arn(arn) = parse_resource("arn:${AWS::Partition}:dynamodb:${AWS::Region}:1:table/${T}")
        else {
            panic!("an ARN")
        };
        assert!(!arn.decidable);
        assert_eq!(arn.literal(Arn::SERVICE), Some("dynamodb"));
        assert_eq!(arn.field(Arn::REGION).map(|f| f.kind), Some(FieldKind::Unknown));
        assert_eq!(arn.field(Arn::RESOURCE).map(|f| f.text.as_str()), Some("table/${T}"));
        let ResourceValue::Arn(arn) = parse_resource("arn:*:kms:*:${aws:PrincipalAccount}:key/*") else { panic!() };
        assert!(arn.decidable);
        assert_eq!(arn.field(Arn::ACCOUNT).map(|f| f.kind), Some(FieldKind::Pattern));
        let ResourceValue::Arn(arn) = parse_resource("arn:aws:sqs:${var.region}:1:q") else { panic!() };
        assert_eq!(arn.field(Arn::ACCOUNT).map(|f| f.kind), Some(FieldKind::Unknown), "after an opaque substitution");
    }

    #[test]
    fn names_that_are_one_segment_never_span_a_slash() {
        const TABLE: &str = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}";
        const INDEX: &str = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/${IndexName}";
        const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        const ROLE_PATH: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        let index = "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/index/*";
        assert!(!fits(index, TABLE, Header::Loose) && !may_match(index, TABLE), "an index is not a table");
        assert!(fits(index, INDEX, Header::Loose) && may_match(index, INDEX));
        let tables = "arn:aws:dynamodb:us-east-1:111122223333:table/*";
        assert!(fits(tables, TABLE, Header::Loose) && may_match(tables, TABLE));
        assert!(fits(tables, INDEX, Header::Loose), "`*` still spans segments");
        assert!(may_match("arn:aws:s3:::b/logs/2024/*", OBJECT), "object keys hold `/`");
        assert!(may_match("arn:aws:iam::1:role/service-role/ci", ROLE_PATH), "IAM paths hold `/`");
        assert!(!may_match("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}"));
        assert!(segment_bounded(TABLE, TABLE.len()));
        assert!(!segment_bounded(OBJECT, OBJECT.len()));
        assert!(!segment_bounded(ROLE_PATH, ROLE_PATH.len()));
        assert!(segment_bounded(
            OBJECT,
            OBJECT.find('}').unwrap() + 1 + OBJECT[OBJECT.find('}').unwrap() + 1..].find('}').unwrap() + 1
        ));
    }

    #[test]
    fn lenient_fits() {
        const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
        const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        const LOG_GROUP: &str = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}";
        assert!(!fits("arn:aws:s3:::b/*", BUCKET, Header::Loose));
        assert!(fits("arn:aws:s3:::b/*", OBJECT, Header::Loose));
        assert!(!fits("arn:aws:s3:::b", OBJECT, Header::Loose));
        assert!(fits("arn:aws:s3:::${aws:username}-data", BUCKET, Header::Strict));
        assert!(fits("arn:aws:logs:*:*:log-group:/aws/lambda/x:*", LOG_GROUP, Header::Loose));
        assert!(fits("arn:aws:s3:us-east-1::b", BUCKET, Header::Loose));
        assert!(!fits("arn:aws:s3:us-east-1::b", BUCKET, Header::Strict));
        assert!(!fits(
            "arn:aws:kms:us-east-1::key/x",
            "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}",
            Header::Strict
        ));
    }
}
