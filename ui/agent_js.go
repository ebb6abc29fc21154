//go:build js

package ui

import "syscall/js"

// userAgent is the browser's navigator.userAgent.
func userAgent() string {
	if n := js.Global().Get("navigator"); n.Truthy() {
		return n.Get("userAgent").String()
	}
	return ""
}
