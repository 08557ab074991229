//! Which ARN formats a catalogue line holds, by the service field of each format. Plain
//! string code with no crate imports: build.rs includes this file to index the bundled
//! catalogue at build time, and the crate uses it for any other catalogue.

/// A format's field (`arn` is field 0), as written.
pub fn format_field(format: &str, index: usize) -> Option<&str> {
    let mut start = 0;
    let mut field = 0;
    let mut depth = 0;
    for (i, c) in format.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ':' if depth == 0 && field < 5 => {
                if field == index {
                    return Some(&format[start..i]);
                }
                field += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    (field == index).then(|| &format[start..])
}

/// Each ARN format (a JSON string starting `arn:`) in a service's line, with its service
/// field and its byte range in the line, in the order the line holds them. Formats whose
/// service field is empty or a placeholder are left out.
pub fn arn_formats(line: &str) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let at = from + line[from..].find("\"arn:")? + 1;
            let end = at + line[at..].find('"')?;
            from = end;
            let format = &line[at..end];
            if let Some(service) = format_field(format, 2).filter(|s| !s.contains('$') && !s.is_empty()) {
                return Some((service, at..end));
            }
        }
    })
}
