package ui

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// The /patch page's model is play's (play.Patch, play.PatchFrame).
const (
	PatchPath         = play.PatchPath
	MaxPatchWidth     = play.MaxPatchWidth
	MaxUploadBytes    = play.MaxUploadBytes
	PatchSampleStride = play.PatchSampleStride
)

// PatchSchema is the URL state of /patch (play.PatchSchema).
var PatchSchema = play.PatchSchema

// PatchImage is play.PatchImage: an image choice at a working width.
var PatchImage = play.PatchImage

// PatchResult is what /patch publishes as window.otplayResult.
type PatchResult struct {
	PageResult
	play.PatchFrame
}

func init() {
	RegisterView(PatchPath, func() app.Composer { return newPatchPage() })
}

// PatchPage is the /patch page: colour transfer or patch OT from a source
// image onto a target (play.Patch), on the page skeleton, with the
// result beside the inputs and the colour clouds in the (a*, b*) plane.
// Uploads (PNG or JPEG, at most MaxUploadBytes) stay in memory
// (play.SetPatchUpload) and are not part of the URL; refused files are
// named in a message.
type PatchPage struct {
	app.Compo
	pageSkeleton[play.PatchFrame]
	uploadErr string
}

func newPatchPage() *PatchPage {
	p := &PatchPage{}
	p.pageSkeleton = pageSkeleton[play.PatchFrame]{
		Path: PatchPath, Title: "Images · otplay", Schema: PatchSchema,
		Start: func(st State) (play.Start[play.PatchFrame], error) {
			s, err := play.ParsePatch(st)
			return s.Start, err
		},
		Publish: func(r PageResult, f play.PatchFrame) any { return PatchResult{r, f} },
	}
	return p
}

// onUpload reads the chosen file in the background, decodes it and
// recomputes with it (setting src or tgt to upload); bad files are
// refused with a message.
func (p *PatchPage) onUpload(role string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p.uploadErr = ""
		ctx.Async(func() {
			file, name, err := readUploadedFile("upload-"+role, MaxUploadBytes)
			if err == nil {
				err = play.SetPatchUpload(role, name, file)
			}
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.uploadErr = "Upload refused: " + err.Error()
					return
				}
				st, _ := p.state.With(role, "upload")
				if st.Encode() == p.state.Encode() {
					p.reset() // same URL, new file
					return
				}
				ctx.Navigate(PageURL(ctx.Page().URL().Path, st))
			})
		})
	}
}

// Render shows the form, the upload fields, the three images and the
// colour clouds.
func (p *PatchPage) Render() app.UI {
	uploadNote := fmt.Sprintf("or upload a PNG or JPEG (at most %d MB and 16 Mpixel; resized to the working width) ", MaxUploadBytes>>20)
	l := p.layout("Images: colour transfer and patch OT", map[string]app.UI{
		"src": app.Label().Body(app.Small().Text(uploadNote), app.Input().ID("upload-src").Type("file").Accept("image/png,image/jpeg").OnChange(p.onUpload("src"))),
		"tgt": app.Label().Body(app.Small().Text("or upload one "), app.Input().ID("upload-tgt").Type("file").Accept("image/png,image/jpeg").OnChange(p.onUpload("tgt"))),
	})
	if l.Progress != nil && l.Progress.Phase == openingPhase {
		l.Progress = &Progress{Phase: "Loading the images and transporting " + p.state.String("mode") + "s (" + p.state.String("method") + ")"}
	}
	r := p.frame()
	var colors Figure
	var stats app.UI
	img := func(id, caption, key string) app.UI {
		src := ""
		if r != nil && r.Images != nil {
			src = r.Images[key]
		}
		return app.Figure().Style("margin", "4px").Body(
			// Shown at least 240 pixels wide (the working width may be 16).
			app.If(src != "", func() app.UI { return app.Img().ID(id).Src(src).Alt(caption).Style("min-width", "240px") }),
			app.If(src == "", func() app.UI {
				return app.Div().ID(id+"-pending").Style("width", "160px").Style("height", "100px").Style("background", "#eee")
			}),
			app.FigCaption().Text(caption),
		)
	}
	switch {
	case p.update.Err != nil:
		stats = app.Div().ID("patch-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + p.update.Err.Error())
	case r == nil:
		stats = app.Div().ID("patch-stats").DataSet("status", "running").Class("otplay-result").Body(
			app.Text("Transporting ... "), app.Progress().ID("patch-progress"))
	default:
		l.Timings = []Timing{{"images", ms(r.TimingsMS["images"])}, {"transport", ms(r.TimingsMS["transport"])}}
		colors = r.Colors
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		rows := []app.UI{
			resultRow("images", fmt.Sprintf("%d x %d onto %d x %d", r.Source[0], r.Source[1], r.Target[0], r.Target[1])),
			resultRow("transport cost", g(r.Cost)),
			resultRow("points (source, target)", fmt.Sprintf("%d, %d", r.Points[0], r.Points[1])),
			resultRow("solver iterations", strconv.Itoa(r.Iterations)+map[bool]string{true: " (converged)", false: ""}[r.Converged]),
			resultRow("marginal error", g(r.MarginalError)),
			resultRow("result mean RGB", fmt.Sprintf("%.4f, %.4f, %.4f", r.Mean[0], r.Mean[1], r.Mean[2])),
		}
		if r.Preset != nil {
			rows = append(rows, resultRow("preset", r.Preset.Text()))
		}
		for i, lv := range r.Levels {
			rows = append(rows, resultRow(fmt.Sprintf("level %d", i), fmt.Sprintf("%d x %d, %d patches -> %d, dim %d (%.3f of the variance), eps %.4g, cost %.4g, %d iterations",
				lv.Width, lv.Height, lv.SourcePatches, lv.TargetPatches, lv.Dim, lv.Explained, lv.Eps, lv.Cost, lv.Iterations)))
		}
		stats = app.Div().ID("patch-stats").Class("otplay-result").DataSet("status", "done").Body(app.Table().Body(rows...))
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view otplay-images").DataSet("view", "patch-images").Body(
				img("patch-src", "source", "src"),
				img("patch-tgt", "target", "tgt"),
				img("patch-out", "result", "out"),
			),
			app.Div().Class("otplay-side").Body(stats),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("patch-colors", &Plot{ID: "patch-colors", Figure: colors}),
		),
		app.If(!p.embed && r != nil && p.update.Err == nil, func() app.UI {
			return app.Div().Class("otplay-controls").Body(
				app.Button().ID("export-out").Text("PNG: result").OnClick(func(ctx app.Context, e app.Event) {
					saveDataURL("patch-result.png", r.Images["out"])
				}),
				exportButtons("patch", []string{"patch-colors"}, p.colorsCSV, p.resultJSON),
			)
		}),
	)
}

// colorsCSV is the shown frame's colour table (play.PatchFrame.ColorsCSV).
func (p *PatchPage) colorsCSV() string {
	if f := p.frame(); f != nil {
		return f.ColorsCSV()
	}
	return ""
}

// resultJSON is the published result, indented, for the JSON export.
func (p *PatchPage) resultJSON() string {
	f := p.frame()
	if f == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(PatchResult{p.result(), *f}, "", " ")
	return string(v)
}
