//go:build js

package ui

import (
	"net/url"
	"syscall/js"
)

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
	refreshEmbedView()
	parent := w.Get("parent")
	post := func(typ string) {
		if !parent.Truthy() || parent.Equal(w) {
			return
		}
		msg := w.Get("Object").New()
		msg.Set("type", typ)
		msg.Set("page", page)
		msg.Set("result", obj)
		if typ == MsgError {
			msg.Set("error", obj.Get("error"))
		}
		parent.Call("postMessage", msg, "*")
	}
	post(MsgResult)
	// The events, once each where once makes sense: per URL (a set
	// message navigates, and the new state is a new run).
	href := w.Get("location").Get("href").String()
	ev := &publishEvents
	if ev.href != href {
		*ev = publishState{href: href}
	}
	errText := ""
	if e := obj.Get("error"); e.Type() == js.TypeString {
		errText = e.String()
	}
	switch {
	case errText != "":
		if errText != ev.err {
			ev.err = errText
			post(MsgError)
		}
		return
	case !ev.ready:
		ev.ready = true
		post(MsgReady)
		if u, err := url.Parse(href); err == nil && IsEmbed(u) && isTrue(u.Query().Get(ParamAutoplay)) {
			if b := w.Get("document").Call("getElementById", "play"); b.Truthy() && !b.Get("disabled").Truthy() {
				b.Call("click")
			}
		}
	default:
		post(MsgStep)
	}
	if !ev.converged && (obj.Get("converged").Truthy() || obj.Get("phase").Truthy() && obj.Get("phase").String() == "finished") {
		ev.converged = true
		post(MsgConverged)
	}
}

// publishState is what the events have said for the current URL.
type publishState struct {
	href      string
	ready     bool
	converged bool
	err       string
}

var publishEvents publishState

func isTrue(v string) bool { return v == "1" || v == "true" || v == "yes" }
