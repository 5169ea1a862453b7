//! Colour maps for heatmaps and the categorical palette for curves.

use plotters::style::RGBColor;

/// matplotlib's `magma` (librosa's default for spectrograms and chroma), every 16th of its 256
/// entries and the last, interpolated linearly: dark to bright, perceptually uniform, readable
/// in greyscale. The table is CC0 (Smith and van der Walt, matplotlib `_cm_listed.py`).
const MAGMA: [[f64; 3]; 17] = [
    [0.001462, 0.000466, 0.013866],
    [0.039608, 0.031090, 0.133515],
    [0.113094, 0.065492, 0.276784],
    [0.211718, 0.061992, 0.418647],
    [0.316654, 0.071690, 0.485380],
    [0.414709, 0.110431, 0.504662],
    [0.512831, 0.148179, 0.507648],
    [0.613617, 0.181811, 0.498536],
    [0.716387, 0.214982, 0.475290],
    [0.816914, 0.255895, 0.436461],
    [0.904281, 0.319610, 0.388137],
    [0.960949, 0.418323, 0.359630],
    [0.986700, 0.535582, 0.382210],
    [0.996096, 0.653659, 0.446213],
    [0.996898, 0.769591, 0.534892],
    [0.992440, 0.884330, 0.640099],
    [0.987053, 0.991438, 0.749504],
];

/// Moreland's cool-warm diverging map (matplotlib `coolwarm`, librosa's default for data of
/// both signs such as MFCC), every other of its 33 stops: blue, grey at the middle, red.
const COOLWARM: [[f64; 3]; 17] = [
    [0.229806, 0.298718, 0.753683],
    [0.303869, 0.406535, 0.844959],
    [0.383013, 0.509419, 0.917388],
    [0.466667, 0.604563, 0.968155],
    [0.552953, 0.688929, 0.995376],
    [0.639176, 0.759600, 0.998151],
    [0.722193, 0.813953, 0.976575],
    [0.798692, 0.849786, 0.931689],
    [0.865395, 0.865410, 0.865396],
    [0.924128, 0.827385, 0.774508],
    [0.958853, 0.769768, 0.678008],
    [0.969954, 0.694267, 0.579375],
    [0.958003, 0.602842, 0.481776],
    [0.923945, 0.497309, 0.387970],
    [0.869187, 0.378313, 0.300267],
    [0.795632, 0.241284, 0.220526],
    [0.705673, 0.015556, 0.150233],
];

/// ColorBrewer's 9-class `Blues` (Brewer, Apache 2.0): white to dark blue, for shares.
const BLUES: [[f64; 3]; 9] = [
    [0.968627, 0.984314, 1.000000],
    [0.870588, 0.921569, 0.968627],
    [0.776471, 0.858824, 0.937255],
    [0.619608, 0.792157, 0.882353],
    [0.419608, 0.682353, 0.839216],
    [0.258824, 0.572549, 0.776471],
    [0.129412, 0.443137, 0.709804],
    [0.031373, 0.317647, 0.611765],
    [0.031373, 0.188235, 0.419608],
];

/// A continuous colour map: a value in 0..=1 (clamped; NaN is the lowest colour) to a colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColourMap {
    /// matplotlib's `magma`, dark to bright.
    Magma,
    /// Moreland's diverging `coolwarm`, blue to red through grey.
    CoolWarm,
    /// ColorBrewer's `Blues`, white to dark blue.
    Blues,
}

impl ColourMap {
    /// The colour at `t` in 0..=1, as RGB bytes.
    pub fn rgb(self, t: f64) -> [u8; 3] {
        let table: &[[f64; 3]] = match self {
            Self::Magma => &MAGMA,
            Self::CoolWarm => &COOLWARM,
            Self::Blues => &BLUES,
        };
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let x = t * (table.len() - 1) as f64;
        let i = (x.floor() as usize).min(table.len() - 2);
        let f = x - i as f64;
        let (a, b) = (table[i], table[i + 1]);
        std::array::from_fn(|k| ((a[k] + f * (b[k] - a[k])) * 255.0).round() as u8)
    }

    /// The colour at `t` in 0..=1.
    pub fn colour(self, t: f64) -> RGBColor {
        let [r, g, b] = self.rgb(t);
        RGBColor(r, g, b)
    }
}

/// Okabe and Ito's colour-blind-safe palette (2008) in their order, black moved last so that
/// the first curves get hues; line `k` gets colour `k % 8`, and dashes from the ninth on.
pub const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x00, 0x00, 0x00), // black
];

/// The colour of line `k` and whether it is dashed (the palette has eight colours).
pub fn line_style(k: usize) -> (RGBColor, bool) {
    (OKABE_ITO[k % OKABE_ITO.len()], k >= OKABE_ITO.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hit_their_ends_and_clamp() {
        assert_eq!(ColourMap::Magma.rgb(0.0), [0, 0, 4]);
        assert_eq!(ColourMap::Magma.rgb(1.0), [252, 253, 191]);
        assert_eq!(ColourMap::Magma.rgb(7.0), ColourMap::Magma.rgb(1.0));
        assert_eq!(ColourMap::Magma.rgb(f64::NAN), ColourMap::Magma.rgb(0.0));
        // matplotlib: magma(0.5) = (0.716, 0.215, 0.475).
        assert_eq!(ColourMap::Magma.rgb(0.5), [183, 55, 121]);
        let mid = ColourMap::CoolWarm.rgb(0.5);
        assert!(mid.iter().all(|&c| c == 221), "{mid:?}");
    }
}
