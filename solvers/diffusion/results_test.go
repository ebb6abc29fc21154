package diffusion

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/metrics"
)

// TestResultsTable measures every sampler option of this package against
// held-out data and writes the tables of RESULTS.md. It takes minutes, so
// it runs only when asked:
//
//	OTPLAY_RESULTS=solvers/diffusion/RESULTS.md go test ./solvers/diffusion -run TestResultsTable -timeout 0 -v
//
// (the path is relative to this package's directory when run through go
// test: use an absolute one). OTPLAY_RESULTS_BACKEND=gpu measures on the
// GPU (lavapipe here, the accelerator on the device machine; default cpu,
// float64); OTPLAY_RESULTS_TRAIN_STEPS sets the MLP training steps
// (default DefaultTrainSteps), OTPLAY_RESULTS_N the samples per row
// (default 500) and OTPLAY_RESULTS_SECTIONS a comma-separated subset of
// corrector, threshold, scorescale, schedule, churn, guidance, otpairing.
func TestResultsTable(t *testing.T) {
	path := os.Getenv("OTPLAY_RESULTS")
	if path == "" {
		t.Skip("set OTPLAY_RESULTS=FILE to measure the options and write the table (minutes of CPU)")
	}
	env := &resultsEnv{t: t, b: compute.NewCPU(0), backend: "cpu (float64)", trainSteps: DefaultTrainSteps, n: 500}
	if os.Getenv("OTPLAY_RESULTS_BACKEND") == "gpu" {
		env.b = gputest.Backend(t)
		env.backend = "gpu (" + env.b.Info().Device + ")"
	}
	if s := os.Getenv("OTPLAY_RESULTS_TRAIN_STEPS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("OTPLAY_RESULTS_TRAIN_STEPS = %q: want a positive integer", s)
		}
		env.trainSteps = v
	}
	if s := os.Getenv("OTPLAY_RESULTS_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10 {
			t.Fatalf("OTPLAY_RESULTS_N = %q: want an integer >= 10", s)
		}
		env.n = v
	}
	var out strings.Builder
	fmt.Fprintf(&out, "# Sampler options: measured (%s)\n\n", env.backend)
	fmt.Fprintf(&out, "Written by `OTPLAY_RESULTS=$PWD/solvers/diffusion/RESULTS.md go test ./solvers/diffusion -run TestResultsTable -timeout 0` (results_test.go) on %s/%s with %d CPU threads, backend %s, on %s. ",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), env.backend, time.Now().UTC().Format("2006-01-02"))
	out.WriteString("Each row draws " + strconv.Itoa(env.n) + " samples from N(0, I) noise (seed 0) and compares them with held-out data the model never saw: " +
		"sliced W2 (200 directions), MMD (Gaussian kernel, median bandwidth) and the Sinkhorn divergence (eps = 0.05 x the held-out data's variance), package metrics. " +
		"Lower is better; the floor row compares the training set itself with the held-out set. Times (ms) are wall clock on a shared machine: indicative only.\n\n")
	sections := []struct {
		name string
		run  func(*resultsEnv) string
	}{{"corrector", resultsCorrector}, {"threshold", resultsThreshold}, {"scorescale", resultsScoreScale},
		{"schedule", resultsSchedule}, {"churn", resultsChurn}, {"guidance", resultsGuidance}, {"otpairing", resultsOTPairing}}
	only := os.Getenv("OTPLAY_RESULTS_SECTIONS")
	for _, sec := range sections {
		if only != "" && !slices.Contains(strings.Split(only, ","), sec.name) {
			continue
		}
		out.WriteString(sec.run(env))
		// Written after every section, so a long run keeps what it measured.
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %s", path)
}

// resultsEnv is what every section of the table shares.
type resultsEnv struct {
	t          *testing.T
	b          compute.Backend
	backend    string
	trainSteps int
	n          int // samples per row
	splits     map[string]split
	models     map[string]map[string]Model // data -> "exact" / "mlp" -> model
}

// optionSets are the data sets of the option tables: three 2-D toys and
// the digits (64-D).
var optionSets = []string{"8gaussians", "moons", "checkerboard", "digits"}

// model returns the exact (empirical) or trained (MLP, unconditional,
// default network) model of a data set's training points, made once.
func (e *resultsEnv) model(name, kind string) Model {
	e.t.Helper()
	if e.models == nil {
		e.models, e.splits = map[string]map[string]Model{}, map[string]split{}
	}
	if e.models[name] == nil {
		e.models[name] = map[string]Model{}
		e.splits[name] = e.splitSet(name)
	}
	if m := e.models[name][kind]; m != nil {
		return m
	}
	sp := e.splits[name]
	var m Model
	var err error
	switch kind {
	case "exact":
		m, err = NewEmpirical(e.b, sp.train.Points, sp.train.N, sp.train.D, nil)
	case "mlp":
		start := time.Now()
		net, _, terr := Train(e.b, Linear(DefaultT), sp.train.Points, sp.train.N, sp.train.D, TrainSettings{Steps: e.trainSteps, Seed: 1})
		if terr != nil {
			e.t.Fatal(terr)
		}
		e.t.Logf("%s: trained the MLP in %v", name, time.Since(start))
		m, err = NewMLP(e.b, net)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.models[name][kind] = m
	return m
}

// optionRow is one configuration of an option table.
type optionRow struct {
	label string
	sched Schedule // nil: linear
	set   Settings
}

// optionTable writes one table: for each data set and model kind, a floor
// row and one row per configuration.
func (e *resultsEnv) optionTable(title, intro string, kinds []string, rows func(sp split) []optionRow) string {
	var out strings.Builder
	out.WriteString("## " + title + "\n\n" + intro + "\n\n")
	out.WriteString("| data | model | configuration | NFE | ms | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|\n")
	for _, name := range optionSets {
		for _, kind := range kinds {
			m := e.model(name, kind)
			sp := e.splits[name]
			if kind == kinds[0] {
				fmt.Fprintf(&out, "| %s | floor | training set vs held-out set | | | %s |\n", name, e.quality(sp.train.Points, sp.train.N, sp.held))
			}
			for _, r := range rows(sp) {
				s := r.sched
				if s == nil {
					s = Linear(DefaultT)
				}
				pts, nfe, dt := e.draw(m, s, r.set)
				fmt.Fprintf(&out, "| %s | %s | %s | %d | %s | %s |\n", name, kind, r.label, nfe, ms(dt), e.quality(pts, e.n, sp.held))
			}
		}
	}
	out.WriteString("\n")
	return out.String()
}

// maxAbsCoord is the largest |coordinate| of a set (the threshold bound
// otplay sample uses by default).
func maxAbsCoord(set []float64) float64 {
	m := 0.0
	for _, v := range set {
		m = max(m, math.Abs(v))
	}
	return m
}

func resultsCorrector(e *resultsEnv) string {
	intro := "`--corrector`: predictor-corrector sampling (Song et al. 2021, Alg. 5; the seed's SPOT correctors). Each predictor is shown with the corrector, without it at the same number of steps, and without it at the same NFE (twice the steps). " +
		"Langevin: 1 step per step, r = 0.16; Tweedie: m = 0.5; adaptive: 0-3 Langevin steps when the step's relative change exceeds 0.1. FinalDenoise on; *exact* = the empirical denoiser of the training points, *mlp* = a trained network (default settings)."
	return e.optionTable("Correctors (`--corrector langevin|tweedie|adaptive`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, p := range []struct {
			s     Sampler
			steps int
		}{{DDPM, 25}, {DPMPP2M, 10}} {
			base := Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true}
			rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps", p.s, p.steps), set: base})
			twice := base
			twice.Steps *= 2
			rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps (same NFE as a corrector)", p.s, 2*p.steps), set: twice})
			for _, c := range []Corrector{Langevin, Tweedie, Adaptive} {
				set := base
				set.Corrector = c
				rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps + %v", p.s, p.steps, c), set: set})
			}
		}
		return rows
	})
}

func resultsThreshold(e *resultsEnv) string {
	intro := "`--threshold P`: dynamic thresholding (Saharia et al. 2022, section 2.3) of every x_0 prediction, bound R = the training data's largest |coordinate| (otplay sample's default), DPM-Solver++ 2M 10 steps and DDPM 50 steps."
	return e.optionTable("Dynamic thresholding (`--threshold P`)", intro, []string{"exact", "mlp"}, func(sp split) []optionRow {
		var rows []optionRow
		bound := maxAbsCoord(sp.train.Points)
		for _, p := range []struct {
			s     Sampler
			steps int
		}{{DPMPP2M, 10}, {DDPM, 50}} {
			for _, th := range []float64{0, 0.995, 0.9} {
				set := Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true, Threshold: th, ThresholdBound: bound}
				label := fmt.Sprintf("%v %d steps, off", p.s, p.steps)
				if th > 0 {
					label = fmt.Sprintf("%v %d steps, p = %g", p.s, p.steps, th)
				}
				rows = append(rows, optionRow{label: label, set: set})
			}
		}
		return rows
	})
}

func resultsScoreScale(e *resultsEnv) string {
	intro := "`--score-scale K`: the model's score times K (the seed's guidance_scale), DPM-Solver++ 2M 20 steps."
	return e.optionTable("Score scaling (`--score-scale K`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, k := range []float64{1, 0.8, 1.2, 1.5} {
			rows = append(rows, optionRow{label: fmt.Sprintf("K = %g", k), set: Settings{Sampler: DPMPP2M, Steps: 20, FinalDenoise: true, ScoreScale: k}})
		}
		return rows
	})
}

func resultsSchedule(e *resultsEnv) string {
	intro := "`--schedule`: the noise schedule of the exact model (a trained network is tied to the schedule it was trained with, so only the exact model is compared), DPM-Solver++ 2M 10 steps and DDPM 50 steps, each from t = 1 to the schedule's t_end = 1/T."
	return e.optionTable("Schedules (`--schedule quadratic|sigmoid` next to linear and cosine)", intro, []string{"exact"}, func(split) []optionRow {
		var rows []optionRow
		for _, p := range []struct {
			s     Sampler
			steps int
		}{{DPMPP2M, 10}, {DDPM, 50}} {
			for _, name := range []string{"linear", "cosine", "quadratic", "sigmoid"} {
				sc, _ := ParseSchedule(name)
				rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps, %s", p.s, p.steps, name), sched: sc, set: Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true}})
			}
		}
		return rows
	})
}

func resultsChurn(e *resultsEnv) string {
	intro := "`--churn S`: EDM's stochastic Heun sampler (Karras et al. 2022, Alg. 2, S_noise = 1, no t range), 10 steps (2 NFE each)."
	return e.optionTable("EDM churn (`--sampler heun --churn S`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, c := range []float64{0, 5, 20} {
			rows = append(rows, optionRow{label: fmt.Sprintf("heun 10 steps, churn %g", c), set: Settings{Sampler: Heun, Steps: 10, FinalDenoise: true, Churn: c}})
		}
		return rows
	})
}

// split is a data set cut into training and held-out points.
type split struct {
	name        string
	train, held data.Set
}

// splitSet returns 1000 training and 1000 held-out points of a toy set
// (two seeds), or the digits cut in two by index parity.
func (e *resultsEnv) splitSet(name string) split {
	e.t.Helper()
	if name == "digits" {
		px, lb, err := data.Digits()
		if err != nil {
			e.t.Fatal(err)
		}
		d := data.DigitPixels
		var sp [2]data.Set
		for i := range lb {
			s := &sp[i%2]
			s.Points = append(s.Points, px[i*d:(i+1)*d]...)
			s.Labels = append(s.Labels, lb[i])
			s.N++
			s.D, s.Name = d, name
		}
		return split{name, sp[0], sp[1]}
	}
	tr, err := data.Parse(name + ":1000:seed=1")
	if err != nil {
		e.t.Fatal(err)
	}
	he, err := data.Parse(name + ":1000:seed=2")
	if err != nil {
		e.t.Fatal(err)
	}
	return split{name, tr, he}
}

// classOf returns the points of set labelled k.
func classOf(set data.Set, k int) data.Set {
	sub := data.Set{Name: set.Name, D: set.D}
	for i, l := range set.Labels {
		if l == k {
			sub.Points = append(sub.Points, set.Point(i)...)
			sub.Labels = append(sub.Labels, l)
			sub.N++
		}
	}
	return sub
}

// draw samples e.n points with model and settings; it returns them, the
// NFE and the wall time.
func (e *resultsEnv) draw(model Model, s Schedule, set Settings) ([]float64, int, time.Duration) {
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
		e.t.Fatal(err)
	}
	pts := make([]float64, e.n*d)
	if err := e.b.Read(pts, x); err != nil {
		e.t.Fatal(err)
	}
	return pts, res.NFE, time.Since(start)
}

// quality returns "sliced W2 | MMD | Sinkhorn" cells of pts against ref.
func (e *resultsEnv) quality(pts []float64, n int, ref data.Set) string {
	e.t.Helper()
	if err := compute.CheckFinite("samples", pts); err != nil {
		return "diverged | diverged | diverged"
	}
	q, err := metrics.Compare(e.b, pts, n, ref.Points, ref.N, ref.D, metrics.CompareSettings{Seed: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	cell := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return strconv.FormatFloat(*v, 'g', 4, 64)
	}
	sk := cell(q.SinkhornDivergence)
	if q.SinkhornConverged != nil && !*q.SinkhornConverged {
		sk += " (not converged)"
	}
	return cell(q.SlicedW2) + " | " + cell(q.MMDValue) + " | " + sk
}

// classMeans returns the mean of each class of set.
func classMeans(set data.Set) [][]float64 {
	var means [][]float64
	var cnt []float64
	for i, l := range set.Labels {
		for len(means) <= l {
			means, cnt = append(means, make([]float64, set.D)), append(cnt, 0)
		}
		for j, v := range set.Point(i) {
			means[l][j] += v
		}
		cnt[l]++
	}
	for k := range means {
		for j := range means[k] {
			means[k][j] /= max(cnt[k], 1)
		}
	}
	return means
}

// classAccuracy is the share of the points whose nearest class mean is k.
func classAccuracy(pts []float64, d int, means [][]float64, k int) float64 {
	n, hit := len(pts)/d, 0
	for i := range n {
		best, bd := -1, math.Inf(1)
		for c, m := range means {
			s := 0.0
			for j := range d {
				v := pts[i*d+j] - m[j]
				s += v * v
			}
			if s < bd {
				best, bd = c, s
			}
		}
		if best == k {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

// spread is the root mean squared distance of the points to their mean.
func spread(pts []float64, d int) float64 {
	n := len(pts) / d
	mean := make([]float64, d)
	for i := range n {
		for j := range d {
			mean[j] += pts[i*d+j] / float64(n)
		}
	}
	s := 0.0
	for i := range n {
		for j := range d {
			v := pts[i*d+j] - mean[j]
			s += v * v
		}
	}
	return math.Sqrt(s / float64(n))
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// resultsGuidance measures classifier-free guidance: for each labelled
// set, class 1 sampled at W = 0, 1, 2, 4 with the exact empirical model
// restricted to the class and with a conditional MLP, against the
// held-out points of class 1.
func resultsGuidance(e *resultsEnv) string {
	var out strings.Builder
	const k = 1
	out.WriteString("## Classifier-free guidance (`otplay sample --class K --guidance W`)\n\n")
	fmt.Fprintf(&out, "Class K = %d of each labelled set, DPM-Solver++ 2M, 25 steps + final denoise (26 NFE; W outside {0, 1} evaluates both models: two network passes per NFE), linear schedule. "+
		"W = 1 + w of Ho and Salimans 2022: 0 is unconditional, 1 the class's own model. Quality is against the held-out points of class K (so W = 0, which samples every class, is far by construction). "+
		"*acc* is the share of samples whose nearest class mean (training data) is K's; *spread* the samples' RMS distance to their mean over that of the held-out class (1 = the class's own diversity). "+
		"Models: *exact* is the empirical denoiser of the training points (all of them for the unconditional part, class K's for the conditional part: memorises the training points); "+
		"*mlp* a class-conditional network (three hidden layers of 64, label dropout %g, %d Adam steps, `otplay train --conditional`).\n\n", k, DefaultLabelDropout, e.trainSteps)
	out.WriteString("| data | model | W | NFE | ms | acc | spread | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|---|---|\n")
	s := Linear(DefaultT)
	for _, name := range []string{"8gaussians", "moons", "spirals", "digits"} {
		sp := e.splitSet(name)
		d := sp.train.D
		heldK := classOf(sp.held, k)
		trainK := classOf(sp.train, k)
		means := classMeans(sp.train)
		fmt.Fprintf(&out, "| %s | floor (training class vs held-out class) | | | | %.3f | %.3f | %s |\n", name,
			classAccuracy(trainK.Points, d, means, k), spread(trainK.Points, d)/spread(heldK.Points, d), e.quality(trainK.Points, trainK.N, heldK))
		uncond, err := NewEmpirical(e.b, sp.train.Points, sp.train.N, d, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		cond, err := NewEmpirical(e.b, trainK.Points, trainK.N, d, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		start := time.Now()
		net, _, err := Train(e.b, s, sp.train.Points, sp.train.N, d, TrainSettings{Steps: e.trainSteps, Labels: sp.train.Labels, Seed: 1})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Logf("%s: trained the conditional MLP in %v", name, time.Since(start))
		mlp, err := NewMLP(e.b, net)
		if err != nil {
			e.t.Fatal(err)
		}
		mlpK, _ := mlp.Class(k)
		for _, m := range []struct {
			name         string
			cond, uncond Model
		}{{"exact", cond, uncond}, {"mlp", mlpK, mlp}} {
			for _, w := range []float64{0, 1, 2, 4} {
				g, err := NewGuided(e.b, m.cond, m.uncond, w)
				if err != nil {
					e.t.Fatal(err)
				}
				pts, nfe, dt := e.draw(g, s, Settings{Sampler: DPMPP2M, Steps: 25, FinalDenoise: true})
				g.Free()
				fmt.Fprintf(&out, "| %s | %s | %g | %d | %s | %.3f | %.3f | %s |\n", name, m.name, w, nfe, ms(dt),
					classAccuracy(pts, d, means, k), spread(pts, d)/spread(heldK.Points, d), e.quality(pts, e.n, heldK))
			}
		}
		mlp.Free()
		cond.Free()
		uncond.Free()
	}
	out.WriteString("\n")
	return out.String()
}

// resultsOTPairing compares a network trained with minibatch OT pairing
// (otplay train --ot-pairing) with one trained on independent draws
// (same seed, steps and network), under deterministic samplers at few
// steps, where straighter flows should pay.
func resultsOTPairing(e *resultsEnv) string {
	var out strings.Builder
	out.WriteString("## Minibatch OT pairing in training (`otplay train --ot-pairing`)\n\n")
	fmt.Fprintf(&out, "Two networks per data set (default network and batch 256, %d Adam steps, seed 1): *independent* draws of noise and data, and *ot-paired* "+
		"(each batch's noise permuted by the exact assignment to its data: Pooladian et al. 2023, Tong et al. 2023). Deterministic samplers only (otpair.go says why). "+
		"Training time is in the *ms* column of the first row of each model.\n\n", e.trainSteps)
	out.WriteString("| data | training | sampler | NFE | ms | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|\n")
	s := Linear(DefaultT)
	for _, name := range optionSets {
		sp := e.splitSet(name)
		fmt.Fprintf(&out, "| %s | floor | training set vs held-out set | | | %s |\n", name, e.quality(sp.train.Points, sp.train.N, sp.held))
		for _, pairing := range []bool{false, true} {
			start := time.Now()
			net, _, err := Train(e.b, s, sp.train.Points, sp.train.N, sp.train.D, TrainSettings{Steps: e.trainSteps, Seed: 1, OTPairing: pairing})
			if err != nil {
				e.t.Fatal(err)
			}
			train := time.Since(start)
			m, err := NewMLP(e.b, net)
			if err != nil {
				e.t.Fatal(err)
			}
			label := "independent"
			if pairing {
				label = "ot-paired"
			}
			fmt.Fprintf(&out, "| %s | %s | (training) | | %s | | | |\n", name, label, ms(train))
			for _, c := range []struct {
				s     Sampler
				steps int
			}{{DDIM, 3}, {DDIM, 10}, {DPMPP2M, 5}, {DPMPP2M, 10}, {DPMPP2M, 25}} {
				pts, nfe, dt := e.draw(m, s, Settings{Sampler: c.s, Steps: c.steps, FinalDenoise: true})
				fmt.Fprintf(&out, "| %s | %s | %v %d steps | %d | %s | %s |\n", name, label, c.s, c.steps, nfe, ms(dt), e.quality(pts, e.n, sp.held))
			}
			m.Free()
		}
	}
	out.WriteString("\n")
	return out.String()
}
