"""gpu-proof, step 0: what this machine offers for onnxruntime on a GPU, read from local files
only (nothing is downloaded): the GPU and driver, Python's onnxruntime (version, providers,
the provider libraries in its capi/ folder, its build info), torch, the CUDA / cuDNN / Vulkan
libraries the dynamic loader knows, and pip's nvidia-* library folders. Prints one JSON object.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys


def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unavailable: {e}"


def main():
    env = {"python": sys.version.split()[0], "executable": sys.executable}
    env["nvidiaSmi"] = run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]) if shutil.which("nvidia-smi") else "no nvidia-smi"
    try:
        import onnxruntime as ort
        capi = os.path.join(os.path.dirname(ort.__file__), "capi")
        info = {}
        build = os.path.join(capi, "build_and_package_info.py")
        if os.path.exists(build):
            info = dict(re.findall(r"^(\w+)\s*=\s*['\"]([^'\"]*)['\"]", open(build).read(), re.M))
        env["onnxruntime"] = {
            "version": ort.__version__, "providers": ort.get_available_providers(), "capi": capi, "buildInfo": info,
            "providerLibraries": sorted(os.path.basename(p) for p in glob.glob(os.path.join(capi, "libonnxruntime_providers_*.so"))),
        }
    except Exception as e:  # noqa: BLE001 - any failure to import is the finding
        env["onnxruntime"] = {"error": f"{type(e).__name__}: {e}"}
    try:
        import torch
        env["torch"] = {"version": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                        "cudaAvailable": torch.cuda.is_available(), "compile": hasattr(torch, "compile")}
    except Exception as e:  # noqa: BLE001
        env["torch"] = {"error": f"{type(e).__name__}: {e}"}
    ldconfig = run(["ldconfig", "-p"]) if shutil.which("ldconfig") else ""
    wanted = re.compile(r"^\s*(lib(?:cudart|cublas|cublasLt|cudnn|cufft|curand|vulkan|cuda)\.so[.\d]*)\s.*=>\s*(\S+)", re.M)
    env["loaderLibraries"] = sorted({f"{m.group(1)} => {m.group(2)}" for m in wanted.finditer(ldconfig)})
    site = [p for p in sys.path if p.endswith("site-packages")]
    env["pipNvidiaLibDirs"] = sorted({d for s in site for d in glob.glob(os.path.join(s, "nvidia", "*", "lib"))})
    env["vulkanIcd"] = sorted(glob.glob("/usr/local/nvidia/share/vulkan/icd.d/*.json") + glob.glob("/usr/share/vulkan/icd.d/*.json") + glob.glob("/etc/vulkan/icd.d/*.json"))
    print(json.dumps(env))


if __name__ == "__main__":
    main()
