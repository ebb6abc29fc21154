//go:build js

package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
)

// openBrowserGPU asks navigator.gpu for an adapter, describes it, and opens
// the GPU backend on it; on any failure it returns the CPU backend and the
// reason. For backend=auto (auto set) it takes the otplay server's
// backend instead where autoUsesNative says so: no adapter in the browser,
// or only a software one while the server has a hardware GPU.
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
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return orNative("this browser has no WebGPU (navigator.gpu is undefined)")
	}
	adapter, err := awaitPromise(gpu.Call("requestAdapter"), 20*time.Second)
	if err != nil {
		return orNative("requestAdapter failed: " + err.Error())
	}
	if !adapter.Truthy() {
		return orNative("no WebGPU adapter (requestAdapter returned null)")
	}
	name := describeAdapter(adapter)
	if auto && autoUsesNative(native, name, strings.HasSuffix(name, fallbackMark)) {
		if s := openNative(); s.Kind == KindNative {
			return s
		}
	}
	s := withGPUBackend(name)
	if s.Kind == KindWebGPU {
		watchDeviceLost(s.Backend)
	}
	return s
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

// watchDeviceLost switches the pages to the CPU when the device's lost
// promise fires (gpu.Open has just put the device on
// window.otplayGPUDevice), before any operation has to fail.
func watchDeviceLost(b compute.Backend) {
	dev := js.Global().Get("otplayGPUDevice")
	if !dev.Truthy() || !dev.Get("lost").Truthy() {
		return
	}
	var onLost js.Func
	onLost = js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "lost"
		if len(args) > 0 && args[0].Truthy() {
			info := args[0]
			msg = strings.TrimSpace(jsString(info.Get("reason")) + ": " + jsString(info.Get("message")))
			msg = strings.TrimSuffix(strings.TrimPrefix(msg, ": "), ":")
		}
		onLost.Release()
		go BackendLost(b, fmt.Errorf("%w: %s", compute.ErrDeviceLost, msg))
		return nil
	})
	dev.Get("lost").Call("then", onLost)
}

func jsString(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// fallbackMark ends the name of a software adapter.
const fallbackMark = " (fallback)"

// describeAdapter names an adapter from its GPUAdapterInfo: the
// description if the browser gives one, else vendor and architecture,
// marked "(fallback)" for a software adapter such as SwiftShader.
func describeAdapter(adapter js.Value) string {
	info := adapter.Get("info")
	str := func(v js.Value, k string) string {
		if !v.Truthy() {
			return ""
		}
		if s := v.Get(k); s.Type() == js.TypeString {
			return s.String()
		}
		return ""
	}
	name := str(info, "description")
	if name == "" {
		name = strings.TrimSpace(str(info, "vendor") + " " + str(info, "architecture"))
	}
	if name == "" {
		name = "unnamed adapter"
	}
	fallback := adapter.Get("isFallbackAdapter").Truthy() || (info.Truthy() && info.Get("isFallbackAdapter").Truthy())
	if fallback {
		name += fallbackMark
	}
	return name
}

// awaitPromise waits for a JavaScript promise from a goroutine. It must not
// run on a js.FuncOf callback: the callbacks that resolve it need the
// single wasm thread.
func awaitPromise(p js.Value, timeout time.Duration) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onOK := js.FuncOf(func(this js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	onErr := js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case s := <-ch:
		onOK.Release()
		onErr.Release()
		return s.v, s.err
	case <-time.After(timeout):
		// The callbacks stay alive: the promise may still settle.
		return js.Undefined(), fmt.Errorf("no answer in %v", timeout)
	}
}
