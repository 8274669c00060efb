//! Host functions that call out: sub-calls and deployments suspend the WASM
//! (the frame driver runs them as revm child frames), plus return data.

use revm::primitives::{Bytes, U256};
use wasmi::Error;

use super::{HostResult, C, L, MODULE};
use crate::stylus::{
    memory::{charge_gas, fault, hostio, len32, read, read_address, read_u256, traced, write},
    state::{CallKind, Request, Stop},
    storage,
};

pub(super) fn register(l: &mut L) -> Result<(), Error> {
    l.func_wrap(
        MODULE,
        "call_contract",
        |c: C<'_>,
         to: u32,
         data: u32,
         len: u32,
         value: u32,
         gas: u64,
         ret: u32|
         -> HostResult<u32> {
            call(c, CallKind::Call, to, (data, len), Some(value), gas, ret)
        },
    )?;
    l.func_wrap(
        MODULE,
        "delegate_call_contract",
        |c: C<'_>, to: u32, data: u32, len: u32, gas: u64, ret: u32| -> HostResult<u32> {
            call(c, CallKind::Delegate, to, (data, len), None, gas, ret)
        },
    )?;
    l.func_wrap(
        MODULE,
        "static_call_contract",
        |c: C<'_>, to: u32, data: u32, len: u32, gas: u64, ret: u32| -> HostResult<u32> {
            call(c, CallKind::Static, to, (data, len), None, gas, ret)
        },
    )?;
    l.func_wrap(
        MODULE,
        "create1",
        |c: C<'_>, code: u32, len: u32, value: u32, out: u32, ret: u32| -> HostResult {
            create(c, (code, len), value, None, out, ret)
        },
    )?;
    l.func_wrap(
        MODULE,
        "create2",
        |c: C<'_>, code: u32, len: u32, value: u32, salt: u32, out: u32, ret: u32| -> HostResult {
            create(c, (code, len), value, Some(salt), out, ret)
        },
    )?;
    l.func_wrap(MODULE, "return_data_size", |mut c: C<'_>| -> HostResult<u32> {
        hostio(&mut c, 0)?;
        let size = len32(c.data().return_data.len());
        traced(&mut c, "return_data_size", &[], &[&size.to_be_bytes()]);
        Ok(size)
    })?;
    l.func_wrap(
        MODULE,
        "read_return_data",
        |mut c: C<'_>, dest: u32, offset: u32, size: u32| -> HostResult<u32> {
            let data = c.data().return_data.clone();
            let start = (offset as usize).min(data.len());
            let end = start.saturating_add(size as usize).min(data.len());
            hostio(&mut c, end - start)?;
            write(&mut c, dest, &data[start..end])?;
            let fields = [offset.to_be_bytes(), size.to_be_bytes()];
            traced(&mut c, "read_return_data", &[&fields[0], &fields[1]], &[&data[start..end]]);
            Ok(len32(end - start))
        },
    )?;
    Ok(())
}

/// Flushes the storage cache, which a callee may read or (reentrantly)
/// change, and charges the writes.
fn flush_before_call(c: &mut C<'_>) -> HostResult {
    let gas = storage::flush(c.data_mut(), true).map_err(Error::host)?;
    charge_gas(c, gas)
}

fn call(
    mut c: C<'_>,
    kind: CallKind,
    to: u32,
    (data, len): (u32, u32),
    value: Option<u32>,
    gas: u64,
    return_len_ptr: u32,
) -> HostResult<u32> {
    hostio(&mut c, len as usize)?;
    let target = read_address(&c, to)?;
    let input = Bytes::from(read(&c, data, len)?);
    let value = match value {
        Some(ptr) => read_u256(&c, ptr)?,
        None => U256::ZERO,
    };
    if c.data().is_static && !value.is_zero() {
        return Err(fault("value transfer in a static call"));
    }
    flush_before_call(&mut c)?;
    c.data_mut().request = Some(Request::Call { kind, target, input, value, gas, return_len_ptr });
    Err(Error::host(Stop::Suspend))
}

fn create(
    mut c: C<'_>,
    (code, len): (u32, u32),
    value: u32,
    salt: Option<u32>,
    address_ptr: u32,
    revert_len_ptr: u32,
) -> HostResult {
    hostio(&mut c, len as usize)?;
    if c.data().is_static {
        return Err(fault("deployment in a static call"));
    }
    let init_code = Bytes::from(read(&c, code, len)?);
    let value = read_u256(&c, value)?;
    let salt = salt.map(|ptr| read_u256(&c, ptr)).transpose()?;
    flush_before_call(&mut c)?;
    c.data_mut().request =
        Some(Request::Create { init_code, value, salt, address_ptr, revert_len_ptr });
    Err(Error::host(Stop::Suspend))
}
