#!/usr/bin/python3
"""PyTorch's images/s on this machine for the models dnntrain trains: the reference that
perf/compare_torch.py sets `dnntrain bench` against. Random inputs and labels, a fixed seed; the
model is a torchvision ResNet (resnet18 ... resnet152) or a CIFAR ResNet (resnet20/32/44/56/110,
built here with the same projection shortcuts and state_dict keys as dnntrain's).

  /usr/bin/python3 perf/torch_baseline.py --model resnet18 --batch 32 --size 224
  /usr/bin/python3 perf/torch_baseline.py --model resnet20 --in-channels 1 --size 28 --batch 128 --json

Training steps are zero_grad, forward, cross-entropy, backward and an optimizer step (SGD with
momentum 0.9 and weight decay 5e-4, or Adam); --infer times forward passes in eval mode without
gradients. Two warm-up steps, then the mean over --iters steps. The output names the PyTorch version
it measured; --compile wraps the model in torch.compile (PyTorch 2.0 and later)."""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_DEPTHS = (20, 32, 44, 56, 110)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN pairs and a shortcut, a 1x1 conv-BN projection where the shape changes."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet of depth 6n+2: a 3x3 stem of 16 channels, three stages of n blocks
    (16, 32, 64 channels; the last two start with stride 2), global average pooling and fc."""

    def __init__(self, depth, classes, in_channels):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        for stage, (planes, stride) in enumerate([(16, 1), (32, 2), (64, 2)], start=1):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(in_planes, planes, stride if i == 0 else 1))
                in_planes = planes
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build_model(name, classes, in_channels):
    depth = int(name[len("resnet"):]) if name.startswith("resnet") and name[6:].isdigit() else 0
    if depth in CIFAR_DEPTHS:
        return CifarResNet(depth, classes, in_channels)
    import torchvision
    if not hasattr(torchvision.models, name):
        sys.exit(f"torch_baseline.py: unknown model '{name}'")
    model = getattr(torchvision.models, name)(num_classes=classes)
    if in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    return model


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="resnet18")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=224, help="image height and width")
    p.add_argument("--in-channels", type=int, default=3)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=5, help="timed steps after 2 warm-up steps")
    p.add_argument("--opt", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--infer", action="store_true", help="time inference instead of training")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast on the CPU")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch >= 2.0)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    return p.parse_args()


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build_model(a.model, a.classes, a.in_channels)
    x = torch.randn(a.batch, a.in_channels, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    compiled = False
    if a.compile:
        if hasattr(torch, "compile"):
            model = torch.compile(model)
            compiled = True
        else:
            print(f"torch_baseline.py: PyTorch {torch.__version__} has no torch.compile; "
                  "measuring eager mode", file=sys.stderr)
    if a.opt == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16)

    if a.infer:
        model.eval()

        def step():
            with torch.no_grad(), autocast():
                model(x)
    else:
        model.train()

        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(a.iters):
        step()
    seconds = (time.perf_counter() - start) / a.iters

    result = {"torch_version": torch.__version__, "model": a.model, "batch": a.batch, "size": a.size,
              "in_channels": a.in_channels, "classes": a.classes, "threads": torch.get_num_threads(),
              "channels_last": a.channels_last, "bf16": a.bf16, "infer": a.infer, "compiled": compiled,
              "ms_per_step": seconds * 1000, "images_per_sec": a.batch / seconds}
    if a.json:
        print(json.dumps(result))
    else:
        mode = "inference" if a.infer else "training"
        print(f"torch {torch.__version__}: {a.model} {mode}, batch {a.batch}, "
              f"{a.in_channels}x{a.size}x{a.size}, {result['threads']} threads, "
              f"channels-last {a.channels_last}, bf16 {a.bf16}, compiled {compiled}: "
              f"{result['images_per_sec']:.2f} images/s ({result['ms_per_step']:.1f} ms/step)")


if __name__ == "__main__":
    main()
