use std::path::Path;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Widget};
use resvg::tiny_skia::Pixmap;

use super::*;

const RED_BG: (u8, u8, u8) = (200, 30, 30);

/// A small screen: a bordered block with a `<&>` title, bold text with XML specials, a reversed
/// line with a wide CJK char, italic / underlined / dim / crossed-out words and a red cell.
fn sample() -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, 16, 6));
    Block::bordered()
        .title(" a<b&c ")
        .border_style(Style::default().fg(Color::Cyan))
        .render(Rect::new(0, 0, 16, 6), &mut buf);
    buf.set_string(
        1,
        1,
        "x = 1 & 2",
        Style::default()
            .fg(Color::Rgb(250, 200, 80))
            .add_modifier(Modifier::BOLD),
    );
    buf.set_string(
        1,
        2,
        "字é\"'>",
        Style::default()
            .fg(Color::Yellow)
            .bg(Color::Blue)
            .add_modifier(Modifier::REVERSED),
    );
    buf.set_string(1, 3, "it", Style::default().add_modifier(Modifier::ITALIC));
    buf.set_string(
        4,
        3,
        "ul",
        Style::default()
            .fg(Color::Indexed(82))
            .add_modifier(Modifier::UNDERLINED),
    );
    buf.set_string(7, 3, "dim", Style::default().add_modifier(Modifier::DIM));
    buf.set_string(
        11,
        3,
        "x",
        Style::default().add_modifier(Modifier::CROSSED_OUT),
    );
    buf.set_string(
        1,
        4,
        "  ",
        Style::default().bg(Color::Rgb(RED_BG.0, RED_BG.1, RED_BG.2)),
    );
    buf.set_string(4, 4, "hid", Style::default().add_modifier(Modifier::HIDDEN));
    buf
}

fn opts() -> ExportOptions {
    ExportOptions {
        default_fg: (229, 229, 229),
        default_bg: (24, 24, 24),
        title: Some("sample \"<cpyviz>\"".to_string()),
    }
}

#[test]
fn format_from_path() {
    assert_eq!(Format::from_path(Path::new("a/b.svg")), Ok(Format::Svg));
    assert_eq!(Format::from_path(Path::new("shot.PNG")), Ok(Format::Png));
    assert_eq!(Format::from_path(Path::new("x.html")), Ok(Format::Html));
    assert_eq!(Format::from_path(Path::new("x.htm")), Ok(Format::Html));
    assert_eq!(Format::from_path(Path::new("x.txt")), Ok(Format::Txt));
    assert_eq!(Format::from_path(Path::new("talk.cast")), Ok(Format::Cast));
    assert_eq!(Format::from_path(Path::new("blog.GIF")), Ok(Format::Gif));
    assert_eq!(Format::Gif.animation(), Some(AnimFormat::Gif));
    assert_eq!(Format::Png.animation(), None);
    for bad in ["x.jpg", "x", "dir.svg/x"] {
        let err = Format::from_path(Path::new(bad)).unwrap_err();
        assert!(
            err.contains(".svg, .png, .html, .txt, .cast or .gif"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn palette() {
    assert_eq!(xterm_rgb(1), (205, 0, 0));
    assert_eq!(xterm_rgb(16), (0, 0, 0));
    assert_eq!(xterm_rgb(82), (95, 255, 0));
    assert_eq!(xterm_rgb(231), (255, 255, 255));
    assert_eq!(xterm_rgb(232), (8, 8, 8));
    assert_eq!(xterm_rgb(255), (238, 238, 238));
    assert_eq!(resolve_color(Color::Reset, (1, 2, 3)), (1, 2, 3));
    assert_eq!(resolve_color(Color::Blue, (1, 2, 3)), (0, 0, 238));
}

#[test]
fn numbers_and_escapes() {
    assert_eq!(num(0.0), "0");
    assert_eq!(num(-0.0001), "0");
    assert_eq!(num(8.4287109375), "8.429");
    assert_eq!(num(16.0), "16");
    assert_eq!(escape("<a & 'b\">\u{1}"), "&lt;a &amp; &#39;b&quot;&gt; ");
}

#[test]
fn geometry() {
    assert!((CELL_WIDTH / FONT_SIZE - 0.602).abs() < 0.001);
    assert!((CELL_HEIGHT / FONT_SIZE - 1.164).abs() < 0.001);
    assert_eq!(canvas_size(16, 6), (135, 98));
    assert_eq!(canvas_size(0, 0), (0, 0));
}

#[test]
fn wide_char_covers_next_cell() {
    let grid = Grid::new(&sample(), (229, 229, 229), (24, 24, 24));
    let row = &grid.rows[2];
    assert_eq!(row[1].symbol, "字");
    assert_eq!(row[1].width, 2);
    assert_eq!(row[2].width, 0);
    assert_eq!(row[2].bg, row[1].bg);
    assert_eq!(row[3].symbol, "é");
    // REVERSED: yellow-on-blue becomes blue-on-yellow.
    assert_eq!(row[1].bg, (205, 205, 0));
    assert_eq!(row[1].text.fg, (0, 0, 238));
}

#[test]
fn box_drawing_stays_upright() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
    buf.set_string(0, 0, "─a█", Style::default().add_modifier(Modifier::ITALIC));
    let grid = Grid::new(&buf, (1, 1, 1), (2, 2, 2));
    let italic: Vec<bool> = grid.rows[0].iter().map(|c| c.text.italic).collect();
    assert_eq!(italic, [false, true, false]);
}

#[test]
fn txt_exact() {
    assert_eq!(
        to_txt(&sample()),
        "┌ a<b&c ───────┐\n\
         │x = 1 & 2     │\n\
         │字é\"'>        │\n\
         │it ul dim x   │\n\
         │              │\n\
         └──────────────┘\n"
    );
    let buf = Buffer::with_lines(["ab  ", "    "]);
    assert_eq!(to_txt(&buf), "ab\n\n");
}

#[test]
fn svg_snapshot() {
    let svg = to_svg(&sample(), &opts());
    insta::assert_snapshot!(svg);
}

#[test]
fn svg_parses() {
    let svg = to_svg(&sample(), &opts());
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default());
    assert!(tree.is_ok(), "{:?}", tree.err());
}

#[test]
fn html_snapshot() {
    let html = html::html_page(&sample(), &opts(), "/* fonts */\n");
    insta::assert_snapshot!(html);
}

#[test]
fn html_embeds_fonts() {
    let html = to_html(&sample(), &opts());
    // A TrueType file starts with 00 01 00 00.
    assert_eq!(html.matches("url(data:font/ttf;base64,AAEAAA").count(), 2);
    assert!(html.contains("font-weight: 700;"));
}

#[test]
fn deterministic() {
    let buf = sample();
    assert_eq!(to_svg(&buf, &opts()), to_svg(&buf, &opts()));
    assert_eq!(to_html(&buf, &opts()), to_html(&buf, &opts()));
    assert_eq!(to_png(&buf, &opts(), 1.0), to_png(&buf, &opts(), 1.0));
}

fn pixel(png: &[u8], x: f64, y: f64) -> (u8, u8, u8, u8) {
    let pixmap = Pixmap::decode_png(png).expect("decodes");
    let p = pixmap
        .pixel(x as u32, y as u32)
        .expect("inside")
        .demultiply();
    (p.red(), p.green(), p.blue(), p.alpha())
}

#[test]
fn png_size_and_colours() {
    let buf = sample();
    for scale in [1.0f32, 2.0] {
        let png = to_png(&buf, &opts(), scale).expect("renders");
        let pixmap = Pixmap::decode_png(&png).expect("decodes");
        let s = f64::from(scale);
        assert_eq!(pixmap.width(), (135.0 * s) as u32);
        assert_eq!(pixmap.height(), (98.0 * s) as u32);
        let at = |col: f64, row: f64| pixel(&png, col * CELL_WIDTH * s, row * CELL_HEIGHT * s);
        // Centre of the red cells (row 4, columns 1-2).
        assert_eq!(at(1.5, 4.5), (200, 30, 30, 255));
        assert_eq!(at(2.5, 4.5), (200, 30, 30, 255));
        // A default-background cell, and the canvas corner.
        assert_eq!(at(13.5, 4.5), (24, 24, 24, 255));
        // Reversed cell: yellow background (between the glyph strokes, near the top).
        assert_eq!(at(4.1, 2.08), (205, 205, 0, 255));
        // The vertical border line (cyan) runs through the whole cell height of row 4.
        for frac in [0.02, 0.5, 0.98] {
            let (r, g, b, _) = at(0.5, 4.0 + frac);
            assert!(
                g > 120 && b > 120 && r < 60,
                "border at {frac}: {r},{g},{b}"
            );
        }
    }
}

#[test]
fn png_errors() {
    let buf = sample();
    assert!(to_png(&buf, &opts(), 0.0).is_err());
    assert!(to_png(&buf, &opts(), f32::NAN).is_err());
    assert!(to_png(&buf, &opts(), 1000.0).is_err());
    assert!(to_png(&Buffer::empty(Rect::new(0, 0, 0, 3)), &opts(), 1.0).is_err());
}

#[test]
fn export_dispatch() {
    let buf = sample();
    assert_eq!(
        export(&buf, &opts(), Format::Txt).unwrap(),
        to_txt(&buf).into_bytes()
    );
    let png = export(&buf, &opts(), Format::Png).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

/// A TUI-like screen: panels with their own backgrounds, several border styles, a highlighted
/// row and a status bar, to check seams and joins.
fn panels() -> Buffer {
    use ratatui::widgets::{BorderType, Paragraph};
    let area = Rect::new(0, 0, 60, 14);
    let mut buf = Buffer::empty(area);
    Block::bordered()
        .border_type(BorderType::Rounded)
        .title(" cpyviz — bytecode ")
        .render(Rect::new(0, 0, 60, 13), &mut buf);
    let left = Rect::new(1, 1, 28, 11);
    let panel = Style::default().bg(Color::Rgb(32, 36, 48));
    Block::bordered()
        .border_type(BorderType::Thick)
        .title(" Instructions ")
        .style(panel)
        .render(left, &mut buf);
    for (i, (off, op, arg)) in [
        (0, "RESUME", "0"),
        (2, "LOAD_CONST", "1 (42)"),
        (4, "STORE_NAME", "0 (x)"),
        (6, "LOAD_NAME", "0 (x)"),
        (8, "BINARY_OP", "0 (+)"),
    ]
    .iter()
    .enumerate()
    {
        let y = 2 + i as u16;
        let row = if i == 3 {
            Style::default().bg(Color::Rgb(70, 80, 120))
        } else {
            panel
        };
        buf.set_style(Rect::new(2, y, 26, 1), row);
        buf.set_string(3, y, format!("{off:>2}"), row.fg(Color::DarkGray));
        buf.set_string(
            6,
            y,
            *op,
            row.fg(Color::LightCyan).add_modifier(Modifier::BOLD),
        );
        buf.set_string(18, y, *arg, row.fg(Color::Indexed(214)));
    }
    buf.set_string(2, 8, "├────┬──────┼─────┤", panel.fg(Color::Gray));
    buf.set_string(2, 9, "│ ab │ 字符 │ <&> │", panel.fg(Color::Gray));
    buf.set_string(2, 10, "╘════╧══════╧═════╛", panel.fg(Color::Gray));
    let right = Rect::new(29, 1, 30, 11);
    Block::bordered()
        .border_type(BorderType::Double)
        .title(" Source ")
        .style(Style::default().bg(Color::Rgb(40, 30, 30)))
        .render(right, &mut buf);
    Paragraph::new("x = 42\nprint(x + 1)  # ▲ ░▒▓█")
        .style(Style::default().fg(Color::LightYellow))
        .render(Rect::new(30, 2, 28, 3), &mut buf);
    buf.set_style(
        Rect::new(30, 5, 28, 3),
        Style::default().bg(Color::Rgb(90, 40, 40)),
    );
    buf.set_string(31, 6, "block of colour", Style::default().fg(Color::White));
    let status = Rect::new(0, 13, 60, 1);
    buf.set_style(status, Style::default().bg(Color::Blue).fg(Color::White));
    buf.set_string(
        0,
        13,
        " q quit  ←/→ step  e export",
        Style::default().add_modifier(Modifier::BOLD),
    );
    buf
}

#[test]
fn panels_render() {
    let buf = panels();
    let png = to_png(&buf, &opts(), 2.0).expect("renders");
    // Inside the highlighted row, between two words: the highlight colour, no seams.
    let s = 2.0;
    let at = |col: f64, row: f64| pixel(&png, col * CELL_WIDTH * s, row * CELL_HEIGHT * s);
    assert_eq!(at(16.5, 5.5), (70, 80, 120, 255));
    // Row boundaries between two panel-coloured rows carry the panel colour.
    for col in [5.5, 16.5, 27.5] {
        assert_eq!(at(col, 7.0), (32, 36, 48, 255), "col {col}");
    }
    assert_eq!(at(40.5, 6.0), (90, 40, 40, 255));
    assert_eq!(at(59.5, 13.5), (0, 0, 238, 255));
}

#[test]
fn escape_sequences_are_stripped() {
    assert_eq!(super::printable("a\u{1b}[31mb"), "ab");
    assert_eq!(
        super::printable("\u{1b}]8;;https://x.org\u{1b}\\link\u{1b}]8;;\u{7}"),
        "link"
    );
    assert_eq!(super::printable("a\tb\u{7f}"), "ab");
}

#[test]
fn odd_cells() {
    use ratatui::buffer::CellDiffOption;
    let mut buf = Buffer::empty(Rect::new(3, 7, 6, 1));
    buf[(3, 7)].set_symbol("").set_bg(Color::Red);
    buf[(4, 7)].set_symbol("a\u{1}");
    buf[(5, 7)]
        .set_symbol("\u{1b}]8;;https://x.org\u{1b}\\L\u{1b}]8;;\u{1b}\\")
        .set_diff_option(CellDiffOption::ForcedWidth(
            std::num::NonZeroU16::new(1).unwrap(),
        ));
    buf[(6, 7)]
        .set_symbol("q")
        .set_diff_option(CellDiffOption::Skip);
    // A wide char in the last column cannot spill out of the row.
    buf[(8, 7)].set_symbol("字");
    assert_eq!(to_txt(&buf), " aL  字\n");
    let grid = Grid::new(&buf, (1, 1, 1), (2, 2, 2));
    assert_eq!(grid.rows[0][0].bg, (205, 0, 0));
    assert!(grid.rows[0][3].hidden);
    assert_eq!(grid.rows[0][5].width, 1);
    let svg = to_svg(&buf, &opts());
    assert!(!svg.contains('\u{1b}') && !svg.contains('\u{1}'));
    assert!(to_png(&buf, &opts(), 1.0).is_ok());
}

/// Every colour and modifier combination on a larger screen: nothing panics, SVG parses, and the
/// output is stable.
#[test]
fn stress() {
    let buf = stress_buffer();
    let svg = to_svg(&buf, &opts());
    assert_eq!(svg, to_svg(&buf, &opts()));
    assert!(resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).is_ok());
    let html = html::html_page(&buf, &opts(), "");
    assert_eq!(
        html.matches("<span").count(),
        html.matches("</span>").count()
    );
    assert_eq!(to_txt(&buf).lines().count(), 24);
    let png = to_png(&buf, &opts(), 1.0).expect("renders");
    assert_eq!(png, to_png(&buf, &opts(), 1.0).unwrap());
}

fn stress_buffer() -> Buffer {
    let area = Rect::new(0, 0, 80, 24);
    let mut buf = Buffer::empty(area);
    let symbols = [
        "a", "<", "&", "\"", " ", "─", "│", "┼", "字", "🦀", "é", "e\u{301}", "█",
    ];
    let mods = [
        Modifier::BOLD,
        Modifier::DIM,
        Modifier::ITALIC,
        Modifier::UNDERLINED,
        Modifier::REVERSED,
        Modifier::HIDDEN,
        Modifier::CROSSED_OUT,
        Modifier::SLOW_BLINK,
    ];
    let mut seed: u32 = 12345;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        seed >> 8
    };
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let sym = symbols[next() as usize % symbols.len()];
            let color = |n: u32| match n % 4 {
                0 => Color::Reset,
                1 => Color::Indexed((n / 4) as u8),
                2 => Color::Rgb(n as u8, (n >> 8) as u8, (n >> 16) as u8),
                _ => Color::LightMagenta,
            };
            let mut style = Style::default().fg(color(next())).bg(color(next()));
            for m in mods {
                if next() % 5 == 0 {
                    style = style.add_modifier(m);
                }
            }
            let (nx, _) = buf.set_stringn(x, y, sym, usize::from(area.width - x), style);
            x = if nx > x { nx } else { x + 1 };
        }
    }
    buf
}

#[test]
fn only_bundled_fonts() {
    let db = png::font_db();
    let faces: Vec<(String, u16)> = db
        .faces()
        .map(|f| (f.families[0].0.clone(), f.weight.0))
        .collect();
    assert_eq!(
        faces,
        [
            (FONT_FAMILY.to_string(), 400),
            (FONT_FAMILY.to_string(), 700)
        ]
    );
}

/// Two small frames: "ab" on red, then "cd" bold on a default background with a wide char.
fn two_frames() -> Vec<Frame> {
    let mut a = Buffer::empty(Rect::new(0, 0, 4, 2));
    a.set_string(0, 0, "ab", Style::default().bg(Color::Rgb(200, 30, 30)));
    a.set_string(0, 1, "\"q\"", Style::default().fg(Color::Rgb(1, 2, 3)));
    let mut b = Buffer::empty(Rect::new(0, 0, 4, 2));
    b.set_string(
        0,
        0,
        "cd",
        Style::default().add_modifier(Modifier::BOLD | Modifier::ITALIC | Modifier::UNDERLINED),
    );
    b.set_string(
        1,
        1,
        "字",
        Style::default().add_modifier(Modifier::CROSSED_OUT),
    );
    vec![
        Frame {
            buffer: a,
            options: opts(),
            seconds: 0.5,
        },
        Frame {
            buffer: b,
            options: ExportOptions {
                title: None,
                ..opts()
            },
            seconds: 1.25,
        },
    ]
}

#[test]
fn cast_snapshot() {
    let cast = to_cast(&two_frames()).expect("writes");
    // Every line is one JSON value: the header, then [time, "o", data] events.
    assert_eq!(cast.lines().count(), 4);
    assert!(cast.ends_with("[1.75, \"o\", \"\\u001b[0m\"]\n"), "{cast}");
    insta::assert_snapshot!(cast);
}

#[test]
fn ansi_encodes_styles_once_per_change() {
    let frames = two_frames();
    let ansi = to_ansi(&frames[0].buffer, &frames[0].options);
    assert_eq!(
        ansi,
        "\x1b[1;1H\x1b[0;38;2;229;229;229;48;2;200;30;30mab\
         \x1b[0;38;2;229;229;229;48;2;24;24;24m  \x1b[0m\
         \x1b[2;1H\x1b[0;38;2;1;2;3;48;2;24;24;24m\"q\"\
         \x1b[0;38;2;229;229;229;48;2;24;24;24m \x1b[0m"
    );
    // A wide character is written once; bold, italic, underline, strike-through.
    let ansi = to_ansi(&frames[1].buffer, &frames[1].options);
    assert!(ansi.contains(";1;3;4mcd"), "{ansi}");
    assert!(ansi.contains(";9m字\x1b[0;38"), "{ansi}");
    assert_eq!(ansi.matches("字").count(), 1);
}

#[test]
fn animations_are_deterministic_and_checked() {
    let frames = two_frames();
    assert_eq!(to_cast(&frames), to_cast(&frames));
    assert_eq!(to_gif(&frames, 1.0), to_gif(&frames, 1.0));
    assert_eq!(
        animate(&frames, AnimFormat::Cast, 1.0).unwrap(),
        to_cast(&frames).unwrap().into_bytes()
    );
    assert!(to_cast(&[]).is_err());
    assert!(to_gif(&[], 1.0).is_err());
    let mut odd = frames.clone();
    odd[1].buffer = Buffer::empty(Rect::new(0, 0, 5, 2));
    let err = to_cast(&odd).unwrap_err();
    assert!(err.contains("frame 2 is 5x2"), "{err}");
    assert!(to_gif(&odd, 1.0).is_err());
    let mut bad = frames.clone();
    bad[0].seconds = f32::NAN;
    assert!(to_cast(&bad).is_err());
    bad[0].seconds = -1.0;
    assert!(to_gif(&bad, 1.0).is_err());
    assert!(to_gif(&frames, 0.0).is_err());
}

#[test]
fn gif_decodes_back() {
    let frames = two_frames();
    let bytes = to_gif(&frames, 2.0).expect("writes");
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(&bytes[..]).expect("a GIF");
    let (w, h) = canvas_size(4, 2);
    assert_eq!(
        (u32::from(decoder.width()), u32::from(decoder.height())),
        (w * 2, h * 2)
    );
    assert_eq!(decoder.repeat(), gif::Repeat::Infinite);
    let mut decoded = Vec::new();
    while let Some(frame) = decoder.read_next_frame().expect("decodes") {
        decoded.push((frame.delay, frame.width, frame.buffer.to_vec()));
    }
    assert_eq!(decoded.len(), 2);
    assert_eq!(decoded[0].0, 50);
    assert_eq!(decoded[1].0, 125);
    // The first frame's red cell (column 0, row 0) above its letter, within quantization.
    let (_, width, pixels) = &decoded[0];
    let (x, y) = (
        (0.5 * CELL_WIDTH * 2.0) as usize,
        (0.1 * CELL_HEIGHT * 2.0) as usize,
    );
    let i = 4 * (y * usize::from(*width) + x);
    let px = &pixels[i..i + 4];
    let near = |a: u8, b: u8| a.abs_diff(b) <= 6;
    assert!(
        near(px[0], 200) && near(px[1], 30) && near(px[2], 30) && px[3] == 255,
        "{px:?}"
    );
    // A one-frame GIF from `export` does not loop.
    let one = export(&frames[0].buffer, &opts(), Format::Gif).unwrap();
    let decoder = gif::DecodeOptions::new().read_info(&one[..]).unwrap();
    assert_eq!(decoder.repeat(), gif::Repeat::Finite(0));
    let cast = export(&frames[0].buffer, &opts(), Format::Cast).unwrap();
    assert!(String::from_utf8(cast)
        .unwrap()
        .starts_with("{\"version\": 2, \"width\": 4"));
}
