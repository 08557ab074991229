#![no_main]
//! A documentation page (markdown, reStructuredText, plain text): the first byte
//! picks the extension, the rest is the page.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, page)) = data.split_first() else { return };
    let name = ["README.md", "guide.rst", "notes.txt", "guide.markdown"][usize::from(pick % 4)];
    iamlint_fuzz::lint(name, page);
});
