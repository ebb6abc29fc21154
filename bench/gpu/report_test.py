"""Checks of bench/gpu/report.py (run by `make test`; standard library only, well under a second).

    python3 bench/gpu/report_test.py            # check
    python3 bench/gpu/report_test.py --update   # rewrite the golden files after a deliberate change

The golden files are report.py's output on checked-in input:
- testdata/report-results-call2.md: the H100 calls of 2026-12-06 in
  bench/gpu/results/ (small.sh, hd_sweep.sh and torch_highd.py rows; no
  torch_softmin.py rows, so the Sinkhorn baselines must print as missing);
- testdata/report-smoke.md: testdata/all-smoke-lavapipe.jsonl, the output of
  `SMOKE=1 bash bench/gpu/all.sh` on lavapipe with one extra variant and one
  failing variant (a binary that does not exist), torch absent.
"""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "gpu"))
import report  # noqa: E402

RESULTS = ["bench/gpu/results/small-h100-call2.jsonl", "bench/gpu/results/hd-2026-12-06-call2.jsonl",
           "bench/gpu/results/torch-2026-12-06-call2.jsonl"]
SMOKE = ["bench/gpu/testdata/all-smoke-lavapipe.jsonl"]
GOLDEN = {"bench/gpu/testdata/report-results-call2.md": (RESULTS, {"default", "final"}),
          "bench/gpu/testdata/report-smoke.md": (SMOKE, {"default"})}
UPDATE = "--update" in sys.argv


def render(paths, defaults):
    return report.Report(report.Run(paths, defaults)).render()


class ReportTest(unittest.TestCase):
    def setUp(self):
        os.chdir(ROOT)

    def test_golden(self):
        for golden, (paths, defaults) in GOLDEN.items():
            got = render(paths, defaults)
            if UPDATE:
                with open(golden, "w") as f:
                    f.write(got)
            with open(golden) as f:
                self.assertEqual(got, f.read(), f"report.py on {paths} differs from {golden} "
                                 "(python3 bench/gpu/report_test.py --update after a deliberate change)")

    def test_results_figures(self):
        # Figures read from the H100 files, and the goals judged from them.
        got = render(RESULTS, {"default", "final"})
        self.assertIn("| soft-min, d = 2, 1e5 | 3.00 ms, 80% (exp) | | <= 3.6 ms (>= 66%) | met |", got)
        self.assertIn("| soft-min, d = 64, 1e4 | 0.498 ms, 38% (FMA) | torch.compile 1.08 ms, otplay 2.2x faster "
                      "| <= 0.30 ms, 3x torch.compile | not met |", got)
        self.assertIn("| Sinkhorn iteration, d = 2, 1e4 | 0.144 ms, 33% (exp) | missing | >= 3x torch.compile | ? |", got)
        self.assertIn("torch-compile Sinkhorn iteration, d = 2, 1e4", got.split("Missing from the input")[1])

    def test_smoke_variants_and_failures(self):
        # The lavapipe smoke run: a variant's rows beside the defaults, its
        # failed rows marked (one refused, one timed out) and listed.
        got = render(SMOKE, {"default"})
        self.assertIn("| soft-mean, d = 64, 1e4 | 6.92 |  | failed |", got)
        self.assertIn("| Sinkhorn iteration, d = 2, 1e4 | 0.781 | 0.733 (0.94) | failed |", got)
        self.assertIn("- failed: sinkhorn/d=2/n=1e4 (failbin rc 124): timed out after 8s", got)
        self.assertIn("1e4 = 256, 3e4 = 384, 1e5 = 512", got)

    def test_missing_not_invented(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "one.jsonl")
            with open(path, "w") as f:
                f.write('{"type": "otplay", "variant": "default", "kernel": "softmin", "d": 64, "n": 10000, '
                        '"size": "1e4", "median_ms": 0.5}\n')
            got = render([path], {"default"})
        # 1e4 x 1e4 x 64 FMAs at 3.35e13 FMA/s: 0.191 ms, 38% of 0.5 ms.
        self.assertIn("| soft-min, d = 64, 1e4 | 0.500 ms, 38% (FMA) | missing | <= 0.30 ms, 3x torch.compile | ? |", got)
        self.assertIn("| soft-min, d = 2, 1e5 | missing | | <= 3.6 ms (>= 66%) | ? |", got)
        # The list of missing rows names every other otplay row of the tables: the
        # d = 2, 3 table (8), the soft-min at d = 4..192 (21), the soft-mean at
        # d = 8..192 (18) and the solver's iteration (1 entry), less the one present.
        listed = got.split("Missing from the input (not measured in this run): ")[1].split("\n")[0]
        self.assertEqual(listed.count("otplay "), 47, listed)
        self.assertNotIn("otplay soft-min, d = 64, 1e4;", listed)
        self.assertIn("every PyTorch row", listed)

    def test_torch_failure_in_its_cell(self):
        # PyTorch eager stores the N x N cost: at 1e5 it runs out of memory, and says so.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "torch.jsonl")
            with open(path, "w") as f:
                f.write('{"impl": "torch-eager", "op": "sinkhorn-iteration", "n": 100000, "m": 100000, "d": 2, '
                        '"eps": 0.05, "error": "out of memory", "type": "torch"}\n'
                        '{"impl": "torch-compile", "op": "sinkhorn-iteration", "n": 100000, "m": 100000, "d": 2, '
                        '"eps": 0.05, "median_ms": 76.4, "type": "torch"}\n'
                        '{"type": "otplay", "variant": "default", "kernel": "sinkhorn", "d": 2, "n": 100000, '
                        '"size": "1e5", "median_ms": 5.89}\n')
            got = render([path], {"default"})
        self.assertIn("| Sinkhorn iteration: PyTorch eager | missing | out of memory |", got)
        self.assertIn("| Sinkhorn iteration: `torch.compile` | missing | 76.4 |", got)
        self.assertIn("| Sinkhorn iteration: otplay's speed-up over `torch.compile` |  | 13.0x |", got)
        self.assertNotIn("- failed", got)

    def test_solver_row(self):
        # `otplay bench --kernel solver` where the binary has it: its row in the d = 2, 3 table,
        # with the share of the bound of its two soft-mins (2 x 1e8 exps at 4.18e12 exp/s in 0.25 ms: 19%).
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "solver.jsonl")
            with open(path, "w") as f:
                f.write('{"type": "otplay", "variant": "default", "kernel": "solver", "d": 2, "n": 10000, '
                        '"size": "1e4", "median_ms": 0.25}\n')
            got = render([path], {"default"})
        self.assertIn("| the solver's iteration, a residual check every 10 (`otplay bench --kernel solver`), d = 2 "
                      "| 0.250 ms, 19% | missing |", got)
        self.assertNotIn("solver iteration, d = 2, 1e4 and 1e5", got)

    def test_readme_markers(self):
        with tempfile.TemporaryDirectory() as tmp:
            readme = os.path.join(tmp, "README.md")
            with open(readme, "w") as f:
                f.write(f"# x\n\n{report.BEGIN}\nold table\n{report.END}\n\nafter\n")
            report.main([*SMOKE, "--readme", readme])
            with open(readme) as f:
                text = f.read()
            self.assertTrue(text.startswith(f"# x\n\n{report.BEGIN}\nGenerated by `bench/gpu/report.py`"), text[:200])
            self.assertTrue(text.endswith(f"\n{report.END}\n\nafter\n"))
            self.assertNotIn("old table", text)
            with open(readme, "w") as f:
                f.write("no markers\n")
            r = subprocess.run([sys.executable, "bench/gpu/report.py", *SMOKE, "--readme", readme],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("markers", r.stderr)
            with open(readme) as f:
                self.assertEqual(f.read(), "no markers\n")


if __name__ == "__main__":
    unittest.main(argv=[a for a in sys.argv if a != "--update"])
