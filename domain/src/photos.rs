//! Photos on reports: what a file is (by its bytes, never its name), which kinds a report
//! holds and how many, the sizes made from each photo, and the position a camera wrote.
//!
//! Decoding and storing the pictures is the service's work; the decisions are here.

use crate::code::codes;

/// A report holds at most this many photos of each kind: the problem as the head saw it
/// (`before`) and the department's answer (`after`).
pub const MAX_PHOTOS_PER_KIND: usize = 5;

/// A picture larger than this (in pixels) is refused before it is decoded: a small file can
/// claim a huge picture and exhaust memory. Phones' default photos are 12 megapixels, an
/// iPhone's 24 (5712×4284, 24.5 million pixels); their 48 to 200 megapixel modes are refused.
pub const MAX_PIXELS: u64 = 25_000_000;

/// The most memory the processing of one photo may take, judged from its header before it
/// is decoded ([`crate::picture::Header::memory`]): the decoded picture, what the decoder holds
/// beside it, and the copies made to shrink it. An iPhone's 24-megapixel JPEG takes 95 MiB; a
/// 16-bit or transparent picture of as many pixels takes more and is refused. Each photo worker
/// may hold this much at once.
pub const MEMORY_BUDGET: u64 = 100 * 1024 * 1024;

/// The largest colour profile kept in an original, inflated: real profiles take a few
/// kilobytes (sRGB 3 KB, Display P3 under 1 KB), printers' tables a few hundred. A PNG's is
/// compressed, and a few kilobytes of it can inflate to a gigabyte: it is inflated no further
/// than this, and a larger one is dropped.
pub const MAX_PROFILE_BYTES: u64 = 1024 * 1024;

codes!(
    /// The formats the service accepts.
    PhotoFormat, "photo format" {
        Jpeg => "jpeg", "JPEG", "JPEG";
        Png => "png", "PNG", "PNG";
        Webp => "webp", "WebP", "WebP";
    }
);

/// What the first bytes of an upload say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Supported(PhotoFormat),
    /// HEIC/HEIF (iPhones' default): recognised, but no well-kept pure-Rust decoder exists, so
    /// the app must send JPEG (iOS converts when it shares a photo).
    Heif,
    Unknown,
}

impl PhotoFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "jpg",
            PhotoFormat::Png => "png",
            PhotoFormat::Webp => "webp",
        }
    }
}

/// Recognises a file by its signature (the "magic bytes" each format starts with).
pub fn sniff(bytes: &[u8]) -> Sniffed {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Supported(PhotoFormat::Jpeg);
    }
    if bytes.starts_with(PNG) {
        return Sniffed::Supported(PhotoFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::Supported(PhotoFormat::Webp);
    }
    // ISO base media file: a `ftyp` box whose brand names HEIF.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|known| brand == *known)
        {
            return Sniffed::Heif;
        }
    }
    Sniffed::Unknown
}

codes!(
    /// Before the work (the problem) or after it (the fix).
    PhotoKind, "photo kind" {
        Before => "before", "Trước khi xử lý", "Before the work";
        After => "after", "Sau khi xử lý", "After the work";
    }
);

codes!(
    /// The files kept of one photo.
    Variant, "photo variant" {
        /// The upload itself, its metadata removed (no re-encoding: no quality lost).
        Original => "original", "Ảnh gốc", "Original";
        /// For a phone or a desk screen.
        Screen => "screen", "Ảnh màn hình", "Screen size";
        /// For lists.
        Thumb => "thumb", "Ảnh thu nhỏ", "Thumbnail";
    }
);

impl Variant {
    /// The format a variant is stored in: the original keeps the upload's, the made
    /// versions are JPEG.
    pub fn format(self, original: PhotoFormat) -> PhotoFormat {
        match self {
            Variant::Original => original,
            Variant::Screen | Variant::Thumb => PhotoFormat::Jpeg,
        }
    }

    /// The longest side of a made variant, in pixels.
    pub fn longest_side(self) -> Option<u32> {
        match self {
            Variant::Original => None,
            Variant::Screen => Some(1600),
            Variant::Thumb => Some(320),
        }
    }
}

/// The size of a picture shrunk to fit `longest` pixels on its longest side, keeping its
/// proportions; a picture already small enough keeps its size (never enlarged).
pub fn fit_within(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let largest = width.max(height);
    if largest <= longest {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(longest) + u64::from(largest) / 2) / u64::from(largest))
            .max(1) as u32
    };
    (scale(width), scale(height))
}

/// Degrees from the EXIF form: degrees, minutes, seconds and a hemisphere letter
/// (`N`/`S` for latitude, `E`/`W` for longitude). `None` when the values make no position.
pub fn exif_degrees(dms: [f64; 3], hemisphere: &str, limit: f64) -> Option<f64> {
    let [degrees, minutes, seconds] = dms;
    if !dms.iter().all(|v| v.is_finite() && *v >= 0.0) || minutes >= 60.0 || seconds >= 60.0 {
        return None;
    }
    let value = degrees + minutes / 60.0 + seconds / 3600.0;
    let signed = match hemisphere.trim() {
        "N" | "E" => value,
        "S" | "W" => -value,
        _ => return None,
    };
    (signed.abs() <= limit).then_some(signed)
}

/// The position a camera wrote, when it makes one. Phones without a fix write 0°, 0°, which
/// is in the Gulf of Guinea and never a report's place.
pub fn camera_position(
    lat: ([f64; 3], &str),
    lon: ([f64; 3], &str),
) -> Option<crate::spatial::LatLon> {
    let lat = exif_degrees(lat.0, lat.1, 90.0)?;
    let lon = exif_degrees(lon.0, lon.1, 180.0)?;
    (lat != 0.0 || lon != 0.0).then_some(crate::spatial::LatLon { lat, lon })
}

/// Whether one more photo of this kind fits on a report that has `existing` of it.
pub fn has_room(existing: usize) -> bool {
    existing < MAX_PHOTOS_PER_KIND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\x00\x10JFIF"),
            Sniffed::Supported(PhotoFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Sniffed::Supported(PhotoFormat::Png)
        );
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Sniffed::Supported(PhotoFormat::Webp)
        );
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Sniffed::Heif);
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Sniffed::Heif);
        // A video in the same container family is not a photo.
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"), Sniffed::Unknown);
        // A name or a claimed type means nothing: a PDF is a PDF.
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Unknown);
        assert_eq!(sniff(b"GIF89a"), Sniffed::Unknown);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
        assert_eq!(sniff(b"\xFF\xD8"), Sniffed::Unknown);
    }

    #[test]
    fn sizes_shrink_to_fit_and_never_grow() {
        // A 12-megapixel phone photo, landscape and portrait.
        assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit_within(4000, 3000, 320), (320, 240));
        assert_eq!(fit_within(1080, 1920, 320), (180, 320));
        assert_eq!(fit_within(800, 600, 1600), (800, 600));
        // A panorama keeps at least one pixel across.
        assert_eq!(fit_within(20000, 10, 320), (320, 1));
    }

    #[test]
    fn camera_positions_are_read_with_their_hemisphere() {
        // Thủ Đức: 10° 51' 7.2" N, 106° 47' 24" E.
        let place = camera_position(([10.0, 51.0, 7.2], "N"), ([106.0, 47.0, 24.0], "E")).unwrap();
        assert!((place.lat - 10.852).abs() < 1e-9, "{place:?}");
        assert!((place.lon - 106.79).abs() < 1e-9, "{place:?}");
        let south_west =
            camera_position(([33.0, 52.0, 0.0], "S"), ([151.0, 12.0, 0.0], "W")).unwrap();
        assert!(south_west.lat < 0.0 && south_west.lon < 0.0);
        // No fix, a missing hemisphere, minutes out of range, beyond the pole.
        assert_eq!(
            camera_position(([0.0, 0.0, 0.0], "N"), ([0.0, 0.0, 0.0], "E")),
            None
        );
        assert_eq!(
            camera_position(([10.0, 0.0, 0.0], ""), ([106.0, 0.0, 0.0], "E")),
            None
        );
        assert_eq!(
            camera_position(([10.0, 75.0, 0.0], "N"), ([106.0, 0.0, 0.0], "E")),
            None
        );
        assert_eq!(
            camera_position(([95.0, 0.0, 0.0], "N"), ([106.0, 0.0, 0.0], "E")),
            None
        );
        assert_eq!(
            camera_position(([f64::NAN, 0.0, 0.0], "N"), ([106.0, 0.0, 0.0], "E")),
            None
        );
    }

    #[test]
    fn a_report_holds_five_photos_of_each_kind() {
        assert!(has_room(0));
        assert!(has_room(4));
        assert!(!has_room(5));
    }

    #[test]
    fn made_variants_are_jpeg() {
        assert!("large".parse::<Variant>().is_err());
        assert_eq!(Variant::Original.format(PhotoFormat::Png), PhotoFormat::Png);
        assert_eq!(Variant::Thumb.format(PhotoFormat::Png), PhotoFormat::Jpeg);
    }
}
