package ui

import (
	"errors"

	"github.com/otplay/otplay/play"
)

// slicedExport is the export of frame f (nil: none yet) of the URL state
// query.
func slicedExport(f *play.SlicedFrame, query string) (SlicedExport, error) {
	if f == nil {
		return SlicedExport{}, errors.New("nothing computed yet")
	}
	return f.Export(query)
}

// slicedExportFiles are /sliced's data files: the points with their
// projections on the shown direction, that direction's plan, and
// everything as JSON.
func (p *SlicedPage) slicedExportFiles() []exportFile {
	return []exportFile{
		{ID: "export-points-csv", Label: "CSV: points and projections", Name: "sliced-points.csv", MIME: "text/csv", Make: func() (string, error) {
			e, err := slicedExport(p.shownNow())
			if err != nil {
				return "", err
			}
			t := newCSV("set", "index", "x", "y", "projection")
			rows := func(set string, pts [][]float64, proj []float64) {
				for i, pt := range pts {
					y := 0.0
					if len(pt) > 1 {
						y = pt[1]
					}
					t.row(set, i, pt[0], y, proj[i])
				}
			}
			rows("x", e.X, e.Shown.ProjX)
			rows("y", e.Y, e.Shown.ProjY)
			return t.String(), nil
		}},
		{ID: "export-plan-csv", Label: "CSV: plan of the shown direction", Name: "sliced-plan.csv", MIME: "text/csv", Make: func() (string, error) {
			e, err := slicedExport(p.shownNow())
			if err != nil {
				return "", err
			}
			t := newCSV("i", "j", "mass")
			for k := range e.Shown.Mass {
				t.row(e.Shown.I[k], e.Shown.J[k], e.Shown.Mass[k])
			}
			return t.String(), nil
		}},
		{ID: "export-json", Label: "JSON: all", Name: "sliced.json", MIME: "application/json", Make: func() (string, error) {
			e, err := slicedExport(p.shownNow())
			if err != nil {
				return "", err
			}
			return exportJSON(e)
		}},
	}
}
