//go:build js

package ui

import (
	"fmt"
	"math"
	"strconv"
	"syscall/js"

	"github.com/otplay/otplay/figure"
)

// drawOnCanvas draws f with its layout l on the <canvas> whose id is id,
// at the screen's device pixel ratio, and lists the tick labels drawn in
// the canvas's data-ticks attribute.
func drawOnCanvas(id string, f Figure, l FigureLayout) error {
	el := js.Global().Get("document").Call("getElementById", id)
	if !el.Truthy() {
		return fmt.Errorf("no canvas with id %q", id)
	}
	w, h := f.Size()
	dpr := js.Global().Get("devicePixelRatio").Float()
	if !(dpr >= 1) || math.IsNaN(dpr) {
		dpr = 1
	}
	// Resizing the backing store only when it changes keeps the page's
	// layout valid between the plots' draws (displayWidth reads it).
	if bw, bh := int(math.Round(w*dpr)), int(math.Round(h*dpr)); el.Get("width").Int() != bw || el.Get("height").Int() != bh {
		el.Set("width", bw)
		el.Set("height", bh)
	}
	ctx := el.Call("getContext", "2d")
	if !ctx.Truthy() {
		return fmt.Errorf("canvas %q has no 2d context", id)
	}
	ctx.Call("setTransform", dpr, 0, 0, dpr, 0, 0)
	f.DrawWithLayout(jsCanvas{ctx: ctx, w: w, h: h}, l)
	el.Call("setAttribute", "data-ticks", l.TickLabels())
	return nil
}

// displayWidth is the width, in CSS pixels, the canvas id takes on the
// page (its border box); 0 if there is none.
func displayWidth(id string) float64 {
	el := js.Global().Get("document").Call("getElementById", id)
	if !el.Truthy() {
		return 0
	}
	return el.Call("getBoundingClientRect").Get("width").Float()
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

func (c jsCanvas) SetDash(p []float64) {
	a := make([]any, len(p))
	for i, v := range p {
		a[i] = v
	}
	c.ctx.Call("setLineDash", a)
}

func (c jsCanvas) FillCircle(x, y, r float64) {
	c.ctx.Call("beginPath")
	c.ctx.Call("arc", x, y, r, 0, 2*math.Pi)
	c.ctx.Call("fill")
}

func (c jsCanvas) FillRect(x, y, w, h float64) { c.ctx.Call("fillRect", x, y, w, h) }

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

func (c jsCanvas) Text(x, y float64, s string, st figure.TextStyle) {
	weight := ""
	if st.Bold {
		weight = "bold "
	}
	c.ctx.Set("font", weight+strconv.FormatFloat(st.Size, 'f', -1, 64)+"px "+figure.Font)
	c.ctx.Set("textAlign", map[figure.Align]string{figure.AlignLeft: "left", figure.AlignCenter: "center", figure.AlignRight: "right"}[st.Align])
	c.ctx.Set("textBaseline", map[figure.Baseline]string{figure.BaselineAlphabetic: "alphabetic", figure.BaselineMiddle: "middle"}[st.Baseline])
	if st.Rotate {
		c.ctx.Call("save")
		c.ctx.Call("translate", x, y)
		c.ctx.Call("rotate", -math.Pi/2)
		c.ctx.Set("textAlign", "center")
		c.ctx.Call("fillText", s, 0, 0)
		c.ctx.Call("restore")
		return
	}
	c.ctx.Call("fillText", s, x, y)
}

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

func (c jsCanvas) Clip(x, y, w, h float64) {
	c.ctx.Call("save")
	c.ctx.Call("beginPath")
	c.ctx.Call("rect", x, y, w, h)
	c.ctx.Call("clip")
}

func (c jsCanvas) Unclip() { c.ctx.Call("restore") }

// hoverListener holds the canvas's mousemove and mouseleave listeners
// and the observer of its displayed size.
type hoverListener struct {
	el                  js.Value
	move, leave, resize js.Func
	observer            js.Value
	ok                  bool
}

// listenHover shows text(px, py) in the element id+"-readout" beside the
// mouse while it moves over the canvas id, (px, py) in CSS pixels of the
// figure as drawn; and calls resized when the canvas's displayed size
// changes (a ResizeObserver: window resizes, a phone turned, the page's
// layout settling after the first draw).
func listenHover(id string, text func(px, py float64) string, resized func()) hoverListener {
	doc := js.Global().Get("document")
	el := doc.Call("getElementById", id)
	tip := doc.Call("getElementById", id+"-readout")
	if !el.Truthy() || !tip.Truthy() {
		return hoverListener{}
	}
	h := hoverListener{el: el, ok: true}
	h.move = js.FuncOf(func(this js.Value, args []js.Value) any {
		e := args[0]
		cw := el.Get("clientWidth").Float()
		w, _ := strconv.ParseFloat(el.Call("getAttribute", "width").String(), 64)
		dpr := js.Global().Get("devicePixelRatio").Float()
		if !(dpr >= 1) {
			dpr = 1
		}
		scale := 1.0
		if cw > 0 && w > 0 {
			scale = w / dpr / cw // figure pixels per displayed pixel
		}
		ox, oy := e.Get("offsetX").Float(), e.Get("offsetY").Float()
		s := text(ox*scale, oy*scale)
		st := tip.Get("style")
		if s == "" {
			st.Set("display", "none")
			return nil
		}
		tip.Set("textContent", s)
		st.Set("display", "block")
		// Beside the pointer, flipped to its left near the right edge.
		left := ox + 14
		if tw := tip.Get("offsetWidth").Float(); left+tw > cw {
			left = math.Max(0, ox-14-tw)
		}
		st.Set("left", strconv.FormatFloat(left, 'f', 0, 64)+"px")
		st.Set("top", strconv.FormatFloat(oy+14, 'f', 0, 64)+"px")
		return nil
	})
	h.leave = js.FuncOf(func(this js.Value, args []js.Value) any {
		tip.Get("style").Set("display", "none")
		return nil
	})
	h.resize = js.FuncOf(func(this js.Value, args []js.Value) any {
		resized()
		return nil
	})
	el.Call("addEventListener", "mousemove", h.move)
	el.Call("addEventListener", "mouseleave", h.leave)
	if ro := js.Global().Get("ResizeObserver"); ro.Truthy() {
		h.observer = ro.New(h.resize)
		h.observer.Call("observe", el)
	}
	return h
}

func (h hoverListener) release() {
	if !h.ok {
		return
	}
	h.el.Call("removeEventListener", "mousemove", h.move)
	h.el.Call("removeEventListener", "mouseleave", h.leave)
	if h.observer.Truthy() {
		h.observer.Call("disconnect")
	}
	h.move.Release()
	h.leave.Release()
	h.resize.Release()
}
