package diffusion

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// hierRow is one configuration of the hierarchical table.
type hierRow struct {
	label string
	set   Settings
}

// drawOrErr is resultsEnv.draw returning the sampler's error (the seed's
// marginal check can fail a run) instead of stopping the test.
func (e *resultsEnv) drawOrErr(model Model, s Schedule, set Settings) ([]float64, int, time.Duration, error) {
	e.t.Helper()
	d := model.Dim()
	x, err := e.b.Alloc(e.n * d)
	if err != nil {
		e.t.Fatal(err)
	}
	defer e.b.Free(x)
	start := time.Now()
	if err := InitialNoise(e.b, x, set.Seed); err != nil {
		e.t.Fatal(err)
	}
	res, err := Sample(e.b, model, s, x, e.n, set)
	if err != nil {
		return nil, 0, 0, err
	}
	pts := make([]float64, e.n*d)
	if err := e.b.Read(pts, x); err != nil {
		e.t.Fatal(err)
	}
	return pts, res.NFE, time.Since(start), nil
}

// resultsHierarchical measures ATLAS's hierarchical sampler (the seed's
// probability-flow Euler predictor followed by the Schrodinger-bridge
// smoothing of the batch, HierarchicalSmooth) against the same predictor
// without it at equal NFE, and against the plain predictor given the
// smoothed run's wall time (more steps).
func resultsHierarchical(e *resultsEnv) string {
	var out strings.Builder
	out.WriteString("### ATLAS hierarchical sampler (`--hierarchical`)\n\n")
	out.WriteString("The seed's sampler: a probability-flow Euler step (`--sampler euler-maruyama --deterministic`, its predictor) followed by the Schrodinger-bridge smoothing of the batch " +
		"(symmetric Sinkhorn on a Gaussian kernel of bandwidth sigma(t) = eps sqrt(1 - abar_t), at most 20 iterations, map weights f_j g_j; HierarchicalSmooth). " +
		"Each smoothed row is shown next to the plain predictor at the same NFE and (for the seed's defaults and eps 0.1 averaged), *equal time*, the plain predictor with as many steps as fit in the smoothed run's wall time (measured in the same process, at most 2000). " +
		"*seed* = the seed's defaults (eps = 0.01); *avg* = our averaged symmetric Sinkhorn iteration (`--hierarchical-averaged`), *bary* = our barycentric weights g_j (`--hierarchical-barycentric`). A row that reads *fails* stopped at the seed's marginal check (max |f K g - 1| > 0.01 after 20 iterations). FinalDenoise on.\n\n")
	out.WriteString("| data | model | configuration | NFE | ms | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|\n")
	row := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		e.t.Log(line)
		out.WriteString(line)
	}
	s := Linear(DefaultT)
	for _, name := range optionSets {
		for _, kind := range []string{"exact", "mlp"} {
			m := e.model(name, kind)
			sp := e.splits[name]
			if kind == "exact" {
				row("| %s | floor | training set vs held-out set | | | %s |\n", name, e.quality(sp.train.Points, sp.train.N, sp.held))
			}
			for _, steps := range []int{10, 50} {
				base := Settings{Sampler: EulerMaruyama, Deterministic: true, Steps: steps, FinalDenoise: true}
				pts, nfe, plain, err := e.drawOrErr(m, s, base)
				if err != nil {
					e.t.Fatal(err)
				}
				row("| %s | %s | Euler %d steps | %d | %s | %s |\n", name, kind, steps, nfe, ms(plain), e.quality(pts, e.n, sp.held))
				for _, v := range []struct {
					label string
					h     HierarchicalSettings
					equal bool // add the equal-time row
				}{
					{"seed (eps 0.01)", HierarchicalSettings{On: true}, true},
					{"eps 0.1", HierarchicalSettings{On: true, Bandwidth: 0.1}, false},
					{"eps 0.1, avg", HierarchicalSettings{On: true, Bandwidth: 0.1, Averaged: true}, true},
					{"eps 0.1, avg, bary", HierarchicalSettings{On: true, Bandwidth: 0.1, Averaged: true, Barycentric: true}, false},
					{"eps 0.3, avg", HierarchicalSettings{On: true, Bandwidth: 0.3, Averaged: true}, false},
				} {
					set := base
					set.Hierarchical = v.h
					pts, nfe, dt, err := e.drawOrErr(m, s, set)
					if err != nil {
						msg := err.Error()
						if i := strings.Index(msg, "marginal error"); i >= 0 {
							msg = msg[i:]
							if j := strings.Index(msg, " exceeds"); j >= 0 {
								msg = msg[:j]
							}
						}
						row("| %s | %s | Euler %d steps + %s | | | fails: %s | | |\n", name, kind, steps, v.label, msg)
						continue
					}
					row("| %s | %s | Euler %d steps + %s | %d | %s | %s |\n", name, kind, steps, v.label, nfe, ms(dt), e.quality(pts, e.n, sp.held))
					// Equal time: the plain predictor with the steps that
					// fit in dt (its time per step measured above).
					eq := int(math.Round(float64(steps) * float64(dt) / float64(max(plain, time.Microsecond))))
					eq = min(max(eq, steps+1), 2000)
					if v.equal && eq > steps {
						plainEq := base
						plainEq.Steps = eq
						pts, nfe, dq, err := e.drawOrErr(m, s, plainEq)
						if err != nil {
							e.t.Fatal(err)
						}
						row("| %s | %s | Euler %d steps (equal time) | %d | %s | %s |\n", name, kind, eq, nfe, ms(dq), e.quality(pts, e.n, sp.held))
					}
				}
			}
		}
	}
	out.WriteString("\n")
	return out.String()
}
