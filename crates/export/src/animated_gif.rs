//! Animated GIF writer: each frame rendered like the PNG (resvg, bundled fonts), quantized to
//! its own 256-colour palette.

use super::anim::{check_frames, Frame};
use super::png::render_pixmap;

/// NeuQuant's sampling factor (1 = best and slowest, 30 = fastest); 10 is the usual balance.
const QUANTIZE_SPEED: i32 = 10;

/// Frame delays in hundredths of a second: browsers show delays under 2 as 10, so shorter
/// frames get 2.
const MIN_DELAY: u16 = 2;

/// `frames` as an animated GIF at `scale` (the PNG's geometry times `scale`): one image per
/// frame, each with its own palette (NeuQuant through the `gif` crate), shown for its seconds
/// rounded to hundredths (at least 0.02 s), looping forever when there is more than one
/// frame. All frames must have the same size.
pub fn to_gif(frames: &[Frame], scale: f32) -> Result<Vec<u8>, String> {
    check_frames(frames)?;
    let err = |e: gif::EncodingError| format!("cannot write the GIF: {e}");
    let mut encoder: Option<gif::Encoder<Vec<u8>>> = None;
    for frame in frames {
        let pixmap = render_pixmap(&frame.buffer, &frame.options, scale, "GIF")?;
        let (w, h) = (pixmap.width(), pixmap.height());
        let (w, h) = (
            u16::try_from(w)
                .map_err(|_| format!("GIF would be {w} px wide; the limit is 65535"))?,
            u16::try_from(h)
                .map_err(|_| format!("GIF would be {h} px high; the limit is 65535"))?,
        );
        let enc = match &mut encoder {
            Some(e) => e,
            None => {
                let mut e = gif::Encoder::new(Vec::new(), w, h, &[]).map_err(err)?;
                if frames.len() > 1 {
                    e.set_repeat(gif::Repeat::Infinite).map_err(err)?;
                }
                encoder.insert(e)
            }
        };
        // The pixmap is opaque, so its premultiplied RGBA is plain RGBA.
        let mut rgba = pixmap.take();
        let mut image = gif::Frame::from_rgba_speed(w, h, &mut rgba, QUANTIZE_SPEED);
        image.delay = delay(frame.seconds);
        enc.write_frame(&image).map_err(err)?;
    }
    match encoder {
        Some(e) => e.into_inner().map_err(err),
        None => Err("an animation needs at least one frame".to_string()),
    }
}

/// A frame's delay in hundredths of a second.
fn delay(seconds: f32) -> u16 {
    let cs = (f64::from(seconds) * 100.0).round();
    (cs.min(f64::from(u16::MAX)) as u16).max(MIN_DELAY)
}
