//! Functions, lambdas, classes, decorators, default arguments, closures, annotations (PEP 649
//! `__annotate__`), type parameters and aliases (PEP 695), `return`, imports.
//!
//! Follows `codegen_function`, `codegen_function_body`, `codegen_lambda`, `codegen_class`,
//! `codegen_class_body`, `codegen_make_closure`, `codegen_annassign`,
//! `codegen_process_deferred_annotations`, `codegen_return`, `codegen_import` and
//! `codegen_from_import` of `Python/codegen.c`, instruction for instruction.

use super::stmt::{clean_doc, docstring};
use super::{Compiler, Ctx, FBlockDatum, FBlockType, Mode, NameDict, ScopeType, R};
use crate::ir::{ConstValue, Instr, InstrSeq, Loc};
use crate::op::Op;
use crate::symtable::{NameScope, ScopeId};
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{
    Alias, AnnAssign, AnyFunctionDef, Arg, Arguments, AstNode, AsyncFunctionDef, ClassDef, Expr,
    FunctionDef, Import, ImportFrom, Lambda, Name, NodeKind, Nodes, Return, Starred, TypeAlias,
    TypeParam,
};

/// `MAKE_FUNCTION_*`: what `SET_FUNCTION_ATTRIBUTE` sets.
pub const MAKE_FUNCTION_DEFAULTS: u32 = 0x01;
pub const MAKE_FUNCTION_KWDEFAULTS: u32 = 0x02;
pub const MAKE_FUNCTION_ANNOTATIONS: u32 = 0x04;
pub const MAKE_FUNCTION_CLOSURE: u32 = 0x08;
pub const MAKE_FUNCTION_ANNOTATE: u32 = 0x10;

/// `_Py_ANNOTATE_FORMAT_VALUE_WITH_FAKE_GLOBALS`: `__annotate__(format)` raises
/// `NotImplementedError` for formats above it.
const ANNOTATE_FORMAT_VALUE_WITH_FAKE_GLOBALS: i64 = 2;

/// The `CALL_INTRINSIC_1` oparg named `name` (`INTRINSIC_*`) in this version's table.
pub fn intrinsic1(version: PyVersion, name: &str) -> u32 {
    cpyviz_model::tables::for_version(version)
        .intrinsic1
        .iter()
        .position(|n| *n == name)
        .unwrap_or(0) as u32
}

/// The `CALL_INTRINSIC_2` oparg named `name` in this version's table.
pub fn intrinsic2(version: PyVersion, name: &str) -> u32 {
    cpyviz_model::tables::for_version(version)
        .intrinsic2
        .iter()
        .position(|n| *n == name)
        .unwrap_or(0) as u32
}

/// The `LOAD_COMMON_CONSTANT` oparg of `name` in this version's table.
pub fn common_constant(version: PyVersion, name: &str) -> u32 {
    cpyviz_model::tables::for_version(version)
        .common_constants
        .iter()
        .position(|n| *n == name)
        .unwrap_or(0) as u32
}

/// `_PyInstructionSequence_InsertInstruction`: inserts at `pos`, moving every label placed at
/// or after `pos` one instruction down.
pub fn insert_instr(seq: &mut InstrSeq, pos: usize, op: Op, arg: u32, loc: Loc) {
    seq.instrs.insert(pos, Instr { op, arg, loc });
    for slot in seq.label_map.iter_mut().flatten() {
        if *slot >= pos {
            *slot += 1;
        }
    }
}

/// `co_argcount` (the positional parameters, positional-only ones included),
/// `co_posonlyargcount` and `co_kwonlyargcount` of a function with parameters `args`.
fn arg_counts(args: Arguments) -> (u32, u32, u32) {
    (
        (args.posonlyargs().len() + args.args().len()) as u32,
        args.posonlyargs().len() as u32,
        args.kwonlyargs().len() as u32,
    )
}

impl<'a> Compiler<'a> {
    /// The scope the symbol table opened for `node`.
    pub fn scope_for(&self, node: &AstNode) -> R<ScopeId> {
        self.table
            .scope_of(node)
            .ok_or_else(|| self.unsupported(&format!("a `{}` without a scope", node.kind), node))
    }

    // ----- decorators, defaults, closures ------------------------------------------------------

    /// `codegen_decorators`: evaluates the decorators, first to last.
    fn decorators(&mut self, decos: &[&'a AstNode]) -> R {
        for d in decos {
            self.visit_expr(d)?;
        }
        Ok(())
    }

    /// `codegen_apply_decorators`: calls them, last to first.
    fn apply_decorators(&mut self, decos: &[&'a AstNode]) {
        for d in decos.iter().rev() {
            let loc = self.loc(d);
            self.emit_arg(Op::CALL, 0, loc);
        }
    }

    /// `codegen_default_arguments`: pushes the defaults tuple and the keyword-only defaults
    /// dict; returns the `MAKE_FUNCTION_*` flags for them.
    fn default_arguments(&mut self, loc: Loc, args: Arguments<'a>) -> R<u32> {
        let mut flags = 0;
        let defaults = args.defaults();
        if !defaults.is_empty() {
            let n = defaults.len() as u32;
            self.visit_exprs(defaults)?;
            self.emit_arg(Op::BUILD_TUPLE, n, loc);
            flags |= MAKE_FUNCTION_DEFAULTS;
        }
        let mut count = 0;
        for (arg, default) in args.kwonlyargs().iter().zip(args.kw_defaults()) {
            let Some(default) = default else {
                continue;
            };
            count += 1;
            let name = Arg(arg).arg();
            let mangled = self.mangle(name);
            self.load_name_const(name, mangled, loc);
            self.visit_expr(default)?;
        }
        if count > 0 {
            self.emit_arg(Op::BUILD_MAP, count, loc);
            flags |= MAKE_FUNCTION_KWDEFAULTS;
        }
        Ok(flags)
    }

    /// `_PyCompile_LookupArg`: where the current unit keeps the cell or free variable `name`
    /// that a nested code object captures.
    fn lookup_closure_arg(&mut self, name: &str, loc: Loc) -> R<u32> {
        let in_class = self.u().scope_type == ScopeType::Class;
        let is_cell = (in_class
            && matches!(
                name,
                "__class__" | "__classdict__" | "__conditional_annotations__"
            ))
            || self.get_scope(name) == Some(NameScope::Cell);
        let u = self.u();
        let found = if is_cell {
            u.cellvars.get(name).copied()
        } else {
            u.freevars.get(name).copied()
        };
        found
            .or_else(|| u.freevars.get(name).copied())
            .or_else(|| u.cellvars.get(name).copied())
            .ok_or_else(|| {
                self.error(
                    loc,
                    format!("internal error: no cell or free variable '{name}' to capture"),
                )
            })
    }

    /// `codegen_make_closure`: `MAKE_FUNCTION` for the code object `co`, with the closure
    /// tuple of its free variables and the attributes `flags` says are on the stack.
    pub fn make_closure(&mut self, loc: Loc, co: ConstValue, mut flags: u32) -> R {
        let frees = match &co {
            ConstValue::Code(code) => code.freevars.clone(),
            _ => Vec::new(),
        };
        if !frees.is_empty() {
            for name in &frees {
                let arg = self.lookup_closure_arg(name, loc)?;
                self.emit_arg(Op::LOAD_CLOSURE, arg, loc);
            }
            flags |= MAKE_FUNCTION_CLOSURE;
            self.emit_arg(Op::BUILD_TUPLE, frees.len() as u32, loc);
        }
        self.load_const(co, loc);
        self.emit(Op::MAKE_FUNCTION, loc);
        for bit in [
            MAKE_FUNCTION_CLOSURE,
            MAKE_FUNCTION_ANNOTATIONS,
            MAKE_FUNCTION_ANNOTATE,
            MAKE_FUNCTION_KWDEFAULTS,
            MAKE_FUNCTION_DEFAULTS,
        ] {
            if flags & bit != 0 {
                self.emit_arg(Op::SET_FUNCTION_ATTRIBUTE, bit, loc);
            }
        }
        Ok(())
    }

    /// `codegen_wrap_in_stopiteration_handler`: a generator or coroutine body turns a
    /// `StopIteration` escaping it into a `RuntimeError`.
    pub fn wrap_in_stopiteration_handler(&mut self) {
        let handler = self.new_label();
        insert_instr(self.seq(), 0, Op::SETUP_CLEANUP, handler.0, Loc::NONE);
        self.load_const(ConstValue::None, Loc::NONE);
        self.emit(Op::RETURN_VALUE, Loc::NONE);
        self.use_label(handler);
        let stop = intrinsic1(self.version, "INTRINSIC_STOPITERATION_ERROR");
        self.emit_arg(Op::CALL_INTRINSIC_1, stop, Loc::NONE);
        self.emit_arg(Op::RERAISE, 1, Loc::NONE);
    }

    /// 3.15: a generator or coroutine starts with `RETURN_GENERATOR` + `POP_TOP`, emitted by
    /// codegen (3.14 leaves them to the flow graph). A generator expression first evaluates
    /// `iter(.0)` (`aiter` when async) before the generator exists (`RESUME 4`); `iter_loc` is
    /// the location of its outermost iterable.
    pub fn insert_generator_prefix(&mut self, genexp_iter: Option<(Loc, bool)>) {
        if !self.version.profile().codegen_emits_generator_prefix {
            return;
        }
        let ste = self.ste();
        if !(ste.generator || ste.coroutine) {
            return;
        }
        let line = self.u().code.firstlineno as i32;
        let gen_loc = Loc::new(line, line, -1, -1);
        let mut prefix: Vec<(Op, u32, Loc)> = Vec::new();
        if let Some((iter_loc, is_async)) = genexp_iter {
            prefix.push((Op::RESUME, 4, Loc::NONE));
            prefix.push((Op::LOAD_FAST, 0, iter_loc));
            if is_async {
                prefix.push((Op::GET_AITER, 0, iter_loc));
            } else {
                prefix.push((Op::GET_ITER, 0, iter_loc));
            }
        }
        prefix.push((Op::RETURN_GENERATOR, 0, gen_loc));
        prefix.push((Op::POP_TOP, 0, gen_loc));
        for (i, (op, arg, loc)) in prefix.into_iter().enumerate() {
            insert_instr(self.seq(), i, op, arg, loc);
        }
    }

    // ----- functions -------------------------------------------------------------------------

    /// `codegen_function` for `def`.
    pub fn function_def(&mut self, f: FunctionDef<'a>) -> R {
        self.function(f.into())
    }

    /// `codegen_function` for `async def`.
    pub fn async_function_def(&mut self, f: AsyncFunctionDef<'a>) -> R {
        self.function(f.into())
    }

    /// `codegen_function`: `def` / `async def` — decorators, defaults, `__annotate__`, the body's
    /// code object, the decorator calls and the store.
    fn function(&mut self, f: AnyFunctionDef<'a>) -> R {
        let s = f.node();
        let decos: Vec<&'a AstNode> = f.decorator_list().iter().collect();
        self.decorators(&decos)?;
        let firstlineno = match decos.first() {
            Some(d) => self.line(d),
            None => self.line(s),
        };
        let loc = self.loc(s);
        let type_params = f.type_params();
        let is_generic = !type_params.is_empty();
        let mut funcflags = self.default_arguments(loc, f.args())?;
        let name = f.name();
        let mut num_typeparam_args = 0;
        if is_generic {
            if funcflags & MAKE_FUNCTION_DEFAULTS != 0 {
                num_typeparam_args += 1;
            }
            if funcflags & MAKE_FUNCTION_KWDEFAULTS != 0 {
                num_typeparam_args += 1;
            }
            if num_typeparam_args == 2 {
                self.emit_arg(Op::SWAP, 2, loc);
            }
            let scope = self.type_params_scope(s)?;
            self.enter_scope(
                &format!("<generic parameters of {name}>"),
                ScopeType::Annotations,
                scope,
                firstlineno,
                None,
                (num_typeparam_args, 0, 0),
            )?;
            self.type_params(type_params)?;
            for i in 0..num_typeparam_args {
                self.emit_arg(Op::LOAD_FAST, i, loc);
            }
        }
        funcflags |= self.function_annotations(loc, f)?;
        self.function_body(f, funcflags, firstlineno)?;
        if is_generic {
            self.emit_arg(Op::SWAP, 2, loc);
            let set = intrinsic2(self.version, "INTRINSIC_SET_FUNCTION_TYPE_PARAMS");
            self.emit_arg(Op::CALL_INTRINSIC_2, set, loc);
            let co = self.exit_scope(false)?;
            self.make_closure(loc, co, 0)?;
            if num_typeparam_args > 0 {
                self.emit_arg(Op::SWAP, num_typeparam_args + 1, loc);
                self.emit_arg(Op::CALL, num_typeparam_args - 1, loc);
            } else {
                self.emit(Op::PUSH_NULL, loc);
                self.emit_arg(Op::CALL, 0, loc);
            }
        }
        self.apply_decorators(&decos);
        self.nameop(name, Ctx::Store, loc)
    }

    /// The `<generic parameters of X>` scope of a generic function, class or type alias.
    fn type_params_scope(&self, owner: &AstNode) -> R<ScopeId> {
        self.table
            .type_params_scope(owner)
            .ok_or_else(|| self.unsupported("type parameters without a scope", owner))
    }

    /// `codegen_type_params`: creates the `TypeVar`, `TypeVarTuple` and `ParamSpec` objects,
    /// binds each to its name, and leaves their tuple on the stack.
    fn type_params(&mut self, type_params: Nodes<'a>) -> R {
        let mut seen_default = false;
        let mut first_loc = None;
        let mut n = 0;
        for tp in type_params {
            let loc = self.loc(tp);
            first_loc.get_or_insert(loc);
            n += 1;
            let param = TypeParam::of(tp);
            let (name, default_value) = match param {
                TypeParam::TypeVar(t) => (t.name(), t.default_value()),
                TypeParam::ParamSpec(t) => (t.name(), t.default_value()),
                TypeParam::TypeVarTuple(t) => (t.name(), t.default_value()),
            };
            self.load_ident_const(ConstValue::Str(name.to_string().into()), loc);
            match param {
                TypeParam::TypeVar(t) => {
                    if let Some(bound) = t.bound() {
                        let Some(scope) = self.table.bound_scope(tp) else {
                            return Err(self.unsupported("a type bound without a scope", tp));
                        };
                        self.type_param_bound_or_default(bound, name, scope, false)?;
                        let which = if bound.kind == NodeKind::Tuple {
                            "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS"
                        } else {
                            "INTRINSIC_TYPEVAR_WITH_BOUND"
                        };
                        self.emit_arg(Op::CALL_INTRINSIC_2, intrinsic2(self.version, which), loc);
                    } else {
                        let tv = intrinsic1(self.version, "INTRINSIC_TYPEVAR");
                        self.emit_arg(Op::CALL_INTRINSIC_1, tv, loc);
                    }
                }
                TypeParam::TypeVarTuple(_) => {
                    let tv = intrinsic1(self.version, "INTRINSIC_TYPEVARTUPLE");
                    self.emit_arg(Op::CALL_INTRINSIC_1, tv, loc);
                }
                TypeParam::ParamSpec(_) => {
                    let ps = intrinsic1(self.version, "INTRINSIC_PARAMSPEC");
                    self.emit_arg(Op::CALL_INTRINSIC_1, ps, loc);
                }
            }
            if let Some(default) = default_value {
                seen_default = true;
                let Some(scope) = self.table.default_scope(tp) else {
                    return Err(self.unsupported("a type parameter default without a scope", tp));
                };
                let starred = matches!(param, TypeParam::TypeVarTuple(_));
                self.type_param_bound_or_default(default, name, scope, starred)?;
                let set = intrinsic2(self.version, "INTRINSIC_SET_TYPEPARAM_DEFAULT");
                self.emit_arg(Op::CALL_INTRINSIC_2, set, loc);
            } else if seen_default {
                return Err(self.error(
                    loc,
                    format!("non-default type parameter '{name}' follows default type parameter"),
                ));
            }
            self.emit_arg(Op::COPY, 1, loc);
            self.nameop(name, Ctx::Store, loc)?;
        }
        self.emit_arg(Op::BUILD_TUPLE, n, first_loc.unwrap_or(Loc::NONE));
        Ok(())
    }

    /// `codegen_type_param_bound_or_default`: a lazily evaluated bound, constraints or default,
    /// as a function of `format` whose default is 1.
    fn type_param_bound_or_default(
        &mut self,
        e: &'a AstNode,
        name: &str,
        scope: ScopeId,
        allow_starred: bool,
    ) -> R {
        let loc = self.loc(e);
        let one = ConstValue::Tuple(vec![ConstValue::Int(1.into())]);
        self.load_const(one, loc);
        self.setup_annotations_scope(loc, scope, name)?;
        match Starred::cast(e) {
            Some(starred) if allow_starred => {
                self.visit_expr(starred.value())?;
                self.emit_arg(Op::UNPACK_SEQUENCE, 1, loc);
            }
            _ => self.visit_expr(e)?,
        }
        self.emit(Op::RETURN_VALUE, loc);
        let co = self.exit_scope(true)?;
        self.make_closure(loc, co, MAKE_FUNCTION_DEFAULTS)
    }

    /// `codegen_function_body`: the function's own code unit, then `MAKE_FUNCTION`.
    fn function_body(&mut self, f: AnyFunctionDef<'a>, funcflags: u32, firstlineno: u32) -> R {
        let scope_type = if f.is_async() {
            ScopeType::AsyncFunction
        } else {
            ScopeType::Function
        };
        let scope = self.scope_for(f.node())?;
        self.enter_scope(
            f.name(),
            scope_type,
            scope,
            firstlineno,
            None,
            arg_counts(f.args()),
        )?;
        let body = f.body().as_slice();
        let mut first = 0;
        if self.ste().has_docstring {
            if let Some(doc) = docstring(body) {
                first = 1;
                let doc = clean_doc(doc, &self.src.path)?;
                self.add_const(ConstValue::Str(doc));
            }
        }
        let start = self.new_label();
        self.use_label(start);
        let ste = self.ste();
        let add_stopiteration_handler = ste.coroutine || ste.generator;
        if add_stopiteration_handler {
            self.push_fblock(
                Loc::NONE,
                FBlockType::StopIteration,
                Some(start),
                None,
                FBlockDatum::None,
            )?;
        }
        for stmt in &body[first..] {
            if let Some(st) = stmt.as_node() {
                self.visit_stmt(st)?;
            }
        }
        if add_stopiteration_handler {
            self.wrap_in_stopiteration_handler();
            self.pop_fblock(FBlockType::StopIteration);
        }
        self.insert_generator_prefix(None);
        let co = self.exit_scope(true)?;
        let loc = self.loc(f.node());
        self.make_closure(loc, co, funcflags)
    }

    /// `codegen_function_annotations`: the function's `__annotate__` (PEP 649), when a parameter
    /// or the return value is annotated. Returns `MAKE_FUNCTION_ANNOTATE` or 0.
    fn function_annotations(&mut self, loc: Loc, f: AnyFunctionDef<'a>) -> R<u32> {
        let args = f.args();
        let returns = f.returns();
        let annotated = |a: &AstNode| Arg(a).annotation().is_some();
        let used = returns.is_some()
            || args
                .args()
                .iter()
                .chain(args.posonlyargs())
                .chain(args.kwonlyargs())
                .any(annotated)
            || args.vararg().into_iter().chain(args.kwarg()).any(annotated);
        if !used {
            return Ok(0);
        }
        let Some(scope) = self.table.scope_of(args.node()) else {
            return Err(
                self.unsupported("function annotations without an annotation scope", f.node())
            );
        };
        self.setup_annotations_scope(loc, scope, "__annotate__")?;
        if self.version.profile().annotate_qualname_includes_function {
            if let Some(q) = self.function_annotate_qualname(f.name()) {
                self.um().code.qualname = q;
            }
        }
        let mut count = 0;
        // 3.14 visits the positional parameters before the positional-only ones; 3.15 in
        // signature order.
        let (first, second) = if self.version.profile().annotations_in_signature_order {
            (args.posonlyargs(), args.args())
        } else {
            (args.args(), args.posonlyargs())
        };
        let params = first
            .iter()
            .chain(second)
            .chain(args.vararg())
            .chain(args.kwonlyargs())
            .chain(args.kwarg());
        for a in params {
            let a = Arg(a);
            self.arg_annotation(a.arg(), a.annotation(), &mut count, loc)?;
        }
        self.arg_annotation("return", returns, &mut count, loc)?;
        self.emit_arg(Op::BUILD_MAP, count, loc);
        self.leave_annotations_scope(loc)?;
        Ok(MAKE_FUNCTION_ANNOTATE)
    }

    /// 3.15: the qualified name of a function's `__annotate__` (the unit just entered) is the
    /// function's own qualified name plus `.__annotate__` — except right inside a module-level
    /// type-parameter scope, where it stays `__annotate__`.
    fn function_annotate_qualname(&self, func: &str) -> Option<String> {
        let n = self.units.len();
        if n < 3 {
            return Some(format!("{func}.__annotate__"));
        }
        let mut p = n - 2;
        if self.units[p].scope_type == ScopeType::Annotations {
            if n == 3 {
                return None;
            }
            p = n - 3;
        }
        let parent = &self.units[p];
        let base = match parent.scope_type {
            ScopeType::Function | ScopeType::AsyncFunction | ScopeType::Lambda => {
                format!("{}.<locals>", parent.code.qualname)
            }
            _ => parent.code.qualname.clone(),
        };
        Some(format!("{base}.{func}.__annotate__"))
    }

    /// `codegen_argannotation`: the name and the value of one annotation.
    fn arg_annotation(
        &mut self,
        id: &str,
        annotation: Option<&'a AstNode>,
        count: &mut u32,
        loc: Loc,
    ) -> R {
        let Some(annotation) = annotation else {
            return Ok(());
        };
        let mangled = self.mangle(id);
        self.load_name_const(id, mangled, loc);
        if self.future_annotations {
            self.annotation_string(annotation)?;
        } else if let Some(starred) = Starred::cast(annotation) {
            // `*args: *Ts`: the annotation is the single item of `[*Ts]`.
            self.visit_expr(starred.value())?;
            self.emit_arg(Op::UNPACK_SEQUENCE, 1, loc);
        } else {
            self.visit_expr(annotation)?;
        }
        *count += 1;
        Ok(())
    }

    /// `codegen_visit_annexpr`: under `from __future__ import annotations`, an annotation is
    /// the string of its source (`_PyAST_ExprAsUnicode`).
    fn annotation_string(&mut self, annotation: &AstNode) -> R {
        let mut text = String::new();
        if super::unparse::unparse(annotation, self.version, &mut text).is_none() {
            return Err(self.unsupported(
                "this annotation under `from __future__ import annotations`",
                annotation,
            ));
        }
        let loc = self.loc(annotation);
        self.load_const(ConstValue::Str(text.into()), loc);
        Ok(())
    }

    /// `codegen_setup_annotations_scope`: opens an `__annotate__(format)` unit, which starts by
    /// raising `NotImplementedError` for formats it does not support.
    fn setup_annotations_scope(&mut self, loc: Loc, scope: ScopeId, name: &str) -> R {
        let lineno = loc.lineno.max(0) as u32;
        self.enter_scope(name, ScopeType::Annotations, scope, lineno, None, (1, 1, 0))?;
        self.emit_arg(Op::LOAD_FAST, 0, loc);
        self.load_int(ANNOTATE_FORMAT_VALUE_WITH_FAKE_GLOBALS, loc);
        // `>` with its comparison mask (Py_GT << 5 | COMPARISON_GREATER_THAN).
        self.emit_arg(Op::COMPARE_OP, (4 << 5) | 4, loc);
        let body = self.new_label();
        self.emit_jump(Op::POP_JUMP_IF_FALSE, body, loc);
        let nie = common_constant(self.version, "NotImplementedError");
        self.emit_arg(Op::LOAD_COMMON_CONSTANT, nie, loc);
        self.emit_arg(Op::RAISE_VARARGS, 1, loc);
        self.use_label(body);
        Ok(())
    }

    /// `codegen_leave_annotations_scope`: returns the dict and makes the function.
    fn leave_annotations_scope(&mut self, loc: Loc) -> R {
        self.emit(Op::RETURN_VALUE, loc);
        // The parameter is `.format` in the symbol table (so an annotation naming `format`
        // is not clobbered) but `format` in the signature.
        if let Some(first) = self.um().code.varnames.first_mut() {
            *first = "format".to_string();
        }
        let co = self.exit_scope(true)?;
        self.make_closure(loc, co, 0)
    }

    // ----- lambdas ---------------------------------------------------------------------------

    /// `codegen_lambda`.
    pub fn lambda(&mut self, e: &'a AstNode) -> R {
        let Some(lambda) = Lambda::cast(e) else {
            return Err(self.unsupported(&format!("a `{}` as a lambda", e.kind), e));
        };
        let loc = self.loc(e);
        let args = Arguments(lambda.args());
        let funcflags = self.default_arguments(loc, args)?;
        let scope = self.scope_for(e)?;
        let lineno = self.line(e);
        self.enter_scope(
            "<lambda>",
            ScopeType::Lambda,
            scope,
            lineno,
            None,
            arg_counts(args),
        )?;
        let body = lambda.body();
        self.visit_expr(body)?;
        let co = if self.ste().generator {
            self.insert_generator_prefix(None);
            self.exit_scope(false)?
        } else {
            let bloc = self.loc(body);
            self.emit(Op::RETURN_VALUE, bloc);
            self.exit_scope(true)?
        };
        self.make_closure(loc, co, funcflags)
    }

    // ----- classes ---------------------------------------------------------------------------

    /// `codegen_class`: decorators, `__build_class__(<body function>, name, *bases, **kw)`,
    /// the decorator calls and the store.
    pub fn class_def(&mut self, c: ClassDef<'a>) -> R {
        let s = c.node();
        let decos: Vec<&'a AstNode> = c.decorator_list().iter().collect();
        self.decorators(&decos)?;
        let firstlineno = match decos.first() {
            Some(d) => self.line(d),
            None => self.line(s),
        };
        let loc = self.loc(s);
        let name = c.name();
        let type_params = c.type_params();
        let is_generic = !type_params.is_empty();
        if is_generic {
            let scope = self.type_params_scope(s)?;
            self.enter_scope(
                &format!("<generic parameters of {name}>"),
                ScopeType::Annotations,
                scope,
                firstlineno,
                Some(name.to_string()),
                (0, 0, 0),
            )?;
            self.type_params(type_params)?;
            self.nameop(".type_params", Ctx::Store, loc)?;
        }
        self.class_body(c, firstlineno)?;
        if is_generic {
            self.nameop(".type_params", Ctx::Load, loc)?;
            let sub = intrinsic1(self.version, "INTRINSIC_SUBSCRIPT_GENERIC");
            self.emit_arg(Op::CALL_INTRINSIC_1, sub, loc);
            self.nameop(".generic_base", Ctx::Store, loc)?;
            self.call_helper(
                loc,
                2,
                c.bases().as_slice(),
                Some(".generic_base"),
                c.keywords().as_slice(),
            )?;
            let co = self.exit_scope(false)?;
            self.make_closure(loc, co, 0)?;
            self.emit(Op::PUSH_NULL, loc);
            self.emit_arg(Op::CALL, 0, loc);
        } else {
            let bases = c.bases().as_slice();
            self.call_helper(loc, 2, bases, None, c.keywords().as_slice())?;
        }
        self.apply_decorators(&decos);
        self.nameop(name, Ctx::Store, loc)
    }

    /// `codegen_class_body`: the class body's code unit, then `LOAD_BUILD_CLASS`, the body
    /// function and the class name.
    fn class_body(&mut self, c: ClassDef<'a>, firstlineno: u32) -> R {
        let name = c.name();
        let scope = self.scope_for(c.node())?;
        self.enter_scope(
            name,
            ScopeType::Class,
            scope,
            firstlineno,
            Some(name.to_string()),
            (0, 0, 0),
        )?;
        let loc = Loc::new(firstlineno as i32, firstlineno as i32, 0, 0);
        self.nameop("__name__", Ctx::Load, loc)?;
        self.nameop("__module__", Ctx::Store, loc)?;
        let qualname = self.u().code.qualname.clone();
        let name = self.u().code.name.clone();
        // A class at the top has its name object as its qualified name.
        self.load_name_const(&name, qualname, loc);
        self.nameop("__qualname__", Ctx::Store, loc)?;
        self.load_int(self.u().code.firstlineno as i64, loc);
        self.nameop("__firstlineno__", Ctx::Store, loc)?;
        if !c.type_params().is_empty() {
            self.nameop(".type_params", Ctx::Load, loc)?;
            self.nameop("__type_params__", Ctx::Store, loc)?;
        }
        if self.ste().needs_classdict {
            self.emit(Op::LOAD_LOCALS, loc);
            self.emit_raw_name(Op::STORE_DEREF, NameDict::Cellvars, "__classdict__", loc);
        }
        if self.ste().has_conditional_annotations {
            self.emit_arg(Op::BUILD_SET, 0, loc);
            self.emit_raw_name(
                Op::STORE_DEREF,
                NameDict::Cellvars,
                "__conditional_annotations__",
                loc,
            );
        }
        self.body(loc, c.body().as_slice())?;
        let attrs: Vec<ConstValue> = self
            .u()
            .static_attributes
            .iter()
            .flatten()
            .map(|a| ConstValue::Str(a.clone().into()))
            .collect();
        self.load_ident_const(ConstValue::Tuple(attrs), Loc::NONE);
        self.nameop("__static_attributes__", Ctx::Store, Loc::NONE)?;
        if self.ste().needs_classdict {
            let i = self.add_to(NameDict::Cellvars, "__classdict__");
            self.emit_arg(Op::LOAD_CLOSURE, i, Loc::NONE);
            self.nameop("__classdictcell__", Ctx::Store, Loc::NONE)?;
        }
        if self.ste().needs_class_closure {
            let i = self.add_to(NameDict::Cellvars, "__class__");
            self.emit_arg(Op::LOAD_CLOSURE, i, Loc::NONE);
            self.emit_arg(Op::COPY, 1, Loc::NONE);
            self.nameop("__classcell__", Ctx::Store, Loc::NONE)?;
        } else {
            self.load_const(ConstValue::None, Loc::NONE);
        }
        self.emit(Op::RETURN_VALUE, Loc::NONE);
        let co = self.exit_scope(true)?;
        let loc = self.loc(c.node());
        self.emit(Op::LOAD_BUILD_CLASS, loc);
        self.emit(Op::PUSH_NULL, loc);
        self.make_closure(loc, co, 0)?;
        self.load_ident_const(ConstValue::Str(name.to_string().into()), loc);
        Ok(())
    }

    /// `codegen_typealias`: `type X[T] = value`.
    pub fn type_alias(&mut self, t: TypeAlias<'a>) -> R {
        let s = t.node();
        let loc = self.loc(s);
        // The parser only makes a `Name` here.
        let name = Name::cast(t.name()).map_or("", Name::id).to_string();
        let type_params = t.type_params();
        let is_generic = !type_params.is_empty();
        if is_generic {
            let scope = self.type_params_scope(s)?;
            let lineno = loc.lineno.max(0) as u32;
            self.enter_scope(
                &format!("<generic parameters of {name}>"),
                ScopeType::Annotations,
                scope,
                lineno,
                None,
                (0, 0, 0),
            )?;
            self.load_ident_const(ConstValue::Str(name.clone().into()), loc);
            self.type_params(type_params)?;
        } else {
            self.load_ident_const(ConstValue::Str(name.clone().into()), loc);
            self.load_const(ConstValue::None, loc);
        }
        self.type_alias_body(t, &name)?;
        if is_generic {
            let co = self.exit_scope(false)?;
            self.make_closure(loc, co, 0)?;
            self.emit(Op::PUSH_NULL, loc);
            self.emit_arg(Op::CALL, 0, loc);
        }
        self.nameop(&name, Ctx::Store, loc)
    }

    /// `codegen_typealias_body`: the lazily evaluated value and the `TypeAliasType`.
    fn type_alias_body(&mut self, t: TypeAlias<'a>, name: &str) -> R {
        let loc = self.loc(t.node());
        let one = ConstValue::Tuple(vec![ConstValue::Int(1.into())]);
        self.load_const(one, loc);
        let scope = self.scope_for(t.node())?;
        self.setup_annotations_scope(loc, scope, name)?;
        self.visit_expr(t.value())?;
        self.emit(Op::RETURN_VALUE, loc);
        let co = self.exit_scope(false)?;
        self.make_closure(loc, co, MAKE_FUNCTION_DEFAULTS)?;
        self.emit_arg(Op::BUILD_TUPLE, 3, loc);
        let alias = intrinsic1(self.version, "INTRINSIC_TYPEALIAS");
        self.emit_arg(Op::CALL_INTRINSIC_1, alias, loc);
        Ok(())
    }

    // ----- return ------------------------------------------------------------------------------

    /// `codegen_return`.
    pub fn codegen_return(&mut self, r: Return<'a>) -> R {
        let s = r.node();
        let mut loc = self.loc(s);
        let value = r.value();
        // `__debug__` is a constant too (the AST preprocessor folded it).
        let preserve_tos = value.is_some_and(|v| !super::expr::is_const_expr(v));
        let ste = self.ste();
        if !ste.is_function_like() {
            return Err(self.error(loc, "'return' outside function"));
        }
        if value.is_some() && ste.coroutine && ste.generator {
            return Err(self.error(loc, "'return' with value in async generator"));
        }
        if preserve_tos {
            if let Some(v) = value {
                self.visit_expr(v)?;
            }
        } else if let Some(v) = value {
            loc = self.loc(v);
            self.emit(Op::NOP, loc);
        }
        if value.is_none_or(|v| self.line(v) != self.line(s)) {
            loc = self.loc(s);
            self.emit(Op::NOP, loc);
        }
        self.unwind_fblock_stack(&mut loc, preserve_tos, false)?;
        match value {
            None => self.load_const(ConstValue::None, loc),
            Some(v) if !preserve_tos => {
                let c = super::expr::folded_const(v).unwrap_or(ConstValue::None);
                self.load_const(c, loc);
            }
            Some(_) => {}
        }
        self.emit(Op::RETURN_VALUE, loc);
        Ok(())
    }

    // ----- annotations -------------------------------------------------------------------------

    /// `codegen_annassign`.
    pub fn annassign(&mut self, a: AnnAssign<'a>) -> R {
        let s = a.node();
        let loc = self.loc(s);
        let target = a.target();
        let value = a.value();
        if let Some(v) = value {
            self.visit_expr(v)?;
            self.visit_expr(target)?;
        }
        match Expr::of(target) {
            Expr::Name(target) => {
                let scope_type = self.u().scope_type;
                let simple = a.simple() != 0;
                if simple
                    && matches!(scope_type, ScopeType::Module | ScopeType::Class)
                    && self.future_annotations
                {
                    self.annotation_string(a.annotation())?;
                    self.emit_raw_name(Op::LOAD_NAME, NameDict::Names, "__annotations__", loc);
                    let id = target.id();
                    let mangled = self.mangle(id);
                    self.load_name_const(id, mangled, loc);
                    self.emit(Op::STORE_SUBSCR, loc);
                } else if simple && matches!(scope_type, ScopeType::Module | ScopeType::Class) {
                    let index = self.add_deferred_annotation(a);
                    if let Some(index) = index {
                        if scope_type == ScopeType::Class {
                            self.emit_raw_name(
                                Op::LOAD_DEREF,
                                NameDict::Cellvars,
                                "__conditional_annotations__",
                                loc,
                            );
                        } else {
                            self.emit_raw_name(
                                Op::LOAD_NAME,
                                NameDict::Names,
                                "__conditional_annotations__",
                                loc,
                            );
                        }
                        self.load_int(index, loc);
                        self.emit_arg(Op::SET_ADD, 1, loc);
                        self.emit(Op::POP_TOP, loc);
                    }
                }
            }
            Expr::Attribute(target) => {
                if value.is_none() {
                    self.check_ann_expr(target.value())?;
                }
            }
            Expr::Subscript(target) => {
                if value.is_none() {
                    self.check_ann_expr(target.value())?;
                    self.check_ann_subscr(target.slice())?;
                }
            }
            _ => return Err(self.unsupported("this annotated assignment target", s)),
        }
        Ok(())
    }

    /// `_PyCompile_AddDeferredAnnotation`: remembers `s` for `__annotate__`; returns its
    /// conditional index when it needs one (every module annotation, class annotations under
    /// a conditional block).
    fn add_deferred_annotation(&mut self, s: AnnAssign<'a>) -> Option<i64> {
        let u = self.um();
        u.deferred_annotations.push(s);
        if u.scope_type == ScopeType::Module || u.in_conditional_block > 0 {
            let index = u.next_conditional_annotation_index;
            u.next_conditional_annotation_index += 1;
            u.conditional_annotation_indices.push(index);
            Some(index)
        } else {
            u.conditional_annotation_indices.push(-1);
            None
        }
    }

    /// `codegen_check_ann_expr`: evaluates an expression for its side effects.
    fn check_ann_expr(&mut self, e: &'a AstNode) -> R {
        self.visit_expr(e)?;
        let loc = self.loc(e);
        self.emit(Op::POP_TOP, loc);
        Ok(())
    }

    /// `codegen_check_ann_subscr`.
    fn check_ann_subscr(&mut self, e: &'a AstNode) -> R {
        match Expr::of(e) {
            Expr::Slice(slice) => {
                for part in [slice.lower(), slice.upper(), slice.step()]
                    .into_iter()
                    .flatten()
                {
                    self.check_ann_expr(part)?;
                }
                Ok(())
            }
            Expr::Tuple(tuple) => {
                for elt in tuple.elts() {
                    self.check_ann_subscr(elt)?;
                }
                Ok(())
            }
            _ => self.check_ann_expr(e),
        }
    }

    /// `codegen_process_deferred_annotations`: the `__annotate__` of a module or class body.
    /// A module's goes to a separate sequence, spliced in at `ANNOTATIONS_PLACEHOLDER`.
    pub fn process_deferred_annotations(&mut self, loc: Loc) -> R {
        if self.u().deferred_annotations.is_empty() {
            return Ok(());
        }
        let deferred = std::mem::take(&mut self.um().deferred_annotations);
        let indices = std::mem::take(&mut self.um().conditional_annotation_indices);
        let scope_type = self.u().scope_type;
        let separate = scope_type == ScopeType::Module;
        if separate {
            let parent = std::mem::take(self.seq());
            self.um().stashed_seq = Some(parent);
        }
        let Some(block) = self.ste().annotation_block else {
            return Err(self.error(
                loc,
                "internal error: annotations without an annotation scope",
            ));
        };
        self.setup_annotations_scope(loc, block, "__annotate__")?;
        self.deferred_annotations_body(loc, &deferred, &indices, scope_type)?;
        self.leave_annotations_scope(loc)?;
        if self.mode == Mode::Collect && separate {
            // CPython keeps the module's `__annotate__` with the annotations sequence, not
            // among the module's nested units.
            self.um().finished_children.pop();
        }
        let store = if scope_type == ScopeType::Class {
            "__annotate_func__"
        } else {
            "__annotate__"
        };
        self.nameop(store, Ctx::Store, loc)?;
        if separate {
            let parent = self.um().stashed_seq.take().unwrap_or_default();
            let anno = std::mem::replace(self.seq(), parent);
            self.um().annotations_code = Some(anno);
        }
        Ok(())
    }

    /// `codegen_deferred_annotations_body`: `{name: annotation, ...}`, skipping conditional
    /// annotations whose statement did not run.
    fn deferred_annotations_body(
        &mut self,
        loc: Loc,
        deferred: &[AnnAssign<'a>],
        indices: &[i64],
        scope_type: ScopeType,
    ) -> R {
        self.emit_arg(Op::BUILD_MAP, 0, loc);
        for (i, st) in deferred.iter().enumerate() {
            let sloc = self.loc(st.node());
            // Only a simple `Name` target is deferred.
            let target = Name::cast(st.target()).map_or("", Name::id).to_string();
            let mangled = self.mangle(&target);
            let idx = indices.get(i).copied().unwrap_or(-1);
            let not_set = self.new_label();
            if idx != -1 {
                self.load_int(idx, sloc);
                if scope_type == ScopeType::Class {
                    self.emit_raw_name(
                        Op::LOAD_DEREF,
                        NameDict::Freevars,
                        "__conditional_annotations__",
                        sloc,
                    );
                } else {
                    // The name is added without LOAD_GLOBAL's oparg shift, as codegen.c does.
                    self.emit_raw_name(
                        Op::LOAD_GLOBAL,
                        NameDict::Names,
                        "__conditional_annotations__",
                        sloc,
                    );
                }
                self.emit_arg(Op::CONTAINS_OP, 0, sloc);
                self.emit_jump(Op::POP_JUMP_IF_FALSE, not_set, sloc);
            }
            self.visit_expr(st.annotation())?;
            self.emit_arg(Op::COPY, 2, sloc);
            self.load_name_const(&target, mangled, sloc);
            self.emit(Op::STORE_SUBSCR, loc);
            self.use_label(not_set);
        }
        Ok(())
    }

    // ----- imports -----------------------------------------------------------------------------

    /// `IMPORT_NAME`'s oparg: the name index; 3.15 shifts it left by two and sets bit 0 for
    /// `lazy` imports, bit 1 for imports that can never be lazy (inside functions or classes,
    /// in exception handlers, `import *`).
    fn import_name(&mut self, module: &str, lazy: bool, star: bool, loc: Loc) {
        let mangled = self.mangle(module);
        let i = self.add_to(NameDict::Names, &mangled);
        let arg = if self.version.profile().import_name_has_lazy_flags {
            let eager =
                star || self.u().scope_type != ScopeType::Module || self.in_exception_handler();
            let bits = if lazy {
                1
            } else if eager {
                2
            } else {
                0
            };
            (i << 2) | bits
        } else {
            i
        };
        self.emit_arg(Op::IMPORT_NAME, arg, loc);
    }

    /// `_PyCompile_InExceptionHandler`.
    fn in_exception_handler(&self) -> bool {
        self.u().fblocks.iter().any(|f| {
            matches!(
                f.kind,
                FBlockType::TryExcept
                    | FBlockType::FinallyTry
                    | FBlockType::FinallyEnd
                    | FBlockType::ExceptionHandler
                    | FBlockType::ExceptionGroupHandler
                    | FBlockType::HandlerCleanup
            )
        })
    }

    /// `codegen_import`.
    pub fn import(&mut self, s: Import<'a>) -> R {
        let loc = self.loc(s.node());
        let lazy = s.is_lazy().unwrap_or(0) != 0;
        for alias in s.names() {
            let alias = Alias(alias);
            let name = alias.name();
            self.load_int(0, loc);
            self.load_const(ConstValue::None, loc);
            self.import_name(name, lazy, false, loc);
            match alias.asname() {
                Some(asname) => self.import_as(loc, name, asname)?,
                None => {
                    let head = name.split('.').next().unwrap_or(name);
                    self.nameop(head, Ctx::Store, loc)?;
                }
            }
        }
        Ok(())
    }

    /// `codegen_import_as`: `import a.b.c as d` walks down to `c` with `IMPORT_FROM`.
    fn import_as(&mut self, loc: Loc, name: &str, asname: &str) -> R {
        let mut parts = name.split('.');
        parts.next();
        let attrs: Vec<&str> = parts.collect();
        if attrs.is_empty() {
            return self.nameop(asname, Ctx::Store, loc);
        }
        for (i, attr) in attrs.iter().enumerate() {
            self.emit_raw_name(Op::IMPORT_FROM, NameDict::Names, attr, loc);
            if i + 1 < attrs.len() {
                self.emit_arg(Op::SWAP, 2, loc);
                self.emit(Op::POP_TOP, loc);
            }
        }
        self.nameop(asname, Ctx::Store, loc)?;
        self.emit(Op::POP_TOP, loc);
        Ok(())
    }

    /// `codegen_from_import`.
    pub fn import_from(&mut self, s: ImportFrom<'a>) -> R {
        let loc = self.loc(s.node());
        let module = s.module();
        let aliases: Vec<Alias> = s.names().iter().map(Alias).collect();
        let lazy = s.is_lazy().unwrap_or(0) != 0;
        let level = s.level().unwrap_or(0);
        self.load_int(level, loc);
        let names: Vec<ConstValue> = aliases
            .iter()
            .map(|a| ConstValue::Str(a.name().to_string().into()))
            .collect();
        self.load_ident_const(ConstValue::Tuple(names), loc);
        let star = aliases.first().is_some_and(|a| a.name().starts_with('*'));
        self.import_name(module.unwrap_or(""), lazy, star, loc);
        for (i, alias) in aliases.iter().enumerate() {
            let name = alias.name();
            if i == 0 && name.starts_with('*') {
                let op = intrinsic1(self.version, "INTRINSIC_IMPORT_STAR");
                self.emit_arg(Op::CALL_INTRINSIC_1, op, loc);
                self.emit(Op::POP_TOP, Loc::NONE);
                return Ok(());
            }
            self.emit_name(super::NameOp::Plain(Op::IMPORT_FROM), name, loc);
            let store = alias.asname().unwrap_or(name);
            self.nameop(store, Ctx::Store, loc)?;
        }
        self.emit(Op::POP_TOP, loc);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::codegen::tests::source_path;
    use crate::codegen::{codegen_module, FinishedUnit};
    use crate::fixture::{self, FixtureUnit};
    use crate::ir::ConstValue;
    use crate::symtable::SymbolTable;
    use cpyviz_model::source::Source;
    use cpyviz_model::version::PyVersion;
    use cpyviz_syntax::ast;

    /// Compares the code-object metadata codegen decides (qualified name, `co_names`,
    /// `co_varnames`, `co_freevars`) with the code objects CPython compiled, unit by unit.
    fn metadata_diffs(
        ours: &FinishedUnit,
        theirs: &FixtureUnit,
        path: &str,
        out: &mut Vec<String>,
    ) {
        let code = &theirs.code;
        let strs = |key: &str| -> Option<Vec<String>> {
            code.get(key)?.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
        };
        if code.is_object() {
            if theirs.qualname != ours.unit.qualname {
                out.push(format!(
                    "{path}: qualname {:?}, CPython {:?}",
                    ours.unit.qualname, theirs.qualname
                ));
            }
            if let Some(flags) = code.get("flags").and_then(|f| f.as_u64()) {
                if flags != u64::from(ours.unit.flags) {
                    out.push(format!(
                        "{path} ({}): flags {:#x}, CPython {flags:#x}",
                        ours.unit.qualname, ours.unit.flags
                    ));
                }
            }
            for (key, mine) in [
                ("names", &ours.unit.names),
                ("varnames", &ours.unit.varnames),
                ("freevars", &ours.unit.freevars),
            ] {
                if let Some(expected) = strs(key) {
                    if &expected != mine {
                        out.push(format!(
                            "{path} ({}): {key} {mine:?}, CPython {expected:?}",
                            ours.unit.qualname
                        ));
                    }
                }
            }
        }
        if let Some(consts) = &theirs.consts {
            let show = |c: &ConstValue| match c {
                ConstValue::Code(_) => "<code>".to_string(),
                other => format!("{other:?}"),
            };
            let mine: Vec<String> = ours.unit.consts.iter().map(show).collect();
            let expected: Vec<String> = consts.iter().map(show).collect();
            if mine != expected {
                out.push(format!("{path}: consts {mine:?}, CPython {expected:?}"));
            }
        }
        // A unit compiled twice leaves code-less entries and shifts the labels of its
        // siblings: skip those.
        if theirs.nested.iter().any(|n| !n.code.is_object()) {
            return;
        }
        for (i, (a, b)) in ours.children.iter().zip(&theirs.nested).enumerate() {
            metadata_diffs(a, b, &format!("{path}/{i}"), out);
        }
    }

    #[test]
    fn code_metadata_matches_cpython() {
        let root = crate::repo_root();
        for version in [PyVersion::V3_14, PyVersion::V3_15] {
            let mut diffs = Vec::new();
            for (name, expected) in fixture::all(version) {
                let path = source_path(&name);
                let Ok(bytes) = std::fs::read(root.join(&path)) else {
                    continue;
                };
                let Ok(src) = Source::decode(path.clone(), &bytes) else {
                    continue;
                };
                let Ok(tree) = ast::parse(&src, version) else {
                    continue;
                };
                let Ok(table) = SymbolTable::build(&tree, &src, version) else {
                    continue;
                };
                let Ok(ours) = codegen_module(&tree, &table, &src, version) else {
                    continue;
                };
                metadata_diffs(&ours, &expected, &name, &mut diffs);
            }
            for d in &diffs {
                eprintln!("{version} {d}");
            }
            assert!(
                diffs.is_empty(),
                "{version}: {} metadata differences",
                diffs.len()
            );
        }
    }

    /// SyntaxErrors of functions, classes, `return`, `yield` and `await`, as CPython reports
    /// them (message, line, offset, end line, end offset), in both versions.
    #[test]
    fn syntax_errors_match_cpython() {
        let cases: &[(&str, &str, [usize; 4])] = &[
            ("return 1\n", "'return' outside function", [1, 1, 1, 9]),
            (
                "class C:\n    return\n",
                "'return' outside function",
                [2, 5, 2, 11],
            ),
            ("x = yield 1\n", "'yield' outside function", [1, 5, 1, 12]),
            (
                "class C:\n    yield\n",
                "'yield' outside function",
                [2, 5, 2, 10],
            ),
            (
                "x = yield from y\n",
                "'yield from' outside function",
                [1, 5, 1, 17],
            ),
            (
                "async def f():\n    yield from x\n",
                "'yield from' inside async function",
                [2, 5, 2, 17],
            ),
            (
                "async def f():\n    yield 1\n    return 2\n",
                "'return' with value in async generator",
                [3, 5, 3, 13],
            ),
            ("await x\n", "'await' outside function", [1, 1, 1, 8]),
            (
                "def f():\n    await x\n",
                "'await' outside async function",
                [2, 5, 2, 12],
            ),
            (
                "f = lambda: await x\n",
                "'await' outside async function",
                [1, 13, 1, 20],
            ),
        ];
        for version in [PyVersion::V3_14, PyVersion::V3_15] {
            for (text, msg, pos) in cases {
                let src = Source::decode("f.py".to_string(), text.as_bytes()).unwrap();
                let tree = ast::parse(&src, version).unwrap();
                let err = SymbolTable::build(&tree, &src, version)
                    .and_then(|table| codegen_module(&tree, &table, &src, version).map(|_| ()))
                    .expect_err(text);
                assert_eq!(err.msg, *msg, "{version} {text:?}");
                let got = [
                    err.lineno.unwrap_or(0),
                    err.offset.unwrap_or(0),
                    err.end_lineno.unwrap_or(0),
                    err.end_offset.unwrap_or(0),
                ];
                assert_eq!(got, *pos, "{version} {text:?}");
            }
        }
    }
}
