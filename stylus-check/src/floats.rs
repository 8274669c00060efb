//! Classification of floating-point instructions and types.
//!
//! Stylus programs must not use floats. The list below is every scalar
//! `f32`/`f64` operator of the features Stylus enables (MVP and
//! saturating-float-to-int); SIMD float operators never get this far because
//! SIMD itself is rejected by validation. As a backstop,
//! [`check_program`](super::check_program) also validates the module with
//! floats disabled, so an operator missing here is still reported.

use wasmparser::{BlockType, Operator, ValType};

/// Whether `ty` is a floating-point value type.
pub(crate) fn is_float_type(ty: ValType) -> bool {
    matches!(ty, ValType::F32 | ValType::F64)
}

/// Whether a block type mentions a floating-point value type directly.
/// (Block types given by index refer to the type section, checked there.)
pub(crate) fn is_float_block(ty: BlockType) -> bool {
    matches!(ty, BlockType::Type(t) if is_float_type(t))
}

/// Whether `op` consumes or produces a floating-point value.
pub(crate) fn is_float_operator(op: &Operator<'_>) -> bool {
    use Operator as O;
    match op {
        O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => is_float_block(*blockty),
        _ => matches!(
            op,
            O::F32Load { .. }
                | O::F64Load { .. }
                | O::F32Store { .. }
                | O::F64Store { .. }
                | O::F32Const { .. }
                | O::F64Const { .. }
                | O::F32Eq
                | O::F32Ne
                | O::F32Lt
                | O::F32Gt
                | O::F32Le
                | O::F32Ge
                | O::F64Eq
                | O::F64Ne
                | O::F64Lt
                | O::F64Gt
                | O::F64Le
                | O::F64Ge
                | O::F32Abs
                | O::F32Neg
                | O::F32Ceil
                | O::F32Floor
                | O::F32Trunc
                | O::F32Nearest
                | O::F32Sqrt
                | O::F32Add
                | O::F32Sub
                | O::F32Mul
                | O::F32Div
                | O::F32Min
                | O::F32Max
                | O::F32Copysign
                | O::F64Abs
                | O::F64Neg
                | O::F64Ceil
                | O::F64Floor
                | O::F64Trunc
                | O::F64Nearest
                | O::F64Sqrt
                | O::F64Add
                | O::F64Sub
                | O::F64Mul
                | O::F64Div
                | O::F64Min
                | O::F64Max
                | O::F64Copysign
                | O::I32TruncF32S
                | O::I32TruncF32U
                | O::I32TruncF64S
                | O::I32TruncF64U
                | O::I64TruncF32S
                | O::I64TruncF32U
                | O::I64TruncF64S
                | O::I64TruncF64U
                | O::F32ConvertI32S
                | O::F32ConvertI32U
                | O::F32ConvertI64S
                | O::F32ConvertI64U
                | O::F32DemoteF64
                | O::F64ConvertI32S
                | O::F64ConvertI32U
                | O::F64ConvertI64S
                | O::F64ConvertI64U
                | O::F64PromoteF32
                | O::I32ReinterpretF32
                | O::I64ReinterpretF64
                | O::F32ReinterpretI32
                | O::F64ReinterpretI64
                | O::I32TruncSatF32S
                | O::I32TruncSatF32U
                | O::I32TruncSatF64S
                | O::I32TruncSatF64U
                | O::I64TruncSatF32S
                | O::I64TruncSatF32U
                | O::I64TruncSatF64S
                | O::I64TruncSatF64U
        ),
    }
}
