//! The control-flow graph and CPython's optimizations on it — `Python/flowgraph.c`.
//!
//! Input: a [`CodeUnit`] as codegen leaves it. Output: the optimized instruction list the
//! assembler lays out.
