#!/usr/bin/python3
"""Inference speed and peak memory of dnntrain's folded inference plan against ONNX Runtime and
OpenVINO, in one sitting: ResNet-18 and ResNet-50 (torchvision's topology, random weights and random
batch-norm statistics) at 224², batch 32 (images/s) and batch 1 (ms per image), on the same threads.
Each engine runs in its own process (perf/inference/inference_bench for ours, a child Python for
the others) on the same weights: torchvision's state_dict as safetensors for ours, its
torch.onnx.export (opset 17, dynamic batch) for the others. Rounds alternate the engines, so noise on
this shared machine hits all of them; each figure is the median of --steps forwards after 2 warm-up
ones, peak memory each child's VmHWM. For the record: our bf16 plan without micro-batches (the whole
batch throughout) and our training graph in eval mode.

  flock -x /var/lock/dnntrain-perf.lock build/perf-venv/bin/python perf/compare_inference.py --build build

Needs build/perf-venv (torch, torchvision, onnx, onnxruntime, openvino, safetensors): bash perf/anchor_venv.sh."""
import argparse, json, os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXPORT = r"""
import sys, torch, torchvision, safetensors.torch
model, folder = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
m = getattr(torchvision.models, model)(num_classes=1000).eval()
with torch.no_grad():  # random batch-norm statistics and affine parameters
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.2); mod.running_var.uniform_(0.5, 2)
            mod.weight.uniform_(0.5, 1.5); mod.bias.normal_(0, 0.2)
safetensors.torch.save_file({k: v.contiguous() for k, v in m.state_dict().items()}, f"{folder}/{model}.safetensors")
torch.onnx.export(m, torch.randn(1, 3, 224, 224), f"{folder}/{model}.onnx", input_names=["x"], output_names=["y"],
                  opset_version=17, dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, dynamo=False)
"""

ENGINE = r"""
import json, sys, time, numpy as np
kind, path, batch, threads, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = np.random.default_rng(1).standard_normal((batch, 3, 224, 224), dtype=np.float32)
if kind == "onnxruntime":
    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    run = lambda: s.run(None, {"x": x})
else:
    import openvino as ov
    hint = kind.split("_")[1]
    c = ov.Core().compile_model(path, "CPU", {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint,
                                              "PERFORMANCE_HINT": "LATENCY"})
    r = c.create_infer_request()
    run = lambda: r.infer({0: x})
run(); run()
t = []
for _ in range(steps):
    t0 = time.perf_counter(); run(); t.append(time.perf_counter() - t0)
t.sort(); s = t[len(t) // 2]
hwm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"engine": kind, "images_per_sec": batch / s, "ms": 1e3 * s, "peak_rss_bytes": hwm}))
"""

def run_measured(cmd):
    """Runs cmd, returns its last JSON line and its peak RSS in bytes: the VmHWM the child reports
    (ru_maxrss of a forked child would count this script's own memory at the fork)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r); os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY); os.dup2(devnull, 2)
        os.execv(cmd[0], cmd)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        return None, 0
    result = json.loads(out.strip().splitlines()[-1])
    return result, result["peak_rss_bytes"]

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build folder with perf/inference/inference_bench")
    p.add_argument("--models", default="resnet18,resnet50")
    p.add_argument("--batches", default="32,1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=5, help="timed forwards at batch 32 (4x as many at batch 1)")
    a = p.parse_args()
    bench = os.path.join(a.build, "perf", "inference", "inference_bench")
    folder = tempfile.mkdtemp(prefix="dnntrain_compare_inference_")
    py = sys.executable
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    versions = subprocess.run([py, "-c", "import torch, onnxruntime, openvino; print(torch.__version__, "
                               "onnxruntime.__version__, openvino.__version__)"], capture_output=True, text=True).stdout.split()
    print(f"CPU {cpu}; {a.threads} threads; torch, onnxruntime, openvino: {', '.join(versions)}", flush=True)
    engines = [("dnntrain f32", "ours", "f32", "folded"), ("dnntrain bf16", "ours", "bf16", "folded"),
               ("dnntrain bf16 whole batch (old)", "ours", "bf16", "folded-whole"),
               ("dnntrain eval graph f32 (old)", "ours", "f32", "unfolded"),
               ("onnxruntime f32", "py", "onnxruntime", None),
               ("openvino f32", "py", "openvino_f32", None), ("openvino bf16", "py", "openvino_bf16", None)]
    results = {}  # (model, batch, engine) -> [(images/s, ms, rss)]
    for model in a.models.split(","):
        subprocess.run([py, "-c", EXPORT, model, folder], check=True, stderr=subprocess.DEVNULL)
        for batch in map(int, a.batches.split(",")):
            steps = a.steps if batch > 1 else 4 * a.steps
            for rnd in range(a.rounds):
                for name, how, arg, kind in engines:
                    if how == "ours":
                        cmd = [bench, model, str(batch), "224", str(a.threads), arg, kind, str(steps),
                               f"{folder}/{model}.safetensors"]
                    else:
                        cmd = [py, "-c", ENGINE, arg, f"{folder}/{model}.onnx", str(batch), str(a.threads), str(steps)]
                    out, rss = run_measured(cmd)
                    if out is None:
                        print(f"{model} b{batch} round {rnd + 1}: {name} failed", flush=True)
                        continue
                    results.setdefault((model, batch, name), []).append((out["images_per_sec"], out["ms"], rss))
                    micro = f"  micro-batch {out['micro_batch']}" if "micro_batch" in out else ""
                    print(f"{model} b{batch} round {rnd + 1}: {name:31s} {out['images_per_sec']:8.2f} images/s "
                          f"{out['ms']:9.2f} ms  peak {rss / 2**20:7.0f} MiB{micro}", flush=True)
    print("\n| model | batch | engine | images/s (rounds) | ms per batch (median) | peak RSS MiB |")
    print("|---|---:|---|---:|---:|---:|")
    for (model, batch, name), runs in results.items():
        rates = ", ".join(f"{r[0]:.2f}" for r in runs)
        print(f"| {model} | {batch} | {name} | {rates} | {statistics.median(r[1] for r in runs):.1f} | "
              f"{max(r[2] for r in runs) / 2**20:.0f} |")
    print("\nratios (median images/s; the better precision of each engine):")
    for model in a.models.split(","):
        for batch in map(int, a.batches.split(",")):
            def best(prefix):
                c = [(statistics.median(r[0] for r in v), n) for (m, b, n), v in results.items()
                     if m == model and b == batch and n.startswith(prefix) and "old" not in n]
                return max(c) if c else (0, "-")
            ours, others = best("dnntrain"), max(best("onnxruntime"), best("openvino"))
            if others[0] > 0:
                print(f"  {model} b{batch}: {ours[1]} {ours[0]:.2f} / {others[1]} {others[0]:.2f} = {ours[0] / others[0]:.2f}x")

if __name__ == "__main__":
    main()
