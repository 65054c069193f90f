#!/usr/bin/python3
"""How far PyTorch's bf16 autocast puts ResNet-20's first gradient from float64, per parameter, on the
first Fashion-MNIST batch (128 images) from one initialisation: the yardstick for dnntrain's own bf16
gradient error (tests/models/bf16_training_test.cpp prints that one). Prints |g - g64| / |g64| for
float32 and for bf16 autocast, in parameter order, and over all parameters.

  /usr/bin/python3 perf/precision/torch_bf16_gradients.py [--channels-last]"""
import argparse, gzip, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_baseline import build_model  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def first_batch(n):
    with gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")) as f:
        images = torch.frombuffer(bytearray(f.read()[16:16 + n * 784]), dtype=torch.uint8).reshape(n, 1, 28, 28)
    with gzip.open(os.path.join(DATA, "train-labels-idx1-ubyte.gz")) as f:
        labels = torch.frombuffer(bytearray(f.read()[8:8 + n]), dtype=torch.uint8)
    x = (images.float() / 255 - 0.2860) / 0.3530
    return x, labels.long()


def gradients(model, x, y, dtype, bf16, channels_last):
    m = model.to(dtype)
    xx = x.to(dtype)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
        xx = xx.contiguous(memory_format=torch.channels_last)
    m.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = F.cross_entropy(m(xx), y)
    loss.backward()
    return float(loss), [p.grad.detach().double().flatten() for p in m.parameters()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build_model("resnet20", 10, 1)
    model.train()
    x, y = first_batch(128)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    results = {}
    for name, dtype, bf16 in [("f64", torch.float64, False), ("f32", torch.float32, False),
                              ("bf16", torch.float32, True)]:
        model.load_state_dict(state)
        results[name] = gradients(model, x, y, dtype, bf16, a.channels_last)
    ref_loss, ref = results["f64"]
    names = [n for n, _ in model.named_parameters()]
    print(f"torch {torch.__version__}, channels-last {a.channels_last}; loss f64 {ref_loss:.6f}, "
          f"f32 {results['f32'][0]:.6f}, bf16 {results['bf16'][0]:.6f}")
    print(f"{'parameter':<28} {'f32':>10} {'bf16':>10}")
    for i, n in enumerate(names):
        row = [float((results[k][1][i] - ref[i]).norm() / ref[i].norm()) for k in ("f32", "bf16")]
        print(f"{n:<28} {row[0]:10.2e} {row[1]:10.4f}")
    whole = torch.cat(ref)
    for k in ("f32", "bf16"):
        err = float((torch.cat(results[k][1]) - whole).norm() / whole.norm())
        print(f"all parameters, {k}: |g - g64| / |g64| = {err:.4g}")


if __name__ == "__main__":
    main()
