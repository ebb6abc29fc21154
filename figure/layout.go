package figure

import (
	"fmt"
	"math"
)

// Type sizes and spacing of the figure furniture, in CSS pixels.
const (
	FontSize  = 11.0 // tick labels, axis titles, legend, notes
	TitleSize = 12.0 // the figure title (bold)
	TickLen   = 4.0  // major tick marks; minor ones are half as long
	pad       = 6.0  // the blank edge of the canvas
	gap       = 4.0  // between a tick mark and its label, a glyph and its text
	barWidth  = 12.0 // a colourbar's colour strip
)

// Font is the CSS font family of all text; TextWidth's metrics are those
// of DejaVu Sans (the sans-serif of Debian and of the headless test
// browser), a little wider than Arial and Helvetica, so margins measured
// with them hold on other systems.
const Font = `"DejaVu Sans", Arial, Helvetica, sans-serif`

// TextWidth estimates the advance width of s in CSS pixels at a font size
// (DejaVu Sans metrics per character class; bold adds 8%).
func TextWidth(s string, size float64, bold bool) float64 {
	w := 0.0
	for _, r := range s {
		w += advance(r)
	}
	if bold {
		w *= 1.08
	}
	return w * size
}

// advance is DejaVu Sans's advance width of a rune in ems.
func advance(r rune) float64 {
	switch {
	case r >= '0' && r <= '9':
		return 0.636
	case r == ' ' || r == '.' || r == ',' || r == ':' || r == ';' || r == '|' || r == '\'':
		return 0.318
	case r == '-' || r == '(' || r == ')' || r == '[' || r == ']':
		return 0.39
	case r == '−' || r == '×' || r == '+' || r == '=' || r == '<' || r == '>':
		return 0.838
	case r == '⁻' || (r >= '⁰' && r <= '⁹') || r == '¹' || r == '²' || r == '³':
		return 0.401
	case r == 'i' || r == 'j' || r == 'l':
		return 0.278
	case r == 'f' || r == 't' || r == 'r':
		return 0.41
	case r == 'm' || r == 'w':
		return 0.93
	case r == 'M' || r == 'W':
		return 0.99
	case r >= 'a' && r <= 'z':
		return 0.62
	case r >= 'A' && r <= 'Z':
		return 0.72
	case r == '—' || r == '…':
		return 1.0
	case r < 128:
		return 0.6
	default:
		return 0.75 // Greek, math symbols and the rest
	}
}

// Rect is an axis-aligned rectangle in canvas pixels.
type Rect struct{ X, Y, W, H float64 }

// Contains reports whether the pixel (x, y) is inside r.
func (r Rect) Contains(x, y float64) bool {
	return x >= r.X && x <= r.X+r.W && y >= r.Y && y <= r.Y+r.H
}

// Overlaps reports whether r and s share interior.
func (r Rect) Overlaps(s Rect) bool {
	return r.X < s.X+s.W && s.X < r.X+r.W && r.Y < s.Y+s.H && s.Y < r.Y+r.H
}

// Label is a piece of text the figure draws, with its estimated box.
type Label struct {
	Text  string
	X, Y  float64 // the anchor: see Align and Baseline
	Style TextStyle
	Box   Rect
	Role  string // "title", "xtick", "ytick", "xlabel", "ylabel", "colorbar", "colorbar-label", "legend", "note"
}

// LegendEntry is one legend line: the layer's glyph and its label.
type LegendEntry struct {
	Glyph  string // "dot" (point layers) or "segment" (lines and curves)
	Color  string
	Radius float64   // of a dot
	Width  float64   // of a segment
	Dash   []float64 // of a segment
	Label  string
	X, Y   float64 // the glyph's centre
}

// Colorbar is the scale of one heatmap: a Viridis strip from Lo (bottom)
// to Hi (top) beside the data area, with ticks of the values.
type Colorbar struct {
	Heatmap int // index in Figure.Heatmaps
	Bar     Rect
	Lo, Hi  float64
	Ticks   []Tick // in value units
	Label   string
}

// Y returns the strip's pixel row of a value.
func (c Colorbar) Y(v float64) float64 { return c.Bar.Y + c.Bar.H*(c.Hi-v)/(c.Hi-c.Lo) }

// Layout is where everything of a figure goes on its canvas: the data
// area, the window as drawn, the ticks, every label with its box, the
// legend and the colourbars. Draw, Hover and WriteSVG all work from it.
type Layout struct {
	Width, Height float64
	Area          Rect // the data area (the frame)
	// The window as drawn, in plotted units: Figure.Window widened along
	// one axis under EqualAspect.
	XMin, XMax, YMin, YMax float64
	Transform              Transform
	XTicks, YTicks         []Tick
	Labels                 []Label
	Legend                 []LegendEntry
	LegendBox              Rect // zero without a legend
	Colorbars              []Colorbar
	Empty                  bool // no layer has a drawable point: the note is shown
}

// legendEntries lists the labelled layers in drawing order.
func (f Figure) legendEntries() []LegendEntry {
	var out []LegendEntry
	for _, l := range f.Lines {
		if l.Label != "" {
			c := l.Color
			if c == "" {
				c = "#444444"
			}
			out = append(out, LegendEntry{Glyph: "segment", Color: c, Width: math.Min(math.Max(l.Width, 1.5), 3), Dash: l.Dash, Label: l.Label})
		}
	}
	for i, c := range f.Curves {
		if c.Label != "" {
			w := c.Width
			if w <= 0 {
				w = 1.5
			}
			out = append(out, LegendEntry{Glyph: "segment", Color: PaletteColor(c.Color, i), Width: math.Min(math.Max(w, 1.5), 3), Dash: c.Dash, Label: c.Label})
		}
	}
	for i, p := range f.Points {
		if p.Label != "" {
			r := p.Radius
			if r <= 0 {
				r = 2.5
			}
			out = append(out, LegendEntry{Glyph: "dot", Color: PaletteColor(p.Color, i), Radius: math.Min(math.Max(r, 2.5), 4), Label: p.Label})
		}
	}
	return out
}

const (
	glyphW     = 18.0 // a legend glyph's width
	legendLine = 15.0 // a legend row's height
)

// fitText shortens s with an ellipsis until it is at most w wide.
func fitText(s string, size float64, bold bool, w float64) string {
	if TextWidth(s, size, bold) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; TextWidth(t, size, bold) <= w {
			return t
		}
	}
	return "…"
}

func ticks(lo, hi float64, log bool, want int) []Tick {
	if log {
		return LogTicks(lo, hi, want)
	}
	return LinearTicks(lo, hi, want)
}

func maxLabelWidth(ts []Tick) float64 {
	w := 0.0
	for _, t := range ts {
		w = math.Max(w, TextWidth(t.Label, FontSize, false))
	}
	return w
}

// Layout computes where the figure's parts go. Margins are measured from
// the text they hold (tick labels, titles, legend entries, colourbar
// scales), so no label overlaps the data area or another label; x ticks
// are thinned until their labels stand at least 8 px apart.
func (f Figure) Layout() Layout {
	W, H := f.Size()
	xmin, xmax, ymin, ymax, hasData := f.window()
	L := Layout{Width: W, Height: H, Empty: !hasData}
	entries := f.legendEntries()
	if f.Legend == LegendHidden {
		entries = nil
	}

	// Vertical budget: title, a top legend, x tick labels and the x title.
	top := pad
	if f.Title != "" {
		top += TitleSize + 6
	}
	bottom := pad + TickLen + gap + FontSize
	if f.XLabel != "" {
		bottom += FontSize + 6
	}
	legendW := 0.0
	for _, e := range entries {
		legendW = math.Max(legendW, glyphW+gap+TextWidth(e.Label, FontSize, false))
	}
	legendW = math.Min(legendW, 0.45*W)
	place := f.Legend
	if len(entries) == 0 {
		place = LegendHidden
	} else if place == LegendAuto {
		place = LegendRight
		if W-legendW-12 < 0.6*W {
			place = LegendTop
		} else if f.EqualAspect {
			// Keep the larger scale: a legend on the right narrows the
			// area, one on top shortens it.
			rowW := 0.0
			for _, e := range entries {
				rowW += glyphW + gap + TextWidth(e.Label, FontSize, false) + 12
			}
			rows := math.Ceil(rowW / (W - 2*pad))
			xr, yr := xmax-xmin, ymax-ymin
			const marginW, marginH = 50.0, 50.0 // tick labels and titles, roughly
			right := math.Min((W-marginW-legendW-12)/xr, (H-marginH)/yr)
			top := math.Min((W-marginW)/xr, (H-marginH-rows*legendLine-2)/yr)
			if top > right {
				place = LegendTop
			}
		}
	}
	var topRows [][]int
	if place == LegendTop {
		row, x := []int{}, 0.0
		for i, e := range entries {
			w := glyphW + gap + math.Min(TextWidth(e.Label, FontSize, false), W-2*pad-glyphW-gap) + 12
			if len(row) > 0 && x+w > W-2*pad {
				topRows = append(topRows, row)
				row, x = nil, 0
			}
			row = append(row, i)
			x += w
		}
		topRows = append(topRows, row)
		top += float64(len(topRows))*legendLine + 2
	}
	if top > pad { // room for the top y tick label, centred on the frame's edge
		top += FontSize / 2
	}
	areaH := math.Max(H-top-bottom, 10)
	if place == LegendRight {
		if rows := max(1, int(areaH/legendLine)); len(entries) > rows { // room for "+k more"
			legendW = math.Max(legendW, TextWidth(fmt.Sprintf("+%d more", len(entries)-rows+1), FontSize, false))
		}
	}

	// The colourbars' widths: strip, ticks, labels and title.
	lo := make([]float64, len(f.Heatmaps))
	hi := make([]float64, len(f.Heatmaps))
	barTicks := make([][]Tick, len(f.Heatmaps))
	right := pad
	for i, h := range f.Heatmaps {
		lo[i], hi[i] = h.Range()
		barTicks[i] = LinearTicks(lo[i], hi[i], max(2, min(6, int(areaH/40))))
		w := 10 + barWidth + TickLen/2 + gap + maxLabelWidth(barTicks[i])
		if h.Label != "" {
			w += gap + FontSize
		}
		right += w
	}
	if place == LegendRight {
		right += 12 + legendW
	}

	// Equal aspect: widen the window along the axis with room to spare.
	// The margins depend on the y tick labels, which depend on the window:
	// iterate until the left margin settles.
	yWant := max(2, min(7, int(math.Round(areaH/38))))
	left := pad
	var yTicks, xTicks []Tick
	var areaW float64
	wx0, wx1, wy0, wy1 := xmin, xmax, ymin, ymax
	for iter := 0; iter < 4; iter++ {
		yTicks = ticks(wy0, wy1, f.LogY, yWant)
		nl := pad + TickLen + gap + maxLabelWidth(yTicks)
		if f.YLabel != "" {
			nl += FontSize + 6
		}
		left = math.Max(left, nl)
		areaW = math.Max(W-left-right, 10)
		if !f.EqualAspect {
			break
		}
		wx0, wx1, wy0, wy1 = equalWindow(xmin, xmax, ymin, ymax, areaW, areaH)
	}
	// X ticks: about one per 65 px (at least 3), fewer if their labels would
	// stand closer than 8 px.
	for want := max(3, min(9, int(math.Round(areaW/65)))); want >= 2; want-- {
		xTicks = ticks(wx0, wx1, f.LogX, want)
		if !xLabelsCrowded(xTicks, wx0, wx1, areaW) {
			break
		}
	}
	// No x label may stick out past a canvas edge: narrow the area by the
	// overhang (the labels' positions scale with it).
	for _, t := range xTicks {
		if t.IsMinor() {
			continue
		}
		u := (t.Value - wx0) / (wx1 - wx0) // 0..1 across the area
		hw := TextWidth(t.Label, FontSize, false) / 2
		if over := left + areaW*u + hw - (W - 1); over > 0 && u > 0 {
			areaW -= over / u
		}
		if over := 1 - (left + areaW*u - hw); over > 0 && u < 1 {
			// Moving the left edge by d moves this label by d (1 - u).
			d := over / (1 - u)
			left += d
			areaW -= d
		}
	}
	areaW = math.Max(areaW, 10)
	if f.EqualAspect {
		wx0, wx1, wy0, wy1 = equalWindow(xmin, xmax, ymin, ymax, areaW, areaH)
	}
	L.Area = Rect{X: left, Y: top, W: areaW, H: areaH}
	L.XMin, L.XMax, L.YMin, L.YMax = wx0, wx1, wy0, wy1
	sx, sy := areaW/(wx1-wx0), areaH/(wy1-wy0)
	L.Transform = Transform{AX: sx, BX: left - wx0*sx, AY: -sy, BY: top + wy1*sy}
	L.XTicks, L.YTicks = xTicks, yTicks

	// Labels with their boxes.
	add := func(role, text string, x, y float64, st TextStyle) {
		w := TextWidth(text, st.Size, st.Bold)
		var b Rect
		if st.Rotate { // a quarter turn left, centred on (x, y)
			b = Rect{X: x - st.Size*0.8, Y: y - w/2, W: st.Size * 1.1, H: w}
		} else {
			bx := x
			switch st.Align {
			case AlignCenter:
				bx -= w / 2
			case AlignRight:
				bx -= w
			}
			by := y - st.Size*0.8 // alphabetic baseline: ascent above
			if st.Baseline == BaselineMiddle {
				by = y - st.Size*0.5
			}
			b = Rect{X: bx, Y: by, W: w, H: st.Size}
		}
		L.Labels = append(L.Labels, Label{Text: text, X: x, Y: y, Style: st, Box: b, Role: role})
	}
	if f.Title != "" {
		add("title", fitText(f.Title, TitleSize, true, W-2*pad), pad, pad+TitleSize*0.85, TextStyle{Size: TitleSize, Bold: true})
	}
	for _, t := range xTicks {
		if !t.IsMinor() {
			px, _ := L.Transform.Apply(t.Value, 0)
			add("xtick", t.Label, px, top+areaH+TickLen+gap+FontSize*0.8, TextStyle{Size: FontSize, Align: AlignCenter})
		}
	}
	for _, t := range yTicks {
		if !t.IsMinor() {
			_, py := L.Transform.Apply(0, t.Value)
			add("ytick", t.Label, left-TickLen-gap, py, TextStyle{Size: FontSize, Align: AlignRight, Baseline: BaselineMiddle})
		}
	}
	if f.XLabel != "" {
		add("xlabel", fitText(f.XLabel, FontSize, false, areaW+left-pad), left+areaW/2, H-pad-2, TextStyle{Size: FontSize, Align: AlignCenter})
	}
	if f.YLabel != "" {
		add("ylabel", fitText(f.YLabel, FontSize, false, areaH+bottom/2), pad+FontSize*0.8, top+areaH/2, TextStyle{Size: FontSize, Rotate: true})
	}

	// Colourbars, left to right after the data area.
	x := left + areaW + 10
	for i, h := range f.Heatmaps {
		cb := Colorbar{Heatmap: i, Bar: Rect{X: x, Y: top, W: barWidth, H: areaH}, Lo: lo[i], Hi: hi[i], Ticks: barTicks[i], Label: h.Label}
		lw := maxLabelWidth(barTicks[i])
		for _, t := range barTicks[i] {
			if !t.IsMinor() {
				add("colorbar", t.Label, x+barWidth+TickLen/2+gap, cb.Y(t.Value), TextStyle{Size: FontSize, Baseline: BaselineMiddle})
			}
		}
		x += barWidth + TickLen/2 + gap + lw
		if h.Label != "" {
			add("colorbar-label", fitText(h.Label, FontSize, false, areaH), x+gap+FontSize*0.8, top+areaH/2, TextStyle{Size: FontSize, Rotate: true})
			x += gap + FontSize
		}
		L.Colorbars = append(L.Colorbars, cb)
		x += 10
	}

	// The legend.
	switch place {
	case LegendRight:
		lx := x + 2
		if len(f.Heatmaps) == 0 {
			lx = left + areaW + 12
		}
		maxRows := max(1, int(areaH/legendLine))
		n := len(entries)
		if n > maxRows { // the last row says how many more there are
			n = maxRows - 1
		}
		rows := min(len(entries), maxRows)
		L.LegendBox = Rect{X: lx, Y: top, W: math.Min(legendW, W-lx-1), H: float64(rows) * legendLine}
		for i := 0; i < n; i++ {
			e := entries[i]
			cy := top + legendLine*(float64(i)+0.5)
			e.X, e.Y = lx+glyphW/2, cy
			e.Label = fitText(e.Label, FontSize, false, W-lx-glyphW-gap-1)
			L.Legend = append(L.Legend, e)
			add("legend", e.Label, lx+glyphW+gap, cy, TextStyle{Size: FontSize, Baseline: BaselineMiddle})
		}
		if n < len(entries) {
			more := fitText(fmt.Sprintf("+%d more", len(entries)-n), FontSize, false, W-lx-1)
			add("legend", more, lx, top+legendLine*(float64(n)+0.5), TextStyle{Size: FontSize, Baseline: BaselineMiddle})
		}
	case LegendTop:
		y0 := top - FontSize/2 - float64(len(topRows))*legendLine - 2
		L.LegendBox = Rect{X: pad, Y: y0, W: W - 2*pad, H: float64(len(topRows)) * legendLine}
		for r, row := range topRows {
			lx := pad
			cy := y0 + legendLine*(float64(r)+0.5)
			for _, i := range row {
				e := entries[i]
				e.X, e.Y = lx+glyphW/2, cy
				e.Label = fitText(e.Label, FontSize, false, W-2*pad-glyphW-gap)
				L.Legend = append(L.Legend, e)
				add("legend", e.Label, lx+glyphW+gap, cy, TextStyle{Size: FontSize, Baseline: BaselineMiddle})
				lx += glyphW + gap + TextWidth(e.Label, FontSize, false) + 12
			}
		}
	}
	if L.Empty {
		note := f.Note
		if note == "" {
			note = EmptyNote
		}
		add("note", fitText(note, FontSize, false, areaW-8), left+areaW/2, top+areaH/2, TextStyle{Size: FontSize, Align: AlignCenter, Baseline: BaselineMiddle})
	}
	return L
}

// equalWindow widens [x0, x1] x [y0, y1] about its centre so that one unit
// is as many pixels on both axes of a w x h area.
func equalWindow(x0, x1, y0, y1, w, h float64) (float64, float64, float64, float64) {
	s := math.Min(w/(x1-x0), h/(y1-y0))
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := w/s/2, h/s/2
	return cx - hx, cx + hx, cy - hy, cy + hy
}

// xLabelsCrowded reports whether two neighbouring x tick labels would
// stand less than 8 px apart.
func xLabelsCrowded(ts []Tick, lo, hi, w float64) bool {
	prev := math.Inf(-1)
	for _, t := range ts {
		if t.IsMinor() {
			continue
		}
		px := w * (t.Value - lo) / (hi - lo)
		hw := TextWidth(t.Label, FontSize, false) / 2
		if px-hw < prev+8 {
			return true
		}
		prev = px + hw
	}
	return false
}

// Transform returns the map from the figure's plotted coordinates onto
// its canvas (Layout().Transform).
func (f Figure) Transform() Transform { return f.Layout().Transform }
