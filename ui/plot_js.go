//go:build js

package ui

import (
	"fmt"
	"math"
	"syscall/js"
)

// drawOnCanvas draws f on the <canvas> whose id is id, at the screen's
// device pixel ratio.
func drawOnCanvas(id string, f Figure) error {
	el := js.Global().Get("document").Call("getElementById", id)
	if !el.Truthy() {
		return fmt.Errorf("no canvas with id %q", id)
	}
	w, h := f.Size()
	dpr := js.Global().Get("devicePixelRatio").Float()
	if !(dpr >= 1) || math.IsNaN(dpr) {
		dpr = 1
	}
	el.Set("width", int(w*dpr))
	el.Set("height", int(h*dpr))
	ctx := el.Call("getContext", "2d")
	if !ctx.Truthy() {
		return fmt.Errorf("canvas %q has no 2d context", id)
	}
	ctx.Call("setTransform", dpr, 0, 0, dpr, 0, 0)
	ctx.Set("font", "11px sans-serif")
	return f.Draw(jsCanvas{ctx: ctx, w: w, h: h})
}

// jsCanvas is Canvas2D over a CanvasRenderingContext2D.
type jsCanvas struct {
	ctx  js.Value
	w, h float64
}

func (c jsCanvas) Clear(color string) {
	c.ctx.Set("globalAlpha", 1)
	c.ctx.Set("fillStyle", color)
	c.ctx.Call("fillRect", 0, 0, c.w, c.h)
}

func (c jsCanvas) SetStyle(color string, alpha, lineWidth float64) {
	c.ctx.Set("fillStyle", color)
	c.ctx.Set("strokeStyle", color)
	c.ctx.Set("globalAlpha", alpha)
	c.ctx.Set("lineWidth", lineWidth)
}

func (c jsCanvas) FillCircle(x, y, r float64) {
	c.ctx.Call("beginPath")
	c.ctx.Call("arc", x, y, r, 0, 2*math.Pi)
	c.ctx.Call("fill")
}

func (c jsCanvas) Segment(x0, y0, x1, y1 float64) {
	c.ctx.Call("beginPath")
	c.ctx.Call("moveTo", x0, y0)
	c.ctx.Call("lineTo", x1, y1)
	c.ctx.Call("stroke")
}

func (c jsCanvas) Polyline(xy []float64) {
	c.ctx.Call("beginPath")
	c.ctx.Call("moveTo", xy[0], xy[1])
	for k := 2; k+1 < len(xy); k += 2 {
		c.ctx.Call("lineTo", xy[k], xy[k+1])
	}
	c.ctx.Call("stroke")
}

func (c jsCanvas) StrokeRect(x, y, w, h float64) { c.ctx.Call("strokeRect", x, y, w, h) }

func (c jsCanvas) Text(x, y float64, s string) { c.ctx.Call("fillText", s, x, y) }

// Image puts the pixels on an offscreen canvas, then scales it onto the
// rectangle without smoothing (crisp cells).
func (c jsCanvas) Image(x, y, w, h float64, cols, rows int, rgba []byte) {
	doc := js.Global().Get("document")
	off := doc.Call("createElement", "canvas")
	off.Set("width", cols)
	off.Set("height", rows)
	octx := off.Call("getContext", "2d")
	img := octx.Call("createImageData", cols, rows)
	js.CopyBytesToJS(img.Get("data"), rgba)
	octx.Call("putImageData", img, 0, 0)
	c.ctx.Set("imageSmoothingEnabled", false)
	c.ctx.Call("drawImage", off, x, y, w, h)
}
