//! The read methods of `ArbSys` (`0x…64`), `ArbGasInfo` (`0x…6c`) and
//! `ArbOwnerPublic` (`0x…6b`) that tools and dApps call, with Arbitrum's
//! interfaces, answering as a dev chain would.
//!
//! A dev chain posts nothing to a parent chain, so every L1 price and fee is
//! zero; execution is priced at the devnode's constant base fee. The chain
//! owner is nitro-devnode's development account. Methods not listed here
//! revert with empty data, as an unknown selector does on Arbitrum.

use alloy_sol_types::{sol, SolCall, SolInterface};
use revm::{
    context_interface::{ContextTr, Host},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{address, Address, Bytes, U256},
};

use crate::chain::{BASE_FEE, BLOCK_GAS_LIMIT};

/// `ArbSys`: the chain's own block number, chain id and recent block hashes.
pub const ARBSYS: Address = address!("0000000000000000000000000000000000000064");
/// `ArbGasInfo`: prices and fees.
pub const ARBGASINFO: Address = address!("000000000000000000000000000000000000006c");
/// `ArbOwnerPublic`: who owns the chain.
pub const ARBOWNERPUBLIC: Address = address!("000000000000000000000000000000000000006b");

/// The chain owner: nitro-devnode's development account.
pub const CHAIN_OWNER: Address = address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E");

/// The `ArbOS` version the devnode follows (root and fragment programs,
/// no multi-value).
pub const ARBOS_VERSION: u64 = 61;

/// Gas of every read, as a cold account access.
const READ_GAS: u64 = 2_600;

/// Gas a storage allocation costs (an SSTORE that sets a fresh slot).
const STORAGE_ALLOCATION_GAS: u64 = 20_000;

/// How many recent blocks `arbBlockHash` answers for, as `BLOCKHASH`.
const BLOCK_HASH_WINDOW: u64 = 256;

sol! {
    /// The read methods of Arbitrum's `ArbSys` the devnode serves.
    interface IArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbBlockHash(uint256 arbBlockNum) external view returns (bytes32);
        function arbChainID() external view returns (uint256);
        function getStorageGasAvailable() external view returns (uint256);
        function wasMyCallersAddressAliased() external view returns (bool);
        function arbOSVersion() external pure returns (uint256);
    }

    /// The read methods of Arbitrum's `ArbGasInfo` the devnode serves.
    interface IArbGasInfo {
        function getPricesInWei() external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
        function getPricesInWeiWithAggregator(address aggregator) external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
        function getPricesInArbGas() external view returns (uint256, uint256, uint256);
        function getPricesInArbGasWithAggregator(address aggregator) external view returns (uint256, uint256, uint256);
        function getGasAccountingParams() external view returns (uint256, uint256, uint256);
        function getMinimumGasPrice() external view returns (uint256);
        function getL1BaseFeeEstimate() external view returns (uint256);
        function getL1GasPriceEstimate() external view returns (uint256);
        function getCurrentTxL1GasFees() external view returns (uint256);
        function getGasBacklog() external view returns (uint64);
    }

    /// The read methods of Arbitrum's `ArbOwnerPublic` the devnode serves.
    interface IArbOwnerPublic {
        function getAllChainOwners() external view returns (address[]);
        function isChainOwner(address addr) external view returns (bool);
        function getNetworkFeeAccount() external view returns (address);
        function getInfraFeeAccount() external view returns (address);
        function getScheduledUpgrade() external view returns (uint64 arbosVersion, uint64 scheduledForTimestamp);
        function getMaxStylusContractFragments() external view returns (uint8);
    }
}

/// Runs a call to one of the three precompiles at `address`.
pub fn run<CTX: ContextTr + Host>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    address: Address,
) -> InterpreterResult {
    let input = inputs.input.bytes(ctx);
    let mut gas = Gas::new(inputs.gas_limit);
    let output = if gas.record_regular_cost(READ_GAS) {
        match address {
            ARBSYS => IArbSys::IArbSysCalls::abi_decode(&input).ok().and_then(|c| arbsys(ctx, c)),
            ARBGASINFO => {
                IArbGasInfo::IArbGasInfoCalls::abi_decode(&input).ok().map(|c| arbgasinfo(&c))
            }
            _ => IArbOwnerPublic::IArbOwnerPublicCalls::abi_decode(&input).ok().map(owner),
        }
    } else {
        None
    };
    let (result, output) = match output {
        Some(output) => (InstructionResult::Return, output),
        None => (InstructionResult::Revert, Bytes::new()),
    };
    InterpreterResult { result, output, gas }
}

fn arbsys<CTX: ContextTr + Host>(ctx: &mut CTX, call: IArbSys::IArbSysCalls) -> Option<Bytes> {
    use IArbSys::IArbSysCalls as C;
    let number = ctx.block_number();
    Some(match call {
        C::arbBlockNumber(_) => IArbSys::arbBlockNumberCall::abi_encode_returns(&number).into(),
        C::arbChainID(_) => IArbSys::arbChainIDCall::abi_encode_returns(&ctx.chain_id()).into(),
        C::arbBlockHash(c) => {
            // Only the 256 blocks before this one, as `BLOCKHASH`; Arbitrum
            // reverts for any other number.
            let wanted = c.arbBlockNum;
            let recent = wanted < number && number - wanted <= U256::from(BLOCK_HASH_WINDOW);
            let hash = ctx.block_hash(u64::try_from(wanted).ok()?).filter(|_| recent)?;
            IArbSys::arbBlockHashCall::abi_encode_returns(&hash).into()
        }
        C::getStorageGasAvailable(_) => {
            IArbSys::getStorageGasAvailableCall::abi_encode_returns(&U256::ZERO).into()
        }
        // Arbitrum answers 55 plus the ArbOS version.
        C::arbOSVersion(_) => {
            IArbSys::arbOSVersionCall::abi_encode_returns(&U256::from(55 + ARBOS_VERSION)).into()
        }
        C::wasMyCallersAddressAliased(_) => {
            // No messages arrive from a parent chain, so nobody is aliased.
            IArbSys::wasMyCallersAddressAliasedCall::abi_encode_returns(&false).into()
        }
    })
}

fn arbgasinfo(call: &IArbGasInfo::IArbGasInfoCalls) -> Bytes {
    use IArbGasInfo::IArbGasInfoCalls as C;
    let base = U256::from(BASE_FEE);
    let storage = U256::from(STORAGE_ALLOCATION_GAS);
    let zero = U256::ZERO;
    // Per L2 tx, per L1 calldata unit, per storage allocation, per ArbGas
    // base, per ArbGas congestion, per ArbGas total.
    let in_wei = (zero, zero, storage * base, base, zero, base);
    let in_arbgas = (zero, zero, storage);
    match call {
        C::getPricesInWei(_) => IArbGasInfo::getPricesInWeiCall::abi_encode_returns_tuple(&in_wei),
        C::getPricesInWeiWithAggregator(_) => {
            IArbGasInfo::getPricesInWeiWithAggregatorCall::abi_encode_returns_tuple(&in_wei)
        }
        C::getPricesInArbGas(_) => {
            IArbGasInfo::getPricesInArbGasCall::abi_encode_returns_tuple(&in_arbgas)
        }
        C::getPricesInArbGasWithAggregator(_) => {
            IArbGasInfo::getPricesInArbGasWithAggregatorCall::abi_encode_returns_tuple(&in_arbgas)
        }
        C::getGasAccountingParams(_) => {
            let limit = U256::from(BLOCK_GAS_LIMIT);
            IArbGasInfo::getGasAccountingParamsCall::abi_encode_returns_tuple(&(
                limit, limit, limit,
            ))
        }
        C::getMinimumGasPrice(_) => IArbGasInfo::getMinimumGasPriceCall::abi_encode_returns(&base),
        C::getL1BaseFeeEstimate(_) => {
            IArbGasInfo::getL1BaseFeeEstimateCall::abi_encode_returns(&zero)
        }
        C::getL1GasPriceEstimate(_) => {
            IArbGasInfo::getL1GasPriceEstimateCall::abi_encode_returns(&zero)
        }
        C::getCurrentTxL1GasFees(_) => {
            IArbGasInfo::getCurrentTxL1GasFeesCall::abi_encode_returns(&zero)
        }
        C::getGasBacklog(_) => IArbGasInfo::getGasBacklogCall::abi_encode_returns(&0u64),
    }
    .into()
}

fn owner(call: IArbOwnerPublic::IArbOwnerPublicCalls) -> Bytes {
    use IArbOwnerPublic::IArbOwnerPublicCalls as C;
    match call {
        C::getAllChainOwners(_) => {
            IArbOwnerPublic::getAllChainOwnersCall::abi_encode_returns(&vec![CHAIN_OWNER])
        }
        C::isChainOwner(c) => {
            IArbOwnerPublic::isChainOwnerCall::abi_encode_returns(&(c.addr == CHAIN_OWNER))
        }
        C::getNetworkFeeAccount(_) => {
            IArbOwnerPublic::getNetworkFeeAccountCall::abi_encode_returns(&CHAIN_OWNER)
        }
        C::getInfraFeeAccount(_) => {
            IArbOwnerPublic::getInfraFeeAccountCall::abi_encode_returns(&CHAIN_OWNER)
        }
        C::getMaxStylusContractFragments(_) => {
            // cargo-stylus asks this before splitting a large program.
            let max = u8::try_from(stylus_check::MAX_FRAGMENTS).unwrap_or(u8::MAX);
            IArbOwnerPublic::getMaxStylusContractFragmentsCall::abi_encode_returns(&max)
        }
        C::getScheduledUpgrade(_) => IArbOwnerPublic::getScheduledUpgradeCall::abi_encode_returns(
            &IArbOwnerPublic::getScheduledUpgradeReturn {
                arbosVersion: 0,
                scheduledForTimestamp: 0,
            },
        ),
    }
    .into()
}
