//go:build js

package main

import (
	"errors"
	"fmt"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/ui"
)

// openWebGPU opens compute/webgpu on the adapter gpu.Open requests (the
// one adapter request of the page: high-performance, the adapter's own
// limits) and hands ui the backend, the adapter's name and a channel that
// reports the device's loss (gpu.Device.LostChan).
func openWebGPU() (ui.WebGPU, error) {
	b, err := webgpu.Open(gpu.Options{})
	if errors.Is(err, gpu.ErrNoAdapter) {
		return ui.WebGPU{}, fmt.Errorf("%w: %v", ui.ErrNoAdapter, err)
	}
	if err != nil {
		return ui.WebGPU{}, err
	}
	dev := b.Device()
	lost := make(chan error, 1)
	go func() {
		<-dev.LostChan()
		lost <- fmt.Errorf("%w: %v", compute.ErrDeviceLost, dev.Lost())
	}()
	info := dev.Info()
	return ui.WebGPU{Backend: b, Adapter: info.Adapter, Fallback: info.Fallback, Lost: lost}, nil
}
