package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// coreRun runs the real entry point with args.
func coreRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	if code, _, stderr := coreRun(); code != 2 || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: exit %d, stderr %q; want 2 and the command list", code, stderr)
	}
	if code, _, stderr := coreRun("frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := coreRun("-h"); code != 0 || !strings.Contains(stdout, "validate") {
		t.Errorf("-h: exit %d, stdout %q; want 0 and the command list on stdout", code, stdout)
	}
	for _, c := range []string{"info", "validate", "bench"} {
		if code, stdout, _ := coreRun(c, "-h"); code != 0 || !strings.Contains(stdout, "Usage: otplay "+c) {
			t.Errorf("%s -h: exit %d, stdout %q", c, code, stdout)
		}
		if code, _, _ := coreRun(c, "--no-such-flag"); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2", c, code)
		}
	}
}

func TestInfoJSON(t *testing.T) {
	code, stdout, stderr := coreRun("info", "--json")
	if code != 0 {
		t.Fatalf("info --json: exit %d, stderr %s", code, stderr)
	}
	var rep infoReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("info --json printed no JSON object: %v\n%s", err, stdout)
	}
	if rep.CPU.Name != "cpu" || rep.CPU.Precision != "float64" {
		t.Errorf("cpu backend reported as %+v", rep.CPU)
	}
	if rep.GPU == nil && rep.GPUErr == "" {
		t.Error("info reports neither a GPU nor why there is none")
	}
	if os.Getenv("OTPLAY_REQUIRE_GPU") == "1" && rep.GPU == nil {
		t.Errorf("OTPLAY_REQUIRE_GPU=1 but info found no GPU: %s", rep.GPUErr)
	}
	if rep.GPU != nil && (rep.GPU.Adapter == "" || rep.GPU.Limits.MaxStorageBufferBindingSize == 0) {
		t.Errorf("GPU reported without a name or limits: %+v", rep.GPU)
	}
}

func TestValidateCPU(t *testing.T) {
	code, stdout, stderr := coreRun("validate", "--backend", "cpu", "--quick")
	if code != 0 {
		t.Fatalf("validate --backend cpu: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"cpu backend", "softmin", "softmean", "checks, 0 failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, _ := coreRun("validate", "--backend", "tpu"); code != 2 {
		t.Errorf("validate --backend tpu: exit %d, want 2", code)
	}
}

func TestValidateGPUJSON(t *testing.T) {
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		if _, err := openGPU(); err != nil {
			t.Skipf("no GPU here (%v); OTPLAY_REQUIRE_GPU=1 makes this a failure", err)
		}
	}
	code, stdout, stderr := coreRun("validate", "--backend", "gpu", "--quick", "--json")
	if code != 0 {
		t.Fatalf("validate --backend gpu: exit %d\n%s", code, stderr)
	}
	var reps []struct {
		Backend string
		Checks  int
		Failed  int
	}
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil || len(reps) != 1 {
		t.Fatalf("validate --json: %v\n%s", err, stdout)
	}
	if reps[0].Backend != "gpu" || reps[0].Checks < 100 || reps[0].Failed != 0 {
		t.Errorf("validate --json = %+v", reps[0])
	}
}

func TestBenchJSON(t *testing.T) {
	code, stdout, stderr := coreRun("bench", "--backend", "cpu32", "--sizes", "300", "--reps", "2", "--batch", "1", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d, %s", code, stderr)
	}
	var rows []benchRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, stdout)
	}
	if len(rows) != 2 || rows[0].Kernel != "softmin" || rows[1].Kernel != "softmean" {
		t.Fatalf("bench rows %+v, want softmin and softmean", rows)
	}
	for _, r := range rows {
		if r.N != 300 || !(r.MedianMS > 0) || !(r.PairsPerSec > 0) || r.Backend != "cpu32" {
			t.Errorf("bench row %+v", r)
		}
	}
	if code, _, _ := coreRun("bench", "--sizes", "1e9"); code != 2 {
		t.Errorf("bench --sizes 1e9: exit %d, want 2 (past the 1e8 limit)", code)
	}
	if code, _, _ := coreRun("bench", "--backend", "tpu", "--sizes", "10"); code != 1 {
		t.Errorf("bench --backend tpu: exit %d, want 1", code)
	}
}
