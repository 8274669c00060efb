//! Reading and writing the program's memory, and charging it for work: the
//! small vocabulary every host function is written in.

use revm::{
    context_interface::Host,
    primitives::{Address, B256, U256},
};
use wasmi::{Caller, Error, TrapCode};

use super::{
    gas::{gas_to_fuel, hostio_fuel, INK_PER_FUEL},
    state::{HostState, Stop},
};

/// The caller every host function receives.
pub(crate) type Ctx<'a> = Caller<'a, HostState>;

/// A fault that reverts the frame with no data.
pub(crate) fn fault(msg: impl Into<String>) -> Error {
    Error::host(Stop::Fault(msg.into()))
}

/// Burns `fuel`, or stops the program out of gas.
pub(crate) fn charge(c: &mut Ctx<'_>, fuel: u64) -> Result<(), Error> {
    let left = c.get_fuel()?;
    if left < fuel {
        c.set_fuel(0)?;
        return Err(Error::from(TrapCode::OutOfFuel));
    }
    c.set_fuel(left - fuel)?;
    Ok(())
}

/// Burns the base cost of a host call that moves `bytes` bytes.
pub(crate) fn hostio(c: &mut Ctx<'_>, bytes: usize) -> Result<(), Error> {
    if c.data().trace.is_some() {
        let ink = ink_left(c);
        if let Some(log) = &mut c.data_mut().trace {
            log.start_ink.get_or_insert(ink);
        }
    }
    charge(c, hostio_fuel(bytes as u64))
}

/// The ink the program has left.
pub(crate) fn ink_left(c: &Ctx<'_>) -> u64 {
    c.get_fuel().unwrap_or(0).saturating_mul(INK_PER_FUEL)
}

/// Records the host call now ending in the run's host-I/O trace, if it is
/// traced: `args` and `outs` are its fields as bytes, in order.
pub(crate) fn traced(c: &mut Ctx<'_>, name: &'static str, args: &[&[u8]], outs: &[&[u8]]) {
    if c.data().trace.is_some() {
        let ink = ink_left(c);
        if let Some(log) = &mut c.data_mut().trace {
            log.record(name, args, outs, ink);
        }
    }
}

/// Burns EVM gas (storage, logs, account access) on top of the host-call cost.
pub(crate) fn charge_gas(c: &mut Ctx<'_>, gas: u64) -> Result<(), Error> {
    charge(c, gas_to_fuel(gas))
}

/// Copies `len` bytes out of the program's memory.
pub(crate) fn read(c: &Ctx<'_>, ptr: u32, len: u32) -> Result<Vec<u8>, Error> {
    let memory = c.data().memory.ok_or_else(|| fault("program has no memory"))?;
    let mut buf = vec![0; len as usize];
    memory
        .read(c, ptr as usize, &mut buf)
        .map_err(|_| fault(format!("read of {len} bytes at {ptr:#x} is out of bounds")))?;
    Ok(buf)
}

/// Reads a 32-byte word.
pub(crate) fn read_b256(c: &Ctx<'_>, ptr: u32) -> Result<B256, Error> {
    Ok(B256::from_slice(&read(c, ptr, 32)?))
}

/// Reads a big-endian 32-byte integer.
pub(crate) fn read_u256(c: &Ctx<'_>, ptr: u32) -> Result<U256, Error> {
    Ok(U256::from_be_bytes(read_b256(c, ptr)?.0))
}

/// Reads a 20-byte address.
pub(crate) fn read_address(c: &Ctx<'_>, ptr: u32) -> Result<Address, Error> {
    Ok(Address::from_slice(&read(c, ptr, 20)?))
}

/// Copies `data` into the program's memory at `ptr`.
pub(crate) fn write(c: &mut Ctx<'_>, ptr: u32, data: &[u8]) -> Result<(), Error> {
    let memory = c.data().memory.ok_or_else(|| fault("program has no memory"))?;
    memory
        .write(c, ptr as usize, data)
        .map_err(|_| fault(format!("write of {} bytes at {ptr:#x} is out of bounds", data.len())))
}

/// Writes a 32-byte big-endian integer.
pub(crate) fn write_u256(c: &mut Ctx<'_>, ptr: u32, value: U256) -> Result<(), Error> {
    write(c, ptr, &value.to_be_bytes::<32>())
}

/// Converts a length to the `usize` of wasm32 (a `u32`), saturating.
pub(crate) fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The revm host behind the program (journal, block and transaction).
pub(crate) fn host<'a>(c: &'a mut Ctx<'_>) -> Result<&'a mut (dyn Host + 'static), Error> {
    c.data_mut().host().map_err(Error::host)
}
