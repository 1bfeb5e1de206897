//! What a picture will cost before it is decoded: its size, channels and depth read from the
//! header bytes, whether its compressed data can hold the pixels it claims, and the memory the
//! service's processing needs for it (issue 15 #7).
//!
//! A file of a few hundred kilobytes can claim a picture of hundreds of megabytes, or carry a
//! colour profile that inflates to a gigabyte; a decoder finds out only by allocating. Here the
//! bytes are only read: nothing is inflated or decoded.

use crate::photos::{MAX_PIXELS, MEMORY_BUDGET, PhotoFormat, Variant, fit_within};

/// What a picture's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: PhotoFormat,
    pub width: u32,
    pub height: u32,
    /// Samples in a pixel once decoded, alpha included: 1 grey, 2 grey with alpha, 3 colour,
    /// 4 colour with alpha.
    pub channels: u8,
    /// Bytes of one decoded sample: 2 for 16-bit PNGs, else 1.
    pub sample_bytes: u8,
    /// What the decoder holds beside the picture it makes: a progressive JPEG's coefficients
    /// (two bytes for every sample), a WebP's intermediate planes.
    pub decoder_bytes: u64,
    /// Bytes of compressed picture data: JPEG scans, PNG `IDAT`, WebP bitstreams.
    pub data_bytes: u64,
    /// The fewest bytes of compressed data that can make a whole picture of this size.
    pub least_data_bytes: u64,
}

/// Why a file is refused before it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    /// Not laid out as its format says, or a kind the service does not read.
    Unreadable(&'static str),
    /// It ends before its picture does, or its data is far too short for the size it claims.
    Truncated(&'static str),
    /// More pixels than [`MAX_PIXELS`].
    TooManyPixels(u64),
    /// Processing it would take more memory than [`MEMORY_BUDGET`] (the bytes it would take).
    TooMuchMemory(u64),
}

/// The best deflate can do: a length of 258 and a distance of 1 in two bits of dynamic
/// Huffman codes, 1032 bytes out for every byte in.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

impl Header {
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The decoded picture, as the decoder hands it over.
    pub fn decoded_bytes(&self) -> u64 {
        self.pixels() * u64::from(self.channels) * u64::from(self.sample_bytes)
    }

    /// The most memory held at once while the service makes its versions of the picture, in
    /// bytes (the upload itself aside, which `SOS_MAX_PHOTO_BYTES` bounds):
    /// - decoding: the picture and what the decoder holds beside it;
    /// - making it 8-bit RGB on white: the decoded picture and the RGB copy, unless it already
    ///   is 8-bit RGB (a JPEG's usual case, taken over without a copy);
    /// - shrinking to the screen size: the RGB picture, the resizer's vertical pass (source
    ///   width × screen height) and the screen version; then the screen version, its copy for
    ///   the thumbnail and the copy turned upright.
    pub fn memory(&self) -> u64 {
        let rgb = self.pixels() * 3;
        let decoding = self.decoded_bytes() + self.decoder_bytes;
        let flattening = if self.channels == 3 && self.sample_bytes == 1 {
            0
        } else {
            self.decoded_bytes() + rgb
        };
        let longest = Variant::Screen.longest_side().unwrap_or(u32::MAX);
        let (screen_width, screen_height) = fit_within(self.width, self.height, longest);
        let screen = u64::from(screen_width) * u64::from(screen_height) * 3;
        let vertical_pass = u64::from(self.width) * u64::from(screen_height) * 3;
        let shrinking = rgb + vertical_pass + screen;
        let turning = screen * 3;
        decoding.max(flattening).max(shrinking).max(turning)
    }
}

/// Whether a picture may be decoded: with compressed data enough for its size (a decoder
/// would fill what is missing with grey), within the pixel limit and the memory budget.
pub fn judge(header: &Header) -> Result<(), Unfit> {
    if header.data_bytes < header.least_data_bytes {
        return Err(Unfit::Truncated(
            "its compressed data is far too short for the size it claims",
        ));
    }
    if header.pixels() > MAX_PIXELS {
        return Err(Unfit::TooManyPixels(header.pixels()));
    }
    let memory = header.memory();
    if memory > MEMORY_BUDGET {
        return Err(Unfit::TooMuchMemory(memory));
    }
    Ok(())
}

/// Reads the header of a file already recognised as `format`.
pub fn read(format: PhotoFormat, bytes: &[u8]) -> Result<Header, Unfit> {
    match format {
        PhotoFormat::Jpeg => jpeg(bytes),
        PhotoFormat::Png => png(bytes),
        PhotoFormat::Webp => webp(bytes),
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

const JPEG_CUT_SHORT: Unfit = Unfit::Truncated("the JPEG ends before its end marker");

/// One colour component of a JPEG frame: its sampling factors.
#[derive(Debug, Clone, Copy)]
struct Component {
    horizontal: u8,
    vertical: u8,
}

/// A JPEG frame header (SOFn).
#[derive(Debug)]
struct Frame {
    width: u32,
    height: u32,
    progressive: bool,
    components: Vec<Component>,
}

fn jpeg_frame(marker: u8, segment: &[u8]) -> Result<Frame, Unfit> {
    let bad = Unfit::Unreadable("the JPEG frame header is malformed");
    if matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF) {
        return Err(Unfit::Unreadable("lossless JPEGs are not read"));
    }
    if marker >= 0xC9 {
        return Err(Unfit::Unreadable("arithmetic-coded JPEGs are not read"));
    }
    if segment.first() != Some(&8) {
        return Err(Unfit::Unreadable("only 8-bit JPEGs are read"));
    }
    let height = u32::from(be16(segment, 1).ok_or(bad)?);
    let width = u32::from(be16(segment, 3).ok_or(bad)?);
    if width == 0 || height == 0 {
        return Err(Unfit::Unreadable(
            "the JPEG gives no size in its frame header",
        ));
    }
    let count = usize::from(*segment.get(5).ok_or(bad)?);
    let listed = segment.get(6..6 + 3 * count).ok_or(bad)?;
    let components: Vec<Component> = listed
        .chunks_exact(3)
        .map(|c| Component {
            horizontal: c[1] >> 4,
            vertical: c[1] & 0x0F,
        })
        .collect();
    let valid = |f: u8| (1..=4).contains(&f);
    if components.is_empty()
        || components.len() > 4
        || !components
            .iter()
            .all(|c| valid(c.horizontal) && valid(c.vertical))
    {
        return Err(bad);
    }
    Ok(Frame {
        width,
        height,
        progressive: matches!(marker, 0xC2 | 0xC6),
        components,
    })
}

/// Markers that stand alone, without a length: TEM, restarts, start of image.
fn standalone(marker: u8) -> bool {
    marker == 0x01 || (0xD0..=0xD8).contains(&marker)
}

fn jpeg(bytes: &[u8]) -> Result<Header, Unfit> {
    let mut at = 2;
    let mut frame: Option<Frame> = None;
    let mut first_scan_components = 0usize;
    let mut data_bytes = 0u64;
    let mut in_scan = false;
    loop {
        if in_scan {
            // Scan data: a 0xFF byte is followed by 0x00 (a stuffed 0xFF), a restart marker,
            // more 0xFF fill, or the marker that ends the scan.
            let rest = bytes.get(at..).ok_or(JPEG_CUT_SHORT)?;
            let run = rest.iter().position(|&b| b == 0xFF).ok_or(JPEG_CUT_SHORT)?;
            data_bytes += run as u64;
            at += run;
            match *bytes.get(at + 1).ok_or(JPEG_CUT_SHORT)? {
                0x00 => {
                    data_bytes += 1;
                    at += 2;
                    continue;
                }
                // A restart marker: the scan goes on.
                0xD0..=0xD7 => {
                    at += 2;
                    continue;
                }
                0xFF => {
                    at += 1;
                    continue;
                }
                _ => in_scan = false,
            }
        }
        // A marker: 0xFF, perhaps more 0xFF fill, then its code.
        if bytes.get(at) != Some(&0xFF) {
            return Err(if at >= bytes.len() {
                JPEG_CUT_SHORT
            } else {
                Unfit::Unreadable("the JPEG has bytes where a marker should be")
            });
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(JPEG_CUT_SHORT)?;
        at += 1;
        if standalone(marker) {
            continue;
        }
        if marker == 0xD9 {
            break;
        }
        let length = usize::from(be16(bytes, at).ok_or(JPEG_CUT_SHORT)?);
        if length < 2 {
            return Err(Unfit::Unreadable("a JPEG segment has a length under 2"));
        }
        let segment = bytes.get(at + 2..at + length).ok_or(JPEG_CUT_SHORT)?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if frame.is_some() {
                    return Err(Unfit::Unreadable("hierarchical JPEGs are not read"));
                }
                frame = Some(jpeg_frame(marker, segment)?);
            }
            0xDA => {
                if frame.is_none() {
                    return Err(Unfit::Unreadable("a JPEG scan comes before its frame"));
                }
                if first_scan_components == 0 {
                    first_scan_components = usize::from(*segment.first().unwrap_or(&0));
                }
                in_scan = true;
            }
            _ => {}
        }
        at += length;
    }
    let frame = frame.ok_or(Unfit::Unreadable("the JPEG has no frame header"))?;
    if first_scan_components == 0 {
        return Err(Unfit::Truncated("the JPEG has no picture data"));
    }
    let (width, height) = (frame.width, frame.height);
    let h_max = u32::from(
        frame
            .components
            .iter()
            .map(|c| c.horizontal)
            .max()
            .unwrap_or(1),
    );
    let v_max = u32::from(
        frame
            .components
            .iter()
            .map(|c| c.vertical)
            .max()
            .unwrap_or(1),
    );
    let mcus_across = u64::from(width.div_ceil(8 * h_max));
    let mcus_down = u64::from(height.div_ceil(8 * v_max));
    // Samples of each component, padded to whole MCUs, as a decoder stores them.
    let samples = |c: &Component| {
        mcus_across * u64::from(c.horizontal) * 8 * mcus_down * u64::from(c.vertical) * 8
    };
    // A progressive picture, or one whose components come in separate scans, is kept as
    // coefficients (16 bits each) until its last scan; otherwise one row of MCUs at a time.
    let whole = frame.progressive || first_scan_components < frame.components.len();
    let decoder_bytes = if whole {
        frame.components.iter().map(|c| samples(c) * 2).sum()
    } else {
        frame
            .components
            .iter()
            .map(|c| samples(c) / mcus_down.max(1) * 2 * 2)
            .sum()
    };
    // Every 8×8 block of the first component (the brightness) starts with its DC value, a
    // Huffman code of at least one bit.
    let first = frame.components[0];
    let across = (u64::from(width) * u64::from(first.horizontal)).div_ceil(u64::from(h_max));
    let down = (u64::from(height) * u64::from(first.vertical)).div_ceil(u64::from(v_max));
    let blocks = across.div_ceil(8) * down.div_ceil(8);
    Ok(Header {
        format: PhotoFormat::Jpeg,
        width,
        height,
        // Colour JPEGs (YCbCr, CMYK) are decoded to RGB.
        channels: if frame.components.len() == 1 { 1 } else { 3 },
        sample_bytes: 1,
        decoder_bytes,
        data_bytes,
        least_data_bytes: blocks / 8,
    })
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A PNG chunk: its type and its data.
pub type PngChunk<'a> = ([u8; 4], &'a [u8]);

/// The chunks of a PNG up to and including `IEND`.
pub fn png_chunks(bytes: &[u8]) -> Result<Vec<PngChunk<'_>>, Unfit> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(Unfit::Unreadable("not a PNG"));
    }
    let cut_short = Unfit::Truncated("the PNG ends before its IEND chunk");
    let mut chunks = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    loop {
        let length = be32(bytes, at).ok_or(cut_short)?;
        if length > i32::MAX as u32 {
            return Err(Unfit::Unreadable("a PNG chunk claims more than 2 GiB"));
        }
        let kind: [u8; 4] = bytes
            .get(at + 4..at + 8)
            .ok_or(cut_short)?
            .try_into()
            .map_err(|_| cut_short)?;
        let start = at + 8;
        let end = start + length as usize;
        let data = bytes.get(start..end).ok_or(cut_short)?;
        // The CRC follows.
        if bytes.len() < end + 4 {
            return Err(cut_short);
        }
        chunks.push((kind, data));
        if &kind == b"IEND" {
            return Ok(chunks);
        }
        at = end + 4;
    }
}

/// The compressed stream of a PNG colour profile (`iCCP`): after its name and the compression
/// method, which must be 0 (zlib). `None` when the chunk is malformed.
pub fn png_profile_stream(chunk: &[u8]) -> Option<&[u8]> {
    let name_end = chunk.iter().take(80).position(|&b| b == 0)?;
    if name_end == 0 || chunk.get(name_end + 1) != Some(&0) {
        return None;
    }
    chunk.get(name_end + 2..)
}

fn png(bytes: &[u8]) -> Result<Header, Unfit> {
    let chunks = png_chunks(bytes)?;
    let bad = Unfit::Unreadable("the PNG header (IHDR) is malformed");
    let (kind, ihdr) = chunks[0];
    if &kind != b"IHDR" || ihdr.len() != 13 {
        return Err(bad);
    }
    let width = be32(ihdr, 0).ok_or(bad)?;
    let height = be32(ihdr, 4).ok_or(bad)?;
    let (depth, colour) = (ihdr[8], ihdr[9]);
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(bad);
    }
    let transparency = chunks.iter().any(|(kind, _)| kind == b"tRNS");
    // Samples in the file, and once decoded: palettes become RGB, and a tRNS chunk adds alpha.
    let (stored, decoded) = match (colour, depth) {
        (0, 1 | 2 | 4 | 8 | 16) => (1, 1 + u8::from(transparency)),
        (2, 8 | 16) => (3, 3 + u8::from(transparency)),
        (3, 1 | 2 | 4 | 8) => (1, 3 + u8::from(transparency)),
        (4, 8 | 16) => (2, 2),
        (6, 8 | 16) => (4, 4),
        _ => {
            return Err(Unfit::Unreadable(
                "the PNG's colour type and depth do not go together",
            ));
        }
    };
    let data_bytes = chunks
        .iter()
        .filter(|(kind, _)| kind == b"IDAT")
        .map(|(_, data)| data.len() as u64)
        .sum();
    // Each row: a filter byte and its samples, packed.
    let row = 1 + (u64::from(width) * stored * u64::from(depth)).div_ceil(8);
    let sample_bytes = if depth == 16 { 2 } else { 1 };
    Ok(Header {
        format: PhotoFormat::Png,
        width,
        height,
        channels: decoded,
        sample_bytes,
        // The decoder unfilters row by row: the previous and current rows, and what it
        // inflates ahead (a window of 32 KiB and some output).
        decoder_bytes: 4 * row + (1 << 20),
        data_bytes,
        least_data_bytes: row * u64::from(height) / MAX_DEFLATE_RATIO,
    })
}

fn webp(bytes: &[u8]) -> Result<Header, Unfit> {
    let bad = Unfit::Unreadable("the WebP header is malformed");
    let cut_short = Unfit::Truncated("the WebP ends before its last chunk");
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return Err(Unfit::Unreadable("not a WebP"));
    }
    let riff_end = 8 + le32(bytes, 4).ok_or(bad)? as usize;
    if bytes.len() < riff_end {
        return Err(cut_short);
    }
    let mut canvas: Option<(u32, u32, bool, bool)> = None;
    let mut bitstream: Option<(u32, u32, bool, bool)> = None;
    let mut data_bytes = 0u64;
    let mut at = 12;
    while at + 8 <= riff_end {
        let kind = &bytes[at..at + 4];
        let length = le32(bytes, at + 4).ok_or(cut_short)? as usize;
        let data = bytes.get(at + 8..at + 8 + length).ok_or(cut_short)?;
        match kind {
            b"VP8X" => {
                let flags = *data.first().ok_or(bad)?;
                let width = 1 + le24(data, 4).ok_or(bad)?;
                let height = 1 + le24(data, 7).ok_or(bad)?;
                canvas = Some((width, height, flags & 0x10 != 0, flags & 0x02 != 0));
            }
            b"VP8 " => {
                if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                    return Err(bad);
                }
                let size = data.get(6..10).ok_or(bad)?;
                let width = u32::from(u16::from_le_bytes([size[0], size[1]]) & 0x3FFF);
                let height = u32::from(u16::from_le_bytes([size[2], size[3]]) & 0x3FFF);
                bitstream.get_or_insert((width, height, false, true));
                data_bytes += length as u64;
            }
            b"VP8L" => {
                if data.first() != Some(&0x2F) {
                    return Err(bad);
                }
                let bits = le32(data, 1).ok_or(bad)?;
                let width = (bits & 0x3FFF) + 1;
                let height = ((bits >> 14) & 0x3FFF) + 1;
                bitstream.get_or_insert((width, height, bits >> 28 & 1 == 1, false));
                data_bytes += length as u64;
            }
            b"ANMF" | b"ALPH" => data_bytes += length as u64,
            _ => {}
        }
        // Chunks are padded to an even length.
        at += 8 + length + (length & 1);
    }
    let (width, height, alpha, animated, lossy) = match (canvas, bitstream) {
        (Some((w, h, alpha, animated)), Some((_, _, _, lossy))) => (w, h, alpha, animated, lossy),
        (Some((w, h, alpha, true)), None) => (w, h, alpha, true, true),
        (None, Some((w, h, alpha, lossy))) => (w, h, alpha, false, lossy),
        _ => return Err(Unfit::Truncated("the WebP has no picture data")),
    };
    if width == 0 || height == 0 {
        return Err(bad);
    }
    let pixels = u64::from(width) * u64::from(height);
    let decoder_bytes = if animated {
        // A canvas and each frame in RGBA.
        pixels * 8
    } else if lossy {
        // Y, U and V planes padded to 16-pixel macroblocks, and the alpha plane.
        let padded = u64::from(width.div_ceil(16) * 16) * u64::from(height.div_ceil(16) * 16);
        padded * 3 / 2 + if alpha { pixels } else { 0 }
    } else {
        // Lossless pictures are decoded as ARGB, four bytes a pixel.
        pixels * 4
    };
    Ok(Header {
        format: PhotoFormat::Webp,
        width,
        height,
        // Animations are composed on an RGBA canvas.
        channels: if alpha || animated { 4 } else { 3 },
        sample_bytes: 1,
        decoder_bytes,
        data_bytes,
        least_data_bytes: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG's segments around a frame of `width`×`height`, `components` with their
    /// sampling factors, and `scan` bytes of picture data.
    fn jpeg_file(marker: u8, width: u16, height: u16, sampling: &[u8], scan: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        // A comment holding what looks like markers, skipped by its length.
        out.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xD9, 0xFF, 0xDA]);
        let mut sof = vec![8];
        sof.extend_from_slice(&height.to_be_bytes());
        sof.extend_from_slice(&width.to_be_bytes());
        sof.push(sampling.len() as u8);
        for (id, factors) in sampling.iter().enumerate() {
            sof.extend_from_slice(&[id as u8 + 1, *factors, 0]);
        }
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&(sof.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(&sof);
        let mut sos = vec![sampling.len() as u8];
        for id in 0..sampling.len() {
            sos.extend_from_slice(&[id as u8 + 1, 0]);
        }
        sos.extend_from_slice(&[0, 63, 0]);
        out.extend_from_slice(&[0xFF, 0xDA]);
        out.extend_from_slice(&(sos.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(&sos);
        out.extend_from_slice(scan);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn a_jpeg_header_gives_its_size_and_its_scan_data() {
        // 4:2:0 colour: luma 2×2, chroma 1×1. A stuffed 0xFF and a restart inside the scan.
        let scan = [&[0x12; 500][..], &[0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]].concat();
        let file = jpeg_file(0xC0, 64, 48, &[0x22, 0x11, 0x11], &scan);
        let header = read(PhotoFormat::Jpeg, &file).unwrap();
        assert_eq!((header.width, header.height), (64, 48));
        assert_eq!((header.channels, header.sample_bytes), (3, 1));
        assert_eq!(header.data_bytes, 500 + 1 + 1 + 1);
        // 8 × 6 luma blocks, one bit each at the least.
        assert_eq!(header.least_data_bytes, 6);
        assert_eq!(judge(&header), Ok(()));
        let grey = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC0, 16, 16, &[0x11], &[1; 4]),
        )
        .unwrap();
        assert_eq!(grey.channels, 1);
    }

    #[test]
    fn a_jpeg_cut_off_or_far_too_short_for_its_size_is_truncated() {
        let file = jpeg_file(0xC0, 64, 48, &[0x11], &[0x12; 100]);
        for cut in [file.len() - 2, file.len() - 60, 30, 3] {
            assert!(
                matches!(
                    read(PhotoFormat::Jpeg, &file[..cut]),
                    Err(Unfit::Truncated(_))
                ),
                "cut at {cut}"
            );
        }
        // 7990×7990 has 999 × 999 blocks: at least 124,750 bytes; 600 are sent.
        let claim = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC0, 7990, 7990, &[0x11], &[0x55; 600]),
        )
        .unwrap();
        assert_eq!(claim.least_data_bytes, 124_750);
        assert!(matches!(judge(&claim), Err(Unfit::Truncated(_))));
        // Within the pixel limit too.
        let twelve = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC0, 4000, 3000, &[0x22, 0x11, 0x11], &[0x55; 600]),
        )
        .unwrap();
        assert!(matches!(judge(&twelve), Err(Unfit::Truncated(_))));
        // Without any scan.
        let mut no_scan = vec![0xFF, 0xD8];
        no_scan.extend_from_slice(&jpeg_file(0xC0, 8, 8, &[0x11], &[])[10..23]);
        no_scan.extend_from_slice(&[0xFF, 0xD9]);
        assert!(read(PhotoFormat::Jpeg, &no_scan).is_err());
    }

    #[test]
    fn progressive_jpegs_count_their_coefficients() {
        let baseline = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC0, 4000, 3000, &[0x22, 0x11, 0x11], &[1; 10]),
        )
        .unwrap();
        let progressive = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC2, 4000, 3000, &[0x22, 0x11, 0x11], &[1; 10]),
        )
        .unwrap();
        // Luma 4000×3000 and two chroma planes of a quarter, two bytes a sample, padded to
        // whole MCUs of 16×16.
        assert_eq!(
            progressive.decoder_bytes,
            (4000 * 3008 + 2 * 2000 * 1504) * 2
        );
        assert!(baseline.decoder_bytes < 1_000_000, "{baseline:?}");
        assert!(progressive.memory() > baseline.memory());
        // A 12 MP phone photo fits, progressive or not.
        assert!(progressive.memory() <= MEMORY_BUDGET);
        for (marker, why) in [(0xC3, "lossless"), (0xC9, "arithmetic")] {
            assert_eq!(
                read(PhotoFormat::Jpeg, &jpeg_file(marker, 8, 8, &[0x11], &[1])),
                Err(Unfit::Unreadable(match why {
                    "lossless" => "lossless JPEGs are not read",
                    _ => "arithmetic-coded JPEGs are not read",
                }))
            );
        }
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        // The CRC is not checked here (the decoder does).
        [&(data.len() as u32).to_be_bytes()[..], kind, data, &[0; 4]].concat()
    }

    fn png_file(
        width: u32,
        height: u32,
        depth: u8,
        colour: u8,
        extra: &[Vec<u8>],
        idat: usize,
    ) -> Vec<u8> {
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
        let mut out = PNG_SIGNATURE.to_vec();
        out.extend(chunk(b"IHDR", &ihdr));
        for c in extra {
            out.extend_from_slice(c);
        }
        out.extend(chunk(b"IDAT", &vec![0; idat]));
        out.extend(chunk(b"IEND", &[]));
        out
    }

    #[test]
    fn a_png_header_counts_depth_alpha_and_palettes() {
        let rgba16 = read(PhotoFormat::Png, &png_file(100, 50, 16, 6, &[], 100)).unwrap();
        assert_eq!((rgba16.channels, rgba16.sample_bytes), (4, 2));
        assert_eq!(rgba16.decoded_bytes(), 100 * 50 * 8);
        let palette = png_file(100, 50, 8, 3, &[chunk(b"PLTE", &[0; 6])], 100);
        assert_eq!(read(PhotoFormat::Png, &palette).unwrap().channels, 3);
        let with_trns = png_file(100, 50, 8, 3, &[chunk(b"tRNS", &[0])], 100);
        assert_eq!(read(PhotoFormat::Png, &with_trns).unwrap().channels, 4);
        let grey = read(PhotoFormat::Png, &png_file(100, 50, 1, 0, &[], 100)).unwrap();
        assert_eq!((grey.channels, grey.sample_bytes), (1, 1));
        assert!(read(PhotoFormat::Png, &png_file(100, 50, 16, 3, &[], 100)).is_err());
        assert!(read(PhotoFormat::Png, &png_file(0, 50, 8, 2, &[], 100)).is_err());
    }

    #[test]
    fn sixteen_bit_and_alpha_cost_memory_before_pixels() {
        // 7900×7900 is over the pixel limit whatever its depth.
        let huge = read(PhotoFormat::Png, &png_file(7900, 7900, 16, 6, &[], 500_000)).unwrap();
        assert_eq!(judge(&huge), Err(Unfit::TooManyPixels(62_410_000)));
        // 12 MP: 8-bit RGB fits; 16-bit RGBA (96 MB decoded, 36 MB more as RGB) does not.
        let rgb8 = read(PhotoFormat::Png, &png_file(4000, 3000, 8, 2, &[], 40_000)).unwrap();
        assert_eq!(judge(&rgb8), Ok(()));
        let rgba16 = read(PhotoFormat::Png, &png_file(4000, 3000, 16, 6, &[], 100_000)).unwrap();
        assert_eq!(rgba16.memory(), 96_000_000 + 36_000_000);
        assert_eq!(judge(&rgba16), Err(Unfit::TooMuchMemory(132_000_000)));
    }

    #[test]
    fn phone_photos_fit_the_budget() {
        // The largest default photos: an iPhone's 24 MP (5712×4284), portrait and landscape,
        // and a 24 MP camera's 6000×4000; all baseline 4:2:0 JPEGs.
        for (width, height) in [(5712, 4284), (4284, 5712), (6000, 4000), (4000, 3000)] {
            let header = read(
                PhotoFormat::Jpeg,
                &jpeg_file(0xC0, width, height, &[0x22, 0x11, 0x11], &vec![1; 400_000]),
            )
            .unwrap();
            assert_eq!(
                judge(&header),
                Ok(()),
                "{width}×{height}: {}",
                header.memory()
            );
        }
        // A 50 MP mode is over the pixel limit.
        let fifty = read(
            PhotoFormat::Jpeg,
            &jpeg_file(0xC0, 8160, 6144, &[0x22, 0x11, 0x11], &vec![1; 100_000]),
        )
        .unwrap();
        assert!(matches!(judge(&fifty), Err(Unfit::TooManyPixels(_))));
    }

    #[test]
    fn a_png_cut_off_or_with_idat_too_short_is_truncated() {
        let file = png_file(1000, 1000, 8, 2, &[], 5000);
        assert!(matches!(
            read(PhotoFormat::Png, &file[..file.len() - 12]),
            Err(Unfit::Truncated(_))
        ));
        assert!(matches!(
            read(PhotoFormat::Png, &file[..200]),
            Err(Unfit::Truncated(_))
        ));
        // 3,001,000 bytes of rows cannot come out of much less than 2,908 bytes of deflate.
        let short = read(PhotoFormat::Png, &png_file(1000, 1000, 8, 2, &[], 2000)).unwrap();
        assert_eq!(short.least_data_bytes, 2_907);
        assert!(matches!(judge(&short), Err(Unfit::Truncated(_))));
        let whole = read(PhotoFormat::Png, &png_file(1000, 1000, 8, 2, &[], 2907)).unwrap();
        assert_eq!(judge(&whole), Ok(()));
        // A chunk claiming more than 2 GiB.
        let mut huge = png_file(10, 10, 8, 2, &[], 10);
        huge[33..37].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        assert!(matches!(
            read(PhotoFormat::Png, &huge),
            Err(Unfit::Unreadable(_))
        ));
    }

    #[test]
    fn a_png_profile_stream_follows_its_name_and_method() {
        assert_eq!(
            png_profile_stream(b"sRGB\0\0\x78\x9c"),
            Some(&b"\x78\x9c"[..])
        );
        assert_eq!(png_profile_stream(b"sRGB\0\x01\x78"), None);
        assert_eq!(png_profile_stream(b"\0\0\x78"), None);
        assert_eq!(png_profile_stream(&[b'a'; 100]), None);
    }

    fn webp_file(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        [
            b"RIFF".as_slice(),
            &(body.len() as u32 + 4).to_le_bytes(),
            b"WEBP",
            &body,
        ]
        .concat()
    }

    fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = [kind.as_slice(), &(data.len() as u32).to_le_bytes(), data].concat();
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    #[test]
    fn a_webp_header_gives_its_size_and_alpha() {
        let mut vp8 = vec![0, 0, 0, 0x9D, 0x01, 0x2A];
        vp8.extend_from_slice(&300u16.to_le_bytes());
        vp8.extend_from_slice(&200u16.to_le_bytes());
        vp8.extend_from_slice(&[0; 21]);
        let lossy = read(PhotoFormat::Webp, &webp_file(&[riff_chunk(b"VP8 ", &vp8)])).unwrap();
        assert_eq!((lossy.width, lossy.height, lossy.channels), (300, 200, 3));
        let bits: u32 = 299 | (199 << 14) | (1 << 28);
        let vp8l = [&[0x2F][..], &bits.to_le_bytes(), &[0; 4]].concat();
        let lossless = read(PhotoFormat::Webp, &webp_file(&[riff_chunk(b"VP8L", &vp8l)])).unwrap();
        assert_eq!(
            (lossless.width, lossless.height, lossless.channels),
            (300, 200, 4)
        );
        let mut vp8x = vec![0x10, 0, 0, 0];
        vp8x.extend_from_slice(&[0x2B, 0x01, 0x00, 0xC7, 0x00, 0x00]);
        let extended = read(
            PhotoFormat::Webp,
            &webp_file(&[riff_chunk(b"VP8X", &vp8x), riff_chunk(b"VP8 ", &vp8)]),
        )
        .unwrap();
        assert_eq!(
            (extended.width, extended.height, extended.channels),
            (300, 200, 4)
        );
        // The RIFF size says more than was sent.
        let file = webp_file(&[riff_chunk(b"VP8 ", &vp8)]);
        assert!(matches!(
            read(PhotoFormat::Webp, &file[..file.len() - 5]),
            Err(Unfit::Truncated(_))
        ));
    }
}
