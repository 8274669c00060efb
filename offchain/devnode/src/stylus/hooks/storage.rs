//! Host functions for storage (through the cache), transient storage and logs.

use revm::primitives::{Log, LogData, B256};
use wasmi::Error;

use super::{HostResult, C, L, MODULE};
use crate::stylus::{
    memory::{charge_gas, fault, host, hostio, read, read_b256, read_u256, traced, write},
    state::Stop,
    storage,
};

/// EIP-1153 transient storage access.
const TRANSIENT_GAS: u64 = 100;

pub(super) fn register(l: &mut L) -> Result<(), Error> {
    l.func_wrap(
        MODULE,
        "storage_load_bytes32",
        |mut c: C<'_>, key: u32, dest: u32| -> HostResult {
            hostio(&mut c, 64)?;
            let key = read_u256(&c, key)?;
            let (value, gas) = storage::load(c.data_mut(), key).map_err(Error::host)?;
            charge_gas(&mut c, gas)?;
            write(&mut c, dest, value.as_slice())?;
            traced(
                &mut c,
                "storage_load_bytes32",
                &[&key.to_be_bytes::<32>()],
                &[value.as_slice()],
            );
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "storage_cache_bytes32",
        |mut c: C<'_>, key: u32, value: u32| -> HostResult {
            hostio(&mut c, 64)?;
            let key = read_u256(&c, key)?;
            let value = read_b256(&c, value)?;
            storage::store(c.data_mut(), key, value);
            traced(
                &mut c,
                "storage_cache_bytes32",
                &[&key.to_be_bytes::<32>(), value.as_slice()],
                &[],
            );
            Ok(())
        },
    )?;
    l.func_wrap(MODULE, "storage_flush_cache", |mut c: C<'_>, clear: u32| -> HostResult {
        hostio(&mut c, 0)?;
        let gas = storage::flush(c.data_mut(), clear != 0).map_err(Error::host)?;
        charge_gas(&mut c, gas)?;
        traced(&mut c, "storage_flush_cache", &[&[u8::from(clear != 0)]], &[]);
        Ok(())
    })?;
    l.func_wrap(
        MODULE,
        "transient_load_bytes32",
        |mut c: C<'_>, key: u32, dest: u32| -> HostResult {
            hostio(&mut c, 64)?;
            charge_gas(&mut c, TRANSIENT_GAS)?;
            let key = read_u256(&c, key)?;
            let address = c.data().address;
            let value = host(&mut c)?.tload(address, key).to_be_bytes::<32>();
            write(&mut c, dest, &value)?;
            traced(&mut c, "transient_load_bytes32", &[&key.to_be_bytes::<32>()], &[&value]);
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "transient_store_bytes32",
        |mut c: C<'_>, key: u32, value: u32| -> HostResult {
            hostio(&mut c, 64)?;
            charge_gas(&mut c, TRANSIENT_GAS)?;
            if c.data().is_static {
                return Err(Error::host(Stop::Fault("transient write in a static call".into())));
            }
            let key = read_u256(&c, key)?;
            let value = read_u256(&c, value)?;
            let address = c.data().address;
            host(&mut c)?.tstore(address, key, value);
            let fields = [key.to_be_bytes::<32>(), value.to_be_bytes::<32>()];
            traced(&mut c, "transient_store_bytes32", &[&fields[0], &fields[1]], &[]);
            Ok(())
        },
    )?;
    l.func_wrap(MODULE, "emit_log", emit_log)?;
    Ok(())
}

/// `emit_log(data, len, topics)`: the first `32 * topics` bytes are topics.
fn emit_log(mut c: C<'_>, ptr: u32, len: u32, topics: u32) -> HostResult {
    hostio(&mut c, len as usize)?;
    if c.data().is_static {
        return Err(fault("log in a static call"));
    }
    if topics > 4 || u64::from(topics) * 32 > u64::from(len) {
        return Err(fault(format!("bad log: {topics} topics in {len} bytes")));
    }
    // The EVM's LOG price: 375 + 375 per topic + 8 per data byte.
    let data_len = len - topics * 32;
    charge_gas(&mut c, 375 + 375 * u64::from(topics) + 8 * u64::from(data_len))?;
    let bytes = read(&c, ptr, len)?;
    traced(&mut c, "emit_log", &[&topics.to_be_bytes(), &bytes], &[]);
    let (topic_bytes, data) = bytes.split_at(topics as usize * 32);
    let topics = topic_bytes.chunks_exact(32).map(B256::from_slice).collect();
    let address = c.data().address;
    let log = Log { address, data: LogData::new_unchecked(topics, data.to_vec().into()) };
    host(&mut c)?.log(log);
    Ok(())
}
