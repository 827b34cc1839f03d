//! The JIT stages of cpyviz: how CPython's copy-and-patch JIT (PEP 744) turns a trace of
//! micro-ops into machine code.
//!
//! - [`builtin`]: cpyviz's own stencils, assembled from source in this crate (iced-x86's code
//!   assembler for x86-64, dynasm for AArch64), shaped like CPython's and labeled as a model.
//! - [`header`]: reads (and writes) the `jit_stencils-<triple>.h` a CPython JIT build leaves.
//! - [`store`]: the per-user store of imported stencil sets.
//! - [`patch`] and [`compile`]: the copy-and-patch engine of `Python/jit.c`, per version —
//!   sizing, layout, every patch function, trampolines and the trace GOT, against a
//!   [`cpyviz_model::jit::MemoryModel`].
//! - [`explain`]: the trampoline bitmask explainer (`get_trampoline_slot` step by step).
//! - [`disasm`]: disassembly of x86-64 (iced-x86) and AArch64 (yaxpeax-arm).
//! - [`trace`]: the trace a region is compiled from, taken from a recorded executor (3.15: with
//!   the register-cached variant of each uop, recorded or chosen as the optimizer does).
//! - [`check`]: the model's predictions checked against a region a real CPython made.
//! - [`dump`]: the text listings of `cpyviz dump jit` and `cpyviz dump trampolines`.

pub mod builtin;
pub mod check;
pub mod compile;
pub mod disasm;
pub mod dump;
pub mod explain;
pub mod header;
pub mod memory;
pub mod patch;
pub mod store;
pub mod trace;
