#!/usr/bin/env python3
"""Predicted weak-scaling efficiency of data-parallel ResNet-50 training from measured figures.

Reads perf/distributed/results.jsonl (written by run_dist.sh) and prints Markdown tables. Everything
below the measured inputs is a model, and its outputs are predictions.

Measured inputs (from results.jsonl):
  - compute time of one ResNet-50 b32 224² step on one rank without gradient averaging
    (forward, backward, optimizer), at the measured thread count (default: 1 rank x 2 threads);
  - when each gradient becomes ready after backward starts, and its size in bytes (padded f32,
    what the buckets send), giving the bucket layout and each bucket's ready time;
  - the exact parameter count and gradient bytes;
  - the 8-byte MPI_Iallreduce time over TCP on loopback (2 ranks), and the share of the
    allreduce time the 2-rank step hid behind backward.

Assumptions (also in perf/RESULTS.md):
  1. One rank per node with all its cores; a node computes exactly as the measured rank does
     (weak scaling: b32 per node, global batch 32·p); data loading is never the bottleneck.
  2. Ring allreduce of S bytes over p nodes: T(S) = 2(p-1)·α + 2(p-1)/p · S/B (bandwidth term as
     nccl-tests' bus bandwidth). No hierarchical or tree algorithm, no congestion, full bisection.
  3. B = link rate x efficiency; efficiency 0.9 of line rate by default (--link-efficiency), since
     loopback TCP has no line rate to measure an efficiency against.
  4. α = 25 µs per ring step by default (--alpha-us): a typical kernel-TCP MPI half round trip on
     25/100 GbE, not measured here; the loopback figure (printed for reference) has no NIC,
     switch or wire and is not representative of a network.
  5. Buckets as the trainer makes them (--bucket-mb 25 MiB, gradients in backward order, a new
     bucket when the next gradient would overflow). Bucket allreduces run one after another in
     bucket order, each starting when its last gradient is ready and the previous one ended.
     "overlap": step = compute step + max(0, end of last allreduce - end of backward), i.e. ideal
     progress of non-blocking collectives during backward (the overlap window of a bucket is the
     backward time after it is ready). "measured hidden share": the buckets' summed allreduce
     time, reduced by the share the 2-rank step hid. "no overlap": all allreduces after backward.
  6. Efficiency = single-node step time / predicted step time at p nodes (throughput per node
     at p nodes over single-node throughput; a single node runs no allreduce).
"""
import argparse
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def pick(records, **keys):
    found = [r for r in records if all(r.get(k) == v for k, v in keys.items())]
    if not found:
        sys.exit(f"scaling_model.py: no record with {keys} in the results file; run run_dist.sh")
    return found[-1]


def buckets(ready, bucket_bytes):
    """[(bytes, ready ms)] per bucket from [(bytes, ready ms)] per gradient in backward order."""
    out = []
    for size, at in ready:
        if not out or out[-1][0] + size > bucket_bytes:
            out.append([0, 0.0])
        out[-1][0] += size
        out[-1][1] = at
    return out


def ring_ms(size, p, alpha_ms, bytes_per_ms):
    return 2 * (p - 1) * alpha_ms + 2 * (p - 1) / p * size / bytes_per_ms


def step_ms(profile, layout, p, alpha_ms, bytes_per_ms, mode, hidden_share):
    """The compute step plus the allreduce time the step waits for."""
    times = [ring_ms(size, p, alpha_ms, bytes_per_ms) for size, _ in layout]
    if mode == "no overlap":
        return profile["compute_step_ms"] + sum(times)
    if mode == "measured hidden share":
        return profile["compute_step_ms"] + (1 - hidden_share) * sum(times)
    end = 0.0
    for (_, ready), t in zip(layout, times):
        end = max(end, ready) + t
    return profile["compute_step_ms"] + max(0.0, end - profile["backward_ms"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default="perf/distributed/results.jsonl")
    ap.add_argument("--threads", type=int, default=2, help="the measured 1-rank run to take as a node")
    ap.add_argument("--alpha-us", type=float, default=25.0, help="network latency per ring step")
    ap.add_argument("--link-efficiency", type=float, default=0.9)
    ap.add_argument("--bucket-mb", type=float, default=25.0)
    ap.add_argument("--compute-scale", type=float, default=1.0,
                    help="divide the measured compute times by this (a faster node; a what-if)")
    args = ap.parse_args()

    records = load(args.results)
    node = dict(model="resnet50", image_size=224, batch=32, ranks=1, threads=args.threads)
    step = pick(records, mode="step", **node)
    ready = pick(records, mode="gradient_ready", **node)["bytes_and_ms_after_backward_start"]
    two = pick(records, mode="step", model="resnet50", image_size=224, batch=32, ranks=2)
    tcp8 = pick(records, mode="allreduce", btl="tcp", bytes=8)
    s = args.compute_scale
    profile = {k: step[k] / s for k in ("compute_step_ms", "forward_ms", "backward_ms", "optimizer_ms")}
    layout = buckets([(b, at / s) for b, at in ready], args.bucket_mb * (1 << 20))
    single = profile["compute_step_ms"]
    alpha_ms = args.alpha_us / 1e3

    print(f"ResNet-50 b32 224², {step['parameters']:,} parameters, {step['gradient_bytes']:,} gradient "
          f"bytes in {len(layout)} buckets of ≤ {args.bucket_mb:g} MiB; node = 1 rank × {args.threads} "
          f"threads, compute step {single:.0f} ms (forward {profile['forward_ms']:.0f}, backward "
          f"{profile['backward_ms']:.0f}, optimizer {profile['optimizer_ms']:.0f})"
          + (f", measured times ÷ {s:g} (what-if)" if s != 1 else "") + ".")
    print(f"Buckets (MB, ready at ms after backward start): "
          + ", ".join(f"{b / 1e6:.1f} @ {at:.0f}" for b, at in layout) + ".")
    print(f"α = {args.alpha_us:g} µs (assumed; loopback TCP 8-byte allreduce at 2 ranks: {tcp8['us']:g} µs), "
          f"link efficiency {args.link_efficiency:g}, measured hidden share {two['hidden_share']:g}.\n")

    modes = ["no overlap", "measured hidden share", "overlap"]
    links = [25, 100]
    print("| nodes | " + " | ".join(f"{g} Gb/s, {m}" for g in links for m in modes) + " |")
    print("|---:|" + "---:|" * (len(links) * len(modes)))
    for p in (8, 64, 256):
        cells = []
        for gbps in links:
            bytes_per_ms = gbps * 1e9 / 8 * args.link_efficiency / 1e3
            for m in modes:
                t = step_ms(profile, layout, p, alpha_ms, bytes_per_ms, m, two["hidden_share"])
                cells.append(f"{single / t:.1%} ({t:.0f} ms)")
        print(f"| {p} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
