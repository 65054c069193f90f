#!/usr/bin/python3
"""Training images/s of two dnntrain executables in one sitting (for example the last oneDNN 2.6.3
build against the oneDNN 3 build, or oneDNN 3's OpenMP build against its TBB build): for each model
and precision, the runs alternate A, B, A, B, ... so that noise on a shared machine hits both, and the
table gives each side's median, every run, and the ratio B / A of the medians. Run it alone on the
machine (it takes the machine-wide lock /var/lock/dnntrain-perf.lock itself).

usage: compare_onednn_builds.py A_DNNTRAIN B_DNNTRAIN [--rounds N] [--steps N] [--threads N]
       [--configs resnet18,resnet50,resnet20] [--precisions f32,bf16]"""
import argparse, fcntl, json, platform, statistics, subprocess

CONFIGS = {
    "resnet18": ["--model", "resnet18", "-b", "32", "--image-size", "224"],
    "resnet50": ["--model", "resnet50", "-b", "32", "--image-size", "224"],
    "resnet20": ["--model", "resnet20", "-b", "128", "--image-size", "28", "--in-channels", "1", "--classes", "10"],
}


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def bench(binary, args, precision, steps, threads):
    out = subprocess.run([binary, "bench", *args, "--precision", precision, "--threads", str(threads), "--steps",
                          str(steps), "--warmup", "2", "--profile-steps", "0", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a"), ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--configs", default="resnet18,resnet50,resnet20")
    ap.add_argument("--precisions", default="f32,bf16")
    a = ap.parse_args()
    lock = open("/var/lock/dnntrain-perf.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    print(f"CPU: {cpu_model()}, {a.threads} threads; A = {a.a}; B = {a.b}")
    print("| model | precision | A images/s (runs) | B images/s (runs) | B / A | peak f32 / bf16 GFLOP/s (A; B) | B's oneDNN |")
    print("|---|---|---|---|---:|---|---|")
    for name in a.configs.split(","):
        for precision in a.precisions.split(","):
            runs = {a.a: [], a.b: []}
            last = {}
            for _ in range(a.rounds):
                for binary in (a.a, a.b):
                    j = bench(binary, CONFIGS[name], precision, a.steps, a.threads)
                    runs[binary].append(j["train_images_per_sec"])
                    last[binary] = j
            ma, mb = statistics.median(runs[a.a]), statistics.median(runs[a.b])
            peaks = "; ".join(f"{last[x]['peak']['f32_gflops_per_sec']:.0f} / {last[x]['peak']['bf16_gflops_per_sec']:.0f}"
                              for x in (a.a, a.b))
            rt = last[a.b].get("onednn", {})
            print(f"| {name} | {precision} | {ma:.2f} ({', '.join(f'{v:.2f}' for v in runs[a.a])}) | "
                  f"{mb:.2f} ({', '.join(f'{v:.2f}' for v in runs[a.b])}) | {mb / ma:.3f} | {peaks} | "
                  f"{rt.get('version', '?')} {rt.get('runtime', '')} {rt.get('isa', '')} |", flush=True)


if __name__ == "__main__":
    main()
