"""Long test recordings for `genrecast bench memory` (issue #28), from the shared GTZAN slice.

Writes, into OUT (default /tmp): clip30.flac (the first 30 s of the first clip),
ten_min.flac (the first 40 clips of full_22k end to end, cut at 10 min), two_hours.flac (the
same 40 clips repeated to 2 h) and ten_hours.flac (5 h of digital silence, the 2 hours, 3 h of
silence); all 22,050 Hz mono FLAC. Needs numpy and soundfile.

    python3 tools/make_long_audio.py [SHARED_DATA_DIR] [OUT]
    genrecast bench memory OUT/clip30.flac OUT/ten_min.flac OUT/two_hours.flac --threads 2
    genrecast bench memory OUT/ten_hours.flac --threads 1
"""
import glob
import os
import sys

import numpy as np
import soundfile as sf

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
out = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
sr = 22050
files = sorted(glob.glob(os.path.join(data, "gtzan/full_22k/*/*.flac")))[:40]
clips = [sf.read(f, dtype="float32")[0] for f in files]
clips = [c if c.ndim == 1 else c.mean(axis=1) for c in clips]
song = np.concatenate(clips)
sf.write(os.path.join(out, "clip30.flac"), clips[0][: 30 * sr], sr)
sf.write(os.path.join(out, "ten_min.flac"), song[: 600 * sr], sr)
two = np.tile(song, int(np.ceil(7200 * sr / len(song))))[: 7200 * sr]
sf.write(os.path.join(out, "two_hours.flac"), two, sr)
with sf.SoundFile(os.path.join(out, "ten_hours.flac"), "w", sr, 1, format="FLAC", subtype="PCM_16") as f:
    silence = np.zeros(600 * sr, dtype="float32")
    for _ in range(30):
        f.write(silence)
    f.write(two)
    for _ in range(18):
        f.write(silence)
