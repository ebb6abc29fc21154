//go:build !js

package ui

// openBrowserGPU outside a browser: there is no navigator.gpu. (The native
// GPU is the server's business, not the UI's.)
func openBrowserGPU() BackendStatus {
	return cpuStatus("not running in a browser")
}
