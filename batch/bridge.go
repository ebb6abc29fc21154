//go:build !js

package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/ot"
)

// BridgeRequest is one run of otplay bridge: Schrodinger bridge samples
// between two point sets with the Brownian reference dX = sigma dW (see
// package bridge). Field names and JSON keys are the CLI's flags;
// NewBridgeRequest gives the CLI's defaults.
type BridgeRequest struct {
	// Source and Target are the point sets at t = 0 and t = 1 (data
	// specs or .csv/.npy paths); SourceSet and TargetSet, when set, are
	// used instead.
	Source    string    `json:"source"`
	Target    string    `json:"target"`
	SourceSet *data.Set `json:"-"`
	TargetSet *data.Set `json:"-"`
	// Sigma is the reference diffusion coefficient (eps = 2 sigma^2).
	Sigma float64 `json:"sigma"`
	// Mode is static (plan + Brownian bridges) or sde (simulated drift).
	Mode string `json:"mode"`
	// Times are the times in [0, 1] to record (--times, comma-separated
	// on the CLI: see ParseTimes; in JSON a list of numbers or that
	// string).
	Times TimeList `json:"times"`
	// N is the number of paths or particles.
	N int `json:"n"`
	// Steps is the number of Euler-Maruyama steps (sde mode).
	Steps int `json:"steps"`
	// Start is the data spec of the sde start particles (default: the
	// source points, cycled); StartSet, when set, is used instead.
	Start    string    `json:"start,omitempty"`
	StartSet *data.Set `json:"-"`
	// Transport is the sde step along the drift: drift (Euler-Maruyama,
	// the default), momentum or fisher (see bridge.Transport); Momentum is
	// the momentum transport's beta (0: bridge.DefaultMomentum).
	Transport string  `json:"transport,omitempty"`
	Momentum  float64 `json:"momentum,omitempty"`
	// Multiscale, when positive, solves the static plan coarse-to-fine
	// from about that many points of each cloud (bridge.NewMultiscale).
	Multiscale int `json:"multiscale,omitempty"`
	// Seed seeds the pairs and the noise.
	Seed uint64 `json:"seed"`
	// MaxIter and Tol are the Sinkhorn iteration limit and tolerance.
	MaxIter int     `json:"max_iter"`
	Tol     float64 `json:"tol"`
	// Backend is gpu, cpu32, cpu or auto (see OpenBackend).
	Backend string `json:"backend"`
	// Quality compares the samples at t = 1 with the target points (the
	// CLI: with --json).
	Quality bool `json:"quality"`
}

// NewBridgeRequest returns a request holding the CLI's defaults.
func NewBridgeRequest() BridgeRequest {
	return BridgeRequest{Source: "gaussian:1000:seed=1", Target: "moons:1000", Sigma: bridge.DefaultSigma, Mode: "static",
		Times: []float64{0, 0.25, 0.5, 0.75, 1}, N: 1000, Steps: bridge.DefaultSimSteps, MaxIter: ot.DefaultMaxIter,
		Tol: bridge.DefaultTol, Backend: "auto"}
}

// BridgeResult is the JSON object of otplay bridge --json, plus the
// samples.
type BridgeResult struct {
	Mode          string  `json:"mode"`
	Source        string  `json:"source"`
	Target        string  `json:"target"`
	Start         string  `json:"start,omitempty"`
	N             int     `json:"n"`
	D             int     `json:"d"`
	Sigma         float64 `json:"sigma"`
	Eps           float64 `json:"eps"`
	Iterations    int     `json:"sinkhorn_iterations"`
	Converged     bool    `json:"sinkhorn_converged"`
	MarginalError float64 `json:"marginal_error"`
	Cost          float64 `json:"transport_cost"`
	Steps         int     `json:"steps,omitempty"`
	Transport     string  `json:"transport,omitempty"`
	PathEnergy    float64 `json:"path_energy,omitempty"`
	// CoarseIterations is the coarse stage's Sinkhorn iterations
	// (--multiscale).
	CoarseIterations int              `json:"coarse_iterations,omitempty"`
	Times            []float64        `json:"times"`
	SolveMS          float64          `json:"solve_ms"`
	SampleMS         float64          `json:"sample_ms"`
	Backend          string           `json:"backend"`
	Device           string           `json:"device"`
	QualityAt1       *metrics.Quality `json:"quality_at_1,omitempty"`
	Out              string           `json:"out,omitempty"`
	Notes            []string         `json:"notes,omitempty"`

	// Samples[k] holds the N x D points at Times[k] (the recorded
	// times: in sde mode the grid times nearest to those asked).
	Samples [][]float64 `json:"-"`
}

// TimeList is a list of times in [0, 1]. From JSON it takes a list of
// numbers, or the CLI's --times string ("0,0.5,1", see ParseTimes).
type TimeList []float64

// UnmarshalJSON reads a list of numbers or a comma-separated string;
// a bad string is a UsageError naming --times.
func (t *TimeList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		ts, err := ParseTimes(s)
		if err != nil {
			return usage("--times: %v", err)
		}
		*t = ts
		return nil
	}
	var ts []float64
	if err := json.Unmarshal(b, &ts); err != nil {
		return usage("--times: want a list of numbers in [0, 1] or a string such as \"0,0.5,1\"")
	}
	*t = ts
	return nil
}

// ParseTimes parses a comma-separated list of times in [0, 1].
func ParseTimes(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		t, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		if err := checkTimes([]float64{t}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no times given")
	}
	return out, nil
}

func checkTimes(ts []float64) error {
	for _, t := range ts {
		if !(t >= 0 && t <= 1) {
			return fmt.Errorf("%v is outside [0, 1]", t)
		}
	}
	if len(ts) == 0 {
		return fmt.Errorf("no times given")
	}
	return nil
}

// Bridge samples the Schrodinger bridge between the source and target
// points: the static entropic plan with eps = 2 sigma^2 (bridge.New),
// then either Brownian bridges between pairs drawn from it (Bridge.Paths)
// or particles moved along the Sinkhorn-bridge drift (Pooladian and
// Niles-Weed 2024; Bridge.Simulate). With Quality it compares the samples
// at t = 1 with the target points; when only that comparison fails,
// Bridge returns the result alongside the error.
func Bridge(req BridgeRequest, opt Options) (*BridgeResult, error) {
	if err := checkTimes(req.Times); err != nil {
		return nil, usage("--times: %v", err)
	}
	switch {
	case req.Mode != "static" && req.Mode != "sde":
		return nil, usage("--mode %q: want static or sde", req.Mode)
	case !(req.Sigma > 0) || math.IsInf(req.Sigma, 0):
		return nil, usage("--sigma = %v: want a positive number", req.Sigma)
	case req.N < 1 || req.N > data.MaxPoints:
		return nil, usage("--n = %d: want 1 .. %d", req.N, data.MaxPoints)
	case req.Steps < 1 || req.Steps > MaxSteps:
		return nil, usage("--steps = %d: want 1 .. %d", req.Steps, MaxSteps)
	case req.MaxIter < 1:
		return nil, usage("--max-iter = %d: want >= 1", req.MaxIter)
	case !(req.Tol > 0) || math.IsInf(req.Tol, 0):
		return nil, usage("--tol = %v: want a positive number", req.Tol)
	case (req.Start != "" || req.StartSet != nil) && req.Mode != "sde":
		return nil, usage("--start is for --mode sde")
	}
	transport, err := bridge.ParseTransport(req.Transport)
	switch {
	case err != nil:
		return nil, usage("--transport %q: want drift, momentum or fisher", req.Transport)
	case transport != bridge.TransportDrift && req.Mode != "sde":
		return nil, usage("--transport %s is for --mode sde", transport)
	case req.Momentum != 0 && transport != bridge.TransportMomentum:
		return nil, usage("--momentum is for --transport momentum")
	case req.Multiscale < 0:
		return nil, usage("--multiscale = %d: want a number of coarse points >= 1 (0: off)", req.Multiscale)
	case transport == bridge.TransportMomentum && req.Momentum != 0 && !(req.Momentum > 0 && req.Momentum < 1):
		return nil, usage("--momentum = %v: want a number in (0, 1)", req.Momentum)
	}
	load := func(flag, spec string, set *data.Set) (data.Set, error) {
		if set != nil {
			return *set, CheckPoints(flag, *set)
		}
		s, err := data.Parse(spec)
		if err != nil {
			if errors.Is(err, data.ErrBadSpec) {
				return s, usage("--%s: %v", flag, err)
			}
			return s, fmt.Errorf("--%s: %w", flag, err)
		}
		return s, nil
	}
	src, err := load("source", req.Source, req.SourceSet)
	if err != nil {
		return nil, err
	}
	tgt, err := load("target", req.Target, req.TargetSet)
	if err != nil {
		return nil, err
	}
	if src.D != tgt.D {
		return nil, usage("--source has dimension %d, --target %d", src.D, tgt.D)
	}
	if req.N > data.MaxElements/src.D {
		return nil, usage("--n = %d: %d points of dimension %d exceed the limit of %d values", req.N, req.N, src.D, data.MaxElements)
	}
	var x0 []float64
	if req.Mode == "sde" {
		from := src
		if req.Start != "" || req.StartSet != nil {
			if from, err = load("start", req.Start, req.StartSet); err != nil {
				return nil, err
			}
			if from.D != src.D {
				return nil, usage("--start has dimension %d, the bridge %d", from.D, src.D)
			}
		}
		x0 = make([]float64, req.N*src.D)
		for k := 0; k < req.N; k++ {
			copy(x0[k*src.D:(k+1)*src.D], from.Point(k%from.N))
		}
	}

	b, note, err := opt.open(req.Backend)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var notes []string
	if note != "" {
		opt.note(note)
		notes = append(notes, note)
	}
	t0 := time.Now()
	prob := ot.Problem{X: src.Points, Y: tgt.Points, N: src.N, M: tgt.N, D: src.D}
	bset := bridge.Settings{Sigma: req.Sigma, Sinkhorn: ot.Settings{MaxIter: req.MaxIter, Tol: req.Tol, Progress: opt.Progress}}
	var br *bridge.Bridge
	var coarse bridge.MultiscaleInfo
	if req.Multiscale > 0 {
		br, coarse, err = bridge.NewMultiscale(b, prob, bset, req.Multiscale)
	} else {
		br, err = bridge.New(b, prob, bset)
	}
	if err != nil {
		return nil, err
	}
	defer br.Free()
	solveTime := time.Since(t0)
	if !br.Static.Converged {
		msg := fmt.Sprintf("warning: Sinkhorn did not converge in %d iterations (float64 marginal error %.3g); the bridge joins slightly different marginals; raise --max-iter, --tol or --sigma (%s)",
			br.Static.Iterations, br.Static.MarginalError, br.Static.Status)
		opt.note(msg)
		notes = append(notes, msg)
	}
	t1 := time.Now()
	var snaps [][]float64
	var energy float64
	recorded := append([]float64(nil), req.Times...)
	switch req.Mode {
	case "static":
		snaps, err = br.Paths(req.Times, req.N, req.Seed)
	case "sde":
		snaps, recorded, err = simulateBridge(br, x0, req.Times, bridge.SimSettings{Steps: req.Steps, Seed: req.Seed,
			Transport: transport, Momentum: req.Momentum, PathEnergy: req.Quality}, &energy)
	}
	if err != nil {
		return nil, err
	}
	sampleTime := time.Since(t1)
	info := b.Info()
	rep := &BridgeResult{Mode: req.Mode, Source: req.Source, Target: req.Target, Start: req.Start, N: req.N, D: src.D,
		Sigma: br.Sigma, Eps: br.Eps, Iterations: br.Static.Iterations, Converged: br.Static.Converged,
		MarginalError: br.Static.MarginalError, Cost: br.Static.Cost, Times: recorded,
		SolveMS: float64(solveTime.Microseconds()) / 1000, SampleMS: float64(sampleTime.Microseconds()) / 1000,
		Backend: info.Name, Device: info.Device, Notes: notes, Samples: snaps}
	rep.CoarseIterations = coarse.CoarseIterations
	if req.Mode == "sde" {
		rep.Steps = req.Steps
		rep.Transport = string(transport)
		rep.PathEnergy = energy
	}
	if req.Quality {
		for k, t := range recorded {
			if t == 1 {
				q, err := metrics.Compare(b, snaps[k], req.N, tgt.Points, tgt.N, tgt.D, metrics.CompareSettings{Seed: req.Seed})
				if err != nil {
					return rep, fmt.Errorf("quality: %w", err)
				}
				rep.QualityAt1 = &q
				break
			}
		}
	}
	return rep, nil
}

// simulateBridge runs the SDE and keeps the positions at the grid times
// nearest to the requested ones (t = 0: the start points).
// With sim.PathEnergy it stores the path energy in *energy.
func simulateBridge(br *bridge.Bridge, x0 []float64, times []float64, sim bridge.SimSettings, energy *float64) ([][]float64, []float64, error) {
	steps := sim.Steps
	want := map[int][]int{} // step index (0 = start) -> requested entries
	recorded := make([]float64, len(times))
	for k, t := range times {
		s := int(math.Round(t * float64(steps)))
		want[s] = append(want[s], k)
		recorded[k] = float64(s) / float64(steps)
	}
	snaps := make([][]float64, len(times))
	for _, k := range want[0] {
		snaps[k] = append([]float64(nil), x0...)
	}
	sim.Callback = func(step int, t float64, x []float64) error {
		for _, k := range want[step+1] {
			snaps[k] = x
		}
		return nil
	}
	r, err := br.Simulate(x0, sim)
	*energy = r.PathEnergy
	return snaps, recorded, err
}
