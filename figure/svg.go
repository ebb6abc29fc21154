package figure

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteSVG writes the figure as a standalone SVG document of its size,
// drawn by the same code as the canvas (Draw), so the SVG shows exactly
// what the browser shows: heatmap cells become rectangles, texts stay
// text (searchable, selectable).
func WriteSVG(w io.Writer, f Figure) error {
	return WriteSVGPanels(w, "", 1, f)
}

// WriteSVGPanels writes several figures as one SVG document: an optional
// title on top, then the panels in a grid of cols columns, each cell the
// size of the largest panel.
func WriteSVGPanels(w io.Writer, title string, cols int, panels ...Figure) error {
	if cols < 1 {
		cols = 1
	}
	for i, f := range panels {
		if err := f.Validate(); err != nil {
			return fmt.Errorf("panel %d: %w", i, err)
		}
	}
	cw, ch := 0.0, 0.0
	for _, f := range panels {
		fw, fh := f.Size()
		cw, ch = math.Max(cw, fw), math.Max(ch, fh)
	}
	cols = min(cols, max(1, len(panels)))
	rows := (len(panels) + cols - 1) / cols
	top := 0.0
	if title != "" {
		top = TitleSize + 14
	}
	W, H := cw*float64(cols), ch*float64(rows)+top
	s := &svgCanvas{}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s">`+"\n",
		f2(W), f2(H), f2(W), f2(H), esc(Font))
	fmt.Fprintf(&s.b, `<rect width="%s" height="%s" fill="#ffffff"/>`+"\n", f2(W), f2(H))
	if title != "" {
		fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" font-weight="bold" fill="%s">%s</text>`+"\n",
			f2(W/2), f2(TitleSize+4), f2(TitleSize+1), inkColor, esc(title))
	}
	for i, f := range panels {
		fw, fh := f.Size()
		s.w, s.h = fw, fh
		fmt.Fprintf(&s.b, `<g transform="translate(%s,%s)">`+"\n", f2(float64(i%cols)*cw), f2(top+float64(i/cols)*ch))
		f.DrawWithLayout(s, f.Layout())
		s.Unclip()
		s.b.WriteString("</g>\n")
	}
	s.b.WriteString("</svg>\n")
	_, err := w.Write(s.b.Bytes())
	return err
}

// svgCanvas is Canvas2D writing SVG elements.
type svgCanvas struct {
	b       bytes.Buffer
	w, h    float64
	color   string
	alpha   float64
	width   float64
	dash    []float64
	clips   int
	clipped bool
}

func f2(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return escaper.Replace(s) }

func (s *svgCanvas) opacity(attr string) string {
	if s.alpha >= 1 {
		return ""
	}
	return fmt.Sprintf(` %s="%s"`, attr, strconv.FormatFloat(s.alpha, 'g', 3, 64))
}

func (s *svgCanvas) stroke() string {
	a := fmt.Sprintf(`stroke="%s" stroke-width="%s"%s`, esc(s.color), f2(s.width), s.opacity("stroke-opacity"))
	if len(s.dash) > 0 {
		d := make([]string, len(s.dash))
		for i, v := range s.dash {
			d[i] = f2(v)
		}
		a += fmt.Sprintf(` stroke-dasharray="%s"`, strings.Join(d, ","))
	}
	return a
}

func (s *svgCanvas) fill() string {
	return fmt.Sprintf(`fill="%s"%s`, esc(s.color), s.opacity("fill-opacity"))
}

func (s *svgCanvas) Clear(color string) {
	fmt.Fprintf(&s.b, `<rect width="%s" height="%s" fill="%s"/>`+"\n", f2(s.w), f2(s.h), esc(color))
}

func (s *svgCanvas) SetStyle(color string, alpha, lineWidth float64) {
	s.color, s.alpha, s.width = color, alpha, lineWidth
}

func (s *svgCanvas) SetDash(p []float64) { s.dash = p }

func (s *svgCanvas) FillCircle(x, y, r float64) {
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" %s/>`+"\n", f2(x), f2(y), f2(r), s.fill())
}

func (s *svgCanvas) FillRect(x, y, w, h float64) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" %s/>`+"\n", f2(x), f2(y), f2(w), f2(h), s.fill())
}

func (s *svgCanvas) Segment(x0, y0, x1, y1 float64) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`+"\n", f2(x0), f2(y0), f2(x1), f2(y1), s.stroke())
}

func (s *svgCanvas) Polyline(xy []float64) {
	s.b.WriteString(`<polyline points="`)
	for k := 0; k+1 < len(xy); k += 2 {
		if k > 0 {
			s.b.WriteByte(' ')
		}
		s.b.WriteString(f2(xy[k]) + "," + f2(xy[k+1]))
	}
	fmt.Fprintf(&s.b, `" fill="none" %s stroke-linejoin="round"/>`+"\n", s.stroke())
}

func (s *svgCanvas) StrokeRect(x, y, w, h float64) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" %s/>`+"\n", f2(x), f2(y), f2(w), f2(h), s.stroke())
}

func (s *svgCanvas) Text(x, y float64, str string, st TextStyle) {
	anchor := map[Align]string{AlignLeft: "start", AlignCenter: "middle", AlignRight: "end"}[st.Align]
	attrs := fmt.Sprintf(`font-size="%s" text-anchor="%s" %s`, f2(st.Size), anchor, s.fill())
	if st.Bold {
		attrs += ` font-weight="bold"`
	}
	if st.Baseline == BaselineMiddle {
		attrs += ` dominant-baseline="central"`
	}
	if st.Rotate {
		fmt.Fprintf(&s.b, `<text transform="translate(%s,%s) rotate(-90)" x="0" y="0" %s>%s</text>`+"\n", f2(x), f2(y), strings.Replace(attrs, `text-anchor="start"`, `text-anchor="middle"`, 1), esc(str))
		return
	}
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" %s>%s</text>`+"\n", f2(x), f2(y), attrs, esc(str))
}

// Image writes one rectangle per run of equal pixels in a row.
func (s *svgCanvas) Image(x, y, w, h float64, cols, rows int, rgba []byte) {
	cw, chh := w/float64(cols), h/float64(rows)
	s.b.WriteString(`<g shape-rendering="crispEdges">` + "\n")
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; {
			k := 4 * (r*cols + c)
			e := c + 1
			for e < cols && bytes.Equal(rgba[4*(r*cols+e):4*(r*cols+e)+4], rgba[k:k+4]) {
				e++
			}
			if a := rgba[k+3]; a > 0 {
				op := ""
				if a < 255 {
					op = fmt.Sprintf(` fill-opacity="%.3g"`, float64(a)/255)
				}
				fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#%02x%02x%02x"%s/>`+"\n",
					f2(x+float64(c)*cw), f2(y+float64(r)*chh), f2(float64(e-c)*cw+0.01), f2(chh+0.01), rgba[k], rgba[k+1], rgba[k+2], op)
			}
			c = e
		}
	}
	s.b.WriteString("</g>\n")
}

func (s *svgCanvas) Clip(x, y, w, h float64) {
	s.Unclip()
	s.clips++
	id := fmt.Sprintf("clip%d", s.clips)
	fmt.Fprintf(&s.b, `<clipPath id="%s"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath><g clip-path="url(#%s)">`+"\n", id, f2(x), f2(y), f2(w), f2(h), id)
	s.clipped = true
}

func (s *svgCanvas) Unclip() {
	if s.clipped {
		s.b.WriteString("</g>\n")
		s.clipped = false
	}
}
