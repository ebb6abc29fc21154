"""The CPU rows of issue 14, side by side in one run: one log-domain
Sinkhorn iteration of otplay's CPU backends (`otplay bench --kernel
sinkhorn --data normal`) against POT's sinkhorn_log (sinkhorn_pot.py in
this folder), on the same data (standard normal clouds in dimension d, the
second shifted by 1, uniform weights, eps = 0.05 d/2).

otplay is built twice from this checkout: with GOEXPERIMENT=simd (as `make
build` does) and without (plain `go build` / `go install`). Both run the
AVX2+FMA assembly loops where the CPU has them; the GOEXPERIMENT=simd build
is also run on its archsimd loops (OTPLAY_CPU_LOOPS=simd, the loops before
the assembly). The runs
interleave: each round times every (d, n) on POT, then on each build and
backend, so that the load of a shared machine falls on all of them alike.
Reported: the median over the rounds of each run's median wall time per
iteration and of its CPU time per iteration, and POT's time over otplay's
(the speed-up; > 1 is faster than POT).

Usage (from the repository root):
  /usr/bin/python3 bench/pot/cpu_vs_pot.py [--rounds 3] [--sizes 1000,4000] [--d 2,64] [--json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def build(tmp, experiment):
    out = os.path.join(tmp, "otplay-" + (experiment or "plain"))
    env = dict(os.environ, GOEXPERIMENT=experiment)
    subprocess.run(["go", "build", "-o", out, "./cmd/otplay"], cwd=ROOT, env=env, check=True)
    return out


def pot(n, d, iters):
    out = subprocess.run([sys.executable, os.path.join(HERE, "sinkhorn_pot.py"), "--sizes", str(n), "--d", str(d),
                          "--iters", str(iters)], check=True, capture_output=True, text=True).stdout
    row = json.loads(out.strip().splitlines()[-1])
    return row["ms_per_iter"], row["cpu_ms_per_iter"]


def otplay(binary, backend, n, d, reps, loops=""):
    env = dict(os.environ, OTPLAY_CPU_LOOPS=loops)
    out = subprocess.run([binary, "bench", "--backend", backend, "--kernel", "sinkhorn", "--data", "normal",
                          "--sizes", str(n), "--d", str(d), "--reps", str(reps), "--batch", "1", "--json"],
                         check=True, capture_output=True, text=True, env=env).stdout
    row = json.loads(out)[0]
    return row["median_ms"], row["cpu_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="1000,4000")
    ap.add_argument("--d", default="2,64")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    dims = [int(s) for s in args.d.split(",")]
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        builds = {"make build (GOEXPERIMENT=simd)": build(tmp, "simd"), "go build (no GOEXPERIMENT)": build(tmp, "")}
        runs = {}  # (name, d, n) -> list of (wall, cpu)
        for r in range(args.rounds):
            for d in dims:
                for n in sizes:
                    iters = 20 if n <= 1000 else 5
                    runs.setdefault(("POT 0.8.2 sinkhorn_log", d, n), []).append(pot(n, d, iters))
                    for label, binary in builds.items():
                        backends = ["cpu", "cpu32"] + (["cpuref"] if d == 2 and label.startswith("make") else [])
                        reps = 5 if n <= 1000 else 3
                        for be in backends:
                            runs.setdefault((f"otplay {be}, {label}", d, n), []).append(otplay(binary, be, n, d, reps))
                        if label.startswith("make"):
                            for be in ["cpu", "cpu32"]:
                                runs.setdefault((f"otplay {be}, {label}, archsimd loops", d, n), []).append(
                                    otplay(binary, be, n, d, reps, loops="simd"))
                    load.append(os.getloadavg()[0])
                    print(f"round {r + 1}/{args.rounds} d={d} n={n} done", file=sys.stderr, flush=True)
    rows = []
    for (name, d, n), v in runs.items():
        wall = statistics.median(w for w, _ in v)
        cpu = statistics.median(c for _, c in v)
        p_wall = statistics.median(w for w, _ in runs[("POT 0.8.2 sinkhorn_log", d, n)])
        p_cpu = statistics.median(c for _, c in runs[("POT 0.8.2 sinkhorn_log", d, n)])
        rows.append(dict(impl=name, d=d, n=n, rounds=len(v), wall_ms=wall, cpu_ms=cpu,
                         speedup_wall=p_wall / wall, speedup_cpu=p_cpu / cpu))
    if args.json:
        print(json.dumps(dict(load_average=load, rows=rows), indent=1))
        return
    print(f"load average (1 min) at the start and after each (round, d, n): {' '.join(f'{l:.1f}' for l in load)}")
    print(f"{'implementation':<50} {'d':>3} {'n':>5} {'wall ms':>9} {'cpu ms':>9} {'x POT (wall)':>12} {'x POT (cpu)':>11}")
    for r in sorted(rows, key=lambda r: (r["d"], r["n"], r["impl"])):
        print(f"{r['impl']:<50} {r['d']:>3} {r['n']:>5} {r['wall_ms']:>9.2f} {r['cpu_ms']:>9.2f} "
              f"{r['speedup_wall']:>12.2f} {r['speedup_cpu']:>11.2f}")


if __name__ == "__main__":
    main()
