//! The kernels against the portable loops and plain f32 arithmetic, and the
//! whole forward pass against candle's `quantized_llama` on the same weights.

use std::io::Cursor;

use bytemuck::Zeroable;
use candle_core::quantized::gguf_file::{self, Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use proptest::prelude::*;

use super::blocks::{self, portable, ActBlock, BlockQ4_0, BlockQ4_1, BlockQ8_0, BLOCK};
use super::matrix::Matrix;
use super::{kernels, Llama, State};
use crate::Error;

fn acts_of(xs: &[f32]) -> Vec<ActBlock> {
    let mut out = vec![ActBlock::zeroed(); xs.len() / BLOCK];
    blocks::quantize_activations(xs, &mut out);
    out
}

/// Activations back to f32: q * d.
fn dequantize_acts(acts: &[ActBlock]) -> Vec<f32> {
    acts.iter().flat_map(|b| b.qs.iter().map(move |&q| f32::from(q) * b.d)).collect()
}

fn f32_dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum()
}

fn magnitude(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs()) * f64::from(y.abs())).sum::<f64>() + 1e-6
}

/// A finite f16 scale (as bits) of moderate size.
fn scale() -> impl Strategy<Value = u16> {
    (-2.0f32..2.0).prop_map(|v| half::f16::from_f32(v / 16.0).to_bits())
}

fn q4_0_blocks(n: usize) -> impl Strategy<Value = Vec<BlockQ4_0>> {
    prop::collection::vec((scale(), prop::array::uniform16(any::<u8>())), n)
        .prop_map(|v| v.into_iter().map(|(d, qs)| BlockQ4_0 { d, qs }).collect())
}

fn q4_1_blocks(n: usize) -> impl Strategy<Value = Vec<BlockQ4_1>> {
    prop::collection::vec((scale(), scale(), prop::array::uniform16(any::<u8>())), n)
        .prop_map(|v| v.into_iter().map(|(d, m, qs)| BlockQ4_1 { d, m, qs }).collect())
}

fn q8_0_blocks(n: usize) -> impl Strategy<Value = Vec<BlockQ8_0>> {
    prop::collection::vec((scale(), prop::array::uniform32(-127i8..=127)), n)
        .prop_map(|v| v.into_iter().map(|(d, qs)| BlockQ8_0 { d, qs }).collect())
}

fn activations(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-4.0f32..4.0, n * BLOCK)
}

/// Checks a kernel against the portable loop (same integers, other float
/// order) and both against f64 arithmetic on the dequantized values.
fn check_dot(kernel: f32, portable: f32, weights: &[f32], acts: &[ActBlock]) {
    let x = dequantize_acts(acts);
    let exact = f32_dot(weights, &x);
    let tolerance = 1e-5 * magnitude(weights, &x);
    assert!((f64::from(kernel) - exact).abs() <= tolerance, "kernel {kernel} vs {exact}");
    assert!((f64::from(portable) - exact).abs() <= tolerance, "portable {portable} vs {exact}");
}

proptest! {
    #[test]
    fn q4_0_kernel_is_the_dot_product_of_the_values(
        (w, x) in (1usize..12).prop_flat_map(|n| (q4_0_blocks(n), activations(n)))
    ) {
        let acts = acts_of(&x);
        let mut values = vec![0.0; w.len() * BLOCK];
        blocks::dequantize_q4_0(&w, &mut values);
        check_dot(kernels::dot_q4_0(&w, &acts), portable::dot_q4_0(&w, &acts), &values, &acts);
    }

    #[test]
    fn q4_1_kernel_is_the_dot_product_of_the_values(
        (w, x) in (1usize..12).prop_flat_map(|n| (q4_1_blocks(n), activations(n)))
    ) {
        let acts = acts_of(&x);
        let mut values = vec![0.0; w.len() * BLOCK];
        blocks::dequantize_q4_1(&w, &mut values);
        // The offset term uses s = d * sum(q) rounded to f16 (as GGML), so
        // allow for that rounding on top of the f32 error.
        let kernel = kernels::dot_q4_1(&w, &acts);
        let exact = f32_dot(&values, &dequantize_acts(&acts));
        let offsets: f64 = w.iter().zip(&acts)
            .map(|(w, a)| f64::from(blocks::f16_to_f32(w.m).abs()) * f64::from(a.s.abs()))
            .sum();
        let tolerance = 1e-5 * magnitude(&values, &dequantize_acts(&acts)) + 1e-3 * offsets;
        prop_assert!((f64::from(kernel) - exact).abs() <= tolerance, "{kernel} vs {exact}");
        let portable = portable::dot_q4_1(&w, &acts);
        prop_assert!((f64::from(kernel) - f64::from(portable)).abs() <= tolerance);
    }

    #[test]
    fn q8_0_kernel_is_the_dot_product_of_the_values(
        (w, x) in (1usize..12).prop_flat_map(|n| (q8_0_blocks(n), activations(n)))
    ) {
        let acts = acts_of(&x);
        let mut values = vec![0.0; w.len() * BLOCK];
        blocks::dequantize_q8_0(&w, &mut values);
        check_dot(kernels::dot_q8_0(&w, &acts), portable::dot_q8_0(&w, &acts), &values, &acts);
    }

    #[test]
    fn activations_round_to_within_half_a_step(x in activations(3)) {
        let acts = acts_of(&x);
        let back = dequantize_acts(&acts);
        for (block, (xs, ys)) in acts.iter().zip(x.chunks(BLOCK).zip(back.chunks(BLOCK))) {
            let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
            // d is amax / 127 rounded to f16 (relative error <= 2^-11).
            prop_assert!((block.d - amax / 127.0).abs() <= amax / 127.0 / 1024.0 + 1e-12);
            for (a, b) in xs.iter().zip(ys) {
                prop_assert!((a - b).abs() <= block.d * 0.51 + amax / 1024.0, "{a} {b}");
            }
            let sum: i32 = block.qs.iter().map(|&q| i32::from(q)).sum();
            #[allow(clippy::cast_precision_loss)]
            let s = sum as f32 * (amax / 127.0);
            prop_assert!((block.s - s).abs() <= s.abs() / 1024.0 + 1e-6);
        }
    }
}

/// A deterministic stream of values in [-1, 1) (xorshift).
struct Noise(u64);

impl Noise {
    fn values(&mut self, n: usize, amplitude: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                #[allow(clippy::cast_precision_loss)]
                let unit = (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
                unit * amplitude
            })
            .collect()
    }
}

/// The shape of the synthetic model: GQA with 2 query heads per key head.
const HIDDEN: usize = 64;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const FFN: usize = 128;
const VOCAB: usize = 96;
const LAYERS: usize = 2;

fn quantized(noise: &mut Noise, rows: usize, cols: usize, dtype: GgmlDType) -> QTensor {
    let t = Tensor::from_vec(noise.values(rows * cols, 0.3), (rows, cols), &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

/// A random llama GGUF in memory: `dtype` for most matrices, F16 for the
/// first layer's `attn_v` and `Q5_0` for its `ffn_up` (both converted to
/// `Q8_0` at load), `Q8_0` for the embedding (tied to the output).
fn synthetic_gguf(dtype: GgmlDType) -> Vec<u8> {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut tensors = vec![
        ("token_embd.weight".to_owned(), quantized(&mut noise, VOCAB, HIDDEN, GgmlDType::Q8_0)),
        ("output_norm.weight".to_owned(), norm(&mut noise, HIDDEN)),
    ];
    let kv = HIDDEN / HEADS * KV_HEADS;
    for l in 0..LAYERS {
        let mut add = |name: &str, t: QTensor| tensors.push((format!("blk.{l}.{name}.weight"), t));
        add("attn_norm", norm(&mut noise, HIDDEN));
        add("ffn_norm", norm(&mut noise, HIDDEN));
        add("attn_q", quantized(&mut noise, HIDDEN, HIDDEN, dtype));
        add("attn_k", quantized(&mut noise, kv, HIDDEN, dtype));
        let v_type = if l == 0 { GgmlDType::F16 } else { dtype };
        add("attn_v", quantized(&mut noise, kv, HIDDEN, v_type));
        add("attn_output", quantized(&mut noise, HIDDEN, HIDDEN, dtype));
        add("ffn_gate", quantized(&mut noise, FFN, HIDDEN, dtype));
        let up_type = if l == 0 { GgmlDType::Q5_0 } else { dtype };
        add("ffn_up", quantized(&mut noise, FFN, HIDDEN, up_type));
        add("ffn_down", quantized(&mut noise, HIDDEN, FFN, dtype));
    }
    let meta = [
        ("general.architecture", Value::String("llama".into())),
        ("llama.embedding_length", Value::U32(64)),
        ("llama.attention.head_count", Value::U32(4)),
        ("llama.attention.head_count_kv", Value::U32(2)),
        ("llama.block_count", Value::U32(2)),
        ("llama.feed_forward_length", Value::U32(128)),
        ("llama.context_length", Value::U32(64)),
        ("llama.rope.dimension_count", Value::U32(16)),
        ("llama.rope.freq_base", Value::F32(10_000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
    ];
    let meta: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (*k, v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &meta, &tensors).unwrap();
    out.into_inner()
}

fn norm(noise: &mut Noise, len: usize) -> QTensor {
    let values: Vec<f32> = noise.values(len, 0.2).iter().map(|v| 1.0 + v).collect();
    QTensor::quantize(&Tensor::from_vec(values, len, &Device::Cpu).unwrap(), GgmlDType::F32)
        .unwrap()
}

/// Logits of candle's `quantized_llama` for `steps`: a prompt, then one
/// token at a time.
fn candle_logits(gguf: &[u8], steps: &[&[u32]]) -> Vec<Vec<f32>> {
    let mut reader = Cursor::new(gguf);
    let content = Content::read(&mut reader).unwrap();
    let mut model = ModelWeights::from_gguf(content, &mut reader, &Device::Cpu).unwrap();
    let mut position = 0;
    steps
        .iter()
        .map(|tokens| {
            let input = Tensor::new(*tokens, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
            let logits = model.forward(&input, position).unwrap();
            position += tokens.len();
            logits.flatten_all().unwrap().to_vec1().unwrap()
        })
        .collect()
}

fn load(gguf: &[u8], threads: usize) -> Result<Llama, Error> {
    let mut reader = Cursor::new(gguf);
    let content = Content::read(&mut reader).unwrap();
    Llama::load(&content, &mut reader, 4096, threads)
}

fn own_logits(model: &Llama, steps: &[&[u32]]) -> Vec<Vec<f32>> {
    let mut state = State::new();
    steps.iter().map(|tokens| model.forward(&mut state, tokens).unwrap().to_vec()).collect()
}

/// The largest logit difference relative to the largest logit.
fn relative_gap(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

const STEPS: [&[u32]; 4] = [&[5, 17, 3, 88, 42, 9, 60], &[11], &[95], &[0]];

/// Checks our logits against candle's llama computing in plain f32 on the
/// dequantized weights, with candle's own quantized llama as the yardstick:
/// quantizing activations to 8 bits (both engines do, as llama.cpp does)
/// moves the logits by a few percent of the largest; a wrong rotation,
/// head mapping or norm moves them by tens of percent.
fn check_against_f32(gguf: &[u8], steps: &[&[u32]], label: &str) {
    let ours = own_logits(&load(gguf, 1).unwrap(), steps);
    let exact = candle_logits(&dequantized(gguf), steps);
    let candle = candle_logits(gguf, steps);
    for (step, ((ours, exact), candle)) in ours.iter().zip(&exact).zip(&candle).enumerate() {
        let (gap, yardstick) = (relative_gap(ours, exact), relative_gap(candle, exact));
        eprintln!("{label} step {step}: ours {gap:.4}, candle {yardstick:.4} from f32");
        assert!(
            gap <= 1.5 * yardstick + 0.01,
            "{label} step {step}: {gap} of the largest logit from f32, candle's quantized \
             llama {yardstick}"
        );
        assert!(gap < 0.08, "{label} step {step}: {gap}");
    }
}

#[test]
fn forward_pass_is_as_close_to_f32_as_candles_quantized_llama() {
    for dtype in [GgmlDType::Q8_0, GgmlDType::Q4_0, GgmlDType::Q4_1] {
        let gguf = synthetic_gguf(dtype);
        check_against_f32(&gguf, &STEPS, &format!("{dtype:?}"));
        let logits = own_logits(&load(&gguf, 1).unwrap(), &STEPS);
        assert!(logits.iter().all(|l| l.len() == VOCAB));
    }
}

#[test]
fn a_thread_pool_and_a_prompt_at_once_change_nothing() {
    let gguf = synthetic_gguf(GgmlDType::Q4_1);
    let one = own_logits(&load(&gguf, 1).unwrap(), &STEPS);
    // Every row's dot product is computed the same way on any thread.
    assert_eq!(own_logits(&load(&gguf, 3).unwrap(), &STEPS), one);
    // The prompt fed one token at a time gives the same last logits (up to
    // float order: a batch reorders nothing in a row, so they are equal).
    let model = load(&gguf, 1).unwrap();
    let single: Vec<&[u32]> = STEPS[0].chunks(1).collect();
    let stepwise = own_logits(&model, &single);
    assert_eq!(stepwise.last(), one.first());
}

#[test]
fn state_clears_and_bad_input_is_an_error() {
    let gguf = synthetic_gguf(GgmlDType::Q8_0);
    let model = load(&gguf, 1).unwrap();
    let mut state = State::new();
    let first = model.forward(&mut state, &[1, 2, 3]).unwrap().to_vec();
    assert_eq!(state.len(), 3);
    state.clear();
    assert_eq!(state.len(), 0);
    assert_eq!(model.forward(&mut state, &[1, 2, 3]).unwrap(), first.as_slice());
    // Nothing is cached by a refused pass.
    let u32_vocab = u32::try_from(VOCAB).unwrap();
    assert!(matches!(model.forward(&mut state, &[u32_vocab]), Err(Error::Tokenizer(_))));
    assert!(matches!(model.forward(&mut state, &[]), Err(Error::Tokenizer(_))));
    assert!(matches!(model.forward(&mut state, &[0; 62]), Err(Error::Config(_))));
    assert_eq!(state.len(), 3);
    assert_eq!(model.hyper_params().context, 64);
    assert!(matches!(load(&gguf, 0), Err(Error::Config(_))));
}

#[test]
fn matrices_of_the_wrong_shape_or_missing_are_refused() {
    let mut noise = Noise(7);
    let gguf = synthetic_gguf(GgmlDType::Q8_0);
    let mut reader = Cursor::new(gguf.as_slice());
    let mut content = Content::read(&mut reader).unwrap();
    content.tensor_infos.remove("blk.1.ffn_down.weight");
    let err = Llama::load(&content, &mut reader, 4096, 1).unwrap_err();
    assert!(err.to_string().contains("blk.1.ffn_down.weight"), "{err}");
    let mut reader = Cursor::new(gguf.as_slice());
    let mut content = Content::read(&mut reader).unwrap();
    content.metadata.insert("llama.embedding_length".into(), Value::U32(0));
    let err = Llama::load(&content, &mut reader, 4096, 1).unwrap_err();
    assert!(err.to_string().contains("multiples of 32"), "{err}");
    let odd = quantized(&mut noise, 3, 64, GgmlDType::Q8_0);
    let m = Matrix::from_qtensor("odd", &odd).unwrap();
    assert_eq!((m.rows(), m.cols()), (3, 64));
    let vector = QTensor::quantize(
        &Tensor::from_vec(vec![0f32; 64], 64, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap();
    assert!(matches!(Matrix::from_qtensor("v", &vector), Err(Error::Model { .. })));
}

#[test]
fn the_bundled_model_is_as_close_to_f32_as_candles_quantized_llama() {
    let path = crate::locate_model().expect("the model is installed (scripts/install-model.sh)");
    let gguf = std::fs::read(path).unwrap();
    let model = load(&gguf, 1).unwrap();
    let hp = *model.hyper_params();
    assert_eq!((hp.layers, hp.hidden, hp.heads, hp.kv_heads, hp.vocab), (30, 576, 9, 3, 49_152));
    // "<|im_start|>user\nHi" and three more tokens.
    let steps: [&[u32]; 4] = [&[1, 4093, 198, 26843], &[2], &[198], &[1]];
    check_against_f32(&gguf, &steps, "SmolLM2-135M");
}

/// The GGUF with every tensor dequantized to F32: candle then computes in
/// plain f32, without quantizing activations.
fn dequantized(gguf: &[u8]) -> Vec<u8> {
    let mut reader = Cursor::new(gguf);
    let content = Content::read(&mut reader).unwrap();
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let tensors: Vec<(String, QTensor)> = names
        .into_iter()
        .map(|name| {
            let t = content.tensor(&mut reader, name, &Device::Cpu).unwrap();
            let values = t.dequantize(&Device::Cpu).unwrap();
            (name.clone(), QTensor::quantize(&values, GgmlDType::F32).unwrap())
        })
        .collect();
    let meta: Vec<(&str, &Value)> = content.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &meta, &refs).unwrap();
    out.into_inner()
}
