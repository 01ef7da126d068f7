"""Cost of `verify.audit` on a GPT-2-small-sized model, as a ratio to building it, in one run.

    python benchmarks/audit_speed.py [N_LAYER]      (default 12: about 124M parameters)

Builds transformers' GPT2LMHeadModel from its configuration on CPU (no download), then
audits it with the rules transformers documents for its init (`initproof.audits`); prints
both times, their ratio (the target is at most 3) and the memory the audit added beyond
the model, against the size of the largest parameter as float64.
"""

from __future__ import annotations

import resource
import sys
import time

import torch
import transformers as tf

from initproof.audits import GPT2_RULES
from verify import audit


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n_layer: int = 12) -> None:
    torch.manual_seed(0)
    start = time.perf_counter()
    model = tf.GPT2LMHeadModel(tf.GPT2Config(n_layer=n_layer))
    build = time.perf_counter() - start
    before = peak_mib()
    start = time.perf_counter()
    report = audit(model, GPT2_RULES, constants={"n_layer": n_layer})
    took = time.perf_counter() - start
    largest = max(p.numel() for p in model.parameters()) * 8 / 2**20
    params = sum(p.numel() for p in model.parameters())
    print(f"GPT-2, {n_layer} layers, {params / 1e6:.1f}M parameters: build {build:.2f} s, "
          f"audit {took:.2f} s, ratio {took / build:.2f} ({report.headline()[:4]})")
    print(f"peak RSS {before:.0f} MiB after building, {peak_mib():.0f} MiB after the audit: "
          f"+{peak_mib() - before:.0f} MiB; the largest parameter as float64 is {largest:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
