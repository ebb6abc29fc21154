package ui

import (
	"errors"
	"fmt"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"strings"
	"sync"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// Backend preferences, the values of a page's "backend" URL parameter
// (defined in play).
const (
	PreferAuto   = play.PreferAuto
	PreferGPU    = play.PreferGPU
	PreferCPU    = play.PreferCPU
	PreferNative = play.PreferNative
)

// BackendParam is the "backend" URL parameter every computing page carries.
var BackendParam = play.BackendParam

// Backend kinds reported in BackendStatus.Kind.
const (
	KindWebGPU = "webgpu"
	KindCPU    = "cpu"
	KindNative = "native" // the otplay server's backend, driven over HTTP
)

// NativeEnv is the go-app environment variable through which `otplay
// serve` tells its pages that they may compute on its backend: "hardware
// <device>" for a GPU, "software <device>" for a CPU backend or a
// software adapter. It is empty on a static export and on a server
// without native compute, and then the pages never try.
const NativeEnv = "OTPLAY_NATIVE"

// autoUsesNative decides backend=auto's choice between the browser and
// the server (native says what the server offers, NativeEnv; "" is
// nothing). The server's device is taken
//   - when it is a hardware GPU ("hardware ...") and the browser has no
//     WebGPU adapter or only a software one (browserFallback);
//   - whatever it is when the browser has no WebGPU adapter at all: the
//     alternative is the wasm's single-threaded float64 CPU backend, and
//     the server's fast CPU backend (cpu32, what otplay serve offers
//     without a GPU) ran an /ot iteration at n = 1000 in 11-28 ms against
//     the wasm CPU's 250-1750 ms (e2e TestNativeTimings).
//
// A software adapter in the browser (SwiftShader: 15-282 ms there) is kept
// when the server has no hardware GPU.
func autoUsesNative(native, browserAdapter string, browserFallback bool) bool {
	switch {
	case native == "":
		return false
	case browserAdapter == "":
		return true
	}
	return browserFallback && strings.HasPrefix(native, "hardware ")
}

// BackendStatus is the backend a page computes with and how it was chosen:
// what the layout's badge shows.
type BackendStatus struct {
	Backend compute.Backend `json:"-"`
	// Kind is KindWebGPU, KindNative or KindCPU.
	Kind string `json:"kind"`
	// Adapter describes the browser's WebGPU adapter when one was found
	// ("google swiftshader (fallback)"), even if the page then computed on
	// the CPU; on KindNative, the server's device.
	Adapter string `json:"adapter,omitempty"`
	// Reason says why the CPU backend is in use (empty on WebGPU).
	Reason string `json:"reason,omitempty"`
	// Open is the time taken to choose and open the backend.
	Open time.Duration `json:"-"`
}

// Badge is the short text of the layout's backend badge: "WebGPU: <adapter>",
// "native: <server's device>" or "CPU (<reason>)".
func (s BackendStatus) Badge() string {
	switch {
	case s.Kind == KindWebGPU:
		return "WebGPU: " + s.Adapter
	case s.Kind == KindNative:
		return "native: " + s.Adapter
	case s.Kind == KindCPU && s.Reason != "":
		return "CPU (" + s.Reason + ")"
	case s.Kind == KindCPU:
		return "CPU"
	}
	return "backend: opening..."
}

// WebGPU is the browser's GPU compute as the browser main opens it: ui
// does not import gpu/ (the arrows of the README's layout); wasm/main.go registers the
// opener with SetWebGPUOpener.
type WebGPU struct {
	Backend  compute.Backend
	Adapter  string // the adapter's name (GPUAdapterInfo's description, else vendor and architecture)
	Fallback bool   // a software adapter (SwiftShader)
	// Lost delivers, once, an error wrapping compute.ErrDeviceLost when
	// the device is lost (the device's lost promise settled); nil when the
	// opener cannot tell.
	Lost <-chan error
}

// ErrNoAdapter is wrapped by a WebGPU opener's error when the browser
// gives no adapter (requestAdapter returned null or failed): the page
// then falls back and says "no WebGPU adapter".
var ErrNoAdapter = errors.New("no WebGPU adapter")

// openWebGPU requests the browser's adapter and device (once per backend
// opened) and returns the GPU backend on them. It is nil until the
// browser main calls SetWebGPUOpener, and in native builds.
var openWebGPU func() (WebGPU, error)

// SetWebGPUOpener registers the function that opens the browser's GPU
// backend (wasm/main.go passes one over compute/webgpu and gpu.Open). Call
// it before the pages compute, from main. open runs on a goroutine and may
// await JavaScript promises; its error wraps ErrNoAdapter when there is
// no adapter.
func SetWebGPUOpener(open func() (WebGPU, error)) { openWebGPU = open }

var backends struct {
	sync.Mutex
	byPref map[string]BackendStatus
}

// OpenBackend returns the backend for a preference (PreferAuto, PreferGPU,
// PreferCPU or PreferNative), opening it on first use and sharing it
// between pages afterwards. PreferNative, and PreferAuto when
// autoUsesNative says so, open a compute/remote session on the server that
// served the page (only where it says it offers one, NativeEnv); the
// session is closed by navigator.sendBeacon when the page goes away, and a
// server that is gone is a lost device (BackendLost: the pages move to the
// CPU and the badge says "native compute stopped (...)"). In the browser it awaits JavaScript promises (the adapter
// request), so call it from a goroutine (ctx.Async), never from an event
// handler or Render. It always returns a usable backend: when WebGPU is
// missing, refused or broken it falls back to the CPU and says why in
// Reason.
func OpenBackend(pref string) BackendStatus {
	backends.Lock()
	defer backends.Unlock()
	if s, ok := backends.byPref[pref]; ok {
		return s
	}
	start := time.Now()
	var s BackendStatus
	switch pref {
	case PreferCPU:
		s = cpuStatus("requested with backend=cpu")
	case PreferGPU:
		s = openBrowserGPU(false)
	case PreferAuto:
		s = openBrowserGPU(true)
	case PreferNative:
		s = openNative()
	default:
		s = cpuStatus(fmt.Sprintf("unknown backend %q", pref))
	}
	s.Open = time.Since(start)
	if backends.byPref == nil {
		backends.byPref = map[string]BackendStatus{}
	}
	backends.byPref[pref] = s
	return s
}

// cpuStatus is the CPU fallback. The wasm has one thread, so one worker.
func cpuStatus(reason string) BackendStatus {
	return BackendStatus{Backend: compute.NewCPU(1), Kind: KindCPU, Reason: reason}
}

// lostBackends maps each GPU backend whose device was lost to the CPU
// status that replaced it.
var lostBackends = map[compute.Backend]BackendStatus{}

// lostListeners are called (from a goroutine) when a backend is lost.
var lostListeners struct {
	sync.Mutex
	next int
	fns  map[int]func(lost compute.Backend, now BackendStatus)
}

// IsDeviceLost reports whether err says the GPU device is gone
// (compute.ErrDeviceLost): the page must switch backends, not just show
// the error.
func IsDeviceLost(err error) bool { return errors.Is(err, compute.ErrDeviceLost) }

// BackendLost records that the device behind b is lost (err says how):
// every preference that computed on b now gets the float64 CPU backend,
// whose Reason (shown by the badge) says why, and the pages listening
// with onBackendLost are told. It returns the CPU status that replaces b;
// calling it again for the same b returns the same status. Call it from a
// goroutine: it may wait for an OpenBackend in progress.
func BackendLost(b compute.Backend, err error) BackendStatus {
	backends.Lock()
	if s, ok := lostBackends[b]; ok {
		backends.Unlock()
		return s
	}
	reason := "the WebGPU device was lost"
	for _, s := range backends.byPref {
		if s.Backend == b && s.Kind == KindNative {
			reason = "native compute stopped"
		}
	}
	if err != nil {
		reason += " (" + strings.TrimPrefix(strings.TrimPrefix(err.Error(), compute.ErrDeviceLost.Error()+": "), "gpu: device lost: ") + ")"
	}
	now := cpuStatus(reason + "; computing on the CPU")
	for pref, s := range backends.byPref {
		if s.Backend == b {
			now.Adapter = s.Adapter
			backends.byPref[pref] = now
		}
	}
	lostBackends[b] = now
	backends.Unlock()

	lostListeners.Lock()
	fns := make([]func(compute.Backend, BackendStatus), 0, len(lostListeners.fns))
	for _, fn := range lostListeners.fns {
		fns = append(fns, fn)
	}
	lostListeners.Unlock()
	for _, fn := range fns {
		fn(b, now)
	}
	return now
}

// onBackendLost calls fn whenever BackendLost replaces a backend (the
// device's lost promise fired, or a page's operation failed with
// compute.ErrDeviceLost); the returned function stops the calls. fn runs
// on a goroutine: a page reaches its state through ctx.Dispatch.
func onBackendLost(fn func(lost compute.Backend, now BackendStatus)) (cancel func()) {
	lostListeners.Lock()
	defer lostListeners.Unlock()
	if lostListeners.fns == nil {
		lostListeners.fns = map[int]func(compute.Backend, BackendStatus){}
	}
	id := lostListeners.next
	lostListeners.next++
	lostListeners.fns[id] = fn
	return func() {
		lostListeners.Lock()
		defer lostListeners.Unlock()
		delete(lostListeners.fns, id)
	}
}

// restartOnLoss subscribes a page to device losses: when the backend that
// current reports is lost, or none is known yet, restart runs on the UI
// goroutine (OpenBackend then gives the CPU backend, whose badge says why).
// It returns the function that ends the subscription.
func restartOnLoss(ctx app.Context, current func() compute.Backend, restart func(app.Context)) (cancel func()) {
	return onBackendLost(func(lost compute.Backend, now BackendStatus) {
		ctx.Dispatch(func(ctx app.Context) {
			if b := current(); b == nil || b == lost {
				restart(ctx)
			}
		})
	})
}
