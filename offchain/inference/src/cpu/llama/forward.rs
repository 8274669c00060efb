//! One forward pass: tokens in, the next token's logits out, with the keys
//! and values of every position kept for the next pass.

use super::blocks::{quantize_activations, ActBlock, BLOCK};
use super::kernels::{axpy, dot_f32};
use super::matrix::Matrix;
use super::{HyperParams, Layer, Llama};
use crate::Error;

/// Cache memory kept between requests, per layer and for keys and values
/// each (1 MiB: ~1,300 positions of SmolLM2-135M); a longer request gives
/// the excess back when it is cleared.
const KEEP_FLOATS: usize = 1 << 18;

/// A request's state: the key/value cache and the pass's buffers, which
/// are allocated once and reused by every pass.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Positions in the cache.
    len: usize,
    /// Per layer: `len x kv_width` keys, then values.
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    buf: Buffers,
}

/// Per-pass buffers, `n` tokens long where it says `n x`.
#[derive(Debug, Default)]
struct Buffers {
    /// `n x hidden`: the residual stream.
    x: Vec<f32>,
    /// `n x hidden`: a normalized copy of `x`, or the attention's output.
    normed: Vec<f32>,
    /// The matmul input, quantized.
    acts: Vec<ActBlock>,
    /// `n x hidden`, `n x kv_width`, `n x kv_width`.
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    /// `n x hidden`: what a sub-block adds to the residual stream.
    delta: Vec<f32>,
    /// `n x ffn`.
    gate: Vec<f32>,
    up: Vec<f32>,
    /// One attention row, a score per cached position.
    scores: Vec<f32>,
    /// The matmul's reordering buffer.
    scratch: Vec<f32>,
    logits: Vec<f32>,
}

impl State {
    /// An empty state; buffers grow on the first pass.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Positions held in the cache.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Forgets every position (a new sequence), keeping a bounded amount of
    /// memory for the next one.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        for cache in self.keys.iter_mut().chain(&mut self.values) {
            let keep = cache.capacity().min(KEEP_FLOATS);
            cache.clear();
            cache.shrink_to(keep);
        }
    }
}

/// `len` elements of `v`, grown if needed.
fn sized(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    v.resize(len, 0.0);
    &mut v[..len]
}

/// `out = x / rms(x) * weight`, row by row.
fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    let width = weight.len();
    for (x, out) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
        #[allow(clippy::cast_precision_loss)]
        let mean = dot_f32(x, x) / width as f32;
        let scale = 1.0 / (mean + eps).sqrt();
        for ((o, &x), &w) in out.iter_mut().zip(x).zip(weight) {
            *o = x * scale * w;
        }
    }
}

/// Rotates each head of each row by its position's angles (adjacent pairs,
/// the llama GGUF convention), rows at positions `start..`.
fn rope(
    rows: &mut [f32],
    width: usize,
    head_dim: usize,
    start: usize,
    tables: &(Vec<f32>, Vec<f32>),
) {
    let half = head_dim / 2;
    for (t, row) in rows.chunks_exact_mut(width).enumerate() {
        let at = (start + t) * half;
        let (cos, sin) = (&tables.0[at..at + half], &tables.1[at..at + half]);
        for head in row.chunks_exact_mut(head_dim) {
            for (pair, (&c, &s)) in head.chunks_exact_mut(2).zip(cos.iter().zip(sin)) {
                let (a, b) = (pair[0], pair[1]);
                pair[0] = a * c - b * s;
                pair[1] = a * s + b * c;
            }
        }
    }
}

fn silu_times(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

/// Softmax of `scores` in place.
fn softmax(scores: &mut [f32]) {
    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    let inv = 1.0 / sum;
    for s in scores.iter_mut() {
        *s *= inv;
    }
}

impl Llama {
    /// Runs `tokens` at the positions after those in `state`, keeps their
    /// keys and values there, and returns the logits after the last one.
    /// A refused pass (an empty input, a token outside the vocabulary, no
    /// room left in the context) changes nothing.
    pub(crate) fn forward<'s>(
        &self,
        state: &'s mut State,
        tokens: &[u32],
    ) -> Result<&'s [f32], Error> {
        let hp = self.hp;
        let n = tokens.len();
        if n == 0 {
            return Err(Error::Tokenizer("a forward pass needs at least one token".into()));
        }
        if state.len + n > hp.context {
            return Err(Error::Config(format!(
                "{} positions exceed the model's context of {}",
                state.len + n,
                hp.context
            )));
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= hp.vocab) {
            return Err(Error::Tokenizer(format!("token id {bad} is outside the vocabulary")));
        }
        // The whole pass runs inside the pool, so that each matmul's split
        // is a cheap fork on a worker rather than a hand-off from outside.
        match &self.pool {
            Some(pool) => pool.install(|| self.run(state, tokens)),
            None => self.run(state, tokens),
        }
        Ok(&state.buf.logits)
    }

    fn run(&self, state: &mut State, tokens: &[u32]) {
        let hp = self.hp;
        let n = tokens.len();
        state.keys.resize_with(hp.layers, Vec::new);
        state.values.resize_with(hp.layers, Vec::new);
        let x = sized(&mut state.buf.x, n * hp.hidden);
        for (row, &token) in x.chunks_exact_mut(hp.hidden).zip(tokens) {
            self.embed.row_into(token as usize, row);
        }
        for (i, layer) in self.layers.iter().enumerate() {
            self.attention(layer, i, state, n);
            self.feed_forward(layer, &mut state.buf, n);
        }
        state.len += n;
        self.logits(&mut state.buf, n);
    }

    /// Quantizes `input` into `acts` and multiplies it by `m` into `out`.
    fn project(
        &self,
        m: &Matrix,
        input: &[f32],
        acts: &mut Vec<ActBlock>,
        out: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        self.project_all(&mut [(m, out)], input, acts, scratch);
    }

    /// Quantizes `input` once and multiplies it by each matrix of `parts`
    /// into that matrix's output.
    fn project_all(
        &self,
        parts: &mut [(&Matrix, &mut [f32])],
        input: &[f32],
        acts: &mut Vec<ActBlock>,
        scratch: &mut Vec<f32>,
    ) {
        acts.resize(input.len() / BLOCK, bytemuck::Zeroable::zeroed());
        quantize_activations(input, acts);
        Matrix::matmul_all(parts, acts, scratch, self.pool.is_some());
    }

    /// The attention sub-block of layer `index`: `x += o(attention(norm(x)))`.
    fn attention(&self, layer: &Layer, index: usize, state: &mut State, n: usize) {
        let hp = self.hp;
        let (hidden, kv_width) = (hp.hidden, hp.kv_width());
        let buf = &mut state.buf;
        rms_norm(&buf.x, &layer.attn_norm, hp.rms_eps, sized(&mut buf.normed, n * hidden));
        let queries = sized(&mut buf.q, n * hidden);
        let new_keys = sized(&mut buf.k, n * kv_width);
        let new_values = sized(&mut buf.v, n * kv_width);
        let mut qkv = [(&layer.q, queries), (&layer.k, new_keys), (&layer.v, new_values)];
        self.project_all(&mut qkv, &buf.normed, &mut buf.acts, &mut buf.scratch);
        let [(_, queries), (_, new_keys), (_, new_values)] = qkv;
        rope(queries, hidden, hp.head_dim, state.len, &self.rope);
        rope(new_keys, kv_width, hp.head_dim, state.len, &self.rope);
        let (keys, values) = (&mut state.keys[index], &mut state.values[index]);
        keys.extend_from_slice(new_keys);
        values.extend_from_slice(new_values);
        let out = sized(&mut buf.normed, n * hidden);
        attend(&hp, queries, keys, values, out, &mut buf.scores);
        let delta = sized(&mut buf.delta, n * hidden);
        self.project(&layer.o, &buf.normed, &mut buf.acts, delta, &mut buf.scratch);
        axpy(&mut buf.x, 1.0, delta);
    }

    /// The feed-forward sub-block: `x += down(silu(gate(norm(x))) * up(norm(x)))`.
    fn feed_forward(&self, layer: &Layer, b: &mut Buffers, n: usize) {
        let hp = self.hp;
        rms_norm(&b.x, &layer.ffn_norm, hp.rms_eps, sized(&mut b.normed, n * hp.hidden));
        let (gate, up) = (sized(&mut b.gate, n * hp.ffn), sized(&mut b.up, n * hp.ffn));
        let mut gate_up = [(&layer.gate, &mut *gate), (&layer.up, &mut *up)];
        self.project_all(&mut gate_up, &b.normed, &mut b.acts, &mut b.scratch);
        silu_times(gate, up);
        let delta = sized(&mut b.delta, n * hp.hidden);
        self.project(&layer.down, &b.gate, &mut b.acts, delta, &mut b.scratch);
        axpy(&mut b.x, 1.0, delta);
    }

    /// The logits after the last of `n` tokens.
    fn logits(&self, b: &mut Buffers, n: usize) {
        let hp = self.hp;
        let last = &b.x[(n - 1) * hp.hidden..n * hp.hidden];
        let normed = sized(&mut b.normed, hp.hidden);
        rms_norm(last, &self.norm, hp.rms_eps, normed);
        let output = self.output.as_ref().unwrap_or(&self.embed);
        let logits = sized(&mut b.logits, hp.vocab);
        self.project(output, &b.normed, &mut b.acts, logits, &mut b.scratch);
    }
}

/// Causal attention of the `n` query rows of the newest `n` cached
/// positions over the cache, into `out` (`n x hidden`).
fn attend(
    hp: &HyperParams,
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    out: &mut [f32],
    scores: &mut Vec<f32>,
) {
    let (d, kvw) = (hp.head_dim, hp.kv_width());
    let group = hp.heads / hp.kv_heads;
    #[allow(clippy::cast_precision_loss)]
    let scale = 1.0 / (d as f32).sqrt();
    let n = q.len() / hp.hidden;
    let cached = keys.len() / kvw;
    out.fill(0.0);
    for t in 0..n {
        // This row sees every position up to its own.
        let visible = cached - n + t + 1;
        let scores = sized(scores, visible);
        for head in 0..hp.heads {
            let kv = (head / group) * d;
            let query = &q[t * hp.hidden + head * d..][..d];
            for (s, key) in scores.iter_mut().zip(keys.chunks_exact(kvw)) {
                *s = dot_f32(query, &key[kv..kv + d]) * scale;
            }
            softmax(scores);
            let out = &mut out[t * hp.hidden + head * d..][..d];
            for (&p, value) in scores.iter().zip(values.chunks_exact(kvw)) {
                axpy(out, p, &value[kv..kv + d]);
            }
        }
    }
}
