//! Animated exports: a sequence of frames as an asciinema cast or an animated GIF.

use ratatui::buffer::Buffer;

use super::ExportOptions;

/// How long [`crate::export`] shows the one frame of a `.cast` or `.gif`, in seconds.
pub const STILL_SECONDS: f32 = 1.0;

/// One frame of an animation: a rendered screen, how to colour it, and how long it is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub buffer: Buffer,
    pub options: ExportOptions,
    /// Seconds the frame is shown before the next (finite, not negative).
    pub seconds: f32,
}

/// An animation format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnimFormat {
    /// asciinema v2 (`.cast`): [`crate::to_cast`].
    Cast,
    /// Animated GIF (`.gif`): [`crate::to_gif`].
    Gif,
}

/// Write `frames` as an animation: an asciinema cast (UTF-8; `scale` is not used) or a GIF
/// whose pixels are `scale` times the PNG geometry. The frames must be of one size, and there
/// must be at least one. The same frames always give the same bytes.
pub fn animate(frames: &[Frame], format: AnimFormat, scale: f32) -> Result<Vec<u8>, String> {
    match format {
        AnimFormat::Cast => crate::to_cast(frames).map(String::into_bytes),
        AnimFormat::Gif => crate::to_gif(frames, scale),
    }
}

/// The frames' common size in cells; an error if there are none, their sizes differ or a
/// duration is not a finite, non-negative number.
pub(crate) fn check_frames(frames: &[Frame]) -> Result<(u16, u16), String> {
    let first = frames
        .first()
        .ok_or_else(|| "an animation needs at least one frame".to_string())?;
    let area = *first.buffer.area();
    if area.width == 0 || area.height == 0 {
        return Err(format!(
            "cannot animate an empty buffer ({}x{})",
            area.width, area.height
        ));
    }
    for (i, f) in frames.iter().enumerate() {
        let a = f.buffer.area();
        if (a.width, a.height) != (area.width, area.height) {
            return Err(format!(
                "frame {} is {}x{} cells but frame 1 is {}x{}: all frames must have one size",
                i + 1,
                a.width,
                a.height,
                area.width,
                area.height
            ));
        }
        if !f.seconds.is_finite() || f.seconds < 0.0 {
            return Err(format!(
                "frame {} lasts {} seconds: a duration must be a number of seconds, 0 or more",
                i + 1,
                f.seconds
            ));
        }
    }
    Ok((area.width, area.height))
}
