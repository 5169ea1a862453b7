"""A multi-label tagging set on real audio: audio tagged by a pretrained musicnn (the "teacher":
musicnn-mtt, MagnaTagATune tags, or musicnn-msd, Last.fm tags of the Million Song Dataset),
for exercising genrecast's tagging path end to end when no human-tagged audio is at hand, or
for pretraining a network before fine-tuning it on GTZAN. The labels are a model's output, not
people's: say so next to any figure.

    genrecast tag --model musicnn-msd --format csv -k 50 DATA/gtzan/{full_22k,full_16k,excerpts_22k,first15s_44k_stereo} DATA/fma/fma_small --out tags.csv
    python3 tools/make_teacher_tags.py tags.csv DATA/gtzan manifest.csv [threshold] \
        [--teacher musicnn-msd] [--fma DATA/fma] [--exclude-test-of folds3:K]

Writes path,clip,artist,split,tags (tags joined by '|': every teacher tag whose clip-mean
probability is at least the threshold, default 0.2; split is `train` on every row), for
`genrecast train manifest.csv --label-column tags --label-separator '|' --split kfold:3:artist`
(or `--split column`, the validation part then held out by artist).

GTZAN files get their artist from Foleis' `sturm_filter_3folds_foleiss/f*_groups.txt`. FMA
files (`--fma`, whose `labels.csv` names each track's artist) are `fma-<track_id>`. A file
that is neither is an error.

`--exclude-test-of folds3:K` keeps only audio that fold K of `genrecast ... --split folds3`
may train on: it drops every clip of Foleis' `fK_evaluate.txt` (the fold's test side), every
other clip by one of those artists, and every GTZAN clip on none of Foleis' lists (the clips
Sturm's filter removed as repeats or distortions: their artist is unknown, and a repeat may be
a copy of a test clip). Non-GTZAN audio (FMA) is kept.
"""
import argparse
import csv
import os
import re
import sys

FOLEIS = os.path.join("splits", "sturm_filter_3folds_foleiss")


def gtzan_clip(name):
    m = re.search(r"([a-z]+)[._](\d{5})", os.path.basename(name))
    return f"{m.group(1)}.{m.group(2)}" if m else None


def foleis_artists(gtzan):
    artists = {}
    d = os.path.join(gtzan, FOLEIS)
    for name in os.listdir(d):
        if name.endswith("_groups.txt"):
            for line in open(os.path.join(d, name)):
                f, g = line.strip().split("\t")
                artists[gtzan_clip(f)] = f"gtzan-artist-{g}"
    return artists


def foleis_test_side(gtzan, fold):
    """Clips of fold `fold`'s test side (`fK_evaluate.txt`, as `--split folds3` reads it)."""
    path = os.path.join(gtzan, FOLEIS, f"f{fold}_evaluate.txt")
    return {gtzan_clip(line.split("\t")[0]) for line in open(path) if line.strip()}


def fma_artists(fma):
    out = {}
    for r in csv.DictReader(open(os.path.join(fma, "labels.csv"))):
        out[os.path.basename(r["path"])] = (f"fma-{r['track_id']}", f"fma-artist-{r['artist']}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tags_csv", help="`genrecast tag --format csv -k 50` output")
    p.add_argument("gtzan", help="the GTZAN folder (for Foleis' artist lists)")
    p.add_argument("out", help="manifest to write")
    p.add_argument("threshold", nargs="?", type=float, default=0.2)
    p.add_argument("--teacher", default="musicnn-mtt", help="the model that made tags_csv (only named in the note printed)")
    p.add_argument("--fma", help="the FMA folder, when tags_csv has FMA files")
    p.add_argument("--exclude-test-of", metavar="folds3:K", help="keep only audio fold K of folds3 may train on")
    a = p.parse_args(argv)

    artists = foleis_artists(a.gtzan)
    fma = fma_artists(a.fma) if a.fma else {}
    test_clips, test_artists = set(), set()
    if a.exclude_test_of:
        scheme, _, k = a.exclude_test_of.partition(":")
        if scheme != "folds3" or k not in ("1", "2", "3"):
            sys.exit(f"--exclude-test-of: expected folds3:1, folds3:2 or folds3:3, not {a.exclude_test_of}")
        test_clips = foleis_test_side(a.gtzan, int(k))
        unknown = sorted(str(c) for c in test_clips if c not in artists)
        if unknown:
            sys.exit(f"--exclude-test-of {a.exclude_test_of}: test-side clips with no artist in Foleis' groups files: {', '.join(unknown[:5])}")
        test_artists = {artists[c] for c in test_clips}

    rows = list(csv.DictReader(open(a.tags_csv)))
    tags = [c for c in rows[0] if c not in ("file", "start_s", "end_s", "top")]
    out_dir = os.path.dirname(os.path.abspath(a.out))
    kept = dropped = 0
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "clip", "artist", "split", "tags"])
        for r in rows:
            base = os.path.basename(r["file"])
            clip = gtzan_clip(base)
            if clip is not None:
                artist = artists.get(clip)
                if a.exclude_test_of and (artist is None or clip in test_clips or artist in test_artists):
                    dropped += 1
                    continue
                artist = artist or ""
            elif base in fma:
                clip, artist = fma[base]
            else:
                sys.exit(f"{r['file']}: neither a GTZAN file name nor an FMA file of --fma")
            on = [t for t in tags if float(r[t]) >= a.threshold]
            w.writerow([os.path.relpath(os.path.abspath(r["file"]), out_dir), clip, artist, "train", "|".join(on)])
            kept += 1
    print(f"{a.out}: {kept} files tagged by {a.teacher} (a model's output, not people's; threshold {a.threshold})"
          + (f", {dropped} dropped for {a.exclude_test_of}" if a.exclude_test_of else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
