//! Identifiers with non-ASCII characters, read the way CPython reads them: valid by the
//! version's Unicode tables (the scan checks that), NFKC-normalized (`ﬁ` is `fi`, `µ` is `μ`).
//!
//! rustpython-parser's own Unicode tables are not any CPython's, so it never sees such an
//! identifier: each is replaced in the text it parses by an ASCII placeholder of the same byte
//! length (offsets hold), and once the tree is built the placeholders are replaced by the
//! normalized names.

use super::{AstNode, AstValue};
use cpyviz_model::unicode::UnicodeData;
use std::collections::HashMap;

/// The placeholders of one file.
#[derive(Debug, Default, Clone)]
pub struct Hider {
    /// Original identifier → its placeholder.
    forward: HashMap<String, String>,
    /// Placeholder → the NFKC-normalized identifier.
    back: HashMap<String, String>,
}

impl Hider {
    pub fn is_empty(&self) -> bool {
        self.back.is_empty()
    }

    /// `text` with the identifiers at `idents` (byte ranges) replaced by placeholders that
    /// appear nowhere in `file` (the whole source); `None` when the placeholders of some
    /// length run out (hundreds of distinct two-byte identifiers).
    pub fn hide(
        &mut self,
        text: &str,
        idents: &[(usize, usize)],
        file: &str,
        unicode: &UnicodeData,
    ) -> Option<String> {
        if idents.is_empty() {
            return Some(text.to_string());
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for &(s, e) in idents {
            let Some(name) = text.get(s..e) else {
                continue;
            };
            out.push_str(&text[last..s]);
            let placeholder = match self.forward.get(name) {
                Some(p) => p.clone(),
                None => {
                    let p = self.fresh(e - s, file)?;
                    self.forward.insert(name.to_string(), p.clone());
                    self.back.insert(p.clone(), unicode.nfkc(name));
                    p
                }
            };
            out.push_str(&placeholder);
            last = e;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// Hides one more occurrence of a name, at `at` in `text` (the text rustpython parses),
    /// behind a placeholder of its own that reads back as that name: a repeated parameter or
    /// keyword, which rustpython refuses but `ast.parse` accepts (the compiler then reports
    /// it in CPython's words). `None` when no placeholder is left.
    pub fn hide_occurrence(
        &mut self,
        text: &mut String,
        at: usize,
        len: usize,
        file: &str,
    ) -> Option<()> {
        let name = text.get(at..at + len)?.to_string();
        let original = self.back.get(&name).cloned().unwrap_or(name);
        let p = self.fresh(len, file)?;
        text.replace_range(at..at + len, &p);
        self.back.insert(p, original);
        Some(())
    }

    /// An ASCII identifier of `len` bytes not used yet and not found in `file`.
    fn fresh(&self, len: usize, file: &str) -> Option<String> {
        const FIRST: &[u8] = b"QZXJKVWYqzxjkvwy";
        const REST: &[u8] = b"0123456789_QZXJKVWYqzxjkvwyABCDEFGHIMNOPRSTUL";
        let capacity = (1..len).try_fold(FIRST.len(), |acc, _| acc.checked_mul(REST.len()));
        let capacity = capacity.unwrap_or(usize::MAX);
        let mut n: usize = self.back.len();
        loop {
            if n >= capacity {
                return None;
            }
            let mut k = n;
            let mut p = String::with_capacity(len);
            p.push(FIRST[k % FIRST.len()] as char);
            k /= FIRST.len();
            for _ in 1..len {
                p.push(REST[k % REST.len()] as char);
                k /= REST.len();
            }
            if !self.back.contains_key(&p) && !file.contains(&p) {
                return Some(p);
            }
            n += 1;
        }
    }

    /// Puts the normalized names back in place of the placeholders in `tree` (dotted names of
    /// imports part by part).
    pub fn restore(&self, tree: &mut AstNode) {
        if self.is_empty() {
            return;
        }
        let mut stack: Vec<&mut AstValue> = tree.fields.iter_mut().collect();
        while let Some(v) = stack.pop() {
            match v {
                AstValue::Node(n) => stack.extend(n.fields.iter_mut()),
                AstValue::List(items) => stack.extend(items.iter_mut()),
                AstValue::Str(s) => {
                    if let Some(name) = self.back.get(s.as_str()) {
                        *s = name.clone();
                    } else if s.contains('.') {
                        let parts: Vec<String> = s
                            .split('.')
                            .map(|p| self.back.get(p).cloned().unwrap_or_else(|| p.to_string()))
                            .collect();
                        *s = parts.join(".");
                    }
                }
                _ => {}
            }
        }
    }
}
