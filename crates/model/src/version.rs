//! CPython version profiles.
//!
//! What differs between the CPython versions cpyviz models is a named field of its [`Profile`]
//! here (or a generated table the profile points to); code elsewhere reads those fields and
//! never compares version numbers.

use crate::tables::Tables;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A CPython version cpyviz has a profile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PyVersion {
    #[serde(rename = "3.14")]
    V3_14,
    #[serde(rename = "3.15")]
    V3_15,
}

impl PyVersion {
    pub const ALL: [PyVersion; 2] = [PyVersion::V3_14, PyVersion::V3_15];

    /// The version's facts.
    pub fn profile(self) -> &'static Profile {
        match self {
            PyVersion::V3_14 => &PROFILE_3_14,
            PyVersion::V3_15 => &PROFILE_3_15,
        }
    }

    /// The version's position in [`PyVersion::ALL`] (an index for per-version caches).
    pub fn index(self) -> usize {
        self as usize
    }

    /// `"3.14"` or `"3.15"`.
    pub fn label(self) -> &'static str {
        self.profile().label
    }

    /// The other profile (for the 3.14 ↔ 3.15 toggle).
    pub fn toggled(self) -> PyVersion {
        match self {
            PyVersion::V3_14 => PyVersion::V3_15,
            PyVersion::V3_15 => PyVersion::V3_14,
        }
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for PyVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "3.14" | "314" => Ok(PyVersion::V3_14),
            "3.15" | "315" => Ok(PyVersion::V3_15),
            other => Err(format!(
                "unsupported CPython version '{other}': cpyviz has profiles for 3.14 and 3.15"
            )),
        }
    }
}

/// Facts about one CPython version that change what a stage shows.
#[derive(Debug)]
pub struct Profile {
    pub version: PyVersion,
    pub label: &'static str,
    /// `sys.version_info[:2]`: the version whose tools' output formats apply.
    pub version_info: (u32, u32),

    // ----- data tables -----
    /// The version's instruction set: opcodes, uops, their metadata and constants
    /// (generated into `tables/v3_1x.rs`).
    pub tables: &'static Tables,
    /// `tables/unicode/3.1x.txt`, the Unicode facts of the version's `unicodedata` (3.14 ships
    /// Unicode 16.0, 3.15 Unicode 17.0), read by [`crate::unicode::data`].
    pub unicode_table: &'static str,
    /// `tables/interned/3.1x.txt`, the strings interned before `python -m dis` compiles a file,
    /// read by [`crate::tables::interned_at_compile`].
    pub interned_at_compile: &'static str,
    /// `tables/interned/3.1x-run.txt`: the same before `stage.py` compiles a file to run it.
    pub interned_at_run_compile: &'static str,

    // ----- tokenizer and parser -----
    /// An f-string's "expecting '}'" error names the line of the replacement field's `{` when
    /// that is another line (`… to close '{' on line N`).
    pub fstring_brace_error_names_line: bool,
    /// PEP 810's `lazy import` / `lazy from … import`: the soft keyword, the `is_lazy` field of
    /// `Import` and `ImportFrom`, and the symbol table's checks of where such an import stands.
    pub has_lazy_imports: bool,
    /// PEP 798's unpacking in comprehensions (`[*x for x in y]`, `{**d for d in ds}`), with its
    /// grammar's errors for a misplaced `*` or `**` (3.14 reports those as unpacking that
    /// "cannot be used in comprehension", or as plain invalid syntax).
    pub has_comprehension_unpacking: bool,
    /// The error for a bare `*` without a keyword-only parameter after it (3.14 says
    /// "arguments", 3.15 "parameters").
    pub bare_star_error: &'static str,
    /// The symtable's error for `def f(a, a)` (3.14 "duplicate argument 'a' in function
    /// definition", 3.15 "duplicate parameter …"): the words before the quoted name.
    pub duplicate_param_error: &'static str,
    /// `assert a.b := 1`: the grammar names a walrus in an assert's test or message ("cannot use
    /// named expression without parentheses here", from the target to the value); 3.14 says
    /// "invalid syntax" at the `:=`.
    pub assert_walrus_error: bool,
    /// `{"a": 1, "b" 2}`: a dict key followed by another expression is reported as "':' expected
    /// after dictionary key" (3.15 does so only when `,` or `}` follows the key).
    pub dict_key_colon_error_before_expression: bool,
    /// `ast.dump` leaves out `ctx=Load()` (3.15: a field equal to its default is omitted).
    pub ast_dump_omits_default_ctx: bool,

    // ----- symbol table and codegen -----
    /// The symbol table names lambda and comprehension scopes `<lambda>`, `<listcomp>`, …
    /// (3.14: `lambda`, `listcomp`, …).
    pub bracketed_scope_names: bool,
    /// Codegen starts a generator or coroutine with `RETURN_GENERATOR` + `POP_TOP` (and a
    /// generator expression's `iter(.0)` before them); 3.14 leaves the first two to the flow
    /// graph's `insert_prefix_instructions`.
    pub codegen_emits_generator_prefix: bool,
    /// A comprehension is passed its outermost iterable, not an iterator: it calls `iter()` /
    /// `aiter()` itself when its loop starts (a generator expression in its prefix), where
    /// 3.14's caller does so right after evaluating the iterable.
    pub comprehension_calls_iter: bool,
    /// Values a running `for` loop keeps on the stack: the iterator, and in 3.15 a second slot
    /// under it (the iterable, or a `NULL` where codegen makes the iterator itself); `break` and
    /// `return` pop them.
    pub for_loop_stack_items: u32,
    /// A `NULL` is pushed under the first value sent into an awaitable (`PUSH_NULL` between
    /// `GET_AWAITABLE`/`GET_ANEXT` and `LOAD_CONST None`).
    pub null_before_send: bool,
    /// `yield from` gets its iterator with `GET_ITER 1` (3.14: `GET_YIELD_FROM_ITER`).
    pub yield_from_uses_get_iter: bool,
    /// A function's `__annotate__` has the function's qualified name plus `.__annotate__` as
    /// its own (3.14: plain `__annotate__`).
    pub annotate_qualname_includes_function: bool,
    /// A function's `__annotate__` visits the parameters in signature order; 3.14 visits the
    /// positional-or-keyword ones before the positional-only ones.
    pub annotations_in_signature_order: bool,
    /// `IMPORT_NAME`'s oparg is the name index shifted left by two, with bit 0 set for a `lazy`
    /// import and bit 1 for one that can never be lazy (3.14: the plain name index).
    pub import_name_has_lazy_flags: bool,
    /// The builtins whose call on a generator expression codegen runs inline
    /// (`maybe_optimize_function_call`): `all`, `any`, `tuple`, and in 3.15 `list` and `set`.
    pub inlined_genexp_builtins: &'static [&'static str],

    // ----- flow graph -----
    /// `LOAD_COMMON_CONSTANT` also loads the plain constants `None`, `True`, `False`, `''` and
    /// `-1`: the flow graph folds constants to it and drops it before a `POP_TOP`.
    pub common_constants_include_values: bool,
    /// The jumps and `NOT_TAKEN`s the flow graph adds (jump threading, `normalize_jumps`) get
    /// the handler of the jump they come from; 3.14's `basicblock_addop` leaves whatever the
    /// reused instruction slot held.
    pub added_jumps_keep_handler: bool,
    /// The borrow analysis (`optimize_load_fast`) follows an empty block to the next one;
    /// 3.14 stops there, so the loads after it keep strong references.
    pub borrow_analysis_crosses_empty_blocks: bool,
    /// The borrow analysis records the values pushed by an opcode that keeps its inputs
    /// (`GET_LEN`, `MATCH_KEYS`, …) against its loop counter, i.e. the block's first
    /// instructions, instead of the opcode (a shadowed variable in 3.14's `flowgraph.c`).
    pub borrow_analysis_shadowed_push_index: bool,
    /// `GET_ITER` leaves the iterable on the stack under the iterator.
    pub get_iter_keeps_iterable: bool,

    // ----- the JIT (`Python/jit.c`, `Tools/jit`) -----
    /// The group compiled in front of every trace, converting calling conventions (`shim`).
    pub jit_shim_group: Option<&'static str>,
    /// The group compiled once per process as the JIT's entry point (`compile_trampoline`),
    /// as a stencil header may carry it (3.15.2's build links that entry shim, `_PyJIT`, into
    /// the interpreter instead, and its header has no such group).
    pub jit_entry_trampoline_group: Option<&'static str>,
    /// `code_padding` up to `DATA_ALIGN` between the trampolines and the data (at least one
    /// byte: `DATA_ALIGN - (size & (DATA_ALIGN - 1))`).
    pub jit_code_padding: bool,
    /// One deduplicated GOT per trace after its data (`got_mask`, `patch_got_symbol`).
    pub jit_trace_got: bool,
    /// Stencils per register-cached uop variant (`_…_rNM`, `MAX_UOP_REGS_ID`).
    pub jit_register_variants: bool,
    /// x86-64 macOS calls to external symbols go through `patch_x86_64_trampoline`.
    pub jit_x86_darwin_trampolines: bool,
}

pub static PROFILE_3_14: Profile = Profile {
    version: PyVersion::V3_14,
    label: "3.14",
    version_info: (3, 14),
    tables: &crate::tables::v3_14::TABLES,
    unicode_table: include_str!("tables/unicode/3.14.txt"),
    interned_at_compile: include_str!("tables/interned/3.14.txt"),
    interned_at_run_compile: include_str!("tables/interned/3.14-run.txt"),
    fstring_brace_error_names_line: false,
    has_lazy_imports: false,
    has_comprehension_unpacking: false,
    bare_star_error: "named arguments must follow bare *",
    duplicate_param_error: "duplicate argument",
    assert_walrus_error: false,
    dict_key_colon_error_before_expression: true,
    ast_dump_omits_default_ctx: false,
    bracketed_scope_names: false,
    codegen_emits_generator_prefix: false,
    comprehension_calls_iter: false,
    for_loop_stack_items: 1,
    null_before_send: false,
    yield_from_uses_get_iter: false,
    annotate_qualname_includes_function: false,
    annotations_in_signature_order: false,
    import_name_has_lazy_flags: false,
    inlined_genexp_builtins: &["all", "any", "tuple"],
    common_constants_include_values: false,
    added_jumps_keep_handler: false,
    borrow_analysis_crosses_empty_blocks: false,
    borrow_analysis_shadowed_push_index: true,
    get_iter_keeps_iterable: false,
    jit_shim_group: Some("shim"),
    jit_entry_trampoline_group: Some("trampoline"),
    jit_code_padding: false,
    jit_trace_got: false,
    jit_register_variants: false,
    jit_x86_darwin_trampolines: false,
};

pub static PROFILE_3_15: Profile = Profile {
    version: PyVersion::V3_15,
    label: "3.15",
    version_info: (3, 15),
    tables: &crate::tables::v3_15::TABLES,
    unicode_table: include_str!("tables/unicode/3.15.txt"),
    interned_at_compile: include_str!("tables/interned/3.15.txt"),
    interned_at_run_compile: include_str!("tables/interned/3.15-run.txt"),
    fstring_brace_error_names_line: true,
    has_lazy_imports: true,
    has_comprehension_unpacking: true,
    bare_star_error: "named parameters must follow bare *",
    duplicate_param_error: "duplicate parameter",
    assert_walrus_error: true,
    dict_key_colon_error_before_expression: false,
    ast_dump_omits_default_ctx: true,
    bracketed_scope_names: true,
    codegen_emits_generator_prefix: true,
    comprehension_calls_iter: true,
    for_loop_stack_items: 2,
    null_before_send: true,
    yield_from_uses_get_iter: true,
    annotate_qualname_includes_function: true,
    annotations_in_signature_order: true,
    import_name_has_lazy_flags: true,
    inlined_genexp_builtins: &["all", "any", "tuple", "list", "set"],
    common_constants_include_values: true,
    added_jumps_keep_handler: true,
    borrow_analysis_crosses_empty_blocks: true,
    borrow_analysis_shadowed_push_index: false,
    get_iter_keeps_iterable: true,
    jit_shim_group: None,
    jit_entry_trampoline_group: Some("trampoline"),
    jit_code_padding: true,
    jit_trace_got: true,
    jit_register_variants: true,
    jit_x86_darwin_trampolines: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_describe_their_version() {
        for (i, v) in PyVersion::ALL.into_iter().enumerate() {
            assert_eq!(v.index(), i);
            let p = v.profile();
            assert_eq!(p.version, v);
            assert_eq!(p.tables.version, v);
            assert_eq!(
                p.label,
                format!("{}.{}", p.version_info.0, p.version_info.1)
            );
        }
    }
}
