#!/usr/bin/python3
# Regenerates lr_schedule_torch.txt: the learning rates torch.optim.lr_scheduler gives per epoch for
# each schedule, composed with warmup exactly as torchvision's references/classification/train.py.
# Run with Debian's python3 (torch 1.13): /usr/bin/python3 tests/engine/optim/make_fixture.py
import os
import warnings

import torch

CASES = [
    # name, main kind, main kwargs, warmup epochs, warmup method, warmup decay, epochs
    ("constant", "constant", {}, 0, "linear", 0.01, 10),
    ("steplr", "steplr", {"step_size": 3, "gamma": 0.1}, 0, "linear", 0.01, 12),
    ("steplr_warm", "steplr", {"step_size": 3, "gamma": 0.5}, 2, "linear", 0.01, 12),
    ("multisteplr", "multisteplr", {"milestones": [2, 5, 7], "gamma": 0.2}, 0, "linear", 0.01, 10),
    ("multisteplr_warm", "multisteplr", {"milestones": [2, 5], "gamma": 0.1}, 3, "constant", 0.1, 10),
    ("cosine", "cosineannealinglr", {"eta_min": 0.001}, 0, "linear", 0.01, 20),
    ("cosine_warm", "cosineannealinglr", {"eta_min": 0.0}, 5, "linear", 0.01, 30),
    ("exponentiallr", "exponentiallr", {"gamma": 0.9}, 0, "linear", 0.01, 10),
    ("exponentiallr_warm", "exponentiallr", {"gamma": 0.8}, 4, "linear", 0.25, 12),
]
BASE_LR = 0.4

def main():
    warnings.filterwarnings("ignore")  # SequentialLR calls step(0) internally: a deprecation note
    lines = []
    for name, kind, kw, warm, method, decay, epochs in CASES:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=BASE_LR, momentum=0.9)
        S = torch.optim.lr_scheduler
        if kind == "constant":
            main_s = S.LambdaLR(opt, lambda e: 1.0)
        elif kind == "steplr":
            main_s = S.StepLR(opt, step_size=kw["step_size"], gamma=kw["gamma"])
        elif kind == "multisteplr":
            main_s = S.MultiStepLR(opt, milestones=kw["milestones"], gamma=kw["gamma"])
        elif kind == "cosineannealinglr":
            main_s = S.CosineAnnealingLR(opt, T_max=epochs - warm, eta_min=kw["eta_min"])
        else:
            main_s = S.ExponentialLR(opt, gamma=kw["gamma"])
        if warm > 0:
            if method == "linear":
                w = S.LinearLR(opt, start_factor=decay, total_iters=warm)
            else:
                w = S.ConstantLR(opt, factor=decay, total_iters=warm)
            sched = S.SequentialLR(opt, schedulers=[w, main_s], milestones=[warm])
        else:
            sched = main_s
        for e in range(epochs):
            lines.append(f"{name} {e} {opt.param_groups[0]['lr']!r}")
            opt.step()
            sched.step()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_schedule_torch.txt")
    with open(out, "w") as f:
        f.write(f"# torch {torch.__version__}; base_lr {BASE_LR}; name epoch lr (see make_fixture.py)\n")
        f.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    main()
