//! Dot products of a weight row with an activation row: AVX2 where the CPU
//! has it (checked at run time, so one binary serves every x86-64 CPU), the
//! portable loops otherwise.
//!
//! A kernel's integer part is exact; only the per-block float accumulation
//! differs in order from the portable loop.

use super::blocks::{portable, ActBlock, BlockQ4_0, BlockQ4_1, BlockQ8_0};

/// Whether the AVX2 kernels can run here (cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn simd() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// `Q4_0` row · activation row (same block count).
pub(crate) fn dot_q4_0(w: &[BlockQ4_0], x: &[ActBlock]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if simd() {
        // SAFETY: the CPU has every feature the kernel is compiled for.
        return unsafe { avx2::dot_q4_0(w, x) };
    }
    portable::dot_q4_0(w, x)
}

/// `Q4_1` row · activation row (same block count).
pub(crate) fn dot_q4_1(w: &[BlockQ4_1], x: &[ActBlock]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if simd() {
        // SAFETY: as above.
        return unsafe { avx2::dot_q4_1(w, x) };
    }
    portable::dot_q4_1(w, x)
}

/// `Q8_0` row · activation row (same block count).
pub(crate) fn dot_q8_0(w: &[BlockQ8_0], x: &[ActBlock]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if simd() {
        // SAFETY: as above.
        return unsafe { avx2::dot_q8_0(w, x) };
    }
    portable::dot_q8_0(w, x)
}

/// f32 dot product (attention), written so that the compiler vectorizes it:
/// eight independent partial sums.
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (a_chunks, a_rest) = a.as_chunks::<8>();
    let (b_chunks, b_rest) = b.as_chunks::<8>();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// `out += a * x`, vectorized by the compiler.
pub(crate) fn axpy(out: &mut [f32], a: f32, x: &[f32]) {
    for (o, x) in out.iter_mut().zip(x) {
        *o += a * x;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m128, __m128i, __m256, __m256i, _mm256_add_ps, _mm256_and_si256, _mm256_broadcastss_ps,
        _mm256_castps256_ps128, _mm256_cvtepi32_ps, _mm256_extractf128_ps, _mm256_fmadd_ps,
        _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_set1_epi16,
        _mm256_set1_epi8, _mm256_set_m128i, _mm256_setzero_ps, _mm256_sign_epi8, _mm256_sub_epi8,
        _mm_add_ps, _mm_add_ss, _mm_castps_si128, _mm_castsi128_ps, _mm_cvtph_ps, _mm_cvtss_f32,
        _mm_load_ss, _mm_loadl_epi64, _mm_loadu_si128, _mm_movehdup_ps, _mm_movehl_ps, _mm_mul_ps,
        _mm_prefetch, _mm_setzero_ps, _mm_srli_epi16, _MM_HINT_T0,
    };

    use super::super::blocks::{ActBlock, BlockQ4_0, BlockQ4_1, BlockQ8_0};

    /// The f16 pair at the start of `block` (a block's scale, then its
    /// offset or its first quant bytes) as f32 lanes 0 and 1.
    ///
    /// The 4 bytes are loaded whole (`vmovss`, which clears the rest of the
    /// register): loading the 2 bytes of a scale alone made LLVM merge them
    /// into whatever register was free with `vpinsrw`, often the loop's
    /// accumulator, chaining every block to the one before.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn f16_pair<B>(block: &B) -> __m128 {
        const { assert!(std::mem::size_of::<B>() >= 4) };
        // SAFETY: every block is at least 4 bytes; the load is unaligned.
        let bits = unsafe { _mm_load_ss(std::ptr::from_ref(block).cast::<f32>()) };
        _mm_cvtph_ps(_mm_castps_si128(bits))
    }

    /// `x.d` and `x.s` as lanes 0 and 1.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn act_scales(x: &ActBlock) -> __m128 {
        // SAFETY: `d` and `s` are adjacent f32s at the start of the block;
        // `_mm_loadl_epi64` reads 8 bytes without any alignment requirement.
        #[allow(clippy::cast_ptr_alignment)]
        unsafe {
            _mm_castsi128_ps(_mm_loadl_epi64(std::ptr::from_ref(x).cast::<__m128i>()))
        }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
    }

    /// Unsigned bytes times signed bytes, summed in eight i32 lanes, as f32.
    /// maddubs cannot saturate: each pair is at most 2 * 255 * 128 only for
    /// full bytes, and callers pass nibbles (<= 15) or |x| <= 128 against
    /// |y| <= 127 (2 * 128 * 127 < 32767).
    #[target_feature(enable = "avx2,fma,f16c")]
    fn sum_u8_i8(x: __m256i, y: __m256i) -> __m256 {
        let pairs = _mm256_maddubs_epi16(x, y);
        _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
    }

    /// Signed bytes times signed bytes: |x| times y with x's sign moved over.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn sum_i8_i8(x: __m256i, y: __m256i) -> __m256 {
        sum_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
    }

    /// A 4-bit block's 32 nibbles as bytes, in value order.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn nibbles(qs: &[u8; 16]) -> __m256i {
        // SAFETY: 16 readable bytes; the load is unaligned.
        let low = unsafe { _mm_loadu_si128(qs.as_ptr().cast()) };
        let both = _mm256_set_m128i(_mm_srli_epi16::<4>(low), low);
        _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn load(qs: &[i8; 32]) -> __m256i {
        // SAFETY: 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(qs.as_ptr().cast()) }
    }

    /// How far ahead of the blocks being read the weights are fetched.
    const PREFETCH_BYTES: usize = 512;

    #[target_feature(enable = "avx2,fma,f16c")]
    fn block_q4_0(w: &BlockQ4_0, x: &ActBlock, acc: __m256) -> __m256 {
        let q = _mm256_sub_epi8(nibbles(&w.qs), _mm256_set1_epi8(8));
        let d = _mm256_broadcastss_ps(_mm_mul_ps(f16_pair(w), act_scales(x)));
        _mm256_fmadd_ps(d, sum_i8_i8(q, load(&x.qs)), acc)
    }

    /// The dot product of rows `w` and `x` with `block` adding one block's
    /// products to an accumulator, two blocks at a time into two
    /// accumulators (the fmadd chain is the loop's critical path), with the
    /// weights fetched ahead.
    macro_rules! in_pairs {
        ($w:expr, $x:expr, $block:ident) => {{
            let (w, x) = ($w, $x);
            let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for (w, x) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
                _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().cast::<i8>().wrapping_add(PREFETCH_BYTES));
                even = $block(&w[0], &x[0], even);
                odd = $block(&w[1], &x[1], odd);
            }
            if w.len() % 2 == 1 {
                let last = w.len() - 1;
                even = $block(&w[last], &x[last], even);
            }
            hsum(_mm256_add_ps(even, odd))
        }};
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn dot_q4_0(w: &[BlockQ4_0], x: &[ActBlock]) -> f32 {
        in_pairs!(w, x, block_q4_0)
    }

    /// One block: the scaled nibble products into `acc`, and m * s into
    /// lane 1 of `offsets`.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn block_q4_1(w: &BlockQ4_1, x: &ActBlock, acc: &mut __m256, offsets: &mut __m128) {
        // Lane 0: d * x.d, lane 1: m * x.s.
        let scales = _mm_mul_ps(f16_pair(w), act_scales(x));
        let d = _mm256_broadcastss_ps(scales);
        *acc = _mm256_fmadd_ps(d, sum_u8_i8(nibbles(&w.qs), load(&x.qs)), *acc);
        *offsets = _mm_add_ps(*offsets, scales);
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn dot_q4_1(w: &[BlockQ4_1], x: &[ActBlock]) -> f32 {
        let (mut even, mut odd) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let (mut offsets_even, mut offsets_odd) = (_mm_setzero_ps(), _mm_setzero_ps());
        for (w, x) in w.chunks_exact(2).zip(x.chunks_exact(2)) {
            _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().cast::<i8>().wrapping_add(PREFETCH_BYTES));
            block_q4_1(&w[0], &x[0], &mut even, &mut offsets_even);
            block_q4_1(&w[1], &x[1], &mut odd, &mut offsets_odd);
        }
        if w.len() % 2 == 1 {
            let last = w.len() - 1;
            block_q4_1(&w[last], &x[last], &mut even, &mut offsets_even);
        }
        let offsets = _mm_add_ps(offsets_even, offsets_odd);
        hsum(_mm256_add_ps(even, odd)) + _mm_cvtss_f32(_mm_movehdup_ps(offsets))
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn block_q8_0(w: &BlockQ8_0, x: &ActBlock, acc: __m256) -> __m256 {
        let d = _mm256_broadcastss_ps(_mm_mul_ps(f16_pair(w), act_scales(x)));
        _mm256_fmadd_ps(d, sum_i8_i8(load(&w.qs), load(&x.qs)), acc)
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn dot_q8_0(w: &[BlockQ8_0], x: &[ActBlock]) -> f32 {
        in_pairs!(w, x, block_q8_0)
    }
}
