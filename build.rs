//! Indexes the bundled catalogue at build time: the byte range of each service's line,
//! so that start-up reads only the header and the services a policy names instead of
//! scanning (and paging in) the whole multi-megabyte file on every run.

use std::fmt::Write;
use std::path::PathBuf;

const CATALOGUE: &str = "rules/catalogue/aws.json";
const SERVICE_START: &str = "{\"prefix\":\"";

fn main() {
    println!("cargo::rerun-if-changed={CATALOGUE}");
    let text = std::fs::read_to_string(CATALOGUE).expect("rules/catalogue/aws.json is readable");
    let mut index = String::from("&[\n");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if let Some(rest) = body.strip_prefix(SERVICE_START) {
            let prefix = rest.split('"').next().unwrap_or_default();
            let json = body.strip_suffix(',').unwrap_or(body);
            writeln!(index, "    ({prefix:?}, {offset}, {}),", offset + json.len()).unwrap();
        }
        offset += line.len();
    }
    index.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set")).join("catalogue_index.rs");
    std::fs::write(out, index).expect("OUT_DIR is writable");
}
