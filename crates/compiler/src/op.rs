//! The instructions the compiler emits, by name, for every version profile.
//!
//! [`Op`] is the union of the base and pseudo opcodes of CPython 3.14 and 3.15 (the
//! `OpKind::Base`/`OpKind::Pseudo` entries of [`cpyviz_model::tables`]); a test checks that the two
//! lists agree. Numbers, cache sizes, flags and stack effects are looked up per version through
//! [`OpTable`], never written here.

use cpyviz_model::tables::{self, OpcodeInfo, Tables};
use cpyviz_model::version::PyVersion;
use std::sync::OnceLock;

/// A base or pseudo instruction (names as in `opcode.opmap`).
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumCount,
)]
pub enum Op {
    ANNOTATIONS_PLACEHOLDER,
    BINARY_OP,
    BINARY_SLICE,
    BUILD_INTERPOLATION,
    BUILD_LIST,
    BUILD_MAP,
    BUILD_SET,
    BUILD_SLICE,
    BUILD_STRING,
    BUILD_TEMPLATE,
    BUILD_TUPLE,
    CACHE,
    CALL,
    CALL_FUNCTION_EX,
    CALL_INTRINSIC_1,
    CALL_INTRINSIC_2,
    CALL_KW,
    CHECK_EG_MATCH,
    CHECK_EXC_MATCH,
    CLEANUP_THROW,
    COMPARE_OP,
    CONTAINS_OP,
    CONVERT_VALUE,
    COPY,
    COPY_FREE_VARS,
    DELETE_ATTR,
    DELETE_DEREF,
    DELETE_FAST,
    DELETE_GLOBAL,
    DELETE_NAME,
    DELETE_SUBSCR,
    DICT_MERGE,
    DICT_UPDATE,
    END_ASYNC_FOR,
    END_FOR,
    END_SEND,
    ENTER_EXECUTOR,
    EXIT_INIT_CHECK,
    EXTENDED_ARG,
    FORMAT_SIMPLE,
    FORMAT_WITH_SPEC,
    FOR_ITER,
    GET_AITER,
    GET_ANEXT,
    GET_AWAITABLE,
    GET_ITER,
    GET_LEN,
    GET_YIELD_FROM_ITER,
    IMPORT_FROM,
    IMPORT_NAME,
    INTERPRETER_EXIT,
    IS_OP,
    JUMP,
    JUMP_BACKWARD,
    JUMP_BACKWARD_NO_INTERRUPT,
    JUMP_FORWARD,
    JUMP_IF_FALSE,
    JUMP_IF_TRUE,
    JUMP_NO_INTERRUPT,
    LIST_APPEND,
    LIST_EXTEND,
    LOAD_ATTR,
    LOAD_BUILD_CLASS,
    LOAD_CLOSURE,
    LOAD_COMMON_CONSTANT,
    LOAD_CONST,
    LOAD_DEREF,
    LOAD_FAST,
    LOAD_FAST_AND_CLEAR,
    LOAD_FAST_BORROW,
    LOAD_FAST_BORROW_LOAD_FAST_BORROW,
    LOAD_FAST_CHECK,
    LOAD_FAST_LOAD_FAST,
    LOAD_FROM_DICT_OR_DEREF,
    LOAD_FROM_DICT_OR_GLOBALS,
    LOAD_GLOBAL,
    LOAD_LOCALS,
    LOAD_NAME,
    LOAD_SMALL_INT,
    LOAD_SPECIAL,
    LOAD_SUPER_ATTR,
    MAKE_CELL,
    MAKE_FUNCTION,
    MAP_ADD,
    MATCH_CLASS,
    MATCH_KEYS,
    MATCH_MAPPING,
    MATCH_SEQUENCE,
    NOP,
    NOT_TAKEN,
    POP_BLOCK,
    POP_EXCEPT,
    POP_ITER,
    POP_JUMP_IF_FALSE,
    POP_JUMP_IF_NONE,
    POP_JUMP_IF_NOT_NONE,
    POP_JUMP_IF_TRUE,
    POP_TOP,
    PUSH_EXC_INFO,
    PUSH_NULL,
    RAISE_VARARGS,
    RERAISE,
    RESERVED,
    RESUME,
    RETURN_GENERATOR,
    RETURN_VALUE,
    SEND,
    SETUP_ANNOTATIONS,
    SETUP_CLEANUP,
    SETUP_FINALLY,
    SETUP_WITH,
    SET_ADD,
    SET_FUNCTION_ATTRIBUTE,
    SET_UPDATE,
    STORE_ATTR,
    STORE_DEREF,
    STORE_FAST,
    STORE_FAST_LOAD_FAST,
    STORE_FAST_MAYBE_NULL,
    STORE_FAST_STORE_FAST,
    STORE_GLOBAL,
    STORE_NAME,
    STORE_SLICE,
    STORE_SUBSCR,
    SWAP,
    TO_BOOL,
    TRACE_RECORD,
    UNARY_INVERT,
    UNARY_NEGATIVE,
    UNARY_NOT,
    UNPACK_EX,
    UNPACK_SEQUENCE,
    WITH_EXCEPT_START,
    YIELD_VALUE,
}

impl Op {
    pub fn name(self) -> &'static str {
        self.into()
    }
    pub fn from_name(name: &str) -> Option<Op> {
        name.parse().ok()
    }
}

/// One version's view of [`Op`]: its opcode numbers and metadata.
pub struct OpTable {
    pub tables: &'static Tables,
    info: [Option<&'static OpcodeInfo>; <Op as strum::EnumCount>::COUNT],
    /// Inline cache entries after each op (looked up once: codegen asks for every
    /// instruction).
    caches: [u8; <Op as strum::EnumCount>::COUNT],
}

impl OpTable {
    pub fn for_version(version: PyVersion) -> &'static OpTable {
        static CACHE: [OnceLock<OpTable>; PyVersion::ALL.len()] =
            [const { OnceLock::new() }; PyVersion::ALL.len()];
        CACHE[version.index()].get_or_init(|| {
            let tables = tables::for_version(version);
            let mut info = [None; <Op as strum::EnumCount>::COUNT];
            let mut caches = [0; <Op as strum::EnumCount>::COUNT];
            for op in <Op as strum::IntoEnumIterator>::iter() {
                info[op as usize] = tables.opcode_by_name(op.name());
                caches[op as usize] = info[op as usize].map_or(0, |i| tables.cache_entries(i.code));
            }
            OpTable {
                tables,
                info,
                caches,
            }
        })
    }

    /// The metadata of `op` in this version; `None` if the version has no such instruction.
    pub fn info(&self, op: Op) -> Option<&'static OpcodeInfo> {
        self.info[op as usize]
    }

    /// `op`'s number in this version.
    pub fn number(&self, op: Op) -> Option<u16> {
        self.info(op).map(|i| i.code)
    }

    pub fn exists(&self, op: Op) -> bool {
        self.info(op).is_some()
    }

    /// The [`Op`] numbered `code` (base and pseudo opcodes only).
    pub fn op_of(&self, code: u16) -> Option<Op> {
        self.tables.opcode(code).and_then(|i| Op::from_name(i.name))
    }

    pub fn has_arg(&self, op: Op) -> bool {
        self.info(op).is_some_and(|i| i.has_arg())
    }

    pub fn has_jump(&self, op: Op) -> bool {
        self.info(op).is_some_and(|i| i.has_jump())
    }

    /// Inline cache entries (code units) after `op`.
    pub fn caches(&self, op: Op) -> u8 {
        self.caches[op as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::tables::OpKind;
    use strum::IntoEnumIterator;

    #[test]
    fn op_is_the_union_of_both_versions_base_and_pseudo_opcodes() {
        let mut expected: Vec<&str> = Vec::new();
        for v in [PyVersion::V3_14, PyVersion::V3_15] {
            for o in tables::for_version(v).opcodes {
                if matches!(o.kind, OpKind::Base | OpKind::Pseudo) {
                    expected.push(o.name);
                }
            }
        }
        expected.sort();
        expected.dedup();
        let mut ours: Vec<&str> = Op::iter().map(Op::name).collect();
        ours.sort();
        assert_eq!(ours, expected);
    }

    #[test]
    fn numbers_differ_per_version_and_round_trip() {
        let t14 = OpTable::for_version(PyVersion::V3_14);
        let t15 = OpTable::for_version(PyVersion::V3_15);
        assert!(t14.exists(Op::GET_YIELD_FROM_ITER));
        assert!(!t15.exists(Op::GET_YIELD_FROM_ITER));
        for t in [t14, t15] {
            for op in Op::iter().filter(|&o| t.exists(o)) {
                assert_eq!(t.op_of(t.number(op).unwrap()), Some(op));
            }
        }
    }
}
