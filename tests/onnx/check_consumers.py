#!/usr/bin/env python3
"""Runs an ONNX model exported by `dnntrain export` in a real consumer and compares its logits with
dnntrain's own (the same images through dnntrain::Predictor): relative L2 error over the batch and
top-1 (first maximum, as dnntrain takes it). Exit 0 when within --tolerance with top-1 identical.

  check_consumers.py CONSUMER MODEL.onnx INPUT.f32 LOGITS.f32 N,C,H,W CLASSES
  CONSUMER: onnxruntime, openvino (from PyPI, the test venv) or opencv (Debian's python3-opencv,
  run with /usr/bin/python3: it is built against Debian's numpy).
INPUT.f32 and LOGITS.f32 are raw little-endian float32, row-major.
"""
import argparse
import sys

import numpy as np


def run_onnxruntime(model, x, chunk):
    import onnxruntime as ort
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return f"onnxruntime {ort.__version__}", np.concatenate(
        [session.run(None, {name: x[i:i + chunk]})[0] for i in range(0, len(x), chunk)])


def run_openvino(model, x, chunk):
    import openvino as ov
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return f"openvino {ov.get_version()}", np.concatenate(
        [np.asarray(compiled(x[i:i + chunk])[0]) for i in range(0, len(x), chunk)])


def run_opencv(model, x, chunk):
    import cv2
    net = cv2.dnn.readNetFromONNX(model)
    out = []
    for i in range(0, len(x), chunk):
        net.setInput(x[i:i + chunk])
        out.append(net.forward().copy())
    return f"opencv {cv2.__version__}", np.concatenate(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("consumer", choices=["onnxruntime", "openvino", "opencv"])
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("logits")
    p.add_argument("shape")
    p.add_argument("classes", type=int)
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("--chunk", type=int, default=500)
    a = p.parse_args()
    shape = [int(v) for v in a.shape.split(",")]
    x = np.fromfile(a.input, dtype="<f4").reshape(shape)
    ours = np.fromfile(a.logits, dtype="<f4").reshape(shape[0], a.classes).astype(np.float64)
    run = {"onnxruntime": run_onnxruntime, "openvino": run_openvino, "opencv": run_opencv}[a.consumer]
    version, theirs = run(a.model, x, a.chunk)
    theirs = np.asarray(theirs, dtype=np.float64).reshape(ours.shape)
    relative = np.linalg.norm(theirs - ours) / np.linalg.norm(ours)
    worst_row = np.max(np.linalg.norm(theirs - ours, axis=1) / np.linalg.norm(ours, axis=1))
    same_top1 = int(np.sum(np.argmax(theirs, axis=1) == np.argmax(ours, axis=1)))
    ok = bool(relative <= a.tolerance and same_top1 == shape[0] and np.all(np.isfinite(theirs)))
    print(f"{version} {a.model}: relative L2 error {relative:.3e} (worst row {worst_row:.3e}), "
          f"top-1 identical for {same_top1}/{shape[0]}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
