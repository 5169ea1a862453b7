#!/usr/bin/env python3
"""Write the hostile-input corpus for genrecast's robustness tests.

usage: scripts/make_hostile_corpus.py OUT_DIR

Every file is generated here (no hand-made binaries): synthetic PCM written with struct, and
the compressed formats (flac, mp3, ogg) encoded from it with sox (`apt-get install sox
libsox-fmt-all`), and one mp3 with ffmpeg. OUT_DIR/expected.tsv lists each file with what genrecast must say:
`ok` (decodes, possibly with a warning holding the substring), `error<TAB>substring of the
message`, or `cut<TAB>substring`: a file cut short (or whose header disagrees with its length)
that decodes as far as it goes with a warning holding the substring, and is refused with it
under `--strict`.
Rerunning it regenerates the committed corpus with the same expectations; the PCM files come
out byte-identical, the sox-encoded ones may not (Ogg stream serial numbers are random).
"""
import math, os, random, shutil, struct, subprocess, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
expected = []
rng = random.Random(440)


def put(name, data, verdict, detail=""):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    expected.append((name, verdict, detail))


def tone(sr, seconds, channels=1, freq=440.0):
    n = int(sr * seconds)
    return [[0.5 * math.sin(2 * math.pi * freq * (c + 1) * i / sr) for c in range(channels)] for i in range(n)]


def wav(frames, sr, bits=16, fmt=1, channels=None, data_size=None, fmt_channels=None):
    channels = channels or len(frames[0])
    if fmt == 3:
        pack = lambda v: struct.pack("<f" if bits == 32 else "<d", v)
    elif bits == 8:
        pack = lambda v: struct.pack("<B", int(round(v * 127)) + 128)
    elif bits == 24:
        pack = lambda v: struct.pack("<i", int(round(v * 8388607)))[:3]
    else:
        pack = lambda v: struct.pack({16: "<h", 32: "<i"}[bits], int(round(v * (2 ** (bits - 1) - 1))))
    body = b"".join(pack(v) for fr in frames for v in fr)
    ch = channels if fmt_channels is None else fmt_channels
    block = max(ch, 1) * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, ch, sr, (sr * block) & 0xFFFFFFFF, block, bits)
    size = len(body) if data_size is None else data_size
    return b"RIFF" + struct.pack("<I", 4 + 8 + 16 + 8 + len(body)) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", size) + body


def au(frames, sr, encoding=3, offset=24, size=None, channels=None):
    ch = len(frames[0]) if channels is None else channels
    if encoding == 3:
        body = b"".join(struct.pack(">h", int(round(v * 32767))) for fr in frames for v in fr)
    elif encoding == 2:
        body = b"".join(struct.pack(">b", int(round(v * 127))) for fr in frames for v in fr)
    elif encoding == 4:
        body = b"".join(struct.pack(">i", int(round(v * 8388607)))[1:] for fr in frames for v in fr)
    elif encoding == 5:
        body = b"".join(struct.pack(">i", int(round(v * 2147483647))) for fr in frames for v in fr)
    elif encoding == 6:
        body = b"".join(struct.pack(">f", v) for fr in frames for v in fr)
    elif encoding == 1:  # mu-law: encode with the G.711 formula
        def mu(v):
            s = int(max(-32635, min(32635, v * 32767)))
            sign = 0x80 if s < 0 else 0
            s = abs(s) + 0x84
            exp = max(0, min(7, s.bit_length() - 8))
            mant = (s >> (exp + 3)) & 0x0F
            return (~(sign | (exp << 4) | mant)) & 0xFF
        body = bytes(mu(v) for fr in frames for v in fr)
    else:
        body = b"\0" * (len(frames) * ch * 2)
    size = len(body) if size is None else size
    header = b".snd" + struct.pack(">IIIII", offset, size, encoding, sr, ch)
    header += b"\0" * max(0, min(offset, 64) - 24)
    return header + body


# Good files: every PCM flavour we claim, odd rates, many channels.
put("good_pcm16_mono.wav", wav(tone(22050, 0.5), 22050), "ok")
put("good_pcm8.wav", wav(tone(22050, 0.5), 22050, bits=8), "ok")
put("good_pcm24.wav", wav(tone(22050, 0.5), 22050, bits=24), "ok")
put("good_pcm32.wav", wav(tone(22050, 0.5), 22050, bits=32), "ok")
put("good_float32.wav", wav(tone(22050, 0.5), 22050, bits=32, fmt=3), "ok")
put("good_8khz.wav", wav(tone(8000, 0.5), 8000), "ok")
put("good_192khz.wav", wav(tone(192000, 0.2), 192000), "ok")
put("good_6ch.wav", wav(tone(48000, 0.3, channels=6), 48000), "ok")
put("good_0.05s.wav", wav(tone(22050, 0.05), 22050), "ok")
put("good_silence.wav", wav([[0.0]] * 11025, 22050), "ok")
put("good_pcm16.au", au(tone(22050, 0.5), 22050), "ok")
put("good_pcm8.au", au(tone(22050, 0.5), 22050, encoding=2), "ok")
put("good_pcm24.au", au(tone(22050, 0.5), 22050, encoding=4), "ok")
put("good_pcm32.au", au(tone(22050, 0.5), 22050, encoding=5), "ok")
put("good_float.au", au(tone(22050, 0.5), 22050, encoding=6), "ok")
put("good_mulaw.au", au(tone(8000, 0.5), 8000, encoding=1), "ok")
put("good_stereo_unknown_size.au", au(tone(22050, 0.5, channels=2), 22050, size=0xFFFFFFFF), "ok")
put("good_float64.wav", wav(tone(22050, 0.5), 22050, bits=64, fmt=3), "ok")
for ch in (3, 4, 5, 7, 8):
    put(f"good_{ch}ch.wav", wav(tone(22050, 0.3, channels=ch), 22050), "ok")
# Numerically awkward signals: they must give finite features and a defined prediction.
put("good_dc_offset.wav", wav([[0.3 * v + 0.6 for v in fr] for fr in tone(22050, 0.5)], 22050), "ok")
put("good_clipped.wav", wav([[max(-1.0, min(1.0, 8.0 * v)) for v in fr] for fr in tone(22050, 0.5)], 22050), "ok")
put("good_float_loud.wav", wav([[1e6 * v for v in fr] for fr in tone(22050, 0.5)], 22050, bits=32, fmt=3), "ok")
put("good_float_quiet.wav", wav([[1e-9 * v for v in fr] for fr in tone(22050, 0.5)], 22050, bits=32, fmt=3), "ok")
nan_frames = tone(22050, 0.5)
for i, bad in [(100, float("nan")), (2000, float("inf")), (2001, float("-inf")), (7000, float("nan"))]:
    nan_frames[i] = [bad]
put("good_float_nan_inf.wav", wav(nan_frames, 22050, bits=32, fmt=3), "ok")
# A WAV named .mp3 decodes as WAV (content decides) and is reported with a warning.
put("wav_named.mp3", wav(tone(22050, 0.5), 22050), "ok", "extension")

# Compressed formats, encoded by sox from a 2 s stereo tone.
src = os.path.join(out, ".src.wav")
with open(src, "wb") as f:
    f.write(wav(tone(44100, 2.0, channels=2), 44100))
for ext, args in [("flac", []), ("mp3", ["-C", "128"]), ("ogg", ["-C", "3"])]:
    dst = os.path.join(out, f".full.{ext}")
    subprocess.run(["sox", src] + args + [dst], check=True)
    data = open(dst, "rb").read()
    put(f"good.{ext}", data, "ok")
    # An mp3 without a frame count in its header cannot be told from a shorter song: it decodes
    # what is there. FLAC declares its length. The first half of this short Ogg file ends
    # inside its 4 kB of Vorbis setup headers: nothing can be decoded.
    verdict = {"flac": ("cut", "truncated"), "mp3": ("any", ""), "ogg": ("error", "truncated")}[ext]
    put(f"truncated_half.{ext}", data[: len(data) // 2], *verdict)
    put(f"header_only.{ext}", data[:60], "error", "truncated")
    flipped = bytearray(data)
    for i in range(len(flipped) // 4, len(flipped) // 4 + 64):
        flipped[i] ^= 0xFF
    # FLAC declares its length: frames lost inside a stream that runs to its end are named as
    # corruption, not as truncation. Lossy streams may decode around the damage.
    put(f"bitflip.{ext}", bytes(flipped), "error" if ext == "flac" else "any", "frames inside it are corrupt" if ext == "flac" else "")
    os.remove(dst)
os.remove(src)


def ogg_crc(data):
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        crc &= 0xFFFFFFFF
    return crc


def ogg_pages(data):
    at = 0
    while at < len(data):
        n = data[at + 26]
        length = 27 + n + sum(data[at + 27 : at + 27 + n])
        yield at, length
        at += length


# Longer files, cut short or lying about their end: each decodes as far as it goes.
src = os.path.join(out, ".src10.wav")
sweep = [[0.3 * math.sin(2 * math.pi * (220 + 40 * i / 22050) * i / 22050), 0.3 * math.sin(2 * math.pi * 330 * i / 22050)] for i in range(22050 * 10)]
with open(src, "wb") as f:
    f.write(wav(sweep, 22050))
ogg10 = os.path.join(out, ".ten.ogg")
subprocess.run(["sox", src, "-C", "0", ogg10], check=True)
data = open(ogg10, "rb").read()
put("good_10s.ogg", data, "ok")
# Cut at 60 %: the demuxer reads to the last whole page without a word; the missing
# end-of-stream page gives it away.
put("truncated_60pct.ogg", data[: len(data) * 6 // 10], "cut", "end-of-stream")
# The last page's granule position rewritten to 1 s (CRC fixed): symphonia read 1 s of 10.
lying = bytearray(data)
at, length = list(ogg_pages(lying))[-1]
lying[at + 6 : at + 14] = struct.pack("<q", 22050)
lying[at + 22 : at + 26] = bytes(4)
lying[at + 22 : at + 26] = struct.pack("<I", ogg_crc(lying[at : at + length]))
put("lying_last_page.ogg", bytes(lying), "cut", "stream holds")
os.remove(ogg10)
# An mp3 whose Xing/LAME header declares its length (ffmpeg writes one, sox does not), cut
# in half.
mp3 = os.path.join(out, ".ten.mp3")
subprocess.run(["ffmpeg", "-loglevel", "error", "-i", src, "-c:a", "libmp3lame", "-b:a", "32k", mp3], check=True)
data = open(mp3, "rb").read()
put("truncated_xing.mp3", data[: len(data) // 2], "cut", "truncated")
os.remove(mp3)
# M4A from ffmpeg leaves the channel count to the codec's own config (symphonia's MP4 reader
# reported 0 channels): AAC-LC and ALAC, 2 s.
for name, codec in [("good_aac.m4a", ["-c:a", "aac", "-b:a", "48k"]), ("good_alac.m4a", ["-c:a", "alac"])]:
    m4a = os.path.join(out, ".tmp.m4a")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-t", "2", "-i", src] + codec + [m4a], check=True)
    put(name, open(m4a, "rb").read(), "ok")
    os.remove(m4a)
# Tagged files (ID3v2, Vorbis comments in FLAC and Ogg, MP4 atoms), 0.5 s each: what `info`,
# `index` and the library must show. Non-ASCII on purpose.
tags = ["-metadata", "title=Tagged Song é", "-metadata", "artist=The Testers", "-metadata", "album=Fixtures",
        "-metadata", "genre=Jazz", "-metadata", "track=3", "-metadata", "date=1999"]
for ext, codec in [("mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]), ("flac", ["-c:a", "flac"]), ("ogg", ["-c:a", "libvorbis"]), ("m4a", ["-c:a", "aac", "-b:a", "32k"])]:
    tagged = os.path.join(out, f".tagged.{ext}")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-t", "0.5", "-i", src] + codec + tags + [tagged], check=True)
    put(f"tagged.{ext}", open(tagged, "rb").read(), "ok")
    os.remove(tagged)
os.remove(src)

# Bad files: each must give one clear error naming the file.
put("empty.wav", b"", "error", "empty")
put("empty.au", b"", "error", "empty")
put("garbage.wav", bytes(rng.getrandbits(8) for _ in range(4096)), "error", "not a recognised audio file")
put("text.mp3", b"this is not music\n" * 20, "error", "looks like text")
put("image.flac", b"\x89PNG\r\n\x1a\n" + bytes(200), "error", "PNG")
put("truncated_data.wav", wav(tone(22050, 0.5), 22050)[:5000], "cut", "truncated")
put("zero_channels.wav", wav(tone(22050, 0.1), 22050, fmt_channels=0), "error", "")
put("absurd_data_size.wav", wav(tone(22050, 0.1), 22050, data_size=0xFFFFFFF0), "any", "")
put("unsupported_codec.wav", wav(tone(22050, 0.1), 22050, fmt=0x0055), "error", "unsupported")
put("zero_channels.au", au(tone(22050, 0.1), 22050, channels=0), "error", "0 channels")
put("absurd_offset.au", au(tone(22050, 0.1), 22050, offset=0x7FFFFFF0), "error", "data offset")
put("absurd_size.au", au(tone(22050, 0.1), 22050, size=0x7FFFFFF0), "cut", "truncated")
put("absurd_rate.au", au(tone(22050, 0.1), 0xFFFFFFF0), "error", "sample rate")
# Found by fuzzing: a WAV claiming 2.9 GHz made the resampler allocate gigabytes.
put("absurd_rate.wav", wav(tone(22050, 0.1), 2885698782), "error", "sample rate")
# Also from fuzzing: 14 Hz made the resampler run for minutes.
put("tiny_rate.wav", wav(tone(22050, 0.1), 14), "error", "sample rate")
put("unsupported_encoding.au", au(tone(22050, 0.1), 22050, encoding=23), "error", "unsupported")
put("short_header.au", b".snd\0\0\0\x18\0\0", "error", "shorter than 24 bytes")
put("truncated_body.au", au(tone(22050, 0.5), 22050)[:3000], "cut", "truncated")

with open(os.path.join(out, "expected.tsv"), "w") as f:
    f.write("# file\tverdict (ok | error | cut: decodes with a warning, refused under --strict | any: must not panic)\tmessage substring\n")
    for name, verdict, detail in expected:
        f.write(f"{name}\t{verdict}\t{detail}\n")
print(f"{len(expected)} files in {out}")
