//! Badges baked into images: reading the credential (or assertion) out of a PNG or an SVG.
//!
//! - PNG, Open Badges 3.0: an `iTXt` chunk with the keyword `openbadgecredential` holding the
//!   credential (JSON, or a compact JWS).
//! - PNG, Open Badges 2.0: an `iTXt` chunk `openbadges` holding the assertion (JSON, a JWS, or
//!   the assertion's URL); the legacy form is a `tEXt` chunk `openbadges` with the URL.
//! - SVG: an `openbadges:credential` element (namespace `https://purl.imsglobal.org/ob/v3p0`)
//!   or, for 2.0, `openbadges:assertion` (namespace `http://openbadges.org`), its text (or
//!   CDATA) the badge, or for 2.0 a `verify` attribute with the URL.
//!
//! PNG chunks are walked by hand (length, type, data, CRC-32 checked with `crc32fast`): only
//! the framing is needed, never the pixels, and a decoder that stops at the image data would
//! miss text chunks written after it. SVG is parsed with `roxmltree`, which refuses external
//! entities and bounds entity expansion.

use std::io::Read;

/// Which standard the baked badge follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BakedKind {
    /// Open Badges 3.0 (a verifiable credential).
    OpenBadges3,
    /// Open Badges 2.0 (an assertion).
    OpenBadges2,
}

/// A badge read out of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baked {
    /// Its standard.
    pub kind: BakedKind,
    /// What was baked: JSON, a compact JWS, or (2.0) the assertion's URL.
    pub text: String,
}

/// Why no badge could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BakedError {
    /// Not a PNG or SVG at all.
    #[error("the file is not a PNG or SVG image")]
    NotAnImage,
    /// An image, but broken: a chunk runs past the end, a CRC does not match, the XML is not
    /// well formed.
    #[error("the image is damaged: {0}")]
    Damaged(String),
    /// An image without a badge in it.
    #[error("the image has no badge baked into it")]
    NoBadge,
    /// More than one badge: which one was meant cannot be told.
    #[error("the image holds {0} badges; a baked image holds exactly one")]
    Several(usize),
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// A baked credential is small; anything larger is refused before inflating.
const TEXT_LIMIT: usize = 2 * 1024 * 1024;
const OB3_SVG_NS: &str = "https://purl.imsglobal.org/ob/v3p0";
const OB2_SVG_NS: &str = "http://openbadges.org";

/// Whether `bytes` look like a PNG or an SVG (so callers can tell images from JSON).
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(PNG_SIGNATURE) || looks_like_svg(bytes)
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('<') && head.contains("<svg")
}

/// The badge baked into a PNG or SVG.
pub fn unbake(bytes: &[u8]) -> Result<Baked, BakedError> {
    if bytes.starts_with(PNG_SIGNATURE) {
        unbake_png(bytes)
    } else if looks_like_svg(bytes) {
        unbake_svg(bytes)
    } else {
        Err(BakedError::NotAnImage)
    }
}

fn one(found: Vec<Baked>) -> Result<Baked, BakedError> {
    match found.len() {
        0 => Err(BakedError::NoBadge),
        1 => Ok(found.into_iter().next().ok_or(BakedError::NoBadge)?),
        n => Err(BakedError::Several(n)),
    }
}

fn damaged(what: impl Into<String>) -> BakedError {
    BakedError::Damaged(what.into())
}

fn unbake_png(bytes: &[u8]) -> Result<Baked, BakedError> {
    let mut found = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    let mut ended = false;
    while at < bytes.len() {
        let header = bytes
            .get(at..at + 8)
            .ok_or_else(|| damaged("a chunk header is cut off"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let data_end = at
            .checked_add(8)
            .and_then(|s| s.checked_add(len))
            .ok_or_else(|| damaged("a chunk length overflows"))?;
        let data = bytes
            .get(at + 8..data_end)
            .ok_or_else(|| damaged("a chunk runs past the end of the file"))?;
        let crc = bytes
            .get(data_end..data_end + 4)
            .ok_or_else(|| damaged("a chunk's checksum is cut off"))?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(kind);
        hasher.update(data);
        if hasher.finalize().to_be_bytes() != crc {
            return Err(damaged(format!(
                "the {} chunk's checksum does not match",
                String::from_utf8_lossy(kind)
            )));
        }
        match kind {
            b"iTXt" => {
                if let Some(b) = itxt(data)? {
                    found.push(b);
                }
            }
            b"tEXt" => {
                let mut parts = data.splitn(2, |b| *b == 0);
                let keyword = parts.next().unwrap_or_default();
                if keyword == b"openbadges" {
                    // Latin-1 text: a URL is ASCII.
                    let text: String = parts
                        .next()
                        .unwrap_or_default()
                        .iter()
                        .map(|b| char::from(*b))
                        .collect();
                    found.push(Baked {
                        kind: BakedKind::OpenBadges2,
                        text: text.trim().to_owned(),
                    });
                }
            }
            b"IEND" => {
                ended = true;
                break;
            }
            _ => {}
        }
        at = data_end + 4;
    }
    if !ended {
        return Err(damaged("the file ends before the image's last chunk"));
    }
    one(found)
}

/// An `iTXt` chunk: keyword, compression flag and method, language tag, translated keyword,
/// text (UTF-8, deflated when the flag says so).
fn itxt(data: &[u8]) -> Result<Option<Baked>, BakedError> {
    let nul = |from: usize| {
        data.get(from..)
            .and_then(|d| d.iter().position(|b| *b == 0))
            .map(|p| from + p)
            .ok_or_else(|| damaged("an iTXt chunk is cut off"))
    };
    let k_end = nul(0)?;
    let kind = match &data[..k_end] {
        b"openbadgecredential" => BakedKind::OpenBadges3,
        b"openbadges" => BakedKind::OpenBadges2,
        _ => return Ok(None),
    };
    let flags = data
        .get(k_end + 1..k_end + 3)
        .ok_or_else(|| damaged("an iTXt chunk is cut off"))?;
    let lang_end = nul(k_end + 3)?;
    let translated_end = nul(lang_end + 1)?;
    let raw = &data[translated_end + 1..];
    let text = if flags[0] == 1 {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(raw)
            .take(TEXT_LIMIT as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| damaged(format!("the baked text does not inflate: {e}")))?;
        out
    } else {
        raw.to_vec()
    };
    if text.len() > TEXT_LIMIT {
        return Err(damaged("the baked text is larger than any badge"));
    }
    let text = String::from_utf8(text).map_err(|_| damaged("the baked text is not UTF-8"))?;
    Ok(Some(Baked {
        kind,
        text: text.trim().to_owned(),
    }))
}

fn unbake_svg(bytes: &[u8]) -> Result<Baked, BakedError> {
    let text = std::str::from_utf8(bytes).map_err(|_| damaged("the SVG is not UTF-8"))?;
    let doc = roxmltree::Document::parse(text).map_err(|e| damaged(e.to_string()))?;
    let mut found = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name();
        let kind = match (name.namespace(), name.name()) {
            (Some(OB3_SVG_NS), "credential") => BakedKind::OpenBadges3,
            (Some(OB2_SVG_NS), "assertion") => BakedKind::OpenBadges2,
            _ => continue,
        };
        let inner: String = node
            .children()
            .filter_map(|c| c.text())
            .collect::<String>()
            .trim()
            .to_owned();
        let text = if inner.is_empty() {
            node.attribute("verify")
                .unwrap_or_default()
                .trim()
                .to_owned()
        } else {
            inner
        };
        if text.is_empty() {
            return Err(damaged("a baked element is empty"));
        }
        found.push(Baked { kind, text });
    }
    one(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut h = crc32fast::Hasher::new();
        h.update(kind);
        h.update(data);
        out.extend_from_slice(&h.finalize().to_be_bytes());
        out
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut out = PNG_SIGNATURE.to_vec();
        out.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]));
        for c in chunks {
            out.extend_from_slice(c);
        }
        out.extend(chunk(b"IEND", b""));
        out
    }

    fn itxt_chunk(keyword: &str, text: &str) -> Vec<u8> {
        let mut d = keyword.as_bytes().to_vec();
        d.extend_from_slice(&[0, 0, 0, 0, 0]);
        d.extend_from_slice(text.as_bytes());
        chunk(b"iTXt", &d)
    }

    #[test]
    fn reads_each_kind_of_baked_png() {
        let b = unbake(&png(&[itxt_chunk("openbadgecredential", "{\"a\":1}")])).expect("ob3");
        assert_eq!(
            b,
            Baked {
                kind: BakedKind::OpenBadges3,
                text: "{\"a\":1}".into()
            }
        );
        let b = unbake(&png(&[itxt_chunk("openbadges", "{\"b\":2}")])).expect("ob2");
        assert_eq!(b.kind, BakedKind::OpenBadges2);
        let b =
            unbake(&png(&[chunk(b"tEXt", b"openbadges\0https://a.example/1")])).expect("legacy");
        assert_eq!(b.text, "https://a.example/1");
    }

    #[test]
    fn refuses_pngs_without_one_intact_badge() {
        assert_eq!(unbake(&png(&[])), Err(BakedError::NoBadge));
        let two = png(&[
            itxt_chunk("openbadgecredential", "{}"),
            itxt_chunk("openbadgecredential", "{}"),
        ]);
        assert_eq!(unbake(&two), Err(BakedError::Several(2)));
        let whole = png(&[itxt_chunk("openbadgecredential", "{\"a\":1}")]);
        let cut = &whole[..whole.len() - 20];
        assert!(matches!(unbake(cut), Err(BakedError::Damaged(_))));
        let mut flipped = whole.clone();
        let at = flipped.len() - 20;
        flipped[at] ^= 1;
        assert!(matches!(unbake(&flipped), Err(BakedError::Damaged(_))));
        assert_eq!(
            unbake(b"{\"not\": \"an image\"}"),
            Err(BakedError::NotAnImage)
        );
    }

    #[test]
    fn reads_both_svg_namespaces() {
        let ob3 = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[{"c":3}]]></openbadges:credential><circle r="4"/></svg>"#;
        assert_eq!(unbake(ob3.as_bytes()).expect("ob3").text, "{\"c\":3}");
        let ob2 = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://a.example/assertions/9"/></svg>"#;
        let b = unbake(ob2.as_bytes()).expect("ob2");
        assert_eq!(
            (b.kind, b.text.as_str()),
            (BakedKind::OpenBadges2, "https://a.example/assertions/9")
        );
        let none = r#"<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>"#;
        assert_eq!(unbake(none.as_bytes()), Err(BakedError::NoBadge));
        let broken = r#"<svg xmlns="http://www.w3.org/2000/svg"><circle"#;
        assert!(matches!(
            unbake(broken.as_bytes()),
            Err(BakedError::Damaged(_))
        ));
    }
}
