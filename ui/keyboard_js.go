//go:build js

package ui

import "syscall/js"

// installKeyboard adds the document-wide keydown listener of the keyboard
// shortcuts (see KeyPlay). It clicks the button, so the page's own
// handler runs exactly as for a mouse click.
func installKeyboard() {
	doc := js.Global().Get("document")
	handler := js.FuncOf(func(this js.Value, args []js.Value) any {
		ev := args[0]
		if ev.Get("ctrlKey").Bool() || ev.Get("altKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("defaultPrevented").Bool() {
			return nil
		}
		keys := keyButtons(ev.Get("key").String())
		if keys == nil {
			return nil
		}
		target := ev.Get("target")
		tag, editable := "", false
		if target.Truthy() && target.Get("tagName").Type() == js.TypeString {
			tag = target.Get("tagName").String()
			editable = target.Get("isContentEditable").Truthy()
		}
		if typingInto(tag, editable) {
			return nil
		}
		for _, k := range keys {
			b := doc.Call("querySelector", `button[data-key="`+k+`"]`)
			if !b.Truthy() || b.Get("disabled").Bool() {
				continue
			}
			// Space would also activate a focused button on key up
			// (a second click, on the wrong button): take the focus
			// away and keep the page from scrolling.
			ev.Call("preventDefault")
			if tag == "BUTTON" {
				target.Call("blur")
			}
			b.Call("click")
			return nil
		}
		return nil
	})
	doc.Call("addEventListener", "keydown", handler)
}
