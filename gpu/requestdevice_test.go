//go:build !js

package gpu

import (
	"os"
	"runtime"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
)

// The limits a device is asked for hold no heap garbage: the binding reads
// the adapter's push-constant limit from malloc'd memory that nothing
// fills, and open passed it back as a required limit, which failed the
// request whenever the garbage exceeded the adapter's maximum. The test
// fills malloc's free lists for that 24-byte struct with 0x7f bytes on
// this thread right before reading the limits. Before deviceLimits cleared
// the value it returned 0x7f7f7f7f here, and a device request with it
// failed.
func TestDeviceLimitsDirtyHeap(t *testing.T) {
	inst, err := nativeInstance()
	var adapter *wgpu.Adapter
	if err == nil {
		adapter, err = inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	}
	if err != nil || adapter == nil {
		if os.Getenv("OTPLAY_REQUIRE_GPU") == "1" {
			t.Fatalf("no adapter: %v (OTPLAY_REQUIRE_GPU=1)", err)
		}
		t.Skipf("no WebGPU adapter here: %v", err)
	}
	defer adapter.Release()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fillMalloc(24, 16, 0x7f) // sizeof(WGPUSupportedLimitsExtras)
	raw := adapter.GetLimits().Limits.MaxPushConstantSize
	fillMalloc(24, 16, 0x7f)
	l := deviceLimits(adapter)
	t.Logf("the binding's MaxPushConstantSize over a heap of 0x7f bytes: %#x", raw)
	if l.MaxPushConstantSize != 0 {
		t.Errorf("deviceLimits: MaxPushConstantSize = %#x, want 0 (heap garbage read by the binding)", l.MaxPushConstantSize)
	}
	if l.MaxStorageBufferBindingSize < 128<<20 || l.MaxComputeWorkgroupsPerDimension < 65535 {
		t.Errorf("deviceLimits lost the adapter's limits: %+v", l)
	}
	// The process's device opens (with these limits).
	if _, err := Open(Options{}); err != nil {
		t.Errorf("Open: %v", err)
	}
}
