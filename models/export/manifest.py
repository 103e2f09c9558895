"""Build a cascade manifest (gpu-runner/src/manifest/schema.ts) from a named cascade config."""
import json
import os

from .onnx_export import sha256_file

TEXT_ENCODER_ONNX = "text-encoder.onnx"


def stage_file(name: str) -> str:
    return f"{name}.onnx"


def build_manifest(cascade: dict, folder: str, *, id: str, name: str, description: str, license: str,
                   encoder_id: str, overrides: dict = None, example_prompts: list = None) -> dict:
    """Reads the ONNX files already written into `folder` for their sha256s.

    example_prompts: a few prompts from the model's world; the notebook offers
    them (placeholder, examples) so a new user starts inside what the model knows.

    overrides: {stage: {field: value}} applied on top of the config (e.g. tuned defaults).
    """
    enc = cascade["encoder"]
    stages = []
    for stage_name, st in cascade["stages"].items():
        rec = {
            "name": stage_name,
            "resolution": st["resolution"],
            "onnx": stage_file(stage_name),
            "sha256": sha256_file(os.path.join(folder, stage_file(stage_name))),
            "prediction": st["prediction"],
            "schedule": dict(st["schedule"]),
            "defaults": dict(st["defaults"]),
            "thresholding": dict(st["thresholding"]),
        }
        if "lowRes" in st:
            rec["lowRes"] = dict(st["lowRes"])
        for k, v in ((overrides or {}).get(stage_name) or {}).items():
            rec[k] = v
        stages.append(rec)
    out = {
        "schemaVersion": 1,
        "id": id,
        "name": name,
        "description": description,
        "license": license,
    }
    if example_prompts:
        out["examplePrompts"] = list(example_prompts)
    return {
        **out,
        "textEncoder": {
            "id": encoder_id,
            "tokenizer": "tokenizer.json",
            "onnx": TEXT_ENCODER_ONNX,
            "sha256": sha256_file(os.path.join(folder, TEXT_ENCODER_ONNX)),
            "maxTokens": enc.max_tokens,
            "hiddenSize": enc.d_model,
            "nullPrompt": "empty-prompt",
        },
        "stages": stages,
    }


def write_json(path: str, obj: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
