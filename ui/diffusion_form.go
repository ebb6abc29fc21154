package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// This file holds the export pieces the /diffusion, /patch, /bridge and
// /truncate pages share.

// exportButtons are the export controls of a view: the canvas as PNG and
// the page's data as CSV and JSON (built on demand by the functions).
func exportButtons(prefix string, canvasIDs []string, csv func() string, json func() string) app.UI {
	items := []app.UI{}
	for _, id := range canvasIDs {
		id := id
		items = append(items, app.Button().ID("export-"+id).Text("PNG: "+id).OnClick(func(ctx app.Context, e app.Event) {
			saveCanvasPNG(id, prefix+"-"+id+".png")
		}))
	}
	if csv != nil {
		items = append(items, app.Button().ID("export-csv").Text("CSV").OnClick(func(ctx app.Context, e app.Event) {
			saveTextFile(prefix+".csv", "text/csv", csv())
		}))
	}
	if json != nil {
		items = append(items, app.Button().ID("export-json").Text("JSON").OnClick(func(ctx app.Context, e app.Event) {
			saveTextFile(prefix+".json", "application/json", json())
		}))
	}
	return app.Div().Class("otplay-controls otplay-export").Body(items...)
}
