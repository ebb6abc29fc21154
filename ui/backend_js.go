//go:build js

package ui

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute/remote"
	"github.com/otplay/otplay/play"
)

// The page models' long setups yield to the browser after each progress
// report, so that it repaints the progress line (play.Yield).
func init() {
	play.Yield = func() { time.Sleep(time.Millisecond) }
}

// openBrowserGPU opens the GPU backend through the browser main's opener
// (SetWebGPUOpener: one adapter request, gpu.Open's) and watches its
// device for loss; on any failure it returns the CPU backend and the
// reason. For backend=auto (auto set) it takes the otplay server's
// backend instead where autoUsesNative says so: no adapter in the browser,
// or only a software one while the server has a hardware GPU (the GPU
// device just opened is then closed).
func openBrowserGPU(auto bool) BackendStatus {
	native := app.Getenv(NativeEnv)
	// orNative is the answer when the browser has no adapter (why says
	// why): the server's backend when auto may take it, else the CPU.
	orNative := func(why string) BackendStatus {
		if !auto || !autoUsesNative(native, "", false) {
			return cpuStatus(why)
		}
		s := openNative()
		if s.Kind != KindNative {
			s.Reason = why + "; " + s.Reason
		}
		return s
	}
	if !js.Global().Get("navigator").Get("gpu").Truthy() {
		return orNative("this browser has no WebGPU (navigator.gpu is undefined)")
	}
	if openWebGPU == nil {
		return cpuStatus("this build has no GPU backend (the browser main registers none)")
	}
	w, err := openWebGPU()
	switch {
	case errors.Is(err, ErrNoAdapter):
		why := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrNoAdapter.Error()), ": ")
		return orNative(strings.TrimSuffix(ErrNoAdapter.Error()+" ("+why+")", " ()"))
	case err != nil:
		return cpuStatus("opening the WebGPU device failed: " + err.Error())
	}
	name := w.Adapter
	if w.Fallback {
		name += fallbackMark
	}
	if auto && autoUsesNative(native, name, w.Fallback) {
		if s := openNative(); s.Kind == KindNative {
			w.Backend.Close()
			return s
		}
	}
	if w.Lost != nil {
		go func() { BackendLost(w.Backend, <-w.Lost) }()
	}
	return BackendStatus{Backend: w.Backend, Kind: KindWebGPU, Adapter: name}
}

// openNative opens a compute/remote session on the server that served the
// page (its origin, under the site's base) when the server says it offers
// one (NativeEnv), and closes the session with navigator.sendBeacon when
// the page goes away. It returns the CPU backend and the reason when it
// cannot.
func openNative() BackendStatus {
	if app.Getenv(NativeEnv) == "" {
		return cpuStatus("this page's server offers no native compute (a static site, or otplay serve --native=false)")
	}
	origin := js.Global().Get("location").Get("origin").String()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := remote.Open(ctx, origin+siteBase(), remote.Options{})
	if err != nil {
		return cpuStatus("native compute unavailable: " + err.Error())
	}
	onHide := js.FuncOf(func(this js.Value, args []js.Value) any {
		js.Global().Get("navigator").Call("sendBeacon", b.CloseURL(), b.Session().Token)
		return nil
	})
	js.Global().Call("addEventListener", "pagehide", onHide)
	return BackendStatus{Backend: b, Kind: KindNative, Adapter: b.Info().Device}
}

// fallbackMark ends the name of a software adapter.
const fallbackMark = " (fallback)"
