package ui

import "errors"

// SlicedExport is the JSON export of /sliced: the distance, every
// direction and its W_2^2, and the shown direction's 1-D problem.
type SlicedExport struct {
	Page   string  `json:"page"`
	Query  string  `json:"query"` // the URL state: reload it with /sliced?<query>
	SW     float64 `json:"sw"`
	StdErr float64 `json:"stdErr"`
	L      int     `json:"L"`
	Path   string  `json:"path"`
	// Running[k] is the estimate after k+1 directions, PerDirection[l]
	// the W_2^2 of direction l (sliced.Result).
	Running      []float64         `json:"running"`
	PerDirection []float64         `json:"perDirection"`
	Directions   [][]float64       `json:"directions"`
	X            [][]float64       `json:"x"`
	Y            [][]float64       `json:"y"`
	Shown        SlicedExportSlice `json:"shown"`
}

// SlicedExportSlice is one direction's 1-D problem: the projections of
// both clouds and the monotone plan (mass Mass[t] from x_I[t] to y_J[t]).
type SlicedExportSlice struct {
	Index     int       `json:"index"`
	Direction []float64 `json:"direction"`
	W2Sq      float64   `json:"w2sq"`
	ProjX     []float64 `json:"projX"`
	ProjY     []float64 `json:"projY"`
	I         []int     `json:"i"`
	J         []int     `json:"j"`
	Mass      []float64 `json:"mass"`
}

func (r *slicedRun) exportData() (SlicedExport, error) {
	if r == nil {
		return SlicedExport{}, errors.New("nothing computed yet")
	}
	if r.out.Error != "" {
		return SlicedExport{}, errors.New(r.out.Error)
	}
	res, s := r.res, r.slice
	e := SlicedExport{
		Page: SlicedPath, Query: r.st.Encode(), SW: res.SW, StdErr: res.StdErr, L: res.L, Path: string(res.Path),
		Running: res.Running, PerDirection: res.PerDirection, Directions: pointRows(res.Directions, res.L, res.D),
		X: pointRows(r.x.Points, r.x.N, r.x.D), Y: pointRows(r.y.Points, r.y.N, r.y.D),
		Shown: SlicedExportSlice{Index: r.shown, Direction: s.Direction, W2Sq: s.W2Sq, ProjX: s.ProjX, ProjY: s.ProjY},
	}
	for _, m := range s.Plan {
		e.Shown.I, e.Shown.J, e.Shown.Mass = append(e.Shown.I, m.I), append(e.Shown.J, m.J), append(e.Shown.Mass, m.Mass)
	}
	return e, nil
}

// slicedExportFiles are /sliced's data files: the points with their
// projections on the shown direction, that direction's plan, and
// everything as JSON.
func (p *SlicedPage) slicedExportFiles() []exportFile {
	return []exportFile{
		{ID: "export-points-csv", Label: "CSV: points and projections", Name: "sliced-points.csv", MIME: "text/csv", Make: func() (string, error) {
			e, err := p.run.exportData()
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
			e, err := p.run.exportData()
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
			e, err := p.run.exportData()
			if err != nil {
				return "", err
			}
			return exportJSON(e)
		}},
	}
}
