"""The peer of `genrecast bench model --model cnn2d`: the same 2-D CNN in Keras (TensorFlow
CPU), timed the same way. Four blocks of 3x3 conv (16, 32, 64, 128 channels, 'same'),
batch norm, ReLU, 2x2 max-pool; global average pool; dense 50 + ReLU; dropout 0.3; dense 10;
softmax cross-entropy; Adam. Prints one JSON line: median training step and inference pass.

    OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python tools/peer_keras_cnn2d.py --batch 32
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--features", type=int, default=128)
    p.add_argument("--frames", type=int, default=128)
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    layers = tf.keras.layers
    inp = layers.Input((a.features, a.frames, 1))
    x = inp
    for ch in (16, 32, 64, 128):
        x = layers.Conv2D(ch, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPool2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    e = layers.Dense(50, activation="relu")(x)
    out = layers.Dense(10)(layers.Dropout(0.3)(e))
    model = tf.keras.Model(inp, out)
    opt = tf.keras.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.CategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def infer(x):
        return model(x, training=False)

    rng = np.random.default_rng(0)
    y = np.full((a.batch, 10), 0.1, np.float32)
    train, inference = [], []
    for i in range(a.steps + 1):
        x = rng.standard_normal((a.batch, a.features, a.frames, 1), dtype=np.float32)
        t = time.perf_counter()
        step(x, y).numpy()
        if i > 0:
            train.append(time.perf_counter() - t)
    for i in range(a.steps + 1):
        x = rng.standard_normal((a.batch, a.features, a.frames, 1), dtype=np.float32)
        t = time.perf_counter()
        infer(x).numpy()
        if i > 0:
            inference.append(time.perf_counter() - t)
    print(json.dumps({"version": f"tf {tf.__version__}", "train_step_s": float(np.median(train)), "inference_s": float(np.median(inference))}))


if __name__ == "__main__":
    main()
