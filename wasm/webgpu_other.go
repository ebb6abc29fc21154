//go:build !js

package main

import "github.com/otplay/otplay/ui"

// openWebGPU outside a browser: main exits before it is registered.
func openWebGPU() (ui.WebGPU, error) { return ui.WebGPU{}, ui.ErrNoAdapter }
