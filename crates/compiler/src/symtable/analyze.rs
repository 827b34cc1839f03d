//! The second pass (`analyze_block`): resolve every name to its [`NameScope`], find cells and
//! free variables, inline PEP 709 comprehensions, and note the implicit class cells.
//!
//! Each block gets the names bound in enclosing function-like scopes (`bound`; `None` for the
//! module), the names declared global above it (`global`), the type parameters in force, and —
//! for annotation and type scopes that can see a class — that class. Children report the names
//! they need from outside (`free`); a function-like block that binds such a name makes it a
//! cell, a class drops `__class__` / `__classdict__` / `__conditional_annotations__` (and notes
//! that it needs them), and the rest goes up.

use super::flags::*;
use super::visit::syntax_error;
use super::{BlockType, NameScope, ScopeId, SymbolTable};
use cpyviz_model::error::PyError;
use cpyviz_model::source::Source;
use std::collections::{BTreeSet, HashMap};

type Set = BTreeSet<String>;
type R<T = ()> = Result<T, PyError>;

pub(super) fn analyze(table: &mut SymbolTable, src: &Source) -> R {
    let mut free = Set::new();
    let mut global = Set::new();
    let mut type_params = Set::new();
    Analyzer { table, src }.block(0, None, &mut free, &mut global, &mut type_params, None)
}

struct Analyzer<'a> {
    table: &'a mut SymbolTable,
    src: &'a Source,
}

impl Analyzer<'_> {
    /// `error_at_directive`: the error is reported at the `global` / `nonlocal` statement.
    fn directive_error(&self, ste: ScopeId, name: &str, msg: String) -> PyError {
        let loc = self.table.scopes[ste]
            .directives
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| *l)
            .unwrap_or_default();
        syntax_error(self.src, msg, loc)
    }

    /// `analyze_name`.
    #[allow(clippy::too_many_arguments)]
    fn name(
        &self,
        ste: ScopeId,
        scopes: &mut HashMap<String, NameScope>,
        name: &str,
        flags: u32,
        bound: Option<&Set>,
        local: &mut Set,
        free: &mut Set,
        global: &mut Set,
        type_params: &mut Set,
        class_entry: Option<ScopeId>,
    ) -> R<Option<Set>> {
        // Returns the new `bound` when a `global` removes a name from it.
        if flags & DEF_GLOBAL != 0 {
            if flags & DEF_NONLOCAL != 0 {
                return Err(self.directive_error(
                    ste,
                    name,
                    format!("name '{name}' is nonlocal and global"),
                ));
            }
            scopes.insert(name.to_string(), NameScope::GlobalExplicit);
            global.insert(name.to_string());
            if let Some(b) = bound {
                if b.contains(name) {
                    let mut nb = b.clone();
                    nb.remove(name);
                    return Ok(Some(nb));
                }
            }
            return Ok(None);
        }
        if flags & DEF_NONLOCAL != 0 {
            let Some(b) = bound else {
                return Err(self.directive_error(
                    ste,
                    name,
                    "nonlocal declaration not allowed at module level".to_string(),
                ));
            };
            if !b.contains(name) {
                return Err(self.directive_error(
                    ste,
                    name,
                    format!("no binding for nonlocal '{name}' found"),
                ));
            }
            if type_params.contains(name) {
                return Err(self.directive_error(
                    ste,
                    name,
                    format!("nonlocal binding not allowed for type parameter '{name}'"),
                ));
            }
            scopes.insert(name.to_string(), NameScope::Free);
            free.insert(name.to_string());
            return Ok(None);
        }
        if flags & DEF_BOUND != 0 {
            scopes.insert(name.to_string(), NameScope::Local);
            local.insert(name.to_string());
            global.remove(name);
            if flags & DEF_TYPE_PARAM != 0 {
                type_params.insert(name.to_string());
            } else {
                type_params.remove(name);
            }
            return Ok(None);
        }
        if let Some(c) = class_entry {
            let cf = self.table.scopes[c].flags(name);
            if cf & DEF_GLOBAL != 0 {
                scopes.insert(name.to_string(), NameScope::GlobalExplicit);
                return Ok(None);
            }
            if cf & DEF_BOUND != 0 && cf & DEF_NONLOCAL == 0 {
                scopes.insert(name.to_string(), NameScope::GlobalImplicit);
                return Ok(None);
            }
        }
        if bound.is_some_and(|b| b.contains(name)) {
            scopes.insert(name.to_string(), NameScope::Free);
            free.insert(name.to_string());
            return Ok(None);
        }
        scopes.insert(name.to_string(), NameScope::GlobalImplicit);
        Ok(None)
    }

    /// `analyze_block`.
    fn block(
        &mut self,
        ste: ScopeId,
        bound: Option<&Set>,
        free: &mut Set,
        global: &mut Set,
        type_params: &mut Set,
        class_entry: Option<ScopeId>,
    ) -> R {
        let mut local = Set::new();
        let mut scopes: HashMap<String, NameScope> = HashMap::new();
        let mut newglobal = Set::new();
        let mut newfree = Set::new();
        let mut newbound = Set::new();
        let mut inlined_cells = Set::new();
        let kind = self.table.scopes[ste].kind;
        let mut bound: Option<Set> = bound.cloned();

        if kind == BlockType::Class {
            newglobal.extend(global.iter().cloned());
            if let Some(b) = &bound {
                newbound.extend(b.iter().cloned());
            }
        }

        let syms: Vec<(String, u32)> = self.table.scopes[ste]
            .symbols
            .iter()
            .map(|(n, s)| (n.clone(), s.flags))
            .collect();
        for (name, flags) in &syms {
            if let Some(nb) = self.name(
                ste,
                &mut scopes,
                name,
                *flags,
                bound.as_ref(),
                &mut local,
                free,
                global,
                type_params,
                class_entry,
            )? {
                bound = Some(nb);
            }
        }

        if kind != BlockType::Class {
            if self.table.scopes[ste].is_function_like() {
                newbound.extend(local.iter().cloned());
            }
            if let Some(b) = &bound {
                newbound.extend(b.iter().cloned());
            }
            newglobal.extend(global.iter().cloned());
        } else {
            newbound.insert("__class__".into());
            newbound.insert("__classdict__".into());
            newbound.insert("__conditional_annotations__".into());
        }

        let children = self.table.scopes[ste].children.clone();
        let ste_sees_class = self.table.scopes[ste].can_see_class_scope;
        for &child in &children {
            let c = &self.table.scopes[child];
            let new_class_entry = if c.can_see_class_scope {
                if kind == BlockType::Class {
                    Some(ste)
                } else {
                    class_entry
                }
            } else {
                None
            };
            let inline = c.comprehension.is_some() && !c.generator && !ste_sees_class;
            // analyze_child_block: the child works on copies of the sets.
            let mut child_free = newfree.clone();
            let mut child_global = newglobal.clone();
            let mut child_type_params = type_params.clone();
            self.block(
                child,
                Some(&newbound),
                &mut child_free,
                &mut child_global,
                &mut child_type_params,
                new_class_entry,
            )?;
            if inline {
                self.inline_comprehension(
                    ste,
                    child,
                    &mut scopes,
                    &mut child_free,
                    &mut inlined_cells,
                );
                self.table.scopes[child].comp_inlined = true;
            }
            newfree.extend(child_free);
        }

        // Splice the children of inlined comprehensions into our children.
        let mut spliced = Vec::new();
        for &child in &self.table.scopes[ste].children {
            let c = &self.table.scopes[child];
            if c.comp_inlined {
                spliced.extend(c.children.iter().copied());
            } else {
                spliced.push(child);
            }
        }
        self.table.scopes[ste].children = spliced;

        if self.table.scopes[ste].is_function_like() {
            // analyze_cells
            for (name, sc) in scopes.iter_mut() {
                if *sc != NameScope::Local {
                    continue;
                }
                if !newfree.contains(name) && !inlined_cells.contains(name) {
                    continue;
                }
                *sc = NameScope::Cell;
                newfree.remove(name);
            }
        } else if kind == BlockType::Class {
            let s = &mut self.table.scopes[ste];
            if newfree.remove("__class__") {
                s.needs_class_closure = true;
            }
            if newfree.remove("__classdict__") {
                s.needs_classdict = true;
            }
            if newfree.remove("__conditional_annotations__") {
                s.has_conditional_annotations = true;
            }
            if let (true, Some(a)) = (s.has_conditional_annotations, s.annotation_block) {
                self.table.scopes[a].conditional_annotations_cell = true;
            }
        }

        let classflag = kind == BlockType::Class || ste_sees_class;
        self.update_symbols(
            ste,
            &scopes,
            bound.as_ref(),
            &newfree,
            &inlined_cells,
            classflag,
        );
        free.extend(newfree);
        Ok(())
    }

    /// `update_symbols`: record the scopes; names free in children that this block passes
    /// through become FREE symbols here (a class marks its own names `DEF_FREE_CLASS`).
    fn update_symbols(
        &mut self,
        ste: ScopeId,
        scopes: &HashMap<String, NameScope>,
        bound: Option<&Set>,
        free: &Set,
        inlined_cells: &Set,
        classflag: bool,
    ) {
        let s = &mut self.table.scopes[ste];
        for (name, sym) in s.symbols.iter_mut() {
            if inlined_cells.contains(name) {
                sym.flags |= DEF_COMP_CELL;
            }
            if let Some(&sc) = scopes.get(name) {
                sym.scope = sc;
            }
        }
        for name in free {
            if let Some(sym) = s.symbol_mut(name) {
                if classflag {
                    sym.flags |= DEF_FREE_CLASS;
                }
                continue;
            }
            if bound.is_some_and(|b| !b.contains(name)) {
                continue;
            }
            s.entry(name, 0).scope = NameScope::Free;
        }
    }

    /// `inline_comprehension`: merge an inlined comprehension's symbols into its parent.
    fn inline_comprehension(
        &mut self,
        ste: ScopeId,
        comp: ScopeId,
        scopes: &mut HashMap<String, NameScope>,
        comp_free: &mut Set,
        inlined_cells: &mut Set,
    ) {
        let mut remove_dunder_class = false;
        let parent_is_class = self.table.scopes[ste].kind == BlockType::Class;
        let syms = self.table.scopes[comp].symbols.clone();
        for (k, sym) in syms {
            if sym.flags & DEF_PARAM != 0 {
                continue;
            }
            let mut scope = sym.scope;
            if scope == NameScope::Cell || sym.flags & DEF_COMP_CELL != 0 {
                inlined_cells.insert(k.clone());
            }
            let existing = self.table.scopes[ste].symbol(&k).map(|s| s.flags);
            if scope == NameScope::Free && parent_is_class && k == "__class__" {
                scope = NameScope::GlobalImplicit;
                comp_free.remove(&k);
                remove_dunder_class = true;
            }
            match existing {
                None => {
                    self.table.scopes[ste].entry(&k, sym.flags);
                    scopes.insert(k, scope);
                }
                Some(flags) => {
                    if flags & DEF_BOUND != 0 && !parent_is_class {
                        let free_in_child = self.table.scopes[comp]
                            .children
                            .iter()
                            .any(|&c| self.table.scopes[c].get_scope(&k) == Some(NameScope::Free));
                        if !free_in_child {
                            comp_free.remove(&k);
                        }
                        // A local of the parent read in the comprehension is read in the
                        // parent now.
                        if scope == NameScope::Free && sym.flags & USE != 0 {
                            if let Some(p) = self.table.scopes[ste].symbol_mut(&k) {
                                p.flags |= USE;
                            }
                        }
                    }
                }
            }
        }
        if remove_dunder_class {
            self.table.scopes[comp].remove_symbol("__class__");
        }
    }
}
