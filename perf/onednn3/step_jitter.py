#!/usr/bin/python3
"""Step times of a real training run fed by the data pipeline, for comparing thread runtimes: runs
`DNNTRAIN train ARGS --print-freq 1` (a plain line per step when stdout is not a terminal), stamps
each step line as it arrives, and prints images/s and the min, median, p90 and max step time,
leaving out the first epoch's first WARMUP steps. Takes the machine-wide lock
/var/lock/dnntrain-perf.lock itself.

usage: step_jitter.py DNNTRAIN [--warmup N] [--batch B] -- TRAIN_ARGS..."""
import argparse, fcntl, re, statistics, subprocess, sys, tempfile, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dnntrain")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, required=True, help="the -b given in TRAIN_ARGS")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:split])
    args = argv[split + 1:]
    lock = open("/var/lock/dnntrain-perf.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.Popen([a.dnntrain, "train", *args, "--print-freq", "1", "--output-dir", out],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        steps, last = [], None  # intervals between consecutive steps of one epoch (evaluation excluded)
        for line in p.stdout:
            m = re.match(r"^epoch (\d+)/\d+ step \d+ batch (\d+)/", line)
            if not m:
                continue
            now, here = time.monotonic(), (int(m.group(1)), int(m.group(2)))
            if last and last[0] == here[0] and last[1] + 1 == here[1]:
                steps.append(now - last[2])
            last = (*here, now)
        if p.wait() != 0:
            sys.exit(f"dnntrain failed with {p.returncode}")
    steps = steps[a.warmup:]
    if not steps:
        sys.exit("no step lines seen")
    steps_ms = sorted(1e3 * s for s in steps)
    p90 = steps_ms[min(len(steps_ms) - 1, int(0.9 * len(steps_ms)))]
    print(f"{len(steps_ms)} steps: {a.batch / statistics.median(steps):.2f} images/s (median step); step ms "
          f"min {steps_ms[0]:.0f} median {statistics.median(steps_ms):.0f} p90 {p90:.0f} max {steps_ms[-1]:.0f}")


if __name__ == "__main__":
    main()
