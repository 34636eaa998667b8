//! Baked badges: the award's JSON inside a PNG image, as Open Badges 3.0 specifies (an `iTXt`
//! chunk with the keyword `openbadgecredential`, uncompressed, holding the credential), so a
//! teacher can carry one file that is both a picture and the badge.

/// Side of the square image, in pixels.
const SIDE: u32 = 240;

/// A PNG of a simple medal with `credential` (the award's exact JSON bytes) baked in.
pub(crate) fn bake_png(credential: &str) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, SIDE, SIDE);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_itxt_chunk("openbadgecredential".to_owned(), credential.to_owned())?;
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&medal())?;
    }
    Ok(out)
}

/// A green disc with a lighter ring on a transparent ground.
fn medal() -> Vec<u8> {
    let mut pixels = Vec::with_capacity((SIDE * SIDE * 4) as usize);
    let c = SIDE as f32 / 2.0;
    for y in 0..SIDE {
        for x in 0..SIDE {
            let d = ((x as f32 + 0.5 - c).powi(2) + (y as f32 + 0.5 - c).powi(2)).sqrt();
            let px: [u8; 4] = if d < c * 0.72 {
                [0x00, 0x70, 0x3c, 0xff]
            } else if d < c * 0.86 {
                [0xcc, 0xe2, 0xd8, 0xff]
            } else if d < c * 0.95 {
                [0x00, 0x5a, 0x30, 0xff]
            } else {
                [0, 0, 0, 0]
            };
            pixels.extend_from_slice(&px);
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_reads_back_from_the_itxt_chunk() {
        let json = r#"{"type":["VerifiableCredential","OpenBadgeCredential"],"name":"Wait Time – “Proficient”"}"#;
        let png_bytes = bake_png(json).expect("bakes");
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().expect("a PNG");
        let chunks = &reader.info().utf8_text;
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].keyword, "openbadgecredential");
        assert!(!chunks[0].compressed);
        assert_eq!(chunks[0].get_text().expect("text"), json);
    }
}
