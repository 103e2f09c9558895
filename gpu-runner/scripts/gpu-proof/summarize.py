"""gpu-proof, last step: summary.json from the parts' JSON files and the steps' status lines
(stdin: name TAB status TAB seconds). Each part is "measured", or "skipped" with the reason.
"""
import argparse
import json
import os
import sys


def load(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        return {"error": f"unreadable {name}: {e}"}


def not_measured(steps, name):
    status = steps.get(name, {}).get("status", f"no output from {name}")
    return status if status.startswith("skipped") else f"failed: {status}"


def provider_part(torch_part, name, why, steps):
    entry = ((torch_part or {}).get("providers") or {}).get(name)
    if entry is None:
        return f"skipped: {why or steps.get('step-vs-torch', {}).get('status', 'no torch.json')}"
    return "measured" if "rows" in entry else f"failed: {entry.get('error') or entry.get('skipped')}"


def read_compile(work):
    try:
        with open(os.path.join(work or "", "torch-compile.json")) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def torch_compile_part(compiled):
    if compiled is None:
        return "missing: no output (timed out or crashed; see log.txt)"
    return f"skipped: {compiled['skipped']}" if "skipped" in compiled else "measured"


def merge_compile(out, torch_part, compiled):
    """torch.compile ran after the ORT side (so a slow compile costs only its own numbers): add its times to torch.json."""
    if not torch_part or not compiled:
        return
    if "runs" not in compiled:
        torch_part.setdefault("torch", {})["compileSkipped"] = compiled.get("skipped")
        with open(os.path.join(out, "torch.json"), "w") as f:
            json.dump(torch_part, f, indent=2)
        return
    ms = {r["batch"]: r["msMedian"] for r in compiled["runs"]}
    for entry in (torch_part.get("providers") or {}).values():
        for row in entry.get("rows", []):
            if row["batch"] in ms:
                row["torchCompileMs"] = round(ms[row["batch"]], 3)
                row["compileOverOrt"] = round(ms[row["batch"]] / row["ortMs"], 3)
    torch_part.setdefault("torch", {})["compileSkipped"] = None
    with open(os.path.join(out, "torch.json"), "w") as f:
        json.dump(torch_part, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--out", "--work", "--dry-run", "--cuda", "--cuda-why", "--webgpu", "--webgpu-why", "--provider-dir", "--seconds", "--budget"):
        ap.add_argument(flag, default="")
    a = ap.parse_args()
    steps = {}
    for line in sys.stdin.read().splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            steps[parts[0]] = {"status": parts[1], "seconds": int(parts[2] or 0)}

    cascade = load(a.out, "cascade.json")
    torch_part = load(a.out, "torch.json")
    compiled = read_compile(a.work)
    merge_compile(a.out, torch_part, compiled)
    bench = load(a.out, "runner-bench.json")
    batching = None
    if bench and bench.get("levels"):
        by_c = {lv["concurrency"]: lv["imagesPerSecond"] for lv in bench["levels"]}
        if 1 in by_c and by_c[1] > 0:
            batching = {f"c{c}OverC1": round(v / by_c[1], 3) for c, v in sorted(by_c.items()) if c != 1}
            batching["goal"] = "images/s at concurrency 8 >= 1.5 x concurrency 1 (a GPU goal)"
    gpu_cascade = isinstance(cascade, dict) and isinstance(cascade.get("device"), dict) and "skipped" not in cascade["device"] and "error" not in cascade["device"]
    summary = {
        "dryRun": a.dry_run == "1",
        "env": load(a.out, "env.json"),
        "cuda": {"used": a.cuda == "1", "providerDir": a.provider_dir or None, "why": a.cuda_why or None},
        "webgpu": {"used": a.webgpu == "1", "why": a.webgpu_why or None},
        "parts": {
            "cascadeCpu": "measured" if cascade and "cpu" in cascade and "error" not in cascade["cpu"] else f"missing: {steps.get('cascade')}",
            "cascadeGpuVsCpu": "measured" if gpu_cascade else f"skipped: {a.cuda_why or (cascade or {}).get('device')}",
            "ortCudaVsTorch": provider_part(torch_part, "cuda", a.cuda_why, steps),
            "ortWebgpuVsTorch": provider_part(torch_part, "webgpu", a.webgpu_why, steps),
            "ortCpuVsTorch": provider_part(torch_part, "cpu", "only on the dry run", steps),
            "torchCompile": torch_compile_part(compiled),
            "runnerBench": ("measured on " + ("cuda" if a.cuda == "1" else "cpu")) if bench else not_measured(steps, "runner-bench"),
        },
        "pixels": (cascade or {}).get("pixels"),
        # the device run's fingerprint must name the provider it ran on
        "deviceFingerprintProviders": sorted({r.get("fingerprint", {}).get("provider") for r in cascade["device"].values()}) if gpu_cascade else None,
        "ortVsTorch": (torch_part or {}).get("providers"),
        "batching": batching,
        "steps": steps,
        "seconds": int(a.seconds or 0),
        "budgetSeconds": int(a.budget or 0),
    }
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["parts"]))


if __name__ == "__main__":
    main()
