//! The worker's small state files (next to the cursor): a JSON list read
//! whole at start and written whole, atomically, when it changed.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{de::DeserializeOwned, Serialize};

/// The list saved at `path` (empty when there is none); `what` names the
/// file in errors.
///
/// # Errors
/// When the file cannot be read or is not such a list.
pub fn load<T: DeserializeOwned>(path: &Path, what: &str) -> Result<Vec<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{} is not a {what} file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `items` to `path` through a temporary file renamed over it, so a
/// crash leaves the old list or the new one, never half of one.
///
/// # Errors
/// When the folder or the file cannot be written.
pub fn save<T: Serialize>(path: &Path, items: &[T]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(items)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
