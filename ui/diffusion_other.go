//go:build !js

package ui

// lastDownload records what the export buttons would have downloaded
// outside a browser (component tests read it).
var lastDownload struct{ name, mime, text string }

// saveCanvasPNG outside a browser: there is no canvas; it records the name.
func saveCanvasPNG(id, name string) {
	lastDownload.name, lastDownload.mime, lastDownload.text = name, "image/png", id
}

// saveTextFile outside a browser records the file.
func saveTextFile(name, mime, text string) {
	lastDownload.name, lastDownload.mime, lastDownload.text = name, mime, text
}
