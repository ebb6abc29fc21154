//go:build js

package ui

import "syscall/js"

// publishResult makes a page's result readable from outside the wasm:
// window.otplayResult holds it (tests and scripts poll it), an
// "otplay:result" event carries it on window, and an embedded page posts
// {type: "otplay:result", page, result} to its parent.
func publishResult(page string, v any) {
	text, err := resultJSON(v)
	if err != nil {
		text, _ = resultJSON(map[string]any{"page": page, "done": true, "error": "encoding the result: " + err.Error()})
	}
	w := js.Global()
	obj := w.Get("JSON").Call("parse", text)
	w.Set("otplayResult", obj)
	detail := map[string]any{"detail": obj}
	w.Call("dispatchEvent", w.Get("CustomEvent").New("otplay:result", detail))
	if parent := w.Get("parent"); parent.Truthy() && !parent.Equal(w) {
		msg := w.Get("Object").New()
		msg.Set("type", "otplay:result")
		msg.Set("page", page)
		msg.Set("result", obj)
		parent.Call("postMessage", msg, "*")
	}
}
