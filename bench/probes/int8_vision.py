"""Writes an int8 variant of a bundle's NFNet vision encoder: each 3x3 convolution becomes
DynamicQuantizeLinear (activations: uint8, one scale per tensor, computed per image at run
time) -> ConvInteger (uint8 weights, one scale per output channel, zero point 128) -> Cast to
float -> times the two scales -> plus the bias. No calibration, and no requantisation of the
convolution's output (QLinearConv's fixed output scale is what lost the most accuracy).
A probe, not part of the builder: bench/README.md ("Time to first token (compute)") has what
it measured.
Usage: python3 bench/probes/int8_vision.py models/flamingo-screens/vision.onnx OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize_3x3_convs(model):
    inits = {i.name: i for i in model.graph.initializer}
    nodes = []
    for n in model.graph.node:
        w = inits.get(n.input[1]) if n.op_type == 'Conv' else None
        if w is None or list(w.dims[2:]) != [3, 3]:
            nodes.append(n)
            continue
        weight = numpy_helper.to_array(w).astype(np.float32)  # [K, C, 3, 3]
        bias = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)  # [K]
        k = weight.shape[0]
        scale = np.abs(weight.reshape(k, -1)).max(1) / 127  # per output channel
        q = (np.clip(np.round(weight / scale[:, None, None, None]), -127, 127) + 128).astype(np.uint8)
        p = n.name.replace('/', '_')
        model.graph.initializer.extend([
            numpy_helper.from_array(q, p + '_wq'), numpy_helper.from_array(np.array(128, np.uint8), p + '_wz'),
            numpy_helper.from_array(scale.reshape(1, k, 1, 1).astype(np.float32), p + '_ws'),
            numpy_helper.from_array(bias.reshape(1, k, 1, 1), p + '_b')])
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [n.input[0]], [p + '_xq', p + '_xs', p + '_xz']),
            helper.make_node('ConvInteger', [p + '_xq', p + '_wq', p + '_xz', p + '_wz'], [p + '_acc'], **attrs),  # int32
            helper.make_node('Cast', [p + '_acc'], [p + '_accf'], to=TensorProto.FLOAT),
            helper.make_node('Mul', [p + '_xs', p + '_ws'], [p + '_s']),
            helper.make_node('Mul', [p + '_accf', p + '_s'], [p + '_y']),
            helper.make_node('Add', [p + '_y', p + '_b'], [n.output[0]])]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {i for n in model.graph.node for i in n.input}
    kept = [i for i in model.graph.initializer if i.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    return model


if __name__ == '__main__':
    onnx.save(quantize_3x3_convs(onnx.load(sys.argv[1])), sys.argv[2])
