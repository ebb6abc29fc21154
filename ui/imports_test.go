package ui

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserBuildImportsNoGPU: ui reaches WebGPU only through the opener
// the browser main registers (SetWebGPUOpener), so neither the browser
// build of ui nor the native one depends on package gpu (go list -deps,
// the real build graph).
func TestBrowserBuildImportsNoGPU(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to list the build graph: %v", err)
	}
	for _, env := range [][]string{{"GOOS=js", "GOARCH=wasm", "GOEXPERIMENT="}, {}} {
		cmd := exec.Command(goCmd, "list", "-deps", ".")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps (%v): %v\n%s", env, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if pkg == "github.com/otplay/otplay/gpu" || pkg == "github.com/otplay/otplay/compute/webgpu" {
				t.Errorf("ui (%v) depends on %s", env, pkg)
			}
		}
	}
}
