"""PyTorch baselines for otplay's soft-min and soft-mean at any dimension.

    soft-min:  f_i = -eps * logsumexp_j(log b_j + (g_j - C_ij) / eps)
    soft-mean: T_i = sum_j softmax_j(log b_j - C_ij / eps) y_j   (V = Y)

with the squared-Euclidean cost by GEMM, C = |x|^2 + |y|^2 - 2 X Y^T (the
way PyTorch code computes it at high d), N = M points uniform in [0,1]^d,
eps = 0.05 d / 2 (as `bench/gpu/run.sh` passes to `otplay bench`), float32
on the current CUDA device: eager, and torch.compile of the same function,
compiled for each (d, N) on its own (dynamo's caches reset, dynamic=False),
as a solver loop at one size gets it. Without the reset the second shape
makes dynamo switch to dynamic-shape kernels, and past its recompile limit
it runs eager; the soft-min at d = 16, N = 1e4 took 0.86 ms in an H100
call where it came after d = 8 and 0.63 ms in one where it came first
(2026-12-06, results/torch-2026-12-06-call2.jsonl and the highd branch's
call3). Median of
10 timings with CUDA events after warm-up; "warmup_s" is the first call's
time (the compile, for torch.compile). One JSON line per case;
out-of-memory is reported, not hidden.

Run on the accelerator machine:
    python3 bench/gpu/torch_highd.py [DIMS [SIZES]]   e.g. 2,64 1e4,3e4
"""
import json
import math
import statistics
import sys
import time

import torch


def cost(x, y):
    return (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)


def softmin(x, y, logb, g, eps):
    return -eps * torch.logsumexp(logb[None, :] + (g[None, :] - cost(x, y)) / eps, dim=1)


def softmean(x, y, logb, g, eps):
    w = torch.softmax(logb[None, :] + (g[None, :] - cost(x, y)) / eps, dim=1)
    return w @ y


def compiled(fn):
    """torch.compile of fn for one shape: dynamo reset, dynamic=False."""
    torch._dynamo.reset()
    return torch.compile(fn, dynamic=False)


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
    dims = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "2,3,8,16,32,64,128,192").split(",")]
    sizes = [int(float(s)) for s in (sys.argv[2] if len(sys.argv) > 2 else "1e4,3e4,1e5").split(",")]
    dev = torch.device("cuda")
    torch.manual_seed(0)
    impls = {
        "softmin": [("torch-eager", lambda: softmin), ("torch-compile", lambda: compiled(softmin))],
        "softmean": [("torch-eager", lambda: softmean), ("torch-compile", lambda: compiled(softmean))],
    }
    for d in dims:
        eps = 0.05 * d / 2
        for n in sizes:
            x = torch.rand(n, d, device=dev)
            y = torch.rand(n, d, device=dev)
            logb = torch.full((n,), -math.log(n), device=dev)
            g = torch.zeros(n, device=dev)
            for kernel, fns in impls.items():
                for name, make in fns:
                    row = {"impl": name, "kernel": kernel, "n": n, "m": n, "d": d, "eps": eps,
                           "device": torch.cuda.get_device_name(), "torch": torch.__version__}
                    try:
                        fn = make()
                        row["median_ms"], row["warmup_s"] = timeit(lambda: fn(x, y, logb, g, eps))
                    except torch.OutOfMemoryError:
                        row["error"] = "out of memory"
                    except Exception as e:  # noqa: BLE001 - report whatever failed
                        row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
                    torch.cuda.empty_cache()
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
