#!/usr/bin/python3
# Regenerates the seed corpus in seeds/: a few valid safetensors files (as the reference writer lays
# them out) and one near-miss per reader check, each small. Run: python3 tests/fuzz/make_seeds.py
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def blob(header, data=b"", pad=True, length=None):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def t(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


SEEDS = {
    "valid_empty": blob({}),
    "valid_model": blob({"__metadata__": {"format": "pt", "dnntrain.crc32c": "00000000"},
                         "bn.num_batches_tracked": t("I64", [], 0, 8), "bn.bias": t("F32", [2], 8, 16),
                         "conv.weight": t("F32", [2, 1, 2, 2], 16, 48)}, bytes(range(48))),
    "valid_all_dtypes": blob({"a": t("U64", [1], 0, 8), "b": t("F64", [1], 8, 16), "c": t("BF16", [2], 16, 20),
                              "d": t("F16", [2], 20, 24), "e": t("BOOL", [4], 24, 28), "f": t("I8", [0], 28, 28)},
                             bytes(28)),
    "valid_escapes": blob('{"\\u00e9\\n":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":null}'.encode(),
                          b"x"),
    "bad_short": b"\x08\x00\x00",
    "bad_header_too_large": blob({}, length=100_000_001),
    "bad_header_past_end": blob({}, length=4096),
    "bad_utf8": blob(b'{"\xc0\xaf":1}'),
    "bad_start": blob(b' {}'),
    "bad_json": blob(b'{"a":{"dtype":"F32",'),
    "bad_duplicate": blob(b'{"a":' + json.dumps(t("U8", [1], 0, 1)).encode() + b',"a":' +
                          json.dumps(t("U8", [1], 1, 2)).encode() + b"}", b"xy"),
    "bad_missing_field": blob({"a": {"dtype": "F32", "shape": [1]}}, bytes(4)),
    "bad_dtype": blob({"a": t("F7", [1], 0, 4)}, bytes(4)),
    "bad_gap": blob({"a": t("F32", [1], 4, 8)}, bytes(8)),
    "bad_overlap": blob({"a": t("F32", [2], 0, 8), "b": t("F32", [1], 4, 8)}, bytes(8)),
    "bad_size": blob({"a": t("F32", [3], 0, 8)}, bytes(8)),
    "bad_overflow": blob({"a": t("F64", [4294967296, 4294967296], 0, 0)}),
    "bad_trailing": blob({"a": t("F32", [1], 0, 4)}, bytes(6)),
    "bad_metadata": blob({"__metadata__": {"epoch": 3}}),
    "bad_deep": blob(b"{" + b'"a":[' * 30 + b"]" * 30 + b"}"),
}


def main():
    os.makedirs(HERE, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
