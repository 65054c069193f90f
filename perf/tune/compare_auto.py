#!/usr/bin/python3
"""--precision auto against f32 and bf16, in one sitting: for each model, one `bench --precision auto`
with an empty wisdom cache (the first run: it measures), then rounds of f32, bf16 and auto (from the
cache) back to back, rotating the order, so that noise on this shared machine hits all three. Prints
every run, the medians, auto / the better of f32 and bf16, and the time auto spent deciding.
Run it under the machine lock:

  flock -x /var/lock/dnntrain-perf.lock /usr/bin/python3 perf/tune/compare_auto.py --rounds 2 --steps 5
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = {  # name: (model, batch, size, in_channels, classes), as perf/compare_torch.py
    "resnet18": ("resnet18", 32, 224, 3, 1000),
    "resnet50": ("resnet50", 32, 224, 3, 1000),
    "resnet20": ("resnet20", 128, 28, 1, 10),
}

def bench(binary, cfg, precision, steps, threads, cache, extra=()):
    model, batch, size, channels, classes = cfg
    cmd = [binary, "bench", "--model", model, "-b", str(batch), "--image-size", str(size), "--in-channels",
           str(channels), "--classes", str(classes), "--threads", str(threads), "--steps", str(steps),
           "--warmup", "1", "--profile-steps", "0", "--precision", precision, "--json", *extra]
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    for line in r.stderr.splitlines():
        print("   ", line)
    return json.loads(r.stdout.strip().splitlines()[-1])

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build/apps/dnntrain"))
    p.add_argument("--configs", default="resnet18,resnet50,resnet20")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    rows = []
    for name in a.configs.split(","):
        cfg = CONFIGS[name]
        with tempfile.TemporaryDirectory() as cache:
            first = bench(a.binary, cfg, "auto", a.steps, a.threads, cache)
            d = first["precision_auto"]
            print(f"{name} first auto run: chose {d['chosen']} ({d['source']}: f32 {d['f32_step_ms']:.1f} ms, "
                  f"bf16 {d['bf16_step_ms']:.1f} ms per estimated step) in {d['tune_seconds']:.2f} s; "
                  f"peak {first['peak']['f32_gflops_per_sec']:.1f} / {first['peak']['bf16_gflops_per_sec']:.1f} GFLOP/s")
            runs = {"f32": [], "bf16": [], "auto": []}
            cached = []
            order = ["f32", "bf16", "auto"]
            for r in range(a.rounds):
                for precision in order[r % 3:] + order[:r % 3]:
                    out = bench(a.binary, cfg, precision, a.steps, a.threads, cache)
                    runs[precision].append(out["train_images_per_sec"])
                    if precision == "auto":
                        cached.append(out["precision_auto"]["tune_seconds"])
                        assert out["precision_auto"]["source"] == "cached", out["precision_auto"]
                    print(f"{name} round {r + 1} {precision}: {out['train_images_per_sec']:.2f} images/s "
                          f"(min {out['train_step_ms_min']:.1f} ms, median {out['train_step_ms']:.1f}, "
                          f"max {out['train_step_ms_max']:.1f}; steal {100 * out['steal_share']:.1f} %, "
                          f"run-queue wait {100 * out['run_queue_wait_share']:.1f} %)", flush=True)
            med = {k: statistics.median(v) for k, v in runs.items()}
            better = max(med["f32"], med["bf16"])
            rows.append((name, med, runs, med["auto"] / better, d, max(cached)))
    print("\n| model | f32 images/s | bf16 images/s | auto images/s (chose) | auto / better | "
          "first-run decision s | cached decision s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, med, runs, ratio, d, cached in rows:
        fmt = lambda k: f"{med[k]:.2f} ({', '.join(f'{v:.2f}' for v in runs[k])})"
        print(f"| {name} | {fmt('f32')} | {fmt('bf16')} | {fmt('auto')} ({d['chosen']}) | {ratio:.3f} | "
              f"{d['tune_seconds']:.2f} | {cached:.4f} |")

if __name__ == "__main__":
    main()
