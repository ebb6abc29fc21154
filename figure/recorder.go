package figure

import "fmt"

// Recorder is a Canvas2D that records each call as a line of text
// ("circle 10.00 20.00 2.50"), with numbers rounded to 0.01 px, and every
// text with its style. Tests draw figures onto it to check what a canvas
// would be asked to draw.
type Recorder struct {
	Ops   []string
	Texts []RecordedText
}

// RecordedText is one Text call.
type RecordedText struct {
	X, Y  float64
	S     string
	Style TextStyle
}

func (r *Recorder) add(format string, args ...any) {
	r.Ops = append(r.Ops, fmt.Sprintf(format, args...))
}

func (r *Recorder) Clear(color string) { r.add("clear %s", color) }
func (r *Recorder) SetStyle(color string, alpha, lineWidth float64) {
	r.add("style %s %.3g %.3g", color, alpha, lineWidth)
}
func (r *Recorder) SetDash(p []float64)          { r.add("dash %v", p) }
func (r *Recorder) FillCircle(x, y, rad float64) { r.add("circle %.2f %.2f %.2f", x, y, rad) }
func (r *Recorder) FillRect(x, y, w, h float64)  { r.add("fillrect %.2f %.2f %.2f %.2f", x, y, w, h) }
func (r *Recorder) Segment(x0, y0, x1, y1 float64) {
	r.add("segment %.2f %.2f %.2f %.2f", x0, y0, x1, y1)
}
func (r *Recorder) Polyline(xy []float64)         { r.add("polyline %d", len(xy)/2) }
func (r *Recorder) StrokeRect(x, y, w, h float64) { r.add("rect %.2f %.2f %.2f %.2f", x, y, w, h) }
func (r *Recorder) Text(x, y float64, s string, st TextStyle) {
	r.add("text %.2f %.2f %s", x, y, s)
	r.Texts = append(r.Texts, RecordedText{X: x, Y: y, S: s, Style: st})
}
func (r *Recorder) Image(x, y, w, h float64, cols, rows int, rgba []byte) {
	r.add("image %.2f %.2f %.2f %.2f %dx%d %d", x, y, w, h, cols, rows, len(rgba))
}
func (r *Recorder) Clip(x, y, w, h float64) { r.add("clip %.2f %.2f %.2f %.2f", x, y, w, h) }
func (r *Recorder) Unclip()                 { r.add("unclip") }
