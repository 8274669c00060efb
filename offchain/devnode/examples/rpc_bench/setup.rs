//! Deploying the contracts under test and giving every sender a balance, with
//! an ordinary wallet provider (this part is not timed).

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{hex, keccak256, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol,
    sol_types::{SolCall, SolValue},
};
use anyhow::{bail, Context as _};
use std::path::PathBuf;

sol! {
    interface IArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    }
    interface IErc20 {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address who) external view returns (uint256);
    }
    interface ILedger {
        function grantRole(bytes32 role, address account) external;
    }
    interface IVault {
        function deposit(uint256 assets, address beneficiary, uint64 lock_seconds) external;
    }
}

/// One ether in wei.
const ETH: u128 = 1_000_000_000_000_000_000;

/// A provider that fills nonce, gas and fees and signs for any of `signers`.
pub(crate) fn wallet(url: &str, signers: &[PrivateKeySigner]) -> anyhow::Result<impl Provider> {
    let (first, rest) = signers.split_first().context("at least one signer")?;
    let mut wallet = EthereumWallet::from(first.clone());
    for signer in rest {
        wallet.register_signer(signer.clone());
    }
    Ok(ProviderBuilder::new().wallet(wallet).connect_http(url.parse()?))
}

/// Sends `tx` and fails unless it is mined successfully.
async fn mined(
    provider: &impl Provider,
    tx: TransactionRequest,
) -> anyhow::Result<Option<Address>> {
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        bail!("setup transaction {} reverted", receipt.transaction_hash);
    }
    Ok(receipt.contract_address)
}

/// Sends a typed call from `from` to `to`.
async fn exec(
    provider: &impl Provider,
    from: Address,
    to: Address,
    call: &impl SolCall,
) -> anyhow::Result<()> {
    let tx =
        TransactionRequest::default().with_from(from).with_to(to).with_input(call.abi_encode());
    mined(provider, tx).await.map(drop)
}

/// Deploys EVM init code from `from`.
async fn deploy(provider: &impl Provider, from: Address, init: Vec<u8>) -> anyhow::Result<Address> {
    let tx = TransactionRequest::default().with_from(from).with_deploy_code(Bytes::from(init));
    mined(provider, tx).await?.context("a creation receipt names the new contract")
}

/// Init code of an EVM test double from the repository's `fixtures/`.
fn fixture(name: &str) -> anyhow::Result<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/{name}.bin"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    Ok(hex::decode(text.trim())?)
}

/// Deploys, activates (paying the quoted data fee) and constructs one of the
/// project's Stylus contracts with ABI-encoded constructor `args`.
async fn deploy_stylus(
    provider: &impl Provider,
    from: Address,
    name: &str,
    args: &[u8],
) -> anyhow::Result<Address> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/stylus/{name}.wasm"));
    let wasm = std::fs::read(&path).with_context(|| {
        format!("{}: build the contracts first with `cargo xtask wasm`", path.display())
    })?;
    let init = stylus_check::init_code(&stylus_check::deployable_code(&wasm));
    let program = deploy(provider, from, init).await?;
    let activate = TransactionRequest::default()
        .with_from(from)
        .with_to(devnode::precompiles::ARBWASM)
        .with_input(IArbWasm::activateProgramCall { program }.abi_encode());
    // Quote the fee with an overpaying simulation, then pay exactly that.
    let quote = provider.call(activate.clone().with_value(U256::from(ETH))).await?;
    let fee = IArbWasm::activateProgramCall::abi_decode_returns(&quote)?.dataFee;
    mined(provider, activate.with_value(fee)).await?;
    let mut constructor = keccak256("stylus_constructor()")[..4].to_vec();
    constructor.extend_from_slice(args);
    let tx = TransactionRequest::default().with_from(from).with_to(program).with_input(constructor);
    mined(provider, tx).await?;
    Ok(program)
}

/// A right-padded `bytes32` short string, as the contracts take names.
fn word(text: &str) -> B256 {
    let mut w = B256::ZERO;
    w[..text.len()].copy_from_slice(text.as_bytes());
    w
}

/// Deploys the Solidity `TestToken` and mints `amount` to every sender.
pub(crate) async fn solidity_token(
    provider: &impl Provider,
    senders: &[Address],
    amount: U256,
) -> anyhow::Result<Address> {
    let owner = senders[0];
    let token = deploy(provider, owner, fixture("TestToken")?).await?;
    for &to in senders {
        exec(provider, owner, token, &IErc20::mintCall { to, amount }).await?;
    }
    Ok(token)
}

/// Deploys `TestToken`, `TestYieldSource`, the compute-credits ledger and the
/// vault, then lets every sender deposit `amount` so it holds that many
/// vault shares, transferable at once (no lock). Returns the vault.
pub(crate) async fn stylus_vault(
    provider: &impl Provider,
    senders: &[Address],
    amount: U256,
) -> anyhow::Result<Address> {
    let owner = senders[0];
    let token = solidity_token(provider, senders, amount).await?;
    let mut source_init = fixture("TestYieldSource")?;
    source_init.extend_from_slice(&token.into_word().0);
    let source = deploy(provider, owner, source_init).await?;
    let ledger_args = (token, owner, word("Credits"), word("CC")).abi_encode_params();
    let ledger = deploy_stylus(provider, owner, "compute-credits", &ledger_args).await?;
    let community = Address::repeat_byte(0xC0);
    // The constructor tuple of tests/e2e.rs: 10 bps tip capped at 1 ETH, no
    // buffer, no deposit cap, one day parameter delay.
    let vault_args = (
        token,
        source,
        ledger,
        owner,
        community,
        word("Community"),
        word("cVLT"),
        10u16,
        U256::from(ETH),
        0u16,
        U256::ZERO,
        86_400u64,
    )
        .abi_encode_params();
    let vault = deploy_stylus(provider, owner, "vault", &vault_args).await?;
    let grant = ILedger::grantRoleCall { role: keccak256("VAULT_ROLE"), account: vault };
    exec(provider, owner, ledger, &grant).await?;
    for &from in senders {
        exec(provider, from, token, &IErc20::approveCall { spender: vault, amount }).await?;
        let deposit =
            IVault::depositCall { assets: amount, beneficiary: community, lock_seconds: 0 };
        exec(provider, from, vault, &deposit).await?;
    }
    Ok(vault)
}

/// Sends one transfer from every sender, untimed: it proves the transfer
/// succeeds before hundreds are signed, and warms caches on both nodes alike
/// (the recipient's balance slot exists afterwards, as it will in the run).
pub(crate) async fn warm_up(
    provider: &impl Provider,
    senders: &[Address],
    token: Address,
    recipient: Address,
) -> anyhow::Result<()> {
    for &from in senders {
        exec(provider, from, token, &IErc20::transferCall { to: recipient, amount: U256::from(1) })
            .await?;
    }
    Ok(())
}
