//! The 3.15 trace optimizer: abstract interpretation over the recorded uops
//! (`optimizer_analysis.c`'s `optimize_uops`, the cases of `optimizer_bytecodes.c`), then
//! `remove_unneeded_uops` (`_SET_IP` / `_CHECK_VALIDITY` elision, push/pop cancellation).
//!
//! Each uop either is copied, or replaced by what its case emits (`ADD_OP`), or rewritten in
//! place (`REPLACE_OP`). The cases track what is known about every stack item and local
//! ([`super::sym`]): a guard whose condition is already known becomes a `_NOP`, a global that
//! is watched becomes a constant, a `_POP_TOP` of a borrowed or typed value a cheaper variant.
//!
//! Not modelled: evaluating pure uops on constant operands
//! (`REPLACE_OPCODE_IF_EVALUATES_PURE`) and making module attributes constants
//! (`_LOAD_ATTR_MODULE`); none of the reference traces needs them.

use super::ids::Ids;
use super::sym::{self, Pred, Ref, Syms, Tag};
use super::{Dep, Env, Opnd, TUop};
use crate::alloc::types;
use crate::code::CodeRt;
use crate::types::tdata;
use crate::value::{Data, ObjRef, Value};
use std::rc::Rc;

/// A `BINARY_OP_EXTEND` descriptor, as far as the optimizer reads it.
#[derive(Clone)]
pub struct ExtendDescr {
    /// The descriptor has a guard function (not a pure type test).
    pub has_guard: bool,
    pub lhs: Option<ObjRef>,
    pub rhs: Option<ObjRef>,
    pub result: Option<ObjRef>,
    pub unique: bool,
}

/// The descriptor `BINARY_OP_EXTEND` chose for the operands it saw (`binaryop_extend_descrs`).
pub fn extend_descr(oparg: u32, rec: &super::record::Recorded) -> Option<ExtendDescr> {
    let (l, r) = (rec.top[1].as_ref()?, rec.top[0].as_ref()?);
    let t = types();
    let base = oparg % 13;
    let is = |v: &Value, c: &ObjRef| t.is_exact(v, c);
    let numeric = matches!(l, Value::Float(_) | Value::Int(_))
        && matches!(r, Value::Float(_) | Value::Int(_));
    if numeric {
        let float = matches!(l, Value::Float(_)) || matches!(r, Value::Float(_));
        return Some(ExtendDescr {
            has_guard: true,
            lhs: None,
            rhs: None,
            result: Some(if float {
                t.float.clone()
            } else {
                t.int.clone()
            }),
            unique: float,
        });
    }
    for c in [&t.list, &t.tuple, &t.bytes, &t.dict] {
        if is(l, c) && is(r, c) && (base == 0 || base == 7) {
            return Some(ExtendDescr {
                has_guard: false,
                lhs: Some(c.clone()),
                rhs: Some(c.clone()),
                result: Some(c.clone()),
                unique: true,
            });
        }
    }
    Some(ExtendDescr {
        has_guard: true,
        lhs: None,
        rhs: None,
        result: None,
        unique: false,
    })
}

/// Where the trace starts: the frame's code, function (module code has none in this model),
/// globals and stack depth.
pub struct Root<'a> {
    pub code: &'a Rc<CodeRt>,
    pub func: Option<&'a Value>,
    pub globals: &'a ObjRef,
    pub stack_depth: usize,
}

/// An abstract frame (`_Py_UOpsAbstractFrame`).
#[derive(Clone)]
pub struct AFrame {
    /// `None`: the `__init__` shim.
    pub code: Option<Rc<CodeRt>>,
    pub func: Option<Value>,
    /// The frame's globals, when known.
    pub globals: Option<ObjRef>,
    pub locals: Vec<Ref>,
    pub stack: Vec<Ref>,
    pub globals_watched: bool,
    pub globals_checked_version: u64,
    pub caller: bool,
    pub c_recursion_checked: bool,
    pub callable: Ref,
}

/// The optimizer's state (`JitOptContext`).
pub struct Ctx<'a> {
    pub ids: &'static Ids,
    pub s: Syms,
    /// The frame stack; `frames[..depth]` are live, the current one is `frames[depth - 1]`.
    pub frames: Vec<AFrame>,
    pub depth: usize,
    pub builtins_watched: bool,
    pub out: Vec<TUop>,
    pub deps: Vec<Dep>,
    pub env: &'a mut Env,
}

fn name_of(ids: &Ids, op: u16) -> &'static str {
    ids.uop_name(op)
}

impl<'a> Ctx<'a> {
    fn frame(&mut self) -> &mut AFrame {
        let d = self.depth - 1;
        &mut self.frames[d]
    }

    fn cur(&self) -> &AFrame {
        &self.frames[self.depth - 1]
    }

    fn is_shim(&self) -> bool {
        self.cur().code.is_none()
    }

    fn pop(&mut self) -> Ref {
        match self.frame().stack.pop() {
            Some(r) => r,
            None => {
                // Below the frame's stack: a contradiction (`check_stack_bounds`).
                self.s.done = true;
                self.s.contradiction = true;
                Ref::NULL
            }
        }
    }

    fn push(&mut self, r: Ref) {
        self.frame().stack.push(r);
    }

    fn peek(&self, n: usize) -> Ref {
        let st = &self.cur().stack;
        if n < st.len() {
            st[st.len() - 1 - n]
        } else {
            Ref::NULL
        }
    }

    fn set_peek(&mut self, n: usize, r: Ref) {
        let st = &mut self.frame().stack;
        let len = st.len();
        if n < len {
            st[len - 1 - n] = r;
        }
    }

    fn add_op(&mut self, this: &TUop, op: u16, oparg: u32, operand0: Opnd) {
        let mut u = this.clone();
        u.op = op;
        u.oparg = oparg;
        u.operand0 = operand0;
        self.out.push(u);
    }

    /// `_Py_uop_frame_new`: a frame for `co` with `args` as its first locals.
    fn frame_new(&mut self, co: Option<Rc<CodeRt>>, args: Option<&[Ref]>) -> Option<usize> {
        if self.depth >= self.ids.c.max_abstract_frame_depth as usize {
            self.s.done = true;
            self.s.out_of_space = true;
            return None;
        }
        let nlocals = co.as_ref().map_or(0, |c| c.localsplus.len());
        let mut locals = Vec::with_capacity(nlocals);
        if let Some(a) = args {
            locals.extend_from_slice(&a[..a.len().min(nlocals)]);
        }
        while locals.len() < nlocals {
            let r = if args.is_some() {
                self.s.new_null()
            } else {
                self.s.new_unknown()
            };
            locals.push(r);
        }
        let f = AFrame {
            code: co,
            func: None,
            globals: None,
            locals,
            stack: Vec::new(),
            globals_watched: false,
            globals_checked_version: 0,
            caller: false,
            c_recursion_checked: false,
            callable: Ref::NULL,
        };
        let at = self.depth;
        if self.frames.len() > at {
            self.frames[at] = f;
            self.frames.truncate(at + 1);
        } else {
            self.frames.push(f);
        }
        Some(at)
    }

    /// `_Py_uop_frame_new_from_symbol`.
    fn frame_new_from_symbol(&mut self, callable: Ref, args: Option<&[Ref]>) -> Option<usize> {
        let Some(func) = self.s.get_probable_func(callable) else {
            self.s.done = true;
            return None;
        };
        let Some(Data::Function(f)) = func.data() else {
            self.s.done = true;
            return None;
        };
        let co = f.code.clone();
        let fi = self.frame_new(Some(co), args)?;
        self.frames[fi].globals = Some(f.globals.clone());
        self.frames[fi].func = Some(func.clone());
        self.frames[fi].callable = callable;
        Some(fi)
    }

    /// `_Py_uop_frame_pop`: back to the caller, or to a new frame for `co` when the trace
    /// returns past its first frame (or to another code object than the caller's).
    fn frame_pop(&mut self, co: Option<&Rc<CodeRt>>) -> bool {
        self.depth -= 1;
        if self.depth >= 1 {
            let same = match (&self.frames[self.depth - 1].code, co) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if same {
                return false;
            }
            self.depth -= 1;
        }
        match self.frame_new(co.cloned(), None) {
            Some(_) => {
                self.depth += 1;
                false
            }
            None => {
                self.s.done = true;
                true
            }
        }
    }

    /// `_Py_uop_sym_set_stack_depth`: the current frame's stack made `depth` deep, the known
    /// items on top and unknown ones below.
    fn set_stack_depth(&mut self, depth: usize) {
        let cur = self.cur().stack.len();
        if depth < cur {
            self.s.done = true;
            self.s.contradiction = true;
            return;
        }
        let mut fill = Vec::with_capacity(depth);
        for _ in 0..depth - cur {
            fill.push(self.s.new_unknown());
        }
        let st = &mut self.frame().stack;
        fill.extend_from_slice(st);
        *st = fill;
    }

    fn code(&self) -> Option<Rc<CodeRt>> {
        self.cur().code.clone()
    }

    fn co_name(&self, i: u32) -> Option<Rc<str>> {
        self.cur().code.as_ref()?.names.get(i as usize).cloned()
    }

    fn watch_type(&mut self, t: &ObjRef) {
        crate::tier2::watch_type(t);
        self.deps.push(Dep::Type(Rc::as_ptr(t) as usize));
    }

    // --- helpers of optimizer_analysis.c ---

    /// `optimize_pop_top`.
    fn optimize_pop_top(&mut self, this: &TUop, value: Ref) {
        let u = &self.ids;
        let t = types();
        let typ = self.s.get_type(value);
        let op = if value.is_borrowed() || self.s.is_immortal(value) || self.s.is_null(value) {
            u.uop("_POP_TOP_NOP")
        } else if typ.as_ref().is_some_and(|x| sym::same_type(x, &t.int)) {
            u.uop("_POP_TOP_INT")
        } else if typ.as_ref().is_some_and(|x| sym::same_type(x, &t.float)) {
            u.uop("_POP_TOP_FLOAT")
        } else if typ.as_ref().is_some_and(|x| sym::same_type(x, &t.str_)) {
            u.uop("_POP_TOP_UNICODE")
        } else {
            u.uop("_POP_TOP")
        };
        self.add_op(this, op, 0, Opnd::None);
    }

    /// `optimize_to_bool`: `Some(result)` when the value is already a bool or its truth is
    /// known.
    fn optimize_to_bool(
        &mut self,
        this: &TUop,
        value: Ref,
        prefix: &str,
        suffix: &str,
    ) -> Option<Ref> {
        let t = types();
        if self.s.matches_type(value, &t.bool_) {
            self.add_op(this, self.ids.u.NOP, 0, Opnd::None);
            return Some(value);
        }
        let tr = self.s.truthiness(value);
        if tr >= 0 {
            let load = Value::Bool(tr == 1);
            if prefix != "_NOP" {
                self.add_op(this, self.ids.uop(prefix), 0, Opnd::None);
            }
            self.add_op(
                this,
                self.ids.uop("_LOAD_CONST_INLINE_BORROW"),
                0,
                Opnd::Obj(load.clone()),
            );
            if suffix != "_NOP" {
                self.add_op(this, self.ids.uop(suffix), 2, Opnd::None);
            }
            return Some(self.s.new_const(&load));
        }
        None
    }

    /// `eliminate_pop_guard`: a branch guard whose outcome is known; when it would always
    /// exit, the next uop becomes the exit.
    fn eliminate_pop_guard(&mut self, this: &TUop, trace: &mut [TUop], i: usize, exit: bool) {
        self.add_op(this, self.ids.uop("_POP_TOP"), 0, Opnd::None);
        if exit {
            if let Some(next) = trace.get_mut(i + 1) {
                next.op = self.ids.u.EXIT_TRACE;
                next.oparg = 0;
                next.operand0 = Opnd::None;
                next.target = this.target;
            }
        }
    }

    /// `lookup_attr`: a class attribute found on the (known) type becomes a constant.
    fn lookup_attr(
        &mut self,
        this: &TUop,
        ty: Option<ObjRef>,
        name: Option<Rc<str>>,
        prefix: &str,
        suffix: &str,
    ) -> Ref {
        if let (Some(ty), Some(name)) = (ty, name) {
            if matches!(ty.data, Data::Type(_)) {
                if let Some(v) = crate::types::lookup(&ty, &name) {
                    let immutable = tdata(&ty).builtin;
                    let immortal = sym::is_immortal(&v) || immutable;
                    if prefix != "_NOP" {
                        self.add_op(this, self.ids.uop(prefix), 0, Opnd::None);
                    }
                    let op = if immortal {
                        "_LOAD_CONST_INLINE_BORROW"
                    } else {
                        "_LOAD_CONST_INLINE"
                    };
                    self.add_op(this, self.ids.uop(op), 0, Opnd::Obj(v.clone()));
                    if suffix != "_NOP" {
                        self.add_op(this, self.ids.uop(suffix), 2, Opnd::None);
                    }
                    if !immutable {
                        self.watch_type(&ty);
                    }
                    return self.s.new_const(&v);
                }
            }
        }
        self.s.new_not_null()
    }

    /// `convert_global_to_const`: the value of global `name` when the dict still has the
    /// keys version the instruction saw.
    fn global_const(&mut self, dict: &ObjRef, name: &str, version: u64) -> Option<Value> {
        let Data::Dict(d) = &dict.data else {
            return None;
        };
        let d = d.borrow();
        if d.keys_version as u64 != version {
            return None;
        }
        d.get_str(name).cloned()
    }
}

/// Runs the abstract interpreter over `trace` (a trace that starts in `func`'s frame with
/// `stack_depth` items on the stack). `None`: the optimizer met a contradiction (no
/// executor).
pub fn optimize_uops(
    ids: &'static Ids,
    trace: &[TUop],
    root: &Root,
    env: &mut Env,
) -> Option<(Vec<TUop>, Vec<Dep>)> {
    let mut trace: Vec<TUop> = trace.to_vec();
    let mut ctx = Ctx {
        ids,
        s: Syms::new(ids.c.uop_max_trace_length as usize * 5),
        frames: Vec::new(),
        depth: 0,
        builtins_watched: false,
        out: Vec::with_capacity(trace.len()),
        deps: Vec::new(),
        env,
    };
    ctx.frame_new(Some(root.code.clone()), None)?;
    ctx.frames[0].func = root.func.cloned();
    ctx.frames[0].globals = Some(root.globals.clone());
    ctx.depth = 1;
    ctx.set_stack_depth(root.stack_depth);
    let mut i = 0;
    while i < trace.len() {
        let this = trace[i].clone();
        if ctx.s.done {
            ctx.out.push(this.clone());
            if is_terminator(ids, this.op) {
                break;
            }
            i += 1;
            continue;
        }
        let before = ctx.out.len();
        case(&mut ctx, &mut trace, i, &this);
        if ctx.out.len() == before {
            // No `ADD_OP`: the uop is kept, as `REPLACE_OP` may have rewritten it.
            ctx.out.push(trace[i].clone());
        }
        i += 1;
    }
    if ctx.s.contradiction {
        return None;
    }
    let Ctx { out, deps, .. } = ctx;
    Some((out, deps))
}

/// The uops that end a trace (`is_terminator_uop`).
pub fn is_terminator(ids: &Ids, op: u16) -> bool {
    let u = &ids.u;
    op == u.EXIT_TRACE || op == u.JUMP_TO_TOP || op == u.DYNAMIC_EXIT || op == u.DEOPT
}

/// One uop's abstract effect.
fn case(ctx: &mut Ctx, trace: &mut [TUop], i: usize, this: &TUop) {
    let ids = ctx.ids;
    let name = name_of(ids, this.op);
    let oparg = this.oparg;
    let t = types();
    macro_rules! op {
        ($n:literal) => {
            ids.uop($n)
        };
    }
    match name {
        "_MAKE_HEAP_SAFE" => {
            let v = ctx.pop();
            if ctx.s.is_immortal(v) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.push(v.strip_borrow());
        }
        "_COPY_FREE_VARS" => {
            let Some(co) = ctx.code() else {
                ctx.s.done = true;
                return;
            };
            let n = co.localsplus.len();
            let off = n.saturating_sub(oparg as usize);
            for k in off..n {
                let r = ctx.s.new_not_null();
                set_local(ctx, k as u32, r);
            }
        }
        "_LOAD_FAST_CHECK" => {
            let v = local(ctx, oparg);
            if ctx.s.is_null(v) {
                ctx.s.done = true;
            }
            ctx.push(v);
        }
        "_LOAD_FAST" => {
            let v = local(ctx, oparg);
            ctx.push(v);
        }
        "_LOAD_FAST_BORROW" => {
            let v = local(ctx, oparg).borrow();
            ctx.push(v);
        }
        "_LOAD_FAST_AND_CLEAR" => {
            let v = local(ctx, oparg);
            let n = ctx.s.new_null();
            set_local(ctx, oparg, n);
            ctx.push(v);
        }
        "_SWAP_FAST" => {
            let v = ctx.pop();
            let old = local(ctx, oparg);
            set_local(ctx, oparg, v.remove_unique());
            ctx.push(old);
        }
        "_STORE_ATTR_INSTANCE_VALUE" | "_STORE_ATTR_WITH_HINT" | "_STORE_ATTR_SLOT" => {
            let owner = ctx.pop();
            let _value = ctx.pop();
            ctx.push(owner);
        }
        "_STORE_SUBSCR_LIST_INT" => {
            let sub = ctx.pop();
            let list = ctx.pop();
            let _value = ctx.pop();
            ctx.push(list);
            ctx.push(sub);
        }
        "_STORE_SUBSCR_DICT" => {
            let _sub = ctx.pop();
            let dict = ctx.pop();
            let _value = ctx.pop();
            ctx.push(dict);
        }
        "_PUSH_NULL" => {
            let r = ctx.s.new_null().borrow();
            ctx.push(r);
        }
        "_GUARD_TOS_INT" | "_GUARD_NOS_INT" => {
            let n = if name == "_GUARD_TOS_INT" { 0 } else { 1 };
            let v = ctx.peek(n);
            if ctx.s.is_compact_int(v) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                if ctx
                    .s
                    .get_type(v)
                    .is_some_and(|x| sym::same_type(&x, &t.int))
                {
                    let g = if n == 0 {
                        "_GUARD_TOS_OVERFLOWED"
                    } else {
                        "_GUARD_NOS_OVERFLOWED"
                    };
                    ctx.add_op(this, ids.uop(g), 0, Opnd::None);
                }
                ctx.s.set_compact_int(v);
            }
        }
        "_CHECK_ATTR_CLASS" => {
            let owner = ctx.peek(0);
            if let Opnd::Num(v) = this.operand0 {
                if let Some(ty) = sym::type_by_version(v as u32) {
                    let tv = Value::Obj(ty.clone());
                    if ctx.s.get_const(owner).is_some_and(|c| sym::same(&c, &tv)) {
                        ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                    } else {
                        ctx.s.set_const(owner, &tv);
                        if !tdata(&ty).builtin {
                            ctx.watch_type(&ty);
                        }
                    }
                }
            }
        }
        "_GUARD_TYPE_VERSION" | "_GUARD_TYPE_VERSION_LOCKED" => {
            let owner = ctx.peek(0);
            let version = match this.operand0 {
                Opnd::Num(v) => v as u32,
                _ => 0,
            };
            if ctx.s.matches_type_version(owner, version) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                let probable = ctx.s.get_probable_type(owner);
                match probable {
                    Some(p) if sym::version_of(&p) == version => {
                        ctx.s.set_type(owner, &p);
                        ctx.s.set_type_version(owner, version);
                        if !(name == "_GUARD_TYPE_VERSION_LOCKED" && tdata(&p).builtin) {
                            ctx.watch_type(&p);
                        }
                    }
                    _ => {
                        ctx.s.contradiction = true;
                        ctx.s.done = true;
                    }
                }
            }
        }
        "_GUARD_TOS_FLOAT" | "_GUARD_NOS_FLOAT" => {
            let v = ctx.peek(if name == "_GUARD_TOS_FLOAT" { 0 } else { 1 });
            if ctx.s.matches_type(v, &t.float) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.s.set_type(v, &t.float);
        }
        "_BINARY_OP" => binary_op(ctx, this),
        "_BINARY_OP_ADD_INT" | "_BINARY_OP_SUBTRACT_INT" | "_BINARY_OP_MULTIPLY_INT" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let stem = &name[..name.len()];
            if left.is_unique() {
                trace[i].op = ids.uop(&format!("{stem}_INPLACE"));
                trace[i].oparg = 0;
                trace[i].operand0 = Opnd::None;
            } else if right.is_unique() {
                trace[i].op = ids.uop(&format!("{stem}_INPLACE_RIGHT"));
                trace[i].oparg = 0;
                trace[i].operand0 = Opnd::None;
            }
            let res = ctx.s.new_compact_int().unique();
            ctx.push(res);
            ctx.push(left);
            ctx.push(right);
        }
        "_BINARY_OP_ADD_FLOAT" | "_BINARY_OP_SUBTRACT_FLOAT" | "_BINARY_OP_MULTIPLY_FLOAT" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let (l, r);
            if left.is_unique() {
                ctx.add_op(this, ids.uop(&format!("{name}_INPLACE")), 0, Opnd::None);
                l = ctx.s.new_null().borrow();
                r = right;
            } else if right.is_unique() {
                ctx.add_op(
                    this,
                    ids.uop(&format!("{name}_INPLACE_RIGHT")),
                    0,
                    Opnd::None,
                );
                l = left;
                r = ctx.s.new_null().borrow();
            } else {
                l = left;
                r = right;
            }
            let res = ctx.s.new_type(&t.float).unique();
            ctx.push(res);
            ctx.push(l);
            ctx.push(r);
        }
        "_BINARY_OP_ADD_UNICODE" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let res = ctx.s.new_type(&t.str_);
            ctx.push(res);
            ctx.push(left);
            ctx.push(right);
        }
        "_GUARD_BINARY_OP_EXTEND" => {
            let (left, right) = (ctx.peek(1), ctx.peek(0));
            if let Opnd::Extend(d) = &this.operand0 {
                if !d.has_guard {
                    if let (Some(lt), Some(rt)) = (&d.lhs, &d.rhs) {
                        let lk = ctx.s.matches_type(left, lt);
                        let rk = ctx.s.matches_type(right, rt);
                        if lk && rk {
                            ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                        } else if lk {
                            ctx.add_op(
                                this,
                                op!("_GUARD_BINARY_OP_EXTEND_RHS"),
                                0,
                                this.operand0.clone(),
                            );
                            ctx.s.set_type(right, rt);
                        } else if rk {
                            ctx.add_op(
                                this,
                                op!("_GUARD_BINARY_OP_EXTEND_LHS"),
                                0,
                                this.operand0.clone(),
                            );
                            ctx.s.set_type(left, lt);
                        }
                    }
                }
            }
        }
        "_BINARY_OP_EXTEND" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let res = match &this.operand0 {
                Opnd::Extend(d) if d.result.is_some() => {
                    let r = ctx.s.new_type(d.result.as_ref().expect("a result type"));
                    if d.unique {
                        r.unique()
                    } else {
                        r
                    }
                }
                _ => ctx.s.new_not_null(),
            };
            ctx.push(res);
            ctx.push(left);
            ctx.push(right);
        }
        "_BINARY_OP_SUBSCR_STR_INT" | "_BINARY_OP_SUBSCR_USTR_INT" => {
            let sub = ctx.pop();
            let s = ctx.pop();
            let res = ctx.s.new_type(&t.str_);
            ctx.push(res);
            ctx.push(s);
            ctx.push(sub);
        }
        "_BINARY_OP_SUBSCR_TUPLE_INT" => {
            let sub = ctx.pop();
            let tup = ctx.pop();
            let res = match ctx.s.get_const(sub) {
                Some(Value::Int(k)) if ctx.s.tuple_length(tup) > k => {
                    ctx.s.tuple_getitem(tup, k as usize)
                }
                _ => ctx.s.new_not_null(),
            };
            ctx.push(res);
            ctx.push(tup);
            ctx.push(sub);
        }
        "_BINARY_OP_SUBSCR_DICT" => {
            let sub = ctx.pop();
            let d = ctx.pop();
            let res = ctx.s.new_not_null();
            ctx.push(res);
            ctx.push(d);
            ctx.push(sub);
        }
        "_BINARY_OP_SUBSCR_LIST_SLICE" => {
            let sub = ctx.pop();
            let l = ctx.pop();
            let res = ctx.s.new_type(&t.list);
            ctx.push(res);
            ctx.push(l);
            ctx.push(sub);
        }
        "_BINARY_OP_SUBSCR_LIST_INT" => {
            let sub = ctx.pop();
            let l = ctx.pop();
            let res = ctx.s.new_unknown();
            ctx.push(res);
            ctx.push(l);
            ctx.push(sub);
        }
        "_TO_BOOL" => {
            let v = ctx.pop();
            let res = match ctx.optimize_to_bool(this, v, "_POP_TOP", "_NOP") {
                Some(r) => r,
                None => ctx.s.new_truthiness(v, true),
            };
            ctx.push(res);
        }
        "_TO_BOOL_BOOL" => {
            let v = ctx.pop();
            let res = match ctx.optimize_to_bool(this, v, "_POP_TOP", "_NOP") {
                Some(r) => r,
                None => {
                    ctx.s.set_type(v, &t.bool_);
                    v
                }
            };
            ctx.push(res);
        }
        "_TO_BOOL_INT" | "_TO_BOOL_LIST" | "_TO_BOOL_STR" => {
            let v = ctx.pop();
            let res = match ctx.optimize_to_bool(this, v, "_NOP", "_SWAP") {
                Some(r) => r,
                None => match name {
                    "_TO_BOOL_INT" => {
                        ctx.s.set_type(v, &t.int);
                        ctx.s.new_truthiness(v, true)
                    }
                    "_TO_BOOL_LIST" => ctx.s.new_type(&t.bool_),
                    _ => ctx.s.new_truthiness(v, true),
                },
            };
            ctx.push(res);
            ctx.push(v);
        }
        "_TO_BOOL_NONE" => {
            let v = ctx.pop();
            let res = match ctx.optimize_to_bool(this, v, "_POP_TOP", "_NOP") {
                Some(r) => r,
                None => {
                    ctx.s.set_const(v, &Value::None);
                    ctx.s.new_const(&Value::Bool(false))
                }
            };
            ctx.push(res);
        }
        "_GUARD_NOS_UNICODE" | "_GUARD_TOS_UNICODE" => {
            let v = ctx.peek(if name == "_GUARD_TOS_UNICODE" { 0 } else { 1 });
            if ctx.s.matches_type(v, &t.str_) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.s.set_type(v, &t.str_);
        }
        "_GUARD_NOS_COMPACT_ASCII" => {
            let v = ctx.peek(1);
            ctx.s.set_type(v, &t.str_);
        }
        "_UNARY_NOT" => {
            let v = ctx.pop();
            ctx.s.set_type(v, &t.bool_);
            let r = ctx.s.new_truthiness(v, false);
            ctx.push(r);
        }
        "_COMPARE_OP" => {
            let _r = ctx.pop();
            let _l = ctx.pop();
            let res = if oparg & 16 != 0 {
                ctx.s.new_type(&t.bool_)
            } else {
                ctx.s.new_not_null()
            };
            ctx.push(res);
        }
        "_COMPARE_OP_INT" | "_COMPARE_OP_FLOAT" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let mask = oparg & (2 | 4 | 8);
            let res = if mask == 8 {
                ctx.s.new_predicate(left, right, Pred::Eq)
            } else if mask == (2 | 4) {
                ctx.s.new_predicate(left, right, Pred::Ne)
            } else {
                ctx.s.new_type(&t.bool_)
            };
            ctx.push(res);
            ctx.push(left);
            ctx.push(right);
        }
        "_COMPARE_OP_STR" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let res = ctx.s.new_type(&t.bool_);
            ctx.push(res);
            ctx.push(left);
            ctx.push(right);
        }
        "_IS_OP" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let k = if oparg != 0 { Pred::IsNot } else { Pred::Is };
            let b = ctx.s.new_predicate(left, right, k);
            ctx.push(b);
            ctx.push(left);
            ctx.push(right);
        }
        "_CONTAINS_OP" | "_CONTAINS_OP_SET" | "_CONTAINS_OP_DICT" => {
            let right = ctx.pop();
            let left = ctx.pop();
            let b = ctx.s.new_type(&t.bool_);
            ctx.push(b);
            ctx.push(left);
            ctx.push(right);
        }
        "_LOAD_CONST" => {
            let Some(co) = ctx.code() else {
                ctx.s.done = true;
                return;
            };
            let v = co
                .consts
                .get(oparg as usize)
                .cloned()
                .unwrap_or(Value::None);
            ctx.add_op(
                this,
                op!("_LOAD_CONST_INLINE_BORROW"),
                0,
                Opnd::Obj(v.clone()),
            );
            let r = ctx.s.new_const(&v).borrow();
            ctx.push(r);
        }
        "_LOAD_COMMON_CONSTANT" => {
            let n = ids
                .t
                .common_constants
                .get(oparg as usize)
                .copied()
                .unwrap_or("None");
            let v = match n {
                "None" => Value::None,
                "True" => Value::Bool(true),
                "False" => Value::Bool(false),
                "-1" => Value::Int(-1),
                "''" => crate::alloc::s(""),
                other => crate::alloc::s(other),
            };
            ctx.add_op(
                this,
                op!("_LOAD_CONST_INLINE_BORROW"),
                0,
                Opnd::Obj(v.clone()),
            );
            let r = ctx.s.new_const(&v).borrow();
            ctx.push(r);
        }
        "_LOAD_SMALL_INT" => {
            let v = Value::Int(oparg as i64);
            ctx.add_op(
                this,
                op!("_LOAD_CONST_INLINE_BORROW"),
                0,
                Opnd::Obj(v.clone()),
            );
            let r = ctx.s.new_const(&v).borrow();
            ctx.push(r);
        }
        "_LOAD_CONST_INLINE" => {
            let r = match &this.operand0 {
                Opnd::Obj(v) => ctx.s.new_const(v),
                _ => ctx.s.new_not_null(),
            };
            ctx.push(r);
        }
        "_LOAD_CONST_INLINE_BORROW" => {
            let r = match &this.operand0 {
                Opnd::Obj(v) => ctx.s.new_const(v),
                _ => ctx.s.new_not_null(),
            };
            ctx.push(r.borrow());
        }
        "_POP_TOP_OPARG" => {
            let mut args = Vec::new();
            for _ in 0..oparg {
                args.push(ctx.pop());
            }
            for a in args {
                ctx.optimize_pop_top(this, a);
            }
        }
        "_POP_TOP" => {
            let v = ctx.pop();
            ctx.optimize_pop_top(this, v);
        }
        "_POP_TOP_INT" | "_POP_TOP_FLOAT" | "_POP_TOP_UNICODE" => {
            let v = ctx.pop();
            if v.is_borrowed() {
                ctx.add_op(this, op!("_POP_TOP_NOP"), 0, Opnd::None);
            }
        }
        "_POP_TOP_NOP" => {
            ctx.pop();
        }
        "_COPY" => {
            let n = (oparg as usize).saturating_sub(1);
            let b = ctx.peek(n).remove_unique();
            ctx.set_peek(n, b);
            ctx.push(b);
        }
        "_SWAP" => {
            let top = ctx.peek(0);
            let n = (oparg as usize).saturating_sub(1);
            let bottom = ctx.peek(n);
            ctx.set_peek(0, bottom);
            ctx.set_peek(n, top);
        }
        "_LOAD_ATTR_INSTANCE_VALUE" | "_LOAD_ATTR_WITH_HINT" | "_LOAD_ATTR_SLOT" => {
            let owner = ctx.pop();
            let attr = ctx.s.new_not_null();
            ctx.push(attr);
            ctx.push(owner);
        }
        "_LOAD_ATTR_MODULE" => {
            // The attribute stays unknown: module attributes are not made constants here.
            let owner = ctx.pop();
            let attr = ctx.s.new_not_null();
            ctx.push(attr);
            ctx.push(owner);
        }
        "_PUSH_NULL_CONDITIONAL" => {
            if oparg & 1 == 1 {
                ctx.add_op(this, op!("_PUSH_NULL"), 0, Opnd::None);
                let n = ctx.s.new_null();
                ctx.push(n);
            } else {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
        }
        "_LOAD_ATTR" => {
            let _owner = ctx.pop();
            let a = ctx.s.new_not_null();
            ctx.push(a);
            if oparg & 1 == 1 {
                let s = ctx.s.new_unknown();
                ctx.push(s);
            }
        }
        "_LOAD_ATTR_CLASS" => {
            let owner = ctx.pop();
            let ty = ctx.s.get_const(owner).and_then(|v| v.obj().cloned());
            let n = ctx.co_name(oparg >> 1);
            let a = ctx.lookup_attr(this, ty, n, "_POP_TOP", "_NOP");
            ctx.push(a);
        }
        "_LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES" | "_LOAD_ATTR_NONDESCRIPTOR_NO_DICT" => {
            let owner = ctx.pop();
            let ty = ctx.s.get_type(owner);
            let n = ctx.co_name(oparg >> 1);
            let a = ctx.lookup_attr(this, ty, n, "_POP_TOP", "_NOP");
            ctx.push(a);
        }
        "_LOAD_ATTR_METHOD_WITH_VALUES"
        | "_LOAD_ATTR_METHOD_NO_DICT"
        | "_LOAD_ATTR_METHOD_LAZY_DICT" => {
            let owner = ctx.pop();
            let ty = ctx.s.get_type(owner);
            let n = ctx.co_name(oparg >> 1);
            let a = ctx.lookup_attr(this, ty, n, "_NOP", "_SWAP");
            ctx.push(a);
            ctx.push(owner);
        }
        "_INIT_CALL_BOUND_METHOD_EXACT_ARGS" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let bm = ctx.s.get_probable_value(callable);
            let (c, s) = match bm.as_ref().and_then(|b| b.data()) {
                Some(Data::Method(f, selfv)) => {
                    let c = ctx.s.new_not_null();
                    ctx.s.set_recorded_value(c, Some(&f.clone()));
                    let s = ctx.s.new_not_null();
                    ctx.s.set_recorded_value(s, Some(&selfv.clone()));
                    (c, s)
                }
                _ => (ctx.s.new_not_null(), ctx.s.new_not_null()),
            };
            ctx.set_peek(n + 1, c);
            ctx.set_peek(n, s);
        }
        "_CHECK_FUNCTION_VERSION" | "_CHECK_FUNCTION_VERSION_KW" => {
            let n = oparg as usize + if name.ends_with("_KW") { 2 } else { 1 };
            let callable = ctx.peek(n);
            let version = match this.operand0 {
                Opnd::Num(v) => v as u32,
                _ => 0,
            };
            let f = ctx.s.get_probable_value(callable);
            match f.as_ref().and_then(|v| v.data()) {
                Some(Data::Function(func)) if func.version.get() == version => {
                    let f = f.clone().expect("a function");
                    ctx.s.set_const(callable, &f);
                }
                _ => {
                    ctx.s.contradiction = true;
                    ctx.s.done = true;
                }
            }
        }
        "_CHECK_METHOD_VERSION" | "_CHECK_METHOD_VERSION_KW" => {
            let n = oparg as usize + if name.ends_with("_KW") { 2 } else { 1 };
            let callable = ctx.peek(n);
            let bm = ctx.s.get_probable_value(callable);
            if let Some(Data::Method(f, _)) = bm.as_ref().and_then(|b| b.data()) {
                if matches!(f.data(), Some(Data::Function(_))) {
                    ctx.s.set_const(callable, bm.as_ref().expect("a method"));
                }
            }
            ctx.s.set_type(callable, &t.method);
        }
        "_CHECK_FUNCTION_EXACT_ARGS" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let self_or_null = ctx.peek(n);
            if let Some(f) = ctx.s.get_const(callable) {
                if ctx.s.is_null(self_or_null) || ctx.s.is_not_null(self_or_null) {
                    if let Some(Data::Function(func)) = f.data() {
                        let extra = ctx.s.is_not_null(self_or_null) as usize;
                        if func.code.argcount == n + extra {
                            ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                        }
                    }
                }
            }
        }
        "_CHECK_CALL_BOUND_METHOD_EXACT_ARGS" => {
            let n = oparg as usize;
            let null = ctx.peek(n);
            let callable = ctx.peek(n + 1);
            ctx.s.set_null(null);
            ctx.s.set_type(callable, &t.method);
        }
        "_INIT_CALL_PY_EXACT_ARGS" => {
            let n = oparg as usize;
            let mut args = Vec::with_capacity(n + 1);
            for _ in 0..n {
                args.push(ctx.pop());
            }
            args.reverse();
            let self_or_null = ctx.pop();
            let callable = ctx.pop();
            let known = ctx.s.is_null(self_or_null) || ctx.s.is_not_null(self_or_null);
            if ctx.s.is_not_null(self_or_null) {
                args.insert(0, self_or_null);
            }
            let f = if known {
                ctx.frame_new_from_symbol(callable, Some(&args))
            } else {
                ctx.frame_new_from_symbol(callable, None)
            };
            match f {
                Some(fi) => ctx.push(Ref::frame(fi)),
                None => ctx.push(Ref::NULL),
            }
        }
        "_EXPAND_METHOD" | "_EXPAND_METHOD_KW" => {
            let n = oparg as usize + if name.ends_with("_KW") { 1 } else { 0 };
            let callable = ctx.peek(n + 1);
            let m = ctx.s.get_const(callable);
            let (c, s) = match m.as_ref().and_then(|v| v.data()) {
                Some(Data::Method(f, selfv)) if ctx.s.matches_type(callable, &t.method) => {
                    (ctx.s.new_const(&f.clone()), ctx.s.new_const(&selfv.clone()))
                }
                _ => (ctx.s.new_not_null(), ctx.s.new_not_null()),
            };
            ctx.set_peek(n + 1, c);
            ctx.set_peek(n, s);
        }
        "_MAYBE_EXPAND_METHOD" => {
            let n = oparg as usize;
            let c = ctx.s.new_not_null();
            let s = ctx.s.new_not_null();
            ctx.set_peek(n + 1, c);
            ctx.set_peek(n, s);
        }
        "_PY_FRAME_GENERAL" | "_PY_FRAME_KW" => {
            let n = oparg as usize + 2 + name.ends_with("_KW") as usize;
            let mut popped = Vec::new();
            for _ in 0..n {
                popped.push(ctx.pop());
            }
            let callable = *popped.last().expect("a callable");
            let f = ctx.frame_new_from_symbol(callable, None);
            ctx.push(f.map_or(Ref::NULL, Ref::frame));
        }
        "_CHECK_OBJECT" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let self_or_null = ctx.peek(n);
            let version = match this.operand0 {
                Opnd::Num(v) => v as u32,
                _ => 0,
            };
            let konst = ctx.s.get_const(callable);
            let probable = ctx.s.get_probable_value(callable);
            let is_probable = konst.is_none() && probable.is_some();
            let c = konst.or(probable);
            let ok = ctx.s.is_null(self_or_null)
                && c.as_ref().is_some_and(|c| match c.data() {
                    Some(Data::Type(_)) => sym::version_of(c.obj().expect("a type")) == version,
                    _ => false,
                });
            if ok {
                let c = c.expect("a class");
                if !is_probable {
                    ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                } else {
                    ctx.s.set_const(callable, &c);
                }
                let cls = c.obj().cloned().expect("a type");
                let init = crate::types::lookup(&cls, "__init__");
                let r = match init {
                    Some(f) => ctx.s.new_const(&f),
                    None => ctx.s.new_not_null(),
                };
                ctx.set_peek(n + 1, r);
                ctx.watch_type(&cls);
            } else {
                let r = ctx.s.new_not_null();
                ctx.set_peek(n + 1, r);
            }
        }
        "_ALLOCATE_OBJECT" => {
            let n = oparg as usize;
            let r = ctx.s.new_not_null();
            ctx.set_peek(n, r);
        }
        "_CREATE_INIT_FRAME" => {
            let n = oparg as usize;
            let mut args = Vec::new();
            for _ in 0..n {
                args.push(ctx.pop());
            }
            args.reverse();
            let selfv = ctx.pop();
            let init = ctx.pop();
            let shim = ctx.frame_new(None, None);
            let Some(si) = shim else { return };
            ctx.frames[si].stack.push(selfv);
            ctx.depth += 1;
            let mut all = vec![selfv];
            all.extend(args);
            let f = ctx.frame_new_from_symbol(init, Some(&all));
            ctx.push(f.map_or(Ref::NULL, Ref::frame));
        }
        "_RETURN_VALUE" | "_YIELD_VALUE" => {
            let retval = ctx.pop();
            let code = match trace.get(i + 1).map(|u| (&u.op, &u.operand0)) {
                Some((op, Opnd::Code(c))) if *op == ids.u.RECORD_CODE => Some(Some(c.clone())),
                Some((op, Opnd::Shim)) if *op == ids.u.RECORD_CODE => Some(None),
                _ => None,
            };
            let Some(code) = code else {
                ctx.s.done = true;
                return;
            };
            if ctx.frame_pop(code.as_ref()) {
                return;
            }
            ctx.push(retval);
        }
        "_RETURN_GENERATOR" => {
            let code = match trace.get(i + 1).map(|u| (&u.op, &u.operand0)) {
                Some((op, Opnd::Code(c))) if *op == ids.u.RECORD_CODE => Some(Some(c.clone())),
                _ => None,
            };
            let Some(code) = code else {
                ctx.s.done = true;
                return;
            };
            if ctx.frame_pop(code.as_ref()) {
                return;
            }
            let r = ctx.s.new_unknown();
            ctx.push(r);
        }
        "_CHECK_STACK_SPACE" => {
            let callable = ctx.peek(oparg as usize + 1);
            match ctx.s.get_probable_func(callable) {
                Some(f) => {
                    let size = match f.data() {
                        Some(Data::Function(func)) => func.code.localsplus.len() as u64,
                        _ => 0,
                    };
                    ctx.add_op(this, op!("_CHECK_STACK_SPACE_OPERAND"), 0, Opnd::Num(size));
                }
                None => ctx.s.done = true,
            }
        }
        "_CHECK_IS_NOT_PY_CALLABLE" | "_CHECK_IS_NOT_PY_CALLABLE_KW" => {
            let n = oparg as usize + 1 + name.ends_with("_KW") as usize;
            let callable = ctx.peek(n);
            if let Some(ty) = ctx.s.get_type(callable) {
                if !sym::same_type(&ty, &t.function) && !sym::same_type(&ty, &t.method) {
                    ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                }
            }
        }
        "_FOR_ITER_GEN_FRAME" | "_SEND_GEN_FRAME" => {
            // The generator's frame, from the function the recording saw; what it is sent
            // (`None` for a `for` loop) goes on its stack.
            let send = name == "_SEND_GEN_FRAME";
            let gen = ctx.peek(if send { 2 } else { 1 });
            let sent = if send {
                ctx.pop().strip()
            } else {
                ctx.s.new_const(&Value::None)
            };
            let Some(fi) = ctx.frame_new_from_symbol(gen, None) else {
                ctx.s.done = true;
                if send {
                    ctx.push(sent);
                }
                return;
            };
            ctx.frames[fi].stack.push(sent);
            ctx.push(Ref::frame(fi));
        }
        "_LOAD_ATTR_PROPERTY_FRAME" | "_LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN_FRAME" => {
            let owner = ctx.pop();
            let func = match &this.operand0 {
                Opnd::Obj(f) => match f.data() {
                    Some(Data::Function(x)) => Some((f.clone(), x.code.clone())),
                    _ => None,
                },
                _ => None,
            };
            let Some((func, co)) = func.filter(|_| ctx.s.get_type_version(owner) != 0) else {
                ctx.s.contradiction = true;
                ctx.s.done = true;
                return;
            };
            let Some(fi) = ctx.frame_new(Some(co), None) else {
                ctx.push(Ref::NULL);
                return;
            };
            if let Some(l) = ctx.frames[fi].locals.get_mut(0) {
                *l = owner;
            }
            if name == "_LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN_FRAME" {
                if let Some(a) = ctx.co_name(oparg >> 1) {
                    let r = ctx.s.new_const(&crate::alloc::str_value(a));
                    if let Some(l) = ctx.frames[fi].locals.get_mut(1) {
                        *l = r;
                    }
                }
            }
            if let Some(Data::Function(f)) = func.data() {
                ctx.frames[fi].globals = Some(f.globals.clone());
            }
            ctx.frames[fi].func = Some(func);
            ctx.push(Ref::frame(fi));
        }
        "_PUSH_FRAME" => {
            let nf = ctx.pop();
            if !ctx.is_shim() {
                // The caller's stack is kept as it is now.
            }
            ctx.frame().caller = true;
            if nf.tag != Tag::Frame || nf.is_null_ref() {
                ctx.s.done = true;
                return;
            }
            ctx.depth = nf.id as usize + 1;
        }
        "_UNPACK_SEQUENCE" => {
            ctx.pop();
            for _ in 0..oparg {
                let r = ctx.s.new_unknown();
                ctx.push(r);
            }
        }
        "_ITER_CHECK_TUPLE" => {
            let it = ctx.peek(1);
            if ctx.s.matches_type(it, &t.tuple) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.s.set_type(it, &t.tuple);
        }
        "_ITER_CHECK_LIST" | "_ITER_CHECK_RANGE" => {
            let it = ctx.peek(1);
            let ty = if name == "_ITER_CHECK_LIST" {
                t.list.clone()
            } else {
                t.other["range_iterator"].clone()
            };
            if ctx.s.matches_type(it, &ty) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_type(it, &ty);
            }
        }
        "_ITER_NEXT_RANGE" => {
            let r = ctx.s.new_type(&t.int);
            ctx.push(r);
        }
        "_CALL_TYPE_1" => {
            let arg = ctx.pop();
            let null = ctx.pop();
            let callable = ctx.pop();
            let res = match ctx.s.get_type(arg) {
                Some(ty) => {
                    let tv = Value::Obj(ty.clone());
                    ctx.add_op(this, op!("_SWAP"), 3, Opnd::None);
                    ctx.optimize_pop_top(this, callable);
                    ctx.optimize_pop_top(this, null);
                    ctx.add_op(
                        this,
                        op!("_LOAD_CONST_INLINE_BORROW"),
                        0,
                        Opnd::Obj(tv.clone()),
                    );
                    ctx.add_op(this, op!("_SWAP"), 2, Opnd::None);
                    ctx.s.new_const(&tv)
                }
                None => ctx.s.new_not_null(),
            };
            ctx.push(res);
            ctx.push(arg);
        }
        "_CALL_STR_1" | "_CALL_TUPLE_1" => {
            let arg = ctx.pop();
            ctx.pop();
            ctx.pop();
            let ty = if name == "_CALL_STR_1" {
                t.str_.clone()
            } else {
                t.tuple.clone()
            };
            let res = if ctx.s.matches_type(arg, &ty) {
                arg.strip()
            } else {
                ctx.s.new_type(&ty)
            };
            ctx.push(res);
            ctx.push(arg);
        }
        "_CALL_ISINSTANCE" => {
            let cls = ctx.pop();
            let inst = ctx.pop();
            let null = ctx.pop();
            let callable = ctx.pop();
            let res = ctx.s.new_type(&t.bool_);
            let it = ctx.s.get_type(inst);
            let c = ctx.s.get_const(cls);
            if let (Some(it), Some(c)) = (it, c) {
                if let Some(co) = c.obj().filter(|_| ctx.s.matches_type(cls, &t.type_)) {
                    let out = Value::Bool(crate::types::is_subtype(&it, co));
                    ctx.s.set_const(res, &out);
                    ctx.optimize_pop_top(this, cls);
                    ctx.optimize_pop_top(this, inst);
                    ctx.optimize_pop_top(this, null);
                    ctx.optimize_pop_top(this, callable);
                    ctx.add_op(this, op!("_LOAD_CONST_INLINE_BORROW"), 0, Opnd::Obj(out));
                }
            }
            ctx.push(res);
        }
        "_CALL_LIST_APPEND" => {
            let _arg = ctx.pop();
            let s = ctx.pop();
            let c = ctx.pop();
            let none = ctx.s.new_const(&Value::None);
            ctx.push(none);
            ctx.push(c);
            ctx.push(s);
        }
        "_GUARD_CALLABLE_BUILTIN_CLASS" => {
            let callable = ctx.peek(oparg as usize + 1);
            if ctx.s.get_const(callable).is_some() && ctx.s.matches_type(callable, &t.type_) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_type(callable, &t.type_);
            }
        }
        "_GUARD_CALLABLE_BUILTIN_O"
        | "_GUARD_CALLABLE_BUILTIN_FAST"
        | "_GUARD_CALLABLE_BUILTIN_FAST_WITH_KEYWORDS" => {
            let callable = ctx.peek(oparg as usize + 1);
            let bf = t.builtin_function.clone();
            if ctx.s.get_const(callable).is_some() && ctx.s.matches_type(callable, &bf) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_type(callable, &bf);
            }
        }
        "_CALL_BUILTIN_FAST_WITH_KEYWORDS" | "_CALL_BUILTIN_FAST" | "_CALL_BUILTIN_CLASS" => {
            let r = ctx.s.new_not_null();
            ctx.set_peek(oparg as usize + 1, r);
        }
        "_CALL_BUILTIN_O" => {
            let n = oparg as usize;
            let mut args = Vec::new();
            for _ in 0..n {
                args.push(ctx.pop());
            }
            args.reverse();
            let self_or_null = ctx.pop();
            let callable = ctx.pop();
            let res = ctx.s.new_not_null();
            let s = if ctx.s.is_not_null(self_or_null) {
                self_or_null
            } else if ctx.s.is_null(self_or_null) {
                args.first().copied().unwrap_or(Ref::NULL)
            } else {
                ctx.s.new_unknown()
            };
            ctx.push(res);
            ctx.push(callable);
            ctx.push(s);
        }
        "_GUARD_CALLABLE_METHOD_DESCRIPTOR_O"
        | "_GUARD_CALLABLE_METHOD_DESCRIPTOR_FAST"
        | "_GUARD_CALLABLE_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS"
        | "_GUARD_CALLABLE_METHOD_DESCRIPTOR_NOARGS" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let self_or_null = ctx.peek(n);
            let md = t.method_descriptor.clone();
            let c = ctx.s.get_const(callable);
            if c.is_some()
                && ctx.s.matches_type(callable, &md)
                && (ctx.s.is_not_null(self_or_null) || ctx.s.is_null(self_or_null))
            {
                let total = n + ctx.s.is_not_null(self_or_null) as usize;
                let self_ty = if ctx.s.is_not_null(self_or_null) {
                    ctx.s.get_type(self_or_null)
                } else if n > 0 {
                    ctx.s.get_type(ctx.peek(n - 1))
                } else {
                    None
                };
                if let Some(Data::MethodDescr(b)) = c.as_ref().and_then(|v| v.data()) {
                    let owner_ok = self_ty.as_ref().is_some_and(|st| {
                        b.owner.is_some_and(|o| &*crate::types::type_name(st) == o)
                    });
                    let flags_ok = match name {
                        "_GUARD_CALLABLE_METHOD_DESCRIPTOR_O" => {
                            total == 2 && b.kind == crate::value::MethKind::O
                        }
                        "_GUARD_CALLABLE_METHOD_DESCRIPTOR_NOARGS" => {
                            total == 1 && b.kind == crate::value::MethKind::NoArgs
                        }
                        "_GUARD_CALLABLE_METHOD_DESCRIPTOR_FAST" => {
                            total != 0 && b.kind == crate::value::MethKind::Fast
                        }
                        _ => total != 0 && b.kind == crate::value::MethKind::FastKw,
                    };
                    if owner_ok && flags_ok {
                        ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                    }
                }
            } else {
                ctx.s.set_type(callable, &md);
            }
        }
        "_CHECK_RECURSION_LIMIT" => {
            if ctx.cur().c_recursion_checked {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.frame().c_recursion_checked = true;
        }
        "_CALL_METHOD_DESCRIPTOR_NOARGS" | "_CALL_METHOD_DESCRIPTOR_O" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let self_or_null = ctx.peek(n);
            let c = ctx.s.get_const(callable);
            if let Some(v) = c
                .as_ref()
                .filter(|v| matches!(v.data(), Some(Data::MethodDescr(_))))
            {
                if ctx.s.is_not_null(self_or_null) {
                    ctx.add_op(
                        this,
                        ids.uop(&format!("{name}_INLINE")),
                        oparg + 1,
                        Opnd::Obj(v.clone()),
                    );
                }
            }
            let mut args = Vec::new();
            for _ in 0..n {
                args.push(ctx.pop());
            }
            args.reverse();
            let son = ctx.pop();
            let callable = ctx.pop();
            let res = ctx.s.new_not_null();
            ctx.push(res);
            ctx.push(callable);
            if name == "_CALL_METHOD_DESCRIPTOR_NOARGS" {
                let s = if ctx.s.is_not_null(son) {
                    son
                } else if ctx.s.is_null(son) {
                    args.first().copied().unwrap_or(Ref::NULL)
                } else {
                    ctx.s.new_unknown()
                };
                ctx.push(s);
            } else if ctx.s.is_not_null(son) {
                ctx.push(son);
                let a = args.first().copied().unwrap_or(Ref::NULL);
                ctx.push(a);
            } else {
                let s = ctx.s.new_unknown();
                let a = ctx.s.new_unknown();
                ctx.push(s);
                ctx.push(a);
            }
        }
        "_CALL_METHOD_DESCRIPTOR_FAST" | "_CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS" => {
            let n = oparg as usize;
            let callable = ctx.peek(n + 1);
            let self_or_null = ctx.peek(n);
            let c = ctx.s.get_const(callable);
            if let Some(v) = c
                .as_ref()
                .filter(|v| matches!(v.data(), Some(Data::MethodDescr(_))))
            {
                if ctx.s.is_not_null(self_or_null) {
                    ctx.add_op(
                        this,
                        ids.uop(&format!("{name}_INLINE")),
                        oparg,
                        Opnd::Obj(v.clone()),
                    );
                }
            }
            let r = ctx.s.new_not_null();
            ctx.set_peek(n + 1, r);
        }
        "_CALL_INTRINSIC_1" => {
            let v = ctx.pop();
            let r = ctx.s.new_not_null();
            ctx.push(r);
            ctx.push(v);
        }
        "_GUARD_IS_TRUE_POP" | "_GUARD_IS_FALSE_POP" => {
            let flag = ctx.pop();
            let want = name == "_GUARD_IS_TRUE_POP";
            ctx.s.apply_predicate_narrowing(flag, want);
            if let Some(v) = ctx.s.get_const(flag) {
                let exit = !matches!(v, Value::Bool(b) if b == want);
                ctx.eliminate_pop_guard(this, trace, i, exit);
            }
            ctx.s.set_const(flag, &Value::Bool(want));
        }
        "_GUARD_IS_NONE_POP" => {
            let val = ctx.pop();
            if let Some(v) = ctx.s.get_const(val) {
                ctx.eliminate_pop_guard(this, trace, i, !matches!(v, Value::None));
            } else if ctx.s.has_type(val) {
                ctx.eliminate_pop_guard(this, trace, i, true);
            }
            ctx.s.set_const(val, &Value::None);
        }
        "_GUARD_IS_NOT_NONE_POP" => {
            let val = ctx.pop();
            if let Some(v) = ctx.s.get_const(val) {
                ctx.eliminate_pop_guard(this, trace, i, matches!(v, Value::None));
            } else if ctx.s.has_type(val) {
                ctx.eliminate_pop_guard(this, trace, i, false);
            }
        }
        "_CHECK_PEP_523" => {
            ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
        }
        "_INSERT_NULL" => {
            let selfv = ctx.pop();
            let n = ctx.s.new_null();
            ctx.push(n);
            ctx.push(selfv);
        }
        "_JUMP_TO_TOP" | "_EXIT_TRACE" | "_DEOPT" => {
            ctx.s.done = true;
        }
        "_REPLACE_WITH_TRUE" => {
            let v = ctx.pop();
            ctx.add_op(
                this,
                op!("_LOAD_CONST_INLINE_BORROW"),
                0,
                Opnd::Obj(Value::Bool(true)),
            );
            ctx.add_op(this, op!("_SWAP"), 2, Opnd::None);
            let r = ctx.s.new_const(&Value::Bool(true));
            ctx.push(r);
            ctx.push(v);
        }
        "_BUILD_TUPLE" => {
            let mut items = Vec::new();
            for _ in 0..oparg {
                items.push(ctx.pop());
            }
            items.reverse();
            let r = ctx
                .s
                .new_tuple(&items, ids.c.max_symbolic_tuple_size)
                .unique();
            ctx.push(r);
        }
        "_BUILD_LIST" | "_BUILD_SLICE" | "_BUILD_STRING" | "_BUILD_SET" => {
            for _ in 0..oparg {
                ctx.pop();
            }
            let ty = match name {
                "_BUILD_LIST" => t.list.clone(),
                "_BUILD_SLICE" => t.slice.clone(),
                "_BUILD_STRING" => t.str_.clone(),
                _ => t.set.clone(),
            };
            let r = ctx.s.new_type(&ty);
            ctx.push(r);
        }
        "_BUILD_MAP" => {
            for _ in 0..oparg * 2 {
                ctx.pop();
            }
            let r = ctx.s.new_type(&t.dict);
            ctx.push(r);
        }
        "_UNPACK_SEQUENCE_TWO_TUPLE" => {
            let seq = ctx.pop();
            if seq.is_unique() && ctx.s.tuple_length(seq) == 2 {
                ctx.add_op(
                    this,
                    op!("_UNPACK_SEQUENCE_UNIQUE_TWO_TUPLE"),
                    oparg,
                    Opnd::None,
                );
            }
            let v0 = ctx.s.tuple_getitem(seq, 0);
            let v1 = ctx.s.tuple_getitem(seq, 1);
            ctx.push(v1);
            ctx.push(v0);
        }
        "_UNPACK_SEQUENCE_TUPLE" => {
            let seq = ctx.pop();
            for k in 0..oparg as usize {
                let v = ctx.s.tuple_getitem(seq, oparg as usize - k - 1);
                ctx.push(v);
            }
        }
        "_GUARD_TOS_LIST"
        | "_GUARD_NOS_LIST"
        | "_GUARD_TOS_TUPLE"
        | "_GUARD_NOS_TUPLE"
        | "_GUARD_TOS_DICT"
        | "_GUARD_TOS_SLICE"
        | "_GUARD_TOS_SET"
        | "_GUARD_TOS_FROZENSET" => {
            let v = ctx.peek(if name.starts_with("_GUARD_TOS") { 0 } else { 1 });
            let ty = match &name[name.len() - 4..] {
                "LIST" => t.list.clone(),
                "UPLE" => t.tuple.clone(),
                "DICT" => t.dict.clone(),
                "LICE" => t.slice.clone(),
                "NSET" => t.frozenset.clone(),
                _ => t.set.clone(),
            };
            if ctx.s.matches_type(v, &ty) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_type(v, &ty);
            }
        }
        "_GUARD_NOS_DICT" => {
            let v = ctx.peek(1);
            if ctx.s.matches_type(v, &t.dict) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            }
            ctx.s.set_type(v, &t.dict);
        }
        "_GUARD_NOS_DICT_STORE_SUBSCRIPT" | "_GUARD_NOS_DICT_SUBSCRIPT" => {
            // The dict is the second item (below the key): a known dict needs no guard; a
            // recorded one is guarded by its exact type.
            let v = ctx.peek(1);
            if ctx.s.matches_type(v, &t.dict) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else if ctx
                .s
                .get_probable_type(v)
                .is_some_and(|p| sym::same_type(&p, &t.dict))
            {
                ctx.add_op(
                    this,
                    op!("_GUARD_TYPE"),
                    0,
                    Opnd::Obj(Value::Obj(t.dict.clone())),
                );
                ctx.s.set_type(v, &t.dict);
            }
        }
        "_GUARD_NOS_NULL" | "_GUARD_THIRD_NULL" => {
            let v = ctx.peek(if name == "_GUARD_NOS_NULL" { 1 } else { 2 });
            if ctx.s.is_null(v) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_null(v);
            }
        }
        "_GUARD_NOS_NOT_NULL" => {
            let v = ctx.peek(1);
            if ctx.s.is_not_null(v) {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_non_null(v);
            }
        }
        "_GUARD_CALLABLE_TYPE_1"
        | "_GUARD_CALLABLE_TUPLE_1"
        | "_GUARD_CALLABLE_STR_1"
        | "_GUARD_CALLABLE_LEN"
        | "_GUARD_CALLABLE_ISINSTANCE"
        | "_GUARD_CALLABLE_LIST_APPEND" => {
            // `isinstance` has two arguments: its callable is one item deeper.
            let isinstance = name == "_GUARD_CALLABLE_ISINSTANCE";
            let callable = ctx.peek(if isinstance { 3 } else { 2 });
            let want: Value = match name {
                "_GUARD_CALLABLE_ISINSTANCE" => builtin(ctx, "isinstance"),
                "_GUARD_CALLABLE_TYPE_1" => Value::Obj(t.type_.clone()),
                "_GUARD_CALLABLE_TUPLE_1" => Value::Obj(t.tuple.clone()),
                "_GUARD_CALLABLE_STR_1" => Value::Obj(t.str_.clone()),
                "_GUARD_CALLABLE_LEN" => builtin(ctx, "len"),
                _ => list_append(),
            };
            if ctx
                .s
                .get_const(callable)
                .is_some_and(|c| sym::same(&c, &want))
            {
                ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
            } else {
                ctx.s.set_const(callable, &want);
            }
        }
        "_CALL_LEN" => {
            let arg = ctx.pop();
            let _null = ctx.pop();
            let callable = ctx.pop();
            let mut res = ctx.s.new_type(&t.int);
            let mut length = ctx.s.tuple_length(arg);
            if length < 0 {
                if let Some(c) = ctx.s.get_const(arg) {
                    match c.data() {
                        Some(Data::Str(s)) => length = s.chars().count() as i64,
                        Some(Data::Bytes(b)) => length = b.len() as i64,
                        _ => {}
                    }
                }
            }
            if length >= 0 {
                let v = Value::Int(length);
                if sym::is_immortal(&v) {
                    ctx.add_op(
                        this,
                        op!("_SHUFFLE_3_LOAD_CONST_INLINE_BORROW"),
                        0,
                        Opnd::Obj(v.clone()),
                    );
                }
                res = ctx.s.new_const(&v);
            }
            ctx.push(res);
            ctx.push(arg);
            ctx.push(callable);
        }
        "_GET_LEN" => {
            let obj = ctx.peek(0);
            let n = ctx.s.tuple_length(obj);
            let r = if n < 0 {
                ctx.s.new_type(&t.int)
            } else {
                let v = Value::Int(n);
                if sym::is_immortal(&v) {
                    ctx.add_op(
                        this,
                        op!("_LOAD_CONST_INLINE_BORROW"),
                        0,
                        Opnd::Obj(v.clone()),
                    );
                }
                ctx.s.new_const(&v)
            };
            ctx.push(r);
        }
        "_BINARY_SLICE" => {
            ctx.pop();
            ctx.pop();
            let c = ctx.pop();
            let ty = ctx.s.get_type(c);
            let r = match ty {
                Some(x)
                    if [&t.str_, &t.list, &t.tuple]
                        .iter()
                        .any(|k| sym::same_type(&x, k)) =>
                {
                    ctx.s.new_type(&x)
                }
                _ => ctx.s.new_not_null(),
            };
            ctx.push(r);
        }
        "_GUARD_GLOBALS_VERSION" => {
            let version = match this.operand0 {
                Opnd::Num(v) => v,
                _ => 0,
            };
            if let Some(globals) = frame_globals(ctx) {
                let mutations = ctx.env.mutations(&globals);
                if dict_keys_version(&globals) != version {
                    ctx.s.done = true;
                } else if mutations >= ids.c.max_allowed_globals_modifications {
                } else {
                    if !ctx.cur().globals_watched {
                        ctx.env.watch(&globals);
                        ctx.deps.push(Dep::Dict(Env::dict_id(&globals)));
                        ctx.frame().globals_watched = true;
                    }
                    if ctx.cur().globals_checked_version == version {
                        ctx.add_op(this, ids.u.NOP, 0, Opnd::None);
                    }
                }
            }
            ctx.frame().globals_checked_version = version;
        }
        "_LOAD_GLOBAL_BUILTINS" => {
            let version = match this.operand0 {
                Opnd::Num(v) => v,
                _ => 0,
            };
            let builtins = ctx.env.builtins.clone();
            let mut cnst = None;
            if dict_keys_version(&builtins) != version {
                ctx.s.done = true;
            } else if ctx.env.mutations(&builtins) >= ids.c.max_allowed_builtins_modifications {
            } else {
                if !ctx.builtins_watched {
                    ctx.env.watch(&builtins);
                    ctx.builtins_watched = true;
                }
                if ctx.cur().globals_checked_version != 0 && ctx.cur().globals_watched {
                    cnst = global_name(ctx, oparg)
                        .and_then(|n| ctx.global_const(&builtins, &n, version));
                    if let Some(v) = &cnst {
                        let op = if sym::is_immortal(v) {
                            "_LOAD_CONST_INLINE_BORROW"
                        } else {
                            "_LOAD_CONST_INLINE"
                        };
                        // The constant comes from the interpreter's builtins: a guard that
                        // the frame's builtins are those, then the constant (oparg 0).
                        ctx.add_op(this, op!("_GUARD_BUILTINS_IS_CANONICAL"), 0, Opnd::None);
                        ctx.add_op(this, ids.uop(op), 0, Opnd::Obj(v.clone()));
                    }
                }
            }
            let r = match cnst {
                None => ctx.s.new_not_null(),
                Some(v) => {
                    let r = ctx.s.new_const(&v);
                    if sym::is_immortal(&v) {
                        r.borrow()
                    } else {
                        r
                    }
                }
            };
            ctx.push(r);
        }
        "_LOAD_GLOBAL_MODULE" => {
            let version = match this.operand0 {
                Opnd::Num(v) => v,
                _ => 0,
            };
            let mut cnst = None;
            if let Some(globals) = frame_globals(ctx) {
                let mutations = ctx.env.mutations(&globals);
                if dict_keys_version(&globals) != version {
                    ctx.s.done = true;
                } else if mutations >= ids.c.max_allowed_globals_modifications {
                } else {
                    if !ctx.cur().globals_watched {
                        ctx.env.watch(&globals);
                        ctx.deps.push(Dep::Dict(Env::dict_id(&globals)));
                        ctx.frame().globals_watched = true;
                    }
                    if ctx.cur().globals_checked_version != version
                        && i > 0
                        && trace[i - 1].op == ids.u.NOP
                    {
                        if let Some(last) = ctx.out.last_mut() {
                            last.op = ids.uop("_GUARD_GLOBALS_VERSION");
                            last.oparg = 0;
                            last.operand0 = Opnd::Num(version);
                        }
                        ctx.frame().globals_checked_version = version;
                    }
                    if ctx.cur().globals_checked_version == version {
                        cnst = global_name(ctx, oparg)
                            .and_then(|n| ctx.global_const(&globals, &n, version));
                        if let Some(v) = &cnst {
                            let op = if sym::is_immortal(v) {
                                "_LOAD_CONST_INLINE_BORROW"
                            } else {
                                "_LOAD_CONST_INLINE"
                            };
                            trace[i].op = ids.uop(op);
                            trace[i].operand0 = Opnd::Obj(v.clone());
                        }
                    }
                }
            }
            let r = match cnst {
                None => ctx.s.new_not_null(),
                Some(v) => {
                    let r = ctx.s.new_const(&v);
                    if sym::is_immortal(&v) {
                        r.borrow()
                    } else {
                        r
                    }
                }
            };
            ctx.push(r);
        }
        "_MAKE_FUNCTION" => {
            let c = ctx.pop();
            let f = ctx.s.new_type(&t.function);
            ctx.push(f);
            ctx.push(c);
        }
        "_RECORD_TOS"
        | "_RECORD_NOS"
        | "_RECORD_4OS"
        | "_RECORD_CALLABLE"
        | "_RECORD_CALLABLE_KW"
        | "_RECORD_BOUND_METHOD" => {
            let n = match name {
                "_RECORD_TOS" => 0,
                "_RECORD_NOS" => 1,
                "_RECORD_4OS" => 3,
                "_RECORD_CALLABLE" | "_RECORD_BOUND_METHOD" => oparg as usize + 1,
                _ => oparg as usize + 2,
            };
            let v = ctx.peek(n);
            let val = match &this.operand0 {
                Opnd::Obj(v) => Some(v.clone()),
                _ => None,
            };
            ctx.s.set_recorded_value(v, val.as_ref());
        }
        "_RECORD_TOS_TYPE" | "_RECORD_NOS_TYPE" => {
            let v = ctx.peek(if name == "_RECORD_TOS_TYPE" { 0 } else { 1 });
            let ty = match &this.operand0 {
                Opnd::Obj(Value::Obj(t)) => Some(t.clone()),
                _ => None,
            };
            ctx.s.set_recorded_type(v, ty.as_ref());
        }
        "_RECORD_NOS_GEN_FUNC" | "_RECORD_3OS_GEN_FUNC" => {
            let v = ctx.peek(if name == "_RECORD_NOS_GEN_FUNC" { 1 } else { 2 });
            let f = match &this.operand0 {
                Opnd::Obj(v) => Some(v.clone()),
                _ => None,
            };
            ctx.s.set_recorded_gen_func(v, f.as_ref());
        }
        "_GUARD_CODE_VERSION__PUSH_FRAME" => {
            let callable = ctx.cur().callable;
            let f = if callable.is_null_ref() {
                None
            } else {
                ctx.s.get_const(callable)
            };
            if let Some(co) = ctx.code() {
                if let Some(Data::Function(func)) = f.as_ref().and_then(|v| v.data()) {
                    if Rc::ptr_eq(&func.code, &co) {
                        trace[i].op = ids.u.NOP;
                        trace[i].oparg = 0;
                        trace[i].operand0 = Opnd::None;
                    }
                }
            }
        }
        "_GUARD_CODE_VERSION_RETURN_VALUE"
        | "_GUARD_CODE_VERSION_YIELD_VALUE"
        | "_GUARD_CODE_VERSION_RETURN_GENERATOR" => {
            if ctx.cur().caller {
                trace[i].op = ids.u.NOP;
                trace[i].oparg = 0;
                trace[i].operand0 = Opnd::None;
            }
        }
        "_GUARD_IP__PUSH_FRAME" => {
            ctx.set_stack_depth(this.operand1 as usize);
            let callable = ctx.cur().callable;
            let f = if callable.is_null_ref() {
                None
            } else {
                ctx.s.get_const(callable)
            };
            if let Some(Data::Function(func)) = f.as_ref().and_then(|v| v.data()) {
                if func.version.get() != 0 && !func.code.is_generator_like() {
                    trace[i].op = ids.u.NOP;
                    trace[i].oparg = 0;
                    trace[i].operand0 = Opnd::None;
                }
            }
        }
        "_GUARD_IP_YIELD_VALUE" | "_GUARD_IP_RETURN_VALUE" | "_GUARD_IP_RETURN_GENERATOR" => {
            if ctx.cur().caller {
                trace[i].op = ids.u.NOP;
                trace[i].oparg = 0;
                trace[i].operand0 = Opnd::None;
            }
            ctx.set_stack_depth(this.operand1 as usize);
        }
        _ => default_case(ctx, this),
    }
}

fn local(ctx: &mut Ctx, i: u32) -> Ref {
    match ctx.cur().locals.get(i as usize) {
        Some(r) => *r,
        None => {
            ctx.s.done = true;
            Ref::NULL
        }
    }
}

fn set_local(ctx: &mut Ctx, i: u32, r: Ref) {
    if let Some(x) = ctx.frame().locals.get_mut(i as usize) {
        *x = r;
    }
}

fn frame_globals(ctx: &Ctx) -> Option<ObjRef> {
    ctx.cur().globals.clone()
}

fn dict_keys_version(d: &ObjRef) -> u64 {
    match &d.data {
        Data::Dict(x) => x.borrow().keys_version as u64,
        _ => u64::MAX,
    }
}

fn global_name(ctx: &Ctx, oparg: u32) -> Option<Rc<str>> {
    ctx.co_name(oparg >> 1)
}

fn builtin(ctx: &Ctx, name: &str) -> Value {
    match &ctx.env.builtins.data {
        Data::Dict(d) => d.borrow().get_str(name).cloned().unwrap_or(Value::None),
        _ => Value::None,
    }
}

fn list_append() -> Value {
    crate::types::lookup(&types().list, "append").unwrap_or(Value::None)
}

/// `_BINARY_OP`'s case: the result type from the operand types.
fn binary_op(ctx: &mut Ctx, this: &TUop) {
    let t = types();
    let rhs = ctx.pop();
    let lhs = ctx.pop();
    let oparg = this.oparg;
    let is = |ctx: &Ctx, r: Ref, ty: &ObjRef| ctx.s.matches_type(r, ty);
    let (lhs_int, rhs_int) = (is(ctx, lhs, &t.int), is(ctx, rhs, &t.int));
    let (mut lhs_float, mut rhs_float) = (is(ctx, lhs, &t.float), is(ctx, rhs, &t.float));
    let truediv = oparg == 11 || oparg == 24;
    let remainder = oparg == 6 || oparg == 19;
    if truediv || remainder {
        if !ctx.s.has_type(rhs)
            && ctx
                .s
                .get_probable_type(rhs)
                .is_some_and(|p| sym::same_type(&p, &t.float))
        {
            ctx.add_op(this, ctx.ids.uop("_GUARD_TOS_FLOAT"), 0, Opnd::None);
            ctx.s.set_type(rhs, &t.float);
            rhs_float = true;
        }
        if !ctx.s.has_type(lhs)
            && ctx
                .s
                .get_probable_type(lhs)
                .is_some_and(|p| sym::same_type(&p, &t.float))
        {
            ctx.add_op(this, ctx.ids.uop("_GUARD_NOS_FLOAT"), 0, Opnd::None);
            ctx.s.set_type(lhs, &t.float);
            lhs_float = true;
        }
    }
    let (mut l, mut r) = (lhs, rhs);
    let res;
    if truediv && lhs_float && rhs_float {
        if lhs.is_unique() {
            ctx.add_op(
                this,
                ctx.ids.uop("_BINARY_OP_TRUEDIV_FLOAT_INPLACE"),
                0,
                Opnd::None,
            );
            l = ctx.s.new_null();
        } else if rhs.is_unique() {
            ctx.add_op(
                this,
                ctx.ids.uop("_BINARY_OP_TRUEDIV_FLOAT_INPLACE_RIGHT"),
                0,
                Opnd::None,
            );
            r = ctx.s.new_null();
        } else {
            ctx.add_op(this, ctx.ids.uop("_BINARY_OP_TRUEDIV_FLOAT"), 0, Opnd::None);
        }
        res = ctx.s.new_type(&t.float).unique();
    } else if truediv && (lhs_int || lhs_float) && (rhs_int || rhs_float) {
        res = ctx.s.new_type(&t.float).unique();
    } else if !((lhs_int || lhs_float) && (rhs_int || rhs_float)) {
        res = ctx.s.new_unknown();
    } else if oparg == 8 || oparg == 21 {
        if rhs_float {
            res = ctx.s.new_unknown();
        } else if lhs_float {
            res = ctx.s.new_type(&t.float).unique();
        } else {
            match ctx.s.get_const(rhs) {
                None => res = ctx.s.new_unknown(),
                Some(Value::Int(k)) if k < 0 => res = ctx.s.new_type(&t.float).unique(),
                Some(_) => res = ctx.s.new_type(&t.int),
            }
        }
    } else if lhs_int && rhs_int {
        res = ctx.s.new_type(&t.int);
    } else {
        res = ctx.s.new_type(&t.float).unique();
    }
    ctx.push(res);
    ctx.push(l);
    ctx.push(r);
}

/// The default case the cases generator writes for a uop without its own: inputs popped,
/// outputs pushed as new non-`NULL` symbols (a `null` output as `NULL`), except the outputs
/// that are the inputs at the same place, which keep their symbols.
fn default_case(ctx: &mut Ctx, this: &TUop) {
    let name = name_of(ctx.ids, this.op);
    let Some((ins, outs)) = super::sigs::signature(name) else {
        // A uop the model does not know the stack effect of: stop optimizing here.
        ctx.s.done = true;
        return;
    };
    let oparg = this.oparg as i64;
    let size = |e: &str| super::sigs::eval_size(e, oparg);
    let mut keep = 0;
    for (a, b) in ins.iter().zip(outs.iter()) {
        if a.0 == b.0 && a.1 == b.1 {
            keep += 1;
        } else {
            break;
        }
    }
    let pop_n: i64 = ins[keep..].iter().map(|(_, s)| size(s)).sum();
    for _ in 0..pop_n {
        ctx.pop();
    }
    for (n, s) in &outs[keep..] {
        for _ in 0..size(s) {
            let r = if *n == "null" {
                ctx.s.new_null()
            } else {
                ctx.s.new_not_null()
            };
            ctx.push(r);
        }
    }
}

/// `remove_unneeded_uops`: drops `_SET_IP`s no escaping uop needs and `_CHECK_VALIDITY`s
/// nothing could have invalidated before, cancels pushes against pops, and cuts the trace
/// after its first terminator.
pub fn remove_unneeded_uops(ids: &Ids, buf: &mut Vec<TUop>) {
    let u = &ids.u;
    let without_pop = |op: u16| -> bool {
        [
            "_POP_TOP",
            "_POP_TOP_NOP",
            "_POP_TOP_INT",
            "_POP_TOP_FLOAT",
            "_POP_TOP_UNICODE",
        ]
        .iter()
        .any(|n| ids.uop(n) == op)
    };
    let without_push = |op: u16| -> bool {
        [
            "_COPY",
            "_LOAD_CONST_INLINE",
            "_LOAD_CONST_INLINE_BORROW",
            "_LOAD_FAST",
            "_LOAD_FAST_BORROW",
            "_LOAD_SMALL_INT",
            "_PUSH_NULL",
        ]
        .iter()
        .any(|n| ids.uop(n) == op)
    };
    let skip =
        |op: u16| op == u.NOP || op == u.CHECK_VALIDITY || op == u.CHECK_PERIODIC || op == u.SET_IP;
    let mut last_set_ip: Option<usize> = None;
    let mut may_have_escaped = true;
    let mut pc = 0;
    while pc < buf.len() {
        let mut opcode = buf[pc].op;
        if opcode == u.START_EXECUTOR {
            may_have_escaped = false;
        } else if opcode == u.SET_IP {
            buf[pc].op = u.NOP;
            last_set_ip = Some(pc);
        } else if opcode == u.CHECK_VALIDITY {
            if may_have_escaped {
                may_have_escaped = false;
            } else {
                buf[pc].op = u.NOP;
            }
        } else if opcode == u.JUMP_TO_TOP || opcode == u.DYNAMIC_EXIT || opcode == u.DEOPT {
            buf.truncate(pc + 1);
            return;
        } else {
            while without_pop(opcode) {
                let mut last = pc as isize - 1;
                while last >= 0 && skip(buf[last as usize].op) {
                    last -= 1;
                }
                if last >= 0 && without_push(buf[last as usize].op) {
                    buf[last as usize].op = u.NOP;
                    buf[pc].op = u.NOP;
                    opcode = u.NOP;
                } else {
                    break;
                }
            }
            let mut needs_ip = opcode == u.PUSH_FRAME
                || opcode == u.YIELD_VALUE
                || opcode == u.DYNAMIC_EXIT
                || opcode == u.EXIT_TRACE;
            if ids.uop_has(opcode, ids.f.escapes) {
                needs_ip = true;
                may_have_escaped = true;
            }
            if needs_ip {
                if let Some(l) = last_set_ip.take() {
                    buf[l].op = u.SET_IP;
                }
            }
            if opcode == u.EXIT_TRACE {
                buf.truncate(pc + 1);
                return;
            }
        }
        pc += 1;
    }
}
