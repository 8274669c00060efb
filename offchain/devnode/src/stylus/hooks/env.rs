//! Host functions that read the call, the transaction, the block and other
//! accounts, plus arguments, results, hashing and memory growth.

use revm::primitives::{keccak256, Address, U256};
use wasmi::Error;

use super::{HostResult, C, L, MODULE};
use crate::stylus::{
    gas::{fuel_to_gas, GAS_PER_PAGE, INK_PER_FUEL, INK_PER_GAS},
    memory::{
        charge_gas, fault, host, hostio, len32, read, read_address, traced, write, write_u256,
    },
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
        write(&mut c, dest, &args)?;
        traced(&mut c, "read_args", &[], &[&args]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "write_result", |mut c: C<'_>, ptr: u32, len: u32| -> HostResult {
        hostio(&mut c, len as usize)?;
        let data = read(&c, ptr, len)?;
        traced(&mut c, "write_result", &[&data], &[]);
        c.data_mut().result = data;
        Ok(())
    })?;
    l.func_wrap(MODULE, "exit_early", |mut c: C<'_>, status: u32| -> HostResult {
        traced(&mut c, "exit_early", &[&status.to_be_bytes()], &[]);
        Err(Error::host(Stop::Exit(status)))
    })?;
    l.func_wrap(MODULE, "msg_sender", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let caller = c.data().caller;
        write(&mut c, dest, caller.as_slice())?;
        traced(&mut c, "msg_sender", &[], &[caller.as_slice()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "msg_value", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let value = c.data().value;
        write_u256(&mut c, dest, value)?;
        traced(&mut c, "msg_value", &[], &[&value.to_be_bytes::<32>()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "msg_reentrant", |mut c: C<'_>| -> HostResult<u32> {
        hostio(&mut c, 0)?;
        let reentrant = u32::from(c.data().reentrant);
        traced(&mut c, "msg_reentrant", &[], &[&reentrant.to_be_bytes()]);
        Ok(reentrant)
    })?;
    l.func_wrap(MODULE, "contract_address", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let address = c.data().address;
        write(&mut c, dest, address.as_slice())?;
        traced(&mut c, "contract_address", &[], &[address.as_slice()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "tx_origin", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let origin = host(&mut c)?.caller();
        write(&mut c, dest, origin.as_slice())?;
        traced(&mut c, "tx_origin", &[], &[origin.as_slice()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "tx_gas_price", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let price = host(&mut c)?.effective_gas_price();
        write_u256(&mut c, dest, price)?;
        traced(&mut c, "tx_gas_price", &[], &[&price.to_be_bytes::<32>()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "tx_ink_price", |mut c: C<'_>| -> HostResult<u32> {
        hostio(&mut c, 0)?;
        let price = u32::try_from(INK_PER_GAS).unwrap_or(u32::MAX);
        traced(&mut c, "tx_ink_price", &[], &[&price.to_be_bytes()]);
        Ok(price)
    })?;
    Ok(())
}

fn register_block_values(l: &mut L) -> Result<(), Error> {
    l.func_wrap(MODULE, "block_basefee", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 32)?;
        let fee = host(&mut c)?.basefee();
        write_u256(&mut c, dest, fee)?;
        traced(&mut c, "block_basefee", &[], &[&fee.to_be_bytes::<32>()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "block_coinbase", |mut c: C<'_>, dest: u32| -> HostResult {
        hostio(&mut c, 20)?;
        let coinbase = host(&mut c)?.beneficiary();
        write(&mut c, dest, coinbase.as_slice())?;
        traced(&mut c, "block_coinbase", &[], &[coinbase.as_slice()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "chainid", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let id = saturate(host(&mut c)?.chain_id());
        Ok(traced_u64(&mut c, "chainid", id))
    })?;
    l.func_wrap(MODULE, "block_gas_limit", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let limit = saturate(host(&mut c)?.gas_limit());
        Ok(traced_u64(&mut c, "block_gas_limit", limit))
    })?;
    // Arbitrum answers with an estimate of the L1 block number; a local chain
    // has no L1, so this is the devnode's own block number.
    l.func_wrap(MODULE, "block_number", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let number = saturate(host(&mut c)?.block_number());
        Ok(traced_u64(&mut c, "block_number", number))
    })?;
    l.func_wrap(MODULE, "block_timestamp", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let time = saturate(host(&mut c)?.timestamp());
        Ok(traced_u64(&mut c, "block_timestamp", time))
    })?;
    l.func_wrap(MODULE, "evm_gas_left", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let gas = fuel_to_gas(c.get_fuel()?).saturating_sub(1);
        Ok(traced_u64(&mut c, "evm_gas_left", gas))
    })?;
    l.func_wrap(MODULE, "evm_ink_left", |mut c: C<'_>| -> HostResult<u64> {
        hostio(&mut c, 0)?;
        let ink = c.get_fuel()?.saturating_mul(INK_PER_FUEL);
        Ok(traced_u64(&mut c, "evm_ink_left", ink))
    })?;
    Ok(())
}

fn register_accounts(l: &mut L) -> Result<(), Error> {
    l.func_wrap(MODULE, "account_balance", |mut c: C<'_>, addr: u32, dest: u32| -> HostResult {
        hostio(&mut c, 52)?;
        let address = read_address(&c, addr)?;
        let load = host(&mut c)?.balance(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        write_u256(&mut c, dest, load.data)?;
        traced(&mut c, "account_balance", &[address.as_slice()], &[&load.data.to_be_bytes::<32>()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "account_codehash", |mut c: C<'_>, addr: u32, dest: u32| -> HostResult {
        hostio(&mut c, 52)?;
        let address = read_address(&c, addr)?;
        let host = host(&mut c)?;
        let load = host.load_account_code_hash(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        write(&mut c, dest, load.data.as_slice())?;
        traced(&mut c, "account_codehash", &[address.as_slice()], &[load.data.as_slice()]);
        Ok(())
    })?;
    l.func_wrap(MODULE, "account_code_size", |mut c: C<'_>, addr: u32| -> HostResult<u32> {
        hostio(&mut c, 20)?;
        let address = read_address(&c, addr)?;
        let load = host(&mut c)?.load_account_code(address).ok_or_else(|| db_fault(address))?;
        charge_gas(&mut c, account_gas(load.is_cold))?;
        let size = len32(load.data.len());
        traced(&mut c, "account_code_size", &[address.as_slice()], &[&size.to_be_bytes()]);
        Ok(size)
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
            let fields = [address.as_slice(), &offset.to_be_bytes(), &size.to_be_bytes()];
            traced(&mut c, "account_code", &fields, &[&code[start..end]]);
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
            let preimage = read(&c, ptr, len)?;
            let hash = keccak256(&preimage);
            write(&mut c, out, hash.as_slice())?;
            traced(&mut c, "native_keccak256", &[&preimage], &[hash.as_slice()]);
            Ok(())
        },
    )?;
    l.func_wrap(MODULE, "pay_for_memory_grow", |mut c: C<'_>, pages: u32| -> HostResult {
        hostio(&mut c, 0)?;
        charge_gas(&mut c, u64::from(pages) * GAS_PER_PAGE)?;
        // The ABI passes a u16 (a program cannot grow by more pages).
        let pages = u16::try_from(pages).unwrap_or(u16::MAX);
        traced(&mut c, "pay_for_memory_grow", &[&pages.to_be_bytes()], &[]);
        Ok(())
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

/// Records a host call that answers one `u64`, and returns it.
fn traced_u64(c: &mut C<'_>, name: &'static str, value: u64) -> u64 {
    traced(c, name, &[], &[&value.to_be_bytes()]);
    value
}
