//! Greedy generation.

use std::time::{Duration, Instant};

use super::llama::{Llama, State};
use crate::Error;

/// What one generation produced and how long its two phases took.
#[derive(Debug)]
pub(crate) struct Generated {
    /// Generated ids, the stop token (if reached) last.
    pub(crate) ids: Vec<u32>,
    /// Whether generation ended on a stop token (rather than the limit).
    pub(crate) hit_stop: bool,
    /// Prefill: the prompt's forward pass and the first token.
    pub(crate) prompt_time: Duration,
    /// Every later token.
    pub(crate) decode_time: Duration,
}

impl Generated {
    /// The answer's ids without the stop token.
    pub(crate) fn text_ids(&self) -> &[u32] {
        let keep = self.ids.len() - usize::from(self.hit_stop);
        &self.ids[..keep]
    }
}

/// Generates greedily after `prompt` until a `stop` id or `max_output`
/// tokens, handing each id to `on_token` as it is chosen. The KV cache is
/// cleared before and after: requests are independent, and a cache left
/// behind would hold memory while idle.
pub(crate) fn generate(
    model: &Llama,
    state: &mut State,
    prompt: &[u32],
    max_output: u32,
    stop: &[u32],
    on_token: &mut dyn FnMut(u32),
) -> Result<Generated, Error> {
    let limit = usize::try_from(max_output).unwrap_or(usize::MAX);
    let mut generated = Generated {
        ids: Vec::with_capacity(limit.min(4096)),
        hit_stop: false,
        prompt_time: Duration::ZERO,
        decode_time: Duration::ZERO,
    };
    if limit == 0 {
        return Ok(generated);
    }
    if prompt.is_empty() {
        return Err(Error::Tokenizer("the templated prompt has no tokens".into()));
    }
    state.clear();
    let started = Instant::now();
    let result =
        decode_loop(model, state, prompt, (limit, stop), &mut generated, on_token, started);
    state.clear();
    result?;
    Ok(generated)
}

fn decode_loop(
    model: &Llama,
    state: &mut State,
    prompt: &[u32],
    (limit, stop): (usize, &[u32]),
    out: &mut Generated,
    on_token: &mut dyn FnMut(u32),
    started: Instant,
) -> Result<(), Error> {
    let mut next = argmax(model.forward(state, prompt)?)?;
    out.prompt_time = started.elapsed();
    let decode_started = Instant::now();
    loop {
        out.ids.push(next);
        on_token(next);
        if stop.contains(&next) {
            out.hit_stop = true;
            break;
        }
        if out.ids.len() >= limit {
            break;
        }
        next = argmax(model.forward(state, &[next])?)?;
    }
    out.decode_time = decode_started.elapsed();
    Ok(())
}

/// The index of the largest logit; the lowest index wins a tie and NaNs
/// are skipped, so the choice is deterministic.
pub(crate) fn argmax(logits: &[f32]) -> Result<u32, Error> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &value) in logits.iter().enumerate() {
        if value.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| value > b) {
            best = Some((i, value));
        }
    }
    let (index, _) = best
        .ok_or_else(|| Error::model("logits", "empty or all NaN: no next token can be chosen"))?;
    u32::try_from(index).map_err(|_| Error::Tokenizer(format!("token index {index} exceeds u32")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_picks_the_largest_first_on_ties_and_skips_nan() {
        assert_eq!(argmax(&[0.1, 3.0, -1.0]).unwrap(), 1);
        assert_eq!(argmax(&[2.0, 5.0, 5.0]).unwrap(), 1);
        assert_eq!(argmax(&[f32::NAN, -1.0, f32::NAN]).unwrap(), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY, f32::NEG_INFINITY]).unwrap(), 0);
    }

    #[test]
    fn argmax_of_nothing_is_an_error() {
        assert!(argmax(&[]).is_err());
        assert!(argmax(&[f32::NAN]).is_err());
    }

    #[test]
    fn text_ids_leave_out_only_a_stop_token() {
        let mut g = Generated {
            ids: vec![5, 6, 2],
            hit_stop: true,
            prompt_time: Duration::ZERO,
            decode_time: Duration::ZERO,
        };
        assert_eq!(g.text_ids(), [5, 6]);
        g.hit_stop = false;
        assert_eq!(g.text_ids(), [5, 6, 2]);
    }
}
