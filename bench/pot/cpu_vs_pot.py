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

From d = 16 the CPU backends store the cost matrix (compute/costcache.go)
where it fits their budget (256 MiB by default: both directions of a
4000 x 4000 iteration). At those d each backend also runs with the cache
off (OTPLAY_CPU_COST_CACHE_MIB=0: the fused loops, which recompute the
cost per pair), and, with --cache-mib N, with a budget of N MiB where the
default budget ran fused (n = 1e4 needs 2 x 763 MiB). Each row names the
cost path its otplay run took (`otplay bench`'s cost_path).

Usage (from the repository root):
  /usr/bin/python3 bench/pot/cpu_vs_pot.py [--rounds 3] [--sizes 1000,4000] [--d 2,64] [--json]
      [--builds both|plain|simd] [--no-archsimd] [--cache-mib 2048]
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


def otplay(binary, backend, n, d, reps, loops="", cache_mib=None):
    env = dict(os.environ, OTPLAY_CPU_LOOPS=loops)
    if cache_mib is not None:
        env["OTPLAY_CPU_COST_CACHE_MIB"] = str(cache_mib)
    out = subprocess.run([binary, "bench", "--backend", backend, "--kernel", "sinkhorn", "--data", "normal",
                          "--sizes", str(n), "--d", str(d), "--reps", str(reps), "--batch", "1", "--json"],
                         check=True, capture_output=True, text=True, env=env).stdout
    row = json.loads(out)[0]
    return row["median_ms"], row["cpu_ms"], row.get("cost_path", ""), row.get("cost_build_ms", 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="1000,4000")
    ap.add_argument("--d", default="2,64")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--builds", default="both", choices=["both", "plain", "simd"],
                    help="plain: `go build` only; simd: GOEXPERIMENT=simd (`make build`) only")
    ap.add_argument("--no-archsimd", action="store_true", help="skip the archsimd-loop rows")
    ap.add_argument("--cache-mib", type=int, default=0,
                    help="also run with this cost-cache budget (MiB) where the default budget ran fused")
    args = ap.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    dims = [int(s) for s in args.d.split(",")]
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        builds = {}
        if args.builds in ("both", "simd"):
            builds["make build (GOEXPERIMENT=simd)"] = build(tmp, "simd")
        if args.builds in ("both", "plain"):
            builds["go build (no GOEXPERIMENT)"] = build(tmp, "")
        runs = {}  # (name, d, n) -> list of (wall, cpu, cost path, build ms)
        for r in range(args.rounds):
            for d in dims:
                for n in sizes:
                    iters = 20 if n <= 1000 else 5
                    runs.setdefault(("POT 0.8.2 sinkhorn_log", d, n), []).append(pot(n, d, iters) + ("", 0.0))
                    for label, binary in builds.items():
                        backends = ["cpu", "cpu32"] + (["cpuref"] if d == 2 and label.startswith("make") else [])
                        reps = 5 if n <= 1000 else 3
                        for be in backends:
                            row = otplay(binary, be, n, d, reps)
                            runs.setdefault((f"otplay {be}, {label}", d, n), []).append(row)
                            if be == "cpuref" or row[2] == "":
                                continue  # below the cost cache's dimension
                            # The other cost path: the fused loops where the
                            # default budget cached, else a larger budget.
                            if row[2] == "cached":
                                runs.setdefault((f"otplay {be}, {label}, cache off", d, n), []).append(
                                    otplay(binary, be, n, d, reps, cache_mib=0))
                            elif args.cache_mib:
                                runs.setdefault((f"otplay {be}, {label}, budget {args.cache_mib} MiB", d, n), []).append(
                                    otplay(binary, be, n, d, reps, cache_mib=args.cache_mib))
                        if label.startswith("make") and not args.no_archsimd:
                            for be in ["cpu", "cpu32"]:
                                runs.setdefault((f"otplay {be}, {label}, archsimd loops", d, n), []).append(
                                    otplay(binary, be, n, d, reps, loops="simd"))
                    load.append(os.getloadavg()[0])
                    print(f"round {r + 1}/{args.rounds} d={d} n={n} done", file=sys.stderr, flush=True)
    rows = []
    for (name, d, n), v in runs.items():
        wall = statistics.median(r[0] for r in v)
        cpu = statistics.median(r[1] for r in v)
        p_wall = statistics.median(r[0] for r in runs[("POT 0.8.2 sinkhorn_log", d, n)])
        p_cpu = statistics.median(r[1] for r in runs[("POT 0.8.2 sinkhorn_log", d, n)])
        paths = sorted(set(r[2] for r in v))
        rows.append(dict(impl=name, d=d, n=n, rounds=len(v), wall_ms=wall, cpu_ms=cpu,
                         speedup_wall=p_wall / wall, speedup_cpu=p_cpu / cpu, cost_path="/".join(p for p in paths if p),
                         cost_build_ms=statistics.median(r[3] for r in v)))
    if args.json:
        print(json.dumps(dict(load_average=load, rows=rows), indent=1))
        return
    print(f"load average (1 min) at the start and after each (round, d, n): {' '.join(f'{l:.1f}' for l in load)}")
    print(f"{'implementation':<62} {'d':>3} {'n':>5} {'wall ms':>9} {'cpu ms':>9} {'x POT (wall)':>12} {'x POT (cpu)':>11}  cost")
    for r in sorted(rows, key=lambda r: (r["d"], r["n"], r["impl"])):
        cost = r["cost_path"]
        if cost == "cached":
            cost += f" (built in {r['cost_build_ms']:.0f} ms)"
        print(f"{r['impl']:<62} {r['d']:>3} {r['n']:>5} {r['wall_ms']:>9.2f} {r['cpu_ms']:>9.2f} "
              f"{r['speedup_wall']:>12.2f} {r['speedup_cpu']:>11.2f}  {cost}")


if __name__ == "__main__":
    main()
