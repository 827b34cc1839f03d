//! The library modules written in Python: their sources (ours, in `py/`), compiled by the
//! built-in compiler for the run's version and executed as a module body, so their
//! functions and classes are Python objects to the VM and the specializer, as CPython's
//! are. Their file names are those of a standard install (`/usr/lib/python3.15/functools.py`);
//! tracebacks through them show lines of these sources.

use crate::alloc;
use crate::code::CodeRt;
use crate::dict::Dict;
use crate::frame::Frame;
use crate::value::{Data, Value};
use crate::{PyResult, Vm};
use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A library module written in Python.
pub struct PySource {
    /// The module's `__name__`.
    pub name: &'static str,
    /// Its file, relative to the library directory.
    pub file: &'static str,
    pub text: &'static str,
}

/// Every library module written in Python.
pub const SOURCES: &[PySource] = &[
    PySource {
        name: "abc",
        file: "abc.py",
        text: include_str!("py/abc.py"),
    },
    PySource {
        name: "collections.abc",
        file: "_collections_abc.py",
        text: include_str!("py/_collections_abc.py"),
    },
    PySource {
        name: "collections",
        file: "collections/__init__.py",
        text: include_str!("py/collections.py"),
    },
    PySource {
        name: "functools",
        file: "functools.py",
        text: include_str!("py/functools.py"),
    },
    PySource {
        name: "string",
        file: "string/__init__.py",
        text: include_str!("py/string.py"),
    },
    PySource {
        name: "json",
        file: "json/__init__.py",
        text: include_str!("py/json.py"),
    },
    PySource {
        name: "typing",
        file: "typing.py",
        text: include_str!("py/typing.py"),
    },
    PySource {
        name: "dataclasses",
        file: "dataclasses.py",
        text: include_str!("py/dataclasses.py"),
    },
    PySource {
        name: "heapq",
        file: "heapq.py",
        text: include_str!("py/heapq.py"),
    },
    PySource {
        name: "bisect",
        file: "bisect.py",
        text: include_str!("py/bisect.py"),
    },
    PySource {
        name: "copy",
        file: "copy.py",
        text: include_str!("py/copy.py"),
    },
    PySource {
        name: "enum",
        file: "enum.py",
        text: include_str!("py/enum.py"),
    },
    PySource {
        name: "__future__",
        file: "__future__.py",
        text: include_str!("py/__future__.py"),
    },
    PySource {
        name: "keyword",
        file: "keyword.py",
        text: include_str!("py/keyword.py"),
    },
];

/// The Python source of library module `name` (`_collections_abc` is `collections.abc`).
pub fn find(name: &str) -> Option<&'static PySource> {
    let name = match name {
        "_collections_abc" => "collections.abc",
        n => n,
    };
    SOURCES.iter().find(|s| s.name == name)
}

/// The path a library file has for version `minor` (`/usr/lib/python3.15/functools.py`).
pub fn path(minor: u32, file: &str) -> String {
    format!("/usr/lib/python3.{minor}/{file}")
}

/// The text of library file `filename` (a traceback's source lines).
pub fn library_source(filename: &str) -> Option<&'static str> {
    let rest = filename.strip_prefix("/usr/lib/python3.")?;
    let (_, file) = rest.split_once('/')?;
    SOURCES.iter().find(|s| s.file == file).map(|s| s.text)
}

/// The code object of `src` for `version` (compiled once per process).
pub fn compiled(version: PyVersion, minor: u32, src: &PySource) -> Result<CodeObject, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, CodeObject>>> = OnceLock::new();
    let file = path(minor, src.file);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(c) = cache.lock().ok().and_then(|c| c.get(&file).cloned()) {
        return Ok(c);
    }
    let source = Source::from_text(file.clone(), src.text);
    let code = cpyviz_compiler::compile_source_here(&source, version).map_err(|e| e.msg.clone())?;
    if let Ok(mut c) = cache.lock() {
        c.insert(file, code.clone());
    }
    Ok(code)
}

/// Runs library module `src` and returns its module object.
pub fn load(vm: &mut Vm, src: &'static PySource) -> PyResult<Value> {
    let code = compiled(vm.version, vm.minor, src).map_err(|e| {
        vm.exc(
            "ImportError",
            format!("cpyviz could not compile its {} module: {e}", src.name),
        )
    })?;
    let rt = CodeRt::new(&code, vm.version);
    let file = path(vm.minor, src.file);
    let mut g = Dict::new();
    g.set_str("__name__", alloc::s(src.name));
    g.set_str("__doc__", Value::None);
    g.set_str("__file__", alloc::string(file.clone()));
    g.set_str("__builtins__", Value::Obj(vm.builtins.clone()));
    let Value::Obj(globals) = alloc::dict(g) else {
        unreachable!("alloc::dict makes an object")
    };
    let module = alloc::obj_with_dict(&alloc::types().module, Data::Module(src.name.into()));
    let mut frame = Frame::new(rt, globals.clone(), Some(Value::Obj(globals.clone())));
    vm.depth += 1;
    let r = crate::eval::run_frame(vm, &mut frame);
    vm.depth -= 1;
    r?;
    if let (Data::Dict(g), Some(d)) = (&globals.data, module.obj().and_then(|o| o.dict.as_ref())) {
        let mut d = d.borrow_mut();
        for (k, v) in g.borrow().iter() {
            if let Some(name) = k.as_str() {
                d.set_str(name, v.clone());
            }
        }
    }
    Ok(module)
}

/// `_cpyviz.exec_source(source, globals)`: runs Python source text as a module body in the
/// dict `globals` (what CPython's `dataclasses` does with `exec` to make an `__init__` with
/// the fields as its parameters). The code objects are the run's own, not the snippet's.
pub fn exec_source(vm: &mut Vm, args: &[Value], _kw: crate::methods::Kw) -> PyResult {
    crate::methods::nargs(vm, "exec_source", args.len(), 2, 2)?;
    let Some(text) = args[0].as_str().map(str::to_string) else {
        return Err(vm.type_error("exec_source() source must be a string"));
    };
    let Some(globals) = args[1]
        .obj()
        .filter(|o| matches!(o.data, Data::Dict(_)))
        .cloned()
    else {
        return Err(vm.type_error("exec_source() globals must be a dict"));
    };
    vm.charge(text.len() as u64 * 16)?;
    let source = Source::from_text("<string>", text);
    let code = cpyviz_compiler::compile_source_here(&source, vm.version)
        .map_err(|e| vm.exc("SyntaxError", e.msg.clone()))?;
    let rt = CodeRt::new(&code, vm.version);
    if let Data::Dict(d) = &globals.data {
        if d.borrow().get_str("__builtins__").is_none() {
            d.borrow_mut()
                .set_str("__builtins__", Value::Obj(vm.builtins.clone()));
        }
    }
    let mut frame = Frame::new(rt, globals.clone(), Some(Value::Obj(globals)));
    vm.depth += 1;
    let r = crate::eval::run_frame(vm, &mut frame);
    vm.depth -= 1;
    r?;
    Ok(Value::None)
}
