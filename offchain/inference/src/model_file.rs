//! Where the default model lives on disk.
//!
//! The model is installed ahead of time by `scripts/install-model.sh` (from
//! a `PyPI` wheel); the worker only looks for it, so a node without network
//! access to a model hub still starts, and a missing model is a clear error
//! at start-up rather than a download in the middle of a lease.

use std::path::{Path, PathBuf};

use crate::Error;

/// File name of the default model: `SmolLM2-135M-Instruct`, `Q4_1` GGUF.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The script that installs the default model (relative to the repository).
pub const INSTALL_SCRIPT: &str = "scripts/install-model.sh";

/// Env var naming a model file to use instead of the cached default.
const MODEL_ENV: &str = "COMPUTEFI_MODEL";
/// Env var naming the cache folder (the install script honours it too).
const MODEL_DIR_ENV: &str = "COMPUTEFI_MODEL_DIR";

/// Finds the default model: `COMPUTEFI_MODEL` if set, else
/// `SmolLM2-135M-Instruct.Q4_1.gguf` in `COMPUTEFI_MODEL_DIR` or
/// `~/.cache/compute-fi/models`, the same order as the install script.
///
/// Returns [`Error::ModelNotFound`] telling to run the install script.
pub fn locate_model() -> Result<PathBuf, Error> {
    locate_in(
        std::env::var_os(MODEL_ENV).map(PathBuf::from),
        std::env::var_os(MODEL_DIR_ENV).map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// [`locate_model`] with its environment passed in, so tests need not
/// change the process environment.
fn locate_in(
    explicit: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf, Error> {
    let candidate = match (explicit, cache_dir, home) {
        (Some(path), _, _) => path,
        (None, Some(dir), _) => dir.join(DEFAULT_MODEL_FILE),
        (None, None, Some(home)) => default_cache(&home).join(DEFAULT_MODEL_FILE),
        (None, None, None) => {
            return Err(Error::ModelNotFound {
                looked_in: format!("neither {MODEL_ENV} nor HOME is set"),
                script: INSTALL_SCRIPT,
            })
        }
    };
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(Error::ModelNotFound {
            looked_in: candidate.display().to_string(),
            script: INSTALL_SCRIPT,
        })
    }
}

fn default_cache(home: &Path) -> PathBuf {
    home.join(".cache").join("compute-fi").join("models")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inference-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn explicit_path_wins_over_cache() {
        let dir = temp_dir("explicit");
        let file = dir.join("other.gguf");
        std::fs::write(&file, b"x").unwrap();
        std::fs::write(dir.join(DEFAULT_MODEL_FILE), b"x").unwrap();
        let found = locate_in(Some(file.clone()), Some(dir.clone()), None).unwrap();
        assert_eq!(found, file);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn finds_the_file_in_home_cache() {
        let home = temp_dir("home");
        let cache = default_cache(&home);
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join(DEFAULT_MODEL_FILE), b"x").unwrap();
        let found = locate_in(None, None, Some(home.clone())).unwrap();
        assert_eq!(found, cache.join(DEFAULT_MODEL_FILE));
        std::fs::remove_dir_all(home).unwrap();
    }

    #[test]
    fn missing_file_names_the_script_and_the_place() {
        let dir = temp_dir("missing");
        let err = locate_in(None, Some(dir.clone()), None).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::ModelNotFound { .. }), "{text}");
        assert!(text.contains(INSTALL_SCRIPT), "{text}");
        assert!(text.contains(&dir.display().to_string()), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_explicit_path_that_is_missing_is_an_error_not_a_fallback() {
        let dir = temp_dir("nofallback");
        std::fs::write(dir.join(DEFAULT_MODEL_FILE), b"x").unwrap();
        let err = locate_in(Some(dir.join("absent.gguf")), Some(dir.clone()), None).unwrap_err();
        assert!(err.to_string().contains("absent.gguf"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
