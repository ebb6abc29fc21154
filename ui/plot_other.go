//go:build !js

package ui

// drawOnCanvas outside a browser: there is no canvas; the figure is only
// validated (Figure.Draw onto a Recorder is how tests see the drawing).
func drawOnCanvas(id string, f Figure, l FigureLayout) error { return f.Validate() }

// hoverListener outside a browser: nothing to listen to.
type hoverListener struct{}

func listenHover(id string, text func(px, py float64) string, resized func()) hoverListener {
	return hoverListener{}
}

func (hoverListener) release() {}

// displayWidth outside a browser: unknown (0), so figures keep their size.
func displayWidth(id string) float64 { return 0 }
