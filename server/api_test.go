package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sbinet/npyio/npz"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/solvers/data"
)

// newAPIServer serves a over real HTTP at APIPrefix.
func newAPIServer(t *testing.T, a http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(APIPrefix, a)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// npyBytes encodes an n x d (or, with d = 0, 1-D) array as .npy.
func npyBytes(t *testing.T, v []float64, shape ...int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := data.WriteNPY(&b, v, shape...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postMultipart posts params (JSON) and .npy parts.
func postMultipart(t *testing.T, ctx context.Context, url string, params string, parts map[string][]byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if params != "" {
		mw.WriteField("params", params)
	}
	for name, b := range parts {
		fw, err := mw.CreateFormFile(name, name+".npy")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
	}
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func postJSON(t *testing.T, url, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readNPZ reads an .npz answer: the result JSON and the arrays.
func readNPZ(t *testing.T, resp *http.Response) (map[string]any, map[string][]float64) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != npzType {
		t.Fatalf("status %d, type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	zr, err := npz.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var js []uint8
	if err := zr.Read("result.npy", &js); err != nil {
		t.Fatalf("result.npy: %v (keys %v)", err, zr.Keys())
	}
	var res map[string]any
	if err := json.Unmarshal(js, &res); err != nil {
		t.Fatal(err)
	}
	arrays := map[string][]float64{}
	for _, k := range zr.Keys() {
		if k == "result.npy" {
			continue
		}
		var v []float64
		if err := zr.Read(k, &v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		arrays[strings.TrimSuffix(k, ".npy")] = v
	}
	return res, arrays
}

func mustParse(t *testing.T, spec string) data.Set {
	t.Helper()
	s, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAPISolveMatchesCLI: the points sent as .npy parts give the plan,
// potentials and cost of the CLI's run on the same points read from .npy
// files (batch.Solve with file paths, as otplay solve --x x.npy does),
// bit for bit, for each entropic method; the JSON answer carries the
// same numbers.
func TestAPISolveMatchesCLI(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{}))
	x, y := mustParse(t, "moons:50:seed=1"), mustParse(t, "8gaussians:40:seed=2")
	dir := t.TempDir()
	xf, yf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := data.Save(xf, x.Points, x.N, x.D); err != nil {
		t.Fatal(err)
	}
	if err := data.Save(yf, y.Points, y.N, y.D); err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{"x": npyBytes(t, x.Points, x.N, x.D), "y": npyBytes(t, y.Points, y.N, y.D)}
	for _, method := range []string{"sinkhorn", "unbalanced", "partial", "divergence"} {
		req := batch.NewSolveRequest()
		req.X, req.Y, req.Method, req.Eps, req.Tau, req.Mass, req.Backend, req.Plan, req.Potentials = xf, yf, method, 0.1, 0.5, 0.6, "cpu", true, true
		want, err := batch.Solve(req, batch.Options{})
		if err != nil {
			t.Fatal(err)
		}
		params := fmt.Sprintf(`{"method": %q, "eps": 0.1, "tau": 0.5, "mass": 0.6, "backend": "cpu", "plan": true, "potentials": true}`, method)
		res, arrays := readNPZ(t, postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve?format=npz", params, parts))
		if res["cost"] != want.Cost || res["objective"] != want.Objective || res["method"] != method || res["n"] != 50.0 || res["m"] != 40.0 {
			t.Errorf("%s: API cost %v objective %v (%v), CLI %v %v", method, res["cost"], res["objective"], res, want.Cost, want.Objective)
		}
		for name, w := range map[string][]float64{"plan": want.Plan, "f": want.F, "g": want.G} {
			got := arrays[name]
			if len(got) != len(w) {
				t.Errorf("%s: %s has %d values, want %d", method, name, len(got), len(w))
				continue
			}
			for k := range w {
				if got[k] != w[k] {
					t.Errorf("%s: %s[%d] = %g, CLI %g", method, name, k, got[k], w[k])
					break
				}
			}
		}
	}
	// The same problem as JSON arrays, answered in JSON.
	rows := func(s data.Set) [][]float64 {
		r := make([][]float64, s.N)
		for i := range r {
			r[i] = s.Point(i)
		}
		return r
	}
	body, _ := json.Marshal(map[string]any{"x": rows(x), "y": rows(y), "eps": 0.1, "backend": "cpu", "potentials": true})
	resp := postJSON(t, srv.URL+APIPrefix+"solve", string(body))
	var res struct {
		Cost float64
		F, G []float64
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("JSON solve: status %d, %v", resp.StatusCode, err)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("JSON solve: %v\n%s", err, raw)
	}
	// The CLI's --json object (internal/jsonout: its field order, <
	// escaped as \u003c), then the arrays.
	if !bytes.HasPrefix(raw, []byte(`{"method":"sinkhorn","backend":"cpu","tier":"full","n":50,`)) || !bytes.Contains(raw, []byte(` \u003c= `)) ||
		!bytes.Contains(raw, []byte(`,"f":[`)) {
		t.Errorf("JSON answer %.300s", raw)
	}
	req := batch.NewSolveRequest()
	req.X, req.Y, req.Eps, req.Backend, req.Potentials = xf, yf, 0.1, "cpu", true
	want, _ := batch.Solve(req, batch.Options{})
	if res.Cost != want.Cost || len(res.F) != 50 || len(res.G) != 40 || res.F[7] != want.F[7] {
		t.Errorf("JSON solve: cost %g, F %d, G %d; CLI cost %g", res.Cost, len(res.F), len(res.G), want.Cost)
	}
}

// TestAPISpecsAndOthers: data specs in JSON, and the sliced, sample and
// bridge endpoints, against the same batch runs.
func TestAPISpecsAndOthers(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{}))
	res, arrays := readNPZ(t, postJSON(t, srv.URL+APIPrefix+"sliced?format=npz", `{"x": "moons:80:seed=1", "y": "circles:60", "projections": 25, "seed": 3, "backend": "cpu"}`))
	sr := batch.NewSlicedRequest()
	sr.X, sr.Y, sr.Projections, sr.Seed, sr.Backend = "moons:80:seed=1", "circles:60", 25, 3, "cpu"
	ws, err := batch.Sliced(sr, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res["value"] != ws.Value || len(arrays["directions"]) != 50 || len(arrays["per_direction"]) != 25 {
		t.Errorf("sliced: %v (directions %d), want value %g", res, len(arrays["directions"]), ws.Value)
	}

	pts := mustParse(t, "8gaussians:60:seed=4")
	res, arrays = readNPZ(t, postMultipart(t, context.Background(), srv.URL+APIPrefix+"sample?format=npz",
		`{"n": 30, "steps": 4, "backend": "cpu", "quality": false}`, map[string][]byte{"data": npyBytes(t, pts.Points, pts.N, pts.D)}))
	smp := batch.NewSampleRequest()
	smp.DataSet, smp.N, smp.Steps, smp.Backend, smp.Quality = &pts, 30, 4, "cpu", false
	wsmp, err := batch.Sample(smp, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res["nfe"] != float64(wsmp.NFE) || len(arrays["points"]) != 60 || arrays["points"][13] != wsmp.Points[13] {
		t.Errorf("sample: %v, %d values; want nfe %d", res, len(arrays["points"]), wsmp.NFE)
	}

	res, arrays = readNPZ(t, postJSON(t, srv.URL+APIPrefix+"bridge", `{"source": "gaussian:40:seed=1", "target": "moons:40", "n": 20, "times": "0,0.5,1", "backend": "cpu"}`, "Accept", npzType))
	br := batch.NewBridgeRequest()
	br.Source, br.Target, br.N, br.Times, br.Backend = "gaussian:40:seed=1", "moons:40", 20, []float64{0, 0.5, 1}, "cpu"
	wbr, err := batch.Bridge(br, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res["transport_cost"] != wbr.Cost || len(arrays["samples"]) != 3*20*2 || arrays["samples"][2*20*2+5] != wbr.Samples[2][5] || len(arrays["times"]) != 3 {
		t.Errorf("bridge: %v, %d sample values", res, len(arrays["samples"]))
	}
}

// TestAPIErrors: bad requests are answered with the CLI's message as
// JSON and the right status (.npy parts are read by data.ReadNPY, as the
// CLI reads .npy files: the same messages, less the file name).
func TestAPIErrors(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{MaxBodyBytes: 4096}))
	nan := npyBytes(t, []float64{0, 0, 1, math.NaN()}, 2, 2)
	good := npyBytes(t, []float64{0, 0, 1, 1}, 2, 2)
	bad := []struct {
		name   string
		resp   *http.Response
		status int
		want   string
	}{
		{"NaN", postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve", `{"backend": "cpu"}`, map[string][]byte{"x": nan, "y": good}), 400, "--x: data: bad input: npy: value 3 [1, 1] is NaN (not finite)"},
		{"eps", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:10", "y": "moons:10", "eps": 0}`), 400, "--eps 0: must be positive and finite"},
		{"method", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:10", "y": "moons:10", "method": "magic"}`), 400, `--method "magic": want sinkhorn`},
		{"unknown", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:10", "y": "moons:10", "epss": 1}`), 400, `unknown parameter "epss"`},
		{"type", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:10", "y": "moons:10", "eps": "big"}`), 400, `parameter "eps"`},
		{"file", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "/etc/x.csv", "y": "moons:10"}`), 400, "reads no files on the server"},
		{"mlp", postJSON(t, srv.URL+APIPrefix+"sample", `{"model": "mlp:/tmp/m.json"}`), 400, "reads no files on the server"},
		{"null", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": [[0, 1], [2, null]], "y": "moons:10"}`), 400, "--x: value 3 [1, 1] is null (not a number"},
		{"null weight", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:2", "y": "moons:10", "a": [0.5, null]}`), 400, "--a: value 1 is null"},
		{"ragged", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": [[0, 1], [2]], "y": "moons:10"}`), 400, "--x: row 1 has 1 values, row 0 has 2"},
		{"spec", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "nosuchset:10", "y": "moons:10"}`), 400, `--x: data: bad input: unknown data set "nosuchset"`},
		{"steps", postJSON(t, srv.URL+APIPrefix+"sample", `{"steps": 0}`), 400, "--steps = 0: want 1 .. 100000"},
		{"times", postJSON(t, srv.URL+APIPrefix+"bridge", `{"times": [0, 2]}`), 400, "--times: 2 is outside [0, 1]"},
		{"times string", postJSON(t, srv.URL+APIPrefix+"bridge", `{"times": "0,x"}`), 400, `--times: "x" is not a number`},
		{"part", postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve", "", map[string][]byte{"z": good}), 400, `part "z": not an array parameter`},
		{"npy", postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve", "", map[string][]byte{"x": []byte("not npy")}), 400, "--x: data: bad input: npy: file shorter than its 8-byte preamble"},
		{"truncated", postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve", "", map[string][]byte{"x": good[:len(good)-8]}), 400, "--x: data: bad input: npy: header declares shape [2 2] of <f8 (32 bytes) but the file holds 24 bytes of data"},
		{"large", postJSON(t, srv.URL+APIPrefix+"solve", `{"x": [`+strings.Repeat("0.5, ", 2000)+`0]}`), 413, "exceeds the limit of 4096 bytes"},
		{"format", postJSON(t, srv.URL+APIPrefix+"solve?format=xml", `{}`), 400, `format "xml"`},
		{"origin", postJSON(t, srv.URL+APIPrefix+"solve", `{}`, "Origin", "https://evil.example"), 403, "cross-origin request refused"},
		{"type", postJSON(t, srv.URL+APIPrefix+"solve", `{}`, "Content-Type", "text/plain"), 415, "want application/json or multipart/form-data"},
		{"endpoint", postJSON(t, srv.URL+APIPrefix+"barycentre", `{}`), 404, "no endpoint /api/v1/barycentre"},
	}
	for _, c := range bad {
		var e apiError
		err := json.NewDecoder(c.resp.Body).Decode(&e)
		c.resp.Body.Close()
		if err != nil || c.resp.StatusCode != c.status || e.Status != c.status || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: status %d, error %q (%v); want %d and %q", c.name, c.resp.StatusCode, e.Error, err, c.status, c.want)
		}
	}
	resp, err := http.Get(srv.URL + APIPrefix + "solve")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET solve: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestAPICancel: a client that goes away stops its run: the solver ends
// with context.Canceled and frees its slot for the next request.
func TestAPICancel(t *testing.T) {
	started := make(chan struct{}, 1)
	done := make(chan error, 1)
	a := NewAPI(APIConfig{MaxRunning: 1, Open: func(name string) (compute.Backend, string, error) {
		started <- struct{}{}
		return batch.OpenBackend(name)
	}}).(*api)
	a.runDone = func(_ string, err error) { done <- err }
	srv := newAPIServer(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	var body bytes.Buffer
	body.WriteString(`{"x": "moons:300", "y": "circles:300", "eps": 1e-4, "tol": -1, "iters": 100000000, "backend": "cpu"}`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+APIPrefix+"solve", &body)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered (%d) although its client went away", resp.StatusCode)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled run ended with %v, want context.Canceled", err)
	}
	if n := a.waiting.Load(); n != 0 {
		t.Errorf("%d requests in flight after the cancelled run ended", n)
	}
	// The slot is free again.
	go func() { <-started }()
	resp := postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:20", "y": "circles:20", "backend": "cpu", "eps": 0.5}`)
	resp.Body.Close()
	if resp.StatusCode != 200 || <-done != nil {
		t.Errorf("the next request: status %d", resp.StatusCode)
	}
}

// TestAPIBusy: past MaxRunning + MaxWaiting requests are answered 503.
func TestAPIBusy(t *testing.T) {
	release := make(chan struct{})
	opened := make(chan struct{}, 4)
	a := NewAPI(APIConfig{MaxRunning: 1, MaxWaiting: 1, Open: func(name string) (compute.Backend, string, error) {
		opened <- struct{}{}
		<-release
		return batch.OpenBackend(name)
	}}).(*api)
	srv := newAPIServer(t, a)
	body := `{"x": "moons:10", "y": "circles:10", "backend": "cpu", "eps": 0.5}`
	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			resp := postJSON(t, srv.URL+APIPrefix+"solve", body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	<-opened // one runs (blocked in Open)
	for a.waiting.Load() < 2 {
		// the second request queues behind it
		select {
		case <-opened:
			t.Fatal("two runs started with MaxRunning 1")
		default:
		}
		runtimeGosched()
	}
	resp := postJSON(t, srv.URL+APIPrefix+"solve", body)
	var e apiError
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(e.Error, "busy") {
		t.Errorf("third request: status %d, %q; want 503 busy", resp.StatusCode, e.Error)
	}
	close(release)
	for range 2 {
		if s := <-statuses; s != 200 {
			t.Errorf("queued request: status %d", s)
		}
	}
}

// TestAPIRegistered: otplay serve's handler serves the API index.
func TestAPIRegistered(t *testing.T) {
	h, err := New(Config{WebDir: newWebRoot(t, false)})
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, h, APIPrefix)
	var idx struct {
		API       int
		Endpoints map[string]map[string]any
		Auto      batch.AutoChoice
	}
	if err := json.NewDecoder(r.Body).Decode(&idx); err != nil || idx.API != 1 {
		t.Fatalf("GET %s: %v, %+v", APIPrefix, err, idx)
	}
	if idx.Endpoints[APIPrefix+"solve"]["eps"] != 0.01 && idx.Endpoints[APIPrefix+"solve"]["method"] != "sinkhorn" {
		t.Errorf("solve defaults %v", idx.Endpoints[APIPrefix+"solve"])
	}
	if len(idx.Endpoints) != 4 {
		t.Errorf("endpoints %v", idx.Endpoints)
	}
	if (idx.Auto.Backend != "gpu" && idx.Auto.Backend != "cpu32") || idx.Auto.Reason == "" {
		t.Errorf("auto choice %+v", idx.Auto)
	}
}

func runtimeGosched() { runtime.Gosched() }

// TestAPISharedGPU: runs on --backend gpu share the process's one device,
// one at a time, and agree with the float64 CPU reference to float32
// accuracy.
func TestAPISharedGPU(t *testing.T) {
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		if ads, err := gpu.Adapters(); err != nil || len(ads) == 0 {
			t.Skipf("no WebGPU adapter here (%v); OTPLAY_REQUIRE_GPU=1 makes this a failure", err)
		}
	}
	a := NewAPI(APIConfig{}).(*api)
	t.Cleanup(a.gpu.closeOwn)
	srv := newAPIServer(t, a)
	body := `{"x": "moons:200:seed=1", "y": "circles:150", "eps": 0.1, "backend": "%s"}`
	type answer struct {
		Backend string
		Cost    float64
		Error   string
	}
	decode := func(resp *http.Response) answer {
		var a answer
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		return a
	}
	want := decode(postJSON(t, srv.URL+APIPrefix+"solve", fmt.Sprintf(body, "cpu")))
	answers := make(chan answer, 3)
	for range 3 {
		go func() { answers <- decode(postJSON(t, srv.URL+APIPrefix+"solve", fmt.Sprintf(body, "gpu"))) }()
	}
	for range 3 {
		a := <-answers
		if a.Error != "" || a.Backend != "gpu" || math.Abs(a.Cost-want.Cost) > 1e-4*want.Cost {
			t.Errorf("gpu run: %+v; cpu cost %g", a, want.Cost)
		}
	}
}

// fakeGPU is the CPU reference dressed as a hardware GPU backend, counting
// its soft-min calls: it stands for the device the pages' native compute
// opened.
type fakeGPU struct {
	compute.Backend
	softmins atomic.Int64
	closed   atomic.Bool
}

func (f *fakeGPU) Info() compute.Info {
	info := f.Backend.Info()
	info.Name, info.Device, info.Notes = "gpu", "Fake GPU", ""
	return info
}

func (f *fakeGPU) SoftMin(dst compute.Array, p compute.Pairs) error {
	f.softmins.Add(1)
	return f.Backend.SoftMin(dst, p)
}

func (f *fakeGPU) Close() error {
	f.closed.Store(true)
	return nil
}

type countingLocker struct {
	mu            sync.Mutex
	locks, unlock atomic.Int64
}

func (c *countingLocker) Lock()   { c.mu.Lock(); c.locks.Add(1) }
func (c *countingLocker) Unlock() { c.unlock.Add(1); c.mu.Unlock() }

// TestAPISharesRemoteGPU: where the pages' native compute holds the GPU,
// gpu and auto runs use that device under the given lock instead of
// opening another, and never close it; otplay serve's handler wires it.
func TestAPISharesRemoteGPU(t *testing.T) {
	fake := &fakeGPU{Backend: compute.NewCPU(0)}
	lock := &countingLocker{}
	srv := newAPIServer(t, NewAPI(APIConfig{GPU: fake, GPULock: lock}))
	for _, backend := range []string{"gpu", "auto"} {
		before := fake.softmins.Load()
		resp := postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:30", "y": "circles:20", "eps": 0.5, "backend": "`+backend+`"}`)
		var res struct{ Backend string }
		json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if resp.StatusCode != 200 || res.Backend != "gpu" || fake.softmins.Load() == before {
			t.Errorf("backend %s: status %d, ran on %q, %d soft-mins on the shared GPU", backend, resp.StatusCode, res.Backend, fake.softmins.Load()-before)
		}
	}
	if lock.locks.Load() != 2 || lock.unlock.Load() != 2 || fake.closed.Load() {
		t.Errorf("lock taken %d times, released %d times; device closed: %v", lock.locks.Load(), lock.unlock.Load(), fake.closed.Load())
	}

	fake2 := &fakeGPU{Backend: compute.NewCPU(0)}
	h, err := New(Config{WebDir: newWebRoot(t, false), Remote: RemoteConfig{Backend: fake2, Hardware: true}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, APIPrefix+"solve", strings.NewReader(`{"x": "moons:30", "y": "circles:20", "eps": 0.5}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || fake2.softmins.Load() == 0 || !strings.Contains(rec.Body.String(), `"backend":"gpu"`) {
		t.Errorf("otplay serve's handler: status %d, %d soft-mins on the pages' GPU: %.200s", rec.Code, fake2.softmins.Load(), rec.Body.String())
	}
}

// TestAppendJSONArrays: non-finite numbers, in the report or in its
// arrays, become null and are listed under "nonfinite" by JSON pointer;
// the report's fields keep their order, the arrays follow.
func TestAppendJSONArrays(t *testing.T) {
	res := struct {
		Method string  `json:"method"`
		Cost   float64 `json:"cost"`
	}{"sinkhorn", math.Inf(1)}
	js, err := marshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = appendJSONArrays(&buf, js, map[string]array{
		"g":    {vals: []float64{1.5, math.NaN()}, shape: []int{2}},
		"plan": {vals: []float64{0.25, 0, math.Inf(-1), 1e-300}, shape: []int{2, 2}},
	})
	want := `{"method":"sinkhorn","cost":null,"g":[1.5,null],"plan":[[0.25,0],[null,1e-300]],"nonfinite":{"/cost":"+Inf","/g/1":"NaN","/plan/1/0":"-Inf"}}` + "\n"
	if err != nil || buf.String() != want {
		t.Errorf("got %s (%v)\nwant %s", buf.String(), err, want)
	}
	if !json.Valid(buf.Bytes()) {
		t.Error("not valid JSON")
	}
}
