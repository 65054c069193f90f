#!/usr/bin/python3
# Parses every file a training run writes with Python's own parsers, for the names property test:
# the safetensors headers as JSON (UTF-8), each log.jsonl line as JSON, curves.svg as XML, and
# summary.csv as CSV whose rows are numbers under its header. Prints what failed and exits 1.
import csv
import json
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def header(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n].decode("utf-8"))


def main(run):
    run = Path(run)
    problems = []
    for name in ("checkpoint.safetensors", "best.safetensors"):
        try:
            header(run / name)
        except Exception as e:
            problems.append(f"{name}: {e!r}")
    try:
        for i, line in enumerate((run / "log.jsonl").read_bytes().decode("utf-8").splitlines()):
            json.loads(line)
    except Exception as e:
        problems.append(f"log.jsonl: {e!r}")
    try:
        ET.parse(run / "curves.svg")
    except Exception as e:
        problems.append(f"curves.svg: {e!r}")
    try:
        rows = list(csv.reader((run / "summary.csv").read_text(encoding="utf-8").splitlines()))
        assert rows[0][0] == "epoch" and len(rows) > 1, "no header or no rows"
        for row in rows[1:]:
            assert len(row) == len(rows[0]), f"row {row} has {len(row)} cells"
            [float(cell) for cell in row]
    except Exception as e:
        problems.append(f"summary.csv: {e!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
