package main

import (
	"strings"
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

// TestTrainOTPairingCLI: otplay train --ot-pairing records the coupling, and
// otplay sample warns when such a model meets a stochastic sampler.
func TestTrainOTPairingCLI(t *testing.T) {
	model := t.TempDir() + "/ot.json"
	runCases(t, []cliCase{
		{name: "train", args: []string{"train", "--backend", "cpu", "--data", "moons:300", "--steps", "20", "--batch", "32", "--hidden", "16", "--ot-pairing", "--out", model, "--json"},
			stdout: []string{`"coupling": "minibatch-ot"`}},
		{name: "stochastic sampler", args: []string{"sample", "--backend", "cpu", "--data", "moons:300", "--model", "mlp:" + model, "--sampler", "ddpm", "--steps", "3", "--n", "20"},
			stderr: []string{"deterministic samplers only"}},
		{name: "deterministic sampler", args: []string{"sample", "--backend", "cpu", "--data", "moons:300", "--model", "mlp:" + model, "--steps", "3", "--n", "20", "--json", "--quality=false"},
			check: func(t *testing.T, stdout, stderr string) {
				if strings.Contains(stderr, "pairing") || strings.Contains(stdout, "pairing") {
					t.Errorf("note for a deterministic sampler: %s %s", stdout, stderr)
				}
			}},
	})
}
