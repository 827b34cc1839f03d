//! PNG writer: renders the SVG in process with resvg, using only the bundled fonts.

use std::sync::{Arc, OnceLock};

use ratatui::buffer::Buffer;
use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use super::{canvas_size, to_svg, ExportOptions, FONT_BOLD, FONT_FAMILY, FONT_REGULAR};

/// Largest PNG side we agree to render, in px.
const MAX_SIDE: f64 = 16384.0;

/// A font database holding only the two bundled DejaVu Sans Mono faces (never system fonts).
pub(super) fn font_db() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(FONT_REGULAR.to_vec());
        db.load_font_data(FONT_BOLD.to_vec());
        db.set_monospace_family(FONT_FAMILY);
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Render `buf` to PNG bytes at `scale` (1.0 = one px per SVG unit, 2.0 for retina).
pub fn to_png(buf: &Buffer, opts: &ExportOptions, scale: f32) -> Result<Vec<u8>, String> {
    render_pixmap(buf, opts, scale, "PNG")?
        .encode_png()
        .map_err(|e| format!("cannot encode the PNG: {e}"))
}

/// Render `buf` into an opaque pixmap at `scale` (the PNG's pixels; the GIF writer's frames).
/// `what` names the format in error messages.
pub(crate) fn render_pixmap(
    buf: &Buffer,
    opts: &ExportOptions,
    scale: f32,
    what: &str,
) -> Result<Pixmap, String> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(format!(
            "{what} scale must be a positive number, not {scale}"
        ));
    }
    let area = buf.area();
    if area.width == 0 || area.height == 0 {
        return Err(format!(
            "cannot export an empty buffer ({}x{}) as {what}",
            area.width, area.height
        ));
    }
    let (w, h) = canvas_size(usize::from(area.width), usize::from(area.height));
    let pw = (f64::from(w) * f64::from(scale)).ceil();
    let ph = (f64::from(h) * f64::from(scale)).ceil();
    if pw > MAX_SIDE || ph > MAX_SIDE {
        return Err(format!(
            "{what} would be {pw}x{ph} px; the limit is {MAX_SIDE} px a side (lower the scale)"
        ));
    }

    let svg = to_svg(buf, opts);
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        fontdb: font_db(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options)
        .map_err(|e| format!("cannot parse the exported SVG: {e}"))?;

    let mut pixmap = Pixmap::new(pw as u32, ph as u32)
        .ok_or_else(|| format!("cannot allocate a {pw}x{ph} px image"))?;
    let (r, g, b) = opts.default_bg;
    pixmap.fill(Color::from_rgba8(r, g, b, 255));
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}
