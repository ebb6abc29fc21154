package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/nn"
)

// APIPrefix is the path under which the notebook API is served.
const APIPrefix = "/api/v1/"

// Defaults of APIConfig.
const (
	// DefaultMaxBodyBytes bounds a request body: 256 MiB, room for 2^25
	// float64 values (a 4-million-point cloud in 8-D), below the
	// 2^26-value limit of one point set (data.MaxElements).
	DefaultMaxBodyBytes = 256 << 20
	// DefaultMaxRunning is the number of runs computed at once; each
	// CPU run already uses every core.
	DefaultMaxRunning = 2
	// DefaultMaxWaiting is the number of requests that may wait for a
	// free slot; more are answered 503 Service Unavailable.
	DefaultMaxWaiting = 16
)

// APIConfig configures the notebook API. The zero value holds the
// defaults.
type APIConfig struct {
	// MaxBodyBytes bounds a request body (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxRunning is the number of runs computed at once (0:
	// DefaultMaxRunning); MaxWaiting the number of requests queued for
	// a slot (0: DefaultMaxWaiting).
	MaxRunning, MaxWaiting int
	// Open opens the backend a request names (its "backend" parameter,
	// the CLI's --backend). nil: cpu and cpu32 are opened per request;
	// gpu, and auto where batch.ChooseAuto takes a hardware GPU, share
	// this process's one GPU device, opened on first use (or GPU), one
	// run at a time; otherwise auto runs on cpu32 with a note saying why.
	Open func(name string) (compute.Backend, string, error)
	// GPU, when set, is this process's open GPU backend, the one the
	// pages' native compute uses (RemoteConfig.Backend): runs on gpu, and
	// on auto when it is a hardware GPU, use it while holding GPULock
	// instead of opening a device (wgpu-native supports one per process).
	GPU     compute.Backend
	GPULock sync.Locker
}

// apiConfigFor returns the API's configuration beside the pages' native
// compute: their backend, when it is a GPU, is shared under the remote
// sessions' lock (rs nil: no sessions, a lock of the API's own).
func apiConfigFor(remote RemoteConfig, rs *remoteService) APIConfig {
	var cfg APIConfig
	if remote.Backend == nil || remote.Backend.Info().Name != "gpu" {
		return cfg
	}
	cfg.GPU, cfg.GPULock = remote.Backend, new(sync.Mutex)
	if rs != nil {
		cfg.GPULock = &rs.backend
	}
	return cfg
}

// api serves the notebook API.
type api struct {
	cfg     APIConfig
	slots   chan struct{}
	waiting atomic.Int64
	gpu     sharedGPU
	// runDone, when set (by tests), is called with the error of each run.
	runDone func(endpoint string, err error)
}

// NewAPI returns the handler of the notebook API, to be mounted at
// APIPrefix. See the package documentation for the endpoints.
func NewAPI(cfg APIConfig) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = DefaultMaxRunning
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = DefaultMaxWaiting
	}
	a := &api{cfg: cfg, slots: make(chan struct{}, cfg.MaxRunning)}
	if cfg.GPU != nil {
		a.gpu.shareOpen(cfg.GPU, cfg.GPULock)
	}
	if a.cfg.Open == nil {
		a.cfg.Open = a.gpu.open
	}
	return a
}

// sharedGPU opens this process's GPU device once (wgpu-native supports
// one device per process), or takes one already open (shareOpen), and
// lends it to one run at a time. auto follows batch.OpenBackend's policy
// (batch.ChooseAuto, decided once): a hardware GPU, else cpu32 with the
// reason as a note.
type sharedGPU struct {
	once     sync.Once
	be       compute.Backend
	err      error
	autoOnce sync.Once
	auto     batch.AutoChoice
	shared   bool        // be was opened by someone else (shareOpen)
	lock     sync.Locker // nil: mu
	mu       sync.Mutex
}

// shareOpen makes s lend be, an open GPU backend, under lock.
func (s *sharedGPU) shareOpen(be compute.Backend, lock sync.Locker) {
	s.once.Do(func() { s.be = be })
	s.shared, s.lock = true, lock
	s.autoOnce.Do(func() {
		info := be.Info()
		if IsHardwareGPU(info) {
			s.auto = batch.AutoChoice{Backend: "gpu", Adapter: info.Device, Reason: "auto: the server's hardware GPU, " + info.Device}
		} else {
			s.auto = batch.AutoChoice{Backend: "cpu32", Reason: "auto: the server's GPU, " + info.Device + ", is a CPU driver; using cpu32, which is faster here; backend gpu forces it"}
		}
	})
}

// closeOwn closes the device s opened itself (not one shared with it),
// once no run holds it; for tests, which must not leave a device open
// for the next (wgpu-native supports one per process).
func (s *sharedGPU) closeOwn() {
	if s.shared {
		return
	}
	s.once.Do(func() {})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.be != nil {
		s.be.Close()
		s.be, s.err = nil, errors.New("closed")
	}
}

// autoChoice is what backend auto takes in this process (decided once).
func (s *sharedGPU) autoChoice() batch.AutoChoice {
	s.autoOnce.Do(func() { s.auto = batch.ChooseAutoHere() })
	return s.auto
}

func (s *sharedGPU) open(name string) (compute.Backend, string, error) {
	switch name {
	case "gpu":
	case "auto":
		if s.autoChoice().Backend != "gpu" {
			return compute.NewCPUFast(0), s.auto.Reason, nil
		}
	default:
		return batch.OpenBackend(name)
	}
	s.once.Do(func() { s.be, s.err = batch.OpenGPU() })
	if s.err != nil {
		if name == "gpu" {
			return nil, "", fmt.Errorf("--backend gpu: %w", s.err)
		}
		return compute.NewCPUFast(0), fmt.Sprintf("auto: %s did not open (%v); using cpu32", s.auto.Adapter, s.err), nil
	}
	lock := s.lock
	if lock == nil {
		lock = &s.mu
	}
	lock.Lock()
	return &lentBackend{Backend: s.be, mu: lock}, "", nil
}

// lentBackend is the shared GPU backend lent to one run: Close gives it
// back instead of closing the device.
type lentBackend struct {
	compute.Backend
	mu   sync.Locker
	once sync.Once
}

func (l *lentBackend) Close() error {
	l.once.Do(l.mu.Unlock)
	return nil
}

// apiError is the JSON body of every error answer.
type apiError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(apiError{Error: fmt.Sprintf(format, args...), Status: status})
}

// endpoint describes one POST endpoint: its array parameters and its run.
type endpoint struct {
	// points and vectors are the parameters that may carry arrays: point
	// clouds (n x d) and 1-D vectors (weights) or matrices (directions).
	points, vectors []string
	// files are parameters sent as raw file parts (sample's model).
	files []string
	// run decodes the parameters (arrays removed) and runs.
	run func(params []byte, arrays map[string]array, opt batch.Options) (any, map[string]array, error)
}

// array is a numeric array from a request or for a response, row-major,
// or (raw) the contents of a file part.
type array struct {
	vals  []float64
	shape []int
	raw   []byte
}

func (a array) set() *data.Set {
	s := &data.Set{Points: a.vals, N: a.shape[0], D: 1}
	if len(a.shape) == 2 {
		s.D = a.shape[1]
	}
	return s
}

var endpoints = map[string]endpoint{
	"solve":  {points: []string{"x", "y", "cost", "cx", "cy"}, vectors: []string{"a", "b", "directions"}, run: runSolve},
	"sliced": {points: []string{"x", "y"}, vectors: []string{"a", "b", "directions"}, run: runSliced},
	"sample": {points: []string{"data", "batch_ot_target"}, files: []string{"model"}, run: runSample},
	"bridge": {points: []string{"source", "target", "start"}, run: runBridge},
}

// decodeParams decodes the JSON parameters over dst (which holds the
// defaults), refusing unknown keys.
func decodeParams(params []byte, dst any) error {
	if len(bytes.TrimSpace(params)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var ue batch.UsageError
		if errors.As(err, &ue) {
			return ue
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return batch.UsageError{Msg: fmt.Sprintf("parameter %q: want a %v, not a JSON %s", te.Field, te.Type, te.Value)}
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return batch.UsageError{Msg: "unknown parameter " + f}
		}
		return batch.UsageError{Msg: "parameters: " + err.Error()}
	}
	return nil
}

// refuseFile refuses specs that name files: the API reads no files of
// the server's machine.
func refuseFile(flag, spec string) error {
	if batch.IsPointFile(strings.TrimSpace(spec)) {
		return batch.UsageError{Msg: fmt.Sprintf("--%s %q: the API reads no files on the server; send the points as an array (.npy part or JSON)", flag, spec)}
	}
	return nil
}

func vector(flag string, a array) ([]float64, error) {
	if len(a.shape) == 2 && a.shape[0] != 1 && a.shape[1] != 1 {
		return nil, batch.UsageError{Msg: fmt.Sprintf("--%s: weights must be one column or one row, got %d x %d", flag, a.shape[0], a.shape[1])}
	}
	return a.vals, nil
}

// pairInputs fills the point sets and weights of a solve or sliced
// request from the uploaded arrays x, y, a and b, after refusing file
// names among its specs (the server reads no file a request names).
func pairInputs(specs [4]string, arrays map[string]array, xs, ys **data.Set, aw, bw *[]float64) error {
	for i, flag := range []string{"x", "y", "a", "b"} {
		if err := refuseFile(flag, specs[i]); err != nil {
			return err
		}
	}
	if a, ok := arrays["x"]; ok {
		*xs = a.set()
	}
	if a, ok := arrays["y"]; ok {
		*ys = a.set()
	}
	var err error
	if a, ok := arrays["a"]; ok {
		if *aw, err = vector("a", a); err != nil {
			return err
		}
	}
	if a, ok := arrays["b"]; ok {
		if *bw, err = vector("b", a); err != nil {
			return err
		}
	}
	return nil
}

func runSolve(params []byte, arrays map[string]array, opt batch.Options) (any, map[string]array, error) {
	req := batch.NewSolveRequest()
	if err := decodeParams(params, &req); err != nil {
		return nil, nil, err
	}
	if bm, ok := arrays["b"]; ok && len(bm.shape) == 2 && bm.shape[0] > 1 && bm.shape[1] > 1 {
		req.BColumns = bm.columns()
		delete(arrays, "b") // the rest of pairInputs takes one histogram
	}
	if err := pairInputs([4]string{req.X, req.Y, req.A, req.B}, arrays, &req.XSet, &req.YSet, &req.AWeights, &req.BWeights); err != nil {
		return nil, nil, err
	}
	if err := refuseFile("directions", req.Directions); err != nil {
		return nil, nil, err
	}
	if a, ok := arrays["directions"]; ok {
		req.DirectionsSet = a.vals
	}
	if err := costInput(&req, arrays); err != nil {
		return nil, nil, err
	}
	if err := gromovInputs(&req, arrays); err != nil {
		return nil, nil, err
	}
	res, err := batch.Solve(req, opt)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]array{}
	if res.F != nil {
		out["f"] = array{vals: res.F, shape: []int{len(res.F)}}
		out["g"] = array{vals: res.G, shape: []int{len(res.G)}}
	}
	if res.Plan != nil {
		out["plan"] = array{vals: res.Plan, shape: []int{res.N, res.M}}
	}
	if g := res.Grad; g != nil {
		if g.X != nil { // a cost matrix has no points: weights' parts only
			out["grad_x"] = array{vals: g.X, shape: []int{res.N, res.D}}
			out["grad_y"] = array{vals: g.Y, shape: []int{res.M, res.D}}
		}
		out["grad_a"] = array{vals: g.A, shape: []int{res.N}}
		out["grad_b"] = array{vals: g.B, shape: []int{res.M}}
	}
	return res, out, nil
}

func runSliced(params []byte, arrays map[string]array, opt batch.Options) (any, map[string]array, error) {
	req := batch.NewSlicedRequest()
	if err := decodeParams(params, &req); err != nil {
		return nil, nil, err
	}
	if err := pairInputs([4]string{req.X, req.Y, req.A, req.B}, arrays, &req.XSet, &req.YSet, &req.AWeights, &req.BWeights); err != nil {
		return nil, nil, err
	}
	if a, ok := arrays["directions"]; ok {
		req.Directions = a.vals
	}
	res, err := batch.Sliced(req, opt)
	if err != nil {
		return nil, nil, err
	}
	return res, map[string]array{
		"per_direction": {vals: res.PerDirection, shape: []int{len(res.PerDirection)}},
		"directions":    {vals: res.Directions, shape: []int{res.Projections, res.D}},
	}, nil
}

func runSample(params []byte, arrays map[string]array, opt batch.Options) (any, map[string]array, error) {
	req := batch.NewSampleRequest()
	if err := decodeParams(params, &req); err != nil {
		return nil, nil, err
	}
	if err := refuseFile("data", req.Data); err != nil {
		return nil, nil, err
	}
	if err := refuseFile("batch-ot-target", req.BatchOTTarget); err != nil {
		return nil, nil, err
	}
	if a, ok := arrays["batch_ot_target"]; ok {
		req.BatchOTTargetSet = a.set()
	}
	if m, ok := arrays["model"]; ok {
		req.ModelData = m.raw
	}
	if strings.HasPrefix(req.Model, "mlp") && req.ModelData == nil {
		return nil, nil, batch.UsageError{Msg: fmt.Sprintf("--model %q: the API reads no files on the server; send the model file as the multipart part \"model\"", req.Model)}
	}
	if a, ok := arrays["data"]; ok {
		req.DataSet = a.set()
	}
	res, err := batch.Sample(req, opt)
	if err != nil {
		return nil, nil, err
	}
	return res, map[string]array{"points": {vals: res.Points, shape: []int{res.N, res.D}}}, nil
}

func runBridge(params []byte, arrays map[string]array, opt batch.Options) (any, map[string]array, error) {
	req := batch.NewBridgeRequest()
	if err := decodeParams(params, &req); err != nil {
		return nil, nil, err
	}
	for flag, spec := range map[string]string{"source": req.Source, "target": req.Target, "start": req.Start} {
		if err := refuseFile(flag, spec); err != nil {
			return nil, nil, err
		}
	}
	if a, ok := arrays["source"]; ok {
		req.SourceSet = a.set()
	}
	if a, ok := arrays["target"]; ok {
		req.TargetSet = a.set()
	}
	if a, ok := arrays["start"]; ok {
		req.StartSet = a.set()
	}
	res, err := batch.Bridge(req, opt)
	if err != nil {
		return nil, nil, err
	}
	// samples: the snapshots stacked, len(times)*n rows of d values (the
	// rows of time k are k*n .. (k+1)*n-1).
	all := make([]float64, 0, len(res.Samples)*res.N*res.D)
	for _, s := range res.Samples {
		all = append(all, s...)
	}
	return res, map[string]array{
		"samples": {vals: all, shape: []int{len(res.Samples) * res.N, res.D}},
		"times":   {vals: res.Times, shape: []int{len(res.Times)}},
	}, nil
}

// ServeHTTP routes GET /api/v1/ (the index) and POST /api/v1/<endpoint>.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, APIPrefix)
	if name == "" || name == "/" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "%s %s: use GET", r.Method, r.URL.Path)
			return
		}
		a.index(w)
		return
	}
	ep, ok := endpoints[name]
	if !ok {
		writeError(w, http.StatusNotFound, "no endpoint %s (endpoints: %s)", r.URL.Path, strings.Join(endpointNames(), ", "))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "%s %s: use POST", r.Method, r.URL.Path)
		return
	}
	if crossOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-origin request refused (Origin %q): the notebook API answers same-origin pages and non-browser clients only", r.Header.Get("Origin"))
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "":
		format = "json"
		if strings.Contains(r.Header.Get("Accept"), npzType) {
			format = "npz"
		}
	case "json", "npz":
	default:
		writeError(w, http.StatusBadRequest, "format %q: want json or npz", format)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
	params, arrays, status, err := readRequest(r, ep)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds the limit of %d bytes", mbe.Limit)
			return
		}
		writeError(w, status, "%v", err)
		return
	}
	if a.waiting.Add(1) > int64(a.cfg.MaxWaiting+a.cfg.MaxRunning) {
		a.waiting.Add(-1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "busy: %d runs computing and %d waiting; retry later", a.cfg.MaxRunning, a.cfg.MaxWaiting)
		return
	}
	ctx := r.Context()
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		a.waiting.Add(-1)
		return // the client went away while waiting
	}
	res, out, err := ep.run(params, arrays, batch.Options{Context: ctx, Open: a.cfg.Open})
	<-a.slots
	a.waiting.Add(-1)
	if a.runDone != nil {
		a.runDone(name, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return // the client went away: nobody to answer
		}
		var ue batch.UsageError
		if errors.As(err, &ue) || errors.Is(err, data.ErrBadSpec) || errors.Is(err, nn.ErrBadModel) {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	a.respond(w, format, res, out)
}

func endpointNames() []string {
	names := make([]string, 0, len(endpoints))
	for n := range endpoints {
		names = append(names, APIPrefix+n)
	}
	sort.Strings(names)
	return names
}

// crossOrigin reports whether a browser sent r from another origin: its
// Origin header names another host than the request's, or Sec-Fetch-Site
// says cross-site.
func crossOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err != nil || u.Host != r.Host
}

// index answers GET /api/v1/: the endpoints with their parameters'
// defaults (the CLI's), what backend auto takes here and why, and the
// limits.
func (a *api) index(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"name": "otplay", "api": 1,
		"endpoints": map[string]any{
			APIPrefix + "solve":  batch.NewSolveRequest(),
			APIPrefix + "sliced": batch.NewSlicedRequest(),
			APIPrefix + "sample": batch.NewSampleRequest(),
			APIPrefix + "bridge": batch.NewBridgeRequest(),
		},
		"auto": a.gpu.autoChoice(),
		// in_flight: runs computing plus requests waiting for a slot.
		"in_flight": a.waiting.Load(),
		"limits": map[string]any{"max_body_bytes": a.cfg.MaxBodyBytes, "max_running": a.cfg.MaxRunning,
			"max_waiting": a.cfg.MaxWaiting, "max_points": data.MaxPoints, "max_values": data.MaxElements},
	})
}

// readRequest reads the parameters and arrays of a POST: a JSON object
// (application/json), or multipart/form-data with a "params" part (JSON)
// and one .npy part per array. It returns the parameters without the
// arrays, and an HTTP status for its errors.
func readRequest(r *http.Request, ep endpoint) ([]byte, map[string]array, int, error) {
	ct, mp, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, nil, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	arrays := map[string]array{}
	isArray := func(name string) (bool, bool) {
		for _, p := range ep.points {
			if p == name {
				return true, true
			}
		}
		for _, v := range ep.vectors {
			if v == name {
				return true, false
			}
		}
		return false, false
	}
	switch ct {
	case "application/json", "":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, http.StatusBadRequest, err
		}
		params, err := splitJSONArrays(body, isArray, arrays)
		if err != nil {
			return nil, nil, http.StatusBadRequest, err
		}
		return params, arrays, 0, nil
	case "multipart/form-data":
		if mp["boundary"] == "" {
			return nil, nil, http.StatusBadRequest, errors.New("multipart/form-data without a boundary")
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, nil, http.StatusBadRequest, err
		}
		var params []byte
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, http.StatusBadRequest, fmt.Errorf("multipart body: %w", err)
			}
			name := part.FormName()
			body, err := io.ReadAll(part)
			if err != nil {
				return nil, nil, http.StatusBadRequest, fmt.Errorf("part %q: %w", name, err)
			}
			if name == "params" {
				if params, err = splitJSONArrays(body, isArray, arrays); err != nil {
					return nil, nil, http.StatusBadRequest, err
				}
				continue
			}
			if slices.Contains(ep.files, name) {
				arrays[name] = array{raw: body}
				continue
			}
			ok, _ := isArray(name)
			if !ok {
				return nil, nil, http.StatusBadRequest, batch.UsageError{Msg: fmt.Sprintf("part %q: not an array parameter of %s (want params or one of %s)", name, r.URL.Path, strings.Join(slices.Concat(ep.points, ep.vectors, ep.files), ", "))}
			}
			vals, shape, err := data.ReadNPY(bytes.NewReader(body))
			if err != nil {
				return nil, nil, http.StatusBadRequest, batch.UsageError{Msg: fmt.Sprintf("--%s: %v", name, err)}
			}
			arrays[name] = array{vals: vals, shape: shape}
		}
		return params, arrays, 0, nil
	}
	return nil, nil, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %q: want application/json or multipart/form-data", ct)
}

// splitJSONArrays moves the array-valued parameters of a JSON object
// into arrays and returns the rest as JSON.
func splitJSONArrays(body []byte, isArray func(string) (bool, bool), arrays map[string]array) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, batch.UsageError{Msg: "parameters: want a JSON object: " + err.Error()}
	}
	for k, raw := range obj {
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || t[0] != '[' {
			continue
		}
		if ok, _ := isArray(k); !ok {
			continue // a list-valued parameter such as bridge's times
		}
		a, err := jsonArray(k, t)
		if err != nil {
			return nil, err
		}
		arrays[k] = a
		delete(obj, k)
	}
	return json.Marshal(obj)
}

// jsonArray reads a JSON list of numbers (shape n) or of equal-length
// lists of numbers (n x d). null (what JavaScript's JSON.stringify makes
// of NaN and Infinity) is refused, not read as 0.
func jsonArray(name string, raw []byte) (array, error) {
	var flat []*float64
	if err := json.Unmarshal(raw, &flat); err == nil {
		if len(flat) == 0 {
			return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: empty array", name)}
		}
		vals := make([]float64, len(flat))
		for i, v := range flat {
			if v == nil {
				return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: value %d is null (not a number; JSON has no NaN or Inf)", name, i)}
			}
			vals[i] = *v
		}
		return array{vals: vals, shape: []int{len(flat)}}, nil
	}
	var rows [][]*float64
	if err := json.Unmarshal(raw, &rows); err != nil {
		return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: want a list of numbers or a list of equal-length lists of numbers", name)}
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: empty array", name)}
	}
	d := len(rows[0])
	vals := make([]float64, 0, len(rows)*d)
	for i, r := range rows {
		if len(r) != d {
			return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: row %d has %d values, row 0 has %d", name, i, len(r), d)}
		}
		for j, v := range r {
			if v == nil {
				return array{}, batch.UsageError{Msg: fmt.Sprintf("--%s: value %d [%d, %d] is null (not a number; JSON has no NaN or Inf)", name, i*d+j, i, j)}
			}
			vals = append(vals, *v)
		}
	}
	return array{vals: vals, shape: []int{len(rows), d}}, nil
}
