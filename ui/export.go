package ui

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// exportFile is one data file an export bar offers.
type exportFile struct {
	ID    string // element id of its button ("export-points-csv")
	Label string // button text
	Name  string // file name ("ot-points.csv")
	MIME  string
	// Make builds the file's contents. It runs in a goroutine (it may
	// read the device back, which awaits promises in the browser): reach
	// the page's state through a stable pointer, and lock computeMu
	// around backend work.
	Make func() (string, error)
}

// exportStatus is what an export bar last did, shown beside its buttons
// (#export-status, data-file) so that users and tests see it.
type exportStatus struct {
	file string // the file name of the last export
	err  string
}

// exportBar is the export controls of a page: a PNG of each canvas view
// (canvas.toDataURL, downloaded as <prefix>-<canvas id>.png) and each data
// file, built by its Make in the background and then downloaded. st is
// the page's status, kept across renders.
func exportBar(prefix string, canvasIDs []string, files []exportFile, st *exportStatus) app.UI {
	items := []app.UI{app.Span().Class("otplay-export-label").Text("Export:")}
	for _, id := range canvasIDs {
		id := id
		name := prefix + "-" + strings.TrimPrefix(id, prefix+"-") + ".png"
		items = append(items, app.Button().ID("export-"+id).Text("PNG: "+id).OnClick(func(ctx app.Context, e app.Event) {
			saveCanvasPNG(id, name)
			st.file, st.err = name, ""
		}))
	}
	for _, f := range files {
		f := f
		items = append(items, app.Button().ID(f.ID).Text(f.Label).OnClick(func(ctx app.Context, e app.Event) {
			ctx.Async(func() {
				text, err := f.Make()
				ctx.Dispatch(func(app.Context) {
					if err != nil {
						st.file, st.err = f.Name, err.Error()
						return
					}
					saveTextFile(f.Name, f.MIME, text)
					st.file, st.err = f.Name, ""
				})
			})
		}))
	}
	status := app.Span().ID("export-status").Class("otplay-export-status")
	switch {
	case st.err != "":
		status = status.Class("otplay-error").DataSet("file", st.file).Text(st.file + ": " + st.err)
	case st.file != "":
		status = status.DataSet("file", st.file).Text("saved " + st.file)
	}
	items = append(items, status)
	return app.Div().Class("otplay-controls otplay-export").Body(items...)
}

// csvTable writes a CSV file: the header, then one line per row, numbers
// with strconv's shortest round-trip formatting (%g at full precision).
type csvTable struct {
	b strings.Builder
}

func newCSV(header ...string) *csvTable {
	t := &csvTable{}
	t.b.WriteString(strings.Join(header, ","))
	t.b.WriteByte('\n')
	return t
}

// row appends one line; values are strings, ints or float64s.
func (t *csvTable) row(values ...any) {
	for k, v := range values {
		if k > 0 {
			t.b.WriteByte(',')
		}
		switch x := v.(type) {
		case string:
			t.b.WriteString(x)
		case int:
			t.b.WriteString(strconv.Itoa(x))
		case float64:
			t.b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		default:
			t.b.WriteString(fmt.Sprint(x))
		}
	}
	t.b.WriteByte('\n')
}

func (t *csvTable) String() string { return t.b.String() }

// exportJSON encodes v indented; non-finite numbers (not JSON) are
// written as null by the callers' types (see finiteOrNil).
func exportJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// pointRows returns n points of dimension d as rows [x0, x1, ...].
func pointRows(pts []float64, n, d int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = pts[i*d : (i+1)*d : (i+1)*d]
	}
	return rows
}
