//! Frames, laid out like CPython's `_PyInterpreterFrame`: the code, `localsplus` (locals, cells,
//! free variables), the value stack and the instruction pointer.

use crate::code::CodeRt;
use crate::value::{ObjRef, Value};
use std::rc::Rc;

/// One activation of a code object.
pub struct Frame {
    pub code: Rc<CodeRt>,
    /// Locals, then cells, then free variables; `Value::Null` = unbound.
    pub localsplus: Vec<Value>,
    pub stack: Vec<Value>,
    /// The index of the next instruction to run.
    pub ip: usize,
    /// The index of the instruction running now (`f_lasti`).
    pub lasti: usize,
    /// The globals dict object.
    pub globals: ObjRef,
    /// The locals mapping of module and class bodies (`None` for function frames).
    pub locals: Option<Value>,
    /// The function being run (for its closure and `__class__`).
    pub func: Option<Value>,
    /// The exception being handled when a generator frame was suspended.
    pub saved_exc: Option<Value>,
}

impl Frame {
    pub fn new(code: Rc<CodeRt>, globals: ObjRef, locals: Option<Value>) -> Frame {
        let n = code.localsplus.len();
        Frame {
            code,
            localsplus: vec![Value::Null; n],
            stack: Vec::with_capacity(8),
            ip: 0,
            lasti: 0,
            globals,
            locals,
            func: None,
            saved_exc: None,
        }
    }

    #[inline]
    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    #[inline]
    pub fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(Value::Null)
    }

    /// The item `n` places below the top (`peek(0)` is the top).
    #[inline]
    pub fn peek(&self, n: usize) -> &Value {
        let len = self.stack.len();
        if n < len {
            &self.stack[len - 1 - n]
        } else {
            &Value::Null
        }
    }

    /// Pops the top `n` items, in stack order.
    pub fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len().saturating_sub(n);
        self.stack.split_off(at)
    }

    /// The source line of the instruction running now.
    pub fn line(&self) -> Option<u32> {
        self.code.instrs.get(self.lasti).and_then(|i| i.line)
    }
}

/// What a C function can see of a running Python frame: its code, globals, the function it
/// runs and its first argument as it was when the frame started (for `super()`).
#[derive(Clone)]
pub struct FrameRef {
    pub code: Rc<CodeRt>,
    pub globals: ObjRef,
    pub func: Option<Value>,
    pub first_local: Value,
}

impl FrameRef {
    pub fn of(frame: &Frame) -> FrameRef {
        FrameRef {
            code: frame.code.clone(),
            globals: frame.globals.clone(),
            func: frame.func.clone(),
            first_local: frame.localsplus.first().cloned().unwrap_or(Value::Null),
        }
    }
}
