//! The state file: the whole chain as JSON, written at shutdown and read at start.

use super::{error::ChainError, error::ChainResult, ChainState};
use serde::{Deserialize, Serialize};
use std::{fs, io, path::Path};

/// The on-disk form: the chain id is kept so a file is not resumed on
/// another chain, where its signed transactions would not be valid.
#[derive(Deserialize)]
struct StateFile {
    chain_id: u64,
    state: ChainState,
}

/// [`StateFile`] borrowing the state, so saving does not copy the chain.
#[derive(Serialize)]
struct StateFileRef<'a> {
    chain_id: u64,
    state: &'a ChainState,
}

impl ChainState {
    /// Reads a state file. `Ok(None)` when it does not exist yet (first run).
    pub fn load(path: &Path, chain_id: u64) -> ChainResult<Option<Self>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(file_error(path, &e)),
        };
        let file: StateFile = serde_json::from_str(&text).map_err(|e| file_error(path, &e))?;
        if file.chain_id != chain_id {
            return Err(ChainError::StateFile(format!(
                "{} holds chain id {}, but the node runs chain id {chain_id}",
                path.display(),
                file.chain_id
            )));
        }
        Ok(Some(file.state))
    }

    /// Writes the state file. It goes to a temporary file first and is then
    /// renamed over the old one, so a crash mid-write never loses the chain.
    pub fn save(&self, path: &Path, chain_id: u64) -> ChainResult<()> {
        let file = StateFileRef { chain_id, state: self };
        let json = serde_json::to_vec(&file).map_err(|e| file_error(path, &e))?;
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, json).map_err(|e| file_error(&tmp, &e))?;
        fs::rename(&tmp, path).map_err(|e| file_error(path, &e))
    }
}

fn file_error(path: &Path, error: &dyn std::fmt::Display) -> ChainError {
    ChainError::StateFile(format!("{}: {error}", path.display()))
}
