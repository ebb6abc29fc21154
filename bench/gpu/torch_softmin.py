"""PyTorch baseline for otplay's fused soft-min (one Sinkhorn half-iteration).

    f_i = -eps * logsumexp_j(log b_j + (g_j - |x_i - y_j|^2) / eps)

on N = M points uniform in [0,1]^2, eps = 0.05, float32, on the current CUDA
device: (a) eager, with the N x M cost matrix stored (what POT's
sinkhorn_log and most PyTorch code do); (b) torch.compile of the same
function, compiled for each N on its own (dynamo's caches reset,
dynamic=False: what a solver loop at one size gets; see torch_highd.py).
Median of >= 10 timings with CUDA events after warm-up; "warmup_s" is the
first call's time (the compile, for torch.compile). Prints one JSON line
per case; out-of-memory is reported, not hidden.

Run on the accelerator machine: python3 bench/gpu/torch_softmin.py
"""
import json
import math
import statistics
import sys
import time

import torch


def softmin(x, y, logb, g, eps):
    c = torch.cdist(x, y) ** 2
    return -eps * torch.logsumexp(logb[None, :] + (g[None, :] - c) / eps, dim=1)


def softmin_expanded(x, y, logb, g, eps):
    # The same with the squared distance written out (no cdist), which
    # torch.compile can fuse.
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return -eps * torch.logsumexp(logb[None, :] + (g[None, :] - c) / eps, dim=1)


def sinkhorn_iteration(softmin_fn, x, y, loga, logb, f, g, eps):
    # One balanced log-domain Sinkhorn iteration: f from g, then g from f.
    f = softmin_fn(x, y, logb, g, eps)
    g = softmin_fn(y, x, loga, f, eps)
    return f, g


def timeit(fn, reps=10):
    """The median of reps timings (ms) after 3 warm-up calls, and the first call's seconds."""
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    warmup_s = time.perf_counter() - t0
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts), warmup_s


def main():
    sizes = [int(float(s)) for s in (sys.argv[1].split(",") if len(sys.argv) > 1 else ["1e4", "3e4", "4e4", "1e5"])]
    dev = torch.device("cuda")
    torch.manual_seed(0)
    for n in sizes:
        torch._dynamo.reset()
        compiled = torch.compile(softmin_expanded, dynamic=False)
        x = torch.rand(n, 2, device=dev)
        y = torch.rand(n, 2, device=dev)
        logb = torch.full((n,), -math.log(n), device=dev)
        g = torch.zeros(n, device=dev)
        for name, fn in [("torch-eager", softmin), ("torch-compile", compiled)]:
            row = {"impl": name, "n": n, "m": n, "d": 2, "eps": 0.05, "device": torch.cuda.get_device_name(),
                   "torch": torch.__version__}
            try:
                ms, row["warmup_s"] = timeit(lambda: fn(x, y, logb, g, 0.05))
                row["median_ms"] = ms
                row["pairs_per_s"] = n * n / (ms / 1e3)
                row["exp_bound_pct"] = 100 * row["pairs_per_s"] / 4.18e12
            except torch.OutOfMemoryError as e:
                row["error"] = "out of memory"
            except Exception as e:  # noqa: BLE001 - report whatever failed
                row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
            torch.cuda.empty_cache()
            print(json.dumps(row), flush=True)
        # A whole Sinkhorn iteration (two soft-mins), as otplay's
        # BenchmarkSinkhornIterationGPU times it.
        for name, fn in [("torch-eager", softmin), ("torch-compile", compiled)]:
            row = {"impl": name, "op": "sinkhorn-iteration", "n": n, "m": n, "d": 2, "eps": 0.05,
                   "device": torch.cuda.get_device_name(), "torch": torch.__version__}
            try:
                row["median_ms"], row["warmup_s"] = timeit(lambda: sinkhorn_iteration(fn, x, y, logb, logb, g, g, 0.05))
            except torch.OutOfMemoryError:
                row["error"] = "out of memory"
            except Exception as e:  # noqa: BLE001
                row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
            torch.cuda.empty_cache()
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
