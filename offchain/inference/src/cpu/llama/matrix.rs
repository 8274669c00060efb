//! Weight matrices in their GGUF block format, and the matrix products of
//! the forward pass.

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;
use rayon::prelude::*;

use super::blocks::{self, ActBlock, BlockQ4_0, BlockQ4_1, BlockQ8_0, BLOCK};
use super::kernels;
use crate::Error;

/// Rows handed to a thread at a time: enough to amortise the hand-off,
/// few enough that both threads finish together.
const ROWS_PER_TASK: usize = 64;

/// The blocks of a matrix, by format.
#[derive(Debug)]
enum Blocks {
    Q4_0(Vec<BlockQ4_0>),
    Q4_1(Vec<BlockQ4_1>),
    Q8_0(Vec<BlockQ8_0>),
}

/// A `rows x cols` weight matrix, row-major, `cols / 32` blocks a row.
#[derive(Debug)]
pub(crate) struct Matrix {
    rows: usize,
    cols: usize,
    blocks: Blocks,
}

/// Formats the engine computes with as they are; any other is converted to
/// `Q8_0` at load (more memory, and a weight change far below the original
/// quantization error).
fn native(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0)
}

impl Matrix {
    /// Takes a 2-D tensor of the GGUF (candle's shape: rows, then columns).
    pub(crate) fn from_qtensor(name: &str, tensor: &QTensor) -> Result<Self, Error> {
        let (rows, cols) = match tensor.shape().dims() {
            &[rows, cols] => (rows, cols),
            dims => {
                return Err(Error::model(name, format!("expected a matrix, got shape {dims:?}")))
            }
        };
        if cols % BLOCK != 0 || rows == 0 {
            return Err(Error::model(name, format!("unsupported shape {rows}x{cols}")));
        }
        let converted;
        let tensor = if native(tensor.dtype()) {
            tensor
        } else {
            let values =
                tensor.dequantize(&Device::Cpu).map_err(Error::candle("dequantizing a tensor"))?;
            converted = QTensor::quantize(&values, GgmlDType::Q8_0)
                .map_err(Error::candle("quantizing a tensor to Q8_0"))?;
            &converted
        };
        let bytes = tensor.data().map_err(Error::candle("reading a tensor's blocks"))?;
        let expected = rows * cols / BLOCK;
        let blocks = match tensor.dtype() {
            GgmlDType::Q4_0 => Blocks::Q4_0(cast(name, &bytes, expected)?),
            GgmlDType::Q4_1 => Blocks::Q4_1(cast(name, &bytes, expected)?),
            _ => Blocks::Q8_0(cast(name, &bytes, expected)?),
        };
        Ok(Self { rows, cols, blocks })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// Writes row `row` as f32 values into `out` (`cols` long): an
    /// embedding lookup.
    pub(crate) fn row_into(&self, row: usize, out: &mut [f32]) {
        let per_row = self.cols / BLOCK;
        let range = row * per_row..(row + 1) * per_row;
        match &self.blocks {
            Blocks::Q4_0(b) => blocks::dequantize_q4_0(&b[range], out),
            Blocks::Q4_1(b) => blocks::dequantize_q4_1(&b[range], out),
            Blocks::Q8_0(b) => blocks::dequantize_q8_0(&b[range], out),
        }
    }

    /// `out = m · xs` for each `(m, out)` of `parts`, matrices of the same
    /// width with the same input: `xs` holds `n` rows of `cols / 32`
    /// blocks and each `out` holds `n` rows of its matrix's `rows`.
    /// `parallel` splits the work across the rayon pool the caller runs in.
    ///
    /// One input row (a generated token): the rows of all matrices are split
    /// as one piece of work, one hand-off instead of one per matrix. More
    /// (a prompt): each weight row is read once for all `n` inputs, while it
    /// is in cache; the products are gathered by weight row in `scratch`
    /// and then laid out by input.
    pub(crate) fn matmul_all(
        parts: &mut [(&Matrix, &mut [f32])],
        xs: &[ActBlock],
        scratch: &mut Vec<f32>,
        parallel: bool,
    ) {
        let Some(per_row) = parts.first().map(|(m, _)| m.cols / BLOCK) else {
            return;
        };
        let n = xs.len() / per_row;
        if n == 1 {
            Self::matvec_all(parts, xs, parallel);
            return;
        }
        for (m, out) in parts.iter_mut() {
            debug_assert_eq!(out.len(), n * m.rows);
            scratch.clear();
            scratch.resize(n * m.rows, 0.0);
            m.rows_into(xs, n, scratch, parallel);
            for (r, products) in scratch.chunks_exact(n).enumerate() {
                for (t, &p) in products.iter().enumerate() {
                    out[t * m.rows + r] = p;
                }
            }
        }
    }

    /// [`Matrix::matmul_all`] for one input row.
    fn matvec_all(parts: &mut [(&Matrix, &mut [f32])], x: &[ActBlock], parallel: bool) {
        let mut tasks = Vec::with_capacity(64);
        for (m, out) in parts.iter_mut() {
            debug_assert_eq!(out.len(), m.rows);
            for (i, chunk) in out.chunks_mut(ROWS_PER_TASK).enumerate() {
                tasks.push((&**m, i * ROWS_PER_TASK, chunk));
            }
        }
        let run = |(m, first, out): (&Matrix, usize, &mut [f32])| m.rows_range(first, x, 1, out);
        if parallel {
            tasks.into_par_iter().for_each(run);
        } else {
            tasks.into_iter().for_each(run);
        }
    }

    /// `by_row[r * n + t] = row r · xs[t]`.
    fn rows_into(&self, xs: &[ActBlock], n: usize, by_row: &mut [f32], parallel: bool) {
        let task = |(chunk, out): (usize, &mut [f32])| {
            self.rows_range(chunk * ROWS_PER_TASK, xs, n, out);
        };
        if parallel {
            by_row.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(task);
        } else {
            by_row.chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(task);
        }
    }

    /// The products for the rows from `first` on that fit `out`.
    fn rows_range(&self, first: usize, xs: &[ActBlock], n: usize, out: &mut [f32]) {
        let per_row = self.cols / BLOCK;
        let inputs = || xs.chunks_exact(per_row);
        macro_rules! each_row {
            ($blocks:expr, $dot:path) => {
                for (i, products) in out.chunks_exact_mut(n).enumerate() {
                    let row = first + i;
                    let w = &$blocks[row * per_row..(row + 1) * per_row];
                    for (p, x) in products.iter_mut().zip(inputs()) {
                        *p = $dot(w, x);
                    }
                }
            };
        }
        match &self.blocks {
            Blocks::Q4_0(b) => each_row!(b, kernels::dot_q4_0),
            Blocks::Q4_1(b) => each_row!(b, kernels::dot_q4_1),
            Blocks::Q8_0(b) => each_row!(b, kernels::dot_q8_0),
        }
    }
}

/// The file's bytes as blocks (copied: GGUF data is only byte-aligned).
fn cast<B: bytemuck::Pod>(name: &str, bytes: &[u8], expected: usize) -> Result<Vec<B>, Error> {
    if bytes.len() != expected * std::mem::size_of::<B>() {
        return Err(Error::model(
            name,
            format!("{} bytes of blocks, expected {expected} blocks", bytes.len()),
        ));
    }
    Ok(bytemuck::pod_collect_to_vec(bytes))
}

/// A 1-D f32 tensor of the GGUF (a norm's weights), of length `len`.
pub(crate) fn vector(name: &str, tensor: &QTensor, len: usize) -> Result<Vec<f32>, Error> {
    let values = tensor
        .dequantize(&Device::Cpu)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(Error::candle("reading a vector"))?;
    if values.len() == len {
        Ok(values)
    } else {
        Err(Error::model(name, format!("{} values, expected {len}", values.len())))
    }
}
