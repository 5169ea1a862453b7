//! A map of a collection: t-SNE of the track embeddings to 2-D (bhtsne, Barnes-Hut above 200
//! tracks, exact below), written as one self-contained HTML page. Points are coloured by
//! genre; hovering shows title, artist, file and top genres; a search box highlights
//! matches; clicking plays the file.
//!
//! Opened as `map.html#selftest`, the page checks itself (every point drawn, the tooltip
//! shown on hover) and writes the outcome into `<pre id="selftest">`, so that a headless
//! browser can test it without a driver.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{LibraryError, Result};

/// One point of the map.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MapPoint {
    /// Position.
    pub x: f32,
    /// Position.
    pub y: f32,
    /// Title shown on hover.
    pub title: String,
    /// Artist shown on hover.
    pub artist: String,
    /// The audio file (played on click).
    pub path: String,
    /// What colours the point (known or predicted genre).
    pub group: String,
    /// Top genres with probabilities, shown on hover.
    pub top: Vec<(String, f32)>,
}

/// 2-D t-SNE coordinates of `vectors` (L2-normalised first, so Euclidean distance ranks as
/// cosine does). Perplexity is capped at `(n - 1) / 3` as t-SNE requires; fewer than 4
/// vectors are laid on a circle. `seed` fixes the initial layout, so a map is reproducible.
///
/// # Example
/// ```
/// let v: Vec<Vec<f32>> = (0..20).map(|i| vec![(i % 2) as f32, 1.0, i as f32 * 0.01]).collect();
/// let xy = genrecast_library::map::tsne(&v, 30.0, 1);
/// assert_eq!(xy.len(), 20);
/// assert!(xy.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
/// ```
pub fn tsne(vectors: &[Vec<f32>], perplexity: f32, seed: u64) -> Vec<[f32; 2]> {
    let n = vectors.len();
    if n < 4 {
        return (0..n).map(|i| {
            let a = i as f32 * std::f32::consts::TAU / n.max(1) as f32;
            [a.cos(), a.sin()]
        }).collect();
    }
    let normalised: Vec<Vec<f32>> = vectors
        .iter()
        .map(|v| {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 && norm.is_finite() { v.iter().map(|x| x / norm).collect() } else { vec![0.0; v.len()] }
        })
        .collect();
    let samples: Vec<&[f32]> = normalised.iter().map(Vec::as_slice).collect();
    let perplexity = perplexity.min((n as f32 - 1.0) / 3.0 - 1e-3).max(1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let init: Vec<f32> = (0..n * 2).map(|_| rng.random_range(-1e-2..1e-2)).collect();
    let euclid = |a: &&[f32], b: &&[f32]| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt();
    let mut t = bhtsne::tSNE::<f32, &[f32], 2>::new(&samples);
    t.perplexity(perplexity).epochs(1000).initial_embedding(init);
    let flat = if n > 200 { t.barnes_hut(0.5, euclid).embedding() } else { t.exact(euclid).embedding() };
    flat.chunks(2).map(|c| [c[0], c[1]]).collect()
}

/// Writes the map page to `path` (atomically: a temporary file, then a rename).
pub fn write_html(path: &Path, title: &str, points: &[MapPoint]) -> Result<()> {
    // `<` escaped so that no title can close the script element.
    let data = serde_json::to_string(points).map_err(|e| LibraryError::Io { path: path.display().to_string(), reason: e.to_string() })?.replace('<', "\\u003c");
    let title_html = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = TEMPLATE.replace("{{TITLE}}", &title_html).replace("{{DATA}}", &data);
    let tmp = path.with_extension("html.partial");
    let io = |e: std::io::Error| LibraryError::Io { path: path.display().to_string(), reason: e.to_string() };
    std::fs::write(&tmp, page).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{TITLE}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; }
header { padding: 8px 14px; display: flex; gap: 14px; align-items: center; border-bottom: 1px solid #ddd; background: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
#search { padding: 4px 8px; width: 260px; }
#legend span { margin-right: 10px; font-size: 12px; white-space: nowrap; }
#legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 3px; }
svg { display: block; }
circle { stroke: #fff; stroke-width: 0.8; cursor: pointer; }
circle.dim { opacity: 0.12; }
circle.hit { stroke: #000; stroke-width: 2; }
#tip { position: fixed; pointer-events: none; background: rgba(20,20,20,0.92); color: #fff; padding: 6px 9px; border-radius: 4px; font-size: 12px; display: none; max-width: 420px; }
#tip b { font-size: 13px; }
#player { height: 30px; }
pre#selftest { display: none; }
</style></head><body>
<header><h1>{{TITLE}}</h1><input id="search" placeholder="search title, artist, genre, file"><span id="count"></span><audio id="player" controls></audio></header>
<div id="legend" style="padding:4px 14px"></div>
<svg id="map"></svg><div id="tip"></div><pre id="selftest"></pre>
<script>
const points = {{DATA}};
const palette = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf","#393b79","#637939","#8c6d31","#843c39","#7b4173"];
const groups = [...new Set(points.map(p => p.group))].sort();
const colour = g => palette[groups.indexOf(g) % palette.length];
const svg = document.getElementById("map"), tip = document.getElementById("tip");
const W = Math.max(600, window.innerWidth), H = Math.max(400, window.innerHeight - 90);
svg.setAttribute("width", W); svg.setAttribute("height", H);
const xs = points.map(p => p.x), ys = points.map(p => p.y);
const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
const sx = x => 20 + (W - 40) * (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5);
const sy = y => 20 + (H - 40) * (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5);
const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
function show(p, ev) {
  tip.innerHTML = `<b>${esc(p.title)}</b><br>${esc(p.artist)}<br><small>${esc(p.path)}</small><br>` + p.top.map(([g, v]) => `${esc(g)} ${(100 * v).toFixed(0)}%`).join(", ");
  tip.style.display = "block";
  tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
}
const circles = points.map((p, i) => {
  const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  c.setAttribute("cx", sx(p.x)); c.setAttribute("cy", sy(p.y)); c.setAttribute("r", 5);
  c.setAttribute("fill", colour(p.group)); c.dataset.index = i;
  c.addEventListener("mouseover", ev => show(p, ev));
  c.addEventListener("mousemove", ev => show(p, ev));
  c.addEventListener("mouseout", () => { tip.style.display = "none"; });
  c.addEventListener("click", () => { const a = document.getElementById("player"); a.src = "file://" + encodeURI(p.path); a.play().catch(() => {}); });
  svg.appendChild(c);
  return c;
});
document.getElementById("legend").innerHTML = groups.map(g => `<span><i style="background:${colour(g)}"></i>${esc(g)} (${points.filter(p => p.group === g).length})</span>`).join("");
document.getElementById("count").textContent = points.length + " tracks";
document.getElementById("search").addEventListener("input", ev => {
  const q = ev.target.value.trim().toLowerCase();
  let n = 0;
  circles.forEach((c, i) => {
    const p = points[i];
    const hit = q !== "" && [p.title, p.artist, p.group, p.path].some(s => String(s).toLowerCase().includes(q));
    n += hit;
    c.classList.toggle("hit", hit); c.classList.toggle("dim", q !== "" && !hit);
  });
  document.getElementById("count").textContent = q ? `${n} of ${points.length} match` : points.length + " tracks";
});
if (location.hash === "#selftest") {
  const drawn = svg.querySelectorAll("circle").length;
  let hover = "no points";
  if (drawn > 0) {
    const c = circles[0], r = c.getBoundingClientRect();
    c.dispatchEvent(new MouseEvent("mouseover", { clientX: r.x + 2, clientY: r.y + 2, bubbles: true }));
    const visible = getComputedStyle(tip).display !== "none" && tip.textContent.includes(points[0].title);
    hover = visible ? "tooltip ok" : "tooltip missing";
  }
  document.getElementById("selftest").textContent = `selftest: ${drawn} of ${points.length} points drawn; ${hover}`;
}
</script></body></html>
"##;
