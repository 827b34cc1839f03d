//! The control-flow graph and CPython's optimizations on it — `Python/flowgraph.c`.
//!
//! Input: a [`CodeUnit`] as codegen leaves it. [`optimize`] builds the basic blocks, runs the
//! optimizer passes in CPython's order (`_PyCfg_OptimizeCodeUnit`, then
//! `_PyCfg_OptimizedCfgToInstructionSequence`) and returns the final instruction list, whose
//! jump opargs are still instruction indices: the assembler turns them into offsets.
//!
//! Blocks live in an arena (`Vec<Block>`) and are chained by `next` in layout order, like the
//! C `b_next` list; passes that reorder or insert blocks only relink `next`.

pub mod fold;

use super::ir::{CodeUnit, ConstCache, ConstValue, Loc};
use super::op::{Op, OpTable};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::version::PyVersion;
use fold::Unary;

/// `co_flags` bits the flow graph looks at.
const CO_VARARGS: u32 = 0x4;
const CO_VARKEYWORDS: u32 = 0x8;
const CO_GENERATOR: u32 = 0x20;
const CO_COROUTINE: u32 = 0x80;
const CO_ASYNC_GENERATOR: u32 = 0x200;

/// `_PY_STACK_USE_GUIDELINE`: the longest constant sequence folded.
const STACK_USE_GUIDELINE: u32 = 30;
/// Below this many items a constant list/set literal is left as it is.
const MIN_CONST_SEQUENCE_SIZE: u32 = 3;
/// Largest exit block copied into its predecessor.
const MAX_COPY_SIZE: usize = 4;

/// The exception handler an instruction is covered by, as the assembler needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    /// Index (in [`Optimized::instrs`]) of the handler's first instruction.
    pub target: usize,
    pub startdepth: i32,
    pub preserve_lasti: bool,
}

/// One instruction of the optimized sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutInstr {
    pub op: Op,
    /// The oparg; for jumps the index of the target instruction.
    pub arg: u32,
    pub loc: Loc,
    pub handler: Option<Handler>,
}

/// The flow graph's result.
#[derive(Clone, Debug)]
pub struct Optimized {
    pub instrs: Vec<OutInstr>,
    /// `co_consts` after folding and removal of unused entries.
    pub consts: Vec<ConstValue>,
    pub stackdepth: u32,
    pub nlocalsplus: u32,
}

#[derive(Clone, Copy, Debug)]
struct CInstr {
    op: Op,
    arg: i32,
    loc: Loc,
    target: Option<usize>,
    except: Option<usize>,
}

impl CInstr {
    fn new(op: Op, arg: i32, loc: Loc) -> CInstr {
        CInstr {
            op,
            arg,
            loc,
            target: None,
            except: None,
        }
    }
    fn set0(&mut self, op: Op) {
        self.op = op;
        self.arg = 0;
    }
    fn set1(&mut self, op: Op, arg: i32) {
        self.op = op;
        self.arg = arg;
    }
}

#[derive(Clone, Debug)]
struct Block {
    instrs: Vec<CInstr>,
    next: Option<usize>,
    /// Label id, -1 for none.
    label: i32,
    except_stack: Option<Vec<Option<usize>>>,
    startdepth: i32,
    preserve_lasti: bool,
    visited: bool,
    except_handler: bool,
    cold: bool,
    warm: bool,
    predecessors: i32,
    unsafe_mask: u64,
    /// The exception handlers left in the C array's slots past the end after the block
    /// shrank: `basicblock_addop` reuses such a slot without resetting `i_except`, so an
    /// instruction appended later inherits the old value (fresh slots are zeroed).
    ghost: Vec<Option<usize>>,
}

impl Default for Block {
    fn default() -> Block {
        Block {
            instrs: Vec::new(),
            next: None,
            label: -1,
            except_stack: None,
            startdepth: 0,
            preserve_lasti: false,
            visited: false,
            except_handler: false,
            cold: false,
            warm: false,
            predecessors: 0,
            unsafe_mask: 0,
            ghost: Vec::new(),
        }
    }
}

fn is_block_push(op: Op) -> bool {
    matches!(op, Op::SETUP_FINALLY | Op::SETUP_WITH | Op::SETUP_CLEANUP)
}
fn is_uncond_jump(op: Op) -> bool {
    matches!(
        op,
        Op::JUMP
            | Op::JUMP_NO_INTERRUPT
            | Op::JUMP_FORWARD
            | Op::JUMP_BACKWARD
            | Op::JUMP_BACKWARD_NO_INTERRUPT
    )
}
fn is_cond_jump(op: Op) -> bool {
    matches!(
        op,
        Op::POP_JUMP_IF_FALSE
            | Op::POP_JUMP_IF_TRUE
            | Op::POP_JUMP_IF_NONE
            | Op::POP_JUMP_IF_NOT_NONE
    )
}
fn is_scope_exit(op: Op) -> bool {
    matches!(op, Op::RETURN_VALUE | Op::RAISE_VARARGS | Op::RERAISE)
}

struct Cfg<'a> {
    t: &'a OpTable,
    version: PyVersion,
    blocks: Vec<Block>,
    entry: usize,
    consts: Vec<ConstValue>,
    /// The first index of each constant's key in `consts` (built when first needed, dropped
    /// when `consts` is rewritten): folding looks constants up by hash, never by scanning.
    const_index: Option<std::collections::HashMap<super::ir::ConstKey, i32>>,
    /// `RESUME_OPARG_LOCATION_MASK` / `RESUME_OPARG_DEPTH1_MASK` of this version.
    resume_location_mask: i32,
    resume_depth1_mask: i32,
    /// A construct a pass met that the model does not reproduce: the unit is refused with it.
    refused: Option<PyError>,
    /// The compilation's constant cache (shared by its code units: [`optimize`] lends it).
    const_cache: ConstCache,
}

fn internal(msg: &str) -> PyError {
    PyError::new(
        PyErrorKind::Unsupported,
        format!("the built-in compiler's flow graph failed: {msg}"),
        "",
    )
}

impl<'a> Cfg<'a> {
    fn is_jump(&self, op: Op) -> bool {
        self.t.has_jump(op)
    }
    fn has_target(&self, op: Op) -> bool {
        self.is_jump(op) || is_block_push(op)
    }
    fn is_terminator(&self, op: Op) -> bool {
        self.is_jump(op) || is_scope_exit(op)
    }
    fn last(&self, b: usize) -> Option<&CInstr> {
        self.blocks[b].instrs.last()
    }
    fn no_fallthrough(&self, b: usize) -> bool {
        self.last(b)
            .is_some_and(|l| is_scope_exit(l.op) || is_uncond_jump(l.op))
    }
    fn has_fallthrough(&self, b: usize) -> bool {
        !self.no_fallthrough(b)
    }
    fn exits_scope(&self, b: usize) -> bool {
        self.last(b).is_some_and(|l| is_scope_exit(l.op))
    }
    /// Drops the instructions from `len` on, remembering their slots (see `Block::ghost`).
    fn shrink(&mut self, b: usize, len: usize) {
        let block = &mut self.blocks[b];
        if len >= block.instrs.len() {
            return;
        }
        let mut ghost: Vec<Option<usize>> = block.instrs[len..].iter().map(|i| i.except).collect();
        ghost.append(&mut block.ghost);
        block.ghost = ghost;
        block.instrs.truncate(len);
    }
    /// `n` slots get overwritten by whole copied instructions.
    fn take_slots(&mut self, b: usize, n: usize) {
        let g = &mut self.blocks[b].ghost;
        let n = n.min(g.len());
        g.drain(..n);
    }
    /// Appends an instruction built by `basicblock_addop`: its handler is whatever the slot
    /// held before.
    fn push_new(&mut self, b: usize, mut ins: CInstr) {
        let g = &mut self.blocks[b].ghost;
        ins.except = if g.is_empty() { None } else { g.remove(0) };
        self.blocks[b].instrs.push(ins);
    }
    /// Inserts an instruction built from a literal (no handler), taking a slot.
    fn insert_lit(&mut self, b: usize, pos: usize, ins: CInstr) {
        self.take_slots(b, 1);
        self.blocks[b].instrs.insert(pos, ins);
    }
    fn new_block(&mut self) -> usize {
        self.blocks.push(Block::default());
        self.blocks.len() - 1
    }
    /// Blocks in layout order.
    fn order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut b = Some(self.entry);
        while let Some(id) = b {
            out.push(id);
            b = self.blocks[id].next;
        }
        out
    }
    fn next_nonempty(&self, mut b: Option<usize>) -> Option<usize> {
        while let Some(id) = b {
            if !self.blocks[id].instrs.is_empty() {
                return Some(id);
            }
            b = self.blocks[id].next;
        }
        None
    }
    fn reset_visited(&mut self) {
        for id in self.order() {
            self.blocks[id].visited = false;
        }
    }
    fn max_label(&self) -> i32 {
        self.order()
            .iter()
            .map(|&b| self.blocks[b].label)
            .max()
            .unwrap_or(-1)
    }

    // ----- construction -----

    /// The flow graph of `unit`, which hands over its constants (nested code objects among
    /// them: too big to copy).
    fn build(unit: &mut CodeUnit, t: &'a OpTable, version: PyVersion) -> Result<Cfg<'a>, PyError> {
        let mut cfg = Cfg {
            t,
            version,
            blocks: vec![Block::default()],
            entry: 0,
            consts: std::mem::take(&mut unit.consts),
            const_index: None,
            resume_location_mask: t.tables.constant("RESUME_OPARG_LOCATION_MASK").unwrap_or(3)
                as i32,
            resume_depth1_mask: t.tables.constant("RESUME_OPARG_DEPTH1_MASK").unwrap_or(4) as i32,
            refused: None,
            const_cache: ConstCache::default(),
        };
        let seq = &unit.seq;
        let n = seq.instrs.len();
        // Jump and SETUP_* opargs: label ids → instruction indices.
        let mut instrs = Vec::with_capacity(n);
        let mut is_target = vec![false; n];
        for ins in &seq.instrs {
            let mut arg = ins.arg as i32;
            if cfg.has_target(ins.op) {
                let idx = seq
                    .target(ins.arg)
                    .ok_or_else(|| internal("jump to an unplaced label"))?;
                if idx >= n {
                    return Err(internal("jump past the last instruction"));
                }
                is_target[idx] = true;
                arg = idx as i32;
            }
            if ins.op == Op::ANNOTATIONS_PLACEHOLDER {
                // Codegen replaces it by the deferred `__annotate__` code when there is any;
                // what is left stands for nothing.
                instrs.push(CInstr::new(Op::NOP, 0, Loc::NONE));
                continue;
            }
            instrs.push(CInstr::new(ins.op, arg, ins.loc));
        }
        let mut cur = 0usize;
        let mut current_label: i32 = -1;
        for (i, ins) in instrs.into_iter().enumerate() {
            if is_target[i] {
                current_label = i as i32;
                cfg.maybe_start_new_block(&mut cur, &mut current_label);
            }
            cfg.maybe_start_new_block(&mut cur, &mut current_label);
            cfg.blocks[cur].instrs.push(ins);
        }
        // Labels → target blocks.
        let order = cfg.order();
        let mut label2block = std::collections::HashMap::new();
        for &b in &order {
            if cfg.blocks[b].label >= 0 {
                label2block.insert(cfg.blocks[b].label, b);
            }
        }
        for &b in &order {
            for i in 0..cfg.blocks[b].instrs.len() {
                let ins = cfg.blocks[b].instrs[i];
                if cfg.has_target(ins.op) {
                    let target = *label2block
                        .get(&ins.arg)
                        .ok_or_else(|| internal("jump target not found"))?;
                    cfg.blocks[b].instrs[i].target = Some(target);
                }
            }
        }
        Ok(cfg)
    }

    fn maybe_start_new_block(&mut self, cur: &mut usize, current_label: &mut i32) {
        let terminated = {
            let last = self.blocks[*cur].instrs.last().copied();
            if last.is_some_and(|l| self.is_terminator(l.op)) {
                true
            } else if *current_label >= 0 {
                if last.is_some() || self.blocks[*cur].label >= 0 {
                    true
                } else {
                    self.blocks[*cur].label = *current_label;
                    *current_label = -1;
                    false
                }
            } else {
                false
            }
        };
        if terminated {
            let b = self.new_block();
            self.blocks[b].label = *current_label;
            *current_label = -1;
            self.blocks[*cur].next = Some(b);
            *cur = b;
        }
    }

    fn check_cfg(&self) -> Result<(), PyError> {
        for b in self.order() {
            let instrs = &self.blocks[b].instrs;
            for (i, ins) in instrs.iter().enumerate() {
                if self.is_terminator(ins.op) && i != instrs.len() - 1 {
                    return Err(internal("malformed control flow graph"));
                }
            }
        }
        Ok(())
    }

    fn mark_except_handlers(&mut self) {
        for b in self.order() {
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if is_block_push(ins.op) {
                    if let Some(t) = ins.target {
                        self.blocks[t].except_handler = true;
                    }
                }
            }
        }
    }

    fn label_exception_targets(&mut self) {
        self.reset_visited();
        let entry = self.entry;
        let mut todo = vec![entry];
        self.blocks[entry].visited = true;
        self.blocks[entry].except_stack = Some(vec![None]);
        while let Some(b) = todo.pop() {
            let mut stack = self.blocks[b]
                .except_stack
                .take()
                .unwrap_or_else(|| vec![None]);
            let mut handler = *stack.last().unwrap_or(&None);
            let mut last_yield_except_depth: i32 = -1;
            let mut stack_moved = false;
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if is_block_push(ins.op) {
                    let target = ins.target.unwrap_or(b);
                    if !self.blocks[target].visited {
                        self.blocks[target].except_stack = Some(stack.clone());
                        todo.push(target);
                        self.blocks[target].visited = true;
                    }
                    if matches!(ins.op, Op::SETUP_WITH | Op::SETUP_CLEANUP) {
                        self.blocks[target].preserve_lasti = true;
                    }
                    stack.push(Some(target));
                    handler = Some(target);
                } else if ins.op == Op::POP_BLOCK {
                    if stack.len() > 1 {
                        stack.pop();
                    }
                    handler = *stack.last().unwrap_or(&None);
                    self.blocks[b].instrs[i].set0(Op::NOP);
                } else if self.is_jump(ins.op) {
                    self.blocks[b].instrs[i].except = handler;
                    let target = ins.target.unwrap_or(b);
                    if !self.blocks[target].visited {
                        if self.has_fallthrough(b) {
                            self.blocks[target].except_stack = Some(stack.clone());
                        } else {
                            self.blocks[target].except_stack = Some(stack.clone());
                            stack_moved = true;
                        }
                        todo.push(target);
                        self.blocks[target].visited = true;
                    }
                } else if ins.op == Op::YIELD_VALUE {
                    self.blocks[b].instrs[i].except = handler;
                    last_yield_except_depth = stack.len() as i32 - 1;
                } else if ins.op == Op::RESUME {
                    self.blocks[b].instrs[i].except = handler;
                    if ins.arg & self.resume_location_mask != 0 {
                        if last_yield_except_depth == 1 {
                            self.blocks[b].instrs[i].arg |= self.resume_depth1_mask;
                        }
                        last_yield_except_depth = -1;
                    }
                } else {
                    self.blocks[b].instrs[i].except = handler;
                }
            }
            if self.has_fallthrough(b) && !stack_moved {
                if let Some(next) = self.blocks[b].next {
                    if !self.blocks[next].visited {
                        self.blocks[next].except_stack = Some(stack);
                        todo.push(next);
                        self.blocks[next].visited = true;
                    }
                }
            }
        }
    }

    // ----- unreachable code, nops, jumps -----

    fn remove_unreachable(&mut self) {
        let order = self.order();
        for &b in &order {
            self.blocks[b].predecessors = 0;
            self.blocks[b].visited = false;
        }
        let entry = self.entry;
        let mut stack = vec![entry];
        self.blocks[entry].predecessors = 1;
        self.blocks[entry].visited = true;
        while let Some(b) = stack.pop() {
            if let Some(next) = self.blocks[b].next {
                if self.has_fallthrough(b) {
                    if !self.blocks[next].visited {
                        stack.push(next);
                        self.blocks[next].visited = true;
                    }
                    self.blocks[next].predecessors += 1;
                }
            }
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if self.is_jump(ins.op) || is_block_push(ins.op) {
                    if let Some(t) = ins.target {
                        if !self.blocks[t].visited {
                            stack.push(t);
                            self.blocks[t].visited = true;
                        }
                        self.blocks[t].predecessors += 1;
                    }
                }
            }
        }
        for &b in &order {
            if self.blocks[b].predecessors == 0 {
                self.shrink(b, 0);
                self.blocks[b].except_handler = false;
            }
        }
    }

    fn block_remove_redundant_nops(&mut self, b: usize) -> usize {
        let n = self.blocks[b].instrs.len();
        let mut dest = 0;
        let mut prev_lineno = -1;
        for src in 0..n {
            let ins = self.blocks[b].instrs[src];
            let lineno = ins.loc.lineno;
            if ins.op == Op::NOP {
                if lineno < 0 {
                    continue;
                }
                if prev_lineno == lineno {
                    continue;
                }
                if src < n - 1 {
                    let next_lineno = self.blocks[b].instrs[src + 1].loc.lineno;
                    if next_lineno == lineno {
                        continue;
                    }
                    if next_lineno < 0 {
                        self.blocks[b].instrs[src + 1].loc = ins.loc;
                        continue;
                    }
                } else if let Some(next) = self.next_nonempty(self.blocks[b].next) {
                    let mut next_loc = Loc::NONE;
                    for ni in &self.blocks[next].instrs {
                        if ni.op == Op::NOP && ni.loc.lineno < 0 {
                            continue;
                        }
                        next_loc = ni.loc;
                        break;
                    }
                    if lineno == next_loc.lineno {
                        continue;
                    }
                }
            }
            self.blocks[b].instrs[dest] = self.blocks[b].instrs[src];
            dest += 1;
            prev_lineno = lineno;
        }
        self.shrink(b, dest);
        n - dest
    }

    fn remove_redundant_nops(&mut self) -> usize {
        let mut changes = 0;
        for b in self.order() {
            changes += self.block_remove_redundant_nops(b);
        }
        changes
    }

    fn remove_redundant_nops_and_pairs(&mut self) {
        let mut done = false;
        while !done {
            done = true;
            let mut instr: Option<(usize, usize)> = None;
            for b in self.order() {
                self.block_remove_redundant_nops(b);
                if self.blocks[b].label >= 0 {
                    instr = None;
                }
                for i in 0..self.blocks[b].instrs.len() {
                    let prev = instr;
                    instr = Some((b, i));
                    let (prev_op, prev_arg) = match prev {
                        Some((pb, pi)) => {
                            let p = self.blocks[pb].instrs[pi];
                            (Some(p.op), p.arg)
                        }
                        None => (None, 0),
                    };
                    let op = self.blocks[b].instrs[i].op;
                    let mut redundant = false;
                    if op == Op::POP_TOP {
                        if let Some(po) = prev_op {
                            if po == Op::LOAD_CONST
                                || po == Op::LOAD_SMALL_INT
                                || (po == Op::LOAD_COMMON_CONSTANT
                                    && self.version.profile().common_constants_include_values)
                                || (po == Op::COPY && prev_arg == 1)
                            {
                                redundant = true;
                            }
                        }
                    }
                    if redundant {
                        if let Some((pb, pi)) = prev {
                            self.blocks[pb].instrs[pi].set0(Op::NOP);
                        }
                        self.blocks[b].instrs[i].set0(Op::NOP);
                        done = false;
                    }
                }
                let last_is_jump = instr
                    .map(|(ib, ii)| self.is_jump(self.blocks[ib].instrs[ii].op))
                    .unwrap_or(false);
                if last_is_jump || !self.has_fallthrough(b) {
                    instr = None;
                }
            }
        }
    }

    fn remove_redundant_jumps(&mut self) -> Result<usize, PyError> {
        let mut changes = 0;
        for b in self.order() {
            let Some(last) = self.last(b).copied() else {
                continue;
            };
            if is_uncond_jump(last.op) {
                let jump_target = self
                    .next_nonempty(last.target)
                    .ok_or_else(|| internal("jump with NULL target"))?;
                let next = self.next_nonempty(self.blocks[b].next);
                if Some(jump_target) == next {
                    changes += 1;
                    if let Some(l) = self.blocks[b].instrs.last_mut() {
                        l.set0(Op::NOP);
                    }
                }
            }
        }
        Ok(changes)
    }

    fn remove_redundant_nops_and_jumps(&mut self) -> Result<(), PyError> {
        loop {
            let nops = self.remove_redundant_nops();
            let jumps = self.remove_redundant_jumps()?;
            if nops + jumps == 0 {
                return Ok(());
            }
        }
    }

    fn has_no_lineno(&self, b: usize) -> bool {
        self.blocks[b].instrs.iter().all(|i| i.loc.lineno < 0)
    }

    fn inline_small_or_no_lineno_block(&mut self, b: usize) -> bool {
        let Some(last) = self.last(b).copied() else {
            return false;
        };
        if !is_uncond_jump(last.op) {
            return false;
        }
        let Some(target) = last.target else {
            return false;
        };
        let small_exit =
            self.exits_scope(target) && self.blocks[target].instrs.len() <= MAX_COPY_SIZE;
        let no_lineno = self.has_no_lineno(target) && !self.has_fallthrough(target);
        if small_exit || no_lineno {
            let removed = last.op;
            if let Some(l) = self.blocks[b].instrs.last_mut() {
                l.set0(Op::NOP);
            }
            let copy = self.blocks[target].instrs.clone();
            self.take_slots(b, copy.len());
            self.blocks[b].instrs.extend(copy);
            if no_lineno {
                if let Some(l) = self.blocks[b].instrs.last_mut() {
                    if is_uncond_jump(l.op) && removed == Op::JUMP {
                        l.op = Op::JUMP;
                    }
                }
            }
            self.blocks[target].predecessors -= 1;
            return true;
        }
        false
    }

    fn inline_small_or_no_lineno_blocks(&mut self) {
        loop {
            let mut changes = false;
            let mut b = Some(self.entry);
            while let Some(id) = b {
                if self.inline_small_or_no_lineno_block(id) {
                    changes = true;
                }
                b = self.blocks[id].next;
            }
            if !changes {
                break;
            }
        }
    }

    // ----- line numbers -----

    fn is_exit_or_eval_check_without_lineno(&self, b: usize) -> bool {
        let eval_break = self.blocks[b].instrs.iter().any(|i| {
            self.t
                .info(i.op)
                .is_some_and(|info| info.has(cpyviz_model::tables::flags::HAS_EVAL_BREAK))
        });
        if self.exits_scope(b) || eval_break {
            self.has_no_lineno(b)
        } else {
            false
        }
    }

    fn duplicate_exits_without_lineno(&mut self) {
        let mut next_lbl = self.max_label() + 1;
        let mut b = Some(self.entry);
        while let Some(id) = b {
            if let Some(last) = self.last(id).copied() {
                if self.is_jump(last.op) {
                    if let Some(target) = self.next_nonempty(last.target) {
                        if self.is_exit_or_eval_check_without_lineno(target)
                            && self.blocks[target].predecessors > 1
                        {
                            let nt = self.new_block();
                            self.blocks[nt].instrs = self.blocks[target].instrs.clone();
                            self.blocks[nt].instrs[0].loc = last.loc;
                            if let Some(l) = self.blocks[id].instrs.last_mut() {
                                l.target = Some(nt);
                            }
                            self.blocks[target].predecessors -= 1;
                            self.blocks[nt].predecessors = 1;
                            self.blocks[nt].next = self.blocks[target].next;
                            self.blocks[nt].label = next_lbl;
                            next_lbl += 1;
                            self.blocks[target].next = Some(nt);
                        }
                    }
                }
            }
            b = self.blocks[id].next;
        }
        for id in self.order() {
            if self.has_fallthrough(id) && !self.blocks[id].instrs.is_empty() {
                if let Some(next) = self.blocks[id].next {
                    if self.is_exit_or_eval_check_without_lineno(next) {
                        let loc = self.last(id).map(|l| l.loc).unwrap_or(Loc::NONE);
                        self.blocks[next].instrs[0].loc = loc;
                    }
                }
            }
        }
    }

    fn propagate_line_numbers(&mut self) {
        for b in self.order() {
            let Some(last) = self.last(b).copied() else {
                continue;
            };
            let mut prev = Loc::NONE;
            for ins in self.blocks[b].instrs.iter_mut() {
                if ins.loc.lineno == -1 {
                    ins.loc = prev;
                } else {
                    prev = ins.loc;
                }
            }
            if self.has_fallthrough(b) {
                if let Some(next) = self.blocks[b].next {
                    if self.blocks[next].predecessors == 1 {
                        if let Some(first) = self.blocks[next].instrs.first_mut() {
                            if first.loc.lineno == -1 {
                                first.loc = prev;
                            }
                        }
                    }
                }
            }
            if self.is_jump(last.op) {
                if let Some(target) = last.target {
                    if self.blocks[target].predecessors == 1 {
                        if let Some(first) = self.blocks[target].instrs.first_mut() {
                            if first.loc.lineno == -1 {
                                first.loc = prev;
                            }
                        }
                    }
                }
            }
        }
    }

    fn resolve_line_numbers(&mut self) {
        self.duplicate_exits_without_lineno();
        self.propagate_line_numbers();
    }

    // ----- constants -----

    /// The index of `value` in the common-constant table of 3.15 (`LOAD_COMMON_CONSTANT`), when
    /// it is one of the plain values there.
    fn common_constant_index(&self, value: &ConstValue) -> Option<i32> {
        if !self.version.profile().common_constants_include_values {
            return None;
        }
        let name = match value {
            ConstValue::None => "None",
            ConstValue::Bool(true) => "True",
            ConstValue::Bool(false) => "False",
            ConstValue::Str(s) if s.is_empty() => "''",
            ConstValue::Int(i) if *i == num_bigint::BigInt::from(-1) => "-1",
            _ => return None,
        };
        self.t
            .tables
            .common_constants
            .iter()
            .position(|c| *c == name)
            .map(|p| p as i32)
    }

    fn common_constant_value(&self, arg: i32) -> Option<ConstValue> {
        if !self.version.profile().common_constants_include_values {
            return None;
        }
        let name = self.t.tables.common_constants.get(arg as usize)?;
        Some(match *name {
            "None" => ConstValue::None,
            "True" => ConstValue::Bool(true),
            "False" => ConstValue::Bool(false),
            "''" => ConstValue::Str(String::new().into()),
            "-1" => ConstValue::Int(num_bigint::BigInt::from(-1)),
            _ => return None,
        })
    }

    fn loads_const(&self, ins: &CInstr) -> bool {
        self.t.info(ins.op).is_some_and(|i| i.has_const())
            || ins.op == Op::LOAD_SMALL_INT
            || (ins.op == Op::LOAD_COMMON_CONSTANT && self.common_constant_value(ins.arg).is_some())
    }

    fn const_value(&self, ins: &CInstr) -> Option<ConstValue> {
        match ins.op {
            Op::LOAD_CONST => self.consts.get(ins.arg as usize).cloned(),
            Op::LOAD_SMALL_INT => Some(ConstValue::Int(ins.arg.into())),
            Op::LOAD_COMMON_CONSTANT => self.common_constant_value(ins.arg),
            _ => None,
        }
    }

    /// The index of `value` in `co_consts`, added if no equal constant is there (code
    /// objects are never merged).
    fn add_const(&mut self, value: ConstValue) -> i32 {
        if matches!(value, ConstValue::Code(_)) {
            self.consts.push(value);
            return self.consts.len() as i32 - 1;
        }
        let consts = &self.consts;
        let index = self.const_index.get_or_insert_with(|| {
            let mut index = std::collections::HashMap::with_capacity(consts.len());
            for (i, c) in consts.iter().enumerate() {
                if !matches!(c, ConstValue::Code(_)) {
                    index.entry(c.key(usize::MAX)).or_insert(i as i32);
                }
            }
            index
        });
        let next = consts.len() as i32;
        let i = *index.entry(value.key(usize::MAX)).or_insert(next);
        if i == next {
            self.consts.push(value);
        }
        i
    }

    /// `LOAD_SMALL_INT` (and 3.15's `LOAD_COMMON_CONSTANT`) for `value` when it has one.
    fn small_form(&self, value: &ConstValue) -> Option<(Op, i32)> {
        if let ConstValue::Int(i) = value {
            if let Some(v) = num_traits::ToPrimitive::to_i64(i) {
                if (0..256).contains(&v) {
                    return Some((Op::LOAD_SMALL_INT, v as i32));
                }
            }
        }
        self.common_constant_index(value)
            .map(|i| (Op::LOAD_COMMON_CONSTANT, i))
    }

    fn make_load_const(&mut self, b: usize, i: usize, value: ConstValue) {
        if let Some((op, arg)) = self.small_form(&value) {
            self.blocks[b].instrs[i].set1(op, arg);
            return;
        }
        let idx = self.add_const(value);
        self.blocks[b].instrs[i].set1(Op::LOAD_CONST, idx);
    }

    /// The `size` constant loads ending just before `start` (NOPs skipped), in order.
    fn const_loading_instrs(&self, b: usize, start: isize, size: usize) -> Option<Vec<usize>> {
        let mut out = Vec::with_capacity(size);
        let mut i = start;
        while i >= 0 && out.len() < size {
            let ins = &self.blocks[b].instrs[i as usize];
            if ins.op != Op::NOP {
                if !self.loads_const(ins) {
                    return None;
                }
                out.push(i as usize);
            }
            i -= 1;
        }
        if out.len() < size {
            return None;
        }
        out.reverse();
        Some(out)
    }

    fn nop_out(&mut self, b: usize, idxs: &[usize]) {
        for &i in idxs {
            let ins = &mut self.blocks[b].instrs[i];
            ins.set0(Op::NOP);
            ins.loc = Loc::NONE;
        }
    }

    fn fold_tuple_of_constants(&mut self, b: usize, i: usize) {
        let size = self.blocks[b].instrs[i].arg as u32;
        if size > STACK_USE_GUIDELINE {
            return;
        }
        let Some(idxs) = self.const_loading_instrs(b, i as isize - 1, size as usize) else {
            return;
        };
        let mut items = Vec::new();
        for &j in &idxs {
            let Some(v) = self.const_value(&self.blocks[b].instrs[j]) else {
                return;
            };
            items.push(v);
        }
        self.nop_out(b, &idxs);
        self.make_load_const(b, i, ConstValue::Tuple(items));
    }

    fn fold_constant_intrinsic_list_to_tuple(&mut self, b: usize, i: usize) {
        let mut consts_found = 0usize;
        let mut expect_append = true;
        let mut pos = i as isize - 1;
        while pos >= 0 {
            let ins = self.blocks[b].instrs[pos as usize];
            if ins.op == Op::NOP {
                pos -= 1;
                continue;
            }
            if ins.op == Op::BUILD_LIST && ins.arg == 0 {
                if !expect_append {
                    return;
                }
                let mut items = Vec::new();
                let mut idxs = Vec::new();
                for np in (pos as usize..i).rev() {
                    let ins = self.blocks[b].instrs[np];
                    if ins.op == Op::NOP {
                        continue;
                    }
                    if self.loads_const(&ins) {
                        match self.const_value(&ins) {
                            Some(v) => items.push(v),
                            None => return,
                        }
                    }
                    idxs.push(np);
                }
                let _ = consts_found;
                items.reverse();
                self.nop_out(b, &idxs);
                self.make_load_const(b, i, ConstValue::Tuple(items));
                return;
            }
            if expect_append {
                if ins.op != Op::LIST_APPEND || ins.arg != 1 {
                    return;
                }
            } else {
                if !self.loads_const(&ins) {
                    return;
                }
                consts_found += 1;
            }
            expect_append = !expect_append;
            pos -= 1;
        }
    }

    fn optimize_lists_and_sets(&mut self, b: usize, i: usize, nextop: Option<Op>) {
        let ins = self.blocks[b].instrs[i];
        let contains_or_iter = matches!(nextop, Some(Op::GET_ITER) | Some(Op::CONTAINS_OP));
        let size = ins.arg as u32;
        if size > STACK_USE_GUIDELINE || (size < MIN_CONST_SEQUENCE_SIZE && !contains_or_iter) {
            return;
        }
        let Some(idxs) = self.const_loading_instrs(b, i as isize - 1, size as usize) else {
            if contains_or_iter && ins.op == Op::BUILD_LIST {
                self.blocks[b].instrs[i].set1(Op::BUILD_TUPLE, ins.arg);
            }
            return;
        };
        let mut items = Vec::new();
        for &j in &idxs {
            let Some(v) = self.const_value(&self.blocks[b].instrs[j]) else {
                return;
            };
            items.push(v);
        }
        let value = if ins.op == Op::BUILD_SET {
            match self.const_cache.frozenset(items) {
                Some(set) => set,
                None => {
                    // CPython hashes Ellipsis, NaN and code objects by address: no fixed order.
                    self.refused.get_or_insert_with(|| {
                        PyError::new(
                            PyErrorKind::Unsupported,
                            "a constant set holding a value whose hash is its address \
                             (Ellipsis or a NaN): CPython's order for it changes from run to run; \
                             try --engine cpython",
                            "",
                        )
                    });
                    return;
                }
            }
        } else {
            ConstValue::Tuple(items)
        };
        let index = self.add_const(value);
        self.nop_out(b, &idxs);
        if contains_or_iter {
            self.blocks[b].instrs[i].set1(Op::LOAD_CONST, index);
        } else if i >= 2 {
            let loc = ins.loc;
            self.blocks[b].instrs[i - 2].loc = loc;
            self.blocks[b].instrs[i - 2].set1(ins.op, 0);
            self.blocks[b].instrs[i - 1].set1(Op::LOAD_CONST, index);
            let ext = if ins.op == Op::BUILD_LIST {
                Op::LIST_EXTEND
            } else {
                Op::SET_UPDATE
            };
            self.blocks[b].instrs[i].set1(ext, 1);
        }
    }

    fn fold_const_binop(&mut self, b: usize, i: usize) {
        let Some(idxs) = self.const_loading_instrs(b, i as isize - 1, 2) else {
            return;
        };
        let (Some(lhs), Some(rhs)) = (
            self.const_value(&self.blocks[b].instrs[idxs[0]]),
            self.const_value(&self.blocks[b].instrs[idxs[1]]),
        ) else {
            return;
        };
        let oparg = self.blocks[b].instrs[i].arg;
        let Some(&(nb_name, _)) = self.t.tables.nb_ops.get(oparg as usize) else {
            return;
        };
        let Some(result) = fold::binop(&lhs, nb_name, &rhs) else {
            return;
        };
        self.nop_out(b, &idxs);
        self.make_load_const(b, i, result);
    }

    fn fold_const_unaryop(&mut self, b: usize, i: usize, op: Unary) {
        let Some(idxs) = self.const_loading_instrs(b, i as isize - 1, 1) else {
            return;
        };
        let Some(v) = self.const_value(&self.blocks[b].instrs[idxs[0]]) else {
            return;
        };
        let Some(result) = fold::unaryop(op, &v) else {
            return;
        };
        self.nop_out(b, &idxs);
        self.make_load_const(b, i, result);
    }

    fn optimize_load_const_block(&mut self, b: usize) {
        let mut opcode: Option<Op> = None;
        let mut oparg = 0;
        let n = self.blocks[b].instrs.len();
        for i in 0..n {
            let ins = self.blocks[b].instrs[i];
            if ins.op == Op::LOAD_CONST {
                // Borrowed, not copied: the constant may be a big code object.
                let small = self
                    .consts
                    .get(ins.arg as usize)
                    .and_then(|v| self.small_form(v));
                if let Some((op, arg)) = small {
                    self.blocks[b].instrs[i].set1(op, arg);
                }
            }
            let ins = self.blocks[b].instrs[i];
            let is_copy_of_load_const =
                opcode == Some(Op::LOAD_CONST) && ins.op == Op::COPY && ins.arg == 1;
            if !is_copy_of_load_const {
                opcode = Some(ins.op);
                oparg = ins.arg;
            }
            let Some(cur) = opcode else { continue };
            let probe = CInstr::new(cur, oparg, Loc::NONE);
            let is_load = cur == Op::LOAD_CONST
                || cur == Op::LOAD_SMALL_INT
                || (cur == Op::LOAD_COMMON_CONSTANT && self.loads_const(&probe));
            if !is_load {
                continue;
            }
            let nextop = self.blocks[b].instrs.get(i + 1).map(|x| x.op);
            match nextop {
                Some(
                    next @ (Op::POP_JUMP_IF_FALSE
                    | Op::POP_JUMP_IF_TRUE
                    | Op::JUMP_IF_FALSE
                    | Op::JUMP_IF_TRUE),
                ) => {
                    let Some(is_true) = self.const_value(&probe).as_ref().and_then(fold::truthy)
                    else {
                        continue;
                    };
                    if matches!(next, Op::POP_JUMP_IF_FALSE | Op::POP_JUMP_IF_TRUE) {
                        self.blocks[b].instrs[i].set0(Op::NOP);
                    }
                    let jump_if_true = matches!(next, Op::POP_JUMP_IF_TRUE | Op::JUMP_IF_TRUE);
                    if is_true == jump_if_true {
                        self.blocks[b].instrs[i + 1].op = Op::JUMP;
                    } else {
                        self.blocks[b].instrs[i + 1].set0(Op::NOP);
                    }
                }
                Some(Op::IS_OP) => {
                    if !matches!(self.const_value(&probe), Some(ConstValue::None)) {
                        continue;
                    }
                    if n <= i + 2 {
                        continue;
                    }
                    let is_arg = self.blocks[b].instrs[i + 1].arg;
                    let mut j = i + 2;
                    if self.blocks[b].instrs[j].op == Op::TO_BOOL {
                        self.blocks[b].instrs[j].set0(Op::NOP);
                        if n <= i + 3 {
                            continue;
                        }
                        j = i + 3;
                    }
                    let mut invert = is_arg != 0;
                    match self.blocks[b].instrs[j].op {
                        Op::POP_JUMP_IF_FALSE => invert = !invert,
                        Op::POP_JUMP_IF_TRUE => {}
                        _ => continue,
                    }
                    self.blocks[b].instrs[i].set0(Op::NOP);
                    self.blocks[b].instrs[i + 1].set0(Op::NOP);
                    self.blocks[b].instrs[j].op = if invert {
                        Op::POP_JUMP_IF_NOT_NONE
                    } else {
                        Op::POP_JUMP_IF_NONE
                    };
                }
                Some(Op::TO_BOOL) => {
                    let Some(is_true) = self.const_value(&probe).as_ref().and_then(fold::truthy)
                    else {
                        continue;
                    };
                    let value = ConstValue::Bool(is_true);
                    self.blocks[b].instrs[i].set0(Op::NOP);
                    if self.version.profile().common_constants_include_values {
                        if let Some(idx) = self.common_constant_index(&value) {
                            self.blocks[b].instrs[i + 1].set1(Op::LOAD_COMMON_CONSTANT, idx);
                            continue;
                        }
                    }
                    let index = self.add_const(value);
                    self.blocks[b].instrs[i + 1].set1(Op::LOAD_CONST, index);
                }
                _ => {}
            }
        }
    }

    /// Replaces a jump whose target starts with a jump by a jump to the final target.
    fn jump_thread(&mut self, b: usize, i: usize, target_ins: CInstr, op: Op) -> bool {
        let ins = self.blocks[b].instrs[i];
        if ins.target != target_ins.target {
            self.blocks[b].instrs[i].set0(Op::NOP);
            let mut j = CInstr::new(op, 0, target_ins.loc);
            j.target = target_ins.target;
            if self.version.profile().added_jumps_keep_handler {
                j.except = ins.except;
                self.take_slots(b, 1);
                self.blocks[b].instrs.push(j);
            } else {
                self.push_new(b, j);
            }
            return true;
        }
        false
    }

    fn optimize_basic_block(&mut self, b: usize) {
        let mut i: isize = 0;
        while (i as usize) < self.blocks[b].instrs.len() {
            let iu = i as usize;
            let ins = self.blocks[b].instrs[iu];
            let op = ins.op;
            let oparg = ins.arg;
            let target = if self.has_target(op) {
                ins.target
                    .and_then(|t| self.blocks[t].instrs.first().copied())
                    .unwrap_or(CInstr::new(Op::NOP, 0, Loc::NONE))
            } else {
                CInstr::new(Op::NOP, 0, Loc::NONE)
            };
            let next = self.blocks[b].instrs.get(iu + 1).copied();
            let nextop = next.map(|n| n.op);
            match op {
                Op::BUILD_TUPLE => {
                    if let Some(nx) = next {
                        if nx.op == Op::UNPACK_SEQUENCE && oparg == nx.arg {
                            match oparg {
                                1 => {
                                    self.blocks[b].instrs[iu].set0(Op::NOP);
                                    self.blocks[b].instrs[iu + 1].set0(Op::NOP);
                                    i += 1;
                                    continue;
                                }
                                2 | 3 => {
                                    self.blocks[b].instrs[iu].set0(Op::NOP);
                                    self.blocks[b].instrs[iu + 1].op = Op::SWAP;
                                    i += 1;
                                    continue;
                                }
                                _ => {}
                            }
                        }
                    }
                    self.fold_tuple_of_constants(b, iu);
                }
                Op::BUILD_LIST | Op::BUILD_SET => self.optimize_lists_and_sets(b, iu, nextop),
                Op::POP_JUMP_IF_NOT_NONE
                | Op::POP_JUMP_IF_NONE
                | Op::POP_JUMP_IF_FALSE
                | Op::POP_JUMP_IF_TRUE
                    if target.op == Op::JUMP && self.jump_thread(b, iu, target, op) =>
                {
                    i -= 1;
                }
                Op::JUMP_IF_FALSE | Op::JUMP_IF_TRUE => {
                    let same = op;
                    let other = if op == Op::JUMP_IF_FALSE {
                        Op::JUMP_IF_TRUE
                    } else {
                        Op::JUMP_IF_FALSE
                    };
                    if target.op == Op::JUMP || target.op == same {
                        if self.jump_thread(b, iu, target, same) {
                            i -= 1;
                        }
                        i += 1;
                        continue;
                    } else if target.op == other {
                        let t = ins.target.and_then(|t| self.blocks[t].next);
                        self.blocks[b].instrs[iu].target = t;
                        continue;
                    }
                }
                Op::JUMP | Op::JUMP_NO_INTERRUPT => {
                    if target.op == Op::JUMP {
                        if self.jump_thread(b, iu, target, Op::JUMP) {
                            i -= 1;
                        }
                        i += 1;
                        continue;
                    } else if target.op == Op::JUMP_NO_INTERRUPT {
                        if self.jump_thread(b, iu, target, op) {
                            i -= 1;
                        }
                        i += 1;
                        continue;
                    }
                }
                Op::STORE_FAST => {
                    if let Some(nx) = next {
                        if nx.op == op && nx.arg == oparg && ins.loc.lineno == nx.loc.lineno {
                            self.blocks[b].instrs[iu].set0(Op::POP_TOP);
                        }
                    }
                }
                Op::SWAP if oparg == 1 => {
                    self.blocks[b].instrs[iu].set0(Op::NOP);
                }
                Op::LOAD_GLOBAL if nextop == Some(Op::PUSH_NULL) && (oparg & 1) == 0 => {
                    self.blocks[b].instrs[iu].set1(Op::LOAD_GLOBAL, oparg | 1);
                    self.blocks[b].instrs[iu + 1].set0(Op::NOP);
                }
                Op::COMPARE_OP if nextop == Some(Op::TO_BOOL) => {
                    self.blocks[b].instrs[iu].set0(Op::NOP);
                    self.blocks[b].instrs[iu + 1].set1(Op::COMPARE_OP, oparg | 16);
                    i += 1;
                    continue;
                }
                Op::CONTAINS_OP | Op::IS_OP => {
                    if nextop == Some(Op::TO_BOOL) {
                        self.blocks[b].instrs[iu].set0(Op::NOP);
                        self.blocks[b].instrs[iu + 1].set1(op, oparg);
                        i += 1;
                        continue;
                    }
                    if nextop == Some(Op::UNARY_NOT) {
                        self.blocks[b].instrs[iu].set0(Op::NOP);
                        self.blocks[b].instrs[iu + 1].set1(op, oparg ^ 1);
                        i += 1;
                        continue;
                    }
                }
                Op::TO_BOOL if nextop == Some(Op::TO_BOOL) => {
                    self.blocks[b].instrs[iu].set0(Op::NOP);
                    i += 1;
                    continue;
                }
                Op::UNARY_NOT => {
                    if nextop == Some(Op::TO_BOOL) {
                        self.blocks[b].instrs[iu].set0(Op::NOP);
                        self.blocks[b].instrs[iu + 1].set0(Op::UNARY_NOT);
                        i += 1;
                        continue;
                    }
                    if nextop == Some(Op::UNARY_NOT) {
                        self.blocks[b].instrs[iu].set0(Op::NOP);
                        self.blocks[b].instrs[iu + 1].set0(Op::NOP);
                        i += 1;
                        continue;
                    }
                    self.fold_const_unaryop(b, iu, Unary::Not);
                }
                Op::UNARY_INVERT => self.fold_const_unaryop(b, iu, Unary::Invert),
                Op::UNARY_NEGATIVE => self.fold_const_unaryop(b, iu, Unary::Negative),
                Op::CALL_INTRINSIC_1 => {
                    let name = self.t.tables.intrinsic1.get(oparg as usize).copied();
                    if name == Some("INTRINSIC_LIST_TO_TUPLE") {
                        if nextop == Some(Op::GET_ITER) {
                            self.blocks[b].instrs[iu].set0(Op::NOP);
                        } else {
                            self.fold_constant_intrinsic_list_to_tuple(b, iu);
                        }
                    } else if name == Some("INTRINSIC_UNARY_POSITIVE") {
                        self.fold_const_unaryop(b, iu, Unary::Positive);
                    }
                }
                Op::BINARY_OP => self.fold_const_binop(b, iu),
                _ => {}
            }
            i += 1;
        }
        let mut i = 0;
        while i < self.blocks[b].instrs.len() {
            if self.blocks[b].instrs[i].op == Op::SWAP {
                self.swaptimize(b, &mut i);
                self.apply_static_swaps(b, i as isize);
            }
            i += 1;
        }
    }

    fn swaptimize(&mut self, b: usize, ix: &mut usize) {
        let start = *ix;
        let instrs = &mut self.blocks[b].instrs;
        let mut depth = instrs[start].arg;
        let mut len = 0;
        let mut more = false;
        let limit = instrs.len() - start;
        loop {
            len += 1;
            if len >= limit {
                break;
            }
            let op = instrs[start + len].op;
            if op == Op::SWAP {
                depth = depth.max(instrs[start + len].arg);
                more = true;
            } else if op != Op::NOP {
                break;
            }
        }
        if !more || (0..len).any(|k| instrs[start + k].op == Op::SWAP && instrs[start + k].arg < 1)
        {
            return;
        }
        let depth = depth.max(0) as usize;
        let mut stack: Vec<i64> = (0..depth as i64).collect();
        for k in 0..len {
            let ins = instrs[start + k];
            if ins.op == Op::SWAP {
                let o = ins.arg as usize;
                stack.swap(0, o - 1);
            }
        }
        const VISITED: i64 = -1;
        let mut current = len as isize - 1;
        for i in 0..depth {
            if stack[i] == VISITED || stack[i] == i as i64 {
                continue;
            }
            let mut j = i;
            loop {
                if j != 0 {
                    let ins = &mut instrs[start + current as usize];
                    ins.op = Op::SWAP;
                    ins.arg = j as i32 + 1;
                    current -= 1;
                }
                if stack[j] == VISITED {
                    break;
                }
                let next_j = stack[j] as usize;
                stack[j] = VISITED;
                j = next_j;
            }
        }
        while current >= 0 {
            instrs[start + current as usize].set0(Op::NOP);
            current -= 1;
        }
        *ix += len - 1;
    }

    fn swappable(op: Op) -> bool {
        matches!(op, Op::STORE_FAST | Op::STORE_FAST_MAYBE_NULL | Op::POP_TOP)
    }

    fn stores_to(ins: &CInstr) -> i32 {
        if matches!(ins.op, Op::STORE_FAST | Op::STORE_FAST_MAYBE_NULL) {
            ins.arg
        } else {
            -1
        }
    }

    fn next_swappable(&self, b: usize, mut i: isize, lineno: i32) -> isize {
        let instrs = &self.blocks[b].instrs;
        loop {
            i += 1;
            if i as usize >= instrs.len() {
                return -1;
            }
            let ins = &instrs[i as usize];
            if lineno >= 0 && ins.loc.lineno != lineno {
                return -1;
            }
            if ins.op == Op::NOP {
                continue;
            }
            if Self::swappable(ins.op) {
                return i;
            }
            return -1;
        }
    }

    fn apply_static_swaps(&mut self, b: usize, mut i: isize) {
        while i >= 0 {
            let swap = self.blocks[b].instrs[i as usize];
            if swap.op != Op::SWAP {
                if swap.op == Op::NOP || Self::swappable(swap.op) {
                    i -= 1;
                    continue;
                }
                return;
            }
            let j = self.next_swappable(b, i, -1);
            if j < 0 {
                return;
            }
            let mut k = j;
            let lineno = self.blocks[b].instrs[j as usize].loc.lineno;
            let mut count = swap.arg - 1;
            while count > 0 {
                k = self.next_swappable(b, k, lineno);
                if k < 0 {
                    return;
                }
                count -= 1;
            }
            let instrs = &self.blocks[b].instrs;
            let store_j = Self::stores_to(&instrs[j as usize]);
            let store_k = Self::stores_to(&instrs[k as usize]);
            if store_j >= 0 || store_k >= 0 {
                if store_j == store_k {
                    return;
                }
                for idx in (j + 1)..k {
                    let s = Self::stores_to(&instrs[idx as usize]);
                    if s >= 0 && (s == store_j || s == store_k) {
                        return;
                    }
                }
            }
            self.blocks[b].instrs[i as usize].set0(Op::NOP);
            self.blocks[b].instrs.swap(j as usize, k as usize);
            i -= 1;
        }
    }

    fn optimize_cfg(&mut self) -> Result<(), PyError> {
        self.check_cfg()?;
        self.inline_small_or_no_lineno_blocks();
        self.remove_unreachable();
        self.resolve_line_numbers();
        for b in self.order() {
            self.optimize_load_const_block(b);
        }
        for b in self.order() {
            self.optimize_basic_block(b);
        }
        if let Some(e) = self.refused.take() {
            return Err(e);
        }
        self.remove_redundant_nops_and_pairs();
        self.remove_unreachable();
        self.remove_redundant_nops_and_jumps()?;
        Ok(())
    }

    fn remove_unused_consts(&mut self) {
        let n = self.consts.len();
        if n == 0 {
            return;
        }
        let mut used = vec![false; n];
        used[0] = true;
        let order = self.order();
        for &b in &order {
            for ins in &self.blocks[b].instrs {
                if self.t.info(ins.op).is_some_and(|i| i.has_const()) {
                    if let Some(u) = used.get_mut(ins.arg as usize) {
                        *u = true;
                    }
                }
            }
        }
        if used.iter().all(|&u| u) {
            return;
        }
        let mut remap = vec![-1i32; n];
        let mut kept = Vec::new();
        for (i, c) in std::mem::take(&mut self.consts).into_iter().enumerate() {
            if used[i] {
                remap[i] = kept.len() as i32;
                kept.push(c);
            }
        }
        self.consts = kept;
        self.const_index = None;
        for &b in &order {
            for k in 0..self.blocks[b].instrs.len() {
                let op = self.blocks[b].instrs[k].op;
                if self.t.info(op).is_some_and(|i| i.has_const()) {
                    let a = self.blocks[b].instrs[k].arg as usize;
                    self.blocks[b].instrs[k].arg = remap.get(a).copied().unwrap_or(0);
                }
            }
        }
    }

    fn maybe_push(&mut self, b: usize, mask: u64, stack: &mut Vec<usize>) {
        let both = self.blocks[b].unsafe_locals_mask() | mask;
        if self.blocks[b].unsafe_mask != both {
            self.blocks[b].unsafe_mask = both;
            if !self.blocks[b].visited {
                stack.push(b);
                self.blocks[b].visited = true;
            }
        }
    }

    fn scan_block_for_locals(&mut self, b: usize, stack: &mut Vec<usize>) {
        let mut mask = self.blocks[b].unsafe_mask;
        for i in 0..self.blocks[b].instrs.len() {
            let ins = self.blocks[b].instrs[i];
            if let Some(h) = ins.except {
                self.maybe_push(h, mask, stack);
            }
            if !(0..64).contains(&ins.arg) {
                continue;
            }
            let bit = 1u64 << ins.arg;
            match ins.op {
                Op::DELETE_FAST | Op::LOAD_FAST_AND_CLEAR | Op::STORE_FAST_MAYBE_NULL => {
                    mask |= bit
                }
                Op::STORE_FAST | Op::LOAD_FAST_CHECK => mask &= !bit,
                Op::LOAD_FAST => {
                    if mask & bit != 0 {
                        self.blocks[b].instrs[i].op = Op::LOAD_FAST_CHECK;
                    }
                    mask &= !bit;
                }
                _ => {}
            }
        }
        if let Some(next) = self.blocks[b].next {
            if self.has_fallthrough(b) {
                self.maybe_push(next, mask, stack);
            }
        }
        if let Some(last) = self.last(b).copied() {
            if self.is_jump(last.op) {
                if let Some(t) = last.target {
                    self.maybe_push(t, mask, stack);
                }
            }
        }
    }

    fn fast_scan_many_locals(&mut self, nlocals: usize) {
        let mut states = vec![0usize; nlocals - 64];
        let mut blocknum = 0usize;
        for b in self.order() {
            blocknum += 1;
            for ins in self.blocks[b].instrs.iter_mut() {
                let arg = ins.arg;
                if arg < 64 || arg as usize >= nlocals {
                    continue;
                }
                let s = &mut states[arg as usize - 64];
                match ins.op {
                    Op::DELETE_FAST | Op::LOAD_FAST_AND_CLEAR | Op::STORE_FAST_MAYBE_NULL => {
                        *s = blocknum - 1
                    }
                    Op::STORE_FAST => *s = blocknum,
                    Op::LOAD_FAST => {
                        if *s != blocknum {
                            ins.op = Op::LOAD_FAST_CHECK;
                        }
                        *s = blocknum;
                    }
                    _ => {}
                }
            }
        }
    }

    fn add_checks_for_loads_of_uninitialized_variables(&mut self, nlocals: usize, nparams: usize) {
        if nlocals == 0 {
            return;
        }
        let mut nlocals = nlocals;
        if nlocals > 64 {
            self.fast_scan_many_locals(nlocals);
            nlocals = 64;
        }
        self.reset_visited();
        let mut stack = Vec::new();
        let mut start_mask = 0u64;
        for i in nparams..nlocals {
            start_mask |= 1u64 << i;
        }
        let entry = self.entry;
        self.maybe_push(entry, start_mask, &mut stack);
        for b in self.order() {
            self.scan_block_for_locals(b, &mut stack);
        }
        while let Some(b) = stack.pop() {
            self.blocks[b].visited = false;
            self.scan_block_for_locals(b, &mut stack);
        }
    }

    fn insert_superinstructions(&mut self) {
        for b in self.order() {
            let n = self.blocks[b].instrs.len();
            for i in 0..n {
                let ins = self.blocks[b].instrs[i];
                let Some(next) = self.blocks[b].instrs.get(i + 1).copied() else {
                    continue;
                };
                let sup = match (ins.op, next.op) {
                    (Op::LOAD_FAST, Op::LOAD_FAST) => Op::LOAD_FAST_LOAD_FAST,
                    (Op::STORE_FAST, Op::LOAD_FAST) => Op::STORE_FAST_LOAD_FAST,
                    (Op::STORE_FAST, Op::STORE_FAST) => Op::STORE_FAST_STORE_FAST,
                    _ => continue,
                };
                let (l1, l2) = (ins.loc.lineno, next.loc.lineno);
                if l1 >= 0 && l2 >= 0 && l1 != l2 {
                    continue;
                }
                if ins.arg >= 16 || next.arg >= 16 {
                    continue;
                }
                self.blocks[b].instrs[i].set1(sup, (ins.arg << 4) | next.arg);
                self.blocks[b].instrs[i + 1].set0(Op::NOP);
            }
        }
        self.remove_redundant_nops();
    }

    fn mark_warm(&mut self) {
        self.reset_visited();
        let entry = self.entry;
        let mut stack = vec![entry];
        self.blocks[entry].visited = true;
        while let Some(b) = stack.pop() {
            self.blocks[b].warm = true;
            if let Some(next) = self.blocks[b].next {
                if self.has_fallthrough(b) && !self.blocks[next].visited {
                    stack.push(next);
                    self.blocks[next].visited = true;
                }
            }
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if self.is_jump(ins.op) {
                    if let Some(t) = ins.target {
                        if !self.blocks[t].visited {
                            stack.push(t);
                            self.blocks[t].visited = true;
                        }
                    }
                }
            }
        }
    }

    fn mark_cold(&mut self) {
        self.mark_warm();
        self.reset_visited();
        let mut stack = Vec::new();
        for b in self.order() {
            if self.blocks[b].except_handler {
                stack.push(b);
                self.blocks[b].visited = true;
            }
        }
        while let Some(b) = stack.pop() {
            self.blocks[b].cold = true;
            if let Some(next) = self.blocks[b].next {
                if self.has_fallthrough(b) && !self.blocks[next].warm && !self.blocks[next].visited
                {
                    stack.push(next);
                    self.blocks[next].visited = true;
                }
            }
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if self.is_jump(ins.op) {
                    if let Some(t) = ins.target {
                        if !self.blocks[t].warm && !self.blocks[t].visited {
                            stack.push(t);
                            self.blocks[t].visited = true;
                        }
                    }
                }
            }
        }
    }

    fn push_cold_blocks_to_end(&mut self) -> Result<(), PyError> {
        let entry = self.entry;
        if self.blocks[entry].next.is_none() {
            return Ok(());
        }
        self.mark_cold();
        let mut next_lbl = self.max_label() + 1;
        let mut cur = Some(entry);
        while let Some(b) = cur {
            if self.blocks[b].cold && self.has_fallthrough(b) {
                if let Some(next) = self.blocks[b].next {
                    if self.blocks[next].warm {
                        let ej = self.new_block();
                        if self.blocks[next].label < 0 {
                            self.blocks[next].label = next_lbl;
                            next_lbl += 1;
                        }
                        let mut j = CInstr::new(Op::JUMP_NO_INTERRUPT, 0, Loc::NONE);
                        j.target = Some(next);
                        self.blocks[ej].instrs.push(j);
                        self.blocks[ej].cold = true;
                        self.blocks[ej].next = Some(next);
                        self.blocks[ej].predecessors = 1;
                        self.blocks[b].next = Some(ej);
                    }
                }
            }
            cur = self.blocks[b].next;
        }
        let mut cold_head: Option<usize> = None;
        let mut cold_tail: Option<usize> = None;
        let mut b = entry;
        while let Some(_n) = self.blocks[b].next {
            while let Some(n) = self.blocks[b].next {
                if self.blocks[n].cold {
                    break;
                }
                b = n;
            }
            let Some(start) = self.blocks[b].next else {
                break;
            };
            let mut end = start;
            while let Some(n) = self.blocks[end].next {
                if !self.blocks[n].cold {
                    break;
                }
                end = n;
            }
            match cold_tail {
                None => cold_head = Some(start),
                Some(t) => self.blocks[t].next = Some(start),
            }
            cold_tail = Some(end);
            self.blocks[b].next = self.blocks[end].next;
            self.blocks[end].next = None;
        }
        self.blocks[b].next = cold_head;
        if cold_head.is_some() {
            self.remove_redundant_nops_and_jumps()?;
        }
        Ok(())
    }

    // ----- from the optimized graph to the instruction sequence -----

    fn convert_pseudo_conditional_jumps(&mut self) {
        for b in self.order() {
            let mut i = 0;
            while i < self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                if matches!(ins.op, Op::JUMP_IF_FALSE | Op::JUMP_IF_TRUE) {
                    self.blocks[b].instrs[i].op = if ins.op == Op::JUMP_IF_FALSE {
                        Op::POP_JUMP_IF_FALSE
                    } else {
                        Op::POP_JUMP_IF_TRUE
                    };
                    let mut copy = CInstr::new(Op::COPY, 1, ins.loc);
                    copy.except = ins.except;
                    let mut to_bool = CInstr::new(Op::TO_BOOL, 0, ins.loc);
                    to_bool.except = ins.except;
                    self.take_slots(b, 1);
                    self.blocks[b].instrs.insert(i, copy);
                    i += 1;
                    self.take_slots(b, 1);
                    self.blocks[b].instrs.insert(i, to_bool);
                    i += 1;
                }
                i += 1;
            }
        }
    }

    fn stack_effect(&self, op: Op, oparg: i32, jump: bool) -> Result<i32, PyError> {
        let info = self
            .t
            .info(op)
            .ok_or_else(|| internal(&format!("{} does not exist here", op.name())))?;
        let (Some(p), Some(q)) = (info.popped, info.pushed) else {
            return Err(internal(&format!("no stack effect for {}", op.name())));
        };
        if is_block_push(op) && !jump {
            return Ok(0);
        }
        Ok(q.eval(oparg) - p.eval(oparg))
    }

    fn calculate_stackdepth(&mut self) -> Result<i32, PyError> {
        for b in self.order() {
            self.blocks[b].startdepth = i32::MIN;
        }
        let mut stack = Vec::new();
        let mut maxdepth = 0;
        let push = |blocks: &mut Vec<Block>, stack: &mut Vec<usize>, b: usize, depth: i32| {
            if !(blocks[b].startdepth < 0 || blocks[b].startdepth == depth) {
                return Err(internal("inconsistent stack depth"));
            }
            if blocks[b].startdepth < depth && blocks[b].startdepth < 100 {
                blocks[b].startdepth = depth;
                stack.push(b);
            }
            Ok(())
        };
        push(&mut self.blocks, &mut stack, self.entry, 0)?;
        while let Some(b) = stack.pop() {
            let mut depth = self.blocks[b].startdepth;
            let mut next = self.blocks[b].next;
            for i in 0..self.blocks[b].instrs.len() {
                let ins = self.blocks[b].instrs[i];
                let new_depth = depth + self.stack_effect(ins.op, ins.arg, false)?;
                if new_depth < 0 {
                    return Err(internal("stack underflow"));
                }
                maxdepth = maxdepth.max(depth);
                if self.has_target(ins.op) && ins.op != Op::END_ASYNC_FOR {
                    let target_depth = depth + self.stack_effect(ins.op, ins.arg, true)?;
                    maxdepth = maxdepth.max(depth);
                    if let Some(t) = ins.target {
                        push(&mut self.blocks, &mut stack, t, target_depth)?;
                    }
                }
                depth = new_depth;
                if is_uncond_jump(ins.op) || is_scope_exit(ins.op) {
                    next = None;
                    break;
                }
            }
            if let Some(n) = next {
                push(&mut self.blocks, &mut stack, n, depth)?;
            }
        }
        Ok(maxdepth)
    }

    /// Cell and free variable offsets, and the `MAKE_CELL`/`COPY_FREE_VARS`/generator prefix.
    fn prepare_localsplus(&mut self, unit: &CodeUnit) -> i32 {
        let nlocals = unit.varnames.len();
        let ncells = unit.cellvars.len();
        let nfrees = unit.freevars.len();
        let noffsets = ncells + nfrees;
        let mut fixed: Vec<i32> = (0..noffsets).map(|i| (nlocals + i) as i32).collect();
        for (ci, name) in unit.cellvars.iter().enumerate() {
            if let Some(vi) = unit.varnames.iter().position(|v| v == name) {
                fixed[ci] = vi as i32;
            }
        }
        // Prefix instructions.
        let entry = self.entry;
        // 3.15's codegen emits the generator prefix itself.
        if unit.flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR) != 0
            && !self.version.profile().codegen_emits_generator_prefix
        {
            let line = unit.firstlineno as i32;
            let loc = Loc::new(line, line, -1, -1);
            self.insert_lit(entry, 0, CInstr::new(Op::RETURN_GENERATOR, 0, loc));
            self.insert_lit(entry, 1, CInstr::new(Op::POP_TOP, 0, loc));
        }
        if ncells > 0 {
            let nvars = ncells + nlocals;
            let mut sorted = vec![0usize; nvars];
            for (i, &f) in fixed.iter().enumerate().take(ncells) {
                if (f as usize) < nvars {
                    sorted[f as usize] = i + 1;
                }
            }
            let mut used = 0;
            for &s in sorted.iter() {
                if used >= ncells {
                    break;
                }
                if s == 0 {
                    continue;
                }
                self.insert_lit(
                    entry,
                    used,
                    CInstr::new(Op::MAKE_CELL, s as i32 - 1, Loc::NONE),
                );
                used += 1;
            }
        }
        if nfrees > 0 {
            self.insert_lit(
                entry,
                0,
                CInstr::new(Op::COPY_FREE_VARS, nfrees as i32, Loc::NONE),
            );
        }
        // Fix the offsets.
        let mut dropped = 0;
        for (i, f) in fixed.iter_mut().enumerate() {
            if *f == (i + nlocals) as i32 {
                *f -= dropped;
            } else {
                dropped += 1;
            }
        }
        for b in self.order() {
            for ins in self.blocks[b].instrs.iter_mut() {
                if matches!(
                    ins.op,
                    Op::MAKE_CELL
                        | Op::LOAD_CLOSURE
                        | Op::LOAD_DEREF
                        | Op::STORE_DEREF
                        | Op::DELETE_DEREF
                        | Op::LOAD_FROM_DICT_OR_DEREF
                ) {
                    if let Some(&f) = fixed.get(ins.arg as usize) {
                        ins.arg = f;
                    }
                }
            }
        }
        (nlocals + ncells + nfrees) as i32 - dropped
    }

    fn convert_pseudo_ops(&mut self) -> Result<(), PyError> {
        for b in self.order() {
            for ins in self.blocks[b].instrs.iter_mut() {
                if is_block_push(ins.op) {
                    ins.set0(Op::NOP);
                } else if ins.op == Op::LOAD_CLOSURE {
                    ins.op = Op::LOAD_FAST;
                } else if ins.op == Op::STORE_FAST_MAYBE_NULL {
                    ins.op = Op::STORE_FAST;
                }
            }
        }
        self.remove_redundant_nops_and_jumps()
    }

    fn normalize_jumps(&mut self) {
        self.reset_visited();
        let mut cur = Some(self.entry);
        while let Some(b) = cur {
            self.blocks[b].visited = true;
            if let Some(last) = self.last(b).copied() {
                if is_cond_jump(last.op) {
                    let target = last.target.unwrap_or(b);
                    let is_forward = !self.blocks[target].visited;
                    let mut nt = CInstr::new(Op::NOT_TAKEN, 0, last.loc);
                    if is_forward {
                        if self.version.profile().added_jumps_keep_handler {
                            nt.except = last.except;
                            self.blocks[b].instrs.push(nt);
                        } else {
                            self.push_new(b, nt);
                        }
                    } else {
                        let reversed = match last.op {
                            Op::POP_JUMP_IF_NOT_NONE => Op::POP_JUMP_IF_NONE,
                            Op::POP_JUMP_IF_NONE => Op::POP_JUMP_IF_NOT_NONE,
                            Op::POP_JUMP_IF_FALSE => Op::POP_JUMP_IF_TRUE,
                            _ => Op::POP_JUMP_IF_FALSE,
                        };
                        let bj = self.new_block();
                        let mut j = CInstr::new(Op::JUMP, 0, last.loc);
                        j.target = Some(target);
                        if self.version.profile().added_jumps_keep_handler {
                            nt.except = last.except;
                            j.except = last.except;
                        }
                        self.blocks[bj].instrs.push(nt);
                        self.blocks[bj].instrs.push(j);
                        self.blocks[bj].startdepth = self.blocks[target].startdepth;
                        let next = self.blocks[b].next;
                        if let Some(l) = self.blocks[b].instrs.last_mut() {
                            l.op = reversed;
                            l.target = next;
                        }
                        self.blocks[bj].cold = self.blocks[b].cold;
                        self.blocks[bj].next = next;
                        self.blocks[b].next = Some(bj);
                    }
                }
            }
            cur = self.blocks[b].next;
        }
    }

    fn optimize_load_fast(&mut self) {
        const NOT_LOCAL: i32 = -1;
        const DUMMY: i32 = -1;
        const SUPPORT_KILLED: u8 = 1;
        const STORED_AS_LOCAL: u8 = 2;
        const REF_UNCONSUMED: u8 = 4;
        #[derive(Clone, Copy)]
        struct Ref {
            instr: i32,
            local: i32,
        }
        fn kill(flags: &mut [u8], refs: &[Ref], local: i32) {
            for r in refs {
                if r.local == local && r.instr >= 0 {
                    flags[r.instr as usize] |= SUPPORT_KILLED;
                }
            }
        }
        fn store(flags: &mut [u8], refs: &[Ref], local: i32, r: Ref) {
            kill(flags, refs, local);
            if r.instr != DUMMY {
                flags[r.instr as usize] |= STORED_AS_LOCAL;
            }
        }
        self.reset_visited();
        let entry = self.entry;
        let mut work = vec![entry];
        self.blocks[entry].startdepth = 0;
        self.blocks[entry].visited = true;
        let dummy = Ref {
            instr: DUMMY,
            local: NOT_LOCAL,
        };
        while let Some(b) = work.pop() {
            let n = self.blocks[b].instrs.len();
            let mut flags = vec![0u8; n];
            let mut refs: Vec<Ref> = vec![dummy; self.blocks[b].startdepth.max(0) as usize];
            let pop = |refs: &mut Vec<Ref>| refs.pop().unwrap_or(dummy);
            // An opcode that leaves its inputs on the stack and pushes `net` values more.
            // 3.14 records them against the loop counter (0, 1, …: the block's first
            // instructions), not against the instruction; 3.15 against the instruction.
            let shadowed = self.version.profile().borrow_analysis_shadowed_push_index;
            let push_kept_inputs = |refs: &mut Vec<Ref>, net: i32, me: i32| {
                for k in 0..net.max(0) {
                    refs.push(Ref {
                        instr: if shadowed { k } else { me },
                        local: NOT_LOCAL,
                    });
                }
            };
            let push_block = |blocks: &mut Vec<Block>, t: usize, work: &mut Vec<usize>| {
                if !blocks[t].visited {
                    blocks[t].visited = true;
                    work.push(t);
                }
            };
            for i in 0..n {
                let ins = self.blocks[b].instrs[i];
                let (op, oparg) = (ins.op, ins.arg);
                let me = i as i32;
                match op {
                    Op::LOAD_FAST => refs.push(Ref {
                        instr: me,
                        local: oparg,
                    }),
                    Op::LOAD_FAST_AND_CLEAR => {
                        kill(&mut flags, &refs, oparg);
                        refs.push(Ref {
                            instr: me,
                            local: oparg,
                        });
                    }
                    Op::LOAD_FAST_LOAD_FAST => {
                        refs.push(Ref {
                            instr: me,
                            local: oparg >> 4,
                        });
                        refs.push(Ref {
                            instr: me,
                            local: oparg & 15,
                        });
                    }
                    Op::STORE_FAST => {
                        let r = pop(&mut refs);
                        store(&mut flags, &refs, oparg, r);
                    }
                    Op::DELETE_FAST => kill(&mut flags, &refs, oparg),
                    Op::STORE_FAST_LOAD_FAST => {
                        let r = pop(&mut refs);
                        store(&mut flags, &refs, oparg >> 4, r);
                        refs.push(Ref {
                            instr: me,
                            local: oparg & 15,
                        });
                    }
                    Op::STORE_FAST_STORE_FAST => {
                        let r = pop(&mut refs);
                        store(&mut flags, &refs, oparg >> 4, r);
                        let r = pop(&mut refs);
                        store(&mut flags, &refs, oparg & 15, r);
                    }
                    Op::COPY => {
                        let idx = refs.len() as isize - oparg as isize;
                        let r = if idx >= 0 { refs[idx as usize] } else { dummy };
                        refs.push(r);
                    }
                    Op::SWAP => {
                        let len = refs.len();
                        let idx = len as isize - oparg as isize;
                        if idx >= 0 && len > 0 {
                            refs.swap(idx as usize, len - 1);
                        }
                    }
                    // FORMAT_SIMPLE may return its input (a str) itself: its result is the
                    // input's reference.
                    Op::FORMAT_SIMPLE
                    | Op::GET_ANEXT
                    | Op::GET_LEN
                    | Op::IMPORT_FROM
                    | Op::MATCH_KEYS
                    | Op::MATCH_MAPPING
                    | Op::MATCH_SEQUENCE
                    | Op::WITH_EXCEPT_START
                    | Op::GET_YIELD_FROM_ITER => {
                        let net = self.stack_effect(op, oparg, false).unwrap_or(0);
                        push_kept_inputs(&mut refs, net, me);
                    }
                    Op::DICT_MERGE
                    | Op::DICT_UPDATE
                    | Op::LIST_APPEND
                    | Op::LIST_EXTEND
                    | Op::MAP_ADD
                    | Op::RERAISE
                    | Op::SET_ADD
                    | Op::SET_UPDATE => {
                        let net = -self.stack_effect(op, oparg, false).unwrap_or(0);
                        for _ in 0..net.max(0) {
                            pop(&mut refs);
                        }
                    }
                    // 3.15's GET_ITER keeps the iterable on the stack under the iterator.
                    Op::GET_ITER if self.version.profile().get_iter_keeps_iterable => {
                        let net = self.stack_effect(op, oparg, false).unwrap_or(0);
                        push_kept_inputs(&mut refs, net, me);
                    }
                    Op::CHECK_EXC_MATCH => {
                        pop(&mut refs);
                        refs.push(Ref {
                            instr: me,
                            local: NOT_LOCAL,
                        });
                    }
                    Op::FOR_ITER => {
                        if let Some(t) = ins.target {
                            push_block(&mut self.blocks, t, &mut work);
                        }
                        refs.push(Ref {
                            instr: me,
                            local: NOT_LOCAL,
                        });
                    }
                    // `with`: the context manager goes back on the stack as `self` of
                    // `__enter__`/`__exit__` (kept there for the exit call).
                    Op::LOAD_SPECIAL => {
                        let slf = pop(&mut refs);
                        refs.push(Ref {
                            instr: me,
                            local: NOT_LOCAL,
                        });
                        refs.push(slf);
                    }
                    Op::LOAD_ATTR | Op::LOAD_SUPER_ATTR => {
                        let slf = pop(&mut refs);
                        if op == Op::LOAD_SUPER_ATTR {
                            pop(&mut refs);
                            pop(&mut refs);
                        }
                        refs.push(Ref {
                            instr: me,
                            local: NOT_LOCAL,
                        });
                        if oparg & 1 != 0 {
                            refs.push(slf);
                        }
                    }
                    Op::SEND => {
                        if let Some(t) = ins.target {
                            push_block(&mut self.blocks, t, &mut work);
                        }
                        pop(&mut refs);
                        refs.push(Ref {
                            instr: me,
                            local: NOT_LOCAL,
                        });
                    }
                    _ => {
                        let info = self.t.info(op);
                        let popped = info.and_then(|i| i.popped).map_or(0, |e| e.eval(oparg));
                        let pushed = info.and_then(|i| i.pushed).map_or(0, |e| e.eval(oparg));
                        if self.has_target(op) {
                            if let Some(t) = ins.target {
                                push_block(&mut self.blocks, t, &mut work);
                            }
                        }
                        if !is_block_push(op) {
                            for _ in 0..popped {
                                pop(&mut refs);
                            }
                            for _ in 0..pushed {
                                refs.push(Ref {
                                    instr: me,
                                    local: NOT_LOCAL,
                                });
                            }
                        }
                    }
                }
            }
            let falls_through = match self.last(b) {
                Some(term) => !(is_uncond_jump(term.op) || is_scope_exit(term.op)),
                None => self.version.profile().borrow_analysis_crosses_empty_blocks,
            };
            if let (true, Some(next)) = (falls_through, self.blocks[b].next) {
                push_block(&mut self.blocks, next, &mut work);
            }
            for r in &refs {
                if r.instr >= 0 && (r.instr as usize) < n {
                    flags[r.instr as usize] |= REF_UNCONSUMED;
                }
            }
            for (i, f) in flags.iter().enumerate() {
                if *f == 0 {
                    let ins = &mut self.blocks[b].instrs[i];
                    match ins.op {
                        Op::LOAD_FAST => ins.op = Op::LOAD_FAST_BORROW,
                        Op::LOAD_FAST_LOAD_FAST => ins.op = Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW,
                        _ => {}
                    }
                }
            }
        }
    }

    fn to_sequence(&self) -> Vec<OutInstr> {
        let order = self.order();
        // Each block's first instruction index (an empty block maps to the next instruction).
        let mut first = vec![0usize; self.blocks.len()];
        let mut count = 0;
        for &b in &order {
            first[b] = count;
            count += self.blocks[b].instrs.len();
        }
        let mut out = Vec::with_capacity(count);
        for &b in &order {
            for ins in &self.blocks[b].instrs {
                let arg = if self.has_target(ins.op) {
                    ins.target.map_or(0, |t| first[t] as u32)
                } else {
                    ins.arg as u32
                };
                let handler = ins.except.map(|h| Handler {
                    target: first[h],
                    startdepth: self.blocks[h].startdepth,
                    preserve_lasti: self.blocks[h].preserve_lasti,
                });
                out.push(OutInstr {
                    op: ins.op,
                    arg,
                    loc: ins.loc,
                    handler,
                });
            }
        }
        // `NEXT_LOCATION` (a match subject's POP_TOP) stays unresolved through every pass
        // (line-based NOP removal sees it as a line of its own) and takes the location of the
        // instruction that follows it in the final code.
        let mut following = Loc::NONE;
        for ins in out.iter_mut().rev() {
            if ins.loc.lineno == Loc::NEXT.lineno {
                ins.loc = following;
            }
            following = ins.loc;
        }
        out
    }
}

impl Block {
    fn unsafe_locals_mask(&self) -> u64 {
        self.unsafe_mask
    }
}

/// 3.15: a `yield from` (`GET_ITER` with the yield-from bit) outside a coroutine needs no
/// coroutine check. Observed on the reference interpreter: every such oparg 1 becomes 3.
fn mark_yield_from_no_check(cfg: &mut Cfg, flags: u32) {
    const CO_ITERABLE_COROUTINE: u32 = 0x100;
    let tables = cfg.t.tables;
    let (Some(yf), Some(nc)) = (
        tables.constant("GET_ITER_YIELD_FROM"),
        tables.constant("GET_ITER_YIELD_FROM_NO_CHECK"),
    ) else {
        return;
    };
    if flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE) != 0 {
        return;
    }
    for b in cfg.order() {
        for ins in cfg.blocks[b].instrs.iter_mut() {
            if ins.op == Op::GET_ITER && ins.arg & yf as i32 != 0 {
                ins.arg |= nc as i32;
            }
        }
    }
}

/// Runs CPython's flow-graph passes on `unit` and returns the final instruction sequence.
pub fn optimize(
    unit: &mut CodeUnit,
    version: PyVersion,
    const_cache: &mut ConstCache,
) -> Result<Optimized, PyError> {
    let t = OpTable::for_version(version);
    let mut cfg = Cfg::build(unit, t, version)?;
    cfg.const_cache = std::mem::take(const_cache);
    let result = run_passes(&mut cfg, unit);
    *const_cache = std::mem::take(&mut cfg.const_cache);
    result
}

/// The passes of `_PyCfg_OptimizeCodeUnit` and `_PyCfg_OptimizedCfgToInstructionSequence`.
fn run_passes(cfg: &mut Cfg, unit: &mut CodeUnit) -> Result<Optimized, PyError> {
    let t = cfg.t;
    if cfg.blocks[cfg.entry].instrs.is_empty() && cfg.blocks[cfg.entry].next.is_none() {
        return Err(internal("empty code unit"));
    }
    cfg.mark_except_handlers();
    cfg.label_exception_targets();
    cfg.optimize_cfg()?;
    cfg.remove_unused_consts();
    let nlocals = unit.varnames.len();
    let nparams = match unit.nparams {
        Some(n) => n as usize,
        None => {
            let mut n = (unit.argcount + unit.kwonlyargcount) as usize;
            if unit.flags & CO_VARARGS != 0 {
                n += 1;
            }
            if unit.flags & CO_VARKEYWORDS != 0 {
                n += 1;
            }
            n
        }
    };
    cfg.add_checks_for_loads_of_uninitialized_variables(nlocals, nparams);
    cfg.insert_superinstructions();
    cfg.push_cold_blocks_to_end()?;
    cfg.resolve_line_numbers();
    // _PyCfg_OptimizedCfgToInstructionSequence
    cfg.convert_pseudo_conditional_jumps();
    let stackdepth = cfg.calculate_stackdepth()?;
    let nlocalsplus = cfg.prepare_localsplus(unit);
    cfg.convert_pseudo_ops()?;
    cfg.normalize_jumps();
    if t.exists(Op::LOAD_FAST_BORROW) {
        cfg.optimize_load_fast();
    }
    mark_yield_from_no_check(cfg, unit.flags);
    let instrs = cfg.to_sequence();
    Ok(Optimized {
        instrs,
        consts: std::mem::take(&mut cfg.consts),
        stackdepth: stackdepth.max(0) as u32,
        nlocalsplus: nlocalsplus.max(0) as u32,
    })
}
