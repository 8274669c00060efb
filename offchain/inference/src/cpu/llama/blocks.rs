//! GGML's quantized block formats, as stored in GGUF files, and the
//! portable dot products between weight and activation blocks.
//!
//! Every format packs 32 consecutive values of a row with an f16 scale
//! (stored as its bits). Weights keep the file's format; an activation row
//! is quantized once per matrix product to 8 bits a value, with the scaled
//! sum of its values so that `Q4_1`'s offset costs one multiply per block.

use bytemuck::{Pod, Zeroable};
use half::f16;

/// Values per block, in every format here.
pub(crate) const BLOCK: usize = 32;

/// `Q4_0`: value = (nibble - 8) * d. Byte j holds value j (low nibble) and
/// value j + 16 (high nibble).
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct BlockQ4_0 {
    pub(crate) d: u16,
    pub(crate) qs: [u8; BLOCK / 2],
}

/// `Q4_1`: value = nibble * d + m, nibbles laid out as in `Q4_0`.
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct BlockQ4_1 {
    pub(crate) d: u16,
    pub(crate) m: u16,
    pub(crate) qs: [u8; BLOCK / 2],
}

/// `Q8_0`: value = q * d.
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct BlockQ8_0 {
    pub(crate) d: u16,
    pub(crate) qs: [i8; BLOCK],
}

/// An activation block: `Q8_0`/`Q8_1` (GGML rounds both scales to f16; so
/// does this) with the scales kept as f32, so that kernels convert nothing
/// on the activation side. `s` = d * sum(q), for `Q4_1` weights.
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct ActBlock {
    pub(crate) d: f32,
    pub(crate) s: f32,
    pub(crate) qs: [i8; BLOCK],
}

pub(crate) fn f16_to_f32(bits: u16) -> f32 {
    f16::from_bits(bits).to_f32()
}

fn f16_round(value: f32) -> f32 {
    f16::from_f32(value).to_f32()
}

/// Nearest integer, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves
/// no fraction bits, so the FPU's default rounding does the work. Two adds
/// that vectorize, where `f32::round_ties_even` is a library call on
/// baseline x86-64.
fn round_ties_even(v: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (v + SHIFT) - SHIFT
}

/// Quantizes `xs` (a multiple of [`BLOCK`] long) into `out`, as GGML's
/// SIMD quantizers do (ties round to even), so that results match
/// llama.cpp's.
pub(crate) fn quantize_activations(xs: &[f32], out: &mut [ActBlock]) {
    for (block, xs) in out.iter_mut().zip(xs.chunks_exact(BLOCK)) {
        let amax = xs.iter().fold(0f32, |m, x| m.max(x.abs()));
        let d = amax / 127.0;
        let id = if d == 0.0 { 0.0 } else { 1.0 / d };
        let mut sum = 0i32;
        for (q, &x) in block.qs.iter_mut().zip(xs) {
            // |x * id| <= 127 by construction; `as` saturates NaN to 0.
            #[allow(clippy::cast_possible_truncation)]
            let rounded = round_ties_even(x * id) as i8;
            *q = rounded;
            sum += i32::from(rounded);
        }
        block.d = f16_round(d);
        // |sum| <= 32 * 127: exact in f32.
        #[allow(clippy::cast_precision_loss)]
        let sum = sum as f32;
        block.s = f16_round(sum * d);
    }
}

/// The 32 nibbles of a 4-bit block, in value order.
fn nibbles(qs: &[u8; BLOCK / 2]) -> [u8; BLOCK] {
    let mut out = [0u8; BLOCK];
    for (j, &byte) in qs.iter().enumerate() {
        out[j] = byte & 0x0F;
        out[j + BLOCK / 2] = byte >> 4;
    }
    out
}

/// Writes the values of `blocks` into `out`.
pub(crate) fn dequantize_q4_0(blocks: &[BlockQ4_0], out: &mut [f32]) {
    for (block, out) in blocks.iter().zip(out.chunks_exact_mut(BLOCK)) {
        let d = f16_to_f32(block.d);
        for (o, q) in out.iter_mut().zip(nibbles(&block.qs)) {
            *o = (f32::from(q) - 8.0) * d;
        }
    }
}

/// Writes the values of `blocks` into `out`.
pub(crate) fn dequantize_q4_1(blocks: &[BlockQ4_1], out: &mut [f32]) {
    for (block, out) in blocks.iter().zip(out.chunks_exact_mut(BLOCK)) {
        let (d, m) = (f16_to_f32(block.d), f16_to_f32(block.m));
        for (o, q) in out.iter_mut().zip(nibbles(&block.qs)) {
            *o = f32::from(q) * d + m;
        }
    }
}

/// Writes the values of `blocks` into `out`.
pub(crate) fn dequantize_q8_0(blocks: &[BlockQ8_0], out: &mut [f32]) {
    for (block, out) in blocks.iter().zip(out.chunks_exact_mut(BLOCK)) {
        let d = f16_to_f32(block.d);
        for (o, &q) in out.iter_mut().zip(&block.qs) {
            *o = f32::from(q) * d;
        }
    }
}

/// Portable dot products, the reference for the SIMD ones.
pub(crate) mod portable {
    use super::{f16_to_f32, nibbles, ActBlock, BlockQ4_0, BlockQ4_1, BlockQ8_0};

    #[allow(clippy::cast_precision_loss)]
    fn block_sum(products: impl Iterator<Item = i32>) -> f32 {
        products.sum::<i32>() as f32
    }

    /// Row of `Q4_0` weights times an activation row.
    pub(crate) fn dot_q4_0(w: &[BlockQ4_0], x: &[ActBlock]) -> f32 {
        w.iter()
            .zip(x)
            .map(|(w, x)| {
                let qs = nibbles(&w.qs);
                let sum = block_sum(
                    qs.iter().zip(&x.qs).map(|(&q, &y)| (i32::from(q) - 8) * i32::from(y)),
                );
                sum * f16_to_f32(w.d) * x.d
            })
            .sum()
    }

    /// Row of `Q4_1` weights times an activation row.
    pub(crate) fn dot_q4_1(w: &[BlockQ4_1], x: &[ActBlock]) -> f32 {
        w.iter()
            .zip(x)
            .map(|(w, x)| {
                let qs = nibbles(&w.qs);
                let sum =
                    block_sum(qs.iter().zip(&x.qs).map(|(&q, &y)| i32::from(q) * i32::from(y)));
                sum * f16_to_f32(w.d) * x.d + f16_to_f32(w.m) * x.s
            })
            .sum()
    }

    /// Row of `Q8_0` weights times an activation row.
    pub(crate) fn dot_q8_0(w: &[BlockQ8_0], x: &[ActBlock]) -> f32 {
        w.iter()
            .zip(x)
            .map(|(w, x)| {
                let sum =
                    block_sum(w.qs.iter().zip(&x.qs).map(|(&a, &b)| i32::from(a) * i32::from(b)));
                sum * f16_to_f32(w.d) * x.d
            })
            .sum()
    }
}
