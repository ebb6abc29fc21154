//go:build js

package gpu

import (
	"fmt"
	"syscall/js"

	"github.com/cogentcore/webgpu/jsx"
	"github.com/cogentcore/webgpu/wgpu"
	"github.com/hack-pad/safejs"
)

// Options select the adapter (ignored in the browser but for Fallback).
type Options struct {
	// Fallback asks the browser for its software adapter.
	Fallback bool
}

// Open requests the browser's WebGPU adapter and device through
// navigator.gpu. It must not run on a js.FuncOf callback (it awaits
// promises): call it from main or a goroutine. The device is created with
// the adapter's maxStorageBufferBindingSize and maxBufferSize, and a
// device.lost handler marks the Device lost.
func Open(opts Options) (d *Device, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%w: %v", ErrNoAdapter, r)
		}
	}()
	// The probing calls go through safejs, which turns a JavaScript
	// exception (a browser without WebGPU, an insecure context, a blocked
	// feature) into an error instead of a Go panic.
	gpu, err := jsProperty(safejs.Global(), "navigator", "gpu")
	if err != nil {
		return nil, fmt.Errorf("%w: navigator.gpu is missing (this browser has no WebGPU, or the page is not a secure context): %v", ErrNoAdapter, err)
	}
	ropts := map[string]any{"powerPreference": "high-performance"}
	if opts.Fallback {
		ropts["forceFallbackAdapter"] = true
	}
	promise, err := gpu.Call("requestAdapter", ropts)
	if err != nil {
		return nil, fmt.Errorf("%w: requestAdapter threw: %v", ErrNoAdapter, err)
	}
	adapter, ok := jsx.Await(safejs.Unsafe(promise))
	if !ok || !adapter.Truthy() {
		return nil, fmt.Errorf("%w: requestAdapter returned no adapter", ErrNoAdapter)
	}
	al := adapter.Get("limits")
	want := map[string]any{
		"maxStorageBufferBindingSize":     al.Get("maxStorageBufferBindingSize"),
		"maxBufferSize":                   al.Get("maxBufferSize"),
		"maxComputeWorkgroupStorageSize":  al.Get("maxComputeWorkgroupStorageSize"),
		"maxStorageBuffersPerShaderStage": al.Get("maxStorageBuffersPerShaderStage"),
	}
	jdev, ok := jsx.Await(adapter.Call("requestDevice", map[string]any{"requiredLimits": want}))
	if !ok || !jdev.Truthy() {
		return nil, fmt.Errorf("%w: requestDevice failed", ErrNoAdapter)
	}
	info := Info{Backend: "WebGPU (browser)"}
	if ai := adapter.Get("info"); ai.Truthy() {
		info.Vendor = str(ai.Get("vendor"))
		info.Adapter = str(ai.Get("description"))
		if info.Adapter == "" {
			info.Adapter = joinNonEmpty(info.Vendor, str(ai.Get("architecture")), str(ai.Get("device")))
		}
		if f := ai.Get("isFallbackAdapter"); f.Type() == js.TypeBoolean {
			info.Fallback = f.Bool()
		}
	}
	if f := adapter.Get("isFallbackAdapter"); f.Type() == js.TypeBoolean && f.Bool() {
		info.Fallback = true
	}
	if info.Adapter == "" {
		info.Adapter = "WebGPU adapter"
	}
	if info.Fallback {
		info.Type = "CPU"
	}
	adapter.Get("features").Call("forEach", js.FuncOf(func(this js.Value, args []js.Value) any {
		info.Features = append(info.Features, args[0].String())
		return nil
	}))
	dl := jdev.Get("limits")
	info.Limits = Limits{
		MaxStorageBufferBindingSize: uint64(dl.Get("maxStorageBufferBindingSize").Float()),
		MaxBufferSize:               uint64(dl.Get("maxBufferSize").Float()),
		MaxComputeWorkgroupsPerDim:  uint32(dl.Get("maxComputeWorkgroupsPerDimension").Int()),
		MaxWorkgroupStorageSize:     uint32(dl.Get("maxComputeWorkgroupStorageSize").Int()),
		MaxInvocationsPerWorkgroup:  uint32(dl.Get("maxComputeInvocationsPerWorkgroup").Int()),
		MaxStorageBuffersPerStage:   uint32(dl.Get("maxStorageBuffersPerShaderStage").Int()),
	}
	wd := wgpu.NewDevice(jdev)
	d = newDevice(info, &wd)
	d.js = jdev
	lost := js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "device lost"
		if len(args) > 0 && args[0].Truthy() {
			msg = fmt.Sprintf("%s: %s", str(args[0].Get("reason")), str(args[0].Get("message")))
		}
		d.markLost(msg)
		return nil
	})
	jdev.Get("lost").Call("then", lost)
	// Exposed so a page's tests (and curious users in the console) can
	// inspect the device or simulate a loss with otplayGPUDevice.destroy().
	js.Global().Set("otplayGPUDevice", jdev)
	return d, nil
}

// jsProperty follows a chain of properties from v, failing on a throw or
// on a missing (null, undefined or false) link.
func jsProperty(v safejs.Value, path ...string) (safejs.Value, error) {
	for _, p := range path {
		next, err := v.Get(p)
		if err != nil {
			return safejs.Undefined(), err
		}
		if ok, err := next.Truthy(); err != nil || !ok {
			return safejs.Undefined(), fmt.Errorf("%s is missing", p)
		}
		v = next
	}
	return v, nil
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func joinNonEmpty(parts ...string) string {
	s := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if s != "" {
			s += " "
		}
		s += p
	}
	return s
}

// guard runs create inside a validation error scope, so an invalid shader
// or pipeline becomes an error instead of a console message.
func (d *Device) guard(create func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	d.js.Call("pushErrorScope", "validation")
	create()
	e, ok := jsx.Await(d.js.Call("popErrorScope"))
	if ok && e.Truthy() {
		return fmt.Errorf("%s", str(e.Get("message")))
	}
	return nil
}

// mapRead maps a staging buffer (awaiting the promise) and copies it out.
func (d *Device) mapRead(b *wgpu.Buffer, size uint64) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			if lerr := d.Lost(); lerr != nil {
				err = lerr
			} else {
				err = fmt.Errorf("gpu: map failed: %v", r)
			}
		}
	}()
	b.MapAsync(wgpu.MapModeRead, 0, size, func(wgpu.BufferMapAsyncStatus) {})
	if err := d.Lost(); err != nil {
		return nil, err
	}
	out = b.GetMappedRange(0, uint(size))
	b.Unmap()
	return out, nil
}

func (d *Device) waitIdle() error {
	d.queue.OnSubmittedWorkDone(func(wgpu.QueueWorkDoneStatus) {})
	return d.Lost()
}
