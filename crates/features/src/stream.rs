//! Features of a long song computed as it decodes, in memory that does not grow with the
//! song: [`FrameBlocks`] cuts the sample stream into overlapping blocks whose frames equal
//! the whole song's, and [`RunningStats`] keeps the mean and standard deviation of the
//! frames seen so far.
//!
//! The frame-local features ([`crate::SongContext::KINDS`]) read the whole song in three
//! places only, all gathered by a first scan ([`crate::SongScan`]): the chroma's tuning
//! and the 80 dB floors of the MFCCs and of the spectral contrast. With those, every frame of a block is the whole song's frame,
//! bit for bit.

use std::ops::Range;

use crate::stft::n_frames;

/// One block of a song cut by [`FrameBlocks`]: the samples, and which of their centred
/// frames (numbered from the block's first sample) are the song's frames
/// `first_frame ..`.
#[derive(Debug)]
pub struct FrameBlock<'a> {
    /// The song's samples from a multiple of the hop on.
    pub samples: &'a [f32],
    /// The frames of `samples` (centred, as librosa's) that belong to this block. Each reads
    /// only samples inside `samples`, or lies at an end of the song.
    pub frames: Range<usize>,
    /// The song's index of `frames.start`.
    pub first_frame: usize,
}

/// Cuts a stream of samples into blocks of `block_frames` centred STFT frames (`n_fft`,
/// `hop`), each block with the samples its frames read, so that a frame computed from its
/// block equals that frame computed from the whole song. Blocks come in song order, every
/// frame exactly once; the buffer holds one block's samples.
///
/// # Example
/// ```
/// use genrecast_features::stream::FrameBlocks;
/// use genrecast_features::{FeatureConfig, FeatureExtractor, FeatureKind};
/// let fx = FeatureExtractor::new(FeatureConfig::default())?;
/// let y: Vec<f32> = (0..100_000).map(|i| (i as f32 * 0.01).sin()).collect();
/// let whole = &fx.extract(&y, &[FeatureKind::Rms])?[&FeatureKind::Rms];
/// let mut rms = Vec::new();
/// let mut blocks = FrameBlocks::new(2048, 512, 64);
/// let mut take = |b: genrecast_features::stream::FrameBlock| -> genrecast_features::Result<()> {
///     let set = fx.extract(b.samples, &[FeatureKind::Rms])?;
///     rms.extend_from_slice(&set[&FeatureKind::Rms].data[b.frames]);
///     Ok(())
/// };
/// for chunk in y.chunks(7_000) {
///     blocks.push(chunk, &mut take)?;
/// }
/// blocks.finish(&mut take)?;
/// assert_eq!(rms, whole.data);
/// # Ok::<(), genrecast_features::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FrameBlocks {
    n_fft: usize,
    hop: usize,
    block_frames: usize,
    /// Frames of context before a block's first frame: its samples start this many hops
    /// earlier (so that blocks start on hop boundaries, as hop-summed features need).
    lead: usize,
    buf: Vec<f32>,
    /// The song's index of `buf[0]`.
    buf_start: usize,
    next_frame: usize,
    seen: usize,
}

impl FrameBlocks {
    /// Blocks of `block_frames` (at least 1) frames of an `n_fft` / `hop` STFT.
    pub fn new(n_fft: usize, hop: usize, block_frames: usize) -> Self {
        let hop = hop.max(1);
        Self { n_fft, hop, block_frames: block_frames.max(1), lead: (n_fft / 2).div_ceil(hop), buf: Vec::new(), buf_start: 0, next_frame: 0, seen: 0 }
    }

    /// Samples pushed so far.
    pub fn samples_seen(&self) -> usize {
        self.seen
    }

    fn block_start(&self, frame: usize) -> usize {
        frame.saturating_sub(self.lead) * self.hop
    }

    /// Adds the song's next samples, handing each block that is now complete to `take`.
    ///
    /// # Errors
    /// `take`'s error, at once.
    pub fn push<E>(&mut self, samples: &[f32], mut take: impl FnMut(FrameBlock) -> Result<(), E>) -> Result<(), E> {
        self.buf.extend_from_slice(samples);
        self.seen += samples.len();
        loop {
            let last = self.next_frame + self.block_frames - 1;
            // Frame `last` reads samples up to last * hop + (n_fft - n_fft / 2), exclusive.
            let end = last * self.hop + (self.n_fft - self.n_fft / 2);
            if self.seen < end {
                return Ok(());
            }
            let start = self.block_start(self.next_frame);
            let local = self.next_frame - start / self.hop;
            take(FrameBlock { samples: &self.buf[start - self.buf_start..end - self.buf_start], frames: local..local + self.block_frames, first_frame: self.next_frame })?;
            self.next_frame += self.block_frames;
            let keep = self.block_start(self.next_frame);
            self.buf.drain(..keep - self.buf_start);
            self.buf_start = keep;
        }
    }

    /// Hands the last frames (those at the song's end) to `take`. Returns the song's frame
    /// count, `1 + samples / hop` as librosa's centred STFT has (0 for no samples).
    ///
    /// # Errors
    /// `take`'s error.
    pub fn finish<E>(mut self, mut take: impl FnMut(FrameBlock) -> Result<(), E>) -> Result<usize, E> {
        if self.seen == 0 {
            return Ok(0);
        }
        let total = n_frames(self.seen, self.n_fft, self.hop, true);
        if self.next_frame < total {
            let start = self.block_start(self.next_frame);
            let local = self.next_frame - start / self.hop;
            take(FrameBlock { samples: &self.buf[start - self.buf_start..], frames: local..local + total - self.next_frame, first_frame: self.next_frame })?;
            self.next_frame = total;
        }
        Ok(total)
    }
}

/// Mean and population standard deviation of each of `dims` values over the frames pushed,
/// by Welford's method in `f64`: one pass, in memory that does not grow with the frames,
/// and no cancellation over millions of frames (as a running sum of squares would lose).
///
/// # Example
/// ```
/// use genrecast_features::stream::RunningStats;
/// let mut stats = RunningStats::new(2);
/// for frame in [[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 10.0]] {
///     stats.push(&frame);
/// }
/// assert_eq!(stats.mean(), vec![2.5, 10.0]);
/// assert_eq!(stats.std(), vec![1.25f32.sqrt(), 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct RunningStats {
    count: u64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl RunningStats {
    /// Statistics of `dims` values per frame.
    pub fn new(dims: usize) -> Self {
        Self { count: 0, mean: vec![0.0; dims], m2: vec![0.0; dims] }
    }

    /// Adds one frame (`dims` values; extra values are ignored, missing ones count as 0).
    pub fn push(&mut self, frame: &[f32]) {
        self.count += 1;
        let n = self.count as f64;
        for (i, (mean, m2)) in self.mean.iter_mut().zip(&mut self.m2).enumerate() {
            let x = f64::from(frame.get(i).copied().unwrap_or(0.0));
            let delta = x - *mean;
            *mean += delta / n;
            *m2 += delta * (x - *mean);
        }
    }

    /// Frames pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The mean of each value (0 before any frame).
    pub fn mean(&self) -> Vec<f32> {
        self.mean.iter().map(|&m| m as f32).collect()
    }

    /// The population standard deviation of each value (`np.std`, `ddof=0`).
    pub fn std(&self) -> Vec<f32> {
        let n = self.count.max(1) as f64;
        self.m2.iter().map(|&m2| (m2 / n).max(0.0).sqrt() as f32).collect()
    }
}
