//! Docs pages: markdown (fenced and indented blocks), reStructuredText (`code-block::
//! json`) and plain text as vendors publish policies, with the JSON in the middle of
//! prose, indented, with trailing commas, `**bold**` debris, a single statement or a
//! copy-paste run of statements (`{...},{...}`).
//!
//! Every block of JSON that is a policy (or statements) becomes a document whose spans
//! point into the page and whose locator names its line (`line 12`). Blocks that are
//! not policies (CLI output, config, API responses) are passed over quietly; a block
//! that looks like a policy but does not parse is reported, never passed over.
//!
//! Blocks are found by what they are, not by the markup around them (see `snippet`):
//! one finder reads markdown fences, indented blocks, RST directives and prose alike.

use super::{Adapter, LoadOptions, Loaded, LoadedFile, SyntaxProblem, snippet};
use crate::source::SourceFile;
use std::path::Path;
use std::sync::Arc;

/// The extensions of pages read as docs. A directory walk does not pick them up unless
/// `--include` says so; a page named on the command line is read.
const EXTENSIONS: [&str; 4] = ["md", "markdown", "rst", "txt"];

/// Claims pages by extension. A `.txt` (or `.md`) file that is itself one JSON value is
/// left to the JSON-based adapters (CLI output saved as `role.txt`, a policy saved as
/// text). A page without any policy is claimed too, and passed over with a reason: left
/// to the JSON adapter, a README named on the command line would be a flood of
/// `malformed-json`.
pub static ADAPTER: Adapter = Adapter { name: "docs page", claims, load };

fn claims(path: &Path, text: &str) -> bool {
    let docs =
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)));
    docs && !text.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}

fn load(source: Arc<SourceFile>, options: &LoadOptions) -> Loaded {
    // Quotes written as `“` or `&quot;` are read as `"` (and reported), offsets mapped back.
    let straightened = snippet::Straightened::new(&source.text);
    let text = straightened.as_ref().map_or(source.text.as_str(), |s| s.text.as_str());
    let blocks = snippet::blocks(text);
    // The page with its formatting debris blanked inside each block (same offsets).
    let mut page = text.to_string();
    for block in &blocks {
        let span = block.span();
        page.replace_range(span.clone(), &snippet::clean(&text[span]));
    }
    let mut documents = Vec::new();
    let mut syntax = Vec::new();
    let mut pending: Vec<snippet::Block> = blocks.into_iter().rev().collect();
    while let Some(block) = pending.pop() {
        let start = straightened.as_ref().map_or(block.span().start, |s| s.offset(block.span().start));
        let (line, _) = source.line_col(start);
        match snippet::read(&page, &block, format!("line {line}"), options.kind, straightened.as_ref()) {
            snippet::Read::Document(document, problems) => {
                if let Some(quote) = straightened.as_ref().and_then(|s| s.first_quote_in(&block.span())) {
                    let written = &source.text[quote.clone()];
                    syntax.push(SyntaxProblem {
                        span: quote,
                        message: format!("the policy is written with `{written}` for its quotes, which is not JSON: IAM rejects it as written"),
                        label: "not a JSON quote".into(),
                        help: Some(format!(
                            "write straight double quotes (\") instead of `{written}` (the page's rendering turned them); iamlint analysed the policy as if they were"
                        )),
                    });
                }
                documents.push(*document);
                syntax.extend(problems);
            }
            snippet::Read::Broken(problems) => syntax.extend(problems),
            // Values that are not all statements: each is read alone.
            snippet::Read::Mixed => pending.extend(
                block.values.iter().rev().map(|v| snippet::Block { values: vec![v.clone()], trailing_comma: None }),
            ),
            snippet::Read::NotPolicy => {}
        }
    }
    if documents.is_empty() && syntax.is_empty() {
        return Loaded::NotPolicy("a docs page with no policy JSON in it".into());
    }
    Loaded::Policy(LoadedFile::new(source, syntax, documents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::LoadOptions;

    fn load_page(name: &str, text: &str) -> LoadedFile {
        let source = Arc::new(SourceFile::new(name, text.to_string()));
        match load(source, &LoadOptions::default()) {
            Loaded::Policy(loaded) => loaded,
            other => panic!("not loaded: {other:?}"),
        }
    }

    #[test]
    fn claims_pages_by_extension_but_not_json_saved_as_text() {
        assert!(claims(Path::new("README.md"), "# Title\n"));
        assert!(claims(Path::new("guide.RST"), "Title\n=====\n"));
        assert!(!claims(Path::new("role.txt"), "  {\"Role\": {}}"));
        assert!(!claims(Path::new("policy.json"), "# not json"));
    }

    #[test]
    fn a_page_without_policies_is_passed_over() {
        let source = Arc::new(SourceFile::new("README.md", "# Hi\n\n```json\n{\"name\": \"x\"}\n```\n".into()));
        assert!(matches!(load(source, &LoadOptions::default()), Loaded::NotPolicy(_)));
    }

    #[test]
    fn markdown_debris_and_trailing_commas_are_read() {
        let page =
            "Attach this:\n\n> **{\"Effect\": \"Allow\", **\"Action\"**: \"s3:GetObject\", \"Resource\": \"*\",}**\n";
        let loaded = load_page("p.md", page);
        assert_eq!(loaded.documents.len(), 1);
        let doc = &loaded.documents[0];
        assert_eq!(doc.locator, "line 3");
        assert!(doc.bare_statement);
        let action = &doc.statements[0].action.as_ref().unwrap().values[0];
        assert_eq!(&page[action.span.clone()], "\"s3:GetObject\"");
        let messages: Vec<_> = loaded.syntax.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages, vec!["trailing comma"]);
    }

    /// Docs sites turn `"` into `“ ”` or `&quot;`: the policy is read as if straight (its
    /// spans on the page's own characters) and the quotes are reported.
    #[test]
    fn typographic_and_html_escaped_quotes_are_read_and_reported() {
        let page = "Intro “quoted” prose.\n\n```json\n{“Version”: “2012-10-17”, “Statement”: [{“Effect”: “Allow”, “Action”: “iam:PassRole”, “Resource”: “*”}]}\n```\n\n<pre>{&quot;Effect&quot;: &quot;Allow&quot;, &quot;Action&quot;: &quot;s3:*&quot;, &quot;Resource&quot;: &quot;*&quot;}</pre>\n";
        let loaded = load_page("p.md", page);
        assert_eq!(loaded.documents.len(), 2);
        let first = &loaded.documents[0];
        assert_eq!(first.locator, "line 4");
        assert_eq!(first.version.as_ref().unwrap().value, "2012-10-17");
        let action = &first.statements[0].action.as_ref().unwrap().values[0];
        assert_eq!(action.value, "iam:PassRole");
        assert_eq!(&page[action.span.clone()], "“iam:PassRole”");
        let second = &loaded.documents[1];
        assert_eq!(second.locator, "line 7");
        let resource = &second.statements[0].resource.as_ref().unwrap().values[0];
        assert_eq!(&page[resource.span.clone()], "&quot;*&quot;");
        assert_eq!(&page[second.span.clone()], &page[page.find("{&quot;").unwrap()..page.find("</pre>").unwrap()]);
        let problems: Vec<(&str, &str)> =
            loaded.syntax.iter().map(|p| (p.message.as_str(), &page[p.span.clone()])).collect();
        assert_eq!(
            problems,
            [
                ("the policy is written with `“` for its quotes, which is not JSON: IAM rejects it as written", "“"),
                (
                    "the policy is written with `&quot;` for its quotes, which is not JSON: IAM rejects it as written",
                    "&quot;"
                ),
            ]
        );
    }

    #[test]
    fn straightened_offsets_map_back_to_the_page() {
        let page = "a“b”&quot;c";
        let s = snippet::Straightened::new(page).unwrap();
        assert_eq!(s.text, "a\"b\"\"c");
        let back: Vec<usize> = (0..=s.text.len()).map(|n| s.offset(n)).collect();
        // a, “ (3 bytes), b, ” (3 bytes), &quot; (6 bytes), c, end
        assert_eq!(back, [0, 1, 4, 5, 8, 14, 15]);
        assert!(snippet::Straightened::new("plain \"json\"").is_none());
    }

    #[test]
    fn a_policy_like_block_that_does_not_parse_is_reported() {
        let loaded = load_page("p.txt", "Policy:\n{\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}\n");
        assert!(loaded.documents.is_empty());
        assert!(!loaded.syntax.is_empty());
    }
}
