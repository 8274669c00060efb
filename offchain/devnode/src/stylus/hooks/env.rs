//! Host functions that read the call, the transaction, the block and other
//! accounts, plus arguments, results, hashing and memory growth.

use revm::primitives::{keccak256, Address, U256};
use wasmi::Error;

use super::{HostResult, C, L, MODULE};
use crate::stylus::{
    gas::{fuel_to_gas, GAS_PER_PAGE, INK_PER_FUEL, INK_PER_GAS},
    memory::{charge_gas, fault, host, hostio, len32, read, read_address, write, write_u256},
    state::Stop,
};

/// EIP-2929 cold account access.
const COLD_ACCOUNT: u64 = 2_600;
/// EIP-2929 warm account access.
const WARM_ACCOUNT: u64 = 100;

pub(super) fn register(l: &mut L) -> Result<(), Error> {
    register_call_values(l)?;
    register_block_values(l)?;
    register_accounts(l)?;
    register_misc(l)?;
    Ok(())
}

fn register_call_values(l: &mut L) -> Result<(), Error> {
    l.func_wrap(MODULE, "read_args", |mut c: C<'_>, dest: u32| -> HostResult {
        let args = c.data().args.clone();
        hostio(&mut c, args.len())?;
        write(&mut c, dest, &args)
    })?;
    l.func_wrap(MODULE, "write_result", |mut c: C<'_>, ptr: u32, len: u32| -> HostResult {
        hostio(&mut c, len as usize)?;
        let data = read(&c, ptr, len)?;
        c.data_mut().result = data;
        Ok(())
    })?;
    l.func_wrap(MODULE, "exit_early", |_c: C<'_>, status: u32| -> HostResult {
        Err(Error::host(Stop::Exit(status)))
    })?;
    l.func_wrap(MODULE, "msg_sender", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let caller = c.data().caller;
        write(&mut c, dest, caller.as_slice())
    })?;
    l.func_wrap(MODULE, "msg_value", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let value = c.data().value;
        write_u256(&mut c, dest, value)
    })?;
    l.func_wrap(MODULE, "msg_reentrant", |mut c: C<'_>| -> HostResult<u32> {
        hostio(&mut c, 0)?;
        Ok(u32::from(c.data().reentrant))
    })?;
    l.func_wrap(MODULE, "contract_address", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let address = c.data().address;
        write(&mut c, dest, address.as_slice())
    })?;
    l.func_wrap(MODULE, "tx_origin", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let origin = host(&mut c)?.caller();
        write(&mut c, dest, origin.as_slice())
    })?;
    l.func_wrap(MODULE, "tx_gas_price", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let price = host(&mut c)?.effective_gas_price();
        write_u256(&mut c, dest, price)
    })?;
    l.func_wrap(MODULE, "tx_ink_price", |mut c: C<'_>| -> HostResult<u32> {
        hostio(&mut c, 0)?;
        Ok(u32::try_from(INK_PER_GAS).unwrap_or(u32::MAX))
    })?;
    Ok(())
}

fn register_block_values(l: &mut L) -> Result<(), Error> {
    l.func_wrap(MODULE, "block_basefee", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let fee = host(&mut c)?.basefee();
        write_u256(&mut c, dest, fee)
    })?;
    l.func_wrap(MODULE, "block_coinbase", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let coinbase = host(&mut c)?.beneficiary();
        write(&mut c, dest, coinbase.as_slice())
    })?;
    l.func_wrap(MODULE, "chainid", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(saturate(host(&mut c)?.chain_id()))
    })?;
    l.func_wrap(MODULE, "block_gas_limit", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(saturate(host(&mut c)?.gas_limit()))
    })?;
    // Arbitrum answers with an estimate of the L1 block number; a local chain
    // has no L1, so this is the devnode's own block number.
    l.func_wrap(MODULE, "block_number", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(saturate(host(&mut c)?.block_number()))
    })?;
    l.func_wrap(MODULE, "block_timestamp", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(saturate(host(&mut c)?.timestamp()))
    })?;
    l.func_wrap(MODULE, "evm_gas_left", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(fuel_to_gas(c.get_fuel()?).saturating_sub(1))
    })?;
    l.func_wrap(MODULE, "evm_ink_left", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        Ok(c.get_fuel()?.saturating_mul(INK_PER_FUEL))
    })?;
    Ok(())
}

fn register_accounts(l: &mut L) -> Result<(), Error> {
    l.func_wrap(MODULE, "account_balance", |mut c: C<'_>, addr: u32, dest: u32| -> HostResult {
        hostio(&mut c, 52)?;
        let address = read_address(&c, addr)?;
        let load = host(&mut c)?.balance(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        write_u256(&mut c, dest, load.data)
    })?;
    l.func_wrap(MODULE, "account_codehash", |mut c: C<'_>, addr: u32, dest: u32| -> HostResult {
        hostio(&mut c, 52)?;
        let address = read_address(&c, addr)?;
        let host = host(&mut c)?;
        let load = host.load_account_code_hash(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        write(&mut c, dest, load.data.as_slice())
    })?;
    l.func_wrap(MODULE, "account_code_size", |mut c: C<'_>, addr: u32| -> HostResult<u32> {
        hostio(&mut c, 20)?;
        let address = read_address(&c, addr)?;
        let load = host(&mut c)?.load_account_code(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        Ok(len32(load.data.len()))
    })?;
    l.func_wrap(
        MODULE,
        "account_code",
        |mut c: C<'_>, addr: u32, offset: u32, size: u32, dest: u32| -> HostResult<u32> {
            hostio(&mut c, 20)?;
            let address = read_address(&c, addr)?;
            let host = host(&mut c)?;
            let load = host.load_account_code(address).ok_or_else(|| db_fault(address))?;
            charge_gas(&mut c, account_gas(load.is_cold))?;
            // Unlike EXTCODECOPY, the copy stops at the end of the code.
            let code = load.data;
            let start = (offset as usize).min(code.len());
            let end = start.saturating_add(size as usize).min(code.len());
            hostio(&mut c, end - start)?;
            write(&mut c, dest, &code[start..end])?;
            Ok(len32(end - start))
        },
    )?;
    Ok(())
}

fn register_misc(l: &mut L) -> Result<(), Error> {
    l.func_wrap(
        MODULE,
        "native_keccak256",
        |mut c: C<'_>, ptr: u32, len: u32, out: u32| -> HostResult {
            hostio(&mut c, len as usize)?;
            // The EVM's SHA3 price: 30 + 6 per word.
            charge_gas(&mut c, 30 + 6 * u64::from(len.div_ceil(32)))?;
            let hash = keccak256(read(&c, ptr, len)?);
            write(&mut c, out, hash.as_slice())
        },
    )?;
    l.func_wrap(MODULE, "pay_for_memory_grow", |mut c: C<'_>, pages: u32| -> HostResult {
        hostio(&mut c, 0)?;
        charge_gas(&mut c, u64::from(pages) * GAS_PER_PAGE)
    })?;
    Ok(())
}

fn account_gas(cold: bool) -> u64 {
    if cold {
        COLD_ACCOUNT
    } else {
        WARM_ACCOUNT
    }
}

fn db_fault(address: Address) -> Error {
    fault(format!("could not load account {address}"))
}

fn saturate(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}
