//go:build !js

package ui

// installMessageAPI is browser-only.
func installMessageAPI() {}
