"""Writes the peak-throughput microbenchmarks as ONNX (run by bench.ts in onnxruntime).

conv.onnx:   one 3×3 Conv, 256 → 256 channels on [1, 256, 64, 64]   (2·256·256·9·64·64 FLOPs)
matmul.onnx: one MatMul [1024, 1024] × [1024, 1024]                   (2·1024³ FLOPs)
Large enough that onnxruntime's kernels run at their best; what this CPU can
do at all, to put a stage's achieved GFLOP/s in proportion.

usage: python3 gpu-runner/bench/make_microbench.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_model(c: int = 256, res: int = 64):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.zeros(c, np.float32), "b")
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, res, res])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, res, res])], [w, b])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), {"input": [1, c, res, res], "flops": 2 * c * c * 9 * res * res}


def matmul_model(n: int = 1024):
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array((rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32), "w")
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    g = helper.make_graph([node], "matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, n])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])], [w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), {"input": [n, n], "flops": 2 * n ** 3}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    info = {}
    for name, (model, meta) in {"conv": conv_model(), "matmul": matmul_model()}.items():
        model.ir_version = 8
        onnx.save(model, os.path.join(out, f"{name}.onnx"))
        info[name] = {"file": f"{name}.onnx", **meta}
    print(json.dumps(info))
