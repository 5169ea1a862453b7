#!/usr/bin/env python3
"""Convert musicnn 0.1.0's TensorFlow checkpoints (MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg) to safetensors.

usage: convert_musicnn.py MUSICNN_PACKAGE_DIR OUT_DIR
   e.g. convert_musicnn.py venv/lib/python3.11/site-packages/musicnn crates/models/pretrained/

Needs only Python 3 and numpy: the TensorFlow checkpoint (a "tensor bundle": a LevelDB-format
table `.index` of BundleEntryProto records pointing into `.data-00000-of-00001`) is read here
directly, so TensorFlow need not be installed. Writes OUT_DIR/musicnn-<mtt|msd>.safetensors
and OUT_DIR/vgg-<mtt|msd>.safetensors with genrecast's tensor names and burn's layouts (conv [out, in, kh, kw], dense [in, out]);
batch norms keep TF's four tensors (gamma, beta, moving mean, moving variance; TF's epsilon is
1e-3). Optimiser slots (Adam) and counters are dropped. The tensor data is checked against the
checksums (masked CRC32C) stored in the checkpoint.

musicnn is (c) 2019 Music Technology Group, Universitat Pompeu Fabra (Jordi Pons), ISC licence: see crates/models/pretrained/LICENSE-musicnn.
"""
import json, os, struct, sys
import numpy as np

# --- minimal protobuf / LevelDB table readers -------------------------------------------------

def varint(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]; pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7

def proto_fields(buf):
    """Yields (field number, wire type, value) of a protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value = buf[pos:pos + 8]; pos += 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value = buf[pos:pos + n]; pos += n
        elif wire == 5:
            value = buf[pos:pos + 4]; pos += 4
        else:
            raise ValueError(f'unsupported protobuf wire type {wire}')
        yield field, wire, value

def block_entries(data):
    """Key/value pairs of one table block (prefix-compressed keys, restart array at the end)."""
    n_restarts = struct.unpack_from('<I', data, len(data) - 4)[0]
    end = len(data) - 4 - 4 * n_restarts
    pos, key = 0, b''
    while pos < end:
        shared, pos = varint(data, pos)
        non_shared, pos = varint(data, pos)
        vlen, pos = varint(data, pos)
        key = key[:shared] + data[pos:pos + non_shared]; pos += non_shared
        yield key, data[pos:pos + vlen]; pos += vlen

def read_block(buf, handle):
    offset, pos = varint(handle, 0)
    size, _ = varint(handle, pos)
    if buf[offset + size] != 0:
        raise ValueError('compressed table blocks are not supported')
    return buf[offset:offset + size]

def read_index(path):
    buf = open(path, 'rb').read()
    if struct.unpack('<Q', buf[-8:])[0] != 0xdb4775248b80fb57:
        raise ValueError(f'{path}: not a LevelDB table (bad magic)')
    footer = buf[-48:]
    _, pos = varint(footer, 0); _, pos = varint(footer, pos)  # metaindex handle (unused)
    idx_off, pos2 = varint(footer, pos); idx_size, _ = varint(footer, pos2)
    entries = {}
    for _, handle in block_entries(buf[idx_off:idx_off + idx_size]):
        for key, value in block_entries(read_block(buf, handle)):
            entries[key.decode()] = value
    return entries

def crc32c(data):
    table = crc32c.table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
crc32c.table = [(lambda c: [c := (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1 for _ in range(8)][-1])(i) for i in range(256)]

def unmask(masked):
    rot = (masked - 0xa282ead8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF

DTYPES = {1: np.float32, 3: np.int32, 9: np.int64}

def read_checkpoint(prefix):
    """All tensors of a TF2 tensor bundle `prefix` (.index + .data-00000-of-00001)."""
    data = open(prefix + '.data-00000-of-00001', 'rb').read()
    tensors = {}
    for name, value in read_index(prefix + '.index').items():
        if name == '':
            continue  # the bundle header
        dtype, shape, offset, size, crc = None, [], 0, 0, None
        for field, _, v in proto_fields(value):
            if field == 1: dtype = v
            elif field == 2:
                for f2, _, dim in proto_fields(v):
                    if f2 == 2:
                        shape.append(next((s for f3, _, s in proto_fields(dim) if f3 == 1), 0))
            elif field == 3 and v != 0: raise ValueError(f'{name}: sharded checkpoints are not supported')
            elif field == 4: offset = v
            elif field == 5: size = v
            elif field == 6: crc = struct.unpack('<I', v)[0]
        raw = data[offset:offset + size]
        if dtype not in DTYPES:
            continue  # strings and the like (none in musicnn's weights)
        if crc is not None and crc32c(raw) != unmask(crc):
            raise ValueError(f'{prefix}: checksum mismatch in {name}')
        tensors[name] = np.frombuffer(raw, DTYPES[dtype]).reshape(shape)
    return tensors

# --- musicnn's layers, in the order models.build_musicnn creates them -------------------------

def layer_names():
    """(our name, TF conv or None, TF batch norm) for each conv/BN pair, then the dense layers."""
    convs = ['frontend.timbral74', 'frontend.timbral77', 'frontend.temporal128', 'frontend.temporal64',
             'frontend.temporal32', 'midend.conv1', 'midend.conv2', 'midend.conv3']
    out = [('frontend.input', None, 'batch_normalization')]
    for i, name in enumerate(convs):
        out.append((name, 'conv2d' if i == 0 else f'conv2d_{i}', f'batch_normalization_{i + 1}'))
    out.append(('backend.pool', None, 'batch_normalization_9'))
    out.append(('backend.dense', None, 'batch_normalization_10'))
    return out

def checked(tf, used, out, output_weight, labels):
    """`out`, once every trained weight of `tf` is known to be in it (optimiser slots and
    counters aside) and the output layer has a unit per tag."""
    left = sorted(n for n in tf if n not in used and 'Adam' not in n and 'power' not in n and 'global_step' not in n)
    if left:
        raise ValueError(f'weights not converted: {left}')
    if output_weight.shape[1] != len(labels):
        raise ValueError('tag count does not match the output layer')
    return out

def convert(tf, labels):
    out = {}
    for ours, conv, bn in layer_names():
        if conv is not None:
            k = tf[conv + '/kernel']  # [kh, kw, in, out]
            if ours.startswith('midend'):
                # TF slides a [7, channels] kernel over [time, channels, 1]: a 1-D conv over time.
                out[ours + '.conv.weight'] = k[:, :, 0, :].transpose(2, 1, 0)  # [out, in, k]
            else:
                out[ours + '.conv.weight'] = k.transpose(3, 2, 0, 1)  # [out, in, kh, kw]
            out[ours + '.conv.bias'] = tf[conv + '/bias']
        for t, tfn in [('gamma', 'gamma'), ('beta', 'beta'), ('mean', 'moving_mean'), ('var', 'moving_variance')]:
            out[f'{ours}.bn.{t}'] = tf[f'{bn}/{tfn}']
    out['backend.dense.weight'] = tf['dense/kernel']          # [1506, 200]
    out['backend.dense.bias'] = tf['dense/bias']
    out['backend.output.weight'] = tf['dense_1/kernel']       # [200, 50]
    out['backend.output.bias'] = tf['dense_1/bias']
    used = {f'{c}/{s}' for _, c, _ in layer_names() if c for s in ('kernel', 'bias')}
    used |= {f'{b}/{s}' for _, _, b in layer_names() for s in ('gamma', 'beta', 'moving_mean', 'moving_variance')}
    used |= {f'dense{s}/{t}' for s in ('', '_1') for t in ('kernel', 'bias')}
    return checked(tf, used, out, out['backend.output.weight'], labels)

def convert_vgg(tf, labels):
    """musicnn's `vgg` (models.vgg, 128 filters): input batch norm, five 3x3 conv -> ReLU -> BN
    blocks named 1CNN..5CNN with batch_normalization_1..5, and one dense layer on pool5."""
    out = {}
    for t, tfn in [('gamma', 'gamma'), ('beta', 'beta'), ('mean', 'moving_mean'), ('var', 'moving_variance')]:
        out[f'input.bn.{t}'] = tf[f'batch_normalization/{tfn}']
    for i in range(1, 6):
        out[f'conv{i}.conv.weight'] = tf[f'{i}CNN/kernel'].transpose(3, 2, 0, 1)  # [out, in, kh (time), kw (mel)]
        out[f'conv{i}.conv.bias'] = tf[f'{i}CNN/bias']
        for t, tfn in [('gamma', 'gamma'), ('beta', 'beta'), ('mean', 'moving_mean'), ('var', 'moving_variance')]:
            out[f'conv{i}.bn.{t}'] = tf[f'batch_normalization_{i}/{tfn}']
    out['output.weight'] = tf['dense/kernel']  # [256, 50]: pool5 flattened in TF's (time, mel, channel) order
    out['output.bias'] = tf['dense/bias']
    used = {f'{i}CNN/{s}' for i in range(1, 6) for s in ('kernel', 'bias')} | {'dense/kernel', 'dense/bias'}
    used |= {f'batch_normalization{"" if i == 0 else f"_{i}"}/{s}' for i in range(6) for s in ('gamma', 'beta', 'moving_mean', 'moving_variance')}
    return checked(tf, used, out, out['output.weight'], labels)

def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype='<f4')
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        blobs.append(a.tobytes()); offset += a.nbytes
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs: f.write(b)
    os.replace(tmp, path)

def main():
    pkg, out_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.dirname(os.path.abspath(pkg)))
    labels = {}
    # configuration.py holds the tag lists; parse it rather than import musicnn (which imports TF).
    exec(open(os.path.join(pkg, 'configuration.py')).read(), labels)
    for model, tags in [('MTT_musicnn', labels['MTT_LABELS']), ('MSD_musicnn', labels['MSD_LABELS']), ('MTT_vgg', labels['MTT_LABELS']), ('MSD_vgg', labels['MSD_LABELS'])]:
        tf = read_checkpoint(os.path.join(pkg, model, ''))
        vgg = model.endswith('_vgg')
        tensors = convert_vgg(tf, tags) if vgg else convert(tf, tags)
        ours = ('vgg-' if vgg else 'musicnn-') + model.split('_')[0].lower()
        meta = {
            'genrecast.model': ours,
            'source': f'musicnn 0.1.0 (PyPI), {model} checkpoint, converted by tools/convert_musicnn.py',
            'licence': 'ISC, (c) 2019 Music Technology Group, Universitat Pompeu Fabra (code by Jordi Pons); see LICENSE-musicnn',
            'trained_on': 'MagnaTagATune (top-50 tags)' if model.startswith('MTT') else 'Million Song Dataset (Last.fm top-50 tags)',
            'tags': json.dumps(tags),
            'input': '16 kHz mono, n_fft 512, hop 256, 96 Slaney mels, log10(10000 x + 1), 187-frame (3 s) patches',
        }
        path = os.path.join(out_dir, ours + '.safetensors')
        write_safetensors(path, tensors, meta)
        n = sum(a.size for a in tensors.values())
        print(f'{model} -> {path}: {len(tensors)} tensors, {n} parameters')

if __name__ == '__main__':
    main()
