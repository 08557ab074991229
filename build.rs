//! Indexes the bundled catalogue at build time: the byte range of each service's line,
//! so that start-up reads only the header and the services a policy names instead of
//! scanning (and paging in) the whole multi-megabyte file on every run; and the ARN
//! formats of the catalogue by their service field (`catalogue::arn::formats_of_service`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

#[path = "src/catalogue/formats_index.rs"]
mod formats_index;

const CATALOGUE: &str = "rules/catalogue/aws.json";
const SERVICE_START: &str = "{\"prefix\":\"";

fn main() {
    println!("cargo::rerun-if-changed={CATALOGUE}");
    println!("cargo::rerun-if-changed=src/catalogue/formats_index.rs");
    let text = std::fs::read_to_string(CATALOGUE).expect("rules/catalogue/aws.json is readable");
    let mut index = String::from("&[\n");
    let mut formats: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if let Some(rest) = body.strip_prefix(SERVICE_START) {
            let prefix = rest.split('"').next().unwrap_or_default();
            let json = body.strip_suffix(',').unwrap_or(body);
            writeln!(index, "    ({prefix:?}, {offset}, {}),", offset + json.len()).unwrap();
            for (service, range) in formats_index::arn_formats(json) {
                let of_service = formats.entry(service).or_default();
                let format = &json[range.clone()];
                if !of_service.iter().any(|&(s, e)| &text[s..e] == format) {
                    of_service.push((offset + range.start, offset + range.end));
                }
            }
        }
        offset += line.len();
    }
    index.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("catalogue_index.rs"), index).expect("OUT_DIR is writable");
    let mut by_service = String::from("&[\n");
    for (service, ranges) in &formats {
        writeln!(by_service, "    ({service:?}, &{ranges:?}),").unwrap();
    }
    by_service.push(']');
    std::fs::write(out.join("arn_formats_index.rs"), by_service).expect("OUT_DIR is writable");
}
