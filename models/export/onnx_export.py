"""Export the text encoder and the U-Net stages to ONNX under the engine's contract.

text encoder: input_ids int64 [B, L], attention_mask int64 [B, L] -> last_hidden_state float32 [B, L, D]
stage:        sample float32 [B, C, H, W], timestep float32 [B], encoder_hidden_states float32 [B, L, D],
              encoder_attention_mask int64 [B, L] (+ noise_level int64 [B] on SR stages) -> out float32 [B, C', H, W]
Batch and spatial axes are dynamic; L is fixed to maxTokens.
"""
import hashlib
import os
import tempfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

OPSET = 17


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _StageWrapper(nn.Module):
    """Pins the positional argument order so ONNX input names match the contract."""

    def __init__(self, unet: nn.Module, sr: bool):
        super().__init__()
        self.unet = unet
        self.sr = sr

    def forward(self, sample, timestep, encoder_hidden_states, encoder_attention_mask, noise_level=None):
        return self.unet(sample, timestep, encoder_hidden_states, encoder_attention_mask, noise_level)


def encoder_example(max_tokens: int, batch: int = 2, vocab: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, vocab, (batch, max_tokens), generator=g)
    mask = torch.ones(batch, max_tokens, dtype=torch.long)
    for b in range(batch):
        n = 3 + (5 * b) % (max_tokens - 3)
        ids[b, n - 1] = 1  # </s>
        ids[b, n:] = 0
        mask[b, n:] = 0
    return ids, mask


def stage_example(in_channels: int, res: int, max_tokens: int, text_dim: int, sr: bool, batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    sample = torch.randn(batch, in_channels, res, res, generator=g)
    timestep = torch.linspace(999.0, 3.0, batch)
    text = torch.randn(batch, max_tokens, text_dim, generator=g)
    mask = torch.zeros(batch, max_tokens, dtype=torch.long)
    for b in range(batch):
        mask[b, : 1 + (7 * b + 4) % max_tokens] = 1
    inputs = [sample, timestep, text, mask]
    if sr:
        inputs.append(torch.linspace(0, 250, batch).round().long())
    return inputs


def _save_atomic(model_proto_path: str, dest: str) -> None:
    os.replace(model_proto_path, dest)


def export_encoder(encoder: nn.Module, dest: str) -> None:
    encoder.eval()
    ids, mask = encoder_example(encoder.cfg.max_tokens, vocab=min(encoder.cfg.vocab_size, 64))
    _export(encoder, (ids, mask), dest, ["input_ids", "attention_mask"], ["last_hidden_state"],
            {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "last_hidden_state": {0: "batch"}})


def export_stage(unet: nn.Module, dest: str, max_tokens: int, sr: bool, example_res: int = 32) -> None:
    unet.eval()
    cfg = unet.cfg
    inputs = stage_example(cfg.in_channels, example_res, max_tokens, cfg.text_dim, sr)
    names = ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask"] + (["noise_level"] if sr else [])
    axes = {n: {0: "batch"} for n in names}
    axes["sample"] = {0: "batch", 2: "height", 3: "width"}
    axes["out"] = {0: "batch", 2: "height", 3: "width"}
    _export(_StageWrapper(unet, sr), tuple(inputs), dest, names, ["out"], axes)


def _shorten_value_names(model: onnx.ModelProto) -> None:
    """Rename intermediate values to t0, t1, … (graph inputs, outputs and weights keep their names).

    The exporter's names ("/unet/down_levels.1/blocks.0/conv1/Conv_output_0") are a large part of a
    small model's file; short names keep the fixture small and change no computation.
    """
    keep = {v.name for v in model.graph.input} | {v.name for v in model.graph.output}
    keep |= {i.name for i in model.graph.initializer}
    names = {}
    for node in model.graph.node:
        for i, out in enumerate(node.output):
            if out and out not in keep and out not in names:
                names[out] = f"t{len(names)}"
            if out in names:
                node.output[i] = names[out]
        for i, inp in enumerate(node.input):
            if inp in names:
                node.input[i] = names[inp]
    for info in model.graph.value_info:
        if info.name in names:
            info.name = names[info.name]


def _store_exact_fp16(model: onnx.ModelProto, min_size: int = 1024) -> None:
    """Store float32 weights that are exactly fp16 values (the committed EMA checkpoints are fp16) as
    fp16 initializers followed by a Cast back to float32.

    Halves the files and changes no number: onnxruntime constant-folds the Casts when it loads the
    session, so the graph computes in float32 on the very same weights. Weights that constant folding
    made (not exactly fp16) and small tensors stay float32.
    """
    casts = []
    for init in model.graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        a = numpy_helper.to_array(init)
        if a.size < min_size:
            continue
        half = a.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), a):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(half, f"{name}.fp16"))
        casts.append(helper.make_node("Cast", [f"{name}.fp16"], [name], to=TensorProto.FLOAT))
    for node in reversed(casts):
        model.graph.node.insert(0, node)


def _export(module: nn.Module, args: tuple, dest: str, input_names, output_names, dynamic_axes) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=os.path.dirname(os.path.abspath(dest)))
    os.close(fd)
    with torch.no_grad():
        torch.onnx.export(module, args, tmp, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(tmp)
    onnx.checker.check_model(model)
    # Drop the exporter's doc strings (they hold absolute source paths) so the bytes are reproducible.
    _shorten_value_names(model)
    _store_exact_fp16(model)
    onnx.checker.check_model(model)
    for node in model.graph.node:
        node.doc_string = ""
        node.name = ""
    model.producer_version = ""
    onnx.save(model, tmp)
    os.chmod(tmp, 0o644)
    _save_atomic(tmp, dest)
