//! A linear axis whose ticks are chosen by the plot (Hz on a mel scale, note names, class
//! names at cell centres, whole epochs), not by plotters.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// `lo..hi` mapped linearly, with ticks at `ticks`.
#[derive(Clone, Debug)]
pub(crate) struct Ticked {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
}

impl Ticked {
    /// `lo..hi` with ticks at the given positions (those outside the range are dropped).
    pub fn new(lo: f64, hi: f64, ticks: impl IntoIterator<Item = f64>) -> Self {
        let (a, b) = (lo.min(hi), lo.max(hi));
        Self { lo, hi, ticks: ticks.into_iter().filter(|t| (a - 1e-9..=b + 1e-9).contains(t)).collect() }
    }

    /// `lo..hi` with whole-number ticks at a step of 1, 2, 5, 10, 20, ... so that there are at
    /// most `max` of them.
    pub fn integers(lo: f64, hi: f64, max: usize) -> Self {
        let span = (hi - lo).abs().max(1.0);
        let step = [1.0, 2.0, 5.0].iter().flat_map(|m| (0..9).map(move |p| m * 10f64.powi(p))).filter(|s| span / s < max.max(1) as f64).fold(f64::MAX, f64::min);
        let first = (lo / step).ceil() * step;
        let n = ((hi - first) / step).floor().max(0.0) as usize;
        Self::new(lo, hi, (0..=n).map(|i| first + i as f64 * step))
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        // As plotters maps its own f64 ranges.
        let length = limit.1 - limit.0;
        if self.hi == self.lo || length == 0 {
            return limit.0 + length / 2;
        }
        let t = (v - self.lo) / (self.hi - self.lo);
        if length > 0 {
            limit.0 + (f64::from(length) * t + 1e-3).floor() as i32
        } else {
            limit.0 + (f64::from(length) * t - 1e-3).ceil() as i32
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // plotters also asks for the points of fine grid lines (`max_num_points` large, bold
        // false); those are the same ticks.
        let _ = hint;
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::Ticked;

    #[test]
    fn integer_ticks_are_whole_and_few() {
        assert_eq!(Ticked::integers(1.0, 5.0, 10).ticks, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(Ticked::integers(1.0, 60.0, 10).ticks, vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
        assert_eq!(Ticked::integers(0.5, 1.5, 10).ticks, vec![1.0]);
    }
}
