package main

import (
	"testing"
)

// TestSampleOptions runs every sampler option of otplay sample through
// the command: the corrector's model evaluations show in the NFE, the
// threshold keeps the samples inside its bound, and bad values are usage
// errors.
func TestSampleOptions(t *testing.T) {
	base := []string{"sample", "--backend", "cpu", "--data", "8gaussians:300", "--n", "100", "--steps", "6", "--json", "--quality=false"}
	nfe := func(want float64) func(t *testing.T, stdout, stderr string) {
		return func(t *testing.T, stdout, stderr string) {
			if got := jsonObject(t, stdout)["nfe"]; got != want {
				t.Errorf("nfe = %v, want %v", got, want)
			}
		}
	}
	with := func(extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	runCases(t, []cliCase{
		{name: "langevin", args: with("--corrector", "langevin", "--corrector-steps", "2"), stdout: []string{`"corrector": "langevin"`}, check: nfe(7 + 12)},
		{name: "tweedie", args: with("--corrector", "tweedie"), stdout: []string{`"corrector": "tweedie"`}, check: nfe(7 + 6)},
		{name: "adaptive, huge steps", args: with("--corrector", "adaptive", "--steps", "1", "--sampler", "ddim"), stdout: []string{`"corrector": "adaptive"`}},
		{name: "threshold", args: with("--threshold", "1", "--threshold-bound", "0.5", "--out", t.TempDir()+"/x.csv"), check: func(t *testing.T, stdout, stderr string) {
			set, err := dataLoad(jsonObject(t, stdout)["out"].(string))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range set.Points {
				if v > 0.5+1e-12 || v < -0.5-1e-12 {
					t.Fatalf("thresholded sample has %g outside [-0.5, 0.5]", v)
				}
			}
		}},
		{name: "score scale", args: with("--score-scale", "1.5"), check: nfe(7)},
		{name: "quadratic", args: with("--schedule", "quadratic"), stdout: []string{`"schedule": "quadratic"`}},
		{name: "sigmoid", args: with("--schedule", "sigmoid"), stdout: []string{`"schedule": "sigmoid"`}},
		{name: "churn", args: with("--sampler", "heun", "--churn", "3"), check: nfe(13)},
		{name: "churn not heun", args: with("--churn", "3"), code: 2, stderr: []string{"--churn applies to --sampler heun"}},
		{name: "corrector with ode-adaptive", args: with("--sampler", "ode-adaptive", "--corrector", "langevin"), code: 2, stderr: []string{"not with ode-adaptive"}},
		{name: "unknown corrector", args: with("--corrector", "metropolis"), code: 2, stderr: []string{"--corrector", "valid: none, langevin, tweedie, adaptive"}},
		{name: "threshold > 1", args: with("--threshold", "2"), code: 2, stderr: []string{"--threshold"}},
		{name: "score scale 0", args: with("--score-scale", "0"), code: 2, stderr: []string{"--score-scale"}},
		{name: "snr", args: with("--corrector", "langevin", "--snr", "-1"), code: 2, stderr: []string{"--snr"}},
	})
}
