//go:build !js

package ui

// installKeyboard is browser-only.
func installKeyboard() {}
