//go:build !js

package ui

// openBrowserGPU outside a browser: there is no navigator.gpu. (The native
// GPU is the server's business, not the UI's.)
func openBrowserGPU(auto bool) BackendStatus {
	return cpuStatus("not running in a browser")
}

// openNative outside a browser: there is no page whose server to ask.
func openNative() BackendStatus {
	return cpuStatus("native compute is for pages served by otplay serve")
}
