#!/usr/bin/python3
# Regenerates lr_schedule_torch.txt: the learning rates torch.optim.lr_scheduler gives per epoch for
# each schedule, composed with warmup exactly as torchvision's references/classification/train.py,
# and lr_schedule_torch_updates.txt: the same schedules stepped once per batch (timm's
# --sched-on-updates), every length in epochs turned into STEPS_PER_EPOCH times as many updates.
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
STEPS_PER_EPOCH = 7

def make_scheduler(opt, kind, kw, warm, method, decay, epochs, spe):
    """spe = 1: stepped per epoch; spe > 1: stepped per update, lengths scaled to updates."""
    S = torch.optim.lr_scheduler
    if kind == "constant":
        main_s = S.LambdaLR(opt, lambda e: 1.0)
    elif kind == "steplr":
        main_s = S.StepLR(opt, step_size=kw["step_size"] * spe, gamma=kw["gamma"])
    elif kind == "multisteplr":
        main_s = S.MultiStepLR(opt, milestones=[m * spe for m in kw["milestones"]], gamma=kw["gamma"])
    elif kind == "cosineannealinglr":
        main_s = S.CosineAnnealingLR(opt, T_max=(epochs - warm) * spe, eta_min=kw["eta_min"])
    else:
        main_s = S.ExponentialLR(opt, gamma=kw["gamma"] ** (1.0 / spe))
    if warm == 0:
        return main_s
    if method == "linear":
        w = S.LinearLR(opt, start_factor=decay, total_iters=warm * spe)
    else:
        w = S.ConstantLR(opt, factor=decay, total_iters=warm * spe)
    return S.SequentialLR(opt, schedulers=[w, main_s], milestones=[warm * spe])


def rates(spe):
    lines = []
    for name, kind, kw, warm, method, decay, epochs in CASES:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=BASE_LR, momentum=0.9)
        sched = make_scheduler(opt, kind, kw, warm, method, decay, epochs, spe)
        for step in range(epochs * spe):
            lines.append(f"{name} {step} {opt.param_groups[0]['lr']!r}")
            opt.step()
            sched.step()
    return lines


def main():
    warnings.filterwarnings("ignore")  # SequentialLR calls step(0) internally: a deprecation note
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "lr_schedule_torch.txt"), "w") as f:
        f.write(f"# torch {torch.__version__}; base_lr {BASE_LR}; name epoch lr (see make_fixture.py)\n")
        f.write("\n".join(rates(1)) + "\n")
    with open(os.path.join(here, "lr_schedule_torch_updates.txt"), "w") as f:
        f.write(f"# torch {torch.__version__}; base_lr {BASE_LR}; steps_per_epoch {STEPS_PER_EPOCH}; "
                "stepped per update; name step lr (see make_fixture.py)\n")
        f.write("\n".join(rates(STEPS_PER_EPOCH)) + "\n")


if __name__ == "__main__":
    main()
