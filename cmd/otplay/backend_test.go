package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Through the real entry point: info says what auto picks, consistently with
// the adapters it lists; solve --backend auto uses that backend and says why
// when it is cpu32; --backend gpu takes the adapter whatever its type
// (lavapipe in CI).
func TestAutoThroughTheCLI(t *testing.T) {
	code, stdout, stderr := coreRun("info", "--json")
	if code != 0 {
		t.Fatalf("info --json: exit %d, stderr %s", code, stderr)
	}
	var rep infoReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("info --json: %v\n%s", err, stdout)
	}
	hardware := false
	for _, a := range rep.Adapters {
		hardware = hardware || !a.Software
	}
	if want := map[bool]string{true: "gpu", false: "cpu32"}[hardware]; rep.Auto.Backend != want || rep.Auto.Reason == "" {
		t.Fatalf("info: auto = %+v with adapters %+v; want backend %s and a reason", rep.Auto, rep.Adapters, want)
	}
	args := []string{"solve", "--x", "gaussian:64:d=2:seed=1", "--y", "gaussian:64:d=2:seed=2", "--eps", "0.5", "--json"}
	var res struct {
		Backend string   `json:"backend"`
		Notes   []string `json:"notes"`
	}
	code, stdout, stderr = coreRun(append(args, "--backend", "auto")...)
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("solve --backend auto: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res.Backend != rep.Auto.Backend {
		t.Errorf("solve --backend auto used %q; info said auto picks %q", res.Backend, rep.Auto.Backend)
	}
	if res.Backend == "cpu32" && !strings.Contains(strings.Join(res.Notes, "\n"), "cpu32") {
		t.Errorf("solve --backend auto took cpu32 without a note saying why: notes %q", res.Notes)
	}
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		return
	}
	code, stdout, stderr = coreRun(append(args, "--backend", "gpu")...)
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Backend != "gpu" {
		t.Errorf("solve --backend gpu: exit %d, backend %q\n%s", code, res.Backend, stderr)
	}
}
