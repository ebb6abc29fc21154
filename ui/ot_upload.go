package ui

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

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
		if size > play.MaxOTUploadBytes {
			p.uploadErr = fmt.Sprintf("%s: %s is %d bytes, at most %d", set, name, size, play.MaxOTUploadBytes)
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
	pts, n, err := play.ParseOTCSV(text)
	if err != nil {
		p.uploadErr = set + ": " + name + ": " + err.Error()
		return
	}
	p.uploadErr = ""
	u := &play.Cloud{Name: name, Points: pts, N: n}
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
		note, n = fmt.Sprintf("using %s (%d points, not in the URL) ", u.Name, u.N), u.N
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
