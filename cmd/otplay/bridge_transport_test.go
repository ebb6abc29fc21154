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
