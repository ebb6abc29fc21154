"""Tables from bench/gpu/hd_sweep.sh's output: per kernel, d and N, each
variant's median (ms) and its fraction of the binding bound, with the
PyTorch baselines of bench/gpu/torch_highd.py beside them.

Bounds on an H100 SXM (the device of bench/gpu/): exp throughput 4.18e12
exp/s (one exp per pair; /work/shared/device/README.md), and FP32 FMA
throughput without tensor cores 3.35e13 FMA/s (132 SMs x 128 FP32 lanes x
1.98 GHz boost: 67 TFLOPS), for N M d FMAs (the soft-min's inner
products) or N M (d + dv) (the soft-mean's, dv = d). The bound is the
larger of the two times; "bound%" is bound / measured.

    python3 bench/gpu/hd_summary.py OUTDIR [section ...]
"""
import collections
import json
import os
import sys

EXP_PER_S = 4.18e12
FMA_PER_S = 3.35e13


def bound_ms(kernel, n, m, d):
    fmas = n * m * (2 * d if kernel == "softmean" else d)
    return 1e3 * max(n * m / EXP_PER_S, fmas / FMA_PER_S), ("fma" if fmas / FMA_PER_S > n * m / EXP_PER_S else "exp")


def main():
    out = sys.argv[1]
    sections = set(sys.argv[2:])
    rows = collections.defaultdict(dict)
    with open(os.path.join(out, "hd.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if sections and r.get("section") not in sections:
                continue
            if "median_ms" not in r:
                print("error:", r)
                continue
            key = (r["kernel"], r["d"], r["n"])
            rows[key][r["variant"] + ("" if not sections else "")] = r["median_ms"]
    tp = os.path.join(out, "torch.jsonl")
    if os.path.exists(tp):
        with open(tp) as f:
            for line in f:
                r = json.loads(line)
                key = (r["kernel"], r["d"], r["n"])
                if key in rows or not sections:
                    rows[key][r["impl"]] = r.get("median_ms", float("nan"))
    for key in sorted(rows):
        kernel, d, n = key
        b, which = bound_ms(kernel, n, n, d)
        print(f"{kernel} d={d} n={n:g}  bound {b:.4g} ms ({which})")
        for v, ms in sorted(rows[key].items(), key=lambda kv: kv[1]):
            print(f"    {v:28s} {ms:9.4f} ms  {100 * b / ms:5.1f}%")


if __name__ == "__main__":
    main()
