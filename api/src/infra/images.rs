//! Photo files: turning an upload into what is kept (the original without its metadata, a
//! screen-size and a thumbnail version).
//!
//! Processing is CPU work of a hundred milliseconds or more; [`Processor`] runs it on the
//! blocking pool, a few at a time, so that uploads never hold up the threads that answer
//! everything else.

use bytes::Bytes;
use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageReader, RgbImage};
use sos_domain::photos::{self, PhotoFormat, Sniffed, Variant};
use sos_domain::picture::{self, Header, Unfit};
use sos_domain::spatial::LatLon;
use std::io::Cursor;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// JPEG quality of the made versions: no visible loss on a phone, a third of the size of 95.
const SCREEN_QUALITY: u8 = 82;
const THUMB_QUALITY: u8 = 75;

/// Why an upload cannot be kept.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("not a JPEG, PNG or WebP picture")]
    Unsupported,
    #[error("HEIC/HEIF pictures are not supported")]
    Heif,
    #[error("the picture is {0} pixels, more than allowed")]
    TooLarge(u64),
    #[error("the {width}×{height} picture would take {bytes} bytes of memory, more than allowed")]
    TooCostly { width: u32, height: u32, bytes: u64 },
    #[error("the picture cannot be decoded: {0}")]
    Corrupt(String),
}

/// One made version of a photo.
pub struct Made {
    pub bytes: Bytes,
    pub width: u32,
    pub height: u32,
}

/// What is kept of an upload.
pub struct Processed {
    pub format: PhotoFormat,
    /// The original, metadata removed; its orientation (when not upright) is the only EXIF
    /// field kept, so that viewers still turn it the right way.
    pub original: Bytes,
    /// Width and height as shown, turned upright.
    pub width: u32,
    pub height: u32,
    pub screen: Made,
    pub thumb: Made,
    /// Where the camera says the photo was taken (never kept in the files).
    pub camera_position: Option<LatLon>,
}

impl Processed {
    /// The bytes of a variant.
    pub fn variant(&self, variant: Variant) -> &Bytes {
        match variant {
            Variant::Original => &self.original,
            Variant::Screen => &self.screen.bytes,
            Variant::Thumb => &self.thumb.bytes,
        }
    }
}

/// Runs [`process`] on the blocking pool, at most `workers` at a time.
#[derive(Clone)]
pub struct Processor {
    permits: Arc<Semaphore>,
}

impl Processor {
    pub fn new(workers: usize) -> Self {
        Processor {
            permits: Arc::new(Semaphore::new(workers.max(1))),
        }
    }

    pub async fn run(&self, upload: Bytes) -> anyhow::Result<Result<Processed, Rejected>> {
        let _permit = self.permits.acquire().await?;
        Ok(tokio::task::spawn_blocking(move || process(&upload)).await?)
    }
}

/// Checks an upload by its bytes, reads where the camera was, and makes the versions kept.
pub fn process(upload: &Bytes) -> Result<Processed, Rejected> {
    let format = match photos::sniff(upload) {
        Sniffed::Supported(format) => format,
        Sniffed::Heif => return Err(Rejected::Heif),
        Sniffed::Unknown => return Err(Rejected::Unsupported),
    };
    // Judged by its header before any decoder allocates: its size, depth and channels, and
    // whether its data can hold the picture it claims.
    let header = picture::read(format, upload).map_err(|unfit| refused(unfit, None))?;
    picture::judge(&header).map_err(|unfit| refused(unfit, Some(&header)))?;
    // A PNG decoder reads only the chunks that make the pixels (and EXIF): a colour profile
    // or compressed text is never inflated.
    let decodable = match format {
        PhotoFormat::Png => png_pixels_only(upload)?,
        PhotoFormat::Jpeg | PhotoFormat::Webp => upload.clone(),
    };
    let corrupt = |e: image::ImageError| Rejected::Corrupt(e.to_string());
    let mut reader =
        ImageReader::with_format(Cursor::new(decodable.as_ref()), image_format(format));
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(photos::MEMORY_BUDGET);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    // The header read here and the decoder's must describe the same picture, or the budget
    // was judged on another.
    if (width, height) != (header.width, header.height)
        || decoder.total_bytes() > header.decoded_bytes()
    {
        return Err(Rejected::Corrupt(format!(
            "the decoder reads a {width}×{height} {:?} picture where the header says {}×{} with {} channel(s) of {} byte(s)",
            decoder.color_type(),
            header.width,
            header.height,
            header.channels,
            header.sample_bytes
        )));
    }
    let exif = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(|raw| exif::Reader::new().read_raw(strip_exif_prefix(raw)).ok());
    let orientation = exif
        .as_ref()
        .and_then(|exif| exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY))
        .and_then(|field| field.value.get_uint(0))
        .and_then(|code| Orientation::from_exif(u8::try_from(code).ok()?))
        .unwrap_or(Orientation::NoTransforms);
    let camera_position = exif.as_ref().and_then(camera_position);
    // Before decoding: it refuses a file cut short, which some decoders would fill with grey.
    let original = strip_metadata(upload, format, orientation)?;
    let decoded = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let rgb = flatten(decoded);

    // Shrink first, turn upright after: turning a 12-megapixel picture would copy it whole.
    let screen = shrink(rgb, Variant::Screen)?;
    let thumb = shrink(screen.clone(), Variant::Thumb)?;
    let upright = |image: RgbImage| {
        let mut image = DynamicImage::ImageRgb8(image);
        image.apply_orientation(orientation);
        image.into_rgb8()
    };
    let screen = encode(upright(screen), SCREEN_QUALITY)?;
    let thumb = encode(upright(thumb), THUMB_QUALITY)?;
    let (width, height) = if turns_sideways(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Processed {
        format,
        original,
        width,
        height,
        screen,
        thumb,
        camera_position,
    })
}

fn refused(unfit: Unfit, header: Option<&Header>) -> Rejected {
    match unfit {
        Unfit::TooManyPixels(pixels) => Rejected::TooLarge(pixels),
        Unfit::TooMuchMemory(bytes) => Rejected::TooCostly {
            width: header.map_or(0, |h| h.width),
            height: header.map_or(0, |h| h.height),
            bytes,
        },
        Unfit::Unreadable(why) | Unfit::Truncated(why) => Rejected::Corrupt(why.to_owned()),
    }
}

/// The chunks of a PNG that make its pixels (header, palette, transparency, data, end) and its
/// EXIF, where the camera's position is read; nothing else reaches the decoder.
fn png_pixels_only(upload: &Bytes) -> Result<Bytes, Rejected> {
    let mut png = img_parts::png::Png::from_bytes(upload.clone())
        .map_err(|e| Rejected::Corrupt(e.to_string()))?;
    png.chunks_mut().retain(|chunk| {
        matches!(
            &chunk.kind(),
            b"IHDR" | b"PLTE" | b"tRNS" | b"IDAT" | b"IEND" | b"eXIf"
        )
    });
    Ok(png.encoder().bytes())
}

/// Whether a PNG colour profile (an `iCCP` chunk) inflates to at most
/// [`photos::MAX_PROFILE_BYTES`]: it is inflated into nothing, a piece at a time, and never
/// past one byte more than that.
fn png_profile_fits(chunk: &[u8]) -> bool {
    use std::io::Read;
    let Some(stream) = picture::png_profile_stream(chunk) else {
        return false;
    };
    let bound = photos::MAX_PROFILE_BYTES + 1;
    let mut inflating = flate2::read::ZlibDecoder::new(stream).take(bound);
    match std::io::copy(&mut inflating, &mut std::io::sink()) {
        Ok(inflated) => inflated < bound,
        Err(_) => false,
    }
}

fn image_format(format: PhotoFormat) -> image::ImageFormat {
    match format {
        PhotoFormat::Jpeg => image::ImageFormat::Jpeg,
        PhotoFormat::Png => image::ImageFormat::Png,
        PhotoFormat::Webp => image::ImageFormat::WebP,
    }
}

fn turns_sideways(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Decoders hand EXIF over with or without the `Exif\0\0` header of its JPEG segment.
fn strip_exif_prefix(mut raw: Vec<u8>) -> Vec<u8> {
    if raw.starts_with(b"Exif\0\0") {
        raw.drain(..6);
    }
    raw
}

fn camera_position(exif: &exif::Exif) -> Option<LatLon> {
    let dms = |tag| -> Option<[f64; 3]> {
        match &exif.get_field(tag, exif::In::PRIMARY)?.value {
            exif::Value::Rational(parts) if parts.len() >= 3 => {
                Some([parts[0].to_f64(), parts[1].to_f64(), parts[2].to_f64()])
            }
            _ => None,
        }
    };
    let hemisphere = |tag| -> Option<String> {
        match &exif.get_field(tag, exif::In::PRIMARY)?.value {
            exif::Value::Ascii(parts) => parts
                .first()
                .map(|part| String::from_utf8_lossy(part).into_owned()),
            _ => None,
        }
    };
    photos::camera_position(
        (
            dms(exif::Tag::GPSLatitude)?,
            &hemisphere(exif::Tag::GPSLatitudeRef)?,
        ),
        (
            dms(exif::Tag::GPSLongitude)?,
            &hemisphere(exif::Tag::GPSLongitudeRef)?,
        ),
    )
}

/// Eight-bit RGB; transparent parts are shown on white, as on a page. Made in one copy beside
/// the decoded picture (none for 8-bit RGB), never through an 8-bit RGBA copy.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let (width, height) = (image.width(), image.height());
    let mut rgb = RgbImage::new(width, height);
    let on_white = |out: &mut image::Rgb<u8>, pixel: [u8; 4]| {
        let alpha = u16::from(pixel[3]);
        for channel in 0..3 {
            let value = u16::from(pixel[channel]) * alpha + 255 * (255 - alpha);
            out[channel] = ((value + 127) / 255) as u8;
        }
    };
    if let DynamicImage::ImageRgba8(rgba) = &image {
        for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
            on_white(out, pixel.0);
        }
    } else {
        // Grey with alpha, 16-bit: each pixel converted on its way.
        use image::GenericImageView;
        for (x, y, out) in rgb.enumerate_pixels_mut() {
            on_white(out, image.get_pixel(x, y).0);
        }
    }
    rgb
}

/// Shrinks to fit the variant's size (never enlarges).
fn shrink(image: RgbImage, variant: Variant) -> Result<RgbImage, Rejected> {
    let longest = variant.longest_side().unwrap_or(u32::MAX);
    let (width, height) = image.dimensions();
    let (to_width, to_height) = photos::fit_within(width, height, longest);
    if (to_width, to_height) == (width, height) {
        return Ok(image);
    }
    let failed = |e: &dyn std::fmt::Display| Rejected::Corrupt(e.to_string());
    let source = ResizeImage::from_vec_u8(width, height, image.into_raw(), PixelType::U8x3)
        .map_err(|e| failed(&e))?;
    let mut target = ResizeImage::new(to_width, to_height, PixelType::U8x3);
    Resizer::new()
        .resize(
            &source,
            &mut target,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom)),
        )
        .map_err(|e| failed(&e))?;
    RgbImage::from_raw(to_width, to_height, target.into_vec())
        .ok_or_else(|| Rejected::Corrupt("resized buffer has the wrong size".into()))
}

fn encode(image: RgbImage, quality: u8) -> Result<Made, Rejected> {
    let (width, height) = image.dimensions();
    let mut out = Vec::with_capacity(image.len() / 8);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(image.as_raw(), width, height, ExtendedColorType::Rgb8)
        .map_err(|e| Rejected::Corrupt(e.to_string()))?;
    Ok(Made {
        bytes: out.into(),
        width,
        height,
    })
}

/// The upload without EXIF (the camera's position, its serial number, the time), XMP, IPTC
/// or comments, its pixels untouched. Colour profiles stay (they are not about anyone) when
/// they take at most [`photos::MAX_PROFILE_BYTES`]; a larger one is dropped.
fn strip_metadata(
    upload: &Bytes,
    format: PhotoFormat,
    orientation: Orientation,
) -> Result<Bytes, Rejected> {
    use img_parts::{ImageEXIF, ImageICC};
    let unreadable = |e: img_parts::Error| Rejected::Corrupt(e.to_string());
    match format {
        PhotoFormat::Jpeg => {
            let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(upload.clone()).map_err(unreadable)?;
            let is_profile = |segment: &img_parts::jpeg::JpegSegment| {
                segment.marker() == 0xE2 && segment.contents().starts_with(b"ICC_PROFILE\0")
            };
            let profile: u64 = jpeg
                .segments()
                .iter()
                .filter(|segment| is_profile(segment))
                .map(|segment| segment.contents().len() as u64)
                .sum();
            let keep_profile = profile <= photos::MAX_PROFILE_BYTES;
            // APP0 (JFIF), APP2 (ICC profile) and APP14 (Adobe colour transform) describe the
            // pixels; every other APPn segment and comments are metadata.
            jpeg.segments_mut().retain(|segment| {
                let marker = segment.marker();
                let metadata = (0xE0..=0xEF).contains(&marker) || marker == 0xFE;
                (!metadata || matches!(marker, 0xE0 | 0xE2 | 0xEE))
                    && (keep_profile || !is_profile(segment))
            });
            end_at_eoi(&mut jpeg)?;
            if orientation != Orientation::NoTransforms {
                jpeg.set_exif(Some(orientation_only_exif(orientation)?));
            }
            Ok(jpeg.encoder().bytes())
        }
        PhotoFormat::Png => {
            let mut png = img_parts::png::Png::from_bytes(upload.clone()).map_err(unreadable)?;
            png.chunks_mut().retain(|chunk| match &chunk.kind() {
                b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME" => false,
                b"iCCP" => png_profile_fits(chunk.contents()),
                _ => true,
            });
            Ok(png.encoder().bytes())
        }
        PhotoFormat::Webp => {
            let mut webp = img_parts::webp::WebP::from_bytes(upload.clone()).map_err(unreadable)?;
            let icc = webp
                .icc_profile()
                .filter(|profile| profile.len() as u64 <= photos::MAX_PROFILE_BYTES);
            webp.remove_chunks_by_id(*b"XMP ");
            // Setting these again brings the header's flags in line with the chunks left.
            webp.set_exif(None);
            webp.set_icc_profile(icc);
            Ok(webp.encoder().bytes())
        }
    }
}

/// Cuts a JPEG after its end marker. What phones append there (a motion photo's video, a
/// maker's trailer) carries its own metadata; a file without the marker was cut short.
fn end_at_eoi(jpeg: &mut img_parts::jpeg::Jpeg) -> Result<(), Rejected> {
    const EOI: [u8; 2] = [0xFF, 0xD9];
    let cut_short = || Rejected::Corrupt("the JPEG ends before its end marker".into());
    // The scan data runs from the first segment that carries it to the end of the file.
    let segment = jpeg
        .segments_mut()
        .iter_mut()
        .find(|segment| segment.has_entropy())
        .ok_or_else(cut_short)?;
    // The segment written out is its header and contents, then the scan data.
    let entropy = segment.clone().encoder().bytes().slice(segment.len()..);
    // Inside scan data a 0xFF byte is always followed by 0x00 or a restart marker, so the
    // first FF D9 is the end of the picture.
    let end = entropy
        .windows(2)
        .position(|pair| pair == EOI)
        .ok_or_else(cut_short)?;
    *segment = img_parts::jpeg::JpegSegment::new_with_entropy(
        segment.marker(),
        segment.contents().clone(),
        entropy.slice(..end + 2),
    );
    Ok(())
}

/// A TIFF block holding one field, the orientation.
fn orientation_only_exif(orientation: Orientation) -> Result<Bytes, Rejected> {
    let field = exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![u16::from(orientation.to_exif())]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut out = Cursor::new(Vec::new());
    writer
        .write(&mut out, false)
        .map_err(|e| Rejected::Corrupt(e.to_string()))?;
    Ok(out.into_inner().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn profile_chunk(profile: &[u8]) -> Vec<u8> {
        [b"ICC Profile\0\0".as_slice(), &zlib(profile)].concat()
    }

    #[test]
    fn a_png_profile_is_inflated_no_further_than_its_bound() {
        assert!(png_profile_fits(&profile_chunk(&[7; 3144])));
        let bound = photos::MAX_PROFILE_BYTES as usize;
        assert!(png_profile_fits(&profile_chunk(&vec![0; bound])));
        assert!(!png_profile_fits(&profile_chunk(&vec![0; bound + 1])));
        // 64 MiB of zeros in 64 KB: refused after inflating one MiB of it.
        let bomb = profile_chunk(&vec![0; 64 << 20]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        assert!(!png_profile_fits(&bomb));
        // Not zlib, or without its name.
        assert!(!png_profile_fits(b"ICC Profile\0\0not deflate"));
        assert!(!png_profile_fits(&zlib(&[0; 10])));
    }
}
