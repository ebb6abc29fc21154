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

// TestProgress: Options.Progress is called once before each check, k
// running 1 .. N in order with N the number of results, and names the
// check the k-th result reports.
func TestProgress(t *testing.T) {
	type call struct {
		k, total int
		name     string
	}
	var calls []call
	rs := conformance.Run(compute.NewCPU(0), conformance.Options{Quick: true, Progress: func(k, total int, name string) {
		calls = append(calls, call{k, total, name})
	}})
	if len(calls) != len(rs) || len(rs) == 0 {
		t.Fatalf("%d progress calls for %d checks", len(calls), len(rs))
	}
	for i, c := range calls {
		if c.k != i+1 || c.total != len(rs) || c.name != rs[i].Op+" "+rs[i].Case {
			t.Fatalf("call %d = %+v, want check %d of %d: %s %s", i, c, i+1, len(rs), rs[i].Op, rs[i].Case)
		}
	}
}
