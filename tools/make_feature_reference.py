#!/usr/bin/env python3
"""Reference arrays from librosa 0.11.0 for feature tests that `shared/reference` does not cover.

usage: make_feature_reference.py SHARED_DIR OUT_DIR     (OUT_DIR: crates/features/tests/reference)
Writes (float32 .npy):
  melfb_<case>.npy             librosa.filters.mel for the HTK scale and the p-norms (see CASES)
  tonnetz_stft_000002.npy      librosa.feature.tonnetz(chroma=librosa.feature.chroma_stft(y=y, sr=22050))
                               on shared/reference/librosa/000002/y_22050.npy (an FMA clip)
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
print('librosa', librosa.__version__, 'ok')
