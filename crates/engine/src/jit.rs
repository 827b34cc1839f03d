//! The engines' JIT stages: a capture's executors compiled by cpyviz's copy-and-patch engine
//! with the chosen stencils and memory model, checked against the real regions when recorded.

use cpyviz_jit::disasm::{disassemble, DisLine};
use cpyviz_jit::{builtin, check, compile, explain, memory, store, trace};
use cpyviz_model::capture::{Capture, Engine};
use cpyviz_model::jit::{
    jit_facts, AsmText, Destination, ExecutorJit, GroupAsm, JitBuilder, JitOptions, JitView,
    MemoryChoice, MemoryModel, PatchedHole, PlacedGroup, Region, StencilChoice, StencilSet, Target,
};
use cpyviz_model::uops::Executor;
use cpyviz_model::version::PyVersion;
use std::borrow::Cow;
use std::sync::Arc;

/// The JIT stages' builder every engine attaches to its captures.
pub struct EngineJit;

/// Attaches the JIT builder to a capture.
pub fn attach(capture: &mut Capture) {
    capture.later.jit = cpyviz_model::jit::JitCell::new(Arc::new(EngineJit));
}

impl JitBuilder for EngineJit {
    fn build(&self, capture: &Capture, options: &JitOptions) -> JitView {
        build(capture, options)
    }
}

/// The target a capture's interpreter ran on (x86-64 Linux when unknown).
pub fn capture_target(capture: &Capture) -> Target {
    capture
        .later
        .interpreter
        .as_ref()
        .and_then(|i| Target::of_platform(i.machine.as_deref().unwrap_or("x86_64"), &i.platform))
        .unwrap_or(Target::X86_64Linux)
}

/// The names of every external symbol a stencil set cpyviz knows of refers to: the live probe
/// looks their addresses up in the recorded process.
pub fn probe_symbols(version: Option<PyVersion>) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let versions: Vec<PyVersion> = version.map_or(PyVersion::ALL.to_vec(), |v| vec![v]);
    for v in versions {
        for t in Target::ALL {
            let Ok(set) = builtin::try_stencils(v, t) else {
                continue;
            };
            names.extend(set.symbols.iter().cloned());
            for g in set.groups.values().chain(set.entry.iter()) {
                for h in g.code.holes.iter().chain(&g.data.holes) {
                    names.extend(h.symbol.iter().cloned());
                }
            }
        }
    }
    if let Ok(stored) = store::list() {
        for s in stored {
            if let Ok(set) = store::load_file(&s.header) {
                names.extend(set.symbols.iter().cloned());
            }
        }
    }
    names
        .into_iter()
        .filter(|n| !n.starts_with("cpyviz_"))
        .collect()
}

fn stencils_for(
    choice: &StencilChoice,
    version: PyVersion,
    target: Target,
) -> Result<Cow<'static, StencilSet>, String> {
    let set = match choice {
        // The built-in sets are built once per process and borrowed, never copied.
        StencilChoice::Builtin => return Ok(Cow::Borrowed(builtin::try_stencils(version, target)?)),
        StencilChoice::Imported => match store::load(version, target) {
            Some(r) => r?,
            None => {
                return Err(format!(
                    "no imported stencils for CPython {} {target}: import the header a CPython JIT build leaves in its build folder with `cpyviz stencils import PATH/jit_stencils-{target}.h`",
                    version.label()
                ))
            }
        },
        StencilChoice::Path(p) => store::load_file(std::path::Path::new(p))?,
    };
    if set.version != version || set.target != target {
        return Err(format!(
            "the stencils are for CPython {} {}, but this capture needs {} {target}",
            set.version.label(),
            set.target,
            version.label()
        ));
    }
    Ok(Cow::Owned(set))
}

/// The memory model for one executor.
pub fn memory_for(
    capture: &Capture,
    ex: &Executor,
    choice: &MemoryChoice,
    version: PyVersion,
    target: Target,
) -> Result<MemoryModel, String> {
    let presets = memory::presets(version, target);
    match choice {
        MemoryChoice::Recorded => {
            let interp = capture.later.interpreter.as_ref();
            match (ex.jit_address, interp) {
                (Some(region), Some(i)) if !i.symbol_addresses.is_empty() => {
                    let base = presets.first().cloned().ok_or("no memory presets")?;
                    Ok(MemoryModel {
                        name: format!(
                            "recorded: the region, executor and {} symbol addresses of the live process",
                            i.symbol_addresses.len()
                        ),
                        region,
                        page_size: i.page_size.unwrap_or(base.page_size),
                        executor: ex.address.unwrap_or(base.executor),
                        symbols: i.symbol_addresses.clone(),
                        default_symbols: base.default_symbols,
                        recorded: true,
                    })
                }
                _ => presets
                    .into_iter()
                    .next()
                    .ok_or_else(|| "no memory presets".to_string()),
            }
        }
        MemoryChoice::Preset(name) => presets
            .iter()
            .find(|m| {
                m.name == *name
                    || preset_key(&m.name) == *name
                    || m.name.starts_with(&format!("{name} "))
                    || m.name.starts_with(&format!("{name}:"))
            })
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no memory model '{name}' (choices: recorded, {})",
                    presets
                        .iter()
                        .map(|m| preset_key(&m.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
    }
}

/// A preset's short name: the first word of its description.
pub fn preset_key(name: &str) -> String {
    // Presets are named `model "near" (…): …`.
    if let Some(key) = name
        .strip_prefix("model \"")
        .and_then(|r| r.split('"').next())
    {
        return key.to_string();
    }
    name.split([' ', ':']).next().unwrap_or(name).to_string()
}

fn no_traces_note(capture: &Capture) -> Option<String> {
    let why_jit_off = || {
        let i = capture.later.interpreter.as_ref();
        if let Some(note) = i.and_then(|i| i.jit_note.as_deref()) {
            return format!(
                "the JIT is not available ({note}): the JIT stages need a CPython 3.14 or 3.15 built with --enable-experimental-jit, run with PYTHON_JIT=1"
            );
        }
        match i.and_then(|i| i.jit_available) {
            Some(false) => "this CPython was built without the JIT: the JIT stages need a build configured with --enable-experimental-jit (Debian's python3.14/3.15 are: run them with PYTHON_JIT=1)".to_string(),
            _ if i.and_then(|i| i.jit_enabled) == Some(false) => "the JIT was off in the recorded run: run the interpreter with PYTHON_JIT=1 (cpyviz's live engine sets it when the build has a JIT)".to_string(),
            _ => "no loop in the snippet ran hot enough to be traced (3.14 and 3.15 trace a loop after about 4,000 iterations)".to_string(),
        }
    };
    match (&capture.engine, capture.executors()) {
        (Engine::Builtin, None) => {
            Some("the built-in VM ran with the JIT off (--jit off): it builds no executors".into())
        }
        (_, None) => Some("this capture holds no micro-op traces".into()),
        (_, Some(Err(e))) => Some(format!("no executors: {}", e.msg)),
        (_, Some(Ok([]))) => Some(format!("no executors: {}", why_jit_off())),
        _ => None,
    }
}

fn build(capture: &Capture, options: &JitOptions) -> JitView {
    let version = capture.version;
    let target = options.target.unwrap_or_else(|| capture_target(capture));
    let mut view = JitView {
        options: options.clone(),
        version,
        target,
        stencils: String::new(),
        stencils_are_model: true,
        memory: String::new(),
        memory_choices: std::iter::once("recorded".to_string())
            .chain(
                memory::presets(version, target)
                    .iter()
                    .map(|m| preset_key(&m.name)),
            )
            .collect(),
        note: no_traces_note(capture),
        executors: Vec::new(),
        example: worked_example(version, target),
    };
    let set = match stencils_for(&options.stencils, version, target) {
        Ok(s) => s,
        Err(e) => {
            view.note = Some(e);
            return view;
        }
    };
    view.stencils = set.label();
    view.stencils_are_model = set.is_model();
    if let MemoryChoice::Preset(name) = &options.memory {
        if !view.memory_choices.iter().any(|c| c == name) {
            view.note = Some(format!(
                "no memory model '{name}' for {target} (choices: {})",
                view.memory_choices.join(", ")
            ));
            return view;
        }
    }
    let Some(Ok(executors)) = capture.executors() else {
        return view;
    };
    let page_size = capture.later.interpreter.as_ref().and_then(|i| i.page_size);
    let recorded_target = capture_target(capture) == target;
    for ex in executors {
        let mem = memory_for(capture, ex, &options.memory, version, target);
        if view.memory.is_empty() {
            if let Ok(m) = &mem {
                view.memory = m.name.clone();
            }
        }
        let traced = trace::trace_of(ex, version);
        let trace_source = match &traced {
            Ok(t) if t.source == trace::TraceSource::Recorded => "recorded from the executor's memory",
            Ok(_) if capture.engine == Engine::Builtin => "the built-in tier 2's (a model): register variants as the optimizer picks them",
            Ok(_) => "worked out by cpyviz (the capture has no raw instructions): register variants as the optimizer picks them, operand1 unknown",
            Err(_) => "unavailable",
        };
        let region = match (mem, traced) {
            (Ok(m), Ok(t)) => compile::compile(&t.uops, &set, &m),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let (asm, trampoline_asm, slot_steps, check) = match &region {
            Ok(r) => {
                let facts = jit_facts(version, target);
                let steps = r
                    .trampoline_mask
                    .ordinals()
                    .map(|o| {
                        explain::slot_steps(
                            &r.trampoline_mask,
                            o,
                            r.base + r.layout.trampolines.start as u64,
                            facts.trampoline_size,
                        )
                    })
                    .collect();
                let check = (recorded_target && ex.jit_code.is_some())
                    .then(|| check::check(ex, r, page_size, !set.is_model()));
                (group_asm(r), trampoline_asm(r), steps, check)
            }
            Err(_) => (Vec::new(), Vec::new(), Vec::new(), None),
        };
        view.executors.push(ExecutorJit {
            qualname: ex.qualname.clone(),
            offset: ex.offset,
            trace_source: trace_source.to_string(),
            region,
            asm,
            trampoline_asm,
            slot_steps,
            check,
        });
    }
    if recorded_target && jit_facts(version, target).trace_got {
        got_order_findings(&mut view, executors, target);
    }
    view
}

/// The trace GOT's slots stand in `symbols_map` ordinal order, and a build numbers its symbols
/// once: so the symbols two executors of one process both load stand in the same order in both
/// GOTs. Checked on the recorded regions (no stencils needed), one finding per executor.
fn got_order_findings(view: &mut JitView, executors: &[Executor], target: Target) {
    let gots: Vec<Vec<String>> = executors
        .iter()
        .map(|e| {
            check::real_layout(e, target.arch())
                .map(|l| l.got.into_iter().filter_map(|g| g.2).collect())
                .unwrap_or_default()
        })
        .collect();
    for (i, ej) in view.executors.iter_mut().enumerate() {
        let Some(check) = ej.check.as_mut() else {
            continue;
        };
        let mine = &gots[i];
        let mut compared = 0;
        let mut clash = None;
        for (j, other) in gots.iter().enumerate() {
            if j == i {
                continue;
            }
            let pos: std::collections::HashMap<&str, usize> = other
                .iter()
                .enumerate()
                .map(|(k, n)| (n.as_str(), k))
                .collect();
            let shared: Vec<usize> = mine
                .iter()
                .filter_map(|n| pos.get(n.as_str()).copied())
                .collect();
            if shared.len() >= 2 {
                compared += 1;
                if shared.windows(2).any(|w| w[0] > w[1]) && clash.is_none() {
                    clash = Some(executors[j].qualname.clone());
                }
            }
        }
        if compared == 0 {
            continue;
        }
        check.findings.push(cpyviz_model::jit::Finding {
            what: "GOT order".into(),
            predicted: "slots in symbols_map ordinal order: symbols shared with the process's other executors stand in the same order".into(),
            found: match &clash {
                None => format!("the same order as in {compared} other executor(s)"),
                Some(q) => format!("a different order than in the executor for {q}"),
            },
            agrees: clash.is_none(),
            at: None,
        });
    }
}

/// The explainer's worked example: symbols 3, 7, 15, 37 and 42 in the mask, symbol 37's slot,
/// with trampolines at a model address.
pub fn worked_example(version: PyVersion, target: Target) -> cpyviz_model::jit::SlotSteps {
    let mut mask = cpyviz_model::jit::SymbolMask::default();
    for o in [3, 7, 15, 37, 42] {
        mask.insert(o);
    }
    let size = jit_facts(version, target).trampoline_size.max(16);
    explain::slot_steps(&mask, 37, 0x7f00_0000_1000, size)
}

/// Every placed group of a region in order: the shim, the uops, `_FATAL_ERROR`.
pub fn groups(r: &Region) -> impl Iterator<Item = &PlacedGroup> {
    r.shim
        .iter()
        .chain(&r.uops)
        .chain(std::iter::once(&r.fatal_error))
}

/// The bytes a hole's patch writes (not the whole instruction around it).
fn hole_len(h: &PatchedHole) -> usize {
    use cpyviz_model::jit::PatchFn;
    match h.hole.func {
        PatchFn::P64 | PatchFn::GotSymbol => 8,
        _ => 4,
    }
}

fn to_text(
    lines: Vec<DisLine>,
    base_off: usize,
    region: &Region,
    g: &PlacedGroup,
    patched: bool,
) -> Vec<AsmText> {
    lines
        .into_iter()
        .map(|l| {
            let off = base_off + l.offset;
            let range = off..off + l.len;
            let holes: Vec<usize> = g
                .holes
                .iter()
                .enumerate()
                .filter(|(_, h)| !h.in_data && h.at < range.end && h.at + hole_len(h) > range.start)
                .map(|(i, _)| i)
                .collect();
            let destination = holes
                .iter()
                .map(|&i| &g.holes[i])
                .find(|h| h.destination != Destination::Value)
                .filter(|_| patched)
                .map(|h| h.destination.clone())
                .or_else(|| {
                    let t = l.branch_target.or(l.mem_target)?;
                    if !patched && !holes.is_empty() {
                        return None;
                    }
                    locate(region, t)
                });
            AsmText {
                offset: off,
                len: l.len,
                hex: l.hex,
                text: l.text,
                holes,
                destination,
            }
        })
        .collect()
}

/// What a region address is: a uop's start or inside it, data, a trampoline, a GOT slot.
pub fn locate(r: &Region, address: u64) -> Option<Destination> {
    let off = address.checked_sub(r.base)? as usize;
    if off >= r.bytes.len() {
        return None;
    }
    for (i, u) in r.uops.iter().enumerate() {
        if u.code.start == off {
            return Some(Destination::Uop(i));
        }
        if u.code.contains(&off) {
            return Some(Destination::InUop {
                index: i,
                offset: off - u.code.start,
            });
        }
        if u.data.contains(&off) {
            return Some(Destination::UopData {
                index: i,
                offset: off - u.data.start,
            });
        }
    }
    if r.layout.trampolines.contains(&off) {
        let size = jit_facts(r.version, r.target).trampoline_size.max(1);
        return Some(Destination::Trampoline(
            (off - r.layout.trampolines.start) / size,
        ));
    }
    if r.layout.got.contains(&off) {
        return Some(Destination::Got((off - r.layout.got.start) / 8));
    }
    Some(Destination::Other)
}

fn group_asm(r: &Region) -> Vec<GroupAsm> {
    let arch = r.target.arch();
    groups(r)
        .map(|g| {
            let addr = r.base + g.code.start as u64;
            let before = disassemble(arch, &g.code_stencil, addr);
            let after = disassemble(arch, &r.bytes[g.code.clone()], addr);
            GroupAsm {
                before: to_text(before, g.code.start, r, g, false),
                after: to_text(after, g.code.start, r, g, true),
            }
        })
        .collect()
}

fn trampoline_asm(r: &Region) -> Vec<AsmText> {
    let t = &r.layout.trampolines;
    if t.is_empty() {
        return Vec::new();
    }
    let size = jit_facts(r.version, r.target).trampoline_size.max(1);
    let mut out = Vec::new();
    // A slot is a jump through the 64-bit address stored after it: `jmp qword ptr [rip]`
    // (6 bytes) on x86-64, `ldr x8, #8; br x8` (8 bytes) on AArch64.
    let code_len = match r.target.arch() {
        cpyviz_model::jit::Arch::X86_64 => 6,
        cpyviz_model::jit::Arch::Aarch64 => 8,
    };
    for (index, slot) in (t.start..t.end).step_by(size).enumerate() {
        let code_end = (slot + code_len).min(t.end);
        for l in disassemble(
            r.target.arch(),
            &r.bytes[slot..code_end],
            r.base + slot as u64,
        ) {
            out.push(AsmText {
                offset: slot + l.offset,
                len: l.len,
                hex: l.hex,
                text: l.text,
                holes: Vec::new(),
                destination: None,
            });
        }
        if let Some(b) = r.bytes.get(code_end..code_end + 8) {
            let addr = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            let name = r.trampolines.get(index).map(|s| s.symbol.clone());
            out.push(AsmText {
                offset: code_end,
                len: 8,
                hex: b.iter().map(|x| format!("{x:02x}")).collect(),
                text: format!(".quad {addr:#x}"),
                holes: Vec::new(),
                destination: name.map(|name| Destination::Symbol { name, offset: 0 }),
            });
        }
    }
    out
}
