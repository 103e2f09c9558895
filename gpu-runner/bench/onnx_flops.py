"""Prepares an ONNX stage for FLOP counting by its graph (run by bench.ts).

ONNX shape inference cannot follow the exported U-Nets' Shape→Gather→Reshape
chains, so instead of inferring shapes we let onnxruntime report them: this
script writes a copy of the model whose graph outputs also include every input
and output of each Conv / ConvTranspose / MatMul / Gemm node, plus a JSON
description of those nodes. bench.ts runs the copy once on the benchmark's
inputs, reads the real dims and counts 2 FLOPs per multiply-add.

usage: python3 gpu-runner/bench/onnx_flops.py MODEL.onnx OUT_DIR
writes OUT_DIR/probe.onnx and OUT_DIR/probe.json
"""
import json
import os
import sys

import onnx
from onnx import TensorProto, helper

COUNTED = ("Conv", "ConvTranspose", "MatMul", "Gemm")


def prepare(model_path: str, out_dir: str) -> dict:
    model = onnx.load(model_path)
    graph = model.graph
    init_shapes = {i.name: list(i.dims) for i in graph.initializer}
    existing = {o.name for o in graph.output}
    nodes = []
    probe = []
    for node in graph.node:
        if node.op_type not in COUNTED:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute if a.name in ("group", "transA", "transB")}
        names = [n for n in list(node.input)[:2] + [node.output[0]] if n]
        nodes.append({"op": node.op_type, "inputs": list(node.input)[:2], "output": node.output[0], "attrs": attrs})
        for n in names:
            if n not in init_shapes and n not in existing and n not in probe:
                probe.append(n)
    for n in probe:
        graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "probe.onnx"))
    desc = {"model": model_path, "nodes": nodes, "initializerShapes": init_shapes, "probed": probe}
    with open(os.path.join(out_dir, "probe.json"), "w") as f:
        json.dump(desc, f)
    return desc


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    d = prepare(sys.argv[1], sys.argv[2])
    print(json.dumps({"nodes": len(d["nodes"]), "probed": len(d["probed"])}))
