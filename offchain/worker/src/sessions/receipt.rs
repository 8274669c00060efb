//! Usage receipts as the worker reads them: the EIP-712 typed data the
//! client's session key signs (the sessions program's `Receipt`), carried
//! in the `X-Computefi-Receipt` header (the format lives in
//! [`bindings::receipt`], shared with the gateway that signs them).

pub use bindings::receipt::{domain, Receipt, ReceiptError, SignedReceipt};
