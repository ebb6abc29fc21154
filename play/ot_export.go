package play

import (
	"errors"
	"math"
)

// OTDenseExport is the largest n*m for which /ot exports the dense plan;
// beyond it the plan file holds the OTExportTopK largest entries of each
// row (a dense 2048 x 2048 plan would be 4M lines).
const OTDenseExport = 40_000

// OTExportTopK is the number of entries per row in a top-k plan export
// (the most the page draws, so every drawn line is in the file).
const OTExportTopK = 10

// OTExport is the JSON export of /ot: the problem, the current iterate's
// summary, the potentials and the plan.
type OTExport struct {
	Page          string      `json:"page"`
	Query         string      `json:"query"` // the URL state: reload it with /ot?<query>
	Method        string      `json:"method"`
	Eps           float64     `json:"eps"`
	Iteration     int         `json:"iteration"`
	Converged     bool        `json:"converged"`
	Cost          float64     `json:"cost"`
	Objective     float64     `json:"objective"`
	MarginalError float64     `json:"marginalError"`
	Mass          float64     `json:"mass"`
	X             [][]float64 `json:"x"`
	Y             [][]float64 `json:"y"`
	A             []float64   `json:"a"` // source weights
	B             []float64   `json:"b"`
	// F and G are the dual potentials (ot.Result.F, G; GeomLoss's
	// convention); null where not finite.
	F    []any        `json:"f"`
	G    []any        `json:"g"`
	Plan OTExportPlan `json:"plan"`
}

// OTExportPlan is a plan as entries (I[t], J[t], P[t]): every entry,
// row-major ("dense"), or the K largest of each row ("topk").
type OTExportPlan struct {
	Format string    `json:"format"`
	N      int       `json:"n"`
	M      int       `json:"m"`
	K      int       `json:"k,omitempty"`
	I      []int     `json:"i"`
	J      []int     `json:"j"`
	P      []float64 `json:"p"`
}

// Export gathers the JSON export of the frame: the problem, the iterate's
// summary, the potentials and the plan, which is rebuilt on the host from
// the potentials (ot.Result.PlanEntry, PlanTopKHost). query is the page's
// URL state.
func (f OTFrame) Export(query string) (OTExport, error) {
	p, res := f.Problem, f.Result
	if res == nil {
		return OTExport{}, errors.New("nothing computed yet")
	}
	e := OTExport{
		Page: OTPath, Query: query, Method: f.Method, Eps: res.Eps,
		Iteration: res.Iterations, Converged: res.Converged,
		Cost: res.Cost, Objective: res.Objective, MarginalError: res.MarginalError, Mass: res.Mass,
		X: PointRows(p.X, p.N, p.D), Y: PointRows(p.Y, p.M, p.D),
		A: uniformWeights(p.N), B: uniformWeights(p.M),
		F: finiteOrNil(res.F), G: finiteOrNil(res.G),
	}
	pl := OTExportPlan{N: p.N, M: p.M}
	if p.N*p.M <= OTDenseExport {
		pl.Format = "dense"
		for i := 0; i < p.N; i++ {
			for j := 0; j < p.M; j++ {
				pl.I, pl.J, pl.P = append(pl.I, i), append(pl.J, j), append(pl.P, res.PlanEntry(i, j))
			}
		}
	} else {
		k := min(OTExportTopK, p.M)
		idx, val, err := res.PlanTopKHost(k)
		if err != nil {
			return e, err
		}
		pl.Format, pl.K = "topk", k
		for i := 0; i < p.N; i++ {
			for t := 0; t < k; t++ {
				if j := idx[i*k+t]; j >= 0 {
					pl.I, pl.J, pl.P = append(pl.I, i), append(pl.J, j), append(pl.P, val[i*k+t])
				}
			}
		}
	}
	e.Plan = pl
	return e, nil
}

// uniformWeights is the weight vector /ot uses: 1/n each (total mass 1).
func uniformWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w
}

// finiteOrNil copies v for JSON, with null for NaN and infinities (which
// JSON cannot write).
func finiteOrNil(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out[i] = x
		}
	}
	return out
}
