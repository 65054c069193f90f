#!/usr/bin/python3
"""Writes CIFAR archives in torchvision's pickled layout for tests/data/torchvision_layouts_test.cpp:
ROOT/cifar-10-batches-py/{data_batch_1..5,test_batch} and ROOT/cifar-100-python/{train,test}.
Python 3's pickle (protocol 2, bytes keys, a NumPy array) writes all but test_batch, which is
assembled opcode by opcode as Python 2 wrote the official files (str keys as BINSTRING, the array's
bytes as one BINSTRING), so both encodings are read. Image i of a file holds (i * 7 + j + file) % 256
at byte j; label i is (i + file) % classes.

usage: write_cifar_pickles.py ROOT RECORDS"""
import os, pickle, struct, sys

import numpy as np


def arrays(records, file, classes):
    data = ((np.arange(records)[:, None] * 7 + np.arange(3072)[None, :] + file) % 256).astype(np.uint8)
    labels = [(i + file) % classes for i in range(records)]
    return data, labels


def python3_pickle(path, records, file, classes, label_key):
    data, labels = arrays(records, file, classes)
    d = {b"batch_label": b"batch %d" % file, label_key: labels, b"data": data}
    if label_key == b"fine_labels":
        d[b"coarse_labels"] = [l % 20 for l in labels]
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=2)


def python2_pickle(path, records, file, classes):
    data, labels = arrays(records, file, classes)
    def s(text):  # SHORT_BINSTRING or BINSTRING, as Python 2 wrote str
        raw = text if isinstance(text, bytes) else text.encode()
        return (b"U" + bytes([len(raw)]) if len(raw) < 256 else b"T" + struct.pack("<I", len(raw))) + raw
    out = b"\x80\x02}q\x00(" + s("data")
    out += b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85" + s("b") + b"\x87R"
    out += b"(K\x01" + b"M" + struct.pack("<H", records) + b"M" + struct.pack("<H", 3072) + b"\x86"
    out += b"cnumpy\ndtype\n" + s("u1") + b"K\x00K\x01\x87R(K\x03" + s("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    out += b"\x89" + s(data.tobytes()) + b"tb"
    out += s("labels") + b"](" + b"".join(b"K" + bytes([l]) for l in labels) + b"e"
    out += s("batch_label") + s("testing batch 1 of 1") + b"u."
    with open(path, "wb") as f:
        f.write(out)
    # The stream is what Python 3 reads from the official files.
    with open(path, "rb") as f:
        back = pickle.load(f, encoding="bytes")
    assert (back[b"data"] == data).all() and back[b"labels"] == labels


def main():
    root, records = sys.argv[1], int(sys.argv[2])
    c10 = os.path.join(root, "cifar-10-batches-py")
    c100 = os.path.join(root, "cifar-100-python")
    os.makedirs(c10, exist_ok=True)
    os.makedirs(c100, exist_ok=True)
    for k in range(1, 6):
        python3_pickle(os.path.join(c10, "data_batch_%d" % k), records, k, 10, b"labels")
    python2_pickle(os.path.join(c10, "test_batch"), records, 0, 10)
    python3_pickle(os.path.join(c100, "train"), records, 1, 100, b"fine_labels")
    python3_pickle(os.path.join(c100, "test"), records, 0, 100, b"fine_labels")


if __name__ == "__main__":
    main()
