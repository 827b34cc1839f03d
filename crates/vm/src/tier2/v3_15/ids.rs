//! The 3.15 opcode and uop numbers the tracer refers to, resolved once from the generated
//! tables, and per-id metadata in flat arrays (the tracer asks for flags and cache sizes of
//! every instruction it records).

use cpyviz_model::tables::{self, Tables, UopCaching};
use cpyviz_model::version::PyVersion;
use std::sync::OnceLock;

macro_rules! ids {
    ($name:ident { $($field:ident = $cname:literal),* $(,)? }) => {
        /// Numbers by C name (see [`Ids`]).
        #[allow(non_snake_case)]
        pub struct $name { $(pub $field: u16,)* }
        impl $name {
            fn load(t: &Tables, find: impl Fn(&Tables, &str) -> Option<u16>) -> $name {
                $name { $($field: find(t, $cname).unwrap_or_else(|| panic!("{} is in the 3.15 tables", $cname)),)* }
            }
        }
    };
}

ids!(Ops {
    NOP = "NOP",
    NOT_TAKEN = "NOT_TAKEN",
    EXTENDED_ARG = "EXTENDED_ARG",
    JUMP_FORWARD = "JUMP_FORWARD",
    JUMP_BACKWARD = "JUMP_BACKWARD",
    JUMP_BACKWARD_JIT = "JUMP_BACKWARD_JIT",
    JUMP_BACKWARD_NO_JIT = "JUMP_BACKWARD_NO_JIT",
    JUMP_BACKWARD_NO_INTERRUPT = "JUMP_BACKWARD_NO_INTERRUPT",
    POP_JUMP_IF_FALSE = "POP_JUMP_IF_FALSE",
    POP_JUMP_IF_TRUE = "POP_JUMP_IF_TRUE",
    POP_JUMP_IF_NONE = "POP_JUMP_IF_NONE",
    POP_JUMP_IF_NOT_NONE = "POP_JUMP_IF_NOT_NONE",
    RESUME = "RESUME",
    RESUME_CHECK = "RESUME_CHECK",
    RESUME_CHECK_JIT = "RESUME_CHECK_JIT",
    ENTER_EXECUTOR = "ENTER_EXECUTOR",
    STORE_FAST = "STORE_FAST",
    CLEANUP_THROW = "CLEANUP_THROW",
    INTERPRETER_EXIT = "INTERPRETER_EXIT",
    PUSH_EXC_INFO = "PUSH_EXC_INFO",
    WITH_EXCEPT_START = "WITH_EXCEPT_START",
    RERAISE = "RERAISE",
    EXIT_INIT_CHECK = "EXIT_INIT_CHECK",
    RETURN_VALUE = "RETURN_VALUE",
    END_FOR = "END_FOR",
});

ids!(Uops {
    START_EXECUTOR = "_START_EXECUTOR",
    MAKE_WARM = "_MAKE_WARM",
    SET_IP = "_SET_IP",
    CHECK_VALIDITY = "_CHECK_VALIDITY",
    CHECK_PERIODIC = "_CHECK_PERIODIC",
    TIER2_RESUME_CHECK = "_TIER2_RESUME_CHECK",
    EXIT_TRACE = "_EXIT_TRACE",
    DEOPT = "_DEOPT",
    JUMP_TO_TOP = "_JUMP_TO_TOP",
    DYNAMIC_EXIT = "_DYNAMIC_EXIT",
    ERROR_POP_N = "_ERROR_POP_N",
    HANDLE_PENDING_AND_DEOPT = "_HANDLE_PENDING_AND_DEOPT",
    NOP = "_NOP",
    RECORD_CODE = "_RECORD_CODE",
    PUSH_FRAME = "_PUSH_FRAME",
    RETURN_VALUE = "_RETURN_VALUE",
    RETURN_GENERATOR = "_RETURN_GENERATOR",
    YIELD_VALUE = "_YIELD_VALUE",
    GUARD_IP__PUSH_FRAME = "_GUARD_IP__PUSH_FRAME",
    GUARD_IP_RETURN_VALUE = "_GUARD_IP_RETURN_VALUE",
    GUARD_IP_RETURN_GENERATOR = "_GUARD_IP_RETURN_GENERATOR",
    GUARD_IP_YIELD_VALUE = "_GUARD_IP_YIELD_VALUE",
    GUARD_CODE_VERSION__PUSH_FRAME = "_GUARD_CODE_VERSION__PUSH_FRAME",
    GUARD_CODE_VERSION_RETURN_VALUE = "_GUARD_CODE_VERSION_RETURN_VALUE",
    GUARD_CODE_VERSION_RETURN_GENERATOR = "_GUARD_CODE_VERSION_RETURN_GENERATOR",
    GUARD_CODE_VERSION_YIELD_VALUE = "_GUARD_CODE_VERSION_YIELD_VALUE",
    GUARD_IS_TRUE_POP = "_GUARD_IS_TRUE_POP",
    GUARD_IS_FALSE_POP = "_GUARD_IS_FALSE_POP",
    GUARD_IS_NONE_POP = "_GUARD_IS_NONE_POP",
    GUARD_IS_NOT_NONE_POP = "_GUARD_IS_NOT_NONE_POP",
    BINARY_OP_INPLACE_ADD_UNICODE = "_BINARY_OP_INPLACE_ADD_UNICODE",
    // `_PyUOp_Replacements` keys and values.
    ITER_JUMP_RANGE = "_ITER_JUMP_RANGE",
    ITER_JUMP_LIST = "_ITER_JUMP_LIST",
    ITER_JUMP_TUPLE = "_ITER_JUMP_TUPLE",
    FOR_ITER = "_FOR_ITER",
    FOR_ITER_VIRTUAL = "_FOR_ITER_VIRTUAL",
    ITER_NEXT_LIST = "_ITER_NEXT_LIST",
    CHECK_PERIODIC_AT_END = "_CHECK_PERIODIC_AT_END",
    LOAD_BYTECODE = "_LOAD_BYTECODE",
    SEND_ASYNC_GEN = "_SEND_ASYNC_GEN",
    SEND_VIRTUAL = "_SEND_VIRTUAL",
    GUARD_NOT_EXHAUSTED_RANGE = "_GUARD_NOT_EXHAUSTED_RANGE",
    GUARD_NOT_EXHAUSTED_LIST = "_GUARD_NOT_EXHAUSTED_LIST",
    GUARD_NOT_EXHAUSTED_TUPLE = "_GUARD_NOT_EXHAUSTED_TUPLE",
    FOR_ITER_TIER_TWO = "_FOR_ITER_TIER_TWO",
    FOR_ITER_VIRTUAL_TIER_TWO = "_FOR_ITER_VIRTUAL_TIER_TWO",
    ITER_NEXT_LIST_TIER_TWO = "_ITER_NEXT_LIST_TIER_TWO",
    SEND_ASYNC_GEN_TIER_TWO = "_SEND_ASYNC_GEN_TIER_TWO",
    SEND_VIRTUAL_TIER_TWO = "_SEND_VIRTUAL_TIER_TWO",
    ITER_NEXT_INLINE = "_ITER_NEXT_INLINE",
});

/// Everything [`Ids::get`] resolves.
pub struct Ids {
    pub t: &'static Tables,
    pub op: Ops,
    pub u: Uops,
    /// `_PyOpcode_opcode_metadata[op].flags`, by opcode number.
    pub op_flags: [u32; 256],
    /// `_PyOpcode_Caches[_PyOpcode_Deopt[op]]`.
    pub op_caches: [u8; 256],
    /// `_PyOpcode_Deopt[op]`.
    pub op_deopt: [u16; 256],
    /// `_PyUop_Flags`, by uop id (base ids only).
    pub uop_flags: Vec<u32>,
    /// `_PyUop_Caching`, by base uop id.
    pub caching: Vec<Option<&'static UopCaching>>,
    /// `_PyUop_Uncached`: the base of a register variant (0 for base ids, as in C).
    pub uncached: Vec<u16>,
    /// Replication ranges (`start`, `stop`) by base uop id.
    pub replication: Vec<(u8, u8)>,
    /// The flag bits this version names.
    pub f: Flags,
    /// Constants of the headers.
    pub c: Consts,
}

/// `HAS_*_FLAG` bits.
pub struct Flags {
    pub exit: u32,
    pub deopt: u32,
    pub error: u32,
    pub escapes: u32,
    pub error_no_pop: u32,
    pub no_save_ip: u32,
    pub periodic: u32,
    pub unpredictable_jump: u32,
    pub needs_guard_ip: u32,
    pub records_value: u32,
}

/// The integer constants of `pycore_backoff.h` and the optimizer headers.
pub struct Consts {
    pub backoff_bits: u16,
    pub jump_backward_initial: (u16, u16),
    pub resume_initial: (u16, u16),
    pub side_exit_initial: (u16, u16),
    pub fitness_initial: i32,
    pub uop_max_trace_length: i32,
    pub max_abstract_frame_depth: i32,
    pub max_chain_depth: i32,
    pub exit_quality_close_loop: i32,
    pub exit_quality_enter_executor: i32,
    pub exit_quality_backward_edge: i32,
    pub exit_quality_specializable: i32,
    pub exit_quality_default: i32,
    pub fitness_branch_balanced: i32,
    pub max_symbolic_tuple_size: usize,
    pub max_allowed_globals_modifications: u32,
    pub max_allowed_builtins_modifications: u32,
}

impl Ids {
    /// The ids of CPython 3.15.
    pub fn get() -> &'static Ids {
        static IDS: OnceLock<Ids> = OnceLock::new();
        IDS.get_or_init(|| Ids::load(tables::for_version(PyVersion::V3_15)))
    }

    fn load(t: &'static Tables) -> Ids {
        let mut op_flags = [0; 256];
        let mut op_caches = [0; 256];
        let mut op_deopt = [0; 256];
        for o in t.opcodes.iter().filter(|o| o.code < 256) {
            op_flags[o.code as usize] = o.flags;
            op_caches[o.code as usize] = t.cache_entries(o.code);
            op_deopt[o.code as usize] = o.deopt;
        }
        let n = t.max_uop_regs_id.unwrap_or(t.max_uop_id) as usize + 1;
        let mut uop_flags = vec![0; n];
        let mut caching = vec![None; n];
        let mut uncached = vec![0; n];
        let mut replication = vec![(0, 0); n];
        for u in t.uops {
            let i = u.id as usize;
            if i >= n {
                continue;
            }
            uop_flags[i] = u.flags;
            caching[i] = u.caching;
            uncached[i] = u.uncached.unwrap_or(0);
            if let tables::Replication::Range(a, b) = u.replication {
                replication[i] = (a, b);
            }
        }
        let flag = |name: &str| t.flag(name).unwrap_or(0);
        let c = |name: &str| {
            t.constant(name)
                .unwrap_or_else(|| panic!("{name} is a 3.15 constant"))
        };
        Ids {
            t,
            op: Ops::load(t, |t, n| t.opcode_number(n)),
            u: Uops::load(t, |t, n| t.uop_id(n)),
            op_flags,
            op_caches,
            op_deopt,
            uop_flags,
            caching,
            uncached,
            replication,
            f: Flags {
                exit: flag("HAS_EXIT_FLAG"),
                deopt: flag("HAS_DEOPT_FLAG"),
                error: flag("HAS_ERROR_FLAG"),
                escapes: flag("HAS_ESCAPES_FLAG"),
                error_no_pop: flag("HAS_ERROR_NO_POP_FLAG"),
                no_save_ip: flag("HAS_NO_SAVE_IP_FLAG"),
                periodic: flag("HAS_PERIODIC_FLAG"),
                unpredictable_jump: flag("HAS_UNPREDICTABLE_JUMP_FLAG"),
                needs_guard_ip: flag("HAS_NEEDS_GUARD_IP_FLAG"),
                records_value: flag("HAS_RECORDS_VALUE_FLAG"),
            },
            c: Consts {
                backoff_bits: c("BACKOFF_BITS") as u16,
                jump_backward_initial: (
                    c("JUMP_BACKWARD_INITIAL_VALUE") as u16,
                    c("JUMP_BACKWARD_INITIAL_BACKOFF") as u16,
                ),
                resume_initial: (
                    c("RESUME_INITIAL_VALUE") as u16,
                    c("RESUME_INITIAL_BACKOFF") as u16,
                ),
                side_exit_initial: (
                    c("SIDE_EXIT_INITIAL_VALUE") as u16,
                    c("SIDE_EXIT_INITIAL_BACKOFF") as u16,
                ),
                fitness_initial: c("FITNESS_INITIAL") as i32,
                uop_max_trace_length: c("UOP_MAX_TRACE_LENGTH") as i32,
                max_abstract_frame_depth: c("MAX_ABSTRACT_FRAME_DEPTH") as i32,
                max_chain_depth: c("MAX_CHAIN_DEPTH") as i32,
                exit_quality_close_loop: c("EXIT_QUALITY_CLOSE_LOOP") as i32,
                exit_quality_enter_executor: c("EXIT_QUALITY_ENTER_EXECUTOR") as i32,
                exit_quality_backward_edge: c("EXIT_QUALITY_BACKWARD_EDGE") as i32,
                exit_quality_specializable: c("EXIT_QUALITY_SPECIALIZABLE") as i32,
                exit_quality_default: c("EXIT_QUALITY_DEFAULT") as i32,
                fitness_branch_balanced: c("FITNESS_BRANCH_BALANCED") as i32,
                max_symbolic_tuple_size: c("MAX_SYMBOLIC_TUPLE_SIZE") as usize,
                max_allowed_globals_modifications: c("_Py_MAX_ALLOWED_GLOBALS_MODIFICATIONS")
                    as u32,
                max_allowed_builtins_modifications: c("_Py_MAX_ALLOWED_BUILTINS_MODIFICATIONS")
                    as u32,
            },
        }
    }

    /// The opcode number of an instruction form (`slot.form`).
    pub fn opcode(&self, form: &str) -> u16 {
        self.t.opcode_number(form).unwrap_or(self.op.NOP)
    }

    pub fn uop_name(&self, id: u16) -> &'static str {
        self.t.uop_name(id).unwrap_or("<nil>")
    }

    /// A uop id by name (a panic names a uop this version lacks: a bug).
    pub fn uop(&self, name: &str) -> u16 {
        self.t
            .uop_id(name)
            .unwrap_or_else(|| panic!("{name} is a 3.15 uop"))
    }

    pub fn op_has(&self, op: u16, flag: u32) -> bool {
        self.op_flags[op as usize & 0xff] & flag != 0
    }

    pub fn uop_has(&self, uop: u16, flag: u32) -> bool {
        self.uop_flags
            .get(uop as usize)
            .is_some_and(|f| f & flag != 0)
    }

    /// `_PyUop_num_popped(uop, oparg)`.
    pub fn uop_popped(&self, uop: u16, oparg: u32) -> i32 {
        self.t
            .uop(uop)
            .and_then(|u| u.popped)
            .map_or(0, |e| e.eval(oparg as i32))
    }

    /// `_PyUOp_Replacements[uop]` (0 when the uop has none).
    pub fn replacement(&self, uop: u16) -> u16 {
        let u = &self.u;
        match uop {
            x if x == u.CHECK_PERIODIC_AT_END => u.TIER2_RESUME_CHECK,
            x if x == u.FOR_ITER => u.FOR_ITER_TIER_TWO,
            x if x == u.FOR_ITER_VIRTUAL => u.FOR_ITER_VIRTUAL_TIER_TWO,
            x if x == u.ITER_JUMP_LIST => u.GUARD_NOT_EXHAUSTED_LIST,
            x if x == u.ITER_JUMP_RANGE => u.GUARD_NOT_EXHAUSTED_RANGE,
            x if x == u.ITER_JUMP_TUPLE => u.GUARD_NOT_EXHAUSTED_TUPLE,
            x if x == u.ITER_NEXT_LIST => u.ITER_NEXT_LIST_TIER_TWO,
            x if x == u.LOAD_BYTECODE => u.NOP,
            x if x == u.SEND_ASYNC_GEN => u.SEND_ASYNC_GEN_TIER_TWO,
            x if x == u.SEND_VIRTUAL => u.SEND_VIRTUAL_TIER_TWO,
            _ => 0,
        }
    }

    /// `is_for_iter_test[uop]`: the uops that end a loop (their exit goes past `END_FOR`).
    pub fn is_for_iter_test(&self, uop: u16) -> bool {
        let u = &self.u;
        [
            u.FOR_ITER_TIER_TWO,
            u.GUARD_NOT_EXHAUSTED_LIST,
            u.GUARD_NOT_EXHAUSTED_RANGE,
            u.GUARD_NOT_EXHAUSTED_TUPLE,
            u.ITER_NEXT_INLINE,
        ]
        .contains(&uop)
    }

    /// `guard_ip_uop[uop]` and `guard_code_version_uop[uop]` (the guards after a frame change).
    pub fn frame_guards(&self, uop: u16) -> Option<(u16, u16)> {
        let u = &self.u;
        match uop {
            x if x == u.PUSH_FRAME => {
                Some((u.GUARD_IP__PUSH_FRAME, u.GUARD_CODE_VERSION__PUSH_FRAME))
            }
            x if x == u.RETURN_VALUE => {
                Some((u.GUARD_IP_RETURN_VALUE, u.GUARD_CODE_VERSION_RETURN_VALUE))
            }
            x if x == u.RETURN_GENERATOR => Some((
                u.GUARD_IP_RETURN_GENERATOR,
                u.GUARD_CODE_VERSION_RETURN_GENERATOR,
            )),
            x if x == u.YIELD_VALUE => {
                Some((u.GUARD_IP_YIELD_VALUE, u.GUARD_CODE_VERSION_YIELD_VALUE))
            }
            _ => None,
        }
    }

    /// `dynamic_exit_uop[uop]`: guards whose exit is a `_DYNAMIC_EXIT`.
    pub fn is_dynamic_exit_guard(&self, uop: u16) -> bool {
        let u = &self.u;
        [
            u.GUARD_IP__PUSH_FRAME,
            u.GUARD_IP_RETURN_VALUE,
            u.GUARD_IP_RETURN_GENERATOR,
            u.GUARD_IP_YIELD_VALUE,
            u.GUARD_CODE_VERSION__PUSH_FRAME,
            u.GUARD_CODE_VERSION_RETURN_VALUE,
            u.GUARD_CODE_VERSION_RETURN_GENERATOR,
            u.GUARD_CODE_VERSION_YIELD_VALUE,
        ]
        .contains(&uop)
    }

    /// `BRANCH_TO_GUARD[opcode - POP_JUMP_IF_FALSE][jump_happened]`.
    pub fn branch_guard(&self, opcode: u16, jumped: bool) -> u16 {
        let (o, u) = (&self.op, &self.u);
        let (not_jumped, jumped_guard) = match opcode {
            x if x == o.POP_JUMP_IF_FALSE => (u.GUARD_IS_TRUE_POP, u.GUARD_IS_FALSE_POP),
            x if x == o.POP_JUMP_IF_TRUE => (u.GUARD_IS_FALSE_POP, u.GUARD_IS_TRUE_POP),
            x if x == o.POP_JUMP_IF_NONE => (u.GUARD_IS_NOT_NONE_POP, u.GUARD_IS_NONE_POP),
            _ => (u.GUARD_IS_NONE_POP, u.GUARD_IS_NOT_NONE_POP),
        };
        if jumped {
            jumped_guard
        } else {
            not_jumped
        }
    }

    pub fn is_pop_jump(&self, opcode: u16) -> bool {
        let o = &self.op;
        [
            o.POP_JUMP_IF_FALSE,
            o.POP_JUMP_IF_TRUE,
            o.POP_JUMP_IF_NONE,
            o.POP_JUMP_IF_NOT_NONE,
        ]
        .contains(&opcode)
    }

    /// A 16-bit backoff counter made of `value` and `backoff`.
    pub fn counter(&self, (value, backoff): (u16, u16)) -> u16 {
        (value << self.c.backoff_bits) | backoff
    }

    /// `adaptive_counter_cooldown()`.
    pub fn cooldown(&self) -> u16 {
        let c = |name: &str| self.t.constant(name).unwrap_or(0) as u16;
        self.counter((c("ADAPTIVE_COOLDOWN_VALUE"), c("ADAPTIVE_COOLDOWN_BACKOFF")))
    }
}
