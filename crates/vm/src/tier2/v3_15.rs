//! CPython 3.15's tier 2 (work in progress: builds no executors yet).

use super::Installed;
use crate::frame::Frame;
use crate::Vm;

/// The 3.15 tracer's state for one run.
#[derive(Default)]
pub struct Tracer {}

impl Tracer {
    pub fn before(&mut self, _vm: &mut Vm, _frame: &Frame, _i: usize) {}

    pub fn hot_spot(&mut self, _vm: &mut Vm, _frame: &Frame, _i: usize) {}

    pub fn installed(&self) -> Vec<Installed> {
        Vec::new()
    }
}
