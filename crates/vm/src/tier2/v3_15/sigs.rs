//! Stack signatures of the uops the optimizer handles with the generated default case (the
//! `(inputs -- outputs)` of their `op(...)` definitions in CPython 3.15's `bytecodes.c`).
//! Only the shape matters: how many items are popped and pushed, and which outputs are the
//! inputs left in place. The tests check every entry against `_PyUop_num_popped`.

/// `(inputs, outputs)`, each item a name and a size expression (`""` for one item).
pub type Sig = (
    Vec<(&'static str, &'static str)>,
    Vec<(&'static str, &'static str)>,
);

const SIGS: &[(&str, &str)] = &[
    ("_NOP", "--"),
    ("_START_EXECUTOR", "--"),
    ("_MAKE_WARM", "--"),
    ("_SET_IP", "--"),
    ("_CHECK_VALIDITY", "--"),
    ("_CHECK_PERIODIC", "--"),
    ("_CHECK_PERIODIC_AT_END", "--"),
    ("_TIER2_RESUME_CHECK", "--"),
    ("_RECORD_CODE", "--"),
    ("_CHECK_RECURSION_REMAINING", "--"),
    ("_SAVE_RETURN_OFFSET", "--"),
    ("_CHECK_STACK_SPACE_OPERAND", "--"),
    ("_DYNAMIC_EXIT", "--"),
    ("_MAKE_CELL", "--"),
    ("_DELETE_FAST", "--"),
    ("_DELETE_DEREF", "--"),
    ("_DELETE_NAME", "--"),
    ("_DELETE_GLOBAL", "--"),
    ("_SETUP_ANNOTATIONS", "--"),
    ("_STORE_NAME", "v --"),
    ("_STORE_GLOBAL", "v --"),
    ("_STORE_DEREF", "v --"),
    ("_LOAD_NAME", "-- v"),
    ("_LOAD_GLOBAL", "-- res[1]"),
    ("_LOAD_DEREF", "-- value"),
    ("_LOAD_LOCALS", "-- locals"),
    ("_LOAD_BUILD_CLASS", "-- bc"),
    ("_LOAD_FROM_DICT_OR_DEREF", "class_dict_st -- value"),
    ("_LOAD_FROM_DICT_OR_GLOBALS", "mod_or_class_dict -- v"),
    ("_PUSH_TAGGED_ZERO", "-- zero"),
    ("_CHECK_MANAGED_OBJECT_HAS_VALUES", "owner -- owner"),
    ("_GUARD_DORV_VALUES_INST_ATTR_FROM_DICT", "owner -- owner"),
    ("_GUARD_KEYS_VERSION", "owner -- owner"),
    ("_GUARD_DORV_NO_DICT", "owner -- owner"),
    ("_CHECK_ATTR_METHOD_LAZY_DICT", "owner -- owner"),
    ("_LOCK_OBJECT", "value -- value"),
    ("_GUARD_TYPE", "value -- value"),
    ("_GUARD_TOS_OVERFLOWED", "value -- value"),
    ("_GUARD_TOS_NOT_NULL", "value -- value"),
    ("_GUARD_NOS_OVERFLOWED", "left, unused -- left, unused"),
    (
        "_GUARD_NOT_EXHAUSTED_RANGE",
        "iter, null_or_index -- iter, null_or_index",
    ),
    (
        "_GUARD_NOT_EXHAUSTED_LIST",
        "iter, null_or_index -- iter, null_or_index",
    ),
    (
        "_GUARD_NOT_EXHAUSTED_TUPLE",
        "iter, null_or_index -- iter, null_or_index",
    ),
    (
        "_ITER_NEXT_LIST_TIER_TWO",
        "iter, null_or_index -- iter, null_or_index, next",
    ),
    (
        "_ITER_NEXT_TUPLE",
        "iter, null_or_index -- iter, null_or_index, next",
    ),
    (
        "_FOR_ITER_TIER_TWO",
        "iter, null_or_index -- iter, null_or_index, next",
    ),
    (
        "_FOR_ITER_VIRTUAL_TIER_TWO",
        "iter, null_or_index -- iter, null_or_index, next",
    ),
    (
        "_LIST_APPEND",
        "list, unused[oparg-1], v -- list, unused[oparg-1]",
    ),
    (
        "_SET_ADD",
        "set, unused[oparg-1], v -- set, unused[oparg-1]",
    ),
    (
        "_MAP_ADD",
        "dict_st, unused[oparg-1], key, value -- dict_st, unused[oparg-1]",
    ),
    (
        "_LIST_EXTEND",
        "list_st, unused[oparg-1], iterable_st -- list_st, unused[oparg-1], i",
    ),
    ("_FORMAT_SIMPLE", "value -- res"),
    ("_FORMAT_WITH_SPEC", "value, fmt_spec -- res"),
    ("_CONVERT_VALUE", "value -- result"),
    ("_END_FOR", "value --"),
    ("_POP_ITER", "iter, index_or_null --"),
    ("_EXIT_INIT_CHECK", "should_be_none --"),
    ("_STORE_SUBSCR", "v, container, sub --"),
    ("_STORE_ATTR", "v, owner --"),
    ("_DELETE_ATTR", "owner --"),
    ("_DELETE_SUBSCR", "container, sub --"),
    ("_STORE_SLICE", "v, container, start, stop --"),
    (
        "_CALL_NON_PY_GENERAL",
        "callable, self_or_null, args[oparg] -- res",
    ),
    (
        "_CALL_KW_NON_PY",
        "callable, self_or_null, args[oparg], kwnames -- res",
    ),
    ("_IMPORT_NAME", "level, fromlist -- res"),
    ("_IMPORT_FROM", "from -- from, res"),
    ("_POP_EXCEPT", "exc_value --"),
    ("_UNARY_NEGATIVE", "value -- res, v"),
    ("_UNARY_INVERT", "value -- res, v"),
    ("_SET_FUNCTION_ATTRIBUTE", "attr_st, func_in -- func_out"),
    ("_GET_ITER_TRAD", "iterable -- iter, index_or_null"),
    (
        "_DICT_UPDATE",
        "dict, unused[oparg-1], update -- dict, unused[oparg-1], upd",
    ),
    (
        "_SET_UPDATE",
        "set, unused[oparg-1], iterable -- set, unused[oparg-1], i",
    ),
    (
        "_BUILD_INTERPOLATION",
        "value, str, format[oparg & 1] -- interpolation",
    ),
    ("_BUILD_TEMPLATE", "strings, interpolations -- template"),
];

/// The signature of `name`, if it is one of the default-case uops.
pub fn signature(name: &str) -> Option<Sig> {
    let (_, s) = SIGS.iter().find(|(n, _)| *n == name)?;
    let (ins, outs) = s.split_once("--")?;
    Some((items(ins), items(outs)))
}

fn items(s: &'static str) -> Vec<(&'static str, &'static str)> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| match x.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']')),
            None => (x, ""),
        })
        .collect()
}

/// The number of items a size expression stands for (`""`, `1`, `oparg`, `oparg-1`,
/// `oparg & 1`).
pub fn eval_size(e: &str, oparg: i64) -> i64 {
    let e = e.replace(' ', "");
    match e.as_str() {
        "" | "1" => 1,
        "oparg" => oparg,
        "oparg&1" => oparg & 1,
        _ => {
            if let Some(k) = e.strip_prefix("oparg-") {
                oparg - k.parse::<i64>().unwrap_or(0)
            } else {
                e.parse().unwrap_or(1)
            }
        }
    }
    .max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::tables::for_version;
    use cpyviz_model::version::PyVersion;

    /// Every signature pops what `_PyUop_num_popped` says, for a few opargs.
    #[test]
    fn signatures_match_num_popped() {
        let t = for_version(PyVersion::V3_15);
        for (name, _) in SIGS {
            let Some(u) = t.uop_by_name(name) else {
                panic!("{name} is not a 3.15 uop");
            };
            let (ins, outs) = signature(name).expect("parses");
            // Inputs left in place (the same name and size at the same position) are peeked.
            let kept = ins.iter().zip(&outs).take_while(|(a, b)| a == b).count();
            for oparg in [1, 2, 3] {
                let n: i64 = ins[kept..].iter().map(|(_, s)| eval_size(s, oparg)).sum();
                if let Some(p) = u.popped {
                    assert_eq!(p.eval(oparg as i32) as i64, n, "{name} oparg {oparg}");
                }
            }
        }
    }
}
