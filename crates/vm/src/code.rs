//! Code objects as the VM runs them: the compiler's [`CodeObject`] turned into an instruction
//! array with resolved jumps and exception handlers, its constants as values, and — like
//! CPython's `_co_code_adaptive` — a mutable slot per instruction holding its current
//! (adaptive or specialized) form, its counter and its inline cache.

use crate::value::Value;
use cpyviz_compiler::op::Op;
use cpyviz_model::bytecode::{CodeObject, Positions};
use cpyviz_model::execution::InstrHistory;
use std::cell::RefCell;
use std::rc::Rc;

/// `co_flags` bits the VM reads.
pub mod flags {
    pub const OPTIMIZED: u32 = 0x1;
    pub const NEWLOCALS: u32 = 0x2;
    pub const VARARGS: u32 = 0x4;
    pub const VARKEYWORDS: u32 = 0x8;
    pub const NESTED: u32 = 0x10;
    pub const GENERATOR: u32 = 0x20;
    pub const COROUTINE: u32 = 0x80;
    pub const ITERABLE_COROUTINE: u32 = 0x100;
    pub const ASYNC_GENERATOR: u32 = 0x200;
    pub const HAS_DOCSTRING: u32 = 0x4000000;
    pub const METHOD: u32 = 0x8000000;
}

/// One instruction.
pub struct Ins {
    pub op: Op,
    pub arg: u32,
    pub offset: u32,
    /// The index of the jump target, for jumps.
    pub jump: usize,
    pub line: Option<u32>,
    pub positions: Option<Positions>,
}

/// An exception-table entry, in instruction indexes.
#[derive(Clone, Copy)]
pub struct Handler {
    pub start: usize,
    pub end: usize,
    pub target: usize,
    pub depth: usize,
    pub lasti: bool,
}

/// The adaptive state of one instruction (its part of `_co_code_adaptive`).
pub struct Slot {
    /// The instruction's name in the compiled code (its adaptive form's family).
    pub base: &'static str,
    /// The instruction's current name (base, adaptive or specialized form).
    pub form: &'static str,
    /// The backoff counter (the first cache entry), when the instruction has caches.
    pub counter: u16,
    /// The other cache entries, as 16-bit code units.
    pub cache: Vec<u16>,
    /// What the specialized form's guard checks (a type, function or dict keys version).
    pub key: u64,
    /// What the scrubber will show.
    pub history: InstrHistory,
    /// Tier 2 installed an executor here (`ENTER_EXECUTOR`): its id + 1 in the run's tier-2
    /// state, 0 for none.
    pub executor: u32,
}

/// A code object ready to run.
pub struct CodeRt {
    pub model: Rc<CodeObject>,
    pub name: Rc<str>,
    pub qualname: Rc<str>,
    pub filename: Rc<str>,
    pub flags: u32,
    pub argcount: usize,
    pub posonlyargcount: usize,
    pub kwonlyargcount: usize,
    pub consts: Vec<Value>,
    pub names: Vec<Rc<str>>,
    /// `co_localsplus` names: locals, then cells that are not arguments, then free variables.
    pub localsplus: Vec<Rc<str>>,
    pub nlocals: usize,
    /// Indexes (in `localsplus`) of the cell variables.
    pub cells: Vec<usize>,
    pub nfree: usize,
    pub instrs: Vec<Ins>,
    pub handlers: Vec<Handler>,
    pub slots: RefCell<Vec<Slot>>,
    /// Has RESUME run once (quickening done)?
    pub quickened: std::cell::Cell<bool>,
    /// The code objects nested in this one (in `co_consts` order).
    pub children: Vec<Rc<CodeRt>>,
    /// `co_version`: the version every function made from this code starts with (what the
    /// `CALL_PY_*` guards compare, and how tier 2 finds a function from its version).
    pub version: u32,
}

impl CodeRt {
    /// Builds the runtime form of `code` and its nested code objects.
    pub fn new(code: &CodeObject, version: cpyviz_model::version::PyVersion) -> Rc<CodeRt> {
        let t = cpyviz_compiler::op::OpTable::for_version(version);
        let children: Vec<Rc<CodeRt>> = code
            .children
            .iter()
            .map(|c| CodeRt::new(c, version))
            .collect();
        let consts = code
            .const_values
            .iter()
            .map(|c| crate::alloc::const_value(c, &children))
            .collect();
        let mut by_offset = std::collections::HashMap::new();
        for (i, ins) in code.instructions.iter().enumerate() {
            by_offset.insert(ins.offset, i);
        }
        let index_at = |off: u32| -> usize {
            // Exception-table ends may point past the last instruction.
            by_offset.get(&off).copied().unwrap_or_else(|| {
                code.instructions
                    .iter()
                    .position(|i| i.offset >= off)
                    .unwrap_or(code.instructions.len())
            })
        };
        let instrs = code
            .instructions
            .iter()
            .map(|i| Ins {
                op: Op::from_name(&i.opname).unwrap_or(Op::NOP),
                arg: i.arg.unwrap_or(0),
                offset: i.offset,
                jump: i.jump_target.map_or(usize::MAX, index_at),
                line: i.line_number,
                positions: i.positions,
            })
            .collect::<Vec<_>>();
        let handlers = code
            .exception_table
            .iter()
            .map(|e| Handler {
                start: index_at(e.start),
                end: index_at(e.end),
                target: index_at(e.target),
                depth: e.depth as usize,
                lasti: e.lasti,
            })
            .collect();
        let slots = code
            .instructions
            .iter()
            .map(|i| {
                let op = Op::from_name(&i.opname);
                let n = op.map_or(0, |o| t.caches(o) as usize);
                let base = t
                    .tables
                    .opcode_by_name(&i.opname)
                    .map_or("NOP", |info| info.name);
                Slot {
                    base,
                    form: base,
                    counter: 0,
                    cache: vec![0; n.saturating_sub(1)],
                    key: 0,
                    executor: 0,
                    history: InstrHistory {
                        offset: i.offset,
                        base: i.opname.clone(),
                        ..Default::default()
                    },
                }
            })
            .collect();
        let mut localsplus: Vec<Rc<str>> = code.varnames.iter().map(|s| Rc::from(&**s)).collect();
        let mut cells = Vec::new();
        for c in &code.cellvars {
            match code.varnames.iter().position(|v| v == c) {
                Some(i) => cells.push(i),
                None => {
                    cells.push(localsplus.len());
                    localsplus.push(Rc::from(&**c));
                }
            }
        }
        let nfree = code.freevars.len();
        localsplus.extend(code.freevars.iter().map(|s| Rc::from(&**s)));
        Rc::new(CodeRt {
            model: Rc::new(code.clone()),
            name: Rc::from(&*code.name),
            qualname: Rc::from(&*code.qualname),
            filename: Rc::from(&*code.filename),
            flags: code.flags,
            argcount: code.argcount as usize,
            posonlyargcount: code.posonlyargcount as usize,
            kwonlyargcount: code.kwonlyargcount as usize,
            consts,
            names: code.names.iter().map(|s| Rc::from(&**s)).collect(),
            nlocals: code.varnames.len(),
            localsplus,
            cells,
            nfree,
            instrs,
            handlers,
            slots: RefCell::new(slots),
            quickened: std::cell::Cell::new(false),
            children,
            version: crate::call::next_func_version(),
        })
    }

    /// The handler for an exception raised at instruction `i`.
    pub fn handler_for(&self, i: usize) -> Option<Handler> {
        self.handlers
            .iter()
            .find(|h| h.start <= i && i < h.end)
            .copied()
    }

    /// Whether this is a generator, coroutine or async generator's code.
    pub fn is_generator_like(&self) -> bool {
        self.flags & (flags::GENERATOR | flags::COROUTINE | flags::ASYNC_GENERATOR) != 0
    }

    /// The index of the instruction at byte `offset` (or the first one after it).
    pub fn index_at(&self, offset: u32) -> usize {
        self.instrs.partition_point(|i| i.offset < offset)
    }

    /// This code object and every nested one, in `dis` order.
    pub fn walk(self: &Rc<CodeRt>) -> Vec<Rc<CodeRt>> {
        let mut out = vec![self.clone()];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}
