#!/usr/bin/python3
"""Training throughput and peak memory of dnntrain against PyTorch on this machine, in one sitting:
each round runs `dnntrain bench` and perf/torch_baseline.py (NCHW and channels-last) back to back on
the same threads, so noise on this shared machine hits both; it prints the PyTorch version, every run
and the median ratio. --compile passes torch.compile on to the PyTorch runs (PyTorch >= 2.0). --precision bf16 runs ours with
--precision bf16 and PyTorch under bf16 autocast; each round then also runs our f32 bench, for the
bf16 / f32 speed and peak-memory ratios.

  /usr/bin/python3 perf/compare_torch.py --config resnet18 --rounds 2
  /usr/bin/python3 perf/compare_torch.py --config all
  /usr/bin/python3 perf/compare_torch.py --config resnet50 --precision bf16

Peak memory is each child process's ru_maxrss. PyTorch's script reports the mean step time over
--steps steps after 2 warm-up steps; dnntrain reports the median over the same number of steps."""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = {  # name: (model, batch, size, in_channels, classes)
    "resnet18": ("resnet18", 32, 224, 3, 1000),
    "resnet50": ("resnet50", 32, 224, 3, 1000),
    "resnet20": ("resnet20", 128, 28, 1, 10),
    "seed": ("resnet18", 64, 224, 3, 10),  # the seed's configuration; trained with Adam there
}

def run_measured(cmd):
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
        sys.exit(f"failed (status {status}): {' '.join(cmd)}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss * 1024

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="all", help="resnet18, resnet50, resnet20 or all")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=0, help="override the config's batch size")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dnntrain", default=os.path.join(ROOT, "build/apps/dnntrain"))
    p.add_argument("--python", default="/usr/bin/python3", help="the interpreter that has torch")
    p.add_argument("--compile", action="store_true", help="torch.compile the PyTorch model")
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    p.add_argument("--opt", choices=["sgd", "adam"], default="sgd", help="the optimizer of both")
    a = p.parse_args()
    names = list(CONFIGS) if a.config == "all" else [a.config]
    for name in names:
        model, batch, size, chans, classes = CONFIGS[name]
        batch = a.batch or batch
        ours = [a.dnntrain, "bench", "--model", model, "-b", str(batch), "--image-size", str(size),
                "--in-channels", str(chans), "--classes", str(classes), "--threads", str(a.threads),
                "--steps", str(a.steps), "--profile-steps", "0", "--json", "--opt", a.opt]
        ours_f32 = ours + ["--precision", "f32"] if a.precision == "bf16" else None
        ours += ["--precision", a.precision]
        torch = [a.python, os.path.join(ROOT, "perf", "torch_baseline.py"), "--model", model,
                 "--batch", str(batch), "--size", str(size), "--in-channels", str(chans),
                 "--classes", str(classes), "--threads", str(a.threads), "--iters", str(a.steps), "--json",
                 "--opt", a.opt]
        if a.precision == "bf16":
            torch.append("--bf16")
        if a.compile:
            torch.append("--compile")
        print(f"== {name}: batch {batch}, {chans}x{size}x{size}, {classes} classes, {a.threads} threads, "
              f"{a.precision}, optimizer {a.opt}")
        ratios, mem_ratios, own_ratios, own_mem_ratios = [], [], [], []
        for r in range(a.rounds):
            if ours_f32:
                f, f_rss = run_measured(ours_f32)
            d, d_rss = run_measured(ours)
            t, t_rss = run_measured(torch)
            tc, tc_rss = run_measured(torch + ["--channels-last"])
            if r == 0:
                print(f"torch {t['torch_version']}" + (f", compiled {t['compiled']}" if a.compile else ""))
            best = max(t["images_per_sec"], tc["images_per_sec"])
            best_rss = tc_rss if tc["images_per_sec"] >= t["images_per_sec"] else t_rss
            ratios.append(d["train_images_per_sec"] / best)
            mem_ratios.append(d_rss / best_rss)
            print(f"round {r + 1}: dnntrain {d['train_images_per_sec']:.2f} img/s (infer "
                  f"{d['infer_images_per_sec']:.2f}), peak {d_rss / 2**20:.0f} MiB | torch NCHW "
                  f"{t['images_per_sec']:.2f} ({t_rss / 2**20:.0f} MiB), channels-last "
                  f"{tc['images_per_sec']:.2f} ({tc_rss / 2**20:.0f} MiB) | ratio to torch's better "
                  f"layout {ratios[-1]:.2f}x, memory {mem_ratios[-1]:.2f}x", flush=True)
            if ours_f32:
                own_ratios.append(d["train_images_per_sec"] / f["train_images_per_sec"])
                own_mem_ratios.append(d_rss / f_rss)
                print(f"         our f32 {f['train_images_per_sec']:.2f} img/s, peak {f_rss / 2**20:.0f} MiB | "
                      f"bf16 / f32: {own_ratios[-1]:.2f}x speed, {own_mem_ratios[-1]:.2f}x peak memory", flush=True)
        print(f"median ratio {statistics.median(ratios):.2f}x (training images/s), "
              f"peak memory {statistics.median(mem_ratios):.2f}x of torch's")
        if own_ratios:
            print(f"median bf16 / our f32: {statistics.median(own_ratios):.2f}x speed, "
                  f"{statistics.median(own_mem_ratios):.2f}x peak memory")

if __name__ == "__main__":
    main()
