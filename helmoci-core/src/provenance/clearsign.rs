//! The OpenPGP cleartext signature framework (RFC 9580 §7) as go-crypto's `clearsign` reads
//! and writes it: the body is dash-escaped, trailing blanks are not signed, line ends are
//! signed as CRLF, and the newline before the signature armor is not signed.

use base64::Engine as _;

const BEGIN_MESSAGE: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &[u8] = b"-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE: &[u8] = b"-----END PGP SIGNATURE-----";

/// A decoded cleartext-signed block.
#[derive(Debug)]
pub(crate) struct Block {
    /// The text as the reader sees it: unescaped, trailing blanks removed, each line + `\n`.
    pub plaintext: Vec<u8>,
    /// The bytes that were signed: the same lines joined by CRLF, no final line end.
    pub signed: Vec<u8>,
    /// The signature packets (armor removed).
    pub signature: Vec<u8>,
}

/// Why a block could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// No signed-message header, or no signature armor after it (Helm: `signature block not found`).
    NotFound,
    /// The signature armor is there but broken.
    Armor(&'static str),
}

/// Splits off one line; the line excludes `\n` and a `\r` before it.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let line = &data[..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            (line, &data[i + 1..])
        }
        None => (data, &[]),
    }
}

fn trim_blanks(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// Decodes the first cleartext-signed message in `data`, like go-crypto's `clearsign.Decode`.
pub(crate) fn decode(data: &[u8]) -> Result<Block, DecodeError> {
    let mut rest = data;
    // The header line, possibly after other text.
    loop {
        if rest.is_empty() {
            return Err(DecodeError::NotFound);
        }
        let (line, r) = get_line(rest);
        rest = r;
        if trim_blanks(line) == BEGIN_MESSAGE {
            break;
        }
    }
    // Armor headers (`Hash: SHA512`) up to an empty line; each must be `Key: value`.
    loop {
        if rest.is_empty() {
            return Err(DecodeError::NotFound);
        }
        let (line, r) = get_line(rest);
        rest = r;
        let line = trim_blanks(line);
        if line.is_empty() {
            break;
        }
        if !line.contains(&b':') {
            return Err(DecodeError::NotFound);
        }
    }
    // The body, up to the signature armor.
    let mut plaintext = Vec::new();
    let mut signed = Vec::new();
    let mut first = true;
    loop {
        if rest.is_empty() {
            return Err(DecodeError::NotFound);
        }
        let (line, r) = get_line(rest);
        if trim_blanks(line) == BEGIN_SIGNATURE {
            break;
        }
        rest = r;
        if !first {
            signed.extend_from_slice(b"\r\n");
        }
        first = false;
        let line = line.strip_prefix(b"- ").unwrap_or(line);
        let line = trim_blanks(line);
        signed.extend_from_slice(line);
        plaintext.extend_from_slice(line);
        plaintext.push(b'\n');
    }
    let signature = dearmor(rest)?;
    Ok(Block {
        plaintext,
        signed,
        signature,
    })
}

/// Reads the `-----BEGIN PGP SIGNATURE-----` armor at the start of `data`: optional headers,
/// base64 lines, an optional `=CRC24` line (checked when present), the end line.
fn dearmor(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let (_, mut rest) = get_line(data);
    let mut b64 = Vec::new();
    let mut in_headers = true;
    let mut crc: Option<Vec<u8>> = None;
    loop {
        if rest.is_empty() {
            return Err(DecodeError::Armor("no -----END PGP SIGNATURE----- line"));
        }
        let (line, r) = get_line(rest);
        rest = r;
        let line = trim_blanks(line);
        if in_headers {
            if line.is_empty() {
                in_headers = false;
                continue;
            }
            if line.windows(2).any(|w| w == b": ") {
                continue;
            }
            // No header block: the first line is already base64.
            in_headers = false;
        }
        if line == END_SIGNATURE {
            break;
        }
        if let Some(c) = line.strip_prefix(b"=") {
            crc = Some(c.to_vec());
            continue;
        }
        if crc.is_some() {
            return Err(DecodeError::Armor("data after the checksum line"));
        }
        b64.extend_from_slice(line);
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(&b64)
        .map_err(|_| DecodeError::Armor("the signature is not valid base64"))?;
    if bytes.is_empty() {
        return Err(DecodeError::Armor("the signature is empty"));
    }
    if let Some(c) = crc {
        let want = engine
            .decode(&c)
            .map_err(|_| DecodeError::Armor("the checksum is not valid base64"))?;
        let got = crc24(&bytes);
        if want.as_slice() != &got.to_be_bytes()[1..] {
            return Err(DecodeError::Armor("armor checksum mismatch"));
        }
    }
    Ok(bytes)
}

/// CRC-24 of RFC 9580 §6.1.
fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// The bytes a cleartext signature over `text` signs: lines without trailing blanks, joined by
/// CRLF. A final `\n` of `text` is signed too (as go-crypto v1.4 does: it writes it as an empty
/// last line before the armor); only the line end just before the armor is not signed.
pub(crate) fn signed_bytes(text: &str) -> Vec<u8> {
    let body = text;
    let mut out = Vec::with_capacity(body.len() + 16);
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.extend_from_slice(trim_blanks(line.as_bytes()));
    }
    out
}

/// Writes the cleartext-signed message as Helm v4 (go-crypto v1.4) does: a text ending in
/// `\n` is followed by an empty line before the armor, and there is no `=CRC24` line and no
/// newline after the end line.
pub(crate) fn encode(text: &str, hash_name: &str, signature: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + signature.len() * 2 + 128);
    out.push_str("-----BEGIN PGP SIGNED MESSAGE-----\nHash: ");
    out.push_str(hash_name);
    out.push_str("\n\n");
    let body = text;
    for line in body.split('\n') {
        if line.starts_with('-') {
            out.push_str("- ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("-----BEGIN PGP SIGNATURE-----\n\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(signature);
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PGP SIGNATURE-----");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc24_of_rfc_example() {
        // "=vHcU" in Helm's msgblock.yaml.asc is checked by the integration tests; here the
        // empty input gives the initial value.
        assert_eq!(crc24(b""), 0x00B7_04CE);
    }

    #[test]
    fn round_trip_dash_escapes_and_signs_trimmed_crlf() {
        let text = "a: 1  \n-b\n\n...\nfiles:\n  x.tgz: sha256:00\n";
        let s = encode(text, "SHA512", b"\x01\x02\x03");
        assert!(s.contains("\n- -b\n"));
        let block = decode(s.as_bytes()).expect("decodes");
        assert_eq!(block.signed, signed_bytes(text));
        assert_eq!(
            block.signed,
            b"a: 1\r\n-b\r\n\r\n...\r\nfiles:\r\n  x.tgz: sha256:00\r\n".to_vec()
        );
        assert_eq!(
            block.plaintext,
            b"a: 1\n-b\n\n...\nfiles:\n  x.tgz: sha256:00\n\n"
        );
        assert_eq!(block.signature, vec![1, 2, 3]);
    }

    #[test]
    fn missing_pieces_are_not_found() {
        assert_eq!(decode(b"").unwrap_err(), DecodeError::NotFound);
        assert_eq!(
            decode(b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nabc\n").unwrap_err(),
            DecodeError::NotFound
        );
    }
}
