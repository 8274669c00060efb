//! A chain without RPC: one transaction per block, state in memory, over
//! the devnode's executor.

use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, U256};
use alloy_sol_types::SolCall;
use devnode::{
    exec::{Db, Executor, Mode},
    precompiles::arbwasm::IArbWasm,
    precompiles::ARBWASM,
};
use revm::{
    context::{
        result::{ExecutionResult, Output},
        BlockEnv, TxEnv,
    },
    state::AccountInfo,
    DatabaseCommit, DatabaseRef,
};

use crate::{contract_wasm, logs, ALICE, BOB, CHAIN_ID};

/// What a mined transaction did.
#[derive(Debug)]
pub struct Receipt {
    /// Whether it succeeded.
    pub success: bool,
    /// Return or revert data.
    pub output: Bytes,
    /// Gas used.
    pub gas_used: u64,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// The deployed contract, for a creation.
    pub created: Option<Address>,
}

/// A chain without RPC: one transaction per block, state in memory.
pub struct Chain {
    exec: Executor,
    /// The state.
    pub db: Db,
    /// The next block's number.
    pub number: u64,
    /// The next block's timestamp.
    pub timestamp: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A chain where [`ALICE`] and [`BOB`] hold 1,000 ETH each.
    pub fn new() -> Self {
        logs();
        let mut db = Db::default();
        for who in [ALICE, BOB] {
            let info = AccountInfo::default().with_balance(U256::from(10u128.pow(21)));
            db.insert_account_info(who, info);
        }
        Executor::install_system_accounts(&mut db);
        Self { exec: Executor::new(CHAIN_ID), db, number: 1, timestamp: 1_700_000_000 }
    }

    /// Gas limit of every transaction [`Chain::send`] makes.
    pub const GAS_LIMIT: u64 = 30_000_000;

    fn tx(&self, from: Address, kind: TxKind, data: Vec<u8>, value: U256) -> TxEnv {
        let nonce = self.db.basic_ref(from).ok().flatten().map_or(0, |a| a.nonce);
        TxEnv {
            caller: from,
            kind,
            data: data.into(),
            value,
            nonce,
            gas_limit: Self::GAS_LIMIT,
            gas_price: 0,
            chain_id: Some(CHAIN_ID),
            ..TxEnv::default()
        }
    }

    fn block(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            timestamp: U256::from(self.timestamp),
            gas_limit: 30_000_000,
            ..BlockEnv::default()
        }
    }

    /// Mines one transaction.
    pub fn send(&mut self, from: Address, kind: TxKind, data: Vec<u8>, value: U256) -> Receipt {
        self.send_with_gas(from, kind, data, value, Self::GAS_LIMIT)
    }

    /// Mines one transaction with gas limit `gas`.
    pub fn send_with_gas(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Vec<u8>,
        value: U256,
        gas: u64,
    ) -> Receipt {
        let mut tx = self.tx(from, kind, data, value);
        tx.gas_limit = gas;
        let block = self.block();
        let outcome =
            self.exec.transact(&mut self.db, block, tx, Mode::Transaction).expect("valid tx");
        self.db.commit(outcome.state);
        self.number += 1;
        self.timestamp += 2;
        receipt(outcome.result)
    }

    /// Runs a call without mining it: `Ok(return data)` or `Err(revert data)`.
    pub fn call(&mut self, from: Address, to: Address, data: Vec<u8>) -> Result<Bytes, Bytes> {
        let tx = self.tx(from, TxKind::Call(to), data, U256::ZERO);
        let block = self.block();
        let outcome = self.exec.transact(&mut self.db, block, tx, Mode::Call).expect("valid call");
        let r = receipt(outcome.result);
        if r.success {
            Ok(r.output)
        } else {
            Err(r.output)
        }
    }

    /// Calls a typed function and decodes its return.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        let out = self
            .call(ALICE, to, call.abi_encode())
            .unwrap_or_else(|e| panic!("view reverted: {e}"));
        C::abi_decode_returns(&out).expect("decodable return")
    }

    /// Sends a typed call from `from`; panics with the revert data if it fails.
    pub fn exec<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Receipt {
        let r = self.send(from, TxKind::Call(to), call.abi_encode(), U256::ZERO);
        assert!(r.success, "{} reverted with {}", C::SIGNATURE, r.output);
        r
    }

    /// Deploys EVM init code.
    pub fn deploy(&mut self, from: Address, init_code: Vec<u8>) -> Address {
        let r = self.send(from, TxKind::Create, init_code, U256::ZERO);
        assert!(r.success, "deployment failed: {}", r.output);
        r.created.expect("created address")
    }

    /// Deploys and activates one of the project's Stylus contracts.
    pub fn deploy_stylus(&mut self, from: Address, name: &str) -> Address {
        self.deploy_program(from, &contract_wasm(name))
    }

    /// Deploys and activates the Stylus program `wasm`.
    pub fn deploy_program(&mut self, from: Address, wasm: &[u8]) -> Address {
        // Compress once (brotli at quality 11 is the slow part of a deploy).
        let code = stylus_check::deployable_code(wasm);
        let program = self.deploy(from, stylus_check::init_code(&code));
        let query = IArbWasm::codehashVersionCall { codehash: keccak256(&code) }.abi_encode();
        if self.call(from, ARBWASM, query).is_ok() {
            // The same code was activated before: every copy runs.
            return program;
        }
        let activate = IArbWasm::activateProgramCall { program }.abi_encode();
        // Overpay: the excess comes back.
        let r = self.send(from, TxKind::Call(ARBWASM), activate, U256::from(10u128.pow(18)));
        assert!(r.success, "activation failed: {}", r.output);
        program
    }

    /// Deploys `wasm` as an `ArbOS` 61 root program over fragments, its
    /// brotli stream cut in `pieces` equal parts (at least as many as the
    /// 24 KB code limit needs), and activates it. Returns the root and the
    /// activation's receipt.
    pub fn deploy_fragmented(
        &mut self,
        from: Address,
        wasm: &[u8],
        pieces: usize,
    ) -> (Address, Receipt) {
        let stream = stylus_check::compress(wasm);
        let needed = stream.len().div_ceil(stylus_check::MAX_FRAGMENT_PAYLOAD);
        let size = stream.len().div_ceil(pieces.max(needed).max(1));
        let fragments: Vec<[u8; 20]> = stream
            .chunks(size)
            .map(|piece| {
                let code = [stylus_check::FRAGMENT_PREFIX.as_slice(), piece].concat();
                self.deploy(from, stylus_check::init_code(&code)).0 .0
            })
            .collect();
        let wasm_size = u32::try_from(wasm.len()).expect("a module under 4 GB");
        let root = self
            .deploy(from, stylus_check::init_code(&stylus_check::root_code(wasm_size, &fragments)));
        let r = self.activate(from, root);
        (root, r)
    }

    /// Activates the program at `program`, overpaying the data fee (the
    /// excess comes back); returns the receipt, success or not.
    pub fn activate(&mut self, from: Address, program: Address) -> Receipt {
        let activate = IArbWasm::activateProgramCall { program }.abi_encode();
        self.send(from, TxKind::Call(ARBWASM), activate, U256::from(10u128.pow(18)))
    }

    /// The ETH balance of `who`.
    pub fn balance(&self, who: Address) -> U256 {
        self.db.basic_ref(who).ok().flatten().map_or(U256::ZERO, |a| a.balance)
    }
}

fn receipt(result: ExecutionResult) -> Receipt {
    match result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            let created = match &output {
                Output::Create(_, address) => *address,
                Output::Call(_) => None,
            };
            Receipt {
                success: true,
                output: output.into_data(),
                gas_used: gas.tx_gas_used(),
                logs,
                created,
            }
        }
        ExecutionResult::Revert { gas, output, .. } => Receipt {
            success: false,
            output,
            gas_used: gas.tx_gas_used(),
            logs: vec![],
            created: None,
        },
        ExecutionResult::Halt { gas, .. } => Receipt {
            success: false,
            output: Bytes::new(),
            gas_used: gas.tx_gas_used(),
            logs: vec![],
            created: None,
        },
    }
}
