"""A multi-label tagging set on real audio: the GTZAN slice tagged by the pretrained
musicnn-mtt (the "teacher"), for exercising genrecast's tagging path end to end when no
human-tagged audio (MagnaTagATune) is at hand. The labels are a model's output, not people's:
say so next to any figure.

    genrecast tag --model musicnn-mtt --format csv -k 50 DATA/gtzan/{full_22k,full_16k,excerpts_22k,first15s_44k_stereo} --out tags.csv
    python3 tools/make_teacher_tags.py tags.csv DATA/gtzan manifest.csv [threshold]

Writes path,clip,artist,tags (tags joined by '|': every MTT tag whose clip-mean probability
is at least the threshold, default 0.2), for `genrecast train manifest.csv --label-column
tags --label-separator '|' --split kfold:3:artist`.
"""
import csv
import os
import re
import sys


def main(tags_csv, gtzan, out, threshold=0.2):
    artists = {}
    d = os.path.join(gtzan, "splits", "sturm_filter_3folds_foleiss")
    for name in os.listdir(d):
        if name.endswith("_groups.txt"):
            for line in open(os.path.join(d, name)):
                f, g = line.strip().split("\t")
                m = re.search(r"([a-z]+)_(\d{5})", f)
                artists[f"{m.group(1)}.{m.group(2)}"] = f"gtzan-artist-{g}"
    rows = list(csv.DictReader(open(tags_csv)))
    tags = [c for c in rows[0] if c not in ("file", "start_s", "end_s", "top")]
    out_dir = os.path.dirname(os.path.abspath(out))
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "clip", "artist", "tags"])
        for r in rows:
            clip = re.search(r"([a-z]+\.\d{5})", os.path.basename(r["file"])).group(1)
            on = [t for t in tags if float(r[t]) >= threshold]
            w.writerow([os.path.relpath(os.path.abspath(r["file"]), out_dir), clip, artists.get(clip, ""), "|".join(on)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], *(float(a) for a in sys.argv[4:5]))
