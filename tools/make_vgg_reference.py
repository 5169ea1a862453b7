#!/usr/bin/env python3
"""Reference outputs of musicnn 0.1.0's VGG models (MSD_vgg, MTT_vgg) for the parity test of
genrecast's port (crates/models/tests/musicnn_parity.rs).

usage: TF_USE_LEGACY_KERAS=1 PEERS_VENV/bin/python tools/make_vgg_reference.py \
           ../shared/reference/musicnn crates/models/tests/reference
Needs the peers' venv (../shared/peers/README.md: TensorFlow 2.21, tf-keras, musicnn 0.1.0
patched). For each clip folder of the musicnn reference, feeds its network input
(input_logmel.npy, [patches, 187, 96], made by ../shared/reference/make_musicnn_reference.py
from the clip's audio) to musicnn's own graph (musicnn.models.define_model, restored from the
wheel's checkpoint exactly as musicnn.extractor does, is_training=False) and writes, per clip
<stem>/:
  <model>.taggram.npy  [patches, 50]   sigmoid tag probabilities
  <model>.pool5.npy    [patches, 256]  the last pooled maps flattened (the output layer's input)
  <model>.tags.json    the 50 tag names in output order
Only outputs are written (a few KB); the inputs stay in ../shared/reference.
"""
import json, os, sys
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1'); os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import musicnn
from musicnn import models, configuration as config

ref, out = sys.argv[1], sys.argv[2]
clips = sorted(d for d in os.listdir(ref) if os.path.exists(os.path.join(ref, d, 'input_logmel.npy')))
for model in ('MTT_vgg', 'MSD_vgg'):
    labels = config.MTT_LABELS if model.startswith('MTT') else config.MSD_LABELS
    tf.compat.v1.reset_default_graph()
    with tf.name_scope('model'):
        x = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, pool1, pool2, pool3, pool4, pool5 = models.define_model(x, is_training, model, len(labels))
        taggram = tf.nn.sigmoid(y)
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    tf.compat.v1.train.Saver().restore(sess, os.path.join(os.path.dirname(musicnn.__file__), model) + '/')
    for clip in clips:
        batch = np.load(os.path.join(ref, clip, 'input_logmel.npy')).astype(np.float32)
        t, p5 = sess.run([taggram, pool5], feed_dict={x: batch, is_training: False})
        d = os.path.join(out, clip); os.makedirs(d, exist_ok=True)
        np.save(f'{d}/{model}.taggram.npy', t.astype(np.float32))
        np.save(f'{d}/{model}.pool5.npy', p5.reshape(len(batch), -1).astype(np.float32))
        json.dump(list(labels), open(f'{d}/{model}.tags.json', 'w'))
        print(model, clip, t.shape, p5.shape)
    sess.close()
