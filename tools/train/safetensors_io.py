"""safetensors by hand (no package here): 8-byte little-endian header length, a JSON header
(dtype, shape, data_offsets per tensor), then the raw little-endian bytes."""
import json
import struct

import numpy as np

_DTYPES = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64', np.dtype('int32'): 'I32', np.dtype('uint8'): 'U8'}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def save(path, tensors):
    """tensors: {name: numpy array}; written in name order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype not in _DTYPES:
            raise ValueError(f'safetensors: {name} has unsupported dtype {a.dtype}')
        raw = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': _DTYPES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)  # keep the data 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def load(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == '__metadata__':
            continue
        a, b = h['data_offsets']
        out[name] = np.frombuffer(data[a:b], dtype=_NUMPY[h['dtype']]).reshape(h['shape']).copy()
    return out
