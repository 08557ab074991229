#![no_main]
//! `template.yaml` through the real load path (see `src/lib.rs`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| iamlint_fuzz::lint("template.yaml", data));
