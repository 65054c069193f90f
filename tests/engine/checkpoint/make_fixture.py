#!/usr/bin/python3
# torch side of the checkpoint tests, with Debian's python3 (torch 1.13; no safetensors package in
# Debian, so safetensors bytes are written and read here from the format's specification).
#   make_fixture.py write          regenerates torch_tiny.safetensors from a torch module's state_dict
#   make_fixture.py check EXE DIR  runs EXE's "writes a file torch loads" case into DIR, then loads the
#                                  file into the torch module with load_state_dict(strict=True)
import json
import os
import struct
import subprocess
import sys

try:
    import torch
    from torch import nn
except ImportError:
    print("SKIP: this python has no torch; use Debian's /usr/bin/python3 with python3-torch")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: ("F32", 4), torch.int64: ("I64", 8)}
ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
         "I64", "U64"]


class Tiny(nn.Module):
    """torchvision-style names: a padded stem conv, a BN, a wider conv, an fc."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 10, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(10)
        self.layer1 = nn.Sequential(nn.Module())
        self.layer1[0].conv1 = nn.Conv2d(10, 16, 3, bias=False)
        self.fc = nn.Linear(16, 5)


def expected_state_dict():
    """Values the C++ test recomputes: exact in float32."""
    m = Tiny()
    sd = m.state_dict()
    for k, name in enumerate(sorted(sd)):
        t = sd[name]
        if t.dtype == torch.int64:
            t.fill_(1234567890123)
            continue
        i = torch.arange(t.numel(), dtype=torch.int64)
        v = ((i * 7 + k * 13) % 64 - 32).to(torch.float32) / 16
        if name.endswith("running_var"):
            v = v.abs() + 0.5
        t.copy_(v.reshape(t.shape))
    return m, sd


def save_file(sd, path, metadata):
    items = sorted(sd.items(), key=lambda kv: (-ORDER.index(DTYPES[kv[1].dtype][0]), kv[0]))
    header, offset, data = {"__metadata__": metadata}, 0, b""
    for name, t in items:
        raw = t.contiguous().numpy().tobytes()  # little-endian on x86
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def load_file(path):
    import numpy as np
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    out, np_types = {}, {"F32": np.float32, "I64": np.int64}
    for name, info in header.items():
        b, e = info["data_offsets"]
        arr = np.frombuffer(blob[8 + n + b:8 + n + e], dtype=np_types[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def main():
    if sys.argv[1:2] == ["write"]:
        _, sd = expected_state_dict()
        save_file(sd, os.path.join(HERE, "torch_tiny.safetensors"), {"format": "pt"})
        return 0
    if sys.argv[1:2] == ["check"]:
        exe, outdir = sys.argv[2], sys.argv[3]
        path = os.path.join(outdir, "ours_tiny.safetensors")
        env = dict(os.environ, DNNTRAIN_CHECKPOINT_OUT=path)
        subprocess.run([exe, "-tc=*writes a file torch loads*"], check=True, env=env)
        sd, meta = load_file(path)
        model, want = expected_state_dict()
        model.load_state_dict(sd, strict=True)  # raises on missing/unexpected/mis-shaped keys
        for name, t in model.state_dict().items():
            if not torch.equal(t, want[name]):
                print(f"FAIL {name}: max abs err {(t.double() - want[name].double()).abs().max().item()}")
                return 1
        assert meta.get("format") == "pt", meta
        print(f"torch {torch.__version__} loaded {len(sd)} tensors from {path} with strict load_state_dict")
        return 0
    print(__doc__ or "usage: make_fixture.py write | check EXE DIR")
    return 2


if __name__ == "__main__":
    sys.exit(main())
