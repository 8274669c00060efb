//! candle's compute thread count.
//!
//! candle 0.11 sizes its thread pool once per process from
//! `CANDLE_NUM_THREADS` (then `RAYON_NUM_THREADS`), the first time it runs
//! a parallel kernel. The only way in is to set those variables before
//! that; afterwards the pool's size is checked, so a second, different
//! request fails loudly instead of being silently ignored.

use std::sync::OnceLock;

use crate::Error;

/// Makes candle compute on `threads` threads (the caller's included).
///
/// Sets the environment, so call it at start-up, before threads that call
/// into C code that reads the environment (getenv is not thread-safe).
pub(super) fn configure(threads: usize) -> Result<(), Error> {
    static FIXED: OnceLock<usize> = OnceLock::new();
    if threads == 0 {
        return Err(Error::Config("threads must be at least 1".into()));
    }
    let fixed = *FIXED.get_or_init(|| {
        let value = threads.to_string();
        std::env::set_var("CANDLE_NUM_THREADS", &value);
        // The f32 matmuls (attention) split their work by this one.
        std::env::set_var("RAYON_NUM_THREADS", &value);
        // The pool's workers, plus the calling thread that joins the work.
        candle_core::utils::barrier_pool().n_workers() + 1
    });
    if fixed == threads {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "candle's thread pool is process-wide and already runs {fixed} threads; \
             {threads} were asked for"
        )))
    }
}
