//! Forking (`--fork-url URL [--fork-block N]`): the state below the local
//! chain is an upstream node's at the fork block, read lazily over JSON-RPC
//! and remembered, as anvil does. Accounts (balance, nonce, code), storage
//! slots and block hashes are fetched on first use; Stylus programs come
//! with their code, and their activation is read from the upstream's
//! ArbWasm (`codehashVersion`), so programs activated upstream run here.
//!
//! Reads happen inside executions, which cannot wait on async code, so one
//! thread with its own runtime talks to the upstream and executions block
//! on its answer. An upstream that fails mid-run is logged and read as
//! empty: the node checks it answers before it starts.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{mpsc, Arc, Mutex, PoisonError},
    time::Duration,
};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use revm::{
    database::DatabaseRef,
    state::{AccountInfo, Bytecode},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

use crate::precompiles::{arbwasm::IArbWasm, ARBWASM};

/// How long one upstream request may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a forked chain's state comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkPoint {
    /// The upstream node's JSON-RPC URL.
    pub url: String,
    /// The upstream block whose state the fork starts from.
    pub block: u64,
}

/// The state beneath the local one: nothing (a fresh chain) or an upstream
/// node's at the fork block.
#[derive(Clone, Debug, Default)]
pub struct Upstream(Option<Arc<Client>>);

impl Upstream {
    /// State read from `point`'s node.
    pub fn forked(point: ForkPoint) -> Self {
        Self(Some(Arc::new(Client::start(point))))
    }

    /// The fork point, if forked.
    pub fn point(&self) -> Option<&ForkPoint> {
        self.0.as_deref().map(|c| &c.point)
    }

    /// One JSON-RPC call to the upstream (for the node's start-up checks).
    ///
    /// # Errors
    /// The transport's or the node's error, as text.
    pub fn request(&self, method: &str, params: Value) -> Result<Value, String> {
        let client = self.0.as_deref().ok_or("not forked")?;
        client.request(method, params)
    }
}

impl Serialize for Upstream {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.point().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Upstream {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<ForkPoint>::deserialize(deserializer)?.map_or_else(Self::default, Self::forked))
    }
}

/// One request to the upstream thread.
struct Job {
    method: String,
    params: Value,
    reply: mpsc::Sender<Result<Value, String>>,
}

/// The connection to the upstream and what was read from it.
struct Client {
    point: ForkPoint,
    jobs: Mutex<mpsc::Sender<Job>>,
    accounts: Mutex<HashMap<Address, Option<AccountInfo>>>,
    slots: Mutex<HashMap<(Address, U256), U256>>,
    codes: Mutex<HashMap<B256, Bytecode>>,
    hashes: Mutex<HashMap<u64, B256>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("point", &self.point).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Client {
    fn start(point: ForkPoint) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let url = point.url.clone();
        std::thread::Builder::new()
            .name("devnode-fork".into())
            .spawn(move || serve(&url, &queue))
            .map_err(|e| tracing::error!("cannot start the fork thread: {e}"))
            .ok();
        Self {
            point,
            jobs: Mutex::new(jobs),
            accounts: Mutex::default(),
            slots: Mutex::default(),
            codes: Mutex::default(),
            hashes: Mutex::default(),
        }
    }

    fn request(&self, method: &str, params: Value) -> Result<Value, String> {
        let (reply, answer) = mpsc::channel();
        let job = Job { method: method.to_owned(), params, reply };
        lock(&self.jobs).send(job).map_err(|_| "the fork thread stopped".to_owned())?;
        answer
            .recv_timeout(UPSTREAM_TIMEOUT)
            .map_err(|_| "the upstream did not answer".to_owned())?
    }

    /// A call that must succeed for the state to be right: failures are
    /// logged and read as `null`.
    fn read(&self, method: &str, params: Value) -> Value {
        self.request(method, params).unwrap_or_else(|e| {
            tracing::error!(method, "reading the fork's upstream failed: {e}");
            Value::Null
        })
    }

    fn block_tag(&self) -> String {
        format!("{:#x}", self.point.block)
    }

    fn account(&self, address: Address) -> Option<AccountInfo> {
        if let Some(known) = lock(&self.accounts).get(&address) {
            return known.clone();
        }
        let tag = self.block_tag();
        let balance = uint(&self.read("eth_getBalance", json!([address, tag])));
        let nonce = uint(&self.read("eth_getTransactionCount", json!([address, tag])));
        let code = bytes(&self.read("eth_getCode", json!([address, tag])));
        let info = if balance.is_zero() && nonce.is_zero() && code.is_empty() {
            None
        } else {
            let bytecode = Bytecode::new_raw(code.clone());
            let code_hash =
                if code.is_empty() { revm::primitives::KECCAK_EMPTY } else { keccak256(&code) };
            if !code.is_empty() {
                lock(&self.codes).insert(code_hash, bytecode.clone());
            }
            Some(AccountInfo {
                balance,
                nonce: nonce.saturating_to(),
                code_hash,
                code: (!code.is_empty()).then_some(bytecode),
                ..AccountInfo::default()
            })
        };
        lock(&self.accounts).insert(address, info.clone());
        info
    }

    fn slot(&self, address: Address, slot: U256) -> U256 {
        if let Some(value) = lock(&self.slots).get(&(address, slot)) {
            return *value;
        }
        let tag = self.block_tag();
        let mut value = uint(&self.read("eth_getStorageAt", json!([address, slot, tag])));
        if address == ARBWASM && value.is_zero() {
            // Arbitrum keeps activations elsewhere; ask ArbWasm itself.
            value = self.activation(B256::from(slot));
        }
        lock(&self.slots).insert((address, slot), value);
        value
    }

    /// The Stylus version the upstream's ArbWasm reports for `code_hash`
    /// (zero: not activated).
    fn activation(&self, code_hash: B256) -> U256 {
        let data = IArbWasm::codehashVersionCall { codehash: code_hash }.abi_encode();
        let call = json!({"to": ARBWASM, "data": Bytes::from(data)});
        match self.request("eth_call", json!([call, self.block_tag()])) {
            Ok(reply) => uint(&reply),
            Err(_) => U256::ZERO,
        }
    }

    fn block_hash(&self, number: u64) -> B256 {
        if let Some(hash) = lock(&self.hashes).get(&number) {
            return *hash;
        }
        let block = self.read("eth_getBlockByNumber", json!([format!("{number:#x}"), false]));
        let hash = block["hash"].as_str().and_then(|h| h.parse().ok()).unwrap_or_default();
        lock(&self.hashes).insert(number, hash);
        hash
    }
}

/// The fork thread: answers jobs one at a time over HTTP.
fn serve(url: &str, queue: &mpsc::Receiver<Job>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return tracing::error!("fork runtime: {e}"),
    };
    let http = reqwest::Client::builder().timeout(UPSTREAM_TIMEOUT).build().unwrap_or_default();
    let mut id = 0u64;
    while let Ok(job) = queue.recv() {
        id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": job.method, "params": job.params});
        let answer = runtime.block_on(async {
            let response = http.post(url).json(&body).send().await.map_err(|e| e.to_string())?;
            let reply: Value = response.json().await.map_err(|e| e.to_string())?;
            match reply.get("error") {
                Some(error) if !error.is_null() => Err(error.to_string()),
                _ => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
            }
        });
        let _ = job.reply.send(answer);
    }
}

fn uint(value: &Value) -> U256 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

fn bytes(value: &Value) -> Bytes {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

impl DatabaseRef for Upstream {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.0.as_deref().and_then(|c| c.account(address)))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        let code = self.0.as_deref().and_then(|c| lock(&c.codes).get(&code_hash).cloned());
        Ok(code.unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.0.as_deref().map_or(U256::ZERO, |c| c.slot(address, index)))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(match self.0.as_deref() {
            Some(c) if number <= c.point.block => c.block_hash(number),
            // As revm's empty database: a stand-in for blocks nobody has.
            _ => keccak256(number.to_string().as_bytes()),
        })
    }
}
