"""Writes the two largest convolutions of the bundled model's vision encoder as ONNX graphs,
fp32 and int8 (QuantizeLinear -> QLinearConv -> DequantizeLinear, per-tensor scales), for
int8-conv.mjs to time. Random weights: this measures speed, not accuracy.
Usage: python3 bench/probes/int8_conv.py OUT_DIR"""
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name: (in channels, height, width, out channels) for 5 frames, 3x3, stride 1 (models/flamingo-screens/vision.onnx)
CONVS = {'stage0_conv3x3': (64, 32, 48, 64), 'stage1_conv3x3': (128, 16, 24, 128)}
FRAMES = 5


def save(path, nodes, x, y, inits):
    graph = helper.make_graph(nodes, 'conv', [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.save(model, path)


def main(out):
    rng = np.random.default_rng(0)
    for name, (c, h, w, k) in CONVS.items():
        weight = (rng.standard_normal((k, c, 3, 3)) * 0.05).astype(np.float32)
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [FRAMES, c, h, w])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [FRAMES, k, h, w])
        conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        save(f'{out}/{name}.fp32.onnx', [helper.make_node('Conv', ['x', 'w'], ['y'], **conv)], x, y,
             [numpy_helper.from_array(weight, 'w')])
        w_scale = np.float32(np.abs(weight).max() / 127)
        const = lambda n, v: numpy_helper.from_array(np.asarray(v), n)
        inits = [const('wq', np.round(weight / w_scale).astype(np.int8)), const('ws', w_scale), const('wz', np.int8(0)),
                 const('xs', np.float32(0.02)), const('xz', np.uint8(128)), const('ys', np.float32(0.05)), const('yz', np.uint8(128))]
        nodes = [helper.make_node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']),
                 helper.make_node('QLinearConv', ['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz'], ['yq'], **conv),
                 helper.make_node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'])]
        save(f'{out}/{name}.int8.onnx', nodes, x, y, inits)


if __name__ == '__main__':
    main(sys.argv[1])
