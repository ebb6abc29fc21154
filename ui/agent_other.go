//go:build !js

package ui

// userAgent is empty outside the browser (server-side rendering).
func userAgent() string { return "" }
