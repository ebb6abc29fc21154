package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBridgeTransport runs otplay bridge --mode sde with each --transport:
// the report names it and carries a positive path energy, and the end
// points are near the target (SW_2 <= 0.15, as TestBridgeSDE's bound);
// momentum and fisher move the particles differently from drift (their
// path energies differ by more than 1%).
func TestBridgeTransport(t *testing.T) {
	energy := map[string]float64{}
	for _, tr := range []string{"drift", "momentum", "fisher"} {
		code, stdout, stderr := bridgeRun("--backend", "cpu", "--mode", "sde", "--source", "gaussian:200:seed=1", "--target", "moons:200",
			"--start", "gaussian:300:seed=7", "--sigma", "0.2", "--n", "300", "--steps", "20", "--times", "1", "--transport", tr, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tr, code, stderr)
		}
		var rep struct {
			Transport  string  `json:"transport"`
			PathEnergy float64 `json:"path_energy"`
			Quality    struct {
				SW float64 `json:"sliced_w2"`
			} `json:"quality_at_1"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: path energy %.4f, SW2 at t = 1 %.4f", tr, rep.PathEnergy, rep.Quality.SW)
		if rep.Transport != tr || !(rep.PathEnergy > 0) || !(rep.Quality.SW > 0 && rep.Quality.SW <= 0.15) {
			t.Errorf("%s: report %+v", tr, rep)
		}
		energy[tr] = rep.PathEnergy
	}
	for _, tr := range []string{"momentum", "fisher"} {
		if r := energy[tr] / energy["drift"]; r > 0.99 && r < 1.01 {
			t.Errorf("%s: path energy %g within 1%% of drift's %g", tr, energy[tr], energy["drift"])
		}
	}
	for _, args := range [][]string{
		{"--mode", "sde", "--transport", "heavy"},
		{"--transport", "fisher"},
		{"--mode", "sde", "--transport", "momentum", "--momentum", "1"},
		{"--mode", "sde", "--momentum", "0.5"},
	} {
		code, _, stderr := bridgeRun(append([]string{"--backend", "cpu", "--source", "gaussian:20", "--target", "moons:20"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "otplay bridge:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if _, stdout, _ := bridgeRun("-h"); !strings.Contains(stdout, "-transport") || !strings.Contains(stdout, "-momentum") {
		t.Errorf("-h lists no --transport / --momentum")
	}
}

// TestBridgeMultiscale: --multiscale 50 reports its coarse stage and the
// same transport cost as the single-scale solve to 1e-3 relative (both
// converge to --tol 1e-4); a negative count is a usage error.
func TestBridgeMultiscale(t *testing.T) {
	cost := map[string]float64{}
	for _, ms := range []string{"0", "50"} {
		code, stdout, stderr := bridgeRun("--backend", "cpu", "--source", "gaussian:300:seed=1", "--target", "moons:300",
			"--sigma", "0.2", "--n", "100", "--times", "1", "--multiscale", ms, "--json")
		if code != 0 {
			t.Fatalf("--multiscale %s: exit %d: %s", ms, code, stderr)
		}
		var rep struct {
			Cost      float64 `json:"transport_cost"`
			Converged bool    `json:"sinkhorn_converged"`
			Coarse    int     `json:"coarse_iterations"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		t.Logf("--multiscale %s: %+v", ms, rep)
		if !rep.Converged || (ms == "50") != (rep.Coarse > 0) {
			t.Errorf("--multiscale %s: report %+v", ms, rep)
		}
		cost[ms] = rep.Cost
	}
	if rel := (cost["50"] - cost["0"]) / cost["0"]; !(rel <= 1e-3 && rel >= -1e-3) {
		t.Errorf("costs %v differ by %g relative", cost, rel)
	}
	if code, _, stderr := bridgeRun("--backend", "cpu", "--multiscale", "-1"); code != 2 || !strings.Contains(stderr, "--multiscale") {
		t.Errorf("--multiscale -1: exit %d, %q", code, stderr)
	}
}
