//go:build js

package ui

import (
	"fmt"
	"net/url"
	"syscall/js"
)

// installMessageAPI listens for otplay:set and otplay:get messages (from
// an embedding page, or any window that holds a reference to this one)
// and answers on the sender's window. The handler never blocks: a state
// change is a navigation through go-app's goappNav, which dispatches to
// the UI goroutine.
func installMessageAPI() {
	w := js.Global()
	handler := js.FuncOf(func(this js.Value, args []js.Value) any {
		ev := args[0]
		d := ev.Get("data")
		if d.Type() != js.TypeObject || d.Get("type").Type() != js.TypeString {
			return nil
		}
		loc := w.Get("location")
		path := loc.Get("pathname").String()
		page := path
		if p, ok := Lookup(path); ok {
			page = p.Path // "/ot" for "/embed/ot", as in result messages
		}
		reply := func(msg map[string]any) {
			if src := ev.Get("source"); src.Truthy() {
				msg["page"] = page
				src.Call("postMessage", msg, "*")
			}
		}
		typ := d.Get("type").String()
		if id := ActionButton(typ); id != "" {
			b := w.Get("document").Call("getElementById", id)
			switch {
			case !b.Truthy():
				reply(map[string]any{"type": MsgError, "error": typ + ": this page has no " + id + " button"})
			case b.Get("disabled").Truthy():
				reply(map[string]any{"type": MsgError, "error": typ + ": " + id + " is not available now (the page is opening, playing or finished)"})
			default:
				b.Call("click")
			}
			return nil
		}
		switch typ {
		case MsgGet:
			reply(map[string]any{"type": MsgResult, "result": w.Get("otplayResult")})
		case MsgSet:
			values, err := messageValues(d)
			if err == nil {
				var target string
				target, err = ApplyState(path, loc.Get("search").String(), values, d.Get("replace").Truthy())
				if err == nil {
					w.Call("goappNav", target)
					return nil
				}
			}
			reply(map[string]any{"type": MsgError, "error": err.Error()})
		}
		return nil
	})
	w.Call("addEventListener", "message", handler)
	installEmbedView()
	installHeightReport()
}

// installEmbedView applies the view=<id> parameter: a style element that
// hides every view of an embedded page but the chosen one (and the stats
// and exports beside it). It is refreshed on every published result and
// on history changes, since a set message navigates within the page.
func installEmbedView() {
	w := js.Global()
	doc := w.Get("document")
	style := doc.Call("createElement", "style")
	style.Set("id", "otplay-view-style")
	doc.Get("head").Call("appendChild", style)
	refreshEmbedView = func() {
		u, err := url.Parse(w.Get("location").Get("href").String())
		css := ""
		if err == nil && IsEmbed(u) {
			if v := u.Query().Get(ParamView); ValidViewID(v) {
				css = `.otplay-embed [data-view]:not([data-view="` + v + `"]), .otplay-embed .otplay-side, .otplay-embed .otplay-export, .otplay-embed .otplay-controls.otplay-export, .otplay-embed .otplay-timings { display: none !important; }`
			}
		}
		if style.Get("textContent").String() != css {
			style.Set("textContent", css)
		}
	}
	refreshEmbedView()
	w.Call("addEventListener", "popstate", js.FuncOf(func(js.Value, []js.Value) any { refreshEmbedView(); return nil }))
}

var refreshEmbedView = func() {}

// installHeightReport posts {type: "otplay:height", height} to the parent
// whenever the embedded view's content height changes (a ResizeObserver on
// the page frame), so the parent can size the iframe to fit.
func installHeightReport() {
	w := js.Global()
	parent := w.Get("parent")
	if !parent.Truthy() || parent.Equal(w) || !w.Get("ResizeObserver").Truthy() {
		return
	}
	last := -1
	report := js.FuncOf(func(js.Value, []js.Value) any {
		doc := w.Get("document")
		h := doc.Get("body").Get("scrollHeight").Int()
		if page := doc.Call("querySelector", ".otplay-page"); page.Truthy() {
			h = int(page.Call("getBoundingClientRect").Get("height").Float() + 0.999)
		}
		if h != last && h > 0 {
			last = h
			msg := w.Get("Object").New()
			msg.Set("type", MsgHeight)
			msg.Set("height", h)
			msg.Set("page", w.Get("location").Get("pathname").String())
			parent.Call("postMessage", msg, "*")
		}
		return nil
	})
	ro := w.Get("ResizeObserver").New(report)
	ro.Call("observe", w.Get("document").Get("body"))
	report.Invoke()
}

// messageValues reads the state of an otplay:set message: "query" (a query
// string) or "state" (an object of strings, numbers or booleans).
func messageValues(d js.Value) (url.Values, error) {
	if q := d.Get("query"); q.Type() == js.TypeString {
		v, err := url.ParseQuery(q.String())
		if err != nil {
			return nil, fmt.Errorf("bad query: %v", err)
		}
		return v, nil
	}
	st := d.Get("state")
	if st.Type() != js.TypeObject {
		return nil, fmt.Errorf("%s needs a state object or a query string", MsgSet)
	}
	keys := js.Global().Get("Object").Call("keys", st)
	v := url.Values{}
	for i := 0; i < keys.Length(); i++ {
		k := keys.Index(i).String()
		x := st.Get(k)
		switch x.Type() {
		case js.TypeString:
			v.Set(k, x.String())
		case js.TypeNumber:
			v.Set(k, js.Global().Get("String").Invoke(x).String())
		case js.TypeBoolean:
			v.Set(k, fmt.Sprint(x.Bool()))
		default:
			return nil, fmt.Errorf("%s: want a string or a number, got %s", k, x.Type())
		}
	}
	return v, nil
}
