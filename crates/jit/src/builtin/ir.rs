//! The small machine-independent instruction list the built-in shapes are written in, and the
//! [`Builder`] that tracks where each stack item is while a shape is written.
//!
//! A shape is written once, in terms of physical register numbers picked from the
//! [`Ctx`] of the (version, target) — the roles CPython's calling convention gives them
//! (frame, stack pointer, tstate, executor, the three cached stack items) — and lowered to real
//! instructions by `x86_64.rs` (iced-x86's code assembler) or `aarch64.rs` (dynasm).
//!
//! The builder's [`Picture`] says, for each stack item the uop can see, whether it is in a
//! register, whether the stack memory holds it, and at which slot. Reconciling the picture with
//! a number of cached registers (the uop's output depth, its exit depth, or 0 for an error or a
//! call that escapes) emits the stores, register moves, loads and stack-pointer adjustment that
//! make it so: this is how every 3.15 `_rNM` variant gets its spills and reloads from the depth
//! numbers alone, and how 3.14 (no register cache) pushes and pops.

use cpyviz_model::jit::{Arch, HoleValue, Target};
use cpyviz_model::version::PyVersion;

/// A physical register number (x86-64: 0 = rax … 15 = r15 in encoding order; AArch64: xN).
pub(crate) type Reg = u8;

/// Operand width of a memory access or comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    B1,
    B4,
    B8,
}

/// A branch condition, after a compare (`Lo`..`Hi` unsigned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Eq,
    Ne,
    Lt,
    Ge,
    Le,
    Gt,
    Lo,
    Hs,
    Ls,
    Hi,
}

impl Cond {
    pub(crate) fn invert(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Lt => Cond::Ge,
            Cond::Ge => Cond::Lt,
            Cond::Le => Cond::Gt,
            Cond::Gt => Cond::Le,
            Cond::Lo => Cond::Hs,
            Cond::Hs => Cond::Lo,
            Cond::Ls => Cond::Hi,
            Cond::Hi => Cond::Ls,
        }
    }
}

/// Where a branch goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tgt {
    /// A label of this stencil.
    Local(u32),
    /// A hole: `JUMP_TARGET` or `ERROR_TARGET` (an exit or error stub of the trace).
    Hole(HoleValue),
    /// The end of this stencil, where the next uop starts (3.14: a `CONTINUE` hole unless the
    /// jump is the stencil's last instruction; 3.15: a label at the end).
    Continue,
}

/// One instruction of a shape.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ins {
    Label(u32),
    Mov(Reg, Reg),
    /// A small constant (no hole).
    MovImm(Reg, i64),
    /// Zero-extending load (`B1`, `B4`) or 64-bit load.
    Load {
        dst: Reg,
        base: Reg,
        off: i32,
        w: Width,
    },
    /// Store a register (`None`: zero).
    Store {
        src: Option<Reg>,
        base: Reg,
        off: i32,
        w: Width,
    },
    StoreImm8 {
        base: Reg,
        off: i32,
        imm: u8,
    },
    /// `dst = [base + idx * 8 + off]`.
    LoadIdx {
        dst: Reg,
        base: Reg,
        idx: Reg,
        off: i32,
    },
    /// `[base + idx * 8 + off] = src`.
    StoreIdx {
        src: Reg,
        base: Reg,
        idx: Reg,
        off: i32,
    },
    /// `dst = base + idx * scale + off` (scale 1, 2, 4 or 8).
    Lea {
        dst: Reg,
        base: Reg,
        idx: Reg,
        scale: u8,
        off: i32,
    },
    AddImm(Reg, i64),
    AddReg(Reg, Reg),
    SubReg(Reg, Reg),
    MulReg(Reg, Reg),
    AndImm(Reg, i64),
    OrImm(Reg, i64),
    ShlImm(Reg, u8),
    Neg(Reg),
    Cmp(Reg, Reg),
    CmpImm {
        r: Reg,
        imm: i64,
        w: Width,
    },
    /// Compare `[base + off]` with a register.
    CmpMem {
        base: Reg,
        off: i32,
        w: Width,
        r: Reg,
    },
    CmpMemImm {
        base: Reg,
        off: i32,
        w: Width,
        imm: i64,
    },
    TestImm {
        r: Reg,
        imm: i64,
        w: Width,
    },
    TestReg(Reg, Reg),
    TestMemImm {
        base: Reg,
        off: i32,
        w: Width,
        imm: i64,
    },
    Jcc(Cond, Tgt),
    Jmp(Tgt),
    /// Tail call through a pointer in memory (`jmp [base + off]`).
    JmpMem {
        base: Reg,
        off: i32,
    },
    /// Call through a pointer in memory (`call [base + off]`).
    CallMem {
        base: Reg,
        off: i32,
    },
    Ret,
    /// An instruction that traps (after a call that does not return).
    Trap,
    /// `dst = cond ? 1 : 0`.
    CSet(Reg, Cond),
    /// `dst = cond ? a : b`.
    CSel {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Cond,
    },
    /// A 64-bit immediate patched by holes: `value + &symbol + addend`.
    Imm64 {
        dst: Reg,
        value: HoleValue,
        symbol: Option<String>,
        addend: i64,
    },
    /// The address of an external data symbol (`PyLong_Type`).
    SymAddr {
        dst: Reg,
        symbol: String,
    },
    /// A call to a CPython runtime function (through the GOT or a trampoline).
    CallSym(String),
    /// A call to one of cpyviz's model helpers, through its absolute address (a 64-bit
    /// immediate hole with the symbol, then a call through a register): these take no ordinal.
    CallModel(String),
    /// `dst = data + off` (this stencil's data).
    DataAddr {
        dst: Reg,
        off: i64,
    },
    /// The shim's call of the uop code right after it (3.14: a `CONTINUE` hole).
    CallContinue,
    /// `lock or qword [base + off], imm` (an atomic OR, `_Py_set_eval_breaker_bit`).
    AtomicOr {
        base: Reg,
        off: i32,
        imm: i64,
    },
    /// The entry's prologue / epilogue: save and restore the callee-saved registers of the
    /// native ABI (the jitted code, `preserve_none`, keeps none of them).
    SaveCalleeSaved,
    RestoreCalleeSaved,
}

/// Struct offsets the shapes read (x86-64 and AArch64 agree: LP64, same layout), from the
/// internal headers of each version.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Offsets {
    pub f_executable: i32,
    pub instr_ptr: i32,
    pub stackpointer: i32,
    pub localsplus: i32,
    pub ts_interp: i32,
    pub ts_eval_breaker: i32,
    pub ts_current_frame: i32,
    pub ts_current_executor: i32,
    /// 3.15 only.
    pub ts_jit_exit: Option<i32>,
    /// `vm_data.valid` (3.14: bit 0 of this byte; 3.15: the whole byte).
    pub ex_valid: i32,
    pub valid_is_bit: bool,
    /// 3.14 `vm_data.warm`, 3.15 `vm_data.cold`: the byte `_MAKE_WARM` writes, and the value.
    pub ex_warm_byte: i32,
    pub ex_warm_value: u8,
    pub ex_jit_code: i32,
    /// 3.14: `jit_side_entry`, where an exit enters the next executor.
    pub ex_side_entry: Option<i32>,
    /// 3.14: `interp->trace_run_counter`.
    pub interp_trace_run_counter: Option<i32>,
    pub exit_executor: i32,
    pub co_code_adaptive: i32,
    pub co_executors: i32,
    pub exec_array_items: i32,
    pub ob_type: i32,
    pub lv_tag: i32,
    pub ob_digit: i32,
    pub range_start: i32,
    pub range_step: i32,
    pub range_len: i32,
}

/// The struct offsets of CPython 3.14's internal headers (x86-64 and AArch64 alike: LP64).
const OFFSETS_3_14: Offsets = Offsets {
    f_executable: 0x0,
    instr_ptr: 0x38,
    stackpointer: 0x40,
    localsplus: 0x50,
    ts_interp: 0x10,
    ts_eval_breaker: 0x18,
    ts_current_frame: 0x48,
    ts_current_executor: 0x110,
    ts_jit_exit: None,
    ex_valid: 0x22,
    valid_is_bit: true,
    ex_warm_byte: 0x23,
    ex_warm_value: 1,
    ex_jit_code: 0x70,
    ex_side_entry: Some(0x78),
    interp_trace_run_counter: Some(0x367f0),
    exit_executor: 0x8,
    co_code_adaptive: 0xd0,
    co_executors: 0x98,
    exec_array_items: 0x8,
    ob_type: 0x8,
    lv_tag: 0x10,
    ob_digit: 0x18,
    range_start: 0x10,
    range_step: 0x18,
    range_len: 0x20,
};

/// The struct offsets of CPython 3.15's internal headers.
const OFFSETS_3_15: Offsets = Offsets {
    ts_current_executor: 0x130,
    ts_jit_exit: Some(0x138),
    valid_is_bit: false,
    ex_warm_byte: 0x24,
    ex_warm_value: 0,
    ex_jit_code: 0x58,
    ex_side_entry: None,
    interp_trace_run_counter: None,
    ..OFFSETS_3_14
};

impl Offsets {
    /// The version's table.
    pub(crate) fn of(version: PyVersion) -> Offsets {
        match version {
            PyVersion::V3_14 => OFFSETS_3_14,
            PyVersion::V3_15 => OFFSETS_3_15,
        }
    }
}

/// What differs per version in the code the careful shapes follow: the calling convention of
/// jitted code, the C bodies of the int uops and what the JIT's patch functions allow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShapeFacts {
    /// The executor arrives in a register (3.15's jitted functions take it first); 3.14 reads
    /// an `EXECUTOR` hole.
    pub executor_register: bool,
    /// `_BINARY_OP_*_INT` and `_COMPARE_OP_INT` leave their inputs on the stack under the result
    /// (`-- res, l, r`, for `_POP_TOP_INT` to drop), and exit when a result is not compact;
    /// 3.14's close their inputs and error on a failed allocation.
    pub int_ops_keep_inputs: bool,
    /// The runtime helpers of int add, subtract, multiply.
    pub int_helpers: [&'static str; 3],
    /// A stencil's fall-through is a label at its end (3.15); 3.14 jumps to a `CONTINUE` hole.
    pub continue_is_label: bool,
    /// `patch_aarch64_19r` exists: a conditional branch can take a hole directly (3.15); 3.14
    /// hops over an unconditional `b`.
    pub conditional_branch_holes: bool,
}

const SHAPE_FACTS_3_14: ShapeFacts = ShapeFacts {
    executor_register: false,
    int_ops_keep_inputs: false,
    int_helpers: ["_PyLong_Add", "_PyLong_Subtract", "_PyLong_Multiply"],
    continue_is_label: false,
    conditional_branch_holes: false,
};

const SHAPE_FACTS_3_15: ShapeFacts = ShapeFacts {
    executor_register: true,
    int_ops_keep_inputs: true,
    int_helpers: [
        "_PyCompactLong_Add",
        "_PyCompactLong_Subtract",
        "_PyCompactLong_Multiply",
    ],
    continue_is_label: true,
    conditional_branch_holes: true,
};

impl ShapeFacts {
    pub(crate) fn of(version: PyVersion) -> ShapeFacts {
        match version {
            PyVersion::V3_14 => SHAPE_FACTS_3_14,
            PyVersion::V3_15 => SHAPE_FACTS_3_15,
        }
    }
}

/// The registers and facts of one (version, target).
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub version: PyVersion,
    pub target: Target,
    pub arch: Arch,
    pub trace_got: bool,
    pub trampolined_calls: bool,
    pub frame: Reg,
    pub sp: Reg,
    pub tstate: Reg,
    /// 3.15: the executor is in a register; 3.14: an `EXECUTOR` hole.
    pub exec: Option<Reg>,
    /// The registers of cached stack items 0, 1, 2 (3.15).
    pub cache: [Reg; 3],
    pub temps: [Reg; 4],
    /// Callee-saved registers of the native ABI that no role uses: they survive calls.
    pub saved: Vec<Reg>,
    /// Argument registers of the native ABI.
    pub args: [Reg; 6],
    pub ret: Reg,
    /// A caller-saved register no role, item or temporary uses: breaks cycles of moves.
    pub scratch: Reg,
    pub off: Offsets,
    pub shape: ShapeFacts,
}

impl Ctx {
    pub(crate) fn new(version: PyVersion, target: Target) -> Ctx {
        let facts = cpyviz_model::jit::jit_facts(version, target);
        let shape = ShapeFacts::of(version);
        let exec_reg = shape.executor_register;
        let arch = target.arch();
        let (frame, sp, tstate, exec, cache, temps, saved, args, ret, scratch) = match arch {
            Arch::X86_64 => {
                // r12..r15 hold the roles; rdi, rsi, rdx the cached items.
                let (exec, frame, sp, tstate) = if exec_reg {
                    (Some(12), 13, 14, 15)
                } else {
                    (None, 12, 13, 14)
                };
                let saved = if exec_reg { vec![3, 5] } else { vec![3, 5, 15] };
                (
                    frame,
                    sp,
                    tstate,
                    exec,
                    [7, 6, 2],
                    [0, 10, 11, 9],
                    saved,
                    [7, 6, 2, 1, 8, 9],
                    0,
                    8,
                )
            }
            Arch::Aarch64 => {
                let (exec, frame, sp, tstate) = if exec_reg {
                    (Some(20), 21, 22, 23)
                } else {
                    (None, 20, 21, 22)
                };
                (
                    frame,
                    sp,
                    tstate,
                    exec,
                    [0, 1, 2],
                    [8, 9, 10, 11],
                    vec![24, 25, 26],
                    [0, 1, 2, 3, 4, 5],
                    0,
                    12,
                )
            }
        };
        Ctx {
            version,
            target,
            arch,
            trace_got: facts.trace_got,
            trampolined_calls: facts.trampolined_calls,
            frame,
            sp,
            tstate,
            exec,
            cache,
            temps,
            saved,
            args,
            ret,
            scratch,
            off: Offsets::of(version),
            shape,
        }
    }

    /// Whether a call of the native ABI may overwrite `r`.
    pub(crate) fn caller_saved(&self, r: Reg) -> bool {
        match self.arch {
            Arch::X86_64 => matches!(r, 0 | 1 | 2 | 6 | 7 | 8 | 9 | 10 | 11),
            Arch::Aarch64 => r <= 18,
        }
    }
}

/// One stack item the uop can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    /// Its stack slot, in 8-byte units from the stack pointer at the uop's start (the item
    /// on top of the stack in memory is at -1).
    pub slot: i32,
    pub reg: Option<Reg>,
    /// The stack memory at its slot holds it.
    pub mem: bool,
}

/// Where the visible stack items are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Picture {
    /// Bottom to top.
    pub items: Vec<Item>,
    /// The slot the next pushed item gets.
    pub next_slot: i32,
    /// How far the stack-pointer register has moved since the start, in slots.
    pub sp: i32,
}

impl Picture {
    /// `window` items, the top `cached` of them in the cache registers, the rest in memory
    /// below the stack pointer.
    pub(crate) fn start(window: usize, cached: usize, cache: &[Reg; 3]) -> Picture {
        let below = (window - cached) as i32;
        let items = (0..window)
            .map(|j| {
                let slot = j as i32 - below;
                let reg = (j as i32 >= below).then(|| cache[j - below as usize]);
                Item {
                    slot,
                    reg,
                    mem: reg.is_none(),
                }
            })
            .collect();
        Picture {
            items,
            next_slot: window as i32 - below,
            sp: 0,
        }
    }

    fn mem_off(&self, slot: i32) -> i32 {
        8 * (slot - self.sp)
    }
}

/// Where an argument (or a parallel move) takes its value from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Src {
    Reg(Reg),
    Mem { base: Reg, off: i32 },
}

/// Emits `moves` (destination, source) as if all happened at once. `scratch`: registers that
/// may be used to break a cycle.
pub(crate) fn parallel_moves(
    mut moves: Vec<(Reg, Src)>,
    scratch: &[Reg],
) -> Result<Vec<Ins>, String> {
    let mut out = Vec::new();
    moves.retain(|(d, s)| *s != Src::Reg(*d));
    for (d, s) in &moves {
        if let Src::Mem { base, .. } = s {
            if moves.iter().any(|(d2, _)| d2 == base) {
                return Err(format!(
                    "a move into r{d} loads through r{base}, which another move overwrites"
                ));
            }
        }
    }
    let mut dests: Vec<Reg> = moves.iter().map(|m| m.0).collect();
    dests.sort_unstable();
    if dests.windows(2).any(|w| w[0] == w[1]) {
        return Err("two moves into one register".into());
    }
    while !moves.is_empty() {
        let ready = (0..moves.len()).find(|&i| {
            let d = moves[i].0;
            !moves
                .iter()
                .enumerate()
                .any(|(k, (_, s))| k != i && *s == Src::Reg(d))
        });
        match ready {
            Some(i) => {
                let (d, s) = moves.remove(i);
                out.push(match s {
                    Src::Reg(r) => Ins::Mov(d, r),
                    Src::Mem { base, off } => Ins::Load {
                        dst: d,
                        base,
                        off,
                        w: Width::B8,
                    },
                });
            }
            None => {
                // A cycle of register moves: park one source in a free scratch register.
                let used = |r: Reg| moves.iter().any(|(d, s)| *d == r || *s == Src::Reg(r));
                let t = *scratch
                    .iter()
                    .find(|&&t| !used(t))
                    .ok_or("no scratch register to break a cycle of moves")?;
                let Src::Reg(s) = moves[0].1.clone() else {
                    return Err("a cycle of moves without a register source".into());
                };
                out.push(Ins::Mov(t, s));
                for m in &mut moves {
                    if m.1 == Src::Reg(s) {
                        m.1 = Src::Reg(t);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The code that makes `pic` hold its top `k` items in the cache registers `0..k` and the
/// rest in memory below the stack pointer, and the picture after it.
pub(crate) fn reconcile(pic: &Picture, k: usize, ctx: &Ctx) -> Result<(Vec<Ins>, Picture), String> {
    let w = pic.items.len();
    if k > w {
        return Err(format!(
            "{k} cached items wanted, but the uop sees only {w} stack items"
        ));
    }
    let mut code = Vec::new();
    let nmem = w - k;
    for it in &pic.items[..nmem] {
        if !it.mem {
            let r = it
                .reg
                .ok_or("a stack item is neither in a register nor in memory")?;
            code.push(Ins::Store {
                src: Some(r),
                base: ctx.sp,
                off: pic.mem_off(it.slot),
                w: Width::B8,
            });
        }
    }
    let mut moves = Vec::new();
    for (i, it) in pic.items[nmem..].iter().enumerate() {
        let src = match it.reg {
            Some(r) => Src::Reg(r),
            None if it.mem => Src::Mem {
                base: ctx.sp,
                off: pic.mem_off(it.slot),
            },
            None => return Err("a stack item was lost".into()),
        };
        moves.push((ctx.cache[i], src));
    }
    code.extend(parallel_moves(moves, &[ctx.scratch])?);
    let base = pic.items.first().map_or(pic.next_slot, |it| it.slot);
    let new_sp = base + nmem as i32;
    if new_sp != pic.sp {
        code.push(Ins::AddImm(ctx.sp, 8 * i64::from(new_sp - pic.sp)));
    }
    let mut after = pic.clone();
    after.sp = new_sp;
    for (j, it) in after.items.iter_mut().enumerate() {
        if j < nmem {
            it.reg = None;
            it.mem = true;
        } else {
            it.reg = Some(ctx.cache[j - nmem]);
        }
    }
    Ok((code, after))
}

/// A callee: a CPython runtime function (the generic shape calls its model helper directly).
#[derive(Clone, Debug)]
pub(crate) enum Callee {
    Runtime(&'static str),
}

/// Writes one shape.
pub(crate) struct Builder<'c> {
    pub ctx: &'c Ctx,
    main: Vec<Ins>,
    open: Vec<Vec<Ins>>,
    cold: Vec<Vec<Ins>>,
    next_label: u32,
    pub pic: Picture,
    /// Cached items after the uop, and at its exits.
    pub m: usize,
    pub e: usize,
    /// The stencil's data (strings); 3.14 GOT words are added when lowering.
    pub data: Vec<u8>,
    /// The stencil ends in a tail jump or return: no output depth, no continue.
    terminated: bool,
    err: Option<String>,
    first_input: usize,
}

impl<'c> Builder<'c> {
    /// A uop with `n` cached items in, `m` out, `e` at its exits, that pops `inputs` stack
    /// items and pushes `outputs`.
    pub(crate) fn new(
        ctx: &'c Ctx,
        n: usize,
        m: usize,
        e: usize,
        inputs: usize,
        outputs: usize,
    ) -> Self {
        let n_ok = n.min(3);
        let window = n_ok.max(inputs).max((m + inputs).saturating_sub(outputs));
        let mut b = Builder {
            ctx,
            main: Vec::new(),
            open: Vec::new(),
            cold: Vec::new(),
            next_label: 0,
            pic: Picture::start(window, n_ok, &ctx.cache),
            m,
            e,
            data: Vec::new(),
            terminated: false,
            err: None,
            first_input: window - inputs,
        };
        if n > 3 || m > 3 || e > 3 {
            b.fail(format!(
                "at most 3 cached items (asked {n} in, {m} out, {e} at exits)"
            ));
        }
        b
    }

    pub(crate) fn fail(&mut self, msg: impl Into<String>) {
        if self.err.is_none() {
            self.err = Some(msg.into());
        }
    }

    pub(crate) fn emit(&mut self, ins: Ins) {
        match self.open.last_mut() {
            Some(block) => block.push(ins),
            None => self.main.push(ins),
        }
    }

    pub(crate) fn label(&mut self) -> u32 {
        self.next_label += 1;
        self.next_label
    }

    pub(crate) fn bind(&mut self, l: u32) {
        self.emit(Ins::Label(l));
    }

    /// Starts a block placed after the main path (it must end in a jump).
    pub(crate) fn cold_begin(&mut self, l: u32) {
        self.open.push(vec![Ins::Label(l)]);
    }

    pub(crate) fn cold_end(&mut self) {
        match self.open.pop() {
            Some(block) => self.cold.push(block),
            None => self.fail("cold_end without cold_begin"),
        }
    }

    /// The index of input `k` (0 = the deepest input) in the picture.
    pub(crate) fn input(&self, k: usize) -> usize {
        self.first_input + k
    }

    /// About to overwrite `r` with something that is not a stack item.
    pub(crate) fn def(&mut self, r: Reg) {
        let mut lost = None;
        for (j, it) in self.pic.items.iter_mut().enumerate() {
            if it.reg == Some(r) {
                if it.mem {
                    it.reg = None;
                } else {
                    lost = Some(j);
                }
            }
        }
        if let Some(j) = lost {
            self.fail(format!(
                "register {r} is overwritten while it holds stack item {j}"
            ));
        }
    }

    /// Temporary register `i` (checked free).
    pub(crate) fn t(&mut self, i: usize) -> Reg {
        let r = self.ctx.temps[i];
        self.def(r);
        r
    }

    /// A callee-saved register `i` (checked free).
    pub(crate) fn s(&mut self, i: usize) -> Reg {
        match self.ctx.saved.get(i).copied() {
            Some(r) => {
                self.def(r);
                r
            }
            None => {
                self.fail(format!("no callee-saved register #{i} on this target"));
                self.ctx.temps[0]
            }
        }
    }

    fn item(&self, j: usize) -> Option<Item> {
        self.pic.items.get(j).copied()
    }

    /// Item `j` into a register (loading it into `prefer` if it is only in memory).
    pub(crate) fn get(&mut self, j: usize, prefer: Reg) -> Reg {
        let Some(it) = self.item(j) else {
            self.fail(format!("no stack item {j}"));
            return prefer;
        };
        if let Some(r) = it.reg {
            return r;
        }
        self.def(prefer);
        let off = self.pic.mem_off(it.slot);
        self.emit(Ins::Load {
            dst: prefer,
            base: self.ctx.sp,
            off,
            w: Width::B8,
        });
        self.pic.items[j].reg = Some(prefer);
        prefer
    }

    /// Loads item `j` into the cache register it ends in, if the uop leaves it where it is (a
    /// guard) and that register is free; else leaves it where it is.
    pub(crate) fn fetch(&mut self, j: usize) {
        let w = self.pic.items.len();
        if self.item(j).is_none_or(|it| it.reg.is_some()) {
            return;
        }
        let free = (j + self.m >= w)
            .then(|| self.ctx.cache[j + self.m - w])
            .filter(|r| !self.pic.items.iter().any(|it| it.reg == Some(*r)));
        if let Some(r) = free {
            self.get(j, r);
        }
    }

    /// A copy of item `j`'s value in `dst` (the item stays where it is).
    pub(crate) fn copy(&mut self, j: usize, dst: Reg) {
        let Some(it) = self.item(j) else {
            self.fail(format!("no stack item {j}"));
            return;
        };
        if it.reg == Some(dst) {
            return;
        }
        self.def(dst);
        match it.reg {
            Some(r) => self.emit(Ins::Mov(dst, r)),
            None => {
                let off = self.pic.mem_off(it.slot);
                self.emit(Ins::Load {
                    dst,
                    base: self.ctx.sp,
                    off,
                    w: Width::B8,
                });
            }
        }
    }

    /// Moves item `j` into register `r`.
    pub(crate) fn place(&mut self, j: usize, r: Reg) {
        let Some(it) = self.item(j) else {
            self.fail(format!("no stack item {j}"));
            return;
        };
        if it.reg == Some(r) {
            return;
        }
        self.copy(j, r);
        self.pic.items[j].reg = Some(r);
    }

    /// Pops `k` items (their registers keep their values, untracked).
    pub(crate) fn consume(&mut self, k: usize) {
        let n = self.pic.items.len();
        if k > n {
            self.fail(format!("pops {k} items of {n}"));
            return;
        }
        self.pic.items.truncate(n - k);
        self.pic.next_slot -= k as i32;
    }

    /// Pushes a new item held in `r`.
    pub(crate) fn push(&mut self, r: Reg) {
        if self.pic.items.iter().any(|it| it.reg == Some(r)) {
            self.fail(format!(
                "register {r} pushed while it holds another stack item"
            ));
        }
        let slot = self.pic.next_slot;
        self.pic.items.push(Item {
            slot,
            reg: Some(r),
            mem: false,
        });
        self.pic.next_slot += 1;
    }

    /// The register output item `k` (0 = deepest of `count` outputs pushed after the inputs
    /// are popped) ends in, if it is cached and the register holds no other item now.
    pub(crate) fn out_reg(&self, k: usize, count: usize, fallback: Reg) -> Reg {
        let after = self.pic.items.len() + count;
        let pos = self.pic.items.len() + k;
        (pos + self.m >= after)
            .then(|| self.ctx.cache[pos + self.m - after])
            .filter(|r| !self.pic.items.iter().any(|it| it.reg == Some(*r)))
            .unwrap_or(fallback)
    }

    pub(crate) fn reconcile_to(&mut self, k: usize) {
        match reconcile(&self.pic, k, self.ctx) {
            Ok((code, after)) => {
                for ins in code {
                    self.emit(ins);
                }
                self.pic = after;
            }
            Err(e) => self.fail(e),
        }
    }

    /// Forgets the picture: after a helper that manages the stack itself, the stack pointer
    /// register is reloaded and `count` items are in memory below it.
    pub(crate) fn restart_picture(&mut self, count: usize) {
        self.pic = Picture::start(count, 0, &self.ctx.cache);
    }

    fn leave(&mut self, cond: Option<Cond>, depth: usize, to: HoleValue) {
        let (code, _) = match reconcile(&self.pic, depth, self.ctx) {
            Ok(x) => x,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        match cond {
            Some(c) if code.is_empty() => self.emit(Ins::Jcc(c, Tgt::Hole(to))),
            Some(c) => {
                let l = self.label();
                self.emit(Ins::Jcc(c, Tgt::Local(l)));
                self.cold_begin(l);
                for ins in code {
                    self.emit(ins);
                }
                self.emit(Ins::Jmp(Tgt::Hole(to)));
                self.cold_end();
            }
            None => {
                for ins in code {
                    self.emit(ins);
                }
                self.emit(Ins::Jmp(Tgt::Hole(to)));
            }
        }
    }

    /// Leaves the trace through the uop's exit stub (`JUMP_TARGET`) when `cond` holds (always
    /// for `None`), with the uop's exit depth cached.
    pub(crate) fn exit_if(&mut self, cond: Option<Cond>) {
        self.leave(cond, self.e, HoleValue::JumpTarget);
    }

    /// Jumps to the error stub (`ERROR_TARGET`), nothing cached, when `cond` holds.
    pub(crate) fn error_if(&mut self, cond: Option<Cond>) {
        self.leave(cond, 0, HoleValue::ErrorTarget);
    }

    /// The executor into a register (3.15: its register; 3.14: an `EXECUTOR` hole into `t`).
    pub(crate) fn executor(&mut self, t: Reg) -> Reg {
        match self.ctx.exec {
            Some(r) => r,
            None => {
                self.def(t);
                self.emit(Ins::Imm64 {
                    dst: t,
                    value: HoleValue::Executor,
                    symbol: None,
                    addend: 0,
                });
                t
            }
        }
    }

    /// A hole-valued 64-bit immediate into `dst`.
    pub(crate) fn imm(&mut self, dst: Reg, value: HoleValue, symbol: Option<&str>, addend: i64) {
        self.def(dst);
        self.emit(Ins::Imm64 {
            dst,
            value,
            symbol: symbol.map(str::to_string),
            addend,
        });
    }

    pub(crate) fn sym_addr(&mut self, dst: Reg, symbol: &str) {
        self.def(dst);
        self.emit(Ins::SymAddr {
            dst,
            symbol: symbol.to_string(),
        });
    }

    /// Calls `callee` with `args` (registers moved into the argument registers) as the native
    /// ABI wants: stack items in registers the call may overwrite are stored to their slots
    /// first and loaded back after; for an `escaping` call (one that may run arbitrary code)
    /// every item goes to the stack below the stack pointer, which is saved in
    /// `frame->stackpointer`. The result is moved to `ret_to`.
    pub(crate) fn call(
        &mut self,
        callee: Callee,
        args: &[Src],
        escaping: bool,
        ret_to: Option<Reg>,
    ) {
        let ctx = self.ctx;
        let saved = self.pic.clone();
        if escaping {
            self.reconcile_to(0);
            self.emit(Ins::Store {
                src: Some(ctx.sp),
                base: ctx.frame,
                off: ctx.off.stackpointer,
                w: Width::B8,
            });
        } else {
            for it in saved.items.clone() {
                if let Some(r) = it.reg {
                    if ctx.caller_saved(r) && !it.mem {
                        let off = self.pic.mem_off(it.slot);
                        self.emit(Ins::Store {
                            src: Some(r),
                            base: ctx.sp,
                            off,
                            w: Width::B8,
                        });
                    }
                }
            }
        }
        let moves: Vec<(Reg, Src)> = args
            .iter()
            .enumerate()
            .map(|(i, s)| (ctx.args[i], s.clone()))
            .collect();
        let mut scratch: Vec<Reg> = vec![ctx.scratch];
        scratch.extend(ctx.temps.iter().filter(|t| !args.contains(&Src::Reg(**t))));
        match parallel_moves(moves, &scratch) {
            Ok(code) => {
                for ins in code {
                    self.emit(ins);
                }
            }
            Err(e) => self.fail(e),
        }
        self.emit(match callee {
            Callee::Runtime(s) => Ins::CallSym(s.to_string()),
        });
        if escaping {
            self.emit(Ins::Load {
                dst: ctx.sp,
                base: ctx.frame,
                off: ctx.off.stackpointer,
                w: Width::B8,
            });
        }
        let mut reloads = Vec::new();
        for it in &saved.items {
            if let Some(r) = it.reg {
                if ctx.caller_saved(r) {
                    reloads.push((r, it.slot));
                }
            }
        }
        if let Some(rt) = ret_to {
            if reloads.iter().any(|(r, _)| *r == rt) {
                self.fail(format!(
                    "the result goes to register {rt}, which a stack item reloads"
                ));
            }
            if rt != ctx.ret {
                self.emit(Ins::Mov(rt, ctx.ret));
            }
        }
        for (r, slot) in reloads {
            let off = self.pic.mem_off(slot);
            self.emit(Ins::Load {
                dst: r,
                base: ctx.sp,
                off,
                w: Width::B8,
            });
        }
        if self.pic.sp != saved.sp {
            self.emit(Ins::AddImm(ctx.sp, 8 * i64::from(saved.sp - self.pic.sp)));
        }
        self.pic = saved;
        // Temporaries that held no item are simply clobbered.
        if let Some(rt) = ret_to {
            self.def(rt);
        }
    }

    /// `Py_DECREF` of the object a stack reference in `v` points to, unless the reference is
    /// tagged (borrowed, deferred, immortal, a tagged int) or the object is immortal; the last
    /// reference calls `dealloc` (in a cold block).
    pub(crate) fn decref(&mut self, v: Reg, dealloc: &'static str, escaping: bool) {
        let t = if v == self.ctx.temps[3] {
            self.t(2)
        } else {
            self.t(3)
        };
        let done = self.label();
        let cold = self.label();
        self.emit(Ins::TestImm {
            r: v,
            imm: 1,
            w: Width::B8,
        });
        self.emit(Ins::Jcc(Cond::Ne, Tgt::Local(done)));
        self.emit(Ins::Load {
            dst: t,
            base: v,
            off: 0,
            w: Width::B4,
        });
        self.emit(Ins::TestImm {
            r: t,
            imm: 0x8000_0000,
            w: Width::B4,
        });
        self.emit(Ins::Jcc(Cond::Ne, Tgt::Local(done)));
        self.emit(Ins::Load {
            dst: t,
            base: v,
            off: 0,
            w: Width::B8,
        });
        self.emit(Ins::AddImm(t, -1));
        self.emit(Ins::Store {
            src: Some(t),
            base: v,
            off: 0,
            w: Width::B8,
        });
        self.emit(Ins::CmpImm {
            r: t,
            imm: 0,
            w: Width::B8,
        });
        self.emit(Ins::Jcc(Cond::Eq, Tgt::Local(cold)));
        self.bind(done);
        self.cold_begin(cold);
        // The tag bit is clear here: `v` is the object pointer.
        self.call(Callee::Runtime(dealloc), &[Src::Reg(v)], escaping, None);
        self.emit(Ins::Jmp(Tgt::Local(done)));
        self.cold_end();
    }

    /// `Py_INCREF` of the object of a stack reference in `v`, unless tagged or immortal.
    pub(crate) fn incref(&mut self, v: Reg) {
        let t = if v == self.ctx.temps[3] {
            self.t(2)
        } else {
            self.t(3)
        };
        let skip = self.label();
        self.emit(Ins::TestImm {
            r: v,
            imm: 1,
            w: Width::B8,
        });
        self.emit(Ins::Jcc(Cond::Ne, Tgt::Local(skip)));
        self.emit(Ins::Load {
            dst: t,
            base: v,
            off: 0,
            w: Width::B4,
        });
        self.emit(Ins::CmpImm {
            r: t,
            imm: 0xC000_0000,
            w: Width::B4,
        });
        self.emit(Ins::Jcc(Cond::Hs, Tgt::Local(skip)));
        self.emit(Ins::AddImm(t, 1));
        self.emit(Ins::Store {
            src: Some(t),
            base: v,
            off: 0,
            w: Width::B8,
        });
        self.bind(skip);
    }

    /// The shape ends in a tail jump or a return.
    pub(crate) fn terminate(&mut self) {
        self.terminated = true;
    }

    /// The instructions (main path, then the cold blocks) and the data.
    pub(crate) fn finish(mut self) -> Result<(Vec<Ins>, Vec<u8>), String> {
        if !self.terminated {
            let m = self.m;
            self.reconcile_to(m);
        }
        if !self.open.is_empty() {
            self.fail("a cold block was not closed");
        }
        if let Some(e) = self.err {
            return Err(e);
        }
        let mut code = self.main;
        if !self.cold.is_empty() && !self.terminated {
            code.push(Ins::Jmp(Tgt::Continue));
        }
        for block in self.cold {
            code.extend(block);
        }
        thread_jumps_to_continue(&mut code);
        // A jump to the end of the stencil is zero-length: the next uop follows.
        while code.last() == Some(&Ins::Jmp(Tgt::Continue)) {
            code.pop();
        }
        Ok((code, self.data))
    }
}

/// A branch to a label that is followed by a jump to the stencil's end goes to the end
/// directly (as a compiler threads jumps).
fn thread_jumps_to_continue(code: &mut [Ins]) {
    let mut to_end = std::collections::HashSet::new();
    for (i, ins) in code.iter().enumerate() {
        if let Ins::Label(l) = ins {
            let next = code[i + 1..].iter().find(|x| !matches!(x, Ins::Label(_)));
            if next == Some(&Ins::Jmp(Tgt::Continue)) {
                to_end.insert(*l);
            }
        }
    }
    for ins in code.iter_mut() {
        match ins {
            Ins::Jmp(t) | Ins::Jcc(_, t) => {
                if matches!(t, Tgt::Local(l) if to_end.contains(l)) {
                    *t = Tgt::Continue;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx15() -> Ctx {
        Ctx::new(PyVersion::V3_15, Target::X86_64Linux)
    }

    #[test]
    fn reconcile_reloads_under_a_cached_item() {
        // _SPILL_OR_RELOAD_r13: one cached item, three wanted.
        let ctx = ctx15();
        let pic = Picture::start(3, 1, &ctx.cache);
        let (code, after) = reconcile(&pic, 3, &ctx).unwrap();
        // rdx <- rdi before rdi is loaded, then sp -= 16.
        let at = |i: &Ins| code.iter().position(|x| x == i).unwrap();
        assert!(
            at(&Ins::Mov(2, 7))
                < at(&Ins::Load {
                    dst: 7,
                    base: 14,
                    off: -16,
                    w: Width::B8
                })
        );
        assert!(code.contains(&Ins::Load {
            dst: 7,
            base: 14,
            off: -16,
            w: Width::B8
        }));
        assert!(code.contains(&Ins::Load {
            dst: 6,
            base: 14,
            off: -8,
            w: Width::B8
        }));
        assert_eq!(code.last(), Some(&Ins::AddImm(14, -16)));
        assert_eq!(after.sp, -2);
        assert_eq!(after.items[2].reg, Some(2));
    }

    #[test]
    fn reconcile_spills_to_memory() {
        // _SPILL_OR_RELOAD_r20
        let ctx = ctx15();
        let pic = Picture::start(2, 2, &ctx.cache);
        let (code, _) = reconcile(&pic, 0, &ctx).unwrap();
        assert_eq!(
            code,
            vec![
                Ins::Store {
                    src: Some(7),
                    base: 14,
                    off: 0,
                    w: Width::B8
                },
                Ins::Store {
                    src: Some(6),
                    base: 14,
                    off: 8,
                    w: Width::B8
                },
                Ins::AddImm(14, 16),
            ]
        );
    }

    #[test]
    fn a_cycle_of_moves_uses_a_scratch_register() {
        let code = parallel_moves(vec![(1, Src::Reg(2)), (2, Src::Reg(1))], &[9]).unwrap();
        assert_eq!(code, vec![Ins::Mov(9, 2), Ins::Mov(2, 1), Ins::Mov(1, 9)]);
        assert!(parallel_moves(vec![(1, Src::Reg(2)), (2, Src::Reg(1))], &[1, 2]).is_err());
    }

    #[test]
    fn overwriting_a_cached_item_is_refused() {
        let ctx = ctx15();
        let mut b = Builder::new(&ctx, 1, 1, 1, 0, 0);
        b.def(7);
        assert!(b.finish().unwrap_err().contains("holds stack item"));
    }
}
