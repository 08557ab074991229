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

use super::{Adapter, LoadOptions, Loaded, LoadedFile, snippet};
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
    let text = source.text.as_str();
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
        let (line, _) = source.line_col(block.span().start);
        match snippet::read(&page, &block, format!("line {line}"), options.kind) {
            snippet::Read::Document(document, problems) => {
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

    #[test]
    fn a_policy_like_block_that_does_not_parse_is_reported() {
        let loaded = load_page("p.txt", "Policy:\n{\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}\n");
        assert!(loaded.documents.is_empty());
        assert!(!loaded.syntax.is_empty());
    }
}
