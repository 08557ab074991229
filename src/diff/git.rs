//! The OLD side of `iamlint diff --git BASE`: the files of a revision, read with the `git`
//! executable (`ls-tree` to list them, one `cat-file --batch` to read them all).
//!
//! Why the executable and not a Rust git library: `git` is on every machine that has a
//! checkout to compare (CI runners, developer machines, pre-push hooks), it reads every
//! repository layout git itself writes (worktrees, alternates, partial clones, packed
//! refs, `sha256` object formats), and it costs nothing to build; `gix` would add its
//! dependency tree to every build of iamlint on 2-core CI machines for two commands.

use super::SideFile;
use crate::discover::Filters;
use crate::formats::Tree;
use crate::source::display;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let o = Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}; `--git` needs the git executable on the PATH"))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        return Err(format!("git {} failed: {}", args.join(" "), err.trim().lines().next().unwrap_or("")));
    }
    Ok(o.stdout)
}

/// The files of revision `base` under `paths` (relative to the current directory, as a
/// walk of the working tree names them) that `filters` takes; a path named that is a
/// file is taken whatever its name.
pub fn revision_files(base: &str, paths: &[PathBuf], filters: &Filters) -> Result<Vec<SideFile>, String> {
    if base.starts_with('-') {
        return Err(format!("`{base}` is not a revision"));
    }
    let commit = git(&["rev-parse", "--verify", "--quiet", &format!("{base}^{{commit}}")])
        .map_err(|_| format!("`{base}` is not a commit of the repository here"))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let mut args: Vec<String> = vec!["ls-tree".into(), "-r".into(), "-z".into(), commit, "--".into()];
    args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    let listing = git(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
    let named: Vec<String> = paths.iter().map(|p| display(p)).collect();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (Some(mode), Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else { continue };
        // Regular files only: a symbolic link's blob is its target's name.
        if mode != "100644" && mode != "100755" {
            continue;
        }
        let key = display(Path::new(path));
        if named.contains(&key) || filters.wants(Path::new(&key)) {
            wanted.push((key, oid.to_string()));
        }
    }
    let blobs = cat_blobs(&wanted.iter().map(|(_, oid)| oid.as_str()).collect::<Vec<_>>())?;
    let path = |key: &str| PathBuf::from(format!("{base}:{key}"));
    // The revision's text files, for a Terraform file's module (its siblings are not on disk).
    let tree: Tree = wanted
        .iter()
        .zip(&blobs)
        .filter_map(|((key, _), bytes)| Some((path(key), Arc::from(std::str::from_utf8(bytes).ok()?))))
        .collect();
    let tree = Arc::new(tree);
    Ok(wanted
        .into_iter()
        .zip(blobs)
        .map(|((key, _), bytes)| SideFile {
            path: path(&key),
            at: PathBuf::from(&key),
            key,
            bytes: Ok(bytes),
            kind: None,
            tree: Some(tree.clone()),
        })
        .collect())
}

/// Reads blobs through one `git cat-file --batch`, in order.
fn cat_blobs(oids: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    if oids.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file has no input")?;
    let request: String = oids.iter().map(|o| format!("{o}\n")).collect();
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = BufReader::new(child.stdout.take().ok_or("git cat-file has no output")?);
    let mut blobs = Vec::with_capacity(oids.len());
    for oid in oids {
        let mut header = String::new();
        out.read_line(&mut header).map_err(|e| format!("git cat-file: {e}"))?;
        let mut fields = header.split_whitespace();
        let (Some(_), Some("blob"), Some(size)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("git cat-file could not read {oid}: {}", header.trim()));
        };
        let size: u64 = size.parse().map_err(|_| format!("git cat-file: bad size in `{}`", header.trim()))?;
        if size > crate::lint::MAX_FILE_BYTES {
            return Err(format!(
                "{oid} is {} MiB; iamlint reads files up to {} MiB",
                size >> 20,
                crate::lint::MAX_FILE_BYTES >> 20
            ));
        }
        let mut blob = vec![0; size as usize + 1];
        out.read_exact(&mut blob).map_err(|e| format!("git cat-file: {e}"))?;
        blob.pop();
        blobs.push(blob);
    }
    drop(out);
    let _ = writer.join();
    let _ = child.wait();
    Ok(blobs)
}
