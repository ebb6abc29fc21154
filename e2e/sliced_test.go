package e2e

import (
	"encoding/json"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/sliced"
	"github.com/otplay/otplay/ui"
)

func waitSliced(t *testing.T, tb *tab, cond string) ui.SlicedResult {
	t.Helper()
	expr := `(() => { const r = window.otplayResult; return r && r.page === "/sliced" && r.done && (r.error || (` + cond + `)) ? JSON.stringify(r) : false; })()`
	text := poll[string](t, tb, expr, 40*time.Second)
	var r ui.SlicedResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	if r.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", r.Error, tb.console())
	}
	return r
}

// /sliced computes SW_2 on the browser's backend; the value matches a
// direct float64 computation (sort the projections on the same
// directions), and the direction browser moves through the directions.
func TestSlicedPage(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) {
			tb := newTab(t)
			query := "x=gaussian&y=moons&n=200&m=200&L=64&seed=3&backend=" + backend
			st, err := ui.SlicedSchema.DecodeQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.SlicedPath+"?"+query))
			r := waitSliced(t, tb, "true")

			model, err := play.ParseSliced(st)
			if err != nil {
				t.Fatal(err)
			}
			x, y, err := model.Measures()
			if err != nil {
				t.Fatal(err)
			}
			theta, err := sliced.Directions(sliced.Random, 64, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			// SW_2 by hand: N == M uniform, so W_2^2 per direction is the
			// mean squared difference of the sorted projections.
			total := 0.0
			for l := 0; l < 64; l++ {
				px, py := make([]float64, 200), make([]float64, 200)
				for i := range px {
					px[i] = x.Points[2*i]*theta[2*l] + x.Points[2*i+1]*theta[2*l+1]
					py[i] = y.Points[2*i]*theta[2*l] + y.Points[2*i+1]*theta[2*l+1]
				}
				sort.Float64s(px)
				sort.Float64s(py)
				for i := range px {
					total += (px[i] - py[i]) * (px[i] - py[i]) / 200
				}
			}
			want := math.Sqrt(total / 64)
			tol := 1e-12
			if r.Backend.Kind == ui.KindWebGPU {
				tol = 1e-4 // float32 projections of unit-scale data
			} else if backend == "auto" {
				t.Errorf("backend=auto opened %s; the browser has WebGPU", r.Backend.Badge())
			}
			t.Logf("%s: SW_2 %.9g, direct %.9g (%s), %v", r.Backend.Badge(), r.SW, want, r.Path, r.TimingsMS)
			if d := math.Abs(r.SW-want) / want; !(d <= tol) || r.L != 64 || len(r.Running) != 64 {
				t.Errorf("SW_2 %.12g vs direct %.12g (relative %.2g, tolerance %g); L %d, %d running values", r.SW, want, d, tol, r.L, len(r.Running))
			}

			click(t, tb, "next")
			r = waitSliced(t, tb, "r.shown === 1")
			click(t, tb, "prev")
			click(t, tb, "prev")
			r = waitSliced(t, tb, "r.shown === 63")
			if !(r.ShownW2Sq > 0) {
				t.Errorf("shown W2^2 = %g", r.ShownW2Sq)
			}
			ink := eval[[]int](t, tb, `(() => {
				const count = (id, test) => {
					const c = document.getElementById(id);
					const g = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
					let n = 0;
					for (let k = 0; k < g.length; k += 4) if (test(g[k], g[k+1], g[k+2])) n++;
					return n;
				};
				return [count("sliced-view", (r, g, b) => r < 90 && g > 130 && b < 90), count("sliced-curve", (r, g, b) => r > 120 && r < 170 && g < 130 && b > 160)];
			})()`)
			if len(ink) != 2 || ink[0] < 50 || ink[1] < 20 {
				t.Errorf("canvas ink (green direction, purple curve) = %v", ink)
			}
			tb.checkConsole(t)
		})
	}
}
