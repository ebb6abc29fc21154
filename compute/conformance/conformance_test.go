package conformance_test

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/conformance"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

func check(t *testing.T, b compute.Backend) {
	t.Helper()
	rs := conformance.Run(b, conformance.Options{Quick: testing.Short()})
	for _, r := range rs {
		if !r.Pass {
			t.Errorf("%s", r)
		}
	}
	t.Logf("%d checks on %s (%s), %d failed", len(rs), b.Info().Name, b.Info().Device, conformance.Failed(rs))
}

// TestCPU checks the float64 backend of `--backend cpu` (its fast
// kernels); TestCPURef the plain loops it is measured against.
func TestCPU(t *testing.T) { check(t, compute.NewCPU(0)) }

func TestCPURef(t *testing.T) { check(t, compute.NewCPURef(0)) }

func TestGPU(t *testing.T) { check(t, gputest.Backend(t)) }

func TestCPUFast(t *testing.T) { check(t, compute.NewCPUFast(0)) }
