package ui

import (
	"errors"

	"github.com/otplay/otplay/play"
)

// OTExport is the JSON export of /ot (play.OTExport).
type OTExport = play.OTExport

// otExport is the export of frame f (nil: none yet) of the URL state
// query.
func otExport(f *play.OTFrame, query string) (OTExport, error) {
	if f == nil {
		return OTExport{}, errors.New("nothing computed yet")
	}
	return f.Export(query)
}

// otExportFiles are /ot's data files: the points with their weights and
// potentials, the plan, and everything as JSON.
func (p *OTPage) otExportFiles() []exportFile {
	return []exportFile{
		{ID: "export-points-csv", Label: "CSV: points and potentials", Name: "ot-points.csv", MIME: "text/csv", Make: func() (string, error) {
			e, err := otExport(p.shownNow())
			if err != nil {
				return "", err
			}
			return otPointsCSV(e), nil
		}},
		{ID: "export-plan-csv", Label: "CSV: plan", Name: "ot-plan.csv", MIME: "text/csv", Make: func() (string, error) {
			e, err := otExport(p.shownNow())
			if err != nil {
				return "", err
			}
			t := newCSV("i", "j", "p")
			for k := range e.Plan.P {
				t.row(e.Plan.I[k], e.Plan.J[k], e.Plan.P[k])
			}
			return t.String(), nil
		}},
		{ID: "export-json", Label: "JSON: all", Name: "ot.json", MIME: "application/json", Make: func() (string, error) {
			e, err := otExport(p.shownNow())
			if err != nil {
				return "", err
			}
			return exportJSON(e)
		}},
	}
}

// otPointsCSV: one line per point, set "x" (source, potential F) or "y"
// (target, potential G), with its coordinates and weight.
func otPointsCSV(e OTExport) string {
	t := newCSV("set", "index", "x", "y", "weight", "potential")
	rows := func(set string, pts [][]float64, w []float64, pot []any) {
		for i, pt := range pts {
			x, y := pt[0], 0.0
			if len(pt) > 1 {
				y = pt[1]
			}
			v := any("")
			if f, ok := pot[i].(float64); ok {
				v = f
			}
			t.row(set, i, x, y, w[i], v)
		}
	}
	rows("x", e.X, e.A, e.F)
	rows("y", e.Y, e.B, e.G)
	return t.String()
}
