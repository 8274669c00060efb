//! Measured throughput, and the time estimates made from it.
//!
//! The worker claims a lease only if it can answer before the deadline, so
//! the estimate must not be optimistic: it starts from a pessimistic prior,
//! follows measurements with an exponentially weighted moving average (so
//! one slow run, e.g. while the other core was busy, moves it but does not
//! own it), and multiplies by a safety factor.

use std::time::Duration;

/// Weight of the newest measurement in the moving average.
const ALPHA: f64 = 0.3;
/// Margin on top of the average: decoding slows as the context grows and
/// the machine may be shared.
const SAFETY_FACTOR: f64 = 1.5;
/// Measurements shorter than this are timer noise, not throughput.
const MIN_SAMPLE: Duration = Duration::from_micros(200);

/// Prompt and generation speed in tokens per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// Prompt tokens processed per second (prefill).
    pub prompt_tokens_per_s: f64,
    /// Output tokens generated per second (decode).
    pub output_tokens_per_s: f64,
}

/// A moving average of throughput with a fixed per-request overhead.
#[derive(Debug, Clone)]
pub(crate) struct ThroughputEstimator {
    current: Throughput,
    overhead: Duration,
}

impl ThroughputEstimator {
    /// Starts from `prior` (should be slower than the machine is).
    pub(crate) fn new(prior: Throughput, overhead: Duration) -> Self {
        Self { current: prior, overhead }
    }

    /// The averaged throughput so far.
    pub(crate) fn current(&self) -> Throughput {
        self.current
    }

    /// Folds in a measured prefill of `tokens` that took `elapsed`.
    pub(crate) fn observe_prompt(&mut self, tokens: u32, elapsed: Duration) {
        if let Some(rate) = rate(tokens, elapsed) {
            self.current.prompt_tokens_per_s = blend(self.current.prompt_tokens_per_s, rate);
        }
    }

    /// Folds in a measured decode of `tokens` that took `elapsed`.
    pub(crate) fn observe_output(&mut self, tokens: u32, elapsed: Duration) {
        if let Some(rate) = rate(tokens, elapsed) {
            self.current.output_tokens_per_s = blend(self.current.output_tokens_per_s, rate);
        }
    }

    /// Folds in a whole request whose prefill and decode were not timed
    /// apart (an HTTP server): the prompt is charged at the current prompt
    /// rate and the rest of the time to the output.
    pub(crate) fn observe_total(&mut self, input: u32, output: u32, elapsed: Duration) {
        let prompt = seconds_for(input, self.current.prompt_tokens_per_s);
        let remaining = elapsed.as_secs_f64() - prompt;
        // A negative remainder means the prompt was faster than we thought:
        // the whole time is then an upper bound for the output alone.
        let output_time = if remaining > 0.0 { remaining } else { elapsed.as_secs_f64() };
        self.observe_output(output, Duration::from_secs_f64(output_time));
    }

    /// A conservative duration for `input` prompt tokens and up to
    /// `max_output` generated ones.
    pub(crate) fn estimate(&self, input: u32, max_output: u32) -> Duration {
        let secs = seconds_for(input, self.current.prompt_tokens_per_s)
            + seconds_for(max_output, self.current.output_tokens_per_s);
        let total = (secs + self.overhead.as_secs_f64()) * SAFETY_FACTOR;
        // Saturate rather than panic on absurd inputs (a rate near zero).
        Duration::try_from_secs_f64(total).unwrap_or(Duration::MAX)
    }
}

fn rate(tokens: u32, elapsed: Duration) -> Option<f64> {
    (tokens > 0 && elapsed >= MIN_SAMPLE).then(|| f64::from(tokens) / elapsed.as_secs_f64())
}

fn blend(old: f64, new: f64) -> f64 {
    ALPHA * new + (1.0 - ALPHA) * old
}

fn seconds_for(tokens: u32, per_s: f64) -> f64 {
    if tokens == 0 {
        0.0
    } else if per_s > 0.0 {
        f64::from(tokens) / per_s
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior() -> Throughput {
        Throughput { prompt_tokens_per_s: 100.0, output_tokens_per_s: 10.0 }
    }

    #[test]
    fn estimate_is_the_time_at_current_rates_plus_margin() {
        let e = ThroughputEstimator::new(prior(), Duration::from_millis(100));
        // 50 / 100 + 20 / 10 + 0.1 = 2.6 s, times 1.5.
        let got = e.estimate(50, 20).as_secs_f64();
        assert!((got - 3.9).abs() < 1e-9, "{got}");
    }

    #[test]
    fn measurements_move_the_average_part_way() {
        let mut e = ThroughputEstimator::new(prior(), Duration::ZERO);
        e.observe_output(40, Duration::from_secs(1)); // 40 tok/s measured
        let got = e.current().output_tokens_per_s;
        assert!((got - (0.3 * 40.0 + 0.7 * 10.0)).abs() < 1e-9, "{got}");
        for _ in 0..50 {
            e.observe_output(40, Duration::from_secs(1));
        }
        assert!((e.current().output_tokens_per_s - 40.0).abs() < 1e-3);
        // Faster output means a shorter estimate.
        assert!(
            e.estimate(0, 100) < ThroughputEstimator::new(prior(), Duration::ZERO).estimate(0, 100)
        );
    }

    #[test]
    fn empty_or_instant_samples_are_ignored() {
        let mut e = ThroughputEstimator::new(prior(), Duration::ZERO);
        e.observe_prompt(0, Duration::from_secs(1));
        e.observe_prompt(10, Duration::ZERO);
        e.observe_output(10, Duration::from_nanos(10));
        assert_eq!(e.current(), prior());
    }

    #[test]
    fn total_time_charges_the_prompt_at_its_rate() {
        let mut e = ThroughputEstimator::new(prior(), Duration::ZERO);
        // 100 prompt tokens take 1 s at the prior, so 10 outputs took 1 s.
        e.observe_total(100, 10, Duration::from_secs(2));
        let got = e.current().output_tokens_per_s;
        assert!((got - 10.0).abs() < 1e-9, "{got}");
        // A prompt faster than the prior: the whole time goes to the output.
        e.observe_total(1000, 10, Duration::from_secs(2));
        let got = e.current().output_tokens_per_s;
        assert!((got - (0.3 * 5.0 + 0.7 * 10.0)).abs() < 1e-9, "{got}");
    }

    #[test]
    fn a_zero_rate_saturates_instead_of_panicking() {
        let zero = Throughput { prompt_tokens_per_s: 0.0, output_tokens_per_s: 0.0 };
        let e = ThroughputEstimator::new(zero, Duration::ZERO);
        assert_eq!(e.estimate(1, 1), Duration::MAX);
        assert_eq!(e.estimate(0, 0), Duration::ZERO);
    }
}
