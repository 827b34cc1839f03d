//! Stage 1 — tokens, exactly as CPython's `tokenize` module produces them (`python -m tokenize -e`).
//!
//! The scanner itself lives in `lexer.rs`. Entry points:
//! - [`tokenize`] — the tokens (ENCODING first) or the error `tokenize -e` reports;
//! - [`tokenize_with_warnings`] — the same plus the `SyntaxWarning` lines it writes to stderr;
//! - [`decode_for_tokenize`] — file bytes to [`Source`] by `tokenize`'s own rules
//!   (`detect_encoding`), which differ a little from `compile()`'s ([`Source::decode`]);
//! - [`dump`], [`render_error`] — the exact output text.
//!
//! `scripts/check-tokens.sh` compares `cpyviz dump tokens` with the reference CPythons.

mod lexer;

use cpyviz_model::error::PyError;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

pub use cpyviz_model::tokens::{Token, TokenKind};

/// Tokenizes `src` as `tokenize.generate_tokens` with `-e` does, ENCODING first.
///
/// On failure the error carries exactly the line and column `tokenize -e` prints.
#[allow(clippy::result_large_err)] // the signature the other stages and the capture use
pub fn tokenize(src: &Source, version: PyVersion) -> Result<Vec<Token>, PyError> {
    tokenize_with_warnings(src, version).0
}

/// [`tokenize`], plus what `python -m tokenize -e FILE` writes to stderr before its output: the
/// `SyntaxWarning`s CPython's tokenizer emits (one line each, for `\{` / `\}` in a non-raw
/// f-string or t-string). They are printed whether or not tokenizing then fails.
pub fn tokenize_with_warnings(
    src: &Source,
    version: PyVersion,
) -> (Result<Vec<Token>, PyError>, String) {
    let mut lexer = lexer::Lexer::new(src, version);
    let result = lexer.run().map_err(|e| *e);
    let mut warnings = String::new();
    for (line, brace) in &lexer.warnings {
        let msg = cpyviz_model::error::invalid_escape_message(&brace.to_string());
        warnings.push_str(&format!("<string>:{line}: SyntaxWarning: {msg}\n"));
    }
    (result.map(|()| lexer.tokens), warnings)
}

/// The tokens made before the first error, if any (the parser's error messages look at the
/// tokens around a mistake, which an error further on must not hide).
pub(crate) fn tokens_before_error(src: &Source, version: PyVersion) -> Vec<Token> {
    let mut lexer = lexer::Lexer::new(src, version);
    let _ = lexer.run();
    lexer.tokens
}

/// The text `python -m tokenize -e FILE` prints for `tokens`.
pub fn dump(tokens: &[Token], version: PyVersion) -> String {
    let mut out = String::new();
    for t in tokens {
        let range = format!("{},{}-{},{}:", t.start.0, t.start.1, t.end.0, t.end.1);
        out.push_str(&format!(
            "{:<20}{:<15}{:<15}\n",
            range,
            t.kind.name(),
            cpyviz_model::pyrepr::str_repr(&t.text, version)
        ));
    }
    out
}

/// What `python -m tokenize -e FILE` prints when tokenizing fails
/// (`FILE:LINE:COL: error: MSG`).
pub fn render_error(err: &PyError) -> String {
    match (err.lineno, err.offset) {
        (Some(l), Some(c)) => format!("{}:{}:{}: error: {}\n", err.filename, l, c, err.msg),
        _ => format!("{}: error: {}\n", err.filename, err.msg),
    }
}

/// Decodes a file's bytes exactly as `tokenize.tokenize` does before tokenizing: a UTF-8 BOM,
/// then `detect_encoding` (a PEP 263 cookie on line 1, or on line 2 when line 1 is blank or a
/// comment; those lines must be valid UTF-8), then the rest decoded with invalid bytes
/// replaced by U+FFFD, as CPython's tokenizer does. `Source::encoding` is the name the
/// ENCODING token shows (`tokenize` reports a BOM file as `utf-8`, a cookie as written, e.g.
/// `latin1`). `Err` is the complete stderr text `tokenize -e` prints.
///
/// This differs from [`Source::decode`] (which the other stages use, like `compile()`): the
/// `tokenize` module tolerates bytes `compile()` rejects, and rejects a few it accepts.
pub fn decode_for_tokenize(path: &str, bytes: &[u8], version: PyVersion) -> Result<Source, String> {
    let fail = |msg: String| Err(format!("{path}: error: {msg}\n"));
    let name = cpyviz_model::pyrepr::str_repr(path, version);
    let (body, bom) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let mut lines = body.split_inclusive(|&b| b == b'\n');
    let mut declared: Option<String> = None;
    for (i, line) in lines.by_ref().take(2).enumerate() {
        let Ok(text) = std::str::from_utf8(line) else {
            return fail(format!(
                "invalid or missing encoding declaration for {name}"
            ));
        };
        if let Some(cookie) = coding_cookie(text) {
            declared = Some(cookie);
            break;
        }
        let blank = text.trim_start_matches([' ', '\t', '\x0c']);
        if i == 0 && !(blank.is_empty() || blank.starts_with(['#', '\r', '\n'])) {
            break;
        }
    }
    let (encoding, latin1) = match declared {
        None => ("utf-8".to_string(), false),
        Some(cookie) => {
            let normal = normal_encoding_name(&cookie);
            let latin1 = match codec_family(&normal) {
                Some(latin1) => latin1,
                // An ASCII-compatible codec reads ASCII text as UTF-8 does.
                None if known_python_codec(&normal)
                    && !codec_key(&normal).starts_with("utf_")
                    && body.is_ascii() =>
                {
                    false
                }
                None if known_python_codec(&normal) => {
                    return fail(format!("cpyviz: cannot decode the '{normal}' encoding"));
                }
                None => return fail(format!("unknown encoding for {name}: {normal}")),
            };
            if bom && normal != "utf-8" {
                return fail(format!("encoding problem for {name}: utf-8"));
            }
            (normal, latin1)
        }
    };
    let text = if latin1 {
        body.iter().map(|&b| b as char).collect::<String>()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    if let Some(at) = text.find('\0') {
        // tokenize gives no position for a NUL on line 1, and column 0 on later lines.
        let line = 1 + text[..at].matches('\n').count();
        let msg = "source code cannot contain null bytes";
        return if line == 1 {
            fail(msg.to_string())
        } else {
            Err(format!("{path}:{line}:0: error: {msg}\n"))
        };
    }
    let mut source = Source::from_text(path, text);
    source.encoding = encoding;
    Ok(source)
}

/// The encoding a `coding[:=]` comment names (`tokenize`'s `cookie_re`), if `line` has one.
fn coding_cookie(line: &str) -> Option<String> {
    let rest = line
        .trim_start_matches([' ', '\t', '\x0c'])
        .strip_prefix('#')?;
    let mut search = rest;
    while let Some(i) = search.find("coding") {
        let after = &search[i + 6..];
        if let Some(value) = after.strip_prefix([':', '=']) {
            let value = value.trim_start_matches([' ', '\t']);
            let name: String = value
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
        search = after;
    }
    None
}

/// `tokenize._get_normal_name`.
fn normal_encoding_name(orig: &str) -> String {
    let enc: String = orig
        .chars()
        .take(12)
        .collect::<String>()
        .to_lowercase()
        .replace('_', "-");
    if enc == "utf-8" || enc.starts_with("utf-8-") {
        return "utf-8".into();
    }
    let latin = ["latin-1", "iso-8859-1", "iso-latin-1"];
    if latin.contains(&enc.as_str()) || latin.iter().any(|l| enc.starts_with(&format!("{l}-"))) {
        return "iso-8859-1".into();
    }
    orig.to_string()
}

/// Python's codec-name normalization (lowercase, spaces and hyphens to underscores).
fn codec_key(name: &str) -> String {
    name.to_lowercase().replace([' ', '-'], "_")
}

/// For a codec name Python resolves to UTF-8 (`Some(false)`) or Latin-1 (`Some(true)`).
fn codec_family(name: &str) -> Option<bool> {
    match codec_key(name).as_str() {
        "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" => Some(false),
        "iso_8859_1" | "latin_1" | "latin1" | "latin" | "l1" | "iso8859_1" | "8859" | "cp819"
        | "iso_ir_100" | "csisolatin1" | "iso_8859_1_1987" | "ibm819" | "iso_latin_1" => Some(true),
        _ => None,
    }
}

/// Common codecs CPython has but cpyviz does not decode (reported as unsupported, not as an
/// unknown encoding).
fn known_python_codec(name: &str) -> bool {
    let key = codec_key(name);
    let k = key.as_str();
    matches!(
        k,
        "ascii"
            | "us_ascii"
            | "646"
            | "utf_16"
            | "utf_32"
            | "euc_jp"
            | "shift_jis"
            | "gbk"
            | "gb2312"
            | "big5"
            | "koi8_r"
            | "mac_roman"
            | "utf_7"
    ) || k.starts_with("cp")
        || k.starts_with("iso8859")
        || k.starts_with("iso_8859")
        || k.starts_with("latin")
        || k.starts_with("windows_")
}

#[cfg(test)]
mod tests {
    //! Expected texts are what `python3.14 -m tokenize -e t.py` (identical with 3.15) printed.
    use super::*;

    fn dump_of(src: &str) -> Result<String, String> {
        let source = Source::from_text("t.py", src);
        tokenize(&source, PyVersion::V3_14)
            .map(|t| dump(&t, PyVersion::V3_14))
            .map_err(|e| render_error(&e))
    }

    fn check_ok(src: &str, expected: &str) {
        assert_eq!(dump_of(src), Ok(expected.to_string()), "source: {src:?}");
    }

    fn check_err(src: &str, expected: &str) {
        assert_eq!(dump_of(src), Err(expected.to_string()), "source: {src:?}");
    }

    fn nested_ifs(n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&" ".repeat(i));
            s.push_str("if x:\n");
        }
        s.push_str(&" ".repeat(n));
        s.push_str("pass\n");
        s
    }

    #[test]
    fn expecting_brace_names_the_brace_line_in_3_15() {
        // Both messages as printed by 3.14 and 3.15 for the same file.
        let src = Source::from_text("t.py", "x = f\"\"\"{a:\n{b\n\"\"\"\n");
        let render = |v| render_error(&tokenize(&src, v).unwrap_err());
        assert_eq!(
            render(PyVersion::V3_14),
            "t.py:3:1: error: f-string: expecting '}'\n"
        );
        assert_eq!(
            render(PyVersion::V3_15),
            "t.py:3:1: error: f-string: expecting '}' to close '{' on line 2\n"
        );
        let same_line = Source::from_text("t.py", "x = f\"{a\"\n");
        assert_eq!(
            render_error(&tokenize(&same_line, PyVersion::V3_15).unwrap_err()),
            "t.py:1:9: error: f-string: expecting '}'\n"
        );
    }

    #[test]
    fn decoding_like_tokenize() {
        let enc =
            |bytes: &[u8]| decode_for_tokenize("t.py", bytes, PyVersion::V3_14).map(|s| s.encoding);
        assert_eq!(enc(b"\xef\xbb\xbfx = 1\n"), Ok("utf-8".into()));
        assert_eq!(enc(b"# coding: latin1\nx = '\xe9'\n"), Ok("latin1".into()));
        assert_eq!(
            enc(b"\n# vim: fileencoding=Latin-1 :\n"),
            Ok("iso-8859-1".into())
        );
        assert_eq!(
            enc(b"# coding: uft-8\n"),
            Err("t.py: error: unknown encoding for 't.py': uft-8\n".into())
        );
        assert_eq!(
            enc(b"\xef\xbb\xbf#coding: utf8\n"),
            Err("t.py: error: encoding problem for 't.py': utf-8\n".into())
        );
        assert_eq!(
            enc(b"#\n\xff = 1\n"),
            Err("t.py: error: invalid or missing encoding declaration for 't.py'\n".into())
        );
        // Past the lines `detect_encoding` reads, bad bytes become U+FFFD.
        let s = decode_for_tokenize("t.py", b"x = 1\n\xff\n", PyVersion::V3_14).unwrap();
        assert_eq!(
            dump(&tokenize(&s, PyVersion::V3_14).unwrap(), PyVersion::V3_14)
                .lines()
                .nth(5),
            Some("2,0-2,1:            NAME           '\u{fffd}'            ")
        );
    }

    #[test]
    fn unmatched_brackets_are_not_tokenize_errors() {
        // `tokenize` leaves bracket matching to the parser.
        check_ok(")\n(]\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            RPAR           ')'            \n1,1-1,2:            NEWLINE        '\\n'           \n2,0-2,1:            LPAR           '('            \n2,1-2,2:            RSQB           ']'            \n2,2-2,3:            NEWLINE        '\\n'           \n3,0-3,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn spans_index_the_source_text() {
        let src = Source::from_text("t.py", "é = f\"{x}ü\"\r\ny");
        for t in tokenize(&src, PyVersion::V3_14).unwrap() {
            let s = &src.text[t.span.start as usize..t.span.end as usize];
            if t.kind != TokenKind::ENCODING {
                assert_eq!(s, t.text, "{t:?}");
            }
        }
    }

    #[test]
    fn fstring_brace_escape_warnings() {
        let src = Source::from_text("t.py", "x = f\"\\{a}\" + t\"\\}}\"\ny = rf\"\\{c}\"\n");
        let (tokens, warnings) = tokenize_with_warnings(&src, PyVersion::V3_14);
        assert!(tokens.is_ok());
        assert_eq!(
            warnings,
            "<string>:1: SyntaxWarning: \"\\{\" is an invalid escape sequence. Such sequences will not work in the future. Did you mean \"\\\\{\"? A raw string is also an option.\n\
             <string>:1: SyntaxWarning: \"\\}\" is an invalid escape sequence. Such sequences will not work in the future. Did you mean \"\\\\}\"? A raw string is also an option.\n"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let pieces = [
            "f\"", "{", "}", "\\", "\r", "\n", "é", "'''", "\"", "(", "]", "#", "\t", "\x0c", "0x",
            "1_", "t'", "{{", "!r", ":", "=", " ", "\\N{", "rb'", "😀",
        ];
        let mut seed = 12345u64;
        for _ in 0..3000 {
            let mut s = String::new();
            for _ in 0..12 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            let _ = tokenize(&Source::from_text("t.py", s), PyVersion::V3_15);
        }
    }

    #[test]
    fn dedent_positions() {
        check_ok("def f(x):\n    if x:\n        return 1\n    return 2\n\nx = 1\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,3:            NAME           'def'          \n1,4-1,5:            NAME           'f'            \n1,5-1,6:            LPAR           '('            \n1,6-1,7:            NAME           'x'            \n1,7-1,8:            RPAR           ')'            \n1,8-1,9:            COLON          ':'            \n1,9-1,10:           NEWLINE        '\\n'           \n2,0-2,4:            INDENT         '    '         \n2,4-2,6:            NAME           'if'           \n2,7-2,8:            NAME           'x'            \n2,8-2,9:            COLON          ':'            \n2,9-2,10:           NEWLINE        '\\n'           \n3,0-3,8:            INDENT         '        '     \n3,8-3,14:           NAME           'return'       \n3,15-3,16:          NUMBER         '1'            \n3,16-3,17:          NEWLINE        '\\n'           \n4,4-4,4:            DEDENT         ''             \n4,4-4,10:           NAME           'return'       \n4,11-4,12:          NUMBER         '2'            \n4,12-4,13:          NEWLINE        '\\n'           \n5,0-5,1:            NL             '\\n'           \n6,0-6,0:            DEDENT         ''             \n6,0-6,1:            NAME           'x'            \n6,2-6,3:            EQUAL          '='            \n6,4-6,5:            NUMBER         '1'            \n6,5-6,6:            NEWLINE        '\\n'           \n7,0-7,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn dedent_after_comment_lines() {
        check_ok("if x:\n    y\n# c\n  # d\nz\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,2:            NAME           'if'           \n1,3-1,4:            NAME           'x'            \n1,4-1,5:            COLON          ':'            \n1,5-1,6:            NEWLINE        '\\n'           \n2,0-2,4:            INDENT         '    '         \n2,4-2,5:            NAME           'y'            \n2,5-2,6:            NEWLINE        '\\n'           \n3,0-3,3:            COMMENT        '# c'          \n3,3-3,4:            NL             '\\n'           \n4,2-4,5:            COMMENT        '# d'          \n4,5-4,6:            NL             '\\n'           \n5,0-5,0:            DEDENT         ''             \n5,0-5,1:            NAME           'z'            \n5,1-5,2:            NEWLINE        '\\n'           \n6,0-6,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn dedents_at_eof_without_newline() {
        check_ok("class A:\n    def f(self):\n        if x:\n            return 1", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,5:            NAME           'class'        \n1,6-1,7:            NAME           'A'            \n1,7-1,8:            COLON          ':'            \n1,8-1,9:            NEWLINE        '\\n'           \n2,0-2,4:            INDENT         '    '         \n2,4-2,7:            NAME           'def'          \n2,8-2,9:            NAME           'f'            \n2,9-2,10:           LPAR           '('            \n2,10-2,14:          NAME           'self'         \n2,14-2,15:          RPAR           ')'            \n2,15-2,16:          COLON          ':'            \n2,16-2,17:          NEWLINE        '\\n'           \n3,0-3,8:            INDENT         '        '     \n3,8-3,10:           NAME           'if'           \n3,11-3,12:          NAME           'x'            \n3,12-3,13:          COLON          ':'            \n3,13-3,14:          NEWLINE        '\\n'           \n4,0-4,12:           INDENT         '            ' \n4,12-4,18:          NAME           'return'       \n4,19-4,20:          NUMBER         '1'            \n4,20-4,21:          NEWLINE        ''             \n5,0-5,0:            DEDENT         ''             \n5,0-5,0:            DEDENT         ''             \n5,0-5,0:            DEDENT         ''             \n5,0-5,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn no_trailing_newline() {
        check_ok("x = 1", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,5:            NUMBER         '1'            \n1,5-1,6:            NEWLINE        ''             \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn comment_without_newline() {
        check_ok("x\n# c", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,1-1,2:            NEWLINE        '\\n'           \n2,0-2,3:            COMMENT        '# c'          \n2,3-2,4:            NL             ''             \n3,0-3,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn whitespace_only_last_line() {
        check_ok("x\n   ", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,1-1,2:            NEWLINE        '\\n'           \n2,3-2,4:            NL             ''             \n3,0-3,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn empty_file() {
        check_ok("", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn crlf_line_endings() {
        check_ok("x = 1\r\nif x:\r\n    y = (1,\r\n  2)\r\n\r\n# c\r\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,5:            NUMBER         '1'            \n1,5-1,7:            NEWLINE        '\\r\\n'         \n2,0-2,2:            NAME           'if'           \n2,3-2,4:            NAME           'x'            \n2,4-2,5:            COLON          ':'            \n2,5-2,7:            NEWLINE        '\\r\\n'         \n3,0-3,4:            INDENT         '    '         \n3,4-3,5:            NAME           'y'            \n3,6-3,7:            EQUAL          '='            \n3,8-3,9:            LPAR           '('            \n3,9-3,10:           NUMBER         '1'            \n3,10-3,11:          COMMA          ','            \n3,11-3,13:          NL             '\\r\\n'         \n4,2-4,3:            NUMBER         '2'            \n4,3-4,4:            RPAR           ')'            \n4,4-4,6:            NEWLINE        '\\r\\n'         \n5,0-5,2:            NL             '\\r\\n'         \n6,0-6,3:            COMMENT        '# c'          \n6,3-6,5:            NL             '\\r\\n'         \n7,0-7,0:            DEDENT         ''             \n7,0-7,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn crlf_in_strings() {
        check_ok("x = \"\"\"a\r\nb\"\"\"\r\ny = \"a\\\r\nb\"\r\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-2,4:            STRING         '\"\"\"a\\r\\nb\"\"\"' \n2,4-2,6:            NEWLINE        '\\r\\n'         \n3,0-3,1:            NAME           'y'            \n3,2-3,3:            EQUAL          '='            \n3,4-4,2:            STRING         '\"a\\\\\\r\\nb\"'   \n4,2-4,4:            NEWLINE        '\\r\\n'         \n5,0-5,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn backslash_continuation() {
        check_ok("x = 1 + \\\n    2\nif x:\n    y = \\\n  3\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,5:            NUMBER         '1'            \n1,6-1,7:            PLUS           '+'            \n2,4-2,5:            NUMBER         '2'            \n2,5-2,6:            NEWLINE        '\\n'           \n3,0-3,2:            NAME           'if'           \n3,3-3,4:            NAME           'x'            \n3,4-3,5:            COLON          ':'            \n3,5-3,6:            NEWLINE        '\\n'           \n4,0-4,4:            INDENT         '    '         \n4,4-4,5:            NAME           'y'            \n4,6-4,7:            EQUAL          '='            \n5,2-5,3:            NUMBER         '3'            \n5,3-5,4:            NEWLINE        '\\n'           \n6,0-6,0:            DEDENT         ''             \n6,0-6,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn tabs_and_form_feeds() {
        check_ok("\u{c}x = 1\nif x:\n\ty\n\tif z:\n\t\tw\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,1-1,2:            NAME           'x'            \n1,3-1,4:            EQUAL          '='            \n1,5-1,6:            NUMBER         '1'            \n1,6-1,7:            NEWLINE        '\\n'           \n2,0-2,2:            NAME           'if'           \n2,3-2,4:            NAME           'x'            \n2,4-2,5:            COLON          ':'            \n2,5-2,6:            NEWLINE        '\\n'           \n3,0-3,1:            INDENT         '\\t'           \n3,1-3,2:            NAME           'y'            \n3,2-3,3:            NEWLINE        '\\n'           \n4,1-4,3:            NAME           'if'           \n4,4-4,5:            NAME           'z'            \n4,5-4,6:            COLON          ':'            \n4,6-4,7:            NEWLINE        '\\n'           \n5,0-5,2:            INDENT         '\\t\\t'         \n5,2-5,3:            NAME           'w'            \n5,3-5,4:            NEWLINE        '\\n'           \n6,0-6,0:            DEDENT         ''             \n6,0-6,0:            DEDENT         ''             \n6,0-6,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn operators_exact_types() {
        check_ok("a //= b ** c -> d := e != f ... @ g; h <> i; !j $ k\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'a'            \n1,2-1,5:            DOUBLESLASHEQUAL'//='          \n1,6-1,7:            NAME           'b'            \n1,8-1,10:           DOUBLESTAR     '**'           \n1,11-1,12:          NAME           'c'            \n1,13-1,15:          RARROW         '->'           \n1,16-1,17:          NAME           'd'            \n1,18-1,20:          COLONEQUAL     ':='           \n1,21-1,22:          NAME           'e'            \n1,23-1,25:          NOTEQUAL       '!='           \n1,26-1,27:          NAME           'f'            \n1,28-1,31:          ELLIPSIS       '...'          \n1,32-1,33:          AT             '@'            \n1,34-1,35:          NAME           'g'            \n1,35-1,36:          SEMI           ';'            \n1,37-1,38:          NAME           'h'            \n1,39-1,40:          LESS           '<'            \n1,40-1,41:          GREATER        '>'            \n1,42-1,43:          NAME           'i'            \n1,43-1,44:          SEMI           ';'            \n1,45-1,46:          EXCLAMATION    '!'            \n1,46-1,47:          NAME           'j'            \n1,48-1,49:          OP             '$'            \n1,50-1,51:          NAME           'k'            \n1,51-1,52:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn numbers() {
        check_ok("x = [0x_fF, 0o17, 0b1_0, 1., .5, 1.5e10, 1E-5, 1e+5j, 00.5, 1_0.0_1e1_0J, 0777, 1if 1else 2, 1e]\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,5:            LSQB           '['            \n1,5-1,10:           NUMBER         '0x_fF'        \n1,10-1,11:          COMMA          ','            \n1,12-1,16:          NUMBER         '0o17'         \n1,16-1,17:          COMMA          ','            \n1,18-1,23:          NUMBER         '0b1_0'        \n1,23-1,24:          COMMA          ','            \n1,25-1,27:          NUMBER         '1.'           \n1,27-1,28:          COMMA          ','            \n1,29-1,31:          NUMBER         '.5'           \n1,31-1,32:          COMMA          ','            \n1,33-1,39:          NUMBER         '1.5e10'       \n1,39-1,40:          COMMA          ','            \n1,41-1,45:          NUMBER         '1E-5'         \n1,45-1,46:          COMMA          ','            \n1,47-1,52:          NUMBER         '1e+5j'        \n1,52-1,53:          COMMA          ','            \n1,54-1,58:          NUMBER         '00.5'         \n1,58-1,59:          COMMA          ','            \n1,60-1,72:          NUMBER         '1_0.0_1e1_0J' \n1,72-1,73:          COMMA          ','            \n1,74-1,78:          NUMBER         '0777'         \n1,78-1,79:          COMMA          ','            \n1,80-1,81:          NUMBER         '1'            \n1,81-1,83:          NAME           'if'           \n1,84-1,85:          NUMBER         '1'            \n1,85-1,89:          NAME           'else'         \n1,90-1,91:          NUMBER         '2'            \n1,91-1,92:          COMMA          ','            \n1,93-1,94:          NUMBER         '1'            \n1,94-1,95:          NAME           'e'            \n1,95-1,96:          RSQB           ']'            \n1,96-1,97:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn string_prefixes() {
        check_ok("x = (rb'y' Br'z' u'w' R\"\\\"\" '''c\nd''' '\\\n' rrb'q')\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,5:            LPAR           '('            \n1,5-1,10:           STRING         \"rb'y'\"        \n1,11-1,16:          STRING         \"Br'z'\"        \n1,17-1,21:          STRING         \"u'w'\"         \n1,22-1,27:          STRING         'R\"\\\\\"\"'       \n1,28-2,4:           STRING         \"'''c\\nd'''\"   \n2,5-3,1:            STRING         \"'\\\\\\n'\"       \n3,2-3,5:            NAME           'rrb'          \n3,5-3,8:            STRING         \"'q'\"          \n3,8-3,9:            RPAR           ')'            \n3,9-3,10:           NEWLINE        '\\n'           \n4,0-4,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_escaped_braces_and_spec() {
        check_ok("x = f\"a{{b}}c{x!r:>{10}}d\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,6:            FSTRING_START  'f\"'           \n1,6-1,8:            FSTRING_MIDDLE 'a{'           \n1,9-1,11:           FSTRING_MIDDLE 'b}'           \n1,12-1,13:          FSTRING_MIDDLE 'c'            \n1,13-1,14:          LBRACE         '{'            \n1,14-1,15:          NAME           'x'            \n1,15-1,16:          EXCLAMATION    '!'            \n1,16-1,17:          NAME           'r'            \n1,17-1,18:          COLON          ':'            \n1,18-1,19:          FSTRING_MIDDLE '>'            \n1,19-1,20:          LBRACE         '{'            \n1,20-1,22:          NUMBER         '10'           \n1,22-1,23:          RBRACE         '}'            \n1,23-1,23:          FSTRING_MIDDLE ''             \n1,23-1,24:          RBRACE         '}'            \n1,24-1,25:          FSTRING_MIDDLE 'd'            \n1,25-1,26:          FSTRING_END    '\"'            \n1,26-1,27:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_nested_same_quotes() {
        check_ok("x = f\"{f\"{f\"{1}\"}\"}\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,6:            FSTRING_START  'f\"'           \n1,6-1,7:            LBRACE         '{'            \n1,7-1,9:            FSTRING_START  'f\"'           \n1,9-1,10:           LBRACE         '{'            \n1,10-1,12:          FSTRING_START  'f\"'           \n1,12-1,13:          LBRACE         '{'            \n1,13-1,14:          NUMBER         '1'            \n1,14-1,15:          RBRACE         '}'            \n1,15-1,16:          FSTRING_END    '\"'            \n1,16-1,17:          RBRACE         '}'            \n1,17-1,18:          FSTRING_END    '\"'            \n1,18-1,19:          RBRACE         '}'            \n1,19-1,20:          FSTRING_END    '\"'            \n1,20-1,21:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_triple_multiline() {
        check_ok("f\"\"\"a{{\nb}}c{x:%H\n}\"\"\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,4:            FSTRING_START  'f\"\"\"'         \n1,4-1,6:            FSTRING_MIDDLE 'a{'           \n1,7-2,2:            FSTRING_MIDDLE '\\nb}'         \n2,3-2,4:            FSTRING_MIDDLE 'c'            \n2,4-2,5:            LBRACE         '{'            \n2,5-2,6:            NAME           'x'            \n2,6-2,7:            COLON          ':'            \n2,7-3,0:            FSTRING_MIDDLE '%H\\n'         \n3,0-3,1:            RBRACE         '}'            \n3,1-3,4:            FSTRING_END    '\"\"\"'          \n3,4-3,5:            NEWLINE        '\\n'           \n4,0-4,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_debug_and_nested_spec() {
        check_ok("x = f\"{x=}{x = !r:^20}\" f\"{x:{y:{z}}}\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,6:            FSTRING_START  'f\"'           \n1,6-1,7:            LBRACE         '{'            \n1,7-1,8:            NAME           'x'            \n1,8-1,9:            EQUAL          '='            \n1,9-1,10:           RBRACE         '}'            \n1,10-1,11:          LBRACE         '{'            \n1,11-1,12:          NAME           'x'            \n1,13-1,14:          EQUAL          '='            \n1,15-1,16:          EXCLAMATION    '!'            \n1,16-1,17:          NAME           'r'            \n1,17-1,18:          COLON          ':'            \n1,18-1,21:          FSTRING_MIDDLE '^20'          \n1,21-1,22:          RBRACE         '}'            \n1,22-1,23:          FSTRING_END    '\"'            \n1,24-1,26:          FSTRING_START  'f\"'           \n1,26-1,27:          LBRACE         '{'            \n1,27-1,28:          NAME           'x'            \n1,28-1,29:          COLON          ':'            \n1,29-1,30:          LBRACE         '{'            \n1,30-1,31:          NAME           'y'            \n1,31-1,32:          COLON          ':'            \n1,32-1,33:          LBRACE         '{'            \n1,33-1,34:          NAME           'z'            \n1,34-1,35:          RBRACE         '}'            \n1,35-1,35:          FSTRING_MIDDLE ''             \n1,35-1,36:          RBRACE         '}'            \n1,36-1,36:          FSTRING_MIDDLE ''             \n1,36-1,37:          RBRACE         '}'            \n1,37-1,38:          FSTRING_END    '\"'            \n1,38-1,39:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_raw_and_named_escape() {
        check_ok("x = rf\"\\{x}\\n{{\" + f\"\\N{BULLET} {x}\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,7:            FSTRING_START  'rf\"'          \n1,7-1,8:            FSTRING_MIDDLE '\\\\'           \n1,8-1,9:            LBRACE         '{'            \n1,9-1,10:           NAME           'x'            \n1,10-1,11:          RBRACE         '}'            \n1,11-1,14:          FSTRING_MIDDLE '\\\\n{'         \n1,15-1,16:          FSTRING_END    '\"'            \n1,17-1,18:          PLUS           '+'            \n1,19-1,21:          FSTRING_START  'f\"'           \n1,21-1,31:          FSTRING_MIDDLE '\\\\N{BULLET}'  \n1,31-1,32:          FSTRING_MIDDLE ' '            \n1,32-1,33:          LBRACE         '{'            \n1,33-1,34:          NAME           'x'            \n1,34-1,35:          RBRACE         '}'            \n1,35-1,36:          FSTRING_END    '\"'            \n1,36-1,37:          NEWLINE        '\\n'           \n2,0-2,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn fstring_expression_comment() {
        check_ok("x = f'''{\n  x # comment\n}'''\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,8:            FSTRING_START  \"f'''\"         \n1,8-1,9:            LBRACE         '{'            \n1,9-1,10:           NL             '\\n'           \n2,2-2,3:            NAME           'x'            \n2,4-2,13:           COMMENT        '# comment'    \n2,13-2,14:          NL             '\\n'           \n3,0-3,1:            RBRACE         '}'            \n3,1-3,4:            FSTRING_END    \"'''\"          \n3,4-3,5:            NEWLINE        '\\n'           \n4,0-4,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn tstrings() {
        check_ok("x = t\"a{x!r:>10}\" tr\"\\{x}\" t\"\"\"\n{z}\n\"\"\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'x'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,6:            TSTRING_START  't\"'           \n1,6-1,7:            TSTRING_MIDDLE 'a'            \n1,7-1,8:            LBRACE         '{'            \n1,8-1,9:            NAME           'x'            \n1,9-1,10:           EXCLAMATION    '!'            \n1,10-1,11:          NAME           'r'            \n1,11-1,12:          COLON          ':'            \n1,12-1,15:          TSTRING_MIDDLE '>10'          \n1,15-1,16:          RBRACE         '}'            \n1,16-1,17:          TSTRING_END    '\"'            \n1,18-1,21:          TSTRING_START  'tr\"'          \n1,21-1,22:          TSTRING_MIDDLE '\\\\'           \n1,22-1,23:          LBRACE         '{'            \n1,23-1,24:          NAME           'x'            \n1,24-1,25:          RBRACE         '}'            \n1,25-1,26:          TSTRING_END    '\"'            \n1,27-1,31:          TSTRING_START  't\"\"\"'         \n1,31-2,0:           TSTRING_MIDDLE '\\n'           \n2,0-2,1:            LBRACE         '{'            \n2,1-2,2:            NAME           'z'            \n2,2-2,3:            RBRACE         '}'            \n2,3-3,0:            TSTRING_MIDDLE '\\n'           \n3,0-3,3:            TSTRING_END    '\"\"\"'          \n3,3-3,4:            NEWLINE        '\\n'           \n4,0-4,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn non_ascii_columns() {
        check_ok("é = \"ñ\"; x = f\"ü{é}ö\"  # 日本\n名前 = \"😀\" + \\\n    \"語\"\n", "0,0-0,0:            ENCODING       'utf-8'        \n1,0-1,1:            NAME           'é'            \n1,2-1,3:            EQUAL          '='            \n1,4-1,7:            STRING         '\"ñ\"'          \n1,7-1,8:            SEMI           ';'            \n1,9-1,10:           NAME           'x'            \n1,11-1,12:          EQUAL          '='            \n1,13-1,15:          FSTRING_START  'f\"'           \n1,15-1,16:          FSTRING_MIDDLE 'ü'            \n1,16-1,17:          LBRACE         '{'            \n1,17-1,18:          NAME           'é'            \n1,18-1,19:          RBRACE         '}'            \n1,19-1,20:          FSTRING_MIDDLE 'ö'            \n1,20-1,21:          FSTRING_END    '\"'            \n1,23-1,27:          COMMENT        '# 日本'         \n1,27-1,28:          NEWLINE        '\\n'           \n2,0-2,2:            NAME           '名前'           \n2,3-2,4:            EQUAL          '='            \n2,5-2,8:            STRING         '\"😀\"'          \n2,9-2,10:           PLUS           '+'            \n3,4-3,7:            STRING         '\"語\"'          \n3,7-3,8:            NEWLINE        '\\n'           \n4,0-4,0:            ENDMARKER      ''             \n");
    }

    #[test]
    fn too_many_nested_parens_200_ok() {
        let out =
            dump_of(&format!("x = {}{}\n", "(".repeat(200), ")".repeat(200))).expect("tokenizes");
        assert_eq!(out.lines().count(), 405);
        assert_eq!(
            out.lines().last(),
            Some("2,0-2,0:            ENDMARKER      ''             ")
        );
    }

    #[test]
    fn indent_99_levels_ok() {
        let out = dump_of(&nested_ifs(99)).expect("tokenizes");
        assert_eq!(out.lines().count(), 598);
        assert_eq!(
            out.lines().last(),
            Some("101,0-101,0:        ENDMARKER      ''             ")
        );
    }

    #[test]
    fn err_unterminated_string() {
        check_err(
            "x = \"abc\n",
            "t.py:1:5: error: unterminated string literal (detected at line 1)\n",
        );
    }

    #[test]
    fn err_unterminated_string_escaped_quote() {
        check_err("x = \"abc\\\"\n", "t.py:1:5: error: unterminated string literal (detected at line 1); perhaps you escaped the end quote?\n");
    }

    #[test]
    fn err_unterminated_prefixed_string() {
        check_err(
            "x = b'abc\ny\n",
            "t.py:1:5: error: unterminated string literal (detected at line 1)\n",
        );
    }

    #[test]
    fn err_unterminated_triple_quoted() {
        check_err(
            "x = '''abc\n\n",
            "t.py:1:5: error: EOF in multi-line string\n",
        );
    }

    #[test]
    fn err_unterminated_fstring() {
        check_err(
            "x = f\"abc\n",
            "t.py:1:5: error: unterminated f-string literal (detected at line 1)\n",
        );
    }

    #[test]
    fn err_unterminated_triple_fstring() {
        check_err(
            "x = f\"\"\"abc\n\n",
            "t.py:1:5: error: unterminated triple-quoted f-string literal (detected at line 2)\n",
        );
    }

    #[test]
    fn err_unterminated_tstring() {
        check_err(
            "x = t\"abc\n",
            "t.py:1:5: error: unterminated t-string literal (detected at line 1)\n",
        );
    }

    #[test]
    fn err_fstring_expecting_brace() {
        check_err(
            "x = f\"{a\"\n",
            "t.py:1:9: error: f-string: expecting '}'\n",
        );
    }

    #[test]
    fn err_fstring_single_close_brace() {
        check_err(
            "f\"}\"\n",
            "t.py:1:3: error: f-string: single '}' is not allowed\n",
        );
    }

    #[test]
    fn err_fstring_unmatched() {
        check_err("f\"{)}\"\n", "t.py:1:4: error: f-string: unmatched ')'\n");
    }

    #[test]
    fn err_fstring_nested_too_deeply() {
        check_err(
            "f\"{x:{y:{z:{w}}}}\"\n",
            "t.py:1:11: error: f-string: expressions nested too deeply\n",
        );
    }

    #[test]
    fn err_fstring_newline_in_spec() {
        check_err("f\"{x:\n}\"\n", "t.py:1:6: error: f-string: newlines are not allowed in format specifiers for single quoted f-strings\n");
    }

    #[test]
    fn err_prefixes_incompatible() {
        check_err(
            "é = ft\"a\"\n",
            "t.py:1:5: error: 'f' and 't' prefixes are incompatible\n",
        );
    }

    #[test]
    fn err_eof_in_brackets() {
        check_err(
            "x = (1,\n\n\n",
            "t.py:3:0: error: unexpected EOF in multi-line statement\n",
        );
    }

    #[test]
    fn err_eof_after_backslash() {
        check_err(
            "x = 1 \\\n  + \"é\" \\\n",
            "t.py:2:19: error: unexpected EOF in multi-line statement\n",
        );
    }

    #[test]
    fn err_char_after_backslash() {
        check_err(
            "x = 1 \\ y\n",
            "t.py:1:10: error: unexpected character after line continuation character\n",
        );
    }

    #[test]
    fn err_unindent_mismatch() {
        check_err(
            "if x:\n    y\n  z\n",
            "t.py:3:4: error: unindent does not match any outer indentation level\n",
        );
    }

    #[test]
    fn err_tabs_spaces() {
        check_err(
            "if x:\n\ty\n        z\n",
            "t.py:3:10: error: inconsistent use of tabs and spaces in indentation\n",
        );
    }

    #[test]
    fn err_invalid_decimal() {
        check_err("1_\n", "t.py:1:2: error: invalid decimal literal\n");
    }

    #[test]
    fn err_invalid_decimal_exponent() {
        check_err("1e+\n", "t.py:1:3: error: invalid decimal literal\n");
    }

    #[test]
    fn err_invalid_binary_digit() {
        check_err(
            "0b2\n",
            "t.py:1:3: error: invalid digit '2' in binary literal\n",
        );
    }

    #[test]
    fn err_invalid_octal_digit() {
        check_err(
            "0o8\n",
            "t.py:1:3: error: invalid digit '8' in octal literal\n",
        );
    }

    #[test]
    fn err_invalid_hex() {
        check_err("x = 0x\n", "t.py:1:6: error: invalid hexadecimal literal\n");
    }

    #[test]
    fn err_non_printable() {
        check_err(
            "x = \u{1}\n",
            "t.py:1:5: error: invalid non-printable character U+0001\n",
        );
    }

    #[test]
    fn err_too_many_nested_parens() {
        check_err(
            &format!("x = {}{}\n", "(".repeat(201), ")".repeat(201)),
            "t.py:1:205: error: too many nested parentheses\n",
        );
    }

    #[test]
    fn err_nesting_1000_deep() {
        check_err(
            &format!("x = {}{}\n", "[".repeat(1000), "]".repeat(1000)),
            "t.py:1:205: error: too many nested parentheses\n",
        );
    }

    #[test]
    fn err_too_many_indentation_levels() {
        check_err(
            &nested_ifs(100),
            "t.py:101:105: error: too many levels of indentation\n",
        );
    }

    #[test]
    fn err_indentation_1000_deep() {
        check_err(
            &nested_ifs(1000),
            "t.py:101:106: error: too many levels of indentation\n",
        );
    }

    #[test]
    fn err_fstrings_nested_1000_deep() {
        check_err(
            &format!("x = {}1{}\n", "f\"{".repeat(1000), "}\"".repeat(1000)),
            "t.py:1:453: error: too many nested f-strings or t-strings\n",
        );
    }
}
