//go:build !js

package ui

// drawOnCanvas outside a browser: there is no canvas; the figure is only
// validated (Figure.Draw onto a Recorder is how tests see the drawing).
func drawOnCanvas(id string, f Figure) error { return f.Validate() }
