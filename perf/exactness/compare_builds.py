#!/usr/bin/python3
"""Training images/s of two dnntrain builds in one sitting, alternating runs, per model and conv
algorithm: what the exactness changes (batch norm in double, direct convolutions by default) cost.

usage: compare_builds.py OLD_DNNTRAIN NEW_DNNTRAIN [--rounds N] [--steps N]"""
import argparse, json, subprocess, statistics

CONFIGS = {
    "resnet18 b32 224": ["--model", "resnet18", "-b", "32", "--image-size", "224"],
    "resnet50 b32 224": ["--model", "resnet50", "-b", "32", "--image-size", "224"],
    "resnet20 b128 1x28": ["--model", "resnet20", "-b", "128", "--image-size", "28", "--in-channels", "1",
                           "--classes", "10"],
}


def bench(binary, args, steps):
    out = subprocess.run([binary, "bench", *args, "--threads", "2", "--steps", str(steps), "--warmup", "2",
                          "--profile-steps", "0", "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["train_images_per_sec"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old"), ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    print("| config | old (Winograd, oneDNN BN) | old direct | new (direct, own BN) | new Winograd | new / old direct | new / old |")
    print("|---|---|---|---|---|---|---|")
    for name, args in CONFIGS.items():
        runs = {k: [] for k in ("old", "old_direct", "new", "new_winograd")}
        for _ in range(a.rounds):
            runs["old"].append(bench(a.old, args, a.steps))
            runs["new"].append(bench(a.new, args, a.steps))
            runs["old_direct"].append(bench(a.old, args + ["--conv-algorithm", "direct"], a.steps))
            runs["new_winograd"].append(bench(a.new, args + ["--conv-algorithm", "winograd"], a.steps))
        m = {k: statistics.median(v) for k, v in runs.items()}
        print(f"| {name} | {m['old']:.2f} | {m['old_direct']:.2f} | {m['new']:.2f} | {m['new_winograd']:.2f} | "
              f"{m['new'] / m['old_direct']:.3f} | {m['new'] / m['old']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
