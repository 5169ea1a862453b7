#!/usr/bin/env python3
"""Reference arrays from librosa 0.11.0 for feature tests that `shared/reference` does not cover.

usage: make_feature_reference.py SHARED_DIR OUT_DIR     (OUT_DIR: crates/features/tests/reference)
Writes (float32 .npy):
  melfb_<case>.npy             librosa.filters.mel for the HTK scale and the p-norms (see CASES)
  tonnetz_stft_000002.npy      librosa.feature.tonnetz(chroma=librosa.feature.chroma_stft(y=y, sr=22050))
                               on shared/reference/librosa/000002/y_22050.npy (an FMA clip)
  chroma_cqt_000002.npy        librosa.feature.chroma_cqt(y=y, sr=22050) on the same clip
  cqt_<case>_000002.npy        np.abs(librosa.cqt(...)) on excerpts of the same clip (see CQT_CASES):
                               librosa's defaults; the samples read as 44.1 kHz (one early
                               downsampling); 80 bins (a partial lowest octave), hop 96 (the rate
                               stops halving once the hop is odd) and tuning 0.2
"""
import os, sys
import numpy as np, librosa

shared, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
CASES = {  # name: (sr, n_fft, n_mels, fmin, fmax, htk, norm)
    'htk_none': (16000, 512, 40, 0.0, None, True, None),
    'htk_slaney': (16000, 512, 40, 50.0, 7000.0, True, 'slaney'),
    'slaney_l2': (22050, 512, 40, 0.0, None, False, 2.0),
    'slaney_inf': (22050, 512, 40, 100.0, 8000.0, False, np.inf),
}
for name, (sr, n_fft, n_mels, fmin, fmax, htk, norm) in CASES.items():
    fb = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
    np.save(os.path.join(out, f'melfb_{name}.npy'), fb.astype(np.float32))
y = np.load(os.path.join(shared, 'reference/librosa/000002/y_22050.npy'))
ton = librosa.feature.tonnetz(chroma=librosa.feature.chroma_stft(y=y, sr=22050))
np.save(os.path.join(out, 'tonnetz_stft_000002.npy'), ton.astype(np.float32))
np.save(os.path.join(out, 'chroma_cqt_000002.npy'), librosa.feature.chroma_cqt(y=y, sr=22050).astype(np.float32))
CQT_CASES = {  # name: (seconds, cqt keyword arguments)
    'default': (5, dict(sr=22050)),
    'sr44100': (3, dict(sr=44100)),
    'partial_oddhop': (1, dict(sr=22050, hop_length=96, n_bins=80, tuning=0.2)),
}
for name, (seconds, kw) in CQT_CASES.items():
    C = np.abs(librosa.cqt(y[:seconds * 22050], **kw))
    np.save(os.path.join(out, f'cqt_{name}_000002.npy'), C.astype(np.float32))
print('librosa', librosa.__version__, 'ok')
