//! gzip with Helm's header, compressed in independent blocks so that both cores can work
//! while the output stays byte-identical whatever the thread count.
//!
//! The header is Helm v4.2.4's: `1F 8B 08 14`, MTIME 0, XFL 0, OS 255, an `rr` FEXTRA
//! subfield and the comment `Helm`. The deflate stream is cut into blocks of
//! [`BLOCK_SIZE`] input bytes (the pigz scheme): each block is compressed on its own with
//! the previous 32 KiB of input as its dictionary and ends with a sync flush, the last one
//! with the final block. A block's bytes depend only on its input, its dictionary and the
//! level, never on which thread compressed it or how many there are.

use std::io::{self, Write};

use flate2::{Compress, Compression, FlushCompress, Status};

/// Helm's gzip header (v4.2.4+): magic, CM=8, FLG=FEXTRA|FCOMMENT, MTIME 0, XFL 0, OS 255,
/// XLEN 44, subfield `rr` of 40 bytes, comment `Helm\0`.
pub(crate) const HELM_GZIP_HEADER: &[u8] =
    b"\x1f\x8b\x08\x14\x00\x00\x00\x00\x00\xff\x2c\x00rr\x28\x00aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=Helm\0";

/// Input bytes per independently compressed block.
pub(crate) const BLOCK_SIZE: usize = 128 * 1024;
const DICT_SIZE: usize = 32 * 1024;
/// Helm (Go's `gzip.NewWriter`) compresses at level 6.
const LEVEL: u32 = 6;

/// A gzip stream writer with Helm's header and deterministic block-parallel deflate.
#[derive(Debug)]
pub(crate) struct GzipWriter<W: Write> {
    out: W,
    threads: usize,
    /// Full blocks waiting to be compressed, plus the block being filled (last).
    pending: Vec<Vec<u8>>,
    /// The last 32 KiB of input before `pending[0]`.
    dict: Vec<u8>,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> GzipWriter<W> {
    /// Writes the header and returns a writer that compresses on up to `threads` threads.
    pub(crate) fn new(mut out: W, threads: usize) -> io::Result<Self> {
        out.write_all(HELM_GZIP_HEADER)?;
        Ok(GzipWriter {
            out,
            threads: threads.max(1),
            pending: vec![Vec::with_capacity(BLOCK_SIZE)],
            dict: Vec::new(),
            crc: crc32fast::Hasher::new(),
            size: 0,
        })
    }

    /// Compresses all full pending blocks (in parallel when there are several).
    fn flush_blocks(&mut self, finish: bool) -> io::Result<()> {
        let mut blocks = std::mem::take(&mut self.pending);
        let tail = if finish { None } else { blocks.pop() };
        let last_index = blocks.len().wrapping_sub(1);
        // Each job: its input, its dictionary, whether it ends the stream.
        let mut jobs = Vec::with_capacity(blocks.len());
        let mut dict = std::mem::take(&mut self.dict);
        for (i, block) in blocks.iter().enumerate() {
            jobs.push((i, dict.clone(), finish && i == last_index));
            dict = tail_of(&dict, block);
        }
        self.dict = dict;
        let results: Vec<io::Result<(Vec<u8>, crc32fast::Hasher)>> =
            if self.threads == 1 || blocks.len() == 1 {
                jobs.iter()
                    .map(|(i, d, last)| compress_block(&blocks[*i], d, *last))
                    .collect()
            } else {
                let chunk = blocks.len().div_ceil(self.threads);
                std::thread::scope(|s| {
                    let handles: Vec<_> = jobs
                        .chunks(chunk)
                        .map(|group| {
                            let blocks = &blocks;
                            s.spawn(move || {
                                group
                                    .iter()
                                    .map(|(i, d, last)| compress_block(&blocks[*i], d, *last))
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| {
                            h.join().unwrap_or_else(|_| {
                                vec![Err(io::Error::other("compression thread panicked"))]
                            })
                        })
                        .collect()
                })
            };
        for result in results {
            let (bytes, crc) = result?;
            self.out.write_all(&bytes)?;
            self.crc.combine(&crc);
        }
        // Reuse one allocation for the next block being filled.
        let mut next = tail.unwrap_or_default();
        if next.capacity() < BLOCK_SIZE {
            next.reserve(BLOCK_SIZE - next.len());
        }
        self.pending.push(next);
        Ok(())
    }

    /// Ends the deflate stream, writes CRC32 and ISIZE, and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.flush_blocks(true)?;
        let crc = self.crc.clone().finalize();
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.write_all(&(self.size as u32).to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for GzipWriter<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let written = buf.len();
        self.size += buf.len() as u64;
        while !buf.is_empty() {
            let current = self
                .pending
                .last_mut()
                .expect("one block is always being filled");
            let room = BLOCK_SIZE - current.len();
            let n = room.min(buf.len());
            current.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if current.len() == BLOCK_SIZE {
                if self.pending.len() >= self.threads * 2 {
                    // Keep the last full block pending so `finish` can end the stream in it.
                    self.pending.push(Vec::with_capacity(BLOCK_SIZE));
                    self.flush_blocks(false)?;
                } else {
                    self.pending.push(Vec::with_capacity(BLOCK_SIZE));
                }
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The last 32 KiB of `previous ++ block`.
fn tail_of(previous: &[u8], block: &[u8]) -> Vec<u8> {
    if block.len() >= DICT_SIZE {
        return block[block.len() - DICT_SIZE..].to_vec();
    }
    let keep = DICT_SIZE - block.len();
    let start = previous.len().saturating_sub(keep);
    let mut d = previous[start..].to_vec();
    d.extend_from_slice(block);
    d
}

fn compress_block(
    input: &[u8],
    dict: &[u8],
    last: bool,
) -> io::Result<(Vec<u8>, crc32fast::Hasher)> {
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    let mut c = Compress::new(Compression::new(LEVEL), false);
    if !dict.is_empty() {
        c.set_dictionary(dict)
            .map_err(|e| io::Error::other(format!("deflate dictionary: {e}")))?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(input.len() / 2 + 1024);
    loop {
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&input[consumed..], &mut out, flush)
            .map_err(|e| io::Error::other(format!("deflate: {e}")))?;
        let done = c.total_in() as usize == input.len()
            && match status {
                Status::StreamEnd => true,
                // A sync flush is complete once the output buffer was not filled up.
                Status::Ok | Status::BufError => !last && out.len() < out.capacity(),
            };
        if done {
            break;
        }
        out.reserve(out.capacity().max(4096));
    }
    Ok((out, crc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gzip(data: &[u8], threads: usize, write_size: usize) -> Vec<u8> {
        let mut w = GzipWriter::new(Vec::new(), threads).unwrap();
        for piece in data.chunks(write_size.max(1)) {
            w.write_all(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn sample(len: usize) -> Vec<u8> {
        // Half compressible text, half pseudo-random bytes.
        let mut x: u32 = 12345;
        (0..len)
            .map(|i| {
                if (i / 50_000) % 2 == 0 {
                    b"helm chart template line\n"[i % 25]
                } else {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                }
            })
            .collect()
    }

    #[test]
    fn round_trips_and_keeps_helm_header() {
        for len in [
            0,
            1,
            BLOCK_SIZE - 1,
            BLOCK_SIZE,
            BLOCK_SIZE + 1,
            5 * BLOCK_SIZE + 7,
        ] {
            let data = sample(len);
            let gz = gzip(&data, 2, 10_000);
            assert!(gz.starts_with(HELM_GZIP_HEADER));
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "length {len}");
        }
    }

    #[test]
    fn output_does_not_depend_on_threads_or_write_sizes() {
        let data = sample(9 * BLOCK_SIZE + 4321);
        let one = gzip(&data, 1, 1 << 20);
        assert_eq!(one, gzip(&data, 2, 777));
        assert_eq!(one, gzip(&data, 4, 65_536));
        assert_eq!(one, gzip(&data, 3, data.len()));
    }
}
