package diffusion

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/nn"
)

// TestResultsTable measures every sampler option of this package against
// held-out data and writes the tables of RESULTS.md. It takes minutes, so
// it runs only when asked:
//
//	OTPLAY_RESULTS=$PWD/solvers/diffusion/RESULTS.md go test ./solvers/diffusion -run TestResultsTable -timeout 0 -v
//
// (go test runs in the package's directory: give an absolute path).
// Environment:
//   - OTPLAY_RESULTS_BACKEND=gpu measures on the GPU (lavapipe here, the
//     accelerator on the device machine; default cpu, float64);
//   - OTPLAY_RESULTS_THREADS the CPU backend's threads (default all);
//   - OTPLAY_RESULTS_N the samples per row (default 500);
//   - OTPLAY_RESULTS_TRAIN_STEPS the networks' Adam steps (default
//     DefaultTrainSteps);
//   - OTPLAY_RESULTS_NETS a folder of networks written by TestResultsNets
//     (the same weights then serve every section and both backends;
//     without it each process trains its own);
//   - OTPLAY_RESULTS_SECTIONS a comma-separated subset of the names in
//     resultsSections.
//
// The generated part of the file (below resultsMarker) holds one block
// per backend ("Tables: cpu (...)", "Tables: gpu (...)") and, in each,
// one block per section: a run rewrites only the sections it measured on
// its own backend and keeps the rest, so CPU and GPU tables stand side by
// side and several processes (one per section) may write one file (a
// lock file serialises them).
func TestResultsTable(t *testing.T) {
	path := os.Getenv("OTPLAY_RESULTS")
	if path == "" {
		t.Skip("set OTPLAY_RESULTS=FILE to measure the options and write the table (minutes of CPU)")
	}
	env := newResultsEnv(t)
	only := os.Getenv("OTPLAY_RESULTS_SECTIONS")
	for _, name := range strings.Split(only, ",") {
		if name != "" && !slices.ContainsFunc(resultsSections, func(s resultsSection) bool { return s.name == name }) {
			t.Fatalf("OTPLAY_RESULTS_SECTIONS: unknown section %q", name)
		}
	}
	for _, sec := range resultsSections {
		if only != "" && !slices.Contains(strings.Split(only, ","), sec.name) {
			continue
		}
		start := time.Now()
		body := sec.run(env)
		// Each section names where it ran: sections of one backend block
		// may come from different machines or runs.
		if title, rest, ok := strings.Cut(body, "\n"); ok {
			body = fmt.Sprintf("%s\n\n*Measured on %s, %d samples per row, networks of %d Adam steps, %s.*\n%s",
				title, env.backend, env.n, env.trainSteps, time.Now().UTC().Format("2006-01-02"), rest)
		}
		// Written after every section, so a long run keeps what it measured.
		err := withFileLock(path, func() error {
			old, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return writeFileAtomic(path, resultsMerge(string(old), env.backendKey, env.header(), sec.name, body))
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: section %s written in %v", path, sec.name, time.Since(start).Round(time.Millisecond))
	}
}

// TestResultsMerge checks that a generator run rewrites only its own
// backend's section and keeps the hand-written text, the other backend
// and the other sections, in resultsSections' order with cpu first.
func TestResultsMerge(t *testing.T) {
	doc := "# Title\n\nReading.\n"
	doc = resultsMerge(doc, "gpu", "## Tables: gpu (A)", "threshold", "gpu threshold v1")
	doc = resultsMerge(doc, "cpu", "## Tables: cpu (B)", "threshold", "cpu threshold v1")
	doc = resultsMerge(doc, "cpu", "## Tables: cpu (C)", "corrector", "cpu corrector v1")
	doc = resultsMerge(doc, "gpu", "## Tables: gpu (A2)", "threshold", "gpu threshold v2")
	again := resultsMerge(doc, "gpu", "## Tables: gpu (A2)", "threshold", "gpu threshold v2")
	if again != doc {
		t.Errorf("merging the same section twice changed the file:\n%s\n---\n%s", doc, again)
	}
	want := []string{"# Title\n\nReading.\n\n" + resultsMarker, "<!-- tables: cpu -->", "## Tables: cpu (C)", "<!-- section: corrector -->", "cpu corrector v1",
		"<!-- section: threshold -->", "cpu threshold v1", "<!-- end tables: cpu -->", "<!-- tables: gpu -->", "## Tables: gpu (A2)", "gpu threshold v2", "<!-- end tables: gpu -->"}
	at := 0
	for _, w := range want {
		i := strings.Index(doc[at:], w)
		if i < 0 {
			t.Fatalf("merged file lacks %q after offset %d (or has it out of order):\n%s", w, at, doc)
		}
		at += i + len(w)
	}
	for _, gone := range []string{"gpu threshold v1", "## Tables: cpu (B)", "(A)\n"} {
		if strings.Contains(doc, gone) {
			t.Errorf("merged file still holds the replaced %q:\n%s", gone, doc)
		}
	}
}

// resultsSection is one table of RESULTS.md and the function that measures it.
type resultsSection struct {
	name string
	run  func(*resultsEnv) string
}

// resultsSections are the tables of RESULTS.md, in their order there.
var resultsSections = []resultsSection{
	{"corrector", resultsCorrector},
	{"threshold", resultsThreshold},
	{"scorescale", resultsScoreScale},
	{"schedule", resultsSchedule},
	{"churn", resultsChurn},
	{"rff", resultsRFF},
	{"guidance", resultsGuidance},
	{"otpairing", resultsOTPairing},
	// Sections of other files: one line each.
	{"hierarchical", resultsHierarchical}, // results_hier_test.go
}

// resultsMarker separates the hand-written part of RESULTS.md (kept)
// from the generated tables.
const resultsMarker = "<!-- generated by TestResultsTable (results_test.go): everything below is rewritten -->"

var (
	resultsBlockRE   = regexp.MustCompile(`(?s)<!-- tables: ([a-z0-9]+) -->\n(.*?)<!-- end tables: [a-z0-9]+ -->\n*`)
	resultsSectionRE = regexp.MustCompile(`(?s)<!-- section: ([a-z0-9-]+) -->\n(.*?)<!-- end section: [a-z0-9-]+ -->\n*`)
)

// resultsMerge returns doc with section name of the backend block
// backend (header: its heading and introduction) set to body. Everything
// else is kept: the hand-written text above resultsMarker, the other
// backends' blocks and this backend's other sections. Blocks come cpu
// first; sections in resultsSections' order, unknown names last.
func resultsMerge(doc, backend, header, name, body string) string {
	hand, gen := doc, ""
	if i := strings.Index(doc, resultsMarker); i >= 0 {
		hand, gen = doc[:i], doc[i+len(resultsMarker):]
	}
	type block struct {
		key, header string
		names       []string
		bodies      map[string]string
	}
	var blocks []*block
	for _, m := range resultsBlockRE.FindAllStringSubmatch(gen, -1) {
		b := &block{key: m[1], bodies: map[string]string{}}
		inner := m[2]
		if i := strings.Index(inner, "<!-- section: "); i >= 0 {
			b.header, inner = inner[:i], inner[i:]
		} else {
			b.header, inner = inner, ""
		}
		for _, s := range resultsSectionRE.FindAllStringSubmatch(inner, -1) {
			b.names = append(b.names, s[1])
			b.bodies[s[1]] = s[2]
		}
		blocks = append(blocks, b)
	}
	i := slices.IndexFunc(blocks, func(b *block) bool { return b.key == backend })
	if i < 0 {
		blocks = append(blocks, &block{key: backend, bodies: map[string]string{}})
		i = len(blocks) - 1
	}
	b := blocks[i]
	b.header = header
	if _, ok := b.bodies[name]; !ok {
		b.names = append(b.names, name)
	}
	b.bodies[name] = body
	order := func(n string) int {
		if k := slices.IndexFunc(resultsSections, func(s resultsSection) bool { return s.name == n }); k >= 0 {
			return k
		}
		return len(resultsSections)
	}
	slices.SortStableFunc(b.names, func(x, y string) int { return order(x) - order(y) })
	slices.SortStableFunc(blocks, func(x, y *block) int {
		return map[bool]int{true: 0, false: 1}[x.key == "cpu"] - map[bool]int{true: 0, false: 1}[y.key == "cpu"]
	})
	var out strings.Builder
	out.WriteString(strings.TrimRight(hand, "\n") + "\n\n" + resultsMarker + "\n\n")
	for _, b := range blocks {
		fmt.Fprintf(&out, "<!-- tables: %s -->\n%s\n\n", b.key, strings.TrimSpace(b.header))
		for _, n := range b.names {
			fmt.Fprintf(&out, "<!-- section: %s -->\n%s\n<!-- end section: %s -->\n\n", n, strings.TrimSpace(b.bodies[n]), n)
		}
		fmt.Fprintf(&out, "<!-- end tables: %s -->\n\n", b.key)
	}
	return strings.TrimRight(out.String(), "\n") + "\n"
}

// withFileLock runs f while holding path+".lock" (created exclusively,
// removed after), so that processes writing one file take turns. It gives
// up after two minutes.
func withFileLock(path string, f func() error) error {
	lock := path + ".lock"
	for deadline := time.Now().Add(2 * time.Minute); ; {
		fd, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fd.Close()
			defer os.Remove(lock)
			return f()
		}
		if !errors.Is(err, fs.ErrExist) || time.Now().After(deadline) {
			return fmt.Errorf("lock %s: %w", lock, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// cpuModel is the processor's name from /proc/cpuinfo, or GOOS/GOARCH
// where there is none.
func cpuModel() string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.Join(strings.Fields(v), " ")
			}
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// resultsEnv is what every section of the table shares.
type resultsEnv struct {
	t          *testing.T
	b          compute.Backend
	backend    string // "cpu (float64, <processor>, N threads)" or "gpu (float32, <adapter>)"
	backendKey string // "cpu" or "gpu"
	trainSteps int
	n          int    // samples per row
	nets       string // OTPLAY_RESULTS_NETS: trained networks, or ""
	splits     map[string]split
	models     map[string]map[string]Model // data -> "exact" / "mlp" -> model
}

// newResultsEnv reads the environment variables of TestResultsTable.
func newResultsEnv(t *testing.T) *resultsEnv {
	threads := resultsIntEnv(t, "OTPLAY_RESULTS_THREADS", 0, 0)
	cpu := compute.NewCPU(threads)
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	env := &resultsEnv{t: t, b: cpu, backendKey: "cpu",
		backend:    fmt.Sprintf("cpu (float64, %s, %d of %d threads)", cpuModel(), threads, runtime.NumCPU()),
		trainSteps: resultsIntEnv(t, "OTPLAY_RESULTS_TRAIN_STEPS", DefaultTrainSteps, 1),
		n:          resultsIntEnv(t, "OTPLAY_RESULTS_N", 500, 10),
		nets:       os.Getenv("OTPLAY_RESULTS_NETS")}
	switch be := os.Getenv("OTPLAY_RESULTS_BACKEND"); be {
	case "", "cpu":
	case "gpu":
		env.b = gputest.Backend(t)
		env.backendKey = "gpu"
		env.backend = "gpu (float32, " + env.b.Info().Device + ")"
	default:
		t.Fatalf("OTPLAY_RESULTS_BACKEND = %q: want cpu or gpu", be)
	}
	return env
}

// resultsIntEnv reads an integer >= lo from the environment (def when unset).
func resultsIntEnv(t *testing.T, name string, def, lo int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo {
		t.Fatalf("%s = %q: want an integer >= %d", name, s, lo)
	}
	return v
}

// header is the heading and introduction of this backend's block.
func (e *resultsEnv) header() string {
	nets := fmt.Sprintf("Networks: three hidden layers of 64 (the default), %d Adam steps, seed 1", e.trainSteps)
	if e.nets != "" {
		nets += ", trained once on the float64 CPU backend by TestResultsNets: both backends sample the same weights"
	}
	return fmt.Sprintf("## Tables: %s\n\n"+
		"Written by TestResultsTable (results_test.go) on %s/%s, %s, backend %s. "+
		"Each row draws %d samples from N(0, I) noise (seed 0) and compares them with held-out data the model never saw: "+
		"sliced W2 (200 directions), MMD (Gaussian kernel, median bandwidth) and the Sinkhorn divergence (eps = 0.05 x the held-out data's variance), package metrics. "+
		"Lower is better; the floor row compares the training set itself with the held-out set. %s. "+
		"*ms* is the wall time of the draw (noise, every step, the read-back), after one warm-up draw per model; "+
		"a row marked *equal time* is the group's baseline (its first row) given more steps, so that it takes about as long as the row above it.",
		e.backend, runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"), e.b.Info().Name, e.n, nets)
}

// optionSets are the data sets of the option tables: three 2-D toys and
// the digits (64-D).
var optionSets = []string{"8gaussians", "moons", "checkerboard", "digits"}

// resultsNetSpec is one network of the tables: an unconditional net on
// independent draws, one on OT-paired draws, or a class-conditional one.
type resultsNetSpec struct {
	data, kind string // kind: independent, otpaired, conditional
}

func (s resultsNetSpec) file() string { return s.data + "-" + s.kind + ".json" }

// resultsNetSpecs are the networks TestResultsNets trains.
func resultsNetSpecs() []resultsNetSpec {
	var specs []resultsNetSpec
	for _, name := range optionSets {
		specs = append(specs, resultsNetSpec{name, "independent"}, resultsNetSpec{name, "otpaired"})
	}
	for _, name := range guidanceSets {
		specs = append(specs, resultsNetSpec{name, "conditional"})
	}
	return specs
}

// TestResultsNets trains the networks of TestResultsTable at once, each
// on its own float64 CPU backend of OTPLAY_RESULTS_THREADS threads (default
// 2), and saves them in the folder OTPLAY_RESULTS_TRAIN_NETS (with each
// one's training time, NAME.ms), for OTPLAY_RESULTS_NETS:
//
//	OTPLAY_RESULTS_TRAIN_NETS=/tmp/nets go test ./solvers/diffusion -run TestResultsNets -timeout 0 -v
func TestResultsNets(t *testing.T) {
	dir := os.Getenv("OTPLAY_RESULTS_TRAIN_NETS")
	if dir == "" {
		t.Skip("set OTPLAY_RESULTS_TRAIN_NETS=DIR to train the networks of TestResultsTable (minutes of CPU)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := &resultsEnv{t: t, trainSteps: resultsIntEnv(t, "OTPLAY_RESULTS_TRAIN_STEPS", DefaultTrainSteps, 1)}
	threads := resultsIntEnv(t, "OTPLAY_RESULTS_THREADS", 2, 1)
	specs := resultsNetSpecs()
	splits := map[string]split{}
	for _, s := range specs {
		if _, ok := splits[s.data]; !ok {
			splits[s.data] = env.splitSet(s.data)
		}
	}
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Go(func() {
			start := time.Now()
			net, err := trainResultsNet(compute.NewCPU(threads), splits[s.data].train, s.kind, env.trainSteps)
			if err == nil {
				err = net.Save(filepath.Join(dir, s.file()))
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, strings.TrimSuffix(s.file(), ".json")+".ms"), []byte(ms(time.Since(start))), 0o644)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", specs[i].file(), err)
		}
	}
}

// trainResultsNet trains the network kind (independent, otpaired,
// conditional) of a training set: default network, linear schedule, seed 1.
func trainResultsNet(b compute.Backend, train data.Set, kind string, steps int) (*nn.MLP, error) {
	set := TrainSettings{Steps: steps, Seed: 1, Data: train.Name}
	switch kind {
	case "otpaired":
		set.OTPairing = true
	case "conditional":
		set.Labels = train.Labels
	}
	net, _, err := Train(b, Linear(DefaultT), train.Points, train.N, train.D, set)
	return net, err
}

// net returns the network kind of a data set on e's backend, loaded from
// OTPLAY_RESULTS_NETS when it is there, else trained now, and the
// training time in ms (as recorded by TestResultsNets, or measured now).
func (e *resultsEnv) net(name, kind string) (*MLP, string) {
	e.t.Helper()
	spec := resultsNetSpec{name, kind}
	if e.nets != "" {
		if n, err := nn.Load(filepath.Join(e.nets, spec.file())); err == nil {
			m, err := NewMLP(e.b, n)
			if err != nil {
				e.t.Fatal(err)
			}
			took, _ := os.ReadFile(filepath.Join(e.nets, strings.TrimSuffix(spec.file(), ".json")+".ms"))
			return m, strings.TrimSpace(string(took))
		} else if !errors.Is(err, fs.ErrNotExist) {
			e.t.Fatal(err)
		}
	}
	start := time.Now()
	n, err := trainResultsNet(e.b, e.splitSet(name).train, kind, e.trainSteps)
	if err != nil {
		e.t.Fatal(err)
	}
	took := time.Since(start)
	e.t.Logf("%s: trained the %s network in %v", name, kind, took)
	m, err := NewMLP(e.b, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return m, ms(took)
}

// model returns the exact (empirical) or trained (MLP, unconditional,
// default network) model of a data set's training points, made once and
// warmed up by one short draw (pipelines compiled, buffers allocated).
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
	switch kind {
	case "exact":
		var err error
		m, err = NewEmpirical(e.b, sp.train.Points, sp.train.N, sp.train.D, nil)
		if err != nil {
			e.t.Fatal(err)
		}
	case "mlp":
		m, _ = e.net(name, "independent")
	default:
		e.t.Fatalf("model kind %q: want exact or mlp", kind)
	}
	e.warmUp(m, Linear(DefaultT))
	e.models[name][kind] = m
	return m
}

// warmUp draws once with m so that later timings leave out first-use costs.
func (e *resultsEnv) warmUp(m Model, s Schedule) {
	e.t.Helper()
	e.draw(m, s, Settings{Sampler: DPMPP2M, Steps: 2, FinalDenoise: true})
}

// optionRow is one configuration of an option table.
type optionRow struct {
	label string
	sched Schedule // nil: linear
	set   Settings
	// base marks a group's baseline: each later row of the group that
	// takes over 1.2 times its time is followed by the baseline given
	// that time (more steps), the "equal time" comparison.
	base bool
	// model, if set, replaces the table's model for this row.
	model Model
	// sameAsBase marks the baseline itself at other steps: no equal-time row.
	sameAsBase bool
}

// optionTable writes one table: for each data set and model kind, a floor
// row and one row per configuration (and equal-time rows, see optionRow.base).
func (e *resultsEnv) optionTable(title, intro string, kinds []string, rows func(sp split) []optionRow) string {
	var out strings.Builder
	out.WriteString("### " + title + "\n\n" + intro + "\n\n")
	out.WriteString("| data | model | configuration | NFE | ms | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|\n")
	for _, name := range optionSets {
		for _, kind := range kinds {
			m := e.model(name, kind)
			sp := e.splits[name]
			if kind == kinds[0] {
				e.emit(&out, "| %s | floor | training set vs held-out set | | | %s |\n", name, e.quality(sp.train.Points, sp.train.N, sp.held))
			}
			var base *optionRow
			var baseTime time.Duration
			done := map[int]bool{} // equal-time steps already drawn for this base
			for _, r := range rows(sp) {
				s := r.sched
				if s == nil {
					s = Linear(DefaultT)
				}
				rm := m
				if r.model != nil {
					rm = r.model
					e.warmUp(rm, s)
				}
				pts, nfe, dt := e.draw(rm, s, r.set)
				if r.base || (base != nil && !r.sameAsBase && dt*5 > baseTime*6) {
					// The baseline's time, and that of a row that seems
					// slower, is the smaller of two draws: a stall of the
					// machine should not make an equal-time row.
					if _, _, dt2 := e.draw(rm, s, r.set); dt2 < dt {
						dt = dt2
					}
				}
				e.emit(&out, "| %s | %s | %s | %d | %s | %s |\n", name, kind, r.label, nfe, ms(dt), e.quality(pts, e.n, sp.held))
				if r.base {
					base, baseTime, done = &r, dt, map[int]bool{}
					if r.model == nil {
						base.model = m
					}
					continue
				}
				if base != nil && !r.sameAsBase && dt*5 > baseTime*6 {
					if row := e.equalTime(name, kind, base, baseTime, dt, done, sp.held); row != "" {
						out.WriteString(row)
					}
				}
			}
		}
	}
	out.WriteString("\n")
	return out.String()
}

// equalTime draws the baseline with its steps scaled so that it takes
// about target (one correction after a first try), and returns its row,
// or "" when that many steps were drawn already for this baseline.
func (e *resultsEnv) equalTime(name, kind string, base *optionRow, baseTime, target time.Duration, done map[int]bool, held data.Set) string {
	s := base.sched
	if s == nil {
		s = Linear(DefaultT)
	}
	scale := func(steps int, from time.Duration) int {
		k := int(math.Round(float64(steps) * float64(target) / float64(max(from, time.Microsecond))))
		return min(max(k, base.set.Steps), 40*base.set.Steps, DefaultT-1)
	}
	set := base.set
	set.Steps = scale(base.set.Steps, baseTime)
	if done[set.Steps] {
		return ""
	}
	pts, nfe, dt := e.draw(base.model, s, set)
	if dt*5 < target*4 {
		if k := scale(set.Steps, dt); k != set.Steps && !done[k] {
			set.Steps = k
			pts, nfe, dt = e.draw(base.model, s, set)
		}
	}
	done[set.Steps] = true
	row := fmt.Sprintf("| %s | %s | equal time: %v %d steps | %d | %s | %s |\n", name, kind, set.Sampler, set.Steps, nfe, ms(dt), e.quality(pts, e.n, held))
	e.t.Log(strings.TrimSuffix(row, "\n"))
	return row
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
	intro := "`--corrector`: predictor-corrector sampling (Song et al. 2021, Alg. 5; the seed's SPOT correctors). Each predictor is shown with the corrector, without it at the same number of steps, without it at the same NFE (twice the steps) and, after each slower row, without it at the same time. " +
		"Langevin: 1 step per step, r = 0.16; Tweedie: m = 0.5; adaptive: 0-3 Langevin steps when the step's relative change exceeds 0.1. FinalDenoise on; *exact* = the empirical denoiser of the training points, *mlp* = a trained network (default settings)."
	return e.optionTable("Correctors (`--corrector langevin|tweedie|adaptive`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, p := range []struct {
			s     Sampler
			steps int
			cs    []Corrector
		}{{DDPM, 25, []Corrector{Langevin, Tweedie, Adaptive}}, {DPMPP2M, 10, []Corrector{Langevin}}} {
			base := Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true}
			rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps", p.s, p.steps), set: base, base: true})
			twice := base
			twice.Steps *= 2
			rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps (same NFE as a corrector)", p.s, 2*p.steps), set: twice, sameAsBase: true})
			for _, c := range p.cs {
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
			for _, th := range []float64{0, 0.995} {
				set := Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true, Threshold: th, ThresholdBound: bound}
				label := fmt.Sprintf("%v %d steps, off", p.s, p.steps)
				if th > 0 {
					label = fmt.Sprintf("%v %d steps, p = %g", p.s, p.steps, th)
				}
				rows = append(rows, optionRow{label: label, set: set, base: th == 0})
			}
		}
		return rows
	})
}

func resultsScoreScale(e *resultsEnv) string {
	intro := "`--score-scale K`: the model's score times K (the seed's guidance_scale), DPM-Solver++ 2M 20 steps."
	return e.optionTable("Score scaling (`--score-scale K`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, k := range []float64{1, 0.8, 1.5} {
			rows = append(rows, optionRow{label: fmt.Sprintf("K = %g", k), set: Settings{Sampler: DPMPP2M, Steps: 20, FinalDenoise: true, ScoreScale: k}, base: k == 1})
		}
		return rows
	})
}

func resultsSchedule(e *resultsEnv) string {
	intro := "`--schedule`: the noise schedule of the exact model (a trained network is tied to the schedule it was trained with, so only the exact model is compared), DPM-Solver++ 2M 10 steps from t = 1 to the schedule's t_end = 1/T."
	return e.optionTable("Schedules (`--schedule quadratic|sigmoid` next to linear and cosine)", intro, []string{"exact"}, func(split) []optionRow {
		var rows []optionRow
		for _, p := range []struct {
			s     Sampler
			steps int
		}{{DPMPP2M, 10}} {
			for _, name := range []string{"linear", "cosine", "quadratic", "sigmoid"} {
				sc, _ := ParseSchedule(name)
				rows = append(rows, optionRow{label: fmt.Sprintf("%v %d steps, %s", p.s, p.steps, name), sched: sc, set: Settings{Sampler: p.s, Steps: p.steps, FinalDenoise: true}, base: name == "linear"})
			}
		}
		return rows
	})
}

func resultsChurn(e *resultsEnv) string {
	intro := "`--churn S`: EDM's stochastic Heun sampler (Karras et al. 2022, Alg. 2, S_noise = 1, no t range), 10 steps (2 NFE each), against deterministic Heun (churn 0) and DPM-Solver++ 2M at the same NFE."
	return e.optionTable("EDM churn (`--sampler heun --churn S`)", intro, []string{"exact", "mlp"}, func(split) []optionRow {
		var rows []optionRow
		for _, c := range []float64{0, 5, 20} {
			rows = append(rows, optionRow{label: fmt.Sprintf("heun 10 steps, churn %g", c), set: Settings{Sampler: Heun, Steps: 10, FinalDenoise: true, Churn: c}, base: c == 0})
		}
		rows = append(rows, optionRow{label: "dpmpp2m 20 steps (the NFE of heun 10)", set: Settings{Sampler: DPMPP2M, Steps: 20, FinalDenoise: true}})
		return rows
	})
}

// split is a data set cut into training and held-out points.
type split struct {
	name        string
	train, held data.Set
}

// splitSet returns 1000 training and 500 held-out points of a toy set
// (two seeds), or the digits cut in two by index parity (899 and 898).
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
	he, err := data.Parse(name + ":500:seed=2")
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
	host := ""
	if err != nil && e.backendKey != "cpu" {
		// float32 refuses an eps below its precision floor (samples far
		// off the data: costs up to 1e6 and more); measure on the host.
		host = " (float64 host)"
		q, err = metrics.Compare(compute.NewCPU(0), pts, n, ref.Points, ref.N, ref.D, metrics.CompareSettings{Seed: 1})
	}
	if err != nil {
		msg := strings.NewReplacer("|", "/", "\n", " ").Replace(err.Error())
		return "error | error | error: " + msg[:min(len(msg), 120)]
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
	return cell(q.SlicedW2) + " | " + cell(q.MMDValue) + " | " + sk + host
}

// emit writes one table row to out and logs it, so a run stopped part
// way keeps its rows in the test log.
func (e *resultsEnv) emit(out *strings.Builder, format string, args ...any) {
	row := fmt.Sprintf(format, args...)
	out.WriteString(row)
	e.t.Log(strings.TrimSuffix(row, "\n"))
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

// guidanceSets are the labelled data sets of the guidance table.
var guidanceSets = []string{"8gaussians", "moons", "spirals", "digits"}

// resultsGuidance measures classifier-free guidance: for each labelled
// set, class 1 sampled at W = 0, 1, 3 with the exact empirical model
// restricted to the class and with a conditional MLP, against the
// held-out points of class 1.
func resultsGuidance(e *resultsEnv) string {
	var out strings.Builder
	const k = 1
	out.WriteString("### Classifier-free guidance (`otplay sample --class K --guidance W`)\n\n")
	fmt.Fprintf(&out, "Class K = %d of each labelled set, DPM-Solver++ 2M, 25 steps + final denoise (26 NFE; W outside {0, 1} evaluates both models: two network passes per NFE), linear schedule. "+
		"W = 1 + w of Ho and Salimans 2022: 0 is unconditional, 1 the class's own model. Quality is against the held-out points of class K (so W = 0, which samples every class, is far by construction). "+
		"*acc* is the share of samples whose nearest class mean (training data) is K's; *spread* the samples' RMS distance to their mean over that of the held-out class (1 = the class's own diversity). "+
		"Models: *exact* is the empirical denoiser of the training points (all of them for the unconditional part, class K's for the conditional part: memorises the training points); "+
		"*mlp* a class-conditional network (three hidden layers of 64, label dropout %g, %d Adam steps, `otplay train --conditional`).\n\n", k, DefaultLabelDropout, e.trainSteps)
	out.WriteString("| data | model | W | NFE | ms | acc | spread | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|---|---|\n")
	s := Linear(DefaultT)
	for _, name := range guidanceSets {
		sp := e.splitSet(name)
		d := sp.train.D
		heldK := classOf(sp.held, k)
		trainK := classOf(sp.train, k)
		means := classMeans(sp.train)
		e.emit(&out, "| %s | floor (training class vs held-out class) | | | | %.3f | %.3f | %s |\n", name,
			classAccuracy(trainK.Points, d, means, k), spread(trainK.Points, d)/spread(heldK.Points, d), e.quality(trainK.Points, trainK.N, heldK))
		uncond, err := NewEmpirical(e.b, sp.train.Points, sp.train.N, d, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		cond, err := NewEmpirical(e.b, trainK.Points, trainK.N, d, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		mlp, _ := e.net(name, "conditional")
		mlpK, _ := mlp.Class(k)
		for _, m := range []struct {
			name         string
			cond, uncond Model
		}{{"exact", cond, uncond}, {"mlp", mlpK, mlp}} {
			for _, w := range []float64{0, 1, 3} {
				g, err := NewGuided(e.b, m.cond, m.uncond, w)
				if err != nil {
					e.t.Fatal(err)
				}
				if w == 0 {
					e.warmUp(g, s)
				}
				pts, nfe, dt := e.draw(g, s, Settings{Sampler: DPMPP2M, Steps: 25, FinalDenoise: true})
				g.Free()
				e.emit(&out, "| %s | %s | %g | %d | %s | %.3f | %.3f | %s |\n", name, m.name, w, nfe, ms(dt),
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
	out.WriteString("### Minibatch OT pairing in training (`otplay train --ot-pairing`)\n\n")
	fmt.Fprintf(&out, "Two networks per data set (default network and batch 256, %d Adam steps, seed 1): *independent* draws of noise and data, and *ot-paired* "+
		"(each batch's noise permuted by the exact assignment to its data: Pooladian et al. 2023, Tong et al. 2023). Deterministic samplers only (otpair.go says why). "+
		"Training time is in the *ms* column of the first row of each model (with OTPLAY_RESULTS_NETS: all networks trained at once on the CPU, 2 threads each). "+
		"Equal time here is a training cost: the pairing's extra time is in the (training) rows, the samplers cost the same.\n\n", e.trainSteps)
	out.WriteString("| data | training | sampler | NFE | ms | sliced W2 | MMD | Sinkhorn |\n|---|---|---|---|---|---|---|---|\n")
	s := Linear(DefaultT)
	for _, name := range optionSets {
		sp := e.splitSet(name)
		e.emit(&out, "| %s | floor | training set vs held-out set | | | %s |\n", name, e.quality(sp.train.Points, sp.train.N, sp.held))
		for _, kind := range []string{"independent", "otpaired"} {
			m, train := e.net(name, kind)
			e.warmUp(m, s)
			label := map[string]string{"independent": "independent", "otpaired": "ot-paired"}[kind]
			e.emit(&out, "| %s | %s | (training) | | %s | | | |\n", name, label, train)
			for _, c := range []struct {
				s     Sampler
				steps int
			}{{DDIM, 3}, {DPMPP2M, 5}, {DPMPP2M, 10}} {
				pts, nfe, dt := e.draw(m, s, Settings{Sampler: c.s, Steps: c.steps, FinalDenoise: true})
				e.emit(&out, "| %s | %s | %v %d steps | %d | %s | %s |\n", name, label, c.s, c.steps, nfe, ms(dt), e.quality(pts, e.n, sp.held))
			}
			m.Free()
		}
	}
	out.WriteString("\n")
	return out.String()
}

// resultsRFF compares the SBDS random-feature score (rff.go) with the
// exact empirical score it estimates, at equal NFE and, where it is
// slower, at equal time.
func resultsRFF(e *resultsEnv) string {
	intro := "`--model rff --features D`: the kernel-derivative score of SBDS estimated with D random Fourier features (rff.go, confidence floor ConfidenceZ), " +
		"against the exact empirical score of the same training points that it approximates (its ceiling), DPM-Solver++ 2M 25 steps (26 NFE)."
	features := []int{256, 1024, 4096}
	return e.optionTable("RFF kernel-derivative score (`--model rff --features D`)", intro, []string{"exact"}, func(sp split) []optionRow {
		set := Settings{Sampler: DPMPP2M, Steps: 25, FinalDenoise: true}
		rows := []optionRow{{label: "exact score, dpmpp2m 25 steps", set: set, base: true}}
		for _, f := range features {
			m, err := NewRFFScoreModel(e.b, sp.train.Points, sp.train.N, sp.train.D, f, 1)
			if err != nil {
				e.t.Fatal(err)
			}
			rows = append(rows, optionRow{label: fmt.Sprintf("rff D = %d, dpmpp2m 25 steps", f), set: set, model: m})
		}
		return rows
	})
}
