package server

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/conformance"
	"github.com/otplay/otplay/compute/remote"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/ui"
)

// liveCounter is a backend that counts its live arrays, to see that a
// session frees everything it allocated.
type liveCounter struct {
	compute.Backend
	mu   sync.Mutex
	live map[compute.Array]bool
}

func newLiveCounter(b compute.Backend) *liveCounter {
	return &liveCounter{Backend: b, live: map[compute.Array]bool{}}
}

func (c *liveCounter) Alloc(n int) (compute.Array, error) {
	a, err := c.Backend.Alloc(n)
	if err == nil {
		c.mu.Lock()
		c.live[a] = true
		c.mu.Unlock()
	}
	return a, err
}

func (c *liveCounter) Free(a compute.Array) {
	c.mu.Lock()
	delete(c.live, a)
	c.mu.Unlock()
	c.Backend.Free(a)
}

func (c *liveCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.live)
}

// startRemote serves native compute on b over real HTTP (127.0.0.1) and
// returns the service and the server's base URL.
func startRemote(t *testing.T, cfg RemoteConfig) (*remoteService, *httptest.Server) {
	t.Helper()
	rs := newRemoteService(cfg)
	mux := http.NewServeMux()
	rs.mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return rs, srv
}

func openRemote(t *testing.T, base string, opts remote.Options) *remote.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := remote.Open(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// conformanceOver runs the whole conformance suite through a client, the
// HTTP endpoint and a session on server, then checks that closing the
// client freed every array on the server's backend.
func conformanceOver(t *testing.T, server compute.Backend) {
	counted := newLiveCounter(server)
	rs, srv := startRemote(t, RemoteConfig{Backend: counted})
	b := openRemote(t, srv.URL, remote.Options{})
	rs2 := conformance.Run(b, conformance.Options{Quick: testing.Short()})
	for _, r := range rs2 {
		if !r.Pass {
			t.Errorf("%s", r)
		}
	}
	st := b.Stats()
	t.Logf("%d checks through remote on %s (%s), %d failed; %d round trips, %d ops, %d bytes sent, %d received",
		len(rs2), server.Info().Name, server.Info().Device, conformance.Failed(rs2), st.RoundTrips, st.Ops, st.BytesSent, st.BytesReceived)
	if b.Info().Name != "native" || b.Info().Device != server.Info().Device {
		t.Errorf("remote Info = %+v, want name native and the server's device %q", b.Info(), server.Info().Device)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := rs.count(); n != 0 {
		t.Errorf("%d sessions left after Close", n)
	}
	if n := counted.count(); n != 0 {
		t.Errorf("%d arrays left on the server's backend after Close", n)
	}
}

// The conformance suite passes over remote -> HTTP -> the float64 CPU
// backend, the fast CPU backend and the GPU backend (lavapipe here).
func TestRemoteConformanceCPU(t *testing.T)     { conformanceOver(t, compute.NewCPU(0)) }
func TestRemoteConformanceCPUFast(t *testing.T) { conformanceOver(t, compute.NewCPUFast(0)) }
func TestRemoteConformanceGPU(t *testing.T)     { conformanceOver(t, gputest.Backend(t)) }

func post(t *testing.T, url string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The token endpoint serves only same-origin pages on loopback hosts, and
// batches need a live token.
func TestRemoteRefusesForeignOriginsAndTokens(t *testing.T) {
	rs, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1)})
	own := srv.URL
	for _, c := range []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"foreign origin", map[string]string{"Origin": "http://evil.example"}, "not this server's"},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, "not this server's"},
		{"no origin", nil, "no Origin header"},
		{"cross-site fetch", map[string]string{"Origin": own, "Sec-Fetch-Site": "cross-site"}, "cross-site"},
		{"rebound host", map[string]string{"Origin": "http://evil.example", "Host": "evil.example"}, "must be loaded from 127.0.0.1"},
	} {
		code, body := post(t, own+remote.SessionPath, c.hdr, "")
		if code != http.StatusForbidden || !strings.Contains(body, c.want) {
			t.Errorf("%s: status %d %q, want 403 containing %q", c.name, code, body, c.want)
		}
	}
	if n := rs.count(); n != 0 {
		t.Fatalf("refused requests opened %d sessions", n)
	}
	code, body := post(t, own+remote.SessionPath, map[string]string{"Origin": own}, "")
	if code != http.StatusOK || !strings.Contains(body, `"token"`) {
		t.Fatalf("same-origin session: status %d %q", code, body)
	}
	if code, body := post(t, own+remote.BatchPath, map[string]string{"Origin": own}, "OTR1\x00\x00\x00\x00"); code != http.StatusUnauthorized || !strings.Contains(body, "missing session token") {
		t.Errorf("batch without a token: status %d %q, want 401", code, body)
	}
	if code, body := post(t, own+remote.BatchPath, map[string]string{"Origin": own, remote.TokenHeader: "0123"}, "OTR1\x00\x00\x00\x00"); code != http.StatusGone || !strings.Contains(body, "unknown or expired") {
		t.Errorf("batch with a made-up token: status %d %q, want 410", code, body)
	}
	if code, _ := post(t, own+remote.BatchPath, map[string]string{"Origin": "http://evil.example", remote.TokenHeader: "0123"}, ""); code != http.StatusForbidden {
		t.Errorf("batch from a foreign origin: status %d, want 403", code)
	}
	req, _ := http.NewRequest(http.MethodGet, own+remote.SessionPath, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET on the session endpoint: %v %v, want 405", resp.StatusCode, err)
	}
}

// An error in a queued op surfaces at the next read, naming the op and
// keeping the compute package's sentinel; the session goes on working.
func TestRemoteQueuedErrorNamesTheOp(t *testing.T) {
	_, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1)})
	b := openRemote(t, srv.URL, remote.Options{})
	defer b.Close()
	src, _ := b.Upload([]float64{1, 2, 3})
	idx, _ := b.Upload([]float64{0, 7}) // 7 is outside src: only the server sees the values
	dst, _ := b.Alloc(2)
	if err := b.GatherSum(dst, src, idx, 1); err != nil {
		t.Fatalf("GatherSum failed at the call (it should be queued): %v", err)
	}
	got := make([]float64, 2)
	err := b.Read(got, dst)
	if err == nil || !errors.Is(err, compute.ErrBadArgument) || !strings.Contains(err.Error(), "remote GatherSum (queued op 6 of 7)") || !strings.Contains(err.Error(), "index 7") {
		t.Fatalf("Read after a bad GatherSum: %v; want ErrBadArgument naming GatherSum, its place and the index", err)
	}
	// Misuse the client can see fails at the call, as on every backend.
	if err := b.SoftMin(dst, compute.Pairs{X: src, Y: src, N: 3, M: 3, D: 1, Eps: 0}); !errors.Is(err, compute.ErrBadArgument) {
		t.Errorf("SoftMin with eps = 0: %v, want ErrBadArgument at the call", err)
	}
	foreign, _ := compute.NewCPU(1).Alloc(2)
	if err := b.Copy(dst, foreign); err == nil {
		t.Error("Copy from another backend's array was accepted")
	}
	if s, err := b.Sum(src); err != nil || s != 6 {
		t.Errorf("Sum after the failure = %v, %v; want 6", s, err)
	}
}

// Session limits refuse allocations with remote.ErrLimit, on the client
// before anything is sent; the session keeps working.
func TestRemoteLimits(t *testing.T) {
	_, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1), Limits: remote.Limits{MaxBytes: 800, MaxArrays: 3}})
	b := openRemote(t, srv.URL, remote.Options{})
	defer b.Close()
	a, err := b.Alloc(90) // 720 bytes of float64
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Alloc(20); !errors.Is(err, remote.ErrLimit) || !strings.Contains(err.Error(), "over its 800") {
		t.Errorf("Alloc past MaxBytes: %v, want ErrLimit naming the limit", err)
	}
	b.Free(a)
	var arrays []compute.Array
	for i := 0; i < 3; i++ {
		x, err := b.Alloc(1)
		if err != nil {
			t.Fatal(err)
		}
		arrays = append(arrays, x)
	}
	if _, err := b.Alloc(1); !errors.Is(err, remote.ErrLimit) {
		t.Errorf("a fourth array: %v, want ErrLimit", err)
	}
	if s, err := b.Sum(arrays[0]); err != nil || s != 0 {
		t.Errorf("Sum of a fresh array = %v, %v; want 0", s, err)
	}
	if _, err := b.Alloc(1 << 40); !errors.Is(err, compute.ErrTooLarge) {
		t.Errorf("Alloc(2^40): %v, want ErrTooLarge", err)
	}
}

// A page that goes away without closing loses its session after the idle
// timeout, and everything it held is freed; the client then says so.
func TestRemoteIdleTimeoutFreesEverything(t *testing.T) {
	counted := newLiveCounter(compute.NewCPU(1))
	rs, srv := startRemote(t, RemoteConfig{Backend: counted, IdleTimeout: 300 * time.Millisecond})
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: -1})
	x, _ := b.Upload([]float64{1, 2, 3})
	if s, err := b.Sum(x); err != nil || s != 6 {
		t.Fatalf("Sum = %v, %v", s, err)
	}
	if counted.count() != 1 {
		t.Fatalf("%d live arrays, want 1", counted.count())
	}
	waitFor(t, 10*time.Second, func() bool { return rs.count() == 0 })
	if n := counted.count(); n != 0 {
		t.Errorf("%d arrays live after the timeout", n)
	}
	_, err := b.Sum(x)
	if !errors.Is(err, compute.ErrDeviceLost) || !strings.Contains(err.Error(), "ended this page's session") {
		t.Errorf("Sum after the timeout: %v, want ErrDeviceLost saying the session ended", err)
	}
}

// Keep-alives hold an idle session open well past the idle timeout.
func TestRemoteKeepAlive(t *testing.T) {
	rs, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1), IdleTimeout: time.Second})
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: 100 * time.Millisecond})
	defer b.Close()
	x, _ := b.Upload([]float64{1, 2})
	time.Sleep(3 * time.Second)
	if s, err := b.Sum(x); err != nil || s != 3 {
		t.Errorf("Sum after 3 s idle with keep-alives = %v, %v; want 3", s, err)
	}
	if rs.count() != 1 {
		t.Errorf("%d sessions, want 1", rs.count())
	}
}

// The close endpoint takes the token as the body (navigator.sendBeacon's
// way) and frees the session.
func TestRemoteBeaconClose(t *testing.T) {
	counted := newLiveCounter(compute.NewCPU(1))
	rs, srv := startRemote(t, RemoteConfig{Backend: counted})
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: -1})
	x, _ := b.Upload([]float64{1, 2})
	b.Sum(x)
	code, body := post(t, b.CloseURL(), map[string]string{"Origin": srv.URL, "Content-Type": "text/plain;charset=UTF-8"}, b.Session().Token)
	if code != http.StatusNoContent {
		t.Fatalf("beacon close: %d %q", code, body)
	}
	if rs.count() != 0 || counted.count() != 0 {
		t.Errorf("after the beacon: %d sessions, %d arrays; want none", rs.count(), counted.count())
	}
	if _, err := b.Sum(x); !errors.Is(err, compute.ErrDeviceLost) {
		t.Errorf("Sum after the close: %v, want ErrDeviceLost", err)
	}
}

// A server that is gone is a lost device, with words a person reads.
func TestRemoteServerGone(t *testing.T) {
	_, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1)})
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: -1})
	x, _ := b.Upload([]float64{1, 2})
	srv.CloseClientConnections()
	srv.Close()
	_, err := b.Sum(x)
	if !errors.Is(err, compute.ErrDeviceLost) || !strings.Contains(err.Error(), "the otplay server is gone") {
		t.Fatalf("Sum with the server gone: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close after the server went: %v", err)
	}
	if _, err := remote.Open(context.Background(), srv.URL, remote.Options{}); !errors.Is(err, compute.ErrDeviceLost) || !strings.Contains(err.Error(), "the otplay server is gone") {
		t.Errorf("Open with the server gone: %v", err)
	}
}

// At most MaxSessions pages compute at once; the next is told why.
func TestRemoteMaxSessions(t *testing.T) {
	_, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1), MaxSessions: 2})
	for i := 0; i < 2; i++ {
		defer openRemote(t, srv.URL, remote.Options{KeepAlive: -1}).Close()
	}
	_, err := remote.Open(context.Background(), srv.URL, remote.Options{})
	if err == nil || !strings.Contains(err.Error(), "2 pages are computing natively already") {
		t.Errorf("a third session: %v", err)
	}
}

// A Sinkhorn iteration with its convergence check is one round trip: the
// half-iterations and the residual's ops go in one batch with its Sum.
// Iterations between checks cost none. The result equals the direct run.
func TestRemoteSinkhornRoundTrips(t *testing.T) {
	_, srv := startRemote(t, RemoteConfig{Backend: compute.NewCPU(1)})
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: -1})
	defer b.Close()
	const n = 200
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := range x {
		x[i] = compute.NormalAt(1, uint64(i))
		y[i] = compute.NormalAt(2, uint64(i)) + 1
	}
	p := ot.Problem{X: x, Y: y, N: n, M: n, D: 2}
	for _, every := range []int{1, 10} {
		s := ot.Settings{Eps: 0.1, CheckEvery: every, Tol: -1, MaxIter: 1000}
		sv, err := ot.NewSolver(b, p, s)
		if err != nil {
			t.Fatal(err)
		}
		before := b.Stats()
		if err := sv.Step(20); err != nil {
			t.Fatal(err)
		}
		st := b.Stats()
		trips := st.RoundTrips - before.RoundTrips
		if want := 20 / every; trips != want {
			t.Errorf("CheckEvery %d: 20 iterations took %d round trips, want %d", every, trips, want)
		}
		t.Logf("CheckEvery %d: %d round trips, %.0f bytes sent and %.0f received per round trip",
			every, trips, float64(st.BytesSent-before.BytesSent)/float64(trips), float64(st.BytesReceived-before.BytesReceived)/float64(trips))
		f, _, err := sv.Potentials()
		if err != nil {
			t.Fatal(err)
		}
		sv.Close()
		direct, err := ot.NewSolver(compute.NewCPU(1), p, s)
		if err != nil {
			t.Fatal(err)
		}
		direct.Step(20)
		fd, _, _ := direct.Potentials()
		for i := range f {
			if f[i] != fd[i] || math.IsNaN(f[i]) {
				t.Fatalf("f[%d] = %v through remote, %v directly (the same float64 backend: want equal)", i, f[i], fd[i])
			}
		}
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkSinkhornIteration times one balanced Sinkhorn iteration with
// its residual check (CheckEvery = 1: one round trip through remote) at
// n = m = 1000, d = 2, on a backend directly and through remote over
// loopback HTTP, so that the difference is the protocol's cost.
//
//	go test ./server -run XXX -bench SinkhornIteration -benchtime 50x
func BenchmarkSinkhornIteration(b *testing.B) {
	const n = 1000
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := range x {
		x[i] = compute.NormalAt(1, uint64(i))
		y[i] = compute.NormalAt(2, uint64(i)) + 1
	}
	p := ot.Problem{X: x, Y: y, N: n, M: n, D: 2}
	s := ot.Settings{Eps: 0.05, CheckEvery: 1, Tol: -1, MaxIter: 1 << 30}
	backends := map[string]func(testing.TB) compute.Backend{
		"cpu32": func(testing.TB) compute.Backend { return compute.NewCPUFast(0) },
		"gpu":   func(t testing.TB) compute.Backend { return gputest.Backend(t) },
	}
	for _, name := range []string{"cpu32", "gpu"} {
		for _, via := range []string{"direct", "remote"} {
			b.Run(name+"/"+via, func(b *testing.B) {
				be := backends[name](b)
				if via == "remote" {
					rs := newRemoteService(RemoteConfig{Backend: be})
					mux := http.NewServeMux()
					rs.mount(mux)
					srv := httptest.NewServer(mux)
					defer srv.Close()
					rb, err := remote.Open(context.Background(), srv.URL, remote.Options{KeepAlive: -1})
					if err != nil {
						b.Fatal(err)
					}
					defer rb.Close()
					be = rb
				}
				sv, err := ot.NewSolver(be, p, s)
				if err != nil {
					b.Fatal(err)
				}
				defer sv.Close()
				if err := sv.Step(2); err != nil { // warm-up: pipelines, first dispatch
					b.Fatal(err)
				}
				b.ResetTimer()
				if err := sv.Step(b.N); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkRoundTrip times one batch that reads one number back: the
// protocol's fixed cost on loopback.
func BenchmarkRoundTrip(b *testing.B) {
	rs := newRemoteService(RemoteConfig{Backend: compute.NewCPU(1)})
	mux := http.NewServeMux()
	rs.mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rb, err := remote.Open(context.Background(), srv.URL, remote.Options{KeepAlive: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer rb.Close()
	x, _ := rb.Upload([]float64{1})
	b.ResetTimer()
	for range b.N {
		if _, err := rb.Sum(x); err != nil {
			b.Fatal(err)
		}
	}
}

// A server with native compute tells its pages (ui.NativeEnv in go-app's
// app.js) and serves the endpoints; one without, and a static export of
// either, say nothing, so their pages never try.
func TestNativeAdvertisedOnlyByServersThatHaveIt(t *testing.T) {
	web := newWebRoot(t, false)
	cpu := compute.NewCPU(1)
	h, err := New(Config{WebDir: web, Remote: RemoteConfig{Backend: cpu}})
	if err != nil {
		t.Fatal(err)
	}
	want := `"` + ui.NativeEnv + `":"software ` + cpu.Info().Device + `"`
	if js := body(t, get(t, h, "/app.js")); !strings.Contains(js, want) {
		t.Errorf("app.js of a server with native compute lacks %s", want)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := openRemote(t, srv.URL, remote.Options{KeepAlive: -1})
	x, _ := b.Upload([]float64{1, 2, 4})
	if s, err := b.Sum(x); err != nil || s != 7 {
		t.Errorf("Sum through server.New's handler = %v, %v", s, err)
	}
	b.Close()

	// Under a base path the endpoints move with the site.
	based, err := New(Config{WebDir: web, Base: "/sub/", Remote: RemoteConfig{Backend: cpu}})
	if err != nil {
		t.Fatal(err)
	}
	bsrv := httptest.NewServer(based)
	defer bsrv.Close()
	bb := openRemote(t, bsrv.URL+"/sub", remote.Options{KeepAlive: -1})
	if s, err := bb.Sum(x); err == nil {
		t.Errorf("an array of another session summed to %v", s)
	}
	y, _ := bb.Upload([]float64{3})
	if s, err := bb.Sum(y); err != nil || s != 3 {
		t.Errorf("Sum under the base /sub = %v, %v", s, err)
	}
	bb.Close()

	plain, err := New(Config{WebDir: web})
	if err != nil {
		t.Fatal(err)
	}
	if js := body(t, get(t, plain, "/app.js")); strings.Contains(js, ui.NativeEnv) {
		t.Error("app.js of a server without native compute names " + ui.NativeEnv)
	}
	req := httptest.NewRequest(http.MethodPost, remote.SessionPath, nil)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK {
		t.Errorf("a server without native compute issued a session: %s", rec.Body)
	}

	out := t.TempDir()
	if _, err := Export(out, Config{WebDir: web, Remote: RemoteConfig{Backend: cpu}}); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(out, "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), ui.NativeEnv) {
		t.Error("a static export's app.js names " + ui.NativeEnv)
	}
}

// IsHardwareGPU: only compute/webgpu on a hardware adapter.
func TestIsHardwareGPU(t *testing.T) {
	for _, c := range []struct {
		info compute.Info
		want bool
	}{
		{compute.Info{Name: "gpu", Device: "NVIDIA H100 80GB HBM3", Notes: "discrete GPU"}, true},
		{compute.Info{Name: "gpu", Device: "llvmpipe", Notes: "software adapter (CPU)"}, false},
		{compute.Info{Name: "cpu32", Device: "linux/amd64, 2 threads"}, false},
	} {
		if got := IsHardwareGPU(c.info); got != c.want {
			t.Errorf("IsHardwareGPU(%+v) = %v", c.info, got)
		}
	}
}
