#!/usr/bin/python3
# Regenerates the seed corpora in seeds/<target>/: for each reader a few valid files (laid out by hand
# from the format's specification, not by our writers) and one near-miss per reader check, each small.
# Run: python3 tests/fuzz/make_seeds.py
import gzip
import json
import os
import struct
import zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def blob(header, data=b"", pad=True, length=None):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def t(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


SAFETENSORS = {
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


# --- IDX (idx_fuzz.cpp): flags byte (1: gzip images, 2: gzip labels), u32 BE image-file length, files.


def idx(dims, payload=b"", magic_type=8):
    return bytes([0, 0, magic_type, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def mnist(images, labels, flags=0):
    return bytes([flags]) + struct.pack(">I", len(images)) + images + labels


PIXELS = bytes(range(2 * 3 * 4))
IDX = {
    "valid_raw": mnist(idx([2, 3, 4], PIXELS), idx([2], b"\x07\x00")),
    "valid_gzip_both": mnist(idx([2, 3, 4], PIXELS), idx([2], b"\x01\x09"), flags=3),
    "valid_gzip_file_raw_flag": mnist(gzip.compress(idx([1, 2, 2], b"abcd"), mtime=0), idx([1], b"\x05")),
    "bad_magic": mnist(idx([2, 3, 4], PIXELS, magic_type=9), idx([2], b"\x07\x00")),
    "bad_ndim": mnist(idx([24], PIXELS), idx([2], b"\x07\x00")),
    "bad_truncated": mnist(idx([2, 3, 4], PIXELS[:-1]), idx([2], b"\x07\x00")),
    "bad_trailing": mnist(idx([2, 3, 4], PIXELS + b"x"), idx([2], b"\x07\x00")),
    "bad_counts": mnist(idx([2, 3, 4], PIXELS), idx([3], b"\x07\x00\x01")),
    "bad_label": mnist(idx([2, 3, 4], PIXELS), idx([2], b"\x07\x0a")),
    "bad_overflow": mnist(idx([1 << 22, 1 << 21, 1 << 21]), idx([4], b"\x00" * 4)),
    "bad_wrap": mnist(idx([0xFFFFFFFF] * 3, b"\x01\x02\x03"), idx([3], b"\x00" * 3)),
    "bad_zero_rows": mnist(idx([2, 0, 4]), idx([2], b"\x07\x00")),
    "bad_promise_gzip": mnist(idx([1 << 20, 1000, 1000], b"\x01"), idx([1], b"\x00"), flags=1),
    "bad_short_header": mnist(b"\x00\x00\x08\x03\x00", idx([1], b"\x00")),
    "bad_gzip_cut": mnist(gzip.compress(idx([1, 2, 2], b"abcd"), mtime=0)[:-6], idx([1], b"\x05")),
}

# --- CIFAR (cifar_fuzz.cpp): flags byte (1: gzip, 2: CIFAR-100 test.bin, 4: torchvision's pickled
# archive), then the file.


def records(labels):
    return b"".join(bytes(lab) + bytes((i + k) & 255 for k in range(3072)) for i, lab in enumerate(labels))


def cifar_pickle(labels, label_key="labels"):
    """A pickled CIFAR batch as Python 2 wrote torchvision's archive (see tests/data/write_cifar_pickles.py)."""
    def s(raw):
        raw = raw if isinstance(raw, bytes) else raw.encode()
        return (b"U" + bytes([len(raw)]) if len(raw) < 256 else b"T" + struct.pack("<I", len(raw))) + raw
    data = b"".join(bytes((i + k) & 255 for k in range(3072)) for i in range(len(labels)))
    out = b"\x80\x02}q\x00(" + s("data")
    out += b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85" + s("b") + b"\x87R"
    out += b"(K\x01M" + struct.pack("<H", len(labels)) + b"M" + struct.pack("<H", 3072) + b"\x86"
    out += b"cnumpy\ndtype\n" + s("u1") + b"K\x00K\x01\x87R(K\x03" + s("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    out += b"\x89" + s(data) + b"tb"
    out += s(label_key) + b"](" + b"".join(b"K" + bytes([lab]) for lab in labels) + b"eu."
    return out


CIFAR = {
    "valid_pickle_cifar10": b"\x04" + cifar_pickle([3, 9]),
    "valid_pickle_cifar100_gzip": b"\x07" + cifar_pickle([99], "fine_labels"),
    "bad_pickle_label": b"\x04" + cifar_pickle([10]),
    "bad_pickle_cut": b"\x04" + cifar_pickle([1, 2])[:-40],
    "valid_cifar10": b"\x00" + records([[3], [9]]),
    "valid_cifar10_gzip": b"\x01" + records([[0]]),
    "valid_cifar100": b"\x02" + records([[19, 99], [0, 0]]),
    "valid_cifar100_gzip": b"\x03" + records([[1, 42]]),
    "bad_empty": b"\x00",
    "bad_partial_record": b"\x00" + records([[1]])[:-1],
    "bad_label": b"\x00" + records([[10]]),
    "bad_coarse_label": b"\x02" + records([[20, 5]]),
    "bad_fine_label": b"\x02" + records([[2, 100]]),
}

# --- PNG (image_fuzz.cpp): whole files, chunks written from the PNG specification.


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width, height, depth, color, rows, extra=b"", interlace=0, crc_ok=True):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", ihdr) + extra
    idat = chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in rows), 9))
    if not crc_ok:
        idat = idat[:-1] + bytes([idat[-1] ^ 1])
    return out + idat + chunk(b"IEND", b"")


PNG = {
    "valid_rgb": png(3, 2, 8, 2, [bytes(range(9)), bytes(range(9, 18))]),
    "valid_gray": png(2, 2, 8, 0, [b"\x10\xf0", b"\x80\x00"]),
    "valid_gray_1bit": png(8, 1, 1, 0, [b"\xa5"]),
    "valid_gray_alpha": png(1, 1, 8, 4, [b"\x7f\x10"]),
    "valid_rgba": png(2, 1, 8, 6, [b"\x01\x02\x03\x00\x04\x05\x06\xff"]),
    "valid_rgb16": png(1, 1, 16, 2, [b"\x12\x34\x56\x78\x9a\xbc"]),
    "valid_palette": png(2, 1, 8, 3, [b"\x00\x01"], extra=chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00")),
    "valid_trns": png(1, 1, 8, 2, [b"\x01\x02\x03"], extra=chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03")),
    "valid_interlaced": png(1, 1, 8, 2, [b"\x09\x08\x07"], interlace=1),
    "bad_crc": png(1, 1, 8, 2, [b"\x01\x02\x03"], crc_ok=False),
    "bad_truncated": png(4, 4, 8, 2, [bytes(12)] * 4)[:-20],
    "bad_huge": png(30000, 30000, 8, 2, [bytes(3)]),
    "bad_limit_edge": png(2049, 2048, 8, 0, [bytes(2049)]),
    "bad_zero_width": png(0, 1, 8, 2, [b""]),
    "bad_depth": png(1, 1, 7, 2, [b"\x00\x00\x00"]),
    "bad_palette_missing": png(1, 1, 8, 3, [b"\x00"]),
}

# --- JPEG (image_fuzz.cpp): baseline files from a DC-only encoder (flat 8x8 blocks, so every AC
# coefficient is zero), with JFIF's colour transform, restart markers and Adobe CMYK.

DC_SYMBOLS = list(range(12))  # categories 0..11, all with 4-bit codes 0000..1011


def marker(code, body):
    return bytes([0xFF, code]) + struct.pack(">H", len(body) + 2) + body


class Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, n):
        for i in range(n - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc, self.n = 0, 0

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with ones


def dc_block(bits, diff):
    cat = abs(diff).bit_length()
    bits.put(cat, 4)
    if cat:
        bits.put(diff if diff > 0 else diff + (1 << cat) - 1, cat)
    bits.put(0, 1)  # AC table's one code: end of block


def jpeg(width, height, levels, adobe=None, restart=0, truncate=0):
    """levels[b][c]: the flat sample of 8x8 block b (row-major) in component c."""
    ncomp = len(levels[0])
    out = b"\xff\xd8" + marker(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if adobe is not None:
        out += marker(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00" + bytes([adobe]))
    out += marker(0xDB, b"\x00" + b"\x01" * 64)
    comps = b"".join(bytes([c + 1, 0x11, 0]) for c in range(ncomp))
    out += marker(0xC0, struct.pack(">BHHB", 8, height, width, ncomp) + comps)
    dc_counts = bytes([0, 0, 0, 12] + [0] * 12)
    out += marker(0xC4, b"\x00" + dc_counts + bytes(DC_SYMBOLS))
    out += marker(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
    if restart:
        out += marker(0xDD, struct.pack(">H", restart))
    out += marker(0xDA, bytes([ncomp]) + b"".join(bytes([c + 1, 0x00]) for c in range(ncomp)) + b"\x00\x3f\x00")
    bits, pred, data = Bits(), [0] * ncomp, b""
    for b, block in enumerate(levels):
        if restart and b and b % restart == 0:
            bits.flush()
            data += bytes(bits.out) + bytes([0xFF, 0xD0 + (b // restart - 1) % 8])
            bits, pred = Bits(), [0] * ncomp
        for c, level in enumerate(block):
            dc = 8 * (level - 128)
            dc_block(bits, dc - pred[c])
            pred[c] = dc
    bits.flush()
    data += bytes(bits.out)
    if truncate:
        return out + data[: len(data) // 2]
    return out + data + b"\xff\xd9"


def ycc(r, g, b):
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return [round(y), round(128 + (b - y) / 1.772), round(128 + (r - y) / 1.402)]


JPEG = {
    "valid_gray": jpeg(8, 8, [[77]]),
    "valid_gray_2x2_blocks": jpeg(16, 16, [[0], [255], [128], [30]]),
    "valid_ycc": jpeg(8, 8, [ycc(200, 100, 50)]),
    "valid_ycc_odd_size": jpeg(13, 9, [ycc(10, 20, 30), ycc(40, 50, 60), ycc(1, 2, 3), ycc(250, 0, 0)]),
    "valid_restart": jpeg(32, 8, [[10], [60], [110], [160]], restart=1),
    "valid_adobe_cmyk": jpeg(8, 8, [[255, 128, 0, 200]], adobe=0),
    "valid_adobe_ycck": jpeg(8, 8, [[100, 128, 128, 50]], adobe=2),
    "bad_truncated": jpeg(16, 16, [[0], [255], [128], [30]], truncate=1),
    "bad_huge": jpeg(65500, 65500, [[77]]),
    "bad_zero_height": jpeg(8, 0, [[77]]),
    "bad_garbage": b"\xff\xd8\xff\xe0\x00\x02\x13\x37\x00\x00",
}

# --- --config INI (config_fuzz.cpp): option names and value types of `dnntrain train`.

CONFIG = {
    "valid": b"# a comment\nmodel=resnet20\nepochs=3\nsteps=100\nseed=7\nlr=0.05\nnesterov=true\nwd=5e-4\n",
    "valid_section": b"[ignored]\n",
    "valid_spaces": b"  epochs = 2  \n\n\nlr=1e-3 # trailing comment\n",
    "bad_unknown": b"colour=blue\n",
    "bad_int": b"epochs=three\n",
    "bad_range": b"epochs=99999999999999999999\n",
    "bad_negative_unsigned": b"seed=-1\n",
    "bad_double": b"lr=0x1p\n",
    "bad_twice": b"lr=1\nlr=2\n",
    "bad_syntax": b"epochs\n",
    "bad_bool": b"nesterov=maybe\n",
    "bad_binary": b"lr=\x00\xff\xfe\n[\n=\n",
}

# --- a run's stored config and summary.csv (run_config_fuzz.cpp), and predict's image path
# (predict_image_fuzz.cpp: a first byte choosing kind, channels and size, then an image file).

SUMMARY_HEADER = b"epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,images_per_sec,seconds,data_wait_seconds\n"
RUN_CONFIG = {
    "valid": b"# dnntrain train: effective configuration (usable with --config)\nmodel=auto\nopt=sgd\nlr=0.1\n"
             b"output-dir=runs/a\n# resolved from the data: model=resnet20 image-size=28 in-channels=1 classes=10 threads=2\n",
    "valid_csv": b"csv:" + SUMMARY_HEADER + b"1,0.1,2,0.3,1.9,0.35,0.8,100,1,0.01\n",
    "bad_names": b"output-dir=\x01\xff\xfe<&>\nmodel=\xc3(\n# resolved from the data: model=\x7f image-size=abc\n",
    "bad_csv_nan": b"csv:" + SUMMARY_HEADER + b"1,nan,2,0.3,1.9,0.35,0.8,100,1,0.01\n",
    "bad_csv_columns": b"csv:epoch,lr\n1,2\n",
}
PREDICT_IMAGE = {f"{choice:02x}_{name}": bytes([choice]) + data
                 for choice in (0, 1, 2, 7, 0x1f) for name, data in list(PNG.items())[:3] + list(JPEG.items())[:3]}

TARGETS = {"safetensors": SAFETENSORS, "idx": IDX, "cifar": CIFAR, "png": PNG, "jpeg": JPEG, "config": CONFIG,
           "run_config": RUN_CONFIG, "predict_image": PREDICT_IMAGE}


def main():
    for target, seeds in TARGETS.items():
        folder = os.path.join(HERE, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
