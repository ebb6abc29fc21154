// Package gputest gives tests one shared GPU backend per test binary.
//
// On a machine with no usable WebGPU adapter the tests that ask for it are
// skipped with the reason, unless OTPLAY_REQUIRE_GPU=1 (set by `make test`,
// which installs lavapipe first), in which case they fail: CI never skips
// GPU tests silently.
package gputest

import (
	"os"
	"sync"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/gpu"
)

var (
	once    sync.Once
	shared  *webgpu.Backend
	openErr error
)

// Backend returns the process-wide GPU backend, opening it on first use.
func Backend(t testing.TB) compute.Backend {
	t.Helper()
	return Raw(t)
}

// Raw is Backend with the concrete type (for Wait, Device and tuning).
func Raw(t testing.TB) *webgpu.Backend {
	t.Helper()
	once.Do(func() { shared, openErr = webgpu.Open(gpu.Options{}) })
	if openErr != nil {
		if os.Getenv("OTPLAY_REQUIRE_GPU") == "1" {
			t.Fatalf("GPU required (OTPLAY_REQUIRE_GPU=1) but none opened: %v", openErr)
		}
		t.Skipf("no WebGPU adapter on this machine (%v); set OTPLAY_REQUIRE_GPU=1 to make this a failure", openErr)
	}
	return shared
}
