#!/usr/bin/python3
"""Writes the float64 parity fixtures: for each case, a model's initial state (torchvision keys,
loadable with --init), its batches, and PyTorch's training run of those batches in float64
(model.double()), the exact reference, and in float32. The engine's test (test_parity_float64.cpp)
repeats the run and compares its update (final - initial state, every float tensor of the state
dict) with the float64 one; PyTorch float32's own error on the same case sets the bar.

Run with Debian's python3-torch:  /usr/bin/python3 make_parity_fixtures.py OUTPUT_DIR
Files are written in the safetensors layout by hand (json header + little-endian bytes)."""
import hashlib, json, os, struct, sys
import torch, torch.nn as nn, torch.nn.functional as F
from torchvision.models.resnet import ResNet, BasicBlock, Bottleneck

torch.set_num_threads(2)


class CifarBlock(nn.Module):
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
    """He et al.'s CIFAR ResNet-20 with projection shortcuts, as the engine builds it."""
    def __init__(s, classes):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(16)
        i = 16
        for k, w in enumerate([16, 32, 64]):
            blocks = []
            for b in range(3):
                blocks.append(CifarBlock(i, w, 2 if (k > 0 and b == 0) else 1)); i = w
            setattr(s, f"layer{k + 1}", nn.Sequential(*blocks))
        s.fc = nn.Linear(64, classes)
        for m in s.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(s, x):
        x = F.relu(s.bn1(s.conv1(x)))
        x = s.layer3(s.layer2(s.layer1(x)))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(model):
    if model == "resnet20":
        return ResNet20(10)
    if model == "resnet18":
        return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    if model == "bottleneck2222":
        return ResNet(Bottleneck, [2, 2, 2, 2], num_classes=10)
    raise ValueError(model)


def perturb(m, how, g):
    """Moves BN parameters and statistics off their init, as a model some steps into training."""
    for mod in m.modules():
        if not isinstance(mod, nn.BatchNorm2d):
            continue
        c = mod.num_features
        if how == "bn_normal":    # weights 1 + 0.1 N(0, 1)
            mod.weight.data = 1 + 0.1 * torch.randn(c, generator=g)
        elif how == "bn_uniform":  # weights in [0.5, 1.5]
            mod.weight.data = 0.5 + torch.rand(c, generator=g)
        elif how == "state":      # weights, biases and running statistics all moved
            mod.weight.data = 0.5 + torch.rand(c, generator=g)
            mod.bias.data = 0.2 * torch.randn(c, generator=g)
            mod.running_mean.data = 0.3 * torch.randn(c, generator=g)
            mod.running_var.data = 0.5 + torch.rand(c, generator=g)
            mod.num_batches_tracked.fill_(7)


SGD = dict(opt="sgd", lr=0.01, momentum=0.9, wd=5e-4)
# name: model, perturbation, optimizer settings, steps, batch, image size. Learning rates and sizes
# keep PyTorch float32 itself well below 1e-2 from float64: past that a case measures chaos.
CASES = {
    # The cases of the exactness measurements (ResNet-18 with the ImageNet stem).
    "resnet20_init_sgd3": ("resnet20", "none", SGD, 3, 16, 32),
    "resnet18_init_sgd3": ("resnet18", "none", dict(SGD, lr=1e-3), 3, 16, 32),
    "resnet18_bnuniform_sgd1": ("resnet18", "bn_uniform", SGD, 1, 16, 32),
    "resnet20_bnnormal_sgd1": ("resnet20", "bn_normal", SGD, 1, 16, 32),
    # Every optimizer, both block kinds, from a moved state, over several steps.
    "resnet20_state_nesterov4": ("resnet20", "state", dict(SGD, lr=0.02, wd=1e-4, nesterov=True), 4, 16, 32),
    "resnet18_state_adam3": ("resnet18", "state", dict(opt="adam", lr=1e-4, wd=1e-4), 3, 8, 64),
    "bottleneck_state_adamw3": ("bottleneck2222", "state", dict(opt="adamw", lr=1e-4, wd=0.05), 3, 8, 64),
    "bottleneck_bnuniform_sgd1": ("bottleneck2222", "bn_uniform", SGD, 1, 16, 32),
}


def optimizer(params, o):
    if o["opt"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), weight_decay=o["wd"],
                               nesterov=o.get("nesterov", False))
    if o["opt"] == "adam":
        return torch.optim.Adam(params, lr=o["lr"], weight_decay=o["wd"])
    return torch.optim.AdamW(params, lr=o["lr"], weight_decay=o["wd"])


def train(init, model, o, xs, ys, dtype, channels_last=False):
    m = build(model)
    m.load_state_dict(init)
    m = m.to(dtype)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
        xs = [x.to(memory_format=torch.channels_last) for x in xs]
    m.train()
    opt = optimizer(m.parameters(), o)
    for x, y in zip(xs, ys):
        opt.zero_grad()
        F.cross_entropy(m(x.to(dtype)), y).backward()
        opt.step()
    return m


def update_error(init, final, final64):
    num = den = 0.0
    for k, v in init.items():
        if v.dtype != torch.float32:
            continue
        u64 = final64[k].double() - v.double()
        num += (final[k].double() - v.double() - u64).pow(2).sum().item()
        den += u64.pow(2).sum().item()
    return (num / den) ** 0.5


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        data = t.numpy().tobytes()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def make(name, out_dir):
    model, how, o, steps, batch, size = CASES[name]
    torch.manual_seed(sum(map(ord, name)))
    g = torch.Generator().manual_seed(1)
    m = build(model)
    perturb(m, how, g)
    init = {k: v.detach().clone() for k, v in m.state_dict().items()}
    xs = [torch.randn(batch, 3, size, size, generator=g) for _ in range(steps)]
    ys = [torch.randint(0, 10, (batch,), generator=g) for _ in range(steps)]
    eval_x = torch.randn(batch, 3, size, size, generator=g)
    # float32 in three ways that round differently (NCHW on 2 threads and on 1, channels-last): a
    # ReLU input within rounding of zero flips in some of them, so their largest error is PyTorch
    # float32's error on the case.
    runs = []
    for dtype, threads, channels_last in ((torch.float64, 2, False), (torch.float32, 2, False),
                                          (torch.float32, 1, False), (torch.float32, 2, True)):
        torch.set_num_threads(threads)
        trained = train(init, model, o, xs, ys, dtype, channels_last)
        trained.eval()
        with torch.no_grad():
            logits = trained(eval_x.to(dtype)).double()
        runs.append(({k: v.detach() for k, v in trained.state_dict().items()}, logits))
    torch.set_num_threads(2)
    final64, logits64 = runs[0]
    torch32_update = max(update_error(init, final, final64) for final, _ in runs[1:])
    torch32_eval = max(((logits - logits64).norm() / logits64.norm()).item() for _, logits in runs[1:])
    write_safetensors(os.path.join(out_dir, name + ".init.safetensors"), init, {"source": "make_parity_fixtures.py"})
    run = {"eval_x": eval_x, "eval_logits64": logits64.float()}
    for s in range(steps):
        run[f"x.{s}"] = xs[s]
        run[f"y.{s}"] = ys[s].to(torch.int64)
    for k, v in init.items():
        if v.dtype == torch.float32:  # the update, stored as f32 of the f64 difference: no cancellation
            run["update64." + k] = (final64[k].double() - v.double()).float()
    meta = {"model": model, "steps": str(steps), "batch": str(batch), "image_size": str(size), "torch": torch.__version__,
            "torch32_update_error": repr(torch32_update), "torch32_eval_error": repr(torch32_eval),
            **{k: str(v) for k, v in o.items()}}
    write_safetensors(os.path.join(out_dir, name + ".run.safetensors"), run, meta)
    print(f"{name}: torch float32 update error {torch32_update:.3g}, eval logits {torch32_eval:.3g}")


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # The fixtures depend only on this script and torch: a stamp of both skips rewriting them.
    with open(os.path.abspath(__file__), "rb") as f:
        stamp = hashlib.sha256(f.read() + torch.__version__.encode()).hexdigest()
    stamp_file = os.path.join(out, "stamp")
    if len(sys.argv) == 2 and os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        print(f"fixtures in {out} are up to date")
        sys.exit(0)
    for name in (sys.argv[2:] or CASES):
        make(name, out)
    if len(sys.argv) == 2:
        with open(stamp_file, "w") as f:
            f.write(stamp)
