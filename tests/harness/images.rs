//! Pictures made by the tests: phone-like JPEGs with the metadata a phone writes (position,
//! maker, time, orientation, a comment), PNGs with transparency, WebPs.

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage, RgbaImage};
use img_parts::{ImageEXIF, jpeg::Jpeg, jpeg::JpegSegment};

/// The camera maker written into test photos; it must not survive the upload.
pub const CAMERA_MAKE: &str = "SosTestPhone";
/// A comment segment written into test JPEGs.
pub const JPEG_COMMENT: &str = "nha so 12 hem 34";

/// What a phone writes beside the pixels.
#[derive(Debug, Clone, Copy)]
pub struct CameraTags {
    /// Where the photo was taken (latitude, longitude).
    pub position: Option<(f64, f64)>,
    /// EXIF orientation: 1 upright, 6 turned a quarter clockwise (a portrait from most phones).
    pub orientation: u16,
}

impl CameraTags {
    /// An upright photo taken at `position` (latitude, longitude).
    pub fn upright_at(position: (f64, f64)) -> CameraTags {
        CameraTags {
            position: Some(position),
            orientation: 1,
        }
    }
}

/// A picture with detail everywhere, as a photo has: gradients, edges and grain. `grain` (0
/// to 255) sets how much noise, and so how large the JPEG is.
pub fn scene(width: u32, height: u32, grain: u8) -> RgbImage {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    RgbImage::from_fn(width, height, |x, y| {
        // xorshift: fast, deterministic grain.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = |shift: u32| {
            let n = ((state >> shift) & 0xFF) as i32 - 128;
            n * i32::from(grain) / 255
        };
        let stripe = if (x / 97 + y / 61) % 2 == 0 { 40 } else { 0 };
        let r = (x * 255 / width.max(1)) as i32 + stripe + noise(0);
        let g = (y * 255 / height.max(1)) as i32 + noise(8);
        let b = ((x + y) % 256) as i32 - stripe + noise(16);
        image::Rgb([clamp(r), clamp(g), clamp(b)])
    })
}

fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

pub fn jpeg_of(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("encode JPEG");
    out
}

/// A JPEG as a phone sends it: EXIF with the camera's tags, and a comment.
pub fn phone_jpeg(width: u32, height: u32, tags: CameraTags) -> Vec<u8> {
    with_camera_tags(&jpeg_of(&scene(width, height, 40), 88), tags)
}

/// Adds EXIF and a comment to a JPEG.
pub fn with_camera_tags(jpeg: &[u8], tags: CameraTags) -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(jpeg.to_vec().into()).expect("a JPEG");
    jpeg.set_exif(Some(exif_block(tags).into()));
    let comment = JpegSegment::new_with_contents(0xFE, JPEG_COMMENT.as_bytes().to_vec().into());
    jpeg.segments_mut().insert(1, comment);
    jpeg.encoder().bytes().to_vec()
}

/// A TIFF block of EXIF fields as phones write them.
pub fn exif_block(tags: CameraTags) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value};
    let dms = |degrees: f64| {
        let d = degrees.abs();
        let whole = d.trunc();
        let minutes = ((d - whole) * 60.0).trunc();
        let seconds = ((d - whole) * 60.0 - minutes) * 60.0;
        Value::Rational(vec![
            Rational::from((whole as u32, 1)),
            Rational::from((minutes as u32, 1)),
            Rational::from(((seconds * 10_000.0).round() as u32, 10_000)),
        ])
    };
    let mut fields = vec![
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![CAMERA_MAKE.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![tags.orientation]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"2026:11:24 08:15:00".to_vec()]),
        },
    ];
    if let Some((lat, lon)) = tags.position {
        let hemisphere = |positive: bool, yes: &[u8], no: &[u8]| {
            Value::Ascii(vec![if positive { yes } else { no }.to_vec()])
        };
        fields.extend([
            Field {
                tag: Tag::GPSLatitudeRef,
                ifd_num: In::PRIMARY,
                value: hemisphere(lat >= 0.0, b"N", b"S"),
            },
            Field {
                tag: Tag::GPSLatitude,
                ifd_num: In::PRIMARY,
                value: dms(lat),
            },
            Field {
                tag: Tag::GPSLongitudeRef,
                ifd_num: In::PRIMARY,
                value: hemisphere(lon >= 0.0, b"E", b"W"),
            },
            Field {
                tag: Tag::GPSLongitude,
                ifd_num: In::PRIMARY,
                value: dms(lon),
            },
        ]);
    }
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, false).expect("write EXIF");
    out.into_inner()
}

/// A PNG whose left half is transparent, with a text chunk naming the camera.
pub fn transparent_png(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbaImage::from_fn(width, height, |x, y| {
        let alpha = if x < width / 2 { 0 } else { 255 };
        image::Rgba([200, (y % 256) as u8, 30, alpha])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(picture.as_raw(), width, height, ExtendedColorType::Rgba8)
        .expect("encode PNG");
    let mut png = img_parts::png::Png::from_bytes(out.into()).expect("a PNG");
    let text = [b"Make\0".as_slice(), CAMERA_MAKE.as_bytes()].concat();
    let at = png.chunks().len() - 1;
    png.chunks_mut()
        .insert(at, img_parts::png::PngChunk::new(*b"tEXt", text.into()));
    png.encoder().bytes().to_vec()
}

/// A lossless WebP carrying EXIF.
pub fn webp_with_exif(width: u32, height: u32, tags: CameraTags) -> Vec<u8> {
    let picture = scene(width, height, 10);
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(picture.as_raw(), width, height, ExtendedColorType::Rgb8)
        .expect("encode WebP");
    let mut webp = img_parts::webp::WebP::from_bytes(out.into()).expect("a WebP");
    webp.set_exif(Some(exif_block(tags).into()));
    webp.encoder().bytes().to_vec()
}

/// The EXIF fields a stored file still carries, by tag name.
pub fn exif_tags(file: &[u8]) -> Vec<String> {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(file)) else {
        return Vec::new();
    };
    exif.fields().map(|f| f.tag.to_string()).collect()
}

/// Width and height of a picture.
pub fn dimensions(file: &[u8]) -> (u32, u32) {
    let picture = image::load_from_memory(file).expect("a picture");
    (picture.width(), picture.height())
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A PNG chunk: length, type, data and the CRC of type and data.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let length = u32::try_from(data.len()).expect("a chunk under 4 GiB");
    [
        length.to_be_bytes().as_slice(),
        kind,
        data,
        &crc.sum().to_be_bytes(),
    ]
    .concat()
}

/// `len` zero bytes squeezed by zlib as hard as it goes (about a thousand to one), fed in
/// pieces so that the zeros are never all in memory.
pub fn zlib_of_zeros(len: u64) -> Vec<u8> {
    use std::io::Write;
    const PIECE: u64 = 1 << 20;
    let zeros = vec![0u8; PIECE as usize];
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let mut left = len;
    while left > 0 {
        let n = left.min(PIECE);
        encoder.write_all(&zeros[..n as usize]).expect("compress");
        left -= n;
    }
    encoder.finish().expect("compress")
}

/// A PNG of a black picture, complete and valid, in a file a thousand times smaller than its
/// pixels: `color_type` 0 (grey), 2 (RGB) or 6 (RGBA), `bit_depth` 8 or 16. Rows are unfiltered
/// zeros, so the whole image data is one run of zeros.
pub fn flat_png(width: u32, height: u32, color_type: u8, bit_depth: u8) -> Vec<u8> {
    let channels: u64 = match color_type {
        0 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        other => panic!("colour type {other} is not made here"),
    };
    let row = 1 + (u64::from(width) * channels * u64::from(bit_depth)).div_ceil(8);
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    [
        b"\x89PNG\r\n\x1a\n".to_vec(),
        png_chunk(b"IHDR", &header),
        png_chunk(b"IDAT", &zlib_of_zeros(row * u64::from(height))),
        png_chunk(b"IEND", &[]),
    ]
    .concat()
}

/// The PNG with an `iCCP` chunk (a colour profile) holding `profile`, compressed, after its
/// header.
pub fn with_png_profile(png: &[u8], profile_zlib: &[u8]) -> Vec<u8> {
    // Signature (8) and IHDR (4 + 4 + 13 + 4).
    let (head, rest) = png.split_at(8 + 25);
    let data = [b"ICC Profile\0\0".as_slice(), profile_zlib].concat();
    [head, &png_chunk(b"iCCP", &data), rest].concat()
}

/// A small PNG whose colour profile inflates to `inflated` bytes: a compression bomb in a
/// chunk that decoders inflate before the first pixel.
pub fn png_with_profile_bomb(inflated: u64) -> Vec<u8> {
    with_png_profile(&flat_png(64, 48, 2, 8), &zlib_of_zeros(inflated))
}

/// A JPEG of a few hundred bytes whose header claims `width`×`height`: its image data is that
/// of a 16×16 grey picture, far too short for the size it claims.
pub fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let tiny = image::GrayImage::from_pixel(16, 16, image::Luma([128]));
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 50)
        .write_image(tiny.as_raw(), 16, 16, ExtendedColorType::L8)
        .expect("encode JPEG");
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    let sof = jpeg
        .windows(2)
        .position(|pair| pair == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A `width`×`height` RGB PNG whose image data stops after `kept` bytes of its deflate
/// stream, then ends properly (`IEND`): what a careless or hostile sender makes of a cut file.
pub fn png_cut_short(width: u32, height: u32, kept: usize) -> Vec<u8> {
    let whole = flat_png(width, height, 2, 8);
    let idat = zlib_of_zeros((1 + u64::from(width) * 3) * u64::from(height));
    [
        &whole[..8 + 25],
        &png_chunk(b"IDAT", &idat[..kept.min(idat.len())]),
        &png_chunk(b"IEND", &[]),
    ]
    .concat()
}
