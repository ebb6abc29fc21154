package ui

import "strings"

// webGPUMissing reports whether a CPU status is a fallback the reader did
// not ask for (backend=cpu is a choice, not a problem to explain).
func webGPUMissing(s BackendStatus) bool {
	return s.Kind == KindCPU && !strings.HasPrefix(s.Reason, "requested")
}

// WebGPUAdvice says in plain words, for the browser that userAgent names,
// what is happening when a page gets no WebGPU and what the reader can do.
// Every answer ends with the native way out: `otplay serve` computes on
// this machine's GPU through wgpu whatever the browser.
func WebGPUAdvice(userAgent string) string {
	const what = "The page still works: it computes on your CPU, one thread, which is slower for large problems. "
	const native = " Or run `otplay serve` on your computer: its pages can compute natively on that machine's GPU (backend=native), whatever the browser."
	ua := strings.ToLower(userAgent)
	var how string
	switch {
	case strings.Contains(ua, "firefox"):
		how = "Firefox ships WebGPU on Windows from version 141; elsewhere it is behind a flag: open about:config and set dom.webgpu.enabled to true, or use Firefox Nightly."
	case strings.Contains(ua, "edg/"):
		how = "Edge has WebGPU from version 113: update Edge, and check that Settings > System > \"Use graphics acceleration when available\" is on (edge://gpu lists WebGPU's status)."
	case (strings.Contains(ua, "chrome") || strings.Contains(ua, "chromium")) && strings.Contains(ua, "linux") && !strings.Contains(ua, "android"):
		how = "Chrome and Chromium on Linux keep WebGPU behind a flag: start the browser with --enable-unsafe-webgpu --enable-features=Vulkan (chrome://flags: \"Unsafe WebGPU Support\"), with a Vulkan driver installed (mesa-vulkan-drivers); chrome://gpu shows WebGPU's status."
	case strings.Contains(ua, "chrome") || strings.Contains(ua, "chromium") || strings.Contains(ua, "crios"):
		how = "Chrome has WebGPU from version 113 (Android 121): update Chrome, and check that Settings > System > \"Use graphics acceleration when available\" is on; chrome://gpu shows WebGPU's status, and some older GPUs are blocked."
	case strings.Contains(ua, "safari") || strings.Contains(ua, "applewebkit"):
		how = "Safari has WebGPU from Safari 26 (macOS Tahoe, iOS 26); on older systems use Safari Technology Preview, or turn on Develop > Feature Flags > WebGPU."
	default:
		how = "This browser did not offer WebGPU. Recent Chrome and Edge (113 or later), Safari 26 and Firefox 141 on Windows have it."
	}
	return what + how + native
}
