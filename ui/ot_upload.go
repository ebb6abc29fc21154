package ui

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// MaxOTUploadBytes bounds an uploaded .csv file: MaxOTPoints lines of two
// numbers at full precision fit in about 100 kB.
const MaxOTUploadBytes = 256 << 10

// otUpload is a point cloud the user uploaded (not in the URL).
type otUpload struct {
	name string
	pts  []float64 // n x 2
	n    int
}

// ParseOTCSV reads a point cloud from CSV text: one point per line, its
// first two fields numbers (x, y; further fields are ignored), separated
// by commas (or semicolons, or tabs), an optional header line of
// non-numbers first, blank lines and lines starting with # skipped. It
// refuses, naming the line, a non-numeric or non-finite coordinate, a line
// with fewer than two fields, more than MaxOTPoints points, and a file
// without points.
func ParseOTCSV(text string) (pts []float64, n int, err error) {
	if len(text) > MaxOTUploadBytes {
		return nil, 0, fmt.Errorf("file of %d bytes: at most %d", len(text), MaxOTUploadBytes)
	}
	sep := ','
	if first := firstDataLine(text); !strings.Contains(first, ",") {
		switch {
		case strings.Contains(first, ";"):
			sep = ';'
		case strings.Contains(first, "\t"):
			sep = '\t'
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.Comment, r.FieldsPerRecord, r.TrimLeadingSpace = sep, '#', -1, true
	for rec := 0; ; rec++ {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, 0, fmt.Errorf("line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, 0, err
		}
		line, _ := r.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue
		}
		if len(fields) < 2 {
			return nil, 0, fmt.Errorf("line %d: %d field, want x and y", line, len(fields))
		}
		x, ex := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64)
		y, ey := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		if ex != nil || ey != nil {
			if n == 0 && rec == 0 { // a header
				continue
			}
			return nil, 0, fmt.Errorf("line %d: %q, %q are not two numbers", line, fields[0], fields[1])
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, 0, fmt.Errorf("line %d: coordinates must be finite, got %v, %v", line, x, y)
		}
		if n == MaxOTPoints {
			return nil, 0, fmt.Errorf("more than %d points (line %d)", MaxOTPoints, line)
		}
		pts = append(pts, x, y)
		n++
	}
	if n == 0 {
		return nil, 0, errors.New("no points: want lines of x,y")
	}
	return pts, n, nil
}

func firstDataLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return t
		}
	}
	return ""
}

// onUpload reads the .csv chosen for set "x" or "y", checks its size
// before reading and its contents after, and restarts the run with it; a
// refusal is shown under the form (#upload-error).
func (p *OTPage) onUpload(set string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		files := ctx.JSSrc().Get("files")
		if !files.Truthy() || files.Length() == 0 {
			return
		}
		file := files.Index(0)
		name, size := file.Get("name").String(), file.Get("size").Int()
		if size > MaxOTUploadBytes {
			p.uploadErr = fmt.Sprintf("%s: %s is %d bytes, at most %d", set, name, size, MaxOTUploadBytes)
			return
		}
		file.Call("text").Then(func(v app.Value) {
			text := v.String()
			ctx.Dispatch(func(ctx app.Context) { p.useUpload(ctx, set, name, text) })
		})
	}
}

// useUpload parses an uploaded file and, if it is good, restarts the run
// with it.
func (p *OTPage) useUpload(ctx app.Context, set, name, text string) {
	pts, n, err := ParseOTCSV(text)
	if err != nil {
		p.uploadErr = set + ": " + name + ": " + err.Error()
		return
	}
	p.uploadErr = ""
	u := &otUpload{name: name, pts: pts, n: n}
	if set == "x" {
		p.uploads[0] = u
	} else {
		p.uploads[1] = u
	}
	p.reset(ctx)
}

func (p *OTPage) onClearUpload(set string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if set == "x" {
			p.uploads[0] = nil
		} else {
			p.uploads[1] = nil
		}
		p.reset(ctx)
	}
}

// uploadControl is the file input of set "x" or "y" and, when a file is
// in use, its name and a button that goes back to the URL's data set.
func (p *OTPage) uploadControl(set string) app.UI {
	u := p.uploads[0]
	if set == "y" {
		u = p.uploads[1]
	}
	// The same elements whatever the state: go-app drops the Dispatch of
	// a handler whose element has been removed.
	in := app.Input().ID("in-" + set + "-file").Type("file").Accept(".csv,text/csv").Title("upload a .csv of x,y points for " + set).OnChange(p.onUpload(set))
	note, n := "", 0
	if u != nil {
		note, n = fmt.Sprintf("using %s (%d points, not in the URL) ", u.name, u.n), u.n
	}
	clear := app.Button().ID("clear-" + set).Text("use the data set").OnClick(p.onClearUpload(set))
	if u == nil {
		clear = clear.Hidden(true)
	}
	return app.Span().Class("otplay-upload").Body(
		app.Small().Text("or upload a .csv of x,y points "), in,
		app.Span().ID("upload-"+set).DataSet("points", n).Text(note),
		clear,
	)
}
