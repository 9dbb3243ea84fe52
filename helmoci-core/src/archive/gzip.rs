//! gzip with Helm's header, compressed in independent blocks on worker threads so that all
//! cores work while the output stays byte-identical whatever the thread count.
//!
//! The header is Helm v4.2.4's: `1F 8B 08 14`, MTIME 0, XFL 0, OS 255, an `rr` FEXTRA
//! subfield and the comment `Helm`. The deflate stream is cut into blocks of
//! [`BLOCK_SIZE`] input bytes (the pigz scheme): each block is compressed on its own with
//! the previous 32 KiB of input as its dictionary and ends with a sync flush, the last one
//! with the final block. A block's bytes depend only on its input, its dictionary and the
//! level, never on which thread compressed it or how many there are.
//!
//! The caller's thread fills blocks and writes finished ones in order (so hashing the
//! output overlaps with compression); at most `2 × threads` blocks are in flight, which
//! bounds memory to a few MiB.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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

struct Job {
    seq: u64,
    input: Vec<u8>,
    dict: Vec<u8>,
    last: bool,
}

type Done = (u64, io::Result<(Vec<u8>, crc32fast::Hasher, usize)>);

/// Worker threads compressing blocks; absent when compressing on the caller's thread.
struct Pool {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    fn new(threads: usize) -> Pool {
        let (job_tx, job_rx) = channel::<Job>();
        let (done_tx, done) = channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let workers = (0..threads)
            .map(|_| {
                let job_rx = Arc::clone(&job_rx);
                let done_tx = done_tx.clone();
                std::thread::spawn(move || loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let result = compress_block(&job.input, &job.dict, job.last)
                        .map(|(out, crc)| (out, crc, job.input.len()));
                    if done_tx.send((job.seq, result)).is_err() {
                        return;
                    }
                })
            })
            .collect();
        Pool {
            jobs: Some(job_tx),
            done,
            workers,
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A gzip stream writer with Helm's header and deterministic block-parallel deflate.
pub(crate) struct GzipWriter<W: Write> {
    out: W,
    /// Started on the first full block, so a small archive never spawns threads.
    pool: Option<Pool>,
    threads: usize,
    max_in_flight: u64,
    /// The block being filled.
    current: Vec<u8>,
    /// The last 32 KiB of input before `current`.
    dict: Vec<u8>,
    next_seq: u64,
    next_to_write: u64,
    finished: BTreeMap<u64, (Vec<u8>, crc32fast::Hasher, usize)>,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> std::fmt::Debug for GzipWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GzipWriter")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl<W: Write> GzipWriter<W> {
    /// Writes the header and returns a writer that compresses on `threads` worker threads
    /// (1: on the caller's thread).
    pub(crate) fn new(mut out: W, threads: usize) -> io::Result<Self> {
        out.write_all(HELM_GZIP_HEADER)?;
        let threads = threads.max(1);
        Ok(GzipWriter {
            out,
            pool: None,
            threads,
            max_in_flight: 2 * threads as u64,
            current: Vec::with_capacity(BLOCK_SIZE),
            dict: Vec::new(),
            next_seq: 0,
            next_to_write: 0,
            finished: BTreeMap::new(),
            crc: crc32fast::Hasher::new(),
            size: 0,
        })
    }

    /// Hands the current block to a worker (or compresses it here).
    fn submit(&mut self, last: bool) -> io::Result<()> {
        let input = std::mem::replace(&mut self.current, Vec::with_capacity(BLOCK_SIZE));
        let next_dict = tail_of(&self.dict, &input);
        let dict = std::mem::replace(&mut self.dict, next_dict);
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.pool.is_none() && self.threads > 1 && !last {
            self.pool = Some(Pool::new(self.threads));
        }
        match &self.pool {
            None => {
                let (out, crc) = compress_block(&input, &dict, last)?;
                self.finished.insert(seq, (out, crc, input.len()));
            }
            Some(pool) => {
                let job = Job {
                    seq,
                    input,
                    dict,
                    last,
                };
                let sent = pool.jobs.as_ref().map(|tx| tx.send(job).is_ok());
                if sent != Some(true) {
                    return Err(io::Error::other("compression workers stopped"));
                }
            }
        }
        self.write_ready(false)?;
        while self.next_seq - self.next_to_write >= self.max_in_flight {
            self.write_ready(true)?;
        }
        Ok(())
    }

    /// Collects finished blocks and writes those next in order; with `block`, waits for at
    /// least one result first.
    fn write_ready(&mut self, block: bool) -> io::Result<()> {
        if let Some(pool) = &self.pool {
            if block {
                let (seq, result) = pool
                    .done
                    .recv()
                    .map_err(|_| io::Error::other("compression workers stopped"))?;
                self.finished.insert(seq, result?);
            }
            while let Ok((seq, result)) = pool.done.try_recv() {
                self.finished.insert(seq, result?);
            }
        }
        while let Some((out, crc, _len)) = self.finished.remove(&self.next_to_write) {
            self.out.write_all(&out)?;
            self.crc.combine(&crc);
            self.next_to_write += 1;
        }
        Ok(())
    }

    /// Ends the deflate stream, writes CRC32 and ISIZE, and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.submit(true)?;
        while self.next_to_write < self.next_seq {
            self.write_ready(true)?;
        }
        let crc = self.crc.clone().finalize();
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.write_all(&(self.size as u32).to_le_bytes())?;
        // Stop the workers before handing the writer back.
        let GzipWriter { out, pool, .. } = self;
        drop(pool);
        Ok(out)
    }
}

impl<W: Write> Write for GzipWriter<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let written = buf.len();
        self.size += buf.len() as u64;
        while !buf.is_empty() {
            let room = BLOCK_SIZE - self.current.len();
            let n = room.min(buf.len());
            self.current.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if self.current.len() == BLOCK_SIZE {
                self.submit(false)?;
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
    // Blocks that look like already-compressed or random data (images, binaries, nested
    // archives) gain nothing from level 6's match search, which is slowest exactly there:
    // they get level 1. The choice depends only on the block's bytes, so output stays
    // deterministic.
    let level = if looks_incompressible(input) {
        1
    } else {
        LEVEL
    };
    let mut c = Compress::new(Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict)
            .map_err(|e| io::Error::other(format!("deflate dictionary: {e}")))?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(input.len() + input.len() / 16 + 1024);
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

/// True when the block's byte entropy is above 7.9 bits per byte (text is about 5).
fn looks_incompressible(input: &[u8]) -> bool {
    if input.len() < 4096 {
        return false;
    }
    let mut counts = [0u32; 256];
    for &b in input {
        counts[b as usize] += 1;
    }
    let n = input.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    entropy > 7.9
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
    fn random_blocks_are_detected_and_text_is_not() {
        let data = sample(400_000);
        assert!(!looks_incompressible(&data[..50_000]));
        assert!(looks_incompressible(&data[50_000..100_000]));
        assert!(!looks_incompressible(&[0u8; 100_000]));
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
