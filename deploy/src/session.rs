//! One deployment session against one chain: the provider with the
//! deploying key, the manifest being filled, and the plan being printed.
//!
//! Every operation is `ensure_*`: it first looks at the chain (and the
//! manifest) to see whether its effect is already there, so running the
//! whole deployment again deploys and sends nothing. In a dry run the same
//! code predicts addresses and estimates costs instead of sending.

use std::path::PathBuf;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{
        state::{AccountOverride, StateOverride},
        TransactionReceipt, TransactionRequest,
    },
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use anyhow::{bail, Context, Result};
use bindings::{describe_revert, IArbWasm, IStylusDeployer, ARBWASM, STYLUS_DEPLOYER};

use crate::{
    artifacts::Artifacts,
    manifest::{Contract, Manifest},
    plan::{Plan, Status},
};

/// Gas assumed for a step whose simulation needs an earlier step's effect
/// (only in dry runs, where nothing earlier is on chain yet).
const FALLBACK_GAS: u64 = 3_000_000;

/// The deploying account on one chain.
pub struct Session {
    /// The chain, with the deploying key as its wallet.
    pub provider: DynProvider,
    /// The deploying account.
    pub from: Address,
    /// The chain's id.
    pub chain_id: u64,
    /// Plan and estimate only; send nothing.
    pub dry_run: bool,
    /// What is deployed, filled as the session goes.
    pub manifest: Manifest,
    /// Where the deployment file is written.
    pub out_dir: PathBuf,
    /// The programs.
    pub artifacts: Artifacts,
    /// What the session did or would do.
    pub plan: Plan,
    /// The nonce the next CREATE of a dry run would use.
    predicted_nonce: u64,
}

impl Session {
    /// Connects to `rpc` with `signer` and loads the chain's manifest.
    pub async fn connect(
        rpc: &str,
        signer: PrivateKeySigner,
        artifacts: Artifacts,
        out_dir: PathBuf,
        dry_run: bool,
    ) -> Result<Self> {
        let from = signer.address();
        let url = rpc.parse().with_context(|| format!("{rpc} is not a URL"))?;
        let provider =
            ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url).erased();
        let chain_id =
            provider.get_chain_id().await.with_context(|| format!("no chain answers at {rpc}"))?;
        let manifest = Manifest::load(&out_dir, chain_id)?;
        let predicted_nonce = provider.get_transaction_count(from).await?;
        let gas_price = provider.get_gas_price().await?;
        Ok(Self {
            provider,
            from,
            chain_id,
            dry_run,
            manifest,
            out_dir,
            artifacts,
            plan: Plan::new(gas_price),
            predicted_nonce,
        })
    }

    /// Whether `address` holds code.
    pub async fn has_code(&self, address: Address) -> Result<bool> {
        Ok(!self.provider.get_code_at(address).await?.is_empty())
    }

    /// Writes the manifest (not in dry runs).
    pub fn save(&self) -> Result<Option<PathBuf>> {
        if self.dry_run {
            return Ok(None);
        }
        self.manifest.save(&self.out_dir).map(Some)
    }

    fn record(
        &mut self,
        role: &str,
        address: Address,
        artifact: &str,
        code: &[u8],
        tx: Option<B256>,
    ) {
        let contract = Contract {
            address,
            artifact: artifact.to_owned(),
            code_hash: Some(keccak256(code)),
            tx,
        };
        self.manifest.contracts.insert(role.to_owned(), contract);
    }

    /// The contract recorded for `role` if its code is still on chain.
    async fn existing(&self, role: &str) -> Result<Option<Address>> {
        match self.manifest.contracts.get(role) {
            Some(c) if self.has_code(c.address).await? => Ok(Some(c.address)),
            _ => Ok(None),
        }
    }

    /// Deploys EVM init code (a test double) under `role` unless the
    /// manifest's contract is still there.
    pub async fn ensure_evm(
        &mut self,
        role: &str,
        artifact: &str,
        init: Vec<u8>,
    ) -> Result<Address> {
        if let Some(address) = self.existing(role).await? {
            self.plan.push(format!("{role}: {artifact}"), Status::Exists(address), 0, U256::ZERO);
            return Ok(address);
        }
        let tx = TransactionRequest::default().with_from(self.from).with_deploy_code(init.clone());
        if self.dry_run {
            let address = self.from.create(self.predicted_nonce);
            self.predicted_nonce += 1;
            let gas = self.estimate(&tx).await;
            self.plan.push(
                format!("{role}: deploy {artifact}"),
                Status::Planned(address),
                gas,
                U256::ZERO,
            );
            return Ok(address);
        }
        let receipt = self.send(tx, &format!("deploying {artifact}")).await?;
        let address = receipt.contract_address.context("the deployment created no contract")?;
        let code = self.provider.get_code_at(address).await?;
        self.record(role, address, artifact, &code, Some(receipt.transaction_hash));
        self.plan.push(
            format!("{role}: deploy {artifact}"),
            Status::Done(address),
            receipt.gas_used,
            U256::ZERO,
        );
        Ok(address)
    }

    /// Deploys, activates and constructs the Stylus `program` with
    /// ABI-encoded constructor `args` (`None`: it has no constructor)
    /// through the StylusDeployer, at the
    /// CREATE2 address that `role` and `args` determine: a second run finds
    /// it there.
    pub async fn ensure_stylus(
        &mut self,
        role: &str,
        program: &str,
        args: Option<&[u8]>,
    ) -> Result<Address> {
        let code = self.artifacts.deployed_code(program)?;
        let init = Artifacts::init_code(&code);
        let init_data = args.map(constructor_call).unwrap_or_default();
        let salt = keccak256(format!("compute-fi:{role}"));
        let deployer = IStylusDeployer::new(STYLUS_DEPLOYER, &self.provider);
        if !self.has_code(STYLUS_DEPLOYER).await? {
            bail!("chain {} has no StylusDeployer at {STYLUS_DEPLOYER}", self.chain_id);
        }
        let create2_salt = deployer.initSalt(salt, init_data.clone()).call().await?;
        let address = STYLUS_DEPLOYER.create2(create2_salt, keccak256(&init));
        if self.has_code(address).await? {
            self.record(
                role,
                address,
                program,
                &code,
                self.manifest.contracts.get(role).and_then(|c| c.tx),
            );
            self.plan.push(format!("{role}: {program}"), Status::Exists(address), 0, U256::ZERO);
            return Ok(address);
        }
        let fee = self.activation_fee(&code).await?;
        // Data fees move with L1 prices: send a margin, the deployer refunds it.
        let value = fee + fee / U256::from(5);
        let call = deployer
            .call_builder(&IStylusDeployer::deployCall {
                bytecode: init,
                initData: init_data,
                initValue: U256::ZERO,
                salt,
            })
            .value(value);
        let tx = call.into_transaction_request().with_from(self.from);
        let label = format!("{role}: deploy {program} ({} B)", code.len());
        if self.dry_run {
            let gas = self.estimate(&tx).await;
            self.plan.push(label, Status::Planned(address), gas, fee);
            return Ok(address);
        }
        let receipt = self.send(tx, &format!("deploying {program}")).await?;
        if !self.has_code(address).await? {
            bail!("the StylusDeployer created no {program} at {address}");
        }
        self.record(role, address, program, &code, Some(receipt.transaction_hash));
        self.plan.push(label, Status::Done(address), receipt.gas_used, fee);
        Ok(address)
    }

    /// The data fee of activating `code`, quoted by ArbWasm through an
    /// `eth_call` that puts the code at a scratch address (as cargo-stylus
    /// does); zero when that code is already active on the chain.
    async fn activation_fee(&self, code: &Bytes) -> Result<U256> {
        let arbwasm = IArbWasm::new(ARBWASM, &self.provider);
        if arbwasm.codehashVersion(keccak256(code)).call().await.is_ok() {
            return Ok(U256::ZERO);
        }
        let scratch = Address::from_word(keccak256(b"compute-fi:activation-quote"));
        let rich = U256::from(10u128.pow(24));
        let mut overrides = StateOverride::default();
        overrides.insert(scratch, AccountOverride::default().with_code(code.clone()));
        overrides.insert(self.from, AccountOverride::default().with_balance(rich));
        let quote = arbwasm
            .activateProgram(scratch)
            .from(self.from)
            .value(U256::from(10u128.pow(21)))
            .state(overrides)
            .call()
            .await
            .context("quoting the activation data fee")?;
        Ok(quote.dataFee)
    }

    /// Sends `call` to `to` unless `done`; `label` says what it does.
    pub async fn ensure_call(
        &mut self,
        label: &str,
        to: Address,
        call: &impl SolCall,
        done: bool,
    ) -> Result<()> {
        if done {
            self.plan.push(label.to_owned(), Status::AlreadySet, 0, U256::ZERO);
            return Ok(());
        }
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(call.abi_encode());
        if self.dry_run {
            let gas = self.estimate(&tx).await;
            self.plan.push(label.to_owned(), Status::ToSend, gas, U256::ZERO);
            return Ok(());
        }
        let receipt = self.send(tx, label).await?;
        self.plan.push(
            label.to_owned(),
            Status::Sent(receipt.transaction_hash),
            receipt.gas_used,
            U256::ZERO,
        );
        Ok(())
    }

    /// Gas for `tx`, or [`FALLBACK_GAS`] when it cannot be simulated yet.
    async fn estimate(&self, tx: &TransactionRequest) -> u64 {
        self.provider.estimate_gas(tx.clone()).await.unwrap_or(FALLBACK_GAS)
    }

    /// Simulates `tx` (so a revert is reported with its decoded error and
    /// costs nothing), sends it and waits for a successful receipt.
    pub async fn send(&self, tx: TransactionRequest, what: &str) -> Result<TransactionReceipt> {
        if let Err(e) = self.provider.call(tx.clone()).await {
            let reason = e
                .as_error_resp()
                .and_then(alloy::rpc::json_rpc::ErrorPayload::as_revert_data)
                .map_or_else(|| e.to_string(), |data| describe_revert(&data));
            bail!("{what} would revert: {reason}");
        }
        // A quarter above the estimate: a call's gas can depend on the
        // second it lands in (votes checkpointed by timestamp write a new
        // slot in a new second, rewrite one in the same second).
        let mut tx = tx;
        if tx.gas.is_none() {
            if let Ok(estimate) = self.provider.estimate_gas(tx.clone()).await {
                tx.gas = Some(estimate.saturating_add(estimate / 4));
            }
        }
        let pending =
            self.provider.send_transaction(tx).await.with_context(|| format!("sending: {what}"))?;
        let receipt =
            pending.get_receipt().await.with_context(|| format!("waiting for: {what}"))?;
        if !receipt.status() {
            bail!("{what}: transaction {} reverted", receipt.transaction_hash);
        }
        tracing::info!(tx = %receipt.transaction_hash, gas = receipt.gas_used, "{what}");
        Ok(receipt)
    }
}

/// Calldata of a Stylus constructor call: `stylus_constructor()`'s selector
/// and the ABI-encoded arguments (what cargo-stylus sends).
pub fn constructor_call(args: &[u8]) -> Bytes {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data.into()
}
