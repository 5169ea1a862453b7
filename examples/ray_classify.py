#!/usr/bin/env python3
"""Classify a folder (or an object-store prefix) of songs on a Ray cluster, writing Parquet.

usage: ray_classify.py INPUT OUTPUT [--model genre-gtzan] [--features mfcc,chroma]
                       [--address auto] [--num-cpus N] [--batch-size 8]

INPUT is a local folder (walked recursively for audio files) or anything
ray.data.read_binary_files reads (s3://bucket/prefix/, gs://...). OUTPUT is a folder
(local or object store) that receives Parquet files with one row per song:

  path, duration_s, windows, windows_total, top_label, top_probability,
  p_<genre> for every genre of the model, <feature>_mean and <feature>_std (lists of float32,
  one value per feature dimension, over the song's frames), and error (empty when the song
  was read; a song that cannot be read keeps its row, with nulls and the cause, and the job
  goes on).

Each Ray worker process keeps one genrecast.Model (a stateful map_batches UDF), so the model
is loaded once per worker, not per song. The wheel releases the GIL while it works.

On one machine: python ray_classify.py music/ out/ --num-cpus 2
On a cluster: see "Scale-out on Ray" in the README (ray start, then --address auto).
"""
import argparse
import os
import tempfile

import numpy as np
import pyarrow as pa
import ray
import ray.data

import genrecast

AUDIO = {".wav", ".au", ".snd", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".aiff", ".aif"}


def list_audio(folder):
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if os.path.splitext(f)[1].lower() in AUDIO]
    return sorted(found)


class Classify:
    """Genres and feature summaries of a batch of songs (given by path, or as bytes)."""

    def __init__(self, model, features):
        self.model = genrecast.Model(model)
        self.features = features
        # One schema for every batch, so that the Parquet files of a run agree even where a
        # batch holds only songs that failed (their values are null).
        fields = [("path", pa.string()), ("duration_s", pa.float64()), ("windows", pa.int64()), ("windows_total", pa.int64()),
                  ("top_label", pa.string()), ("top_probability", pa.float64())]
        fields += [(f"p_{g}", pa.float64()) for g in self.model.labels]
        fields += [(f"{f}_{stat}", pa.list_(pa.float32())) for f in features for stat in ("mean", "std")]
        self.schema = pa.schema(fields + [("error", pa.string())])

    def __call__(self, batch):
        rows = []
        for i, path in enumerate(batch["path"]):
            data = batch["bytes"][i] if "bytes" in batch else None
            rows.append(self.one(str(path), data))
        return pa.Table.from_pylist(rows, schema=self.schema)

    def one(self, path, data):
        row = {"path": path}
        try:
            if data is None:
                self.analyse(path, row)
            else:
                # Objects from a store: the decoders read files, so the bytes go to a temporary
                # file with the object's extension (the container is told from the bytes).
                with tempfile.NamedTemporaryFile(suffix=os.path.splitext(path)[1]) as tmp:
                    tmp.write(data)
                    tmp.flush()
                    self.analyse(tmp.name, row)
            row["error"] = ""
        except ValueError as e:
            row = {"path": path, "error": str(e)}
        return row

    def analyse(self, local, row):
        result = self.model.classify(local)
        row.update(duration_s=result["duration_s"], windows=result["windows"], windows_total=result["windows_total"])
        row.update(top_label=result["top"][0]["label"], top_probability=result["top"][0]["probability"])
        row.update({f"p_{g}": p for g, p in result["probabilities"].items()})
        if self.features:
            for name, values in genrecast.features(local, self.features).items():
                row[f"{name}_mean"] = values.mean(axis=1, dtype=np.float64).tolist()
                row[f"{name}_std"] = values.std(axis=1, dtype=np.float64).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--model", default=genrecast.DEFAULT_MODEL)
    ap.add_argument("--features", default="mfcc,chroma", help="comma-separated feature names ('' for none)")
    ap.add_argument("--address", default=None, help="a running cluster ('auto'); default: start a local one")
    ap.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local cluster (one worker each)")
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    features = [f for f in args.features.split(",") if f]

    ray.init(address=args.address, num_cpus=None if args.address else args.num_cpus, log_to_driver=False)
    if os.path.isdir(args.input):
        songs = ray.data.from_items([{"path": p} for p in list_audio(args.input)])
    else:
        songs = ray.data.read_binary_files(args.input, include_paths=True)
    workers = int(ray.cluster_resources().get("CPU", 1))
    results = songs.map_batches(
        Classify,
        fn_constructor_kwargs={"model": args.model, "features": features},
        batch_size=args.batch_size,
        batch_format="numpy",
        concurrency=workers,  # one model per CPU, all started up front
        num_cpus=1,
    ).materialize()
    results.write_parquet(args.output)
    failed = results.filter(lambda row: row["error"] != "").count()
    print(f"{args.output}: {results.count()} songs on {workers} CPUs, {failed} could not be read")


if __name__ == "__main__":
    main()
