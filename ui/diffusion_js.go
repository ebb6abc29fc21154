//go:build js

package ui

import "syscall/js"

// saveCanvasPNG downloads the pixels of the canvas with the given id as a
// PNG file (canvas.toDataURL through a temporary link).
func saveCanvasPNG(id, name string) {
	doc := js.Global().Get("document")
	c := doc.Call("getElementById", id)
	if !c.Truthy() {
		return
	}
	clickDownload(c.Call("toDataURL", "image/png").String(), name)
}

// saveTextFile downloads text as a file of the given MIME type.
func saveTextFile(name, mime, text string) {
	w := js.Global()
	blob := w.Get("Blob").New([]any{text}, map[string]any{"type": mime})
	url := w.Get("URL").Call("createObjectURL", blob)
	clickDownload(url.String(), name)
	w.Get("URL").Call("revokeObjectURL", url)
}

func clickDownload(href, name string) {
	doc := js.Global().Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", href)
	a.Set("download", name)
	doc.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
}
