//! Reading the files users hand to mlrole (policies, bundles, scenarios, specs, catalog files,
//! templates), or stdin for `-`, with a size cap. Every such file is small: IAM's largest
//! policy is 10,240 characters (20 KB for a bucket policy), the bundle of a role with every
//! activity is 155 KB (20 full managed policies, pretty-printed, would stay under 400 KB), and a
//! spec or catalog file is a few KB. A file far past that is a mistake (the wrong file, a log, a
//! data dump), and reading it whole would only spend time and memory before failing.

use std::io::Read;
use std::path::Path;

use crate::error::{Diagnostic, Error, Result};

/// The largest file mlrole reads: 1 MiB, which also keeps `lint`'s peak memory near 20 MB.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Reads `path` (stdin for `-`) whole, refusing anything over [`MAX_INPUT_BYTES`]. `action`
/// completes "cannot …" in an I/O error, e.g. "read spec file".
pub fn read_capped(path: &Path, action: &'static str) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        // A regular file's size is known up front; stdin, pipes and devices are read up to
        // one byte past the cap.
        if let Ok(metadata) = file.metadata() {
            if metadata.is_file() && metadata.len() > MAX_INPUT_BYTES {
                return Err(too_large(path, Some(metadata.len())));
            }
        }
        file.take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(path, None));
    }
    Ok(bytes)
}

fn too_large(path: &Path, size: Option<u64>) -> Error {
    let size = match size {
        Some(bytes) => format!("{bytes} bytes"),
        None => format!("more than {MAX_INPUT_BYTES} bytes"),
    };
    Error::Spec(
        Diagnostic::new(
            path.display().to_string(),
            None,
            format!("the file is {size}; mlrole reads files of at most {MAX_INPUT_BYTES} bytes (1 MiB)"),
        )
        .with_help("policies, bundles, scenarios, specs and catalog files are far smaller (IAM's largest policy is 10,240 characters): check that this is the file you meant"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_file_and_refuses_one_past_the_cap() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let small = dir.path().join("small.json");
        std::fs::write(&small, b"{}").expect("write");
        assert_eq!(read_capped(&small, "read").expect("reads"), b"{}");

        let at_cap = dir.path().join("at-cap.json");
        std::fs::write(&at_cap, vec![b' '; MAX_INPUT_BYTES as usize]).expect("write");
        assert_eq!(
            read_capped(&at_cap, "read").expect("reads").len() as u64,
            MAX_INPUT_BYTES
        );

        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; MAX_INPUT_BYTES as usize + 1]).expect("write");
        let error = read_capped(&big, "read").expect_err("over the cap");
        assert_eq!(error.exit_code(), 1);
        let diagnostic = &error.diagnostics()[0];
        assert!(diagnostic.file.ends_with("big.json"), "{diagnostic}");
        assert!(
            diagnostic.message.contains("1048577 bytes"),
            "{}",
            diagnostic.message
        );
    }
}
