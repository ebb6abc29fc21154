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
		switch d.Get("type").String() {
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
