//! Per-key limits: a request rate (a GCRA bucket: `requests_per_minute`
//! with bursts of `burst`) and a number of requests in flight at once.
//! Both answer 429 with `Retry-After`, as `OpenAI` does, so that SDKs back
//! off by themselves.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex},
};

use alloy::primitives::{Address, U256};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::GatewayError;

/// A key NFT: collection and token.
pub type KeyId = (Address, U256);

/// The limits of every key.
#[derive(Debug)]
pub struct Limits {
    rate: DefaultKeyedRateLimiter<KeyId>,
    concurrent: usize,
    in_flight: Mutex<HashMap<KeyId, Arc<Semaphore>>>,
}

impl Limits {
    /// `per_minute` requests a minute with bursts of `burst`, and at most
    /// `concurrent` at once, per key (zeros are read as one).
    pub fn new(per_minute: u32, burst: u32, concurrent: usize) -> Self {
        let one = NonZeroU32::MIN;
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(one))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(one));
        Self {
            rate: RateLimiter::keyed(quota),
            concurrent: concurrent.max(1),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one request of `key`: held until the answer is over.
    ///
    /// # Errors
    /// [`GatewayError::RateLimited`].
    pub fn admit(&self, key: KeyId) -> Result<OwnedSemaphorePermit, GatewayError> {
        if let Err(not_until) = self.rate.check_key(&key) {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            return Err(GatewayError::RateLimited {
                message: "this key's request rate is over its limit".into(),
                retry_after: wait.as_secs().max(1),
            });
        }
        let semaphore = {
            let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key).or_insert_with(|| Arc::new(Semaphore::new(self.concurrent))).clone()
        };
        semaphore.try_acquire_owned().map_err(|_| GatewayError::RateLimited {
            message: format!("this key has {} requests in flight, its limit", self.concurrent),
            retry_after: 1,
        })
    }

    /// Forgets idle keys (their buckets are full again, nothing in flight),
    /// so that memory follows the keys in use, not all keys ever seen.
    pub fn forget_idle(&self) {
        self.rate.retain_recent();
        let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < self.concurrent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> KeyId {
        (Address::repeat_byte(1), U256::from(n))
    }

    #[test]
    fn a_burst_over_the_rate_is_refused_for_that_key_only() {
        let limits = Limits::new(60, 2, 10);
        let a = (limits.admit(key(1)), limits.admit(key(1)));
        assert!(a.0.is_ok() && a.1.is_ok());
        let third = limits.admit(key(1)).unwrap_err();
        assert!(matches!(third, GatewayError::RateLimited { retry_after: 1, .. }), "{third:?}");
        assert!(limits.admit(key(2)).is_ok(), "another key has its own bucket");
    }

    #[test]
    fn requests_in_flight_are_limited_and_a_finished_one_frees_its_place() {
        let limits = Limits::new(1_000, 1_000, 2);
        let first = limits.admit(key(1)).unwrap();
        let _second = limits.admit(key(1)).unwrap();
        assert!(matches!(limits.admit(key(1)), Err(GatewayError::RateLimited { .. })));
        drop(first);
        assert!(limits.admit(key(1)).is_ok());
        limits.forget_idle();
        assert_eq!(
            limits.in_flight.lock().unwrap().len(),
            1,
            "a key with a request in flight is kept"
        );
    }
}
