//! Embeds the built-in catalog (`personas/`, `activities/`) and `templates/` into the binary, so that
//! `cargo install` works anywhere. Generates a table of `(relative path, include_str!)` pairs sorted by
//! path, so the embedded order is deterministic, and a second table with each catalog file
//! re-encoded as JSON: parsing the catalog's YAML at every start took most of `generate`'s time.
//! The YAML stays the source of truth: a file that does not convert gets no JSON, and the loader
//! then parses its YAML and reports the problem with its line.
//!
//! A third table holds the built-in JSON templates compacted for tera's parser
//! (`src/template_compact.rs`).
//!
//! It also expands the committed IAM reference into the layout the binary embeds
//! (`src/reference/layout.rs`), in which one action is found without inflating or scanning its service.

#[path = "src/yaml.rs"]
#[allow(dead_code)]
mod yaml;

#[path = "src/json_keys.rs"]
#[allow(dead_code)]
mod json_keys;

#[path = "src/template_compact.rs"]
mod template_compact;

mod reference {
    #[path = "../src/reference/expand.rs"]
    pub mod expand;
    #[path = "../src/reference/layout.rs"]
    #[allow(dead_code)]
    pub mod layout;
}

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &str, out: &mut Vec<String>) {
    let full = root.join(dir);
    println!("cargo:rerun-if-changed={}", full.display());
    let Ok(entries) = fs::read_dir(&full) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            collect(root, &format!("{dir}/{name}"), out);
        } else if name.ends_with(".yaml") || name.ends_with(".tera") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(format!("{dir}/{name}"));
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["personas", "activities", "templates", "tests/scenarios"] {
        collect(&root, dir, &mut files);
    }
    files.sort();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut generated = fs::File::create(out_dir.join("embedded.rs")).expect("OUT_DIR is writable");
    writeln!(generated, "pub static FILES: &[(&str, &str)] = &[").expect("write embedded.rs");
    for file in &files {
        let absolute = root.join(file);
        writeln!(
            generated,
            "    ({file:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("write embedded.rs");
    }
    writeln!(generated, "];").expect("write embedded.rs");
    writeln!(generated, "pub static CATALOG_JSON: &[(&str, &str)] = &[")
        .expect("write embedded.rs");
    for file in &files {
        if !(file.starts_with("personas/") || file.starts_with("activities/")) {
            continue;
        }
        let text = fs::read_to_string(root.join(file)).unwrap_or_default();
        if let Ok(json) = yaml::to_json(&text) {
            writeln!(generated, "    ({file:?}, {json:?}),").expect("write embedded.rs");
        }
    }
    writeln!(generated, "];").expect("write embedded.rs");

    // The built-in JSON templates as `generate` parses them: without comments and indentation
    // (src/template_compact.rs says why); the files above stay what users read and copy.
    writeln!(
        generated,
        "pub static COMPACT_TEMPLATES: &[(&str, &str)] = &["
    )
    .expect("write embedded.rs");
    for file in &files {
        let Some(name) = file.strip_prefix("templates/") else {
            continue;
        };
        if !name.ends_with(".json.tera") {
            continue;
        }
        let text = fs::read_to_string(root.join(file)).unwrap_or_default();
        let compact = template_compact::compact_json_template(&text);
        writeln!(generated, "    ({name:?}, {compact:?}),").expect("write embedded.rs");
    }
    writeln!(generated, "];").expect("write embedded.rs");

    let committed = root.join("reference/iam-reference.bin");
    println!("cargo:rerun-if-changed={}", committed.display());
    let bytes = fs::read(&committed).expect("reference/iam-reference.bin is readable");
    let expanded = reference::expand::expand(&bytes)
        .unwrap_or_else(|e| panic!("reference/iam-reference.bin cannot be expanded: {e}"));
    fs::write(out_dir.join("iam-reference.expanded"), expanded).expect("OUT_DIR is writable");
}
