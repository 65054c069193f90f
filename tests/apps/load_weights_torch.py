#!/usr/bin/python3
"""Loads a weights file train wrote into the PyTorch model of the same shape with
load_state_dict(strict=True): the CIFAR ResNet of perf/torch_baseline.py, or torchvision's ResNet.
Exits 77 (CTest's skip) when Debian's python3 lacks torch.

usage: load_weights_torch.py FILE MODEL CLASSES IN_CHANNELS"""
import json, os, struct, sys

try:
    import torch
except ImportError:
    print("no torch in this python3; skipped")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {"F32": torch.float32, "I64": torch.int64}


def load_file(path):  # safetensors by hand: 8-byte header length, JSON header, raw little-endian data
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"])
    return out


def main():
    path, model_name, classes, channels = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if model_name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110"):
        sys.path.insert(0, os.path.join(ROOT, "perf"))
        from torch_baseline import CifarResNet
        model = CifarResNet(int(model_name[6:]), classes, channels)
    else:
        import torchvision
        model = getattr(torchvision.models, model_name)(num_classes=classes)
    sd = load_file(path)
    model.load_state_dict(sd, strict=True)  # raises on a missing, unexpected or mis-shaped key
    print(f"torch {torch.__version__} loaded {len(sd)} tensors of {path} into {model_name} (strict)")


if __name__ == "__main__":
    main()
