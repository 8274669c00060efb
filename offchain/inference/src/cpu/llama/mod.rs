//! The llama forward pass over a GGUF's quantized weights.
//!
//! Why not candle's `quantized_llama`: on this model a token is ~450 small
//! tensor operations, and candle's per-operation cost (allocating, shape
//! checks, a thread hand-off per matmul) and its scalar `Q4_1` dot product
//! left it at 60-78 % of llama.cpp's speed on the same file. Here the pass
//! works in buffers allocated once per request, with AVX2 kernels for the
//! formats small GGUFs use (`Q4_0`, `Q4_1`, `Q8_0`; others are converted to
//! `Q8_0` at load) and an optional thread pool of the backend's own.
//! candle still reads the GGUF and converts formats; its `quantized_llama`
//! is the reference in the tests.

mod blocks;
mod forward;
mod kernels;
mod matrix;
#[cfg(test)]
mod tests;

use std::io::{Read, Seek};

use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::QTensor;
use candle_core::Device;
use rayon::ThreadPool;

pub(crate) use forward::State;
use matrix::{vector, Matrix};

use crate::{gguf_meta, Error};

/// The shape of a llama model, from the GGUF's metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HyperParams {
    pub(crate) hidden: usize,
    pub(crate) layers: usize,
    pub(crate) heads: usize,
    pub(crate) kv_heads: usize,
    pub(crate) head_dim: usize,
    pub(crate) ffn: usize,
    pub(crate) vocab: usize,
    pub(crate) context: usize,
    pub(crate) rms_eps: f32,
    pub(crate) rope_base: f32,
}

impl HyperParams {
    fn read(content: &Content, max_context: usize) -> Result<Self, Error> {
        let meta = &content.metadata;
        let int = |key: &str| gguf_meta::uint(meta, key).map(|v| v as usize);
        let hidden = int("llama.embedding_length")?;
        let heads = int("llama.attention.head_count")?;
        let kv_heads = gguf_meta::optional_uint(meta, "llama.attention.head_count_kv")?
            .map_or(heads, |v| v as usize);
        if heads == 0 || kv_heads == 0 || hidden % heads != 0 || heads % kv_heads != 0 {
            return Err(Error::model(
                "llama.attention.head_count",
                format!("{heads} heads ({kv_heads} for keys and values) cannot split {hidden}"),
            ));
        }
        let ffn = int("llama.feed_forward_length")?;
        // Every matrix is read in blocks of 32 along its input.
        if hidden == 0 || hidden % blocks::BLOCK != 0 || ffn == 0 || ffn % blocks::BLOCK != 0 {
            return Err(Error::model(
                "llama.embedding_length",
                format!(
                    "widths {hidden} and {ffn} (feed-forward) must be positive multiples of 32"
                ),
            ));
        }
        let head_dim = hidden / heads;
        let rope_dim =
            gguf_meta::optional_uint(meta, "llama.rope.dimension_count")?.map(|v| v as usize);
        if rope_dim.is_some_and(|d| d != head_dim) || head_dim % 2 != 0 {
            return Err(Error::model(
                "llama.rope.dimension_count",
                format!("partial or odd rotary dimensions ({rope_dim:?} of {head_dim})"),
            ));
        }
        let vocab = content
            .tensor_infos
            .get("token_embd.weight")
            .and_then(|info| info.shape.dims().first().copied())
            .ok_or_else(|| Error::model("token_embd.weight", "missing or without dimensions"))?;
        Ok(Self {
            hidden,
            layers: int("llama.block_count")?,
            heads,
            kv_heads,
            head_dim,
            ffn,
            vocab,
            context: int("llama.context_length")?.min(max_context),
            rms_eps: gguf_meta::optional_f32(meta, "llama.attention.layer_norm_rms_epsilon")?
                .unwrap_or(1e-5),
            rope_base: gguf_meta::optional_f32(meta, "llama.rope.freq_base")?.unwrap_or(10_000.0),
        })
    }

    /// Width of the keys (and values) of one token in one layer.
    pub(crate) fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
}

/// One transformer block's weights.
#[derive(Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    q: Matrix,
    k: Matrix,
    v: Matrix,
    o: Matrix,
    ffn_norm: Vec<f32>,
    gate: Matrix,
    up: Matrix,
    down: Matrix,
}

/// A loaded llama model. Immutable: a request's state lives in [`State`].
pub(crate) struct Llama {
    hp: HyperParams,
    embed: Matrix,
    /// `None`: the output projection is the embedding (tied weights).
    output: Option<Matrix>,
    norm: Vec<f32>,
    layers: Vec<Layer>,
    /// cos and sin of every position's rotary angles, `context x head_dim / 2`.
    rope: (Vec<f32>, Vec<f32>),
    pool: Option<ThreadPool>,
}

impl std::fmt::Debug for Llama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llama").field("hp", &self.hp).finish_non_exhaustive()
    }
}

/// Reads tensors by name, checking each one's shape.
struct Loader<'a, R> {
    content: &'a Content,
    reader: &'a mut R,
}

impl<R: Read + Seek> Loader<'_, R> {
    fn tensor(&mut self, name: &str) -> Result<QTensor, Error> {
        if !self.content.tensor_infos.contains_key(name) {
            return Err(Error::model(name, "missing from the GGUF"));
        }
        self.content
            .tensor(self.reader, name, &Device::Cpu)
            .map_err(Error::candle("reading a tensor"))
    }

    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<Matrix, Error> {
        let m = Matrix::from_qtensor(name, &self.tensor(name)?)?;
        if (m.rows(), m.cols()) == (rows, cols) {
            Ok(m)
        } else {
            Err(Error::model(
                name,
                format!("shape {}x{}, expected {rows}x{cols}", m.rows(), m.cols()),
            ))
        }
    }

    fn vector(&mut self, name: &str, len: usize) -> Result<Vec<f32>, Error> {
        vector(name, &self.tensor(name)?, len)
    }

    fn layer(&mut self, i: usize, hp: &HyperParams) -> Result<Layer, Error> {
        let name = |t: &str| format!("blk.{i}.{t}.weight");
        let (h, kv) = (hp.hidden, hp.kv_width());
        Ok(Layer {
            attn_norm: self.vector(&name("attn_norm"), h)?,
            q: self.matrix(&name("attn_q"), h, h)?,
            k: self.matrix(&name("attn_k"), kv, h)?,
            v: self.matrix(&name("attn_v"), kv, h)?,
            o: self.matrix(&name("attn_output"), h, h)?,
            ffn_norm: self.vector(&name("ffn_norm"), h)?,
            gate: self.matrix(&name("ffn_gate"), hp.ffn, h)?,
            up: self.matrix(&name("ffn_up"), hp.ffn, h)?,
            down: self.matrix(&name("ffn_down"), h, hp.ffn)?,
        })
    }
}

impl Llama {
    /// Loads a llama-architecture GGUF, its context capped at `max_context`
    /// tokens; `threads` above 1 gives the model a thread pool of its own.
    pub(crate) fn load<R: Read + Seek>(
        content: &Content,
        reader: &mut R,
        max_context: usize,
        threads: usize,
    ) -> Result<Self, Error> {
        // Checked before ~100 MB of weights are read.
        let pool = match threads {
            0 => return Err(Error::Config("threads must be at least 1".into())),
            1 => None,
            n => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("inference-{i}"))
                    .build()
                    .map_err(|e| Error::Config(format!("starting {n} compute threads: {e}")))?,
            ),
        };
        let hp = HyperParams::read(content, max_context)?;
        let mut loader = Loader { content, reader };
        let embed = loader.matrix("token_embd.weight", hp.vocab, hp.hidden)?;
        let output = if content.tensor_infos.contains_key("output.weight") {
            Some(loader.matrix("output.weight", hp.vocab, hp.hidden)?)
        } else {
            None
        };
        let norm = loader.vector("output_norm.weight", hp.hidden)?;
        let layers = (0..hp.layers).map(|i| loader.layer(i, &hp)).collect::<Result<_, _>>()?;
        Ok(Self { rope: rope_tables(&hp), hp, embed, output, norm, layers, pool })
    }

    /// The model's shape.
    pub(crate) fn hyper_params(&self) -> &HyperParams {
        &self.hp
    }
}

/// The rotary angles `pos * base^(-2i / head_dim)`, as candle and llama.cpp
/// compute them in f32.
fn rope_tables(hp: &HyperParams) -> (Vec<f32>, Vec<f32>) {
    let half = hp.head_dim / 2;
    #[allow(clippy::cast_precision_loss)]
    let freqs: Vec<f32> =
        (0..half).map(|i| 1.0 / hp.rope_base.powf((2 * i) as f32 / hp.head_dim as f32)).collect();
    let mut cos = Vec::with_capacity(hp.context * half);
    let mut sin = Vec::with_capacity(hp.context * half);
    for pos in 0..hp.context {
        for &f in &freqs {
            #[allow(clippy::cast_precision_loss)]
            let angle = pos as f32 * f;
            cos.push(angle.cos());
            sin.push(angle.sin());
        }
    }
    (cos, sin)
}
