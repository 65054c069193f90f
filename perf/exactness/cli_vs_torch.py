#!/usr/bin/python3
"""The exactness measurement through the command line: a CIFAR-10 binary folder of random images, a
CIFAR ResNet-20 state (optionally with BN weights moved off 1), N steps of `dnntrain train --init`
and the same N steps in PyTorch float32 and float64 (model.double()). Prints the relative L2 error
of the whole update (final - initial, every float tensor of the state dict) against float64, for
dnntrain and for PyTorch float32, and the worst tensors.

usage: /usr/bin/python3 perf/exactness/cli_vs_torch.py --steps 3 --momentum 0.9 --wd 5e-4 [--algo direct]
       [--model resnet18] [--perturb bn|all|uniform]"""
import json, os, struct, subprocess, sys, argparse
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=1)
ap.add_argument("--model", default="resnet20", help="resnet20 (CIFAR) or resnet18 (torchvision's, ImageNet stem)")
ap.add_argument("--perturb", default="none",
                help="none, bn (BN weights 1 + 0.1 N(0,1)), all (and biases 0.1 N(0,1)) or uniform (BN weights in [0.5, 1.5])")
ap.add_argument("--momentum", type=float, default=0.0)
ap.add_argument("--wd", type=float, default=0.0)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--algo", default="auto")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--dnntrain", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/apps/dnntrain"))
ap.add_argument("--extra", default="")
ap.add_argument("--top", type=int, default=6)
a = ap.parse_args()
W = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../build/exactness")
os.makedirs(W + "/cifar-10-batches-bin", exist_ok=True)
rng = np.random.default_rng(0)
B = 16
for name, n in [("data_batch_%d.bin" % k, 16) for k in range(1, 6)] + [("test_batch.bin", 16)]:
    lab = rng.integers(0, 10, n, dtype=np.uint8)
    img = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    rec = np.concatenate([lab[:, None], img], 1)
    rec.tofile(f"{W}/cifar-10-batches-bin/{name}")

class Block(nn.Module):
    def __init__(s, i, o, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False); s.bn1 = nn.BatchNorm2d(o)
        s.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(o)
        s.downsample = (nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
                        if stride != 1 or i != o else None)
    def forward(s, x):
        y = s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x)))))
        return F.relu(y + (s.downsample(x) if s.downsample is not None else x))

class ResNet20(nn.Module):
    def __init__(s, classes, in_channels):
        super().__init__()
        s.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(16)
        widths, i = [16, 32, 64], 16
        for k, w in enumerate(widths):
            blocks = []
            for b in range(3):
                blocks.append(Block(i, w, 2 if (k > 0 and b == 0) else 1)); i = w
            setattr(s, f"layer{k + 1}", nn.Sequential(*blocks))
        s.fc = nn.Linear(64, classes)
    def forward(s, x):
        x = F.relu(s.bn1(s.conv1(x)))
        x = s.layer3(s.layer2(s.layer1(x)))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

def make_model():
    if a.model == "resnet20": return ResNet20(10, 3)
    import torchvision
    return torchvision.models.resnet18(num_classes=10)

torch.manual_seed(1)
m = make_model()
for mod in m.modules():
    if isinstance(mod, nn.Conv2d):
        nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
g = torch.Generator().manual_seed(7)
for k, v in m.state_dict().items():
    if a.perturb != "none" and ("bn" in k or "downsample.1" in k):
        if k.endswith("weight") and a.perturb == "uniform": v.copy_(0.5 + torch.rand(v.shape, generator=g))
        elif k.endswith("weight"): v.copy_(1 + 0.1 * torch.randn(v.shape, generator=g))
        if a.perturb == "all" and k.endswith("bias"): v.copy_(0.1 * torch.randn(v.shape, generator=g))
init = {k: v.detach().clone() for k, v in m.state_dict().items()}

def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    for n in sorted(tensors):
        t = tensors[n].contiguous()
        d = t.numpy().tobytes()
        header[n] = {"dtype": {torch.float32: "F32", torch.int64: "I64"}[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(d)]}
        blobs.append(d); off += len(d)
    txt = json.dumps(header, separators=(",", ":")).encode(); txt += b" " * ((8 - len(txt) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(txt))); f.write(txt); [f.write(b) for b in blobs]

def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        dt = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        s, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[s:e], dtype=dt).reshape(v["shape"]).copy())
    return out

write_st(W + "/init.safetensors", init)
mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1); std = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
recs = np.concatenate([np.fromfile(f"{W}/cifar-10-batches-bin/data_batch_{k}.bin", dtype=np.uint8).reshape(-1, 3073) for k in range(1, 6)])
X = ((torch.from_numpy(recs[:, 1:].astype(np.float32)).view(-1, 3, 32, 32) / 255.0) - mean) / std
Y = torch.from_numpy(recs[:, 0].astype(np.int64))

def run_torch(dtype):
    mm = make_model(); mm.load_state_dict(init); mm = mm.to(dtype); mm.train()
    opt = torch.optim.SGD(mm.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.wd)
    losses = []
    for s in range(a.steps):
        x = X[s * B:(s + 1) * B].to(dtype); y = Y[s * B:(s + 1) * B]
        opt.zero_grad(); loss = F.cross_entropy(mm(x), y); loss.backward(); opt.step(); losses.append(loss.item())
    return {k: v.detach().double() for k, v in mm.state_dict().items()}, losses

t64, l64 = run_torch(torch.float64)
t32, l32 = run_torch(torch.float32)
out = W + "/out"
subprocess.run(["rm", "-rf", out])
cmd = [a.dnntrain, "train", "--model", a.model, "--init", W + "/init.safetensors", "--dataset", "cifar10", "--data-path", W,
       "--augment", "none", "--no-shuffle", "--lr-scheduler", "constant", "--opt", "sgd", "--lr", str(a.lr), "--momentum", str(a.momentum),
       "--wd", str(a.wd), "-b", str(B), "--threads", str(a.threads), "--steps", str(a.steps), "--output-dir", out, "--conv-algorithm", a.algo] + a.extra.split()
r = subprocess.run(cmd, capture_output=True, text=True)
if r.returncode != 0: print(r.stdout, r.stderr); sys.exit(1)
ours = {k: v.double() for k, v in read_st(out + "/checkpoint.safetensors").items() if k in init}
keys = [k for k in init if init[k].dtype == torch.float32]
def rel(d):
    num = sum(((d[k] - init[k].double()) - (t64[k] - init[k].double())).pow(2).sum() for k in keys)
    den = sum((t64[k] - init[k].double()).pow(2).sum() for k in keys)
    return (num / den).sqrt().item()
print(f"{a.model} steps {a.steps} perturb {a.perturb} algo {a.algo} threads {a.threads}: ours {rel(ours):.3g}  torch32 {rel(t32):.3g}   loss64 {l64}")
per = []
for k in keys:
    u = t64[k] - init[k].double(); n = u.norm().item()
    if n == 0: continue
    per.append(((ours[k] - init[k].double() - u).norm().item() / n, ((t32[k] - init[k].double() - u).norm().item() / n), k))
per.sort(reverse=True)
for e, e32, k in per[:a.top]: print(f"   {k:32s} ours {e:.3g} torch32 {e32:.3g}")
