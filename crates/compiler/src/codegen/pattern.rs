//! `match` statements and patterns (PEP 634).
//!
//! Every pattern routine consumes the subject on top of the stack and, when the subject does
//! not match, jumps to one of the `fail_pop` labels: `fail_pop[i]` pops `i` values before
//! reaching the code for the next case. Captured values are not stored right away: they are
//! rotated under the values the pattern still works on (`on_top`) and stored by name only once
//! the whole pattern matched.

use super::{Compiler, Ctx, R};
use crate::ir::{ConstValue, Label, Loc};
use crate::op::Op;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{
    constant_repr, preprocess, AstNode, Constant, Match, MatchAs, MatchCase, MatchClass,
    MatchMapping, MatchOr, MatchSequence, MatchSingleton, MatchStar, MatchValue, NodeKind, Pattern,
};
use num_bigint::BigInt;
use num_traits::FromPrimitive;

/// `COMPARE_OP` opargs: the rich comparison in the top bits, its mask in the low four.
const COMPARE_EQ: u32 = (2 << 5) | 8;
const COMPARE_GE: u32 = (5 << 5) | 4 | 8;

/// `pattern_context`.
struct PatternCtx {
    /// Names captured so far, in the order their values sit on the stack.
    stores: Vec<String>,
    /// Whether an irrefutable pattern (capture, wildcard) is allowed here.
    allow_irrefutable: bool,
    /// `fail_pop[i]`: the label that pops `i` values and falls through to the next case.
    fail_pop: Vec<Label>,
    /// Values on top of the stack that stay there while a sub-pattern runs.
    on_top: usize,
}

impl PatternCtx {
    fn new(allow_irrefutable: bool) -> Self {
        PatternCtx {
            stores: Vec::new(),
            allow_irrefutable,
            fail_pop: Vec::new(),
            on_top: 0,
        }
    }
}

/// `WILDCARD_CHECK`: `_`.
fn is_wildcard(p: &AstNode) -> bool {
    MatchAs::cast(p).is_some_and(|m| m.name().is_none())
}

/// `WILDCARD_STAR_CHECK`: `*_`.
fn is_star_wildcard(p: &AstNode) -> bool {
    MatchStar::cast(p).is_some_and(|m| m.name().is_none())
}

/// `repr()` of a name, for error messages.
fn name_repr(name: &str, version: PyVersion) -> String {
    constant_repr(&Constant::Str(name.into()), version)
}

/// Whether two constant keys are the same dict key (`==` between numbers of any type,
/// equal strings, equal bytes, the singletons).
fn same_key(a: &Constant, b: &Constant) -> bool {
    fn numeric(c: &Constant) -> Option<(Option<BigInt>, f64, f64)> {
        match c {
            Constant::Bool(v) => Some((Some(BigInt::from(u8::from(*v))), f64::from(*v), 0.0)),
            Constant::Int(d) => {
                let i: BigInt = d.parse().ok()?;
                Some((Some(i), d.parse::<f64>().ok()?, 0.0))
            }
            Constant::Float(f) => Some((exact_int(*f), *f, 0.0)),
            Constant::Complex { real, imag } => Some((
                if *imag == 0.0 { exact_int(*real) } else { None },
                *real,
                *imag,
            )),
            _ => None,
        }
    }
    fn exact_int(f: f64) -> Option<BigInt> {
        if f.is_finite() && f.fract() == 0.0 {
            BigInt::from_f64(f)
        } else {
            None
        }
    }
    match (numeric(a), numeric(b)) {
        (Some((ia, ra, ja)), Some((ib, rb, jb))) => match (ia, ib) {
            (Some(x), Some(y)) => x == y && ja == jb,
            _ => ra == rb && ja == jb,
        },
        (None, None) => match (a, b) {
            (Constant::Str(x), Constant::Str(y)) => x == y,
            (Constant::Bytes(x), Constant::Bytes(y)) => x == y,
            (Constant::None, Constant::None) => true,
            (Constant::Ellipsis, Constant::Ellipsis) => true,
            _ => false,
        },
        _ => false,
    }
}

impl<'a> Compiler<'a> {
    /// `codegen_match`.
    pub fn match_stmt(&mut self, s: Match<'a>) -> R {
        self.um().in_conditional_block += 1;
        let result = self.match_inner(s);
        if let Some(u) = self.units.last_mut() {
            u.in_conditional_block = u.in_conditional_block.saturating_sub(1);
        }
        result
    }

    /// `codegen_match_inner`.
    fn match_inner(&mut self, s: Match<'a>) -> R {
        self.visit_expr(s.subject())?;
        let end = self.new_label();
        let cases: Vec<MatchCase<'a>> = s.cases().iter().map(MatchCase).collect();
        let Some(last) = cases.last().copied() else {
            return Err(self.unsupported("a `match` statement without cases", s.node()));
        };
        let patterns: Vec<&'a AstNode> = cases.iter().map(|m| m.pattern()).collect();
        let n = cases.len();
        let has_default = usize::from(is_wildcard(patterns[n - 1]) && n > 1);
        for i in 0..n - has_default {
            let m = cases[i];
            let pattern = patterns[i];
            let ploc = self.loc(pattern);
            // The subject is copied for every case but the last one tried.
            if i != n - has_default - 1 {
                self.emit_arg(Op::COPY, 1, ploc);
            }
            let guard = m.guard();
            // Irrefutable cases must be guarded, last, or both.
            let mut pc = PatternCtx::new(guard.is_some() || i == n - 1);
            self.pattern(pattern, &mut pc)?;
            // A match: store the captured names (their values are on the stack).
            for name in std::mem::take(&mut pc.stores) {
                self.nameop(&name, Ctx::Store, ploc)?;
            }
            if let Some(guard) = guard {
                self.ensure_fail_pop(&mut pc, 0);
                let fail = pc.fail_pop[0];
                self.jump_if(guard, fail, false)?;
            }
            // Done with the subject.
            if i != n - has_default - 1 {
                self.emit(Op::POP_TOP, Loc::NEXT);
            }
            self.visit_stmts(m.body().as_slice())?;
            self.emit_jump(Op::JUMP, end, Loc::NONE);
            // The cleanup of a failed match belongs to the pattern's line.
            self.emit_and_reset_fail_pop(ploc, &mut pc);
        }
        if has_default == 1 {
            // A trailing `case _:` needs no copy of the subject.
            let ploc = self.loc(patterns[n - 1]);
            if n == 1 {
                self.emit(Op::POP_TOP, ploc);
            } else {
                // Keeps the default case's line.
                self.emit(Op::NOP, ploc);
            }
            if let Some(guard) = last.guard() {
                self.jump_if(guard, end, false)?;
            }
            self.visit_stmts(last.body().as_slice())?;
        }
        self.use_label(end);
        Ok(())
    }

    /// `codegen_pattern`.
    fn pattern(&mut self, p: &'a AstNode, pc: &mut PatternCtx) -> R {
        match Pattern::of(p) {
            Pattern::MatchValue(v) => self.pattern_value(v, pc),
            Pattern::MatchSingleton(v) => self.pattern_singleton(v, pc),
            Pattern::MatchSequence(v) => self.pattern_sequence(v, pc),
            Pattern::MatchMapping(v) => self.pattern_mapping(v, pc),
            Pattern::MatchClass(v) => self.pattern_class(v, pc),
            Pattern::MatchStar(v) => {
                let loc = self.loc(p);
                self.pattern_store_name(loc, v.name(), pc)
            }
            Pattern::MatchAs(v) => self.pattern_as(v, pc),
            Pattern::MatchOr(v) => self.pattern_or(v, pc),
        }
    }

    /// `codegen_pattern_subpattern`: a pattern nested in another (irrefutable is fine).
    fn subpattern(&mut self, p: &'a AstNode, pc: &mut PatternCtx) -> R {
        let allow = pc.allow_irrefutable;
        pc.allow_irrefutable = true;
        self.pattern(p, pc)?;
        pc.allow_irrefutable = allow;
        Ok(())
    }

    /// `ensure_fail_pop`: labels for popping up to `n` values.
    fn ensure_fail_pop(&mut self, pc: &mut PatternCtx, n: usize) {
        while pc.fail_pop.len() < n + 1 {
            let label = self.new_label();
            pc.fail_pop.push(label);
        }
    }

    /// `jump_to_fail_pop`: jumps (with `op`) to the label that pops what the pattern holds.
    fn jump_to_fail_pop(&mut self, loc: Loc, pc: &mut PatternCtx, op: Op) {
        let pops = pc.on_top + pc.stores.len();
        self.ensure_fail_pop(pc, pops);
        self.emit_jump(op, pc.fail_pop[pops], loc);
    }

    /// `emit_and_reset_fail_pop`: the `POP_TOP` ladder behind the fail labels.
    fn emit_and_reset_fail_pop(&mut self, loc: Loc, pc: &mut PatternCtx) {
        let labels = std::mem::take(&mut pc.fail_pop);
        let Some((first, rest)) = labels.split_first() else {
            return;
        };
        for label in rest.iter().rev() {
            self.use_label(*label);
            self.emit(Op::POP_TOP, loc);
        }
        self.use_label(*first);
    }

    /// `codegen_pattern_helper_rotate`: moves TOS down `count - 1` places with SWAPs.
    fn pattern_rotate(&mut self, loc: Loc, count: usize) {
        let mut count = count;
        while count > 1 {
            self.emit_arg(Op::SWAP, count as u32, loc);
            count -= 1;
        }
    }

    /// `codegen_pattern_helper_store_name`: captures TOS as `name` (or drops it for `_`).
    fn pattern_store_name(&mut self, loc: Loc, name: Option<&str>, pc: &mut PatternCtx) -> R {
        let Some(name) = name else {
            self.emit(Op::POP_TOP, loc);
            return Ok(());
        };
        if pc.stores.iter().any(|s| s == name) {
            return Err(self.error(
                loc,
                format!(
                    "multiple assignments to name {} in pattern",
                    name_repr(name, self.version)
                ),
            ));
        }
        // Under the values still in use, above the earlier captures.
        let rotations = pc.on_top + pc.stores.len() + 1;
        self.pattern_rotate(loc, rotations);
        pc.stores.push(name.to_string());
        Ok(())
    }

    /// `codegen_pattern_unpack_helper`: `UNPACK_SEQUENCE`, or `UNPACK_EX` around the star.
    fn pattern_unpack(&mut self, loc: Loc, patterns: &[&'a AstNode]) -> R {
        let n = patterns.len();
        let mut seen_star = false;
        for (i, p) in patterns.iter().enumerate() {
            if p.kind == NodeKind::MatchStar {
                if seen_star {
                    return Err(self.error(loc, "multiple starred expressions in sequence pattern"));
                }
                if i >= (1 << 8) || n - i > (i32::MAX as usize >> 8) {
                    return Err(self.error(
                        loc,
                        "too many expressions in star-unpacking sequence pattern",
                    ));
                }
                self.emit_arg(Op::UNPACK_EX, (i + ((n - i - 1) << 8)) as u32, loc);
                seen_star = true;
            }
        }
        if !seen_star {
            self.emit_arg(Op::UNPACK_SEQUENCE, n as u32, loc);
        }
        Ok(())
    }

    /// `pattern_helper_sequence_unpack`: unpacks the subject and matches each element.
    fn sequence_unpack(&mut self, loc: Loc, patterns: &[&'a AstNode], pc: &mut PatternCtx) -> R {
        self.pattern_unpack(loc, patterns)?;
        // The elements stay on the stack while the earlier ones are matched.
        pc.on_top += patterns.len();
        for p in patterns {
            pc.on_top -= 1;
            self.subpattern(p, pc)?;
        }
        Ok(())
    }

    /// `pattern_helper_sequence_subscr`: like [`Self::sequence_unpack`], but indexes the
    /// subject (for patterns with a `*_`).
    fn sequence_subscr(
        &mut self,
        loc: Loc,
        patterns: &[&'a AstNode],
        star: usize,
        pc: &mut PatternCtx,
    ) -> R {
        let t = cpyviz_model::tables::for_version(self.version);
        let nb = |name: &str| t.nb_ops.iter().position(|(n, _)| *n == name).unwrap_or(0) as u32;
        let (subscr, subtract) = (nb("NB_SUBSCR"), nb("NB_SUBTRACT"));
        // The subject stays for the indexing.
        pc.on_top += 1;
        let size = patterns.len();
        for (i, p) in patterns.iter().enumerate() {
            if is_wildcard(p) || i == star {
                continue;
            }
            self.emit_arg(Op::COPY, 1, loc);
            if i < star {
                self.load_int(i as i64, loc);
            } else {
                // Negative indexes may not be supported: len(subject) - k.
                self.emit(Op::GET_LEN, loc);
                self.load_int((size - i) as i64, loc);
                self.emit_arg(Op::BINARY_OP, subtract, loc);
            }
            self.emit_arg(Op::BINARY_OP, subscr, loc);
            self.subpattern(p, pc)?;
        }
        pc.on_top -= 1;
        self.emit(Op::POP_TOP, loc);
        Ok(())
    }

    /// `codegen_pattern_as`: `name`, `_`, or `pattern as name`.
    fn pattern_as(&mut self, p: MatchAs<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let name = p.name();
        let Some(inner) = p.pattern() else {
            // Irrefutable.
            if !pc.allow_irrefutable {
                let msg = match name {
                    Some(n) => format!(
                        "name capture {} makes remaining patterns unreachable",
                        name_repr(n, self.version)
                    ),
                    None => "wildcard makes remaining patterns unreachable".to_string(),
                };
                return Err(self.error(loc, msg));
            }
            return self.pattern_store_name(loc, name, pc);
        };
        // A copy of the subject, stored on success.
        pc.on_top += 1;
        self.emit_arg(Op::COPY, 1, loc);
        self.pattern(inner, pc)?;
        pc.on_top -= 1;
        self.pattern_store_name(loc, name, pc)
    }

    /// `codegen_pattern_class`: `Cls(p1, ..., attr=p, ...)` with `MATCH_CLASS`.
    fn pattern_class(&mut self, p: MatchClass<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let patterns: Vec<&'a AstNode> = p.patterns().iter().collect();
        let kwd_patterns: Vec<&'a AstNode> = p.kwd_patterns().iter().collect();
        let kwd_attrs: Vec<&'a str> = p.kwd_attrs().iter().collect();
        let nargs = patterns.len();
        let nattrs = kwd_attrs.len();
        if nattrs != kwd_patterns.len() {
            return Err(self.error(
                loc,
                format!(
                    "kwd_attrs ({nattrs}) / kwd_patterns ({}) length mismatch in class pattern",
                    kwd_patterns.len()
                ),
            ));
        }
        for i in 0..nattrs {
            for j in i + 1..nattrs {
                if kwd_attrs[i] == kwd_attrs[j] {
                    let jloc = self.loc(kwd_patterns[j]);
                    return Err(self.error(
                        jloc,
                        format!("attribute name repeated in class pattern: {}", kwd_attrs[i]),
                    ));
                }
            }
        }
        self.visit_expr(p.cls())?;
        let names = kwd_attrs
            .iter()
            .map(|a| ConstValue::Str((*a).to_string().into()))
            .collect();
        self.load_ident_const(ConstValue::Tuple(names), loc);
        self.emit_arg(Op::MATCH_CLASS, nargs as u32, loc);
        self.emit_arg(Op::COPY, 1, loc);
        self.load_const(ConstValue::None, loc);
        self.emit_arg(Op::IS_OP, 1, loc);
        // TOS: a tuple of the nargs + nattrs attributes (or None).
        pc.on_top += 1;
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        self.emit_arg(Op::UNPACK_SEQUENCE, (nargs + nattrs) as u32, loc);
        pc.on_top += nargs + nattrs;
        pc.on_top -= 1;
        for sub in patterns.iter().chain(kwd_patterns.iter()) {
            pc.on_top -= 1;
            if is_wildcard(sub) {
                self.emit(Op::POP_TOP, loc);
                continue;
            }
            self.subpattern(sub, pc)?;
        }
        Ok(())
    }

    /// `codegen_pattern_mapping`: `{key: p, ..., **rest}` with `MATCH_MAPPING` / `MATCH_KEYS`.
    fn pattern_mapping(&mut self, p: MatchMapping<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let keys = p.keys();
        let patterns: Vec<&'a AstNode> = p.patterns().iter().collect();
        let size = keys.len();
        if size != patterns.len() {
            return Err(self.error(
                loc,
                format!(
                    "keys ({size}) / patterns ({}) length mismatch in mapping pattern",
                    patterns.len()
                ),
            ));
        }
        let star_target = p.rest();
        // The subject stays on top for the mapping and length checks.
        pc.on_top += 1;
        self.emit(Op::MATCH_MAPPING, loc);
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        if size == 0 && star_target.is_none() {
            // `{}`: done; pop the subject.
            pc.on_top -= 1;
            self.emit(Op::POP_TOP, loc);
            return Ok(());
        }
        if size > 0 {
            self.emit(Op::GET_LEN, loc);
            self.load_int(size as i64, loc);
            self.emit_arg(Op::COMPARE_OP, COMPARE_GE, loc);
            self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        }
        // The keys (literals or attribute lookups), with duplicate literals refused.
        let mut seen: Vec<Constant> = Vec::new();
        for (i, &pattern) in patterns.iter().enumerate().take(size) {
            // A `None` key (the parser never makes one) is refused as CPython refuses it.
            let Some(key) = keys.get(i) else {
                let ploc = self.loc(pattern);
                return Err(self.error(
                    ploc,
                    "can't use NULL keys in MatchMapping (set 'rest' parameter instead)",
                ));
            };
            if let Some(value) = preprocess::folded_constant(key) {
                if seen.iter().any(|s| same_key(s, &value)) {
                    return Err(self.error(
                        loc,
                        format!(
                            "mapping pattern checks duplicate key ({})",
                            constant_repr(&value, self.version)
                        ),
                    ));
                }
                let kloc = self.loc(key);
                self.load_const(super::expr::const_value(&value), kloc);
                seen.push(value);
            } else if key.kind == NodeKind::Attribute {
                self.visit_expr(key)?;
            } else {
                return Err(self.error(
                    loc,
                    "mapping pattern keys may only match literals and attribute lookups",
                ));
            }
        }
        self.emit_arg(Op::BUILD_TUPLE, size as u32, loc);
        self.emit(Op::MATCH_KEYS, loc);
        // A tuple of keys and a tuple of values (or None) above the subject.
        pc.on_top += 2;
        self.emit_arg(Op::COPY, 1, loc);
        self.load_const(ConstValue::None, loc);
        self.emit_arg(Op::IS_OP, 1, loc);
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        // Match the values.
        self.emit_arg(Op::UNPACK_SEQUENCE, size as u32, loc);
        pc.on_top += size;
        pc.on_top -= 1;
        for sub in &patterns {
            pc.on_top -= 1;
            self.subpattern(sub, pc)?;
        }
        // A match: what follows consumes the keys and the subject.
        pc.on_top -= 2;
        if let Some(rest) = star_target {
            // rest = dict(subject); del rest[key] for each key.
            self.emit_arg(Op::BUILD_MAP, 0, loc);
            self.emit_arg(Op::SWAP, 3, loc);
            self.emit_arg(Op::DICT_UPDATE, 2, loc);
            self.emit_arg(Op::UNPACK_SEQUENCE, size as u32, loc);
            let mut left = size;
            while left > 0 {
                self.emit_arg(Op::COPY, 1 + left as u32, loc);
                left -= 1;
                self.emit_arg(Op::SWAP, 2, loc);
                self.emit(Op::DELETE_SUBSCR, loc);
            }
            self.pattern_store_name(loc, Some(rest), pc)?;
        } else {
            self.emit(Op::POP_TOP, loc);
            self.emit(Op::POP_TOP, loc);
        }
        Ok(())
    }

    /// `codegen_pattern_or`: `p1 | p2 | ...`; every alternative must bind the same names, and
    /// their values are reordered to the first alternative's order.
    fn pattern_or(&mut self, p: MatchOr<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let alts: Vec<&'a AstNode> = p.patterns().iter().collect();
        let end = self.new_label();
        let size = alts.len();
        let old_stores = std::mem::take(&mut pc.stores);
        let old_fail_pop = std::mem::take(&mut pc.fail_pop);
        let old_on_top = pc.on_top;
        let old_allow = pc.allow_irrefutable;
        let diff = |c: &Self| c.error(loc, "alternative patterns bind different names");
        let mut control: Option<Vec<String>> = None;
        for (i, alt) in alts.iter().copied().enumerate() {
            let aloc = self.loc(alt);
            pc.stores = Vec::new();
            // Only the last alternative may be irrefutable (if irrefutable is allowed).
            pc.allow_irrefutable = i == size - 1 && old_allow;
            pc.fail_pop = Vec::new();
            pc.on_top = 0;
            self.emit_arg(Op::COPY, 1, aloc);
            self.pattern(alt, pc)?;
            let nstores = pc.stores.len();
            match &control {
                None => control = Some(pc.stores.clone()),
                Some(ctl) if ctl.len() != nstores => return Err(diff(self)),
                Some(ctl) if nstores > 0 => {
                    let ctl = ctl.clone();
                    for icontrol in (0..nstores).rev() {
                        let name = &ctl[icontrol];
                        let Some(istores) = pc.stores.iter().position(|s| s == name) else {
                            return Err(diff(self));
                        };
                        if icontrol != istores {
                            // Move the first `istores + 1` captures to just below position
                            // `icontrol`, on the stack as in the list.
                            let rotations = istores + 1;
                            let rotated: Vec<String> = pc.stores.drain(..rotations).collect();
                            let at = icontrol - istores;
                            pc.stores.splice(at..at, rotated);
                            for _ in 0..rotations {
                                self.pattern_rotate(aloc, icontrol + 1);
                            }
                        }
                    }
                }
                Some(_) => {}
            }
            self.emit_jump(Op::JUMP, end, aloc);
            self.emit_and_reset_fail_pop(aloc, pc);
        }
        pc.stores = old_stores;
        pc.fail_pop = old_fail_pop;
        pc.on_top = old_on_top;
        pc.allow_irrefutable = old_allow;
        // No alternative matched: pop the copy of the subject and fail.
        self.emit(Op::POP_TOP, loc);
        self.jump_to_fail_pop(loc, pc, Op::JUMP);

        self.use_label(end);
        let control = control.unwrap_or_default();
        let nstores = control.len();
        // Between the new captures and their place: the other captures, the subject's copy,
        // the values in use and the earlier captures.
        let nrots = nstores + 1 + pc.on_top + pc.stores.len();
        for name in control {
            self.pattern_rotate(loc, nrots);
            if pc.stores.contains(&name) {
                return Err(self.error(
                    loc,
                    format!(
                        "multiple assignments to name {} in pattern",
                        name_repr(&name, self.version)
                    ),
                ));
            }
            pc.stores.push(name);
        }
        // Pop the copy of the subject.
        self.emit(Op::POP_TOP, loc);
        Ok(())
    }

    /// `codegen_pattern_sequence`: `[p, ...]` / `(p, ...)` with at most one star.
    fn pattern_sequence(&mut self, p: MatchSequence<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let patterns: Vec<&'a AstNode> = p.patterns().iter().collect();
        let size = patterns.len();
        let mut star: Option<usize> = None;
        let mut only_wildcard = true;
        let mut star_wildcard = false;
        for (i, sub) in patterns.iter().enumerate() {
            if sub.kind == NodeKind::MatchStar {
                if star.is_some() {
                    return Err(self.error(loc, "multiple starred names in sequence pattern"));
                }
                star_wildcard = is_star_wildcard(sub);
                only_wildcard &= star_wildcard;
                star = Some(i);
                continue;
            }
            only_wildcard &= is_wildcard(sub);
        }
        // The subject stays on top for the type and length checks.
        pc.on_top += 1;
        self.emit(Op::MATCH_SEQUENCE, loc);
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        match star {
            None => {
                self.emit(Op::GET_LEN, loc);
                self.load_int(size as i64, loc);
                self.emit_arg(Op::COMPARE_OP, COMPARE_EQ, loc);
                self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
            }
            Some(_) if size > 1 => {
                self.emit(Op::GET_LEN, loc);
                self.load_int(size as i64 - 1, loc);
                self.emit_arg(Op::COMPARE_OP, COMPARE_GE, loc);
                self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
            }
            Some(_) => {}
        }
        pc.on_top -= 1;
        if only_wildcard {
            // [] / [_] / [_, *_] ...: nothing to extract.
            self.emit(Op::POP_TOP, loc);
        } else if star_wildcard {
            self.sequence_subscr(loc, &patterns, star.unwrap_or(usize::MAX), pc)?;
        } else {
            self.sequence_unpack(loc, &patterns, pc)?;
        }
        Ok(())
    }

    /// `codegen_pattern_value`: `== value` (a literal or a dotted name).
    fn pattern_value(&mut self, p: MatchValue<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        let value = p.value();
        if let Some(c) = preprocess::folded_constant(value) {
            let vloc = self.loc(value);
            self.load_const(super::expr::const_value(&c), vloc);
        } else if value.kind == NodeKind::Attribute {
            self.visit_expr(value)?;
        } else {
            return Err(self.error(
                loc,
                "patterns may only match literals and attribute lookups",
            ));
        }
        self.emit_arg(Op::COMPARE_OP, COMPARE_EQ, loc);
        self.emit(Op::TO_BOOL, loc);
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        Ok(())
    }

    /// `codegen_pattern_singleton`: `is None` / `is True` / `is False`.
    fn pattern_singleton(&mut self, p: MatchSingleton<'a>, pc: &mut PatternCtx) -> R {
        let loc = self.loc(p.node());
        self.load_const(super::expr::const_value(p.value()), loc);
        self.emit_arg(Op::IS_OP, 0, loc);
        self.jump_to_fail_pop(loc, pc, Op::POP_JUMP_IF_FALSE);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::codegen::flow::error_tests::{check, ErrorCase};

    #[test]
    fn pattern_syntax_errors() {
        let m = |case: &str| format!("match x:\n    case {case}:\n        pass\n");
        let cases = [
            (
                m("[a, a]"),
                "multiple assignments to name 'a' in pattern",
                (2, 14, 2, 15),
            ),
            (
                m("_:\n        pass\n    case 1"),
                "wildcard makes remaining patterns unreachable",
                (2, 10, 2, 11),
            ),
            (
                m("y:\n        pass\n    case 1"),
                "name capture 'y' makes remaining patterns unreachable",
                (2, 10, 2, 11),
            ),
            (
                m("{1: a, 1: b}"),
                "mapping pattern checks duplicate key (1)",
                (2, 10, 2, 22),
            ),
            (
                m("{1: a, True: b}"),
                "mapping pattern checks duplicate key (True)",
                (2, 10, 2, 25),
            ),
            (
                m("{'a': a, 'a': b}"),
                "mapping pattern checks duplicate key ('a')",
                (2, 10, 2, 26),
            ),
            (
                m("C(a=1, a=2)"),
                "attribute name repeated in class pattern: a",
                (2, 19, 2, 20),
            ),
            (
                m("[a] | [b]"),
                "alternative patterns bind different names",
                (2, 10, 2, 19),
            ),
            (
                m("[a] | []"),
                "alternative patterns bind different names",
                (2, 10, 2, 18),
            ),
            (
                m("[*a, *b]"),
                "multiple starred names in sequence pattern",
                (2, 10, 2, 18),
            ),
            (
                m("a | 1"),
                "name capture 'a' makes remaining patterns unreachable",
                (2, 10, 2, 11),
            ),
            (
                m("(a | b) | c"),
                "name capture 'a' makes remaining patterns unreachable",
                (2, 11, 2, 12),
            ),
            (
                m("{1: r, **r}"),
                "multiple assignments to name 'r' in pattern",
                (2, 10, 2, 21),
            ),
            (
                m("a if a:\n        pass\n    case b:\n        pass\n    case c"),
                "name capture 'b' makes remaining patterns unreachable",
                (4, 10, 4, 11),
            ),
        ];
        let cases: Vec<ErrorCase> = cases.iter().map(|(s, m, l)| (s.as_str(), *m, *l)).collect();
        check(&cases);
    }
}
