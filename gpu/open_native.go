//go:build !js

package gpu

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cogentcore/webgpu/wgpu"
)

// Options select the native adapter.
type Options struct {
	// Fallback asks for a software adapter (lavapipe) even where a GPU exists.
	Fallback bool
}

// Open returns the process's WebGPU device, opening it on first use: the
// best adapter of a Vulkan-only instance on Linux (so a missing Vulkan
// driver gives ErrNoAdapter instead of the abort an all-backends instance
// can cause), the platform's primary APIs elsewhere. The device is created
// with the adapter's own limits, so large GPUs get their full
// storage-buffer size.
//
// One device serves the whole process (wgpu-native 0.19, inside the
// binding, mixes up resources when a process holds several devices, and
// opening one is the slowest step anyway): later calls return the same
// Device, and Close only flushes it. After a device loss the next Open
// opens a fresh one.
func Open(opts Options) (*Device, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	key := opts
	if d := shared[key]; d != nil && d.Lost() == nil {
		return d, nil
	}
	d, err := open(opts)
	if err != nil {
		return nil, err
	}
	shared[key] = d
	return d, nil
}

var (
	sharedMu sync.Mutex
	shared   = map[Options]*Device{}
)

func open(opts Options) (*Device, error) {
	inst, err := nativeInstance()
	if err != nil {
		return nil, err
	}
	adapter, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{
		PowerPreference:      wgpu.PowerPreferenceHighPerformance,
		ForceFallbackAdapter: opts.Fallback,
	})
	if err != nil || adapter == nil {
		hint := ""
		if runtime.GOOS == "linux" {
			hint = " (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers for the lavapipe CPU driver)"
		}
		return nil, fmt.Errorf("%w: %v%s", ErrNoAdapter, err, hint)
	}
	info := adapterInfo(adapter)
	limits := deviceLimits(adapter)
	// No DeviceLostCallback: the binding (v0.23.0) passes a Go pointer to C
	// for it, which cgo's pointer check rejects. Loss is detected instead
	// from the status of buffer maps (see mapRead).
	dev, err := retry(openAttempts, openBackoff, time.Sleep, func() (*wgpu.Device, error) {
		dev, err := adapter.RequestDevice(&wgpu.DeviceDescriptor{
			Label:          "otplay",
			RequiredLimits: &wgpu.RequiredLimits{Limits: limits},
		})
		if err == nil && dev == nil {
			err = errors.New("no device returned")
		}
		return dev, err
	})
	if err != nil {
		adapter.Release()
		return nil, fmt.Errorf("%w: request device on %s: %v", ErrNoAdapter, info.Adapter, err)
	}
	info.Limits = limitsFrom(dev.GetLimits().Limits)
	d := newDevice(info, dev)
	d.keepOpen = true
	return d, nil
}

// deviceLimits returns the limits a device on adapter is asked for: the
// adapter's own (so large GPUs get their full storage-buffer size), less
// push constants.
//
// cogentcore/webgpu v0.23.0 reads MaxPushConstantSize from a malloc'd
// WGPUSupportedLimitsExtras whose chain header it leaves uninitialised,
// so wgpu-native does not recognise it and never fills it: the value is
// heap garbage (1, 0, or 5001984 in 30 opens here). Passed back as a
// required limit, garbage over the adapter's maximum failed the device
// request on every retry: that was the "request device" failure seen in
// about 1 in 10 opens under load (and once in ~30 on the H100). otplay
// uses no push constants, so it requires none (TestDeviceLimitsDirtyHeap).
func deviceLimits(adapter *wgpu.Adapter) wgpu.Limits {
	limits := adapter.GetLimits().Limits
	limits.MaxPushConstantSize = 0
	return limits
}

// adapterInfo describes an adapter (Limits stay zero until a device is
// opened). wgpu-native puts the adapter's name in the description field
// and a hex device id ("0x0" on lavapipe) in the name field.
func adapterInfo(adapter *wgpu.Adapter) Info {
	ai := adapter.GetInfo()
	name := ai.DriverDescription
	if name == "" {
		name = ai.Name
	}
	info := Info{
		Adapter:  name,
		Vendor:   ai.VendorName,
		Backend:  backendName(ai.BackendType),
		Type:     adapterType(ai.AdapterType),
		Driver:   ai.Architecture,
		Features: featureNames(adapter.EnumerateFeatures()),
	}
	info.Fallback = ai.AdapterType == wgpu.AdapterTypeCPU || softwareName(name)
	return info
}

// Adapters lists this machine's WebGPU adapters, natively, without opening
// a device: the same instance Open uses (Vulkan only on Linux), so listing
// never aborts the process. Each Info has its name, API, type and
// features, and Fallback set for software adapters; Limits are zero.
func Adapters() ([]Info, error) {
	inst, err := nativeInstance()
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, a := range inst.EnumerateAdapters(nil) {
		out = append(out, adapterInfo(a))
		a.Release()
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the WebGPU instance lists no adapter", ErrNoAdapter)
	}
	return out, nil
}

// nativeInstance returns the process's instance: Vulkan only on Linux (a
// missing driver gives ErrNoAdapter instead of the abort an all-backends
// instance can cause), the platform's primary APIs elsewhere.
func nativeInstance() (*wgpu.Instance, error) {
	quiet()
	backends := wgpu.InstanceBackendPrimary
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		backends = wgpu.InstanceBackendVulkan
	}
	return instance(backends)
}

var quietOnce bool

// quiet turns wgpu-native's logging off (OTPLAY_WGPU_LOG=error, warn,
// info or debug turns it on, to stderr) and gives the Vulkan loader a
// private runtime dir when none is set (it warns on stderr otherwise).
func quiet() {
	if quietOnce {
		return
	}
	quietOnce = true
	level := wgpu.LogLevelOff
	switch os.Getenv("OTPLAY_WGPU_LOG") {
	case "error":
		level = wgpu.LogLevelError
	case "warn":
		level = wgpu.LogLevelWarn
	case "info":
		level = wgpu.LogLevelInfo
	case "debug":
		level = wgpu.LogLevelDebug
	}
	wgpu.SetLogLevel(level)
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		dir, err := os.MkdirTemp("", "otplay-xdg-")
		if err == nil {
			os.Chmod(dir, 0o700)
			os.Setenv("XDG_RUNTIME_DIR", dir)
		}
	}
}

func backendName(b wgpu.BackendType) string {
	switch b {
	case wgpu.BackendTypeVulkan:
		return "Vulkan"
	case wgpu.BackendTypeMetal:
		return "Metal"
	case wgpu.BackendTypeD3D12:
		return "D3D12"
	case wgpu.BackendTypeD3D11:
		return "D3D11"
	case wgpu.BackendTypeOpenGL, wgpu.BackendTypeOpenGLES:
		return "OpenGL"
	}
	return strings.ToLower(b.String())
}

func adapterType(t wgpu.AdapterType) string {
	switch t {
	case wgpu.AdapterTypeDiscreteGPU:
		return "discrete GPU"
	case wgpu.AdapterTypeIntegratedGPU:
		return "integrated GPU"
	case wgpu.AdapterTypeCPU:
		return "CPU"
	}
	return "unknown"
}

// mapRead maps a staging buffer and copies its contents out.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) ([]byte, error) {
	var status wgpu.BufferMapAsyncStatus
	done := false
	if err := b.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) { status, done = s, true }); err != nil {
		return nil, fmt.Errorf("gpu: map: %w", err)
	}
	if err := d.poll(func(bool) bool { return done }); err != nil {
		return nil, err
	}
	if status == wgpu.BufferMapAsyncStatusDeviceLost {
		d.markLost("buffer map reported the device lost")
	}
	if status != wgpu.BufferMapAsyncStatusSuccess {
		if err := d.Lost(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("gpu: map failed: %v", status)
	}
	out := append([]byte(nil), b.GetMappedRange(0, uint(size))...)
	b.Unmap()
	return out, nil
}

func (d *Device) waitIdle() error {
	return d.poll(func(queueEmpty bool) bool { return queueEmpty })
}

// poll drives the device until done(queueEmpty) holds, without ever
// blocking inside wgpu-native. wgpu-native 0.19's blocking poll
// (wgpuDevicePoll with wait) waits at most 5 s (wgpu-core's
// CLEANUP_WAIT_MS) and then treats the submission as finished though it is
// still running (gfx-rs/wgpu#3601, #4589; fixed upstream in 2025 by
// gfx-rs/wgpu#7030): it fires buffer-map callbacks before the copy into the
// buffer has run, and frees or resets the submission's command buffers and
// resources. lavapipe's queue thread, still executing that command buffer,
// then read freed memory and died by SIGSEGV ("Unsupported command" with a
// garbage type); a submission of over 5 s is common on lavapipe under load.
// A non-blocking poll asks the real fence value instead. Between polls it
// yields (for the first pollSpin of a wait on a hardware adapter,
// pollSpinSoftware on a CPU one, whose threads need the cores), then
// sleeps a sixteenth of the time waited so far, within [pollSleepMin,
// pollSleepMax]: a short wait costs microseconds, a long one notices its
// end at most ~6% (or pollSleepMax) late and takes little CPU time.
func (d *Device) poll(done func(queueEmpty bool) bool) error {
	spin := pollSpin
	if d.info.Fallback {
		spin = pollSpinSoftware
	}
	if pollSpinEnv > 0 {
		spin = pollSpinEnv
	}
	start := time.Now()
	for {
		empty := d.dev.Poll(false, nil)
		if done(empty) {
			return d.Lost()
		}
		if err := d.Lost(); err != nil {
			return err
		}
		waited := time.Since(start)
		if waited < spin {
			runtime.Gosched()
			continue
		}
		time.Sleep(min(max(waited/16, pollSleepMin), pollSleepMax))
	}
}

// pollSpinEnv overrides the yield-and-poll time of poll on every adapter:
// OTPLAY_POLL_SPIN, a Go duration ("20ms"), for measuring what the
// back-off costs a timing (a batch that ends during the sleeps is noticed
// up to ~6% or pollSleepMax late).
var pollSpinEnv, _ = time.ParseDuration(os.Getenv("OTPLAY_POLL_SPIN"))

// The back-off of poll.
const (
	pollSpin         = 2 * time.Millisecond   // yield-and-poll time on a hardware adapter
	pollSpinSoftware = 100 * time.Microsecond // the same on a CPU adapter
	pollSleepMin     = 20 * time.Microsecond
	pollSleepMax     = time.Millisecond
)
