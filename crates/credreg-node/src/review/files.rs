//! What an evidence file may be: bounded in size, named by the blake3 of its bytes, typed by
//! its first bytes. Both ways in (the API's raw upload and the pages' multipart form) feed
//! their chunks through one [`UploadCheck`], so the rules cannot drift apart; each writes the
//! bytes with its own async file handle and commits them through the store's
//! [`EvidenceFiles`] (where the files live on disk).

/// File types a teacher's evidence may be: documents, images, audio and video. Anything else
/// (HTML, SVG, scripts, archives, executables) is refused: a reviewer's browser must never be
/// handed active content from a teacher's upload.
pub const ACCEPTED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "audio/mpeg",
    "audio/x-wav",
    "audio/m4a",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/plain",
];

/// Types a browser may show inline from this node (with `nosniff` and a sandboxing CSP): they
/// cannot run script. Everything else is only ever a download.
pub fn shown_inline(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/pdf"
            | "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "video/mp4"
            | "video/webm"
            | "audio/mpeg"
            | "text/plain"
    )
}

/// Bytes looked at to tell the type.
const SNIFF_BYTES: usize = 8 * 1024;

/// What `head` (a file's first bytes) is: a sniffed type, or plain UTF-8 text without control
/// characters other than whitespace.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if let Some(t) = infer::get(head) {
        return ACCEPTED.iter().copied().find(|a| *a == t.mime_type());
    }
    // Text: valid UTF-8 (a multi-byte character may be cut at the end of the sample).
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let plain = !text.is_empty()
        && !text.trim_start().starts_with('<')
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    plain.then_some("text/plain")
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Over the node's per-file limit.
    #[error("a file may be at most {} MiB", .limit / (1024 * 1024))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More bytes arrived than the request declared.
    #[error("the upload is longer than its Content-Length")]
    LongerThanDeclared,
    /// Fewer bytes arrived than the request declared.
    #[error("the upload was cut off: {got} of {declared} bytes arrived")]
    CutOff {
        /// Bytes that arrived.
        got: u64,
        /// Bytes declared.
        declared: u64,
    },
    /// No bytes at all.
    #[error("the file is empty")]
    Empty,
    /// Not a type evidence may be.
    #[error("evidence may be a PDF, an office document, plain text, an image, audio or video")]
    Unsupported,
}

/// The checks an upload's bytes go through as they stream by: size, digest and type.
pub struct UploadCheck {
    limit: u64,
    declared: Option<u64>,
    hasher: blake3::Hasher,
    head: Vec<u8>,
    size: u64,
}

/// A checked upload: its name on disk, its type and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// blake3 of the bytes, hex.
    pub digest: String,
    /// The sniffed type, one of [`ACCEPTED`].
    pub media_type: &'static str,
    /// Bytes.
    pub size: u64,
}

impl UploadCheck {
    /// Checks for a file of at most `limit` bytes; `declared` is the length the sender
    /// announced, when it did (then exactly that many bytes must arrive).
    pub fn new(limit: u64, declared: Option<u64>) -> Result<Self, UploadError> {
        if declared.is_some_and(|d| d > limit) {
            return Err(UploadError::TooLarge { limit });
        }
        Ok(Self {
            limit,
            declared,
            hasher: blake3::Hasher::new(),
            head: Vec::with_capacity(SNIFF_BYTES),
            size: 0,
        })
    }

    /// Takes the next chunk (before it is written anywhere).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        if self.declared.is_some_and(|d| self.size > d) {
            return Err(UploadError::LongerThanDeclared);
        }
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        Ok(())
    }

    /// The verdict once every chunk is in.
    pub fn finish(self) -> Result<CheckedFile, UploadError> {
        if let Some(declared) = self.declared {
            if self.size != declared {
                return Err(UploadError::CutOff {
                    got: self.size,
                    declared,
                });
            }
        }
        if self.size == 0 {
            return Err(UploadError::Empty);
        }
        let media_type = sniff(&self.head).ok_or(UploadError::Unsupported)?;
        Ok(CheckedFile {
            digest: self.hasher.finalize().to_hex().to_string(),
            media_type,
            size: self.size,
        })
    }
}

pub use credreg_store::EvidenceFiles;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_size_length_and_type() {
        let mut c = UploadCheck::new(10, Some(5)).expect("as expected");
        c.feed(b"hello").expect("as expected");
        let f = c.finish().expect("as expected");
        assert_eq!((f.media_type, f.size), ("text/plain", 5));
        assert_eq!(
            UploadCheck::new(10, Some(11)).err(),
            Some(UploadError::TooLarge { limit: 10 })
        );
        let mut c = UploadCheck::new(10, Some(3)).expect("as expected");
        assert_eq!(c.feed(b"four"), Err(UploadError::LongerThanDeclared));
        let mut c = UploadCheck::new(10, Some(6)).expect("as expected");
        c.feed(b"four").expect("as expected");
        assert_eq!(
            c.finish(),
            Err(UploadError::CutOff {
                got: 4,
                declared: 6
            })
        );
        let mut c = UploadCheck::new(100, None).expect("as expected");
        c.feed(b"<html><script>").expect("as expected");
        assert_eq!(c.finish(), Err(UploadError::Unsupported));
        assert_eq!(
            UploadCheck::new(100, None).expect("as expected").finish(),
            Err(UploadError::Empty)
        );
    }
}
