//! Plain-English explanations shown in the explanation panel: what each stage is, and what a
//! selected token or AST node means. Data only.

use crate::ast::NodeKind;
use crate::capture::Stage;
use crate::tokens::TokenKind;

/// What a stage is, in two or three sentences.
pub fn stage(stage: Stage) -> &'static str {
    stage.info().explanation
}

/// What one token type means.
pub fn token(kind: TokenKind) -> &'static str {
    use TokenKind::*;
    match kind {
        ENCODING => "ENCODING is the first token `tokenize` reports: the source encoding it decoded the file with. The parser never sees it.",
        NAME => "NAME: an identifier. Keywords such as `def`, `if` and `return` are NAME tokens too; the parser tells them apart, and soft keywords (`match`, `case`, `type`) only by context.",
        NUMBER => "NUMBER: an integer, float or imaginary literal, underscores and all. Its value is computed later, by the parser.",
        STRING => "STRING: a complete string or bytes literal with its prefix and quotes. Adjacent literals are joined by the parser, not here.",
        NEWLINE => "NEWLINE ends a logical line: a statement is complete. Line breaks inside brackets or after a backslash do not produce one.",
        NL => "NL is a line break that does not end a statement: a blank line, a comment-only line, or a break inside brackets. The parser ignores it.",
        INDENT => "INDENT: this line is indented deeper than the previous one, opening a block. The tokenizer keeps a stack of indentation widths.",
        DEDENT => "DEDENT: the indentation went back to an outer level, closing one block. One DEDENT per level popped; it is zero-width and sits where the next token starts.",
        COMMENT => "COMMENT: from `#` to the end of the line. The parser never sees comments; `tokenize` reports them for tools.",
        ENDMARKER => "ENDMARKER: the end of the input. Before it, the tokenizer closes every open block with DEDENT tokens.",
        FSTRING_START | TSTRING_START => "Start of an f-string (or t-string, 3.14+): its prefix and opening quote. Since Python 3.12 (PEP 701) the tokenizer splits f-strings into parts instead of one STRING token.",
        FSTRING_MIDDLE | TSTRING_MIDDLE => "A literal part of an f-string (or of a format spec). Doubled braces `{{` / `}}` stand for single braces here.",
        FSTRING_END | TSTRING_END => "The closing quote of an f-string (or t-string).",
        LBRACE | RBRACE => "A brace: a dict or set display, or inside an f-string the start or end of a replacement field.",
        LPAR | RPAR | LSQB | RSQB => "A bracket. While brackets are open, line breaks are NL, not NEWLINE, so expressions can span lines.",
        COLON => "COLON: ends a compound statement's header (a block follows), separates a dict key from its value or slice bounds, or starts an annotation or f-string format spec.",
        COLONEQUAL => "COLONEQUAL `:=` is the walrus operator: an assignment expression (PEP 572).",
        RARROW => "RARROW `->` introduces a function's return annotation.",
        EXCLAMATION => "EXCLAMATION `!` in an f-string starts a conversion: `!r`, `!s` or `!a`.",
        ELLIPSIS => "ELLIPSIS `...`: the Ellipsis constant.",
        AT | ATEQUAL => "AT `@`: a decorator, or the matrix-multiplication operator.",
        EQUAL => "EQUAL `=`: assignment, a keyword argument, a default value, or a self-documenting `=` in an f-string.",
        COMMA => "COMMA: separates items; a trailing comma makes a one-element tuple.",
        DOT => "DOT: attribute access (`obj.name`), or part of a relative import.",
        SEMI => "SEMI `;` separates simple statements on one line.",
        ERRORTOKEN => "ERRORTOKEN: text the tokenizer could not make sense of.",
        OP => "An operator or delimiter.",
        _ => "An operator. `tokenize -e` names its exact type; plain `tokenize` calls every operator OP. The parser decides what it means from its neighbours.",
    }
}

/// What an AST node kind means.
pub fn ast_node(kind: NodeKind) -> &'static str {
    use NodeKind as K;
    match kind {
        K::Module => "Module: the whole file. Its body is the list of top-level statements.",
        K::FunctionDef => "FunctionDef: a `def` statement. Running it creates a function object from a code object compiled separately, and binds its name.",
        K::AsyncFunctionDef => "AsyncFunctionDef: an `async def` statement; calling the function makes a coroutine.",
        K::ClassDef => "ClassDef: a `class` statement. Its body runs once, in a new namespace, to build the class.",
        K::Return => "Return: leaves the function with a value (None if there is none).",
        K::Delete => "Delete: a `del` statement, unbinding names, items or attributes.",
        K::Assign => "Assign: `targets = value`. The value is computed once, then stored into each target from left to right.",
        K::AugAssign => "AugAssign: an in-place operation such as `x += 1`, which tries `__iadd__` before `__add__`.",
        K::AnnAssign => "AnnAssign: an annotated assignment `x: int = 0`. `simple` is 1 for a plain name.",
        K::TypeAlias => "TypeAlias: a `type X = …` statement (PEP 695); the value is evaluated lazily.",
        K::For => "For: a `for` loop. Compiled to GET_ITER and FOR_ITER, which the adaptive interpreter specializes for lists, ranges, tuples and generators.",
        K::AsyncFor => "AsyncFor: an `async for` loop.",
        K::While => "While: a `while` loop; its backward jump is where hot loops get noticed for tier 2.",
        K::If => "If: a conditional. `elif` is a nested If in `orelse`.",
        K::With | K::AsyncWith => "With: a context manager block; `__exit__` runs however the block ends.",
        K::WithItem => "withitem: one `expr as target` of a `with` statement.",
        K::Match => "Match: a `match` statement (PEP 634); each case is tried in order.",
        K::MatchCase => "match_case: one `case pattern if guard:` of a match statement.",
        K::Raise => "Raise: raises an exception, optionally `from` a cause.",
        K::Try | K::TryStar => "Try: a `try` statement with handlers, `else` and `finally`. Since 3.11 entering it costs nothing: handlers are found through the exception table.",
        K::ExceptHandler => "ExceptHandler: one `except` clause.",
        K::Assert => "Assert: checks a condition unless Python runs with -O.",
        K::Import | K::ImportFrom => "Import: binds modules or names from modules. `level` counts the leading dots of a relative import.",
        K::Alias => "alias: one `name as asname` in an import.",
        K::Global => "Global: these names refer to module globals inside this function.",
        K::Nonlocal => "Nonlocal: these names refer to a variable of an enclosing function (a cell).",
        K::Expr => "Expr: an expression used as a statement; its value is discarded (a docstring is one too).",
        K::Pass => "Pass: does nothing.",
        K::Break => "Break: leaves the innermost loop.",
        K::Continue => "Continue: goes to the next iteration of the innermost loop.",
        K::BoolOp => "BoolOp: `and` / `or` with short-circuit evaluation: compiled to conditional jumps, not a single operation.",
        K::NamedExpr => "NamedExpr: the walrus `target := value`.",
        K::BinOp => "BinOp: a binary operator. Compiled to BINARY_OP, which specializes to e.g. BINARY_OP_ADD_INT once it has seen the operand types.",
        K::UnaryOp => "UnaryOp: `-x`, `+x`, `~x` or `not x`. A minus sign before a number is a UnaryOp here; the compiler folds it into a constant.",
        K::Lambda => "Lambda: an anonymous function; its body is a single expression.",
        K::IfExp => "IfExp: the conditional expression `a if test else b`.",
        K::Dict => "Dict: a dict display. A `**mapping` unpacking has None as its key.",
        K::Set => "Set: a set display `{a, b}`.",
        K::ListComp | K::SetComp | K::DictComp => "A comprehension. Since 3.12 (PEP 709) it is inlined into the enclosing function instead of being a hidden function call.",
        K::GeneratorExp => "GeneratorExp: a generator expression; it still gets its own code object and runs lazily.",
        K::Comprehension => "comprehension: one `for target in iter if …` clause.",
        K::Await => "Await: suspends the coroutine until the awaitable is done.",
        K::Yield | K::YieldFrom => "Yield: makes the function a generator; each yield suspends its frame.",
        K::Compare => "Compare: one or more comparisons; `a < b < c` evaluates b once and short-circuits.",
        K::Call => "Call: a call with positional arguments and keywords. Compiled to CALL or CALL_KW, which specialize for Python functions, builtins, types and methods.",
        K::Keyword => "keyword: a `name=value` argument (or `**mapping` when `arg` is missing).",
        K::FormattedValue => "FormattedValue: a replacement field of an f-string. `conversion` is -1 (none), 115 (!s), 114 (!r) or 97 (!a).",
        K::Interpolation => "Interpolation: a replacement field of a t-string (3.14+).",
        K::JoinedStr => "JoinedStr: an f-string: literal parts and formatted values joined at run time (BUILD_STRING).",
        K::TemplateStr => "TemplateStr: a t-string (PEP 750, 3.14+), evaluating to a Template object.",
        K::Constant => "Constant: a literal value. The compiler stores it in the code object's constants (small ints use LOAD_SMALL_INT).",
        K::Attribute => "Attribute: `value.attr`. Read (ctx=Load) it compiles to LOAD_ATTR, one of the most specialized instructions (instance values, slots, methods, modules…); assigned (ctx=Store) to STORE_ATTR.",
        K::Subscript => "Subscript: `value[slice]`.",
        K::Starred => "Starred: `*value` in a call, display or assignment target.",
        K::Name => "Name: a variable. `ctx` says whether it is read (Load), written (Store) or deleted (Del); the compiler picks LOAD_FAST, LOAD_GLOBAL, LOAD_DEREF… from its scope.",
        K::List => "List: a list display `[a, b]` (or a list of assignment targets).",
        K::Tuple => "Tuple: a tuple. A tuple of constants is folded into one constant.",
        K::Slice => "Slice: `lower:upper:step` inside a subscript.",
        K::Arguments => "arguments: a function's parameters: positional-only, regular, *args, keyword-only, **kwargs, and their defaults.",
        K::Arg => "arg: one parameter, with its annotation.",
        K::MatchValue | K::MatchSingleton => "A pattern that compares against a value.",
        K::MatchSequence => "MatchSequence: a sequence pattern `[a, b, *rest]`.",
        K::MatchMapping => "MatchMapping: a mapping pattern `{\"key\": p}`.",
        K::MatchClass => "MatchClass: a class pattern `Point(x=0)`.",
        K::MatchStar => "MatchStar: `*rest` in a sequence pattern.",
        K::MatchAs => "MatchAs: a capture pattern (`name`), a wildcard (`_`) or `pattern as name`.",
        K::MatchOr => "MatchOr: alternatives `p1 | p2`.",
        _ => "A node of CPython's abstract syntax tree.",
    }
}

/// What a base (unspecialized) opcode does, in a sentence; `None` when there is no note for it.
pub fn opcode(base: &str) -> Option<&'static str> {
    Some(match base {
        "RESUME" => "RESUME marks where the frame starts or resumes (after a yield or await): it checks for pending signals and instrumentation. Specialized to RESUME_CHECK once the code is warm.",
        "NOP" => "NOP does nothing; the compiler leaves it to keep a line number.",
        "NOT_TAKEN" => "NOT_TAKEN does nothing at run time: it marks the fall-through of a conditional jump so that monitoring (sys.monitoring BRANCH events) can see which way the branch went.",
        "CACHE" => "CACHE is an inline cache entry, not an instruction.",
        "LOAD_FAST" | "LOAD_FAST_CHECK" => "Pushes a local variable (by index into co_varnames). The _CHECK form raises UnboundLocalError if it is not bound yet.",
        "LOAD_FAST_BORROW" => "Pushes a local variable as a borrowed reference (no reference count change), when the compiler can prove the local outlives the stack entry.",
        "LOAD_FAST_LOAD_FAST" | "LOAD_FAST_BORROW_LOAD_FAST_BORROW" => "Two local loads fused into one instruction: the oparg packs both indices (high 4 bits the first, low 4 bits the second).",
        "LOAD_FAST_AND_CLEAR" => "Pushes a local and clears it (used to save a variable shadowed by an inlined comprehension).",
        "LOAD_CONST" => "Pushes a constant from the code object's co_consts.",
        "LOAD_SMALL_INT" => "Pushes a small integer (0–255) whose value is the oparg itself: no constant table lookup.",
        "LOAD_COMMON_CONSTANT" => "Pushes one of a few interpreter-wide constants (None, AssertionError, NotImplementedError, builtins such as all/any/tuple…) named by the oparg.",
        "STORE_FAST" | "STORE_FAST_STORE_FAST" | "STORE_FAST_LOAD_FAST" => "Pops the top of the stack into a local variable (fused forms do two things at once).",
        "STORE_NAME" | "LOAD_NAME" | "DELETE_NAME" => "Module- and class-level variables live in a dict: *_NAME looks the name (co_names[oparg]) up in locals, then globals, then builtins.",
        "LOAD_GLOBAL" => "Pushes a global or builtin. The oparg's high bits index co_names; bit 0 also pushes NULL for a following CALL. Specializes to LOAD_GLOBAL_MODULE / LOAD_GLOBAL_BUILTIN with cached dict versions.",
        "STORE_GLOBAL" => "Pops the top of the stack into a module global.",
        "LOAD_ATTR" => "Replaces the object on top of the stack with one of its attributes. Bit 0 of the oparg means a method load (pushes the function and self for CALL). One of the most specialized instructions.",
        "STORE_ATTR" => "Sets an attribute: pops the object and the value.",
        "LOAD_DEREF" | "STORE_DEREF" | "LOAD_CLOSURE" | "MAKE_CELL" | "COPY_FREE_VARS" => "Cells and closures: variables shared between a function and the functions nested in it live in cell objects.",
        "BINARY_OP" => "Pops two operands and pushes the result of a binary operator (the oparg selects which: +, -, *, //, … and their in-place forms; 3.14+ also subscripting). Specializes for ints, floats, strings, lists…",
        "COMPARE_OP" => "Pops two operands and pushes the result of a comparison. The oparg's bits above 5 select the comparison (<, <=, ==, !=, >, >=); bit 16 converts the result to bool for a following jump.",
        "CONTAINS_OP" => "`in` / `not in` (the oparg is 1 for `not in`).",
        "IS_OP" => "`is` / `is not` (the oparg is 1 for `is not`).",
        "TO_BOOL" => "Converts the top of the stack to a bool (truth test) before a conditional jump.",
        "UNARY_NEGATIVE" | "UNARY_NOT" | "UNARY_INVERT" => "A unary operator on the top of the stack.",
        "POP_JUMP_IF_FALSE" | "POP_JUMP_IF_TRUE" | "POP_JUMP_IF_NONE" | "POP_JUMP_IF_NOT_NONE" => "Pops the top of the stack and jumps forward if it is false / true / None / not None; otherwise falls through (to a NOT_TAKEN).",
        "JUMP_FORWARD" => "Jumps forward unconditionally by oparg code units.",
        "JUMP_BACKWARD" | "JUMP_BACKWARD_NO_INTERRUPT" => "Jumps back to the start of a loop. Its counter notices hot loops: after enough iterations the tier-2 optimizer builds a trace here and replaces it with ENTER_EXECUTOR.",
        "ENTER_EXECUTOR" => "Hands control to a tier-2 executor (a micro-op trace, JIT-compiled when the JIT is on). It replaced the JUMP_BACKWARD that got hot; the oparg indexes the code object's executors.",
        "GET_ITER" => "Replaces the iterable on top of the stack with an iterator (iter()).",
        "FOR_ITER" => "Calls next() on the iterator; on exhaustion jumps to the END_FOR after the loop. Specializes for lists, tuples, ranges and generators.",
        "END_FOR" => "Ends a for loop: pops the value left by FOR_ITER when the iterator is exhausted.",
        "POP_ITER" => "Pops the exhausted iterator after a for loop.",
        "POP_TOP" => "Discards the top of the stack.",
        "PUSH_NULL" => "Pushes NULL: the empty `self` slot of a call to a plain function.",
        "COPY" | "SWAP" => "Stack shuffling: copy or swap the n-th item.",
        "CALL" => "Calls a callable with oparg positional arguments (the callable and a self-or-NULL slot sit below them). Specializes for Python functions (CALL_PY_EXACT_ARGS pushes a frame without a C call), builtins, types and methods.",
        "CALL_KW" => "A call with keyword arguments: the top of the stack is a tuple of their names.",
        "CALL_FUNCTION_EX" => "A call with *args / **kwargs.",
        "CALL_INTRINSIC_1" | "CALL_INTRINSIC_2" => "Calls a small interpreter helper named by the oparg.",
        "RETURN_VALUE" => "Returns the top of the stack to the caller, popping the frame.",
        "RETURN_GENERATOR" => "Creates the generator (or coroutine) object at the start of a generator function.",
        "YIELD_VALUE" => "Suspends the generator and yields the top of the stack.",
        "MAKE_FUNCTION" => "Builds a function object from the code object on top of the stack.",
        "SET_FUNCTION_ATTRIBUTE" => "Attaches defaults, annotations, a closure or an __annotate__ function (the oparg says which) to the function being built.",
        "BUILD_LIST" | "BUILD_TUPLE" | "BUILD_SET" | "BUILD_MAP" | "BUILD_STRING" | "BUILD_SLICE" => "Builds a collection from the oparg top-most stack items (pairs for BUILD_MAP).",
        "LIST_APPEND" | "SET_ADD" | "MAP_ADD" | "LIST_EXTEND" | "SET_UPDATE" | "DICT_UPDATE" | "DICT_MERGE" => "Adds items to a collection being built (displays, comprehensions, unpacking).",
        "UNPACK_SEQUENCE" => "Unpacks an iterable into oparg values (tuple assignment).",
        "FORMAT_SIMPLE" | "FORMAT_WITH_SPEC" | "CONVERT_VALUE" => "f-string formatting of a replacement field.",
        "RAISE_VARARGS" => "Raises an exception (oparg: 0 re-raise, 1 raise exc, 2 raise exc from cause).",
        "PUSH_EXC_INFO" | "POP_EXCEPT" | "CHECK_EXC_MATCH" | "RERAISE" | "WITH_EXCEPT_START" => "Exception handling: handlers are found through the exception table, these instructions manage the exception being handled.",
        "IMPORT_NAME" | "IMPORT_FROM" => "Imports a module / a name from a module.",
        "EXTENDED_ARG" => "Prefix that extends the next instruction's oparg beyond 8 bits.",
        "BINARY_SLICE" => "`container[start:stop]`: pops the container and both bounds and pushes the slice (no slice object is built).",
        "STORE_SLICE" => "`container[start:stop] = value` without building a slice object.",
        "STORE_SUBSCR" => "`container[key] = value`: pops the three and stores.",
        "DELETE_SUBSCR" => "`del container[key]`.",
        "DELETE_ATTR" => "`del obj.name` (co_names[oparg]).",
        "DELETE_FAST" => "`del local`: unbinds a local variable.",
        "DELETE_DEREF" => "`del name` for a variable that lives in a cell.",
        "DELETE_GLOBAL" => "`del name` for a module global.",
        "UNPACK_EX" => "Unpacking with a starred target (`a, *rest, b = …`): the oparg packs the counts before (low byte) and after (high byte) the star.",
        "LOAD_BUILD_CLASS" => "Pushes builtins.__build_class__, which a class statement calls with the class body function, the name and the bases.",
        "LOAD_LOCALS" => "Pushes the locals dict (inside a class body, before a name lookup that may fall back to a cell).",
        "LOAD_FROM_DICT_OR_DEREF" => "Looks a name up in the dict on top of the stack (a class namespace) and falls back to a cell: how a class body reads a variable of an enclosing function.",
        "LOAD_FROM_DICT_OR_GLOBALS" => "Looks a name up in the dict on top of the stack and falls back to globals and builtins (annotation and type-parameter scopes inside classes).",
        "LOAD_SUPER_ATTR" => "`super().name` in one instruction: pops super, the class and self; bit 0 of the oparg means a method load, bit 1 a two-argument super().",
        "LOAD_SPECIAL" => "Loads a special method (__enter__, __exit__, __aenter__, __aexit__; the oparg says which) for a with statement, pushing the method and self.",
        "GET_AWAITABLE" => "Replaces the top of the stack with an awaitable (its __await__ iterator) for an await.",
        "GET_AITER" => "`async for`: calls __aiter__ on the top of the stack.",
        "GET_ANEXT" => "`async for`: pushes the awaitable of __anext__ for the next item.",
        "END_ASYNC_FOR" => "Ends an async for loop when __anext__ raises StopAsyncIteration.",
        "GET_YIELD_FROM_ITER" => "Prepares the operand of `yield from` (an iterator, or the coroutine itself).",
        "SEND" => "Sends a value into a sub-generator or awaitable (yield from / await); jumps to END_SEND when it finishes.",
        "END_SEND" => "Pops the sub-iterator left below the result of a finished yield from / await.",
        "CLEANUP_THROW" => "Handles an exception thrown into a yield from / await: StopIteration becomes the result, anything else propagates.",
        "CHECK_EG_MATCH" => "`except*`: splits the exception group into the part this handler matches and the rest.",
        "GET_LEN" => "Pushes len() of the subject (sequence patterns in match statements).",
        "MATCH_CLASS" => "A class pattern: checks isinstance and extracts the positional (__match_args__) and keyword attributes; pushes a tuple of them or None.",
        "MATCH_MAPPING" | "MATCH_SEQUENCE" => "Pushes whether the match subject is a mapping / a sequence, as a bool.",
        "MATCH_KEYS" => "A mapping pattern: pushes a tuple of the values for the pattern's keys, or None when a key is missing.",
        "EXIT_INIT_CHECK" => "Checks that __init__ returned None, in the frame the interpreter pushes for a specialized call of a class.",
        "RESERVED" => "An opcode number kept free; the compiler never emits it.",
        "INTERPRETER_EXIT" => "Leaves the interpreter loop: it ends the special frames the interpreter runs C-to-Python calls in, never ordinary code.",
        "SETUP_ANNOTATIONS" => "Creates __annotations__ in the module or class namespace (with `from __future__ import annotations`).",
        "TRACE_RECORD" => "3.15: records the instructions the interpreter executes while a tier-2 trace is being recorded.",
        "BUILD_TEMPLATE" | "BUILD_INTERPOLATION" => "t-strings (PEP 750): build the Template and its Interpolation parts.",
        "SETUP_FINALLY" | "SETUP_CLEANUP" | "SETUP_WITH" | "POP_BLOCK" | "JUMP" | "JUMP_NO_INTERRUPT" | "JUMP_IF_FALSE" | "JUMP_IF_TRUE" | "STORE_FAST_MAYBE_NULL" | "ANNOTATIONS_PLACEHOLDER" => "A pseudo instruction: the compiler uses it while generating code and replaces it (or removes it) before the code object is made.",
        _ => return None,
    })
}

/// What the oparg means, from the opcode tables and the instruction's argrepr.
pub fn oparg(
    tables: &crate::tables::Tables,
    base: &str,
    ins: &crate::bytecode::Instruction,
) -> Option<String> {
    let arg = ins.arg?;
    let info = tables.opcode_by_name(base);
    let repr = if ins.argrepr.is_empty() {
        String::new()
    } else {
        format!(" ({})", ins.argrepr)
    };
    Some(match base {
        "COMPARE_OP" => {
            let cmp = tables
                .cmp_op
                .get((arg >> 5) as usize)
                .copied()
                .unwrap_or("?");
            let to_bool = if arg & 16 != 0 {
                ", bit 16 set: the result is converted to bool"
            } else {
                ", bit 16 clear: the result is pushed as is"
            };
            format!(
                "oparg {arg}: {arg} >> 5 = {} selects `{cmp}`{to_bool}.",
                arg >> 5
            )
        }
        "BINARY_OP" => match tables.nb_ops.get(arg as usize) {
            Some((name, sym)) => format!("oparg {arg}: operator {name} (`{sym}`)."),
            None => format!("oparg {arg}{repr}."),
        },
        "LOAD_GLOBAL" | "LOAD_ATTR" => format!(
            "oparg {arg}: name index {} (co_names){repr}; bit 0 = {}.",
            arg >> 1,
            arg & 1
        ),
        "LOAD_SMALL_INT" => format!("oparg {arg}: the value pushed."),
        "CALL" => format!("oparg {arg}: number of positional arguments."),
        "CALL_KW" => format!(
            "oparg {arg}: number of arguments, keyword ones included (their names are the tuple on top)."
        ),
        "LOAD_FAST_LOAD_FAST" | "LOAD_FAST_BORROW_LOAD_FAST_BORROW" | "STORE_FAST_STORE_FAST"
        | "STORE_FAST_LOAD_FAST" => format!(
            "oparg {arg}: two local indexes packed in one byte: {arg} >> 4 = {} and {arg} & 15 = {}{repr}.",
            arg >> 4,
            arg & 15
        ),
        "SET_FUNCTION_ATTRIBUTE" => {
            let what = match arg {
                1 => "defaults (a tuple)",
                2 => "keyword-only defaults (a dict)",
                4 => "annotations (a dict)",
                8 => "the closure (a tuple of cells)",
                16 => "__annotate__ (a function, PEP 649)",
                _ => "an attribute",
            };
            format!("oparg {arg}: which attribute is set: {what}.")
        }
        "LOAD_SUPER_ATTR" => format!(
            "oparg {arg}: name index {} (co_names){repr}; bit 0 = {} (method load), bit 1 = {} (two-argument super()).",
            arg >> 2,
            arg & 1,
            (arg >> 1) & 1
        ),
        "IS_OP" | "CONTAINS_OP" => format!(
            "oparg {arg}: {}.",
            if arg == 1 { "inverted (`is not` / `not in`)" } else { "not inverted" }
        ),
        "RAISE_VARARGS" => format!(
            "oparg {arg}: {}.",
            match arg {
                0 => "re-raise the exception being handled",
                1 => "raise the exception on top",
                _ => "raise the exception with a cause (`raise … from …`)",
            }
        ),
        "UNPACK_EX" => format!(
            "oparg {arg}: {} targets before the starred one ({arg} & 255), {} after it ({arg} >> 8).",
            arg & 255,
            arg >> 8
        ),
        "RESUME" => format!(
            "oparg {arg}: {}.",
            match arg & 3 {
                0 => "the start of the function",
                1 => "after a yield",
                2 => "after a yield from",
                _ => "after an await",
            }
        ),
        "COPY" | "SWAP" => format!("oparg {arg}: the stack item counted from the top (1 = top)."),
        "LOAD_COMMON_CONSTANT" | "CALL_INTRINSIC_1" | "CALL_INTRINSIC_2" | "LOAD_SPECIAL"
        | "CONVERT_VALUE" => format!("oparg {arg}: selects{repr} from a fixed table."),
        b if b.starts_with("BUILD_") => format!("oparg {arg}: number of items."),
        _ => match info {
            Some(o) if o.has_const() => format!("oparg {arg}: index into co_consts{repr}."),
            Some(o) if o.has_local() => format!("oparg {arg}: local variable{repr}."),
            Some(o) if o.has_name() => format!("oparg {arg}: index into co_names{repr}."),
            Some(o) if o.has_jump() => format!("oparg {arg}: jump distance in code units{repr}."),
            Some(o) if o.has_free() => format!("oparg {arg}: cell / free variable{repr}."),
            _ => format!("oparg {arg}{repr}."),
        },
    })
}

/// What a tier-2 guard checks, in a phrase that completes "it checks that …"; `None` when
/// there is no note for it (a uop name without the 3.15 register suffix).
pub fn uop_check(name: &str) -> Option<&'static str> {
    Some(match name {
        "_GUARD_TOS_INT" => "the top of the stack is an int",
        "_GUARD_NOS_INT" => "the item under the top of the stack is an int",
        "_GUARD_TOS_FLOAT" => "the top of the stack is a float",
        "_GUARD_NOS_FLOAT" => "the item under the top of the stack is a float",
        "_GUARD_TOS_UNICODE" => "the top of the stack is a str",
        "_GUARD_NOS_UNICODE" => "the item under the top of the stack is a str",
        "_GUARD_TOS_LIST" => "the top of the stack is a list",
        "_GUARD_NOS_LIST" => "the item under the top of the stack is a list",
        "_GUARD_TOS_TUPLE" => "the top of the stack is a tuple",
        "_GUARD_NOS_TUPLE" => "the item under the top of the stack is a tuple",
        "_GUARD_TOS_DICT" => "the top of the stack is a dict",
        "_GUARD_NOS_DICT" => "the item under the top of the stack is a dict",
        "_GUARD_TOS_ANY_SET" => "the top of the stack is a set or frozenset",
        "_GUARD_NOS_NULL" => "the slot under the top of the stack is NULL (no self)",
        "_GUARD_TOS_OVERFLOWED" | "_GUARD_NOS_OVERFLOWED" => {
            "the int did not overflow the compact (one-digit) form the fast path assumes"
        }
        "_GUARD_TYPE_VERSION" | "_GUARD_TYPE_VERSION_AND_LOCK" | "_GUARD_TYPE_VERSION_LOCKED" => {
            "the object's class still has the version the instruction specialized for (its attributes and methods are where they were)"
        }
        "_GUARD_TYPE" => "the object's class is the one the trace recorded",
        "_CHECK_MANAGED_OBJECT_HAS_VALUES" => {
            "the instance still keeps its attributes inline (no __dict__ was made for it)"
        }
        "_GUARD_DORV_NO_DICT" => "the instance has no __dict__ of its own",
        "_GUARD_DORV_VALUES_INST_ATTR_FROM_DICT" => "the instance's attributes are still inline values",
        "_GUARD_KEYS_VERSION" => "the class's shared attribute keys have not changed",
        "_GUARD_GLOBALS_VERSION" => "the module's globals dict has the keys the instruction cached",
        "_CHECK_FUNCTION" => "the frame still runs the function (version) the trace was made in",
        "_CHECK_FUNCTION_VERSION" | "_CHECK_FUNCTION_VERSION_KW" | "_CHECK_FUNCTION_VERSION_INLINE" => {
            "the callable is the function (same version) the call specialized for"
        }
        "_CHECK_METHOD_VERSION" | "_CHECK_METHOD_VERSION_KW" => {
            "the callable is a bound method of the function the call specialized for"
        }
        "_CHECK_FUNCTION_EXACT_ARGS" => "the call passes exactly the parameters the function takes",
        "_CHECK_STACK_SPACE" | "_CHECK_STACK_SPACE_OPERAND" => {
            "the thread's frame stack has room for the inlined frames"
        }
        "_CHECK_RECURSION_REMAINING" | "_CHECK_RECURSION_LIMIT" => {
            "the recursion limit leaves room for one more frame"
        }
        "_CHECK_PEP_523" => "no custom frame evaluator (PEP 523) is installed",
        "_CHECK_VALIDITY" => {
            "the executor is still valid (no dict or class it relies on changed since it was built)"
        }
        "_CHECK_PERIODIC" | "_CHECK_PERIODIC_AT_END" => {
            "nothing is pending (signals, a GC run, a cold-executor sweep): otherwise it handles it first"
        }
        "_RESUME_CHECK" | "_TIER2_RESUME_CHECK" => {
            "no instrumentation or pending event requires leaving the trace"
        }
        "_GUARD_IS_TRUE_POP" => "the condition is True: the branch goes the way the trace assumed",
        "_GUARD_IS_FALSE_POP" => "the condition is False: the branch goes the way the trace assumed",
        "_GUARD_IS_NONE_POP" => "the value is None: the branch goes the way the trace assumed",
        "_GUARD_IS_NOT_NONE_POP" => "the value is not None: the branch goes the way the trace assumed",
        "_ITER_CHECK_RANGE" => "the iterator is a range iterator",
        "_ITER_CHECK_LIST" => "the iterator is a list iterator",
        "_ITER_CHECK_TUPLE" => "the iterator is a tuple iterator",
        "_GUARD_NOT_EXHAUSTED_RANGE" | "_GUARD_NOT_EXHAUSTED_LIST" | "_GUARD_NOT_EXHAUSTED_TUPLE" => {
            "the loop's iterator has another item (the loop goes round again)"
        }
        "_FOR_ITER_TIER_TWO" => "the iterator produced another item",
        "_GUARD_CALLABLE_LEN" => "the callable is the builtin len",
        "_GUARD_CALLABLE_TYPE_1" => "the callable is type",
        "_GUARD_CALLABLE_STR_1" => "the callable is str",
        "_GUARD_CALLABLE_TUPLE_1" => "the callable is tuple",
        "_GUARD_BINARY_OP_EXTEND" => "the operands still have the types BINARY_OP_EXTEND cached a function for",
        "_GUARD_IP_RETURN_VALUE" | "_GUARD_IP_YIELD_VALUE" | "_GUARD_IP_RETURN_GENERATOR" => {
            "the return goes back to the instruction the trace recorded"
        }
        "_GUARD_CODE_VERSION_RETURN_VALUE" | "_GUARD_CODE_VERSION_YIELD_VALUE" | "_GUARD_CODE_VERSION_RETURN_GENERATOR" => {
            "the frame returned to runs the code (version) the trace recorded"
        }
        "_GUARD_IP" => "the instruction pointer is where the recorded trace went next",
        "_LOCK_OBJECT" => "the object can be locked (free-threaded builds; always true otherwise)",
        _ => return None,
    })
}

/// What a tier-2 bookkeeping or exit uop does, in a sentence; `None` when there is no note.
pub fn uop(name: &str) -> Option<&'static str> {
    Some(match name {
        "_START_EXECUTOR" => "Enters the executor (the JIT's shim jumps here).",
        "_MAKE_WARM" => "Marks the executor warm, so the periodic sweep of cold executors spares it; a loop's _JUMP_TO_TOP comes back here.",
        "_SET_IP" => "Stores the instruction pointer in the frame: needed before anything that may look at it (a call, an error, a traceback).",
        "_JUMP_TO_TOP" => "Jumps back to the trace's start: the loop closed.",
        "_EXIT_TRACE" => "A side exit: back to tier 1 at its target, counting how often it is taken; once it is hot, a trace of its own starts there and the exit jumps straight into it.",
        "_DEOPT" => "Deoptimization: back to tier 1 at its target, which runs the instruction again (and may re-specialize it).",
        "_DYNAMIC_EXIT" => "An exit whose destination is only known at run time (after a return or a recorded jump): tier 1 continues wherever the frame is.",
        "_HANDLE_PENDING_AND_DEOPT" => "Handles pending events (signals, GC) and deoptimizes to tier 1.",
        "_ERROR_POP_N" => "The error path: pops what the failing uop left on the stack and lets tier 1 unwind the exception.",
        "_SPILL_OR_RELOAD" => "Moves stack items between the cached registers and memory, so the next uop finds them where its stencil expects.",
        "_PUSH_FRAME" => "Pushes the callee's frame: the trace continues inside the called function (an inlined call).",
        "_SAVE_RETURN_OFFSET" => "Records where the caller resumes after the call returns.",
        "_RETURN_VALUE" => "Returns to the caller's frame; the trace continues there.",
        "_LOAD_CONST_INLINE" => "Pushes an object the trace holds itself (a constant, or a global the optimizer proved unchanged).",
        "_LOAD_CONST_INLINE_BORROW" => "Pushes an immortal object the trace holds itself (no reference count needed).",
        "_POP_TOP_NOP" => "Pops a value known to need no reference-count work (immortal or borrowed): nothing to do.",
        "_POP_TOP_INT" | "_POP_TOP_FLOAT" | "_POP_TOP_UNICODE" => "Pops a value of a known type, freeing it the cheap way.",
        "_NOP" => "Does nothing (what the optimizer leaves of a removed uop).",
        _ => return None,
    })
}

#[cfg(test)]
mod opcode_tests {
    use crate::tables::{for_version, OpKind};
    use crate::version::PyVersion;

    /// Every instruction the compiler can emit, in both versions, has an explanation.
    #[test]
    fn every_base_and_pseudo_opcode_is_explained() {
        let mut missing = Vec::new();
        for v in [PyVersion::V3_14, PyVersion::V3_15] {
            for o in for_version(v).opcodes {
                if matches!(o.kind, OpKind::Base | OpKind::Pseudo)
                    && super::opcode(o.name).is_none()
                    && !missing.contains(&o.name)
                {
                    missing.push(o.name);
                }
            }
        }
        assert!(missing.is_empty(), "no explanation for {missing:?}");
    }
}
