package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
)

// lossyBackend is a "GPU" whose device can be lost: once lost, its
// soft-mins and reads fail with compute.ErrDeviceLost, as compute/webgpu's
// do after device.destroy().
type lossyBackend struct {
	compute.Backend
	lost atomic.Bool
}

func (b *lossyBackend) SoftMin(dst compute.Array, p compute.Pairs) error {
	if b.lost.Load() {
		return fmt.Errorf("%w: gpu: device lost: destroyed: test", compute.ErrDeviceLost)
	}
	return b.Backend.SoftMin(dst, p)
}

func (b *lossyBackend) Read(dst []float64, src compute.Array) error {
	if b.lost.Load() {
		return fmt.Errorf("%w: gpu: device lost: destroyed: test", compute.ErrDeviceLost)
	}
	return b.Backend.Read(dst, src)
}

// fakeGPU installs a lossy backend as the "gpu" preference's WebGPU
// backend for the test.
func fakeGPU(t *testing.T) *lossyBackend {
	t.Helper()
	b := &lossyBackend{Backend: compute.NewCPU(1)}
	OpenBackend(PreferGPU) // make sure the map exists
	backends.Lock()
	old := backends.byPref[PreferGPU]
	backends.byPref[PreferGPU] = BackendStatus{Backend: b, Kind: KindWebGPU, Adapter: "fake adapter"}
	backends.Unlock()
	t.Cleanup(func() {
		backends.Lock()
		backends.byPref[PreferGPU] = old
		delete(lostBackends, b)
		backends.Unlock()
	})
	return b
}

// A device lost in the middle of an /ot run: the frame reports the error,
// the pages are told, the "gpu" preference now opens the CPU backend with
// the reason on its badge, and a new run there steps normally.
func TestDeviceLostFallsBackToCPU(t *testing.T) {
	gpu := fakeGPU(t)
	told := make(chan BackendStatus, 4)
	stop := onBackendLost(func(lost compute.Backend, now BackendStatus) {
		if lost == compute.Backend(gpu) {
			told <- now
		}
	})
	defer stop()

	st, _ := OTSchema.DecodeQuery("n=20&m=15&eps=0.1&backend=gpu")
	r := newOTRun(st)
	defer r.close()
	if f := r.advance(1); f.Error != "" || f.Backend.Kind != KindWebGPU || f.Iteration != 1 {
		t.Fatalf("before the loss: %+v", f)
	}
	gpu.lost.Store(true)
	f := r.advance(1)
	if !strings.Contains(f.Error, "device lost") {
		t.Fatalf("after the loss the frame says %q", f.Error)
	}
	var now BackendStatus
	select {
	case now = <-told:
	case <-time.After(5 * time.Second):
		t.Fatal("the pages were not told of the lost device")
	}
	if now.Kind != KindCPU || now.Adapter != "fake adapter" || !strings.Contains(now.Reason, "WebGPU device was lost") || !strings.Contains(now.Reason, "destroyed: test") {
		t.Errorf("status after the loss: %+v", now)
	}
	badge := now.Badge()
	if !strings.HasPrefix(badge, "CPU (the WebGPU device was lost") {
		t.Errorf("badge after the loss: %q", badge)
	}
	if s := OpenBackend(PreferGPU); s.Backend != now.Backend || s.Kind != KindCPU {
		t.Errorf("OpenBackend(gpu) after the loss: %+v", s)
	}
	// The page's restart: a new run on the CPU steps.
	r2 := newOTRun(st)
	defer r2.close()
	if f := r2.advance(1); f.Error != "" || f.Backend.Kind != KindCPU || f.Iteration != 1 || !(f.Cost > 0) {
		t.Errorf("the run on the CPU after the loss: %+v", f)
	}
	// Reporting the same loss again changes nothing and tells no one.
	if again := BackendLost(gpu, nil); again.Backend != now.Backend {
		t.Error("a second BackendLost replaced the CPU backend again")
	}
	select {
	case <-told:
		t.Error("listeners told twice of one loss")
	case <-time.After(100 * time.Millisecond):
	}
	// Other preferences are untouched.
	if c := OpenBackend(PreferCPU); !strings.Contains(c.Reason, "backend=cpu") {
		t.Errorf("cpu preference changed: %+v", c)
	}
}

// /sliced computes again on the CPU when the device is lost under it.
func TestSlicedDeviceLostRetriesOnCPU(t *testing.T) {
	gpu := fakeGPU(t)
	gpu.lost.Store(true)
	st, _ := SlicedSchema.DecodeQuery("n=30&m=20&L=10&backend=gpu")
	r := RunSliced(st)
	if r.out.Error != "" || r.out.Backend.Kind != KindCPU || !strings.Contains(r.out.Backend.Reason, "WebGPU device was lost") || !(r.out.SW > 0) {
		t.Errorf("sliced after the loss: error %q, backend %+v, SW %g", r.out.Error, r.out.Backend, r.out.SW)
	}
}

// backend=auto takes the server's device when it is a hardware GPU and the
// browser has no adapter or only a software one, and whatever it is when
// the browser has no adapter at all.
func TestAutoUsesNative(t *testing.T) {
	for _, c := range []struct {
		native, adapter string
		fallback, want  bool
	}{
		{"hardware NVIDIA H100", "", false, true},
		{"hardware NVIDIA H100", "google swiftshader (fallback)", true, true},
		{"hardware NVIDIA H100", "nvidia ampere", false, false},
		{"software llvmpipe (LLVM 15.0.6, 256 bits)", "", false, true}, // anything beats the wasm CPU
		{"software linux/amd64, 2 threads", "", false, true},
		{"software linux/amd64, 2 threads", "google swiftshader (fallback)", true, false},
		{"software linux/amd64, 2 threads", "nvidia ampere", false, false},
		{"", "", false, false}, // a static site, or a server without native compute
	} {
		if got := autoUsesNative(c.native, c.adapter, c.fallback); got != c.want {
			t.Errorf("autoUsesNative(%q, %q, %v) = %v, want %v", c.native, c.adapter, c.fallback, got, c.want)
		}
	}
	if !slices.Contains(BackendParam.Choices, PreferNative) {
		t.Errorf("backend choices %v lack %q", BackendParam.Choices, PreferNative)
	}
	if b := (BackendStatus{Kind: KindNative, Adapter: "NVIDIA H100"}).Badge(); b != "native: NVIDIA H100" {
		t.Errorf("native badge %q", b)
	}
	if s := OpenBackend(PreferNative); s.Kind != KindCPU || !strings.Contains(s.Reason, "otplay serve") {
		t.Errorf("backend=native outside a browser: %+v, want the CPU and why", s)
	}
}

// miniRemote serves compute/remote sessions on b: just enough of the
// server's endpoint (server/remote.go, which imports this package) for a
// client.
func miniRemote(t *testing.T, b compute.Backend) *httptest.Server {
	t.Helper()
	sess := remote.NewSession(b, nil, remote.Limits{})
	mux := http.NewServeMux()
	mux.HandleFunc(remote.SessionPath, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(remote.SessionInfo{Token: "t", Device: "test device", Precision: "float64",
			MaxArray: 1 << 20, MaxBytes: 1 << 30, MaxArrays: 100, IdleSeconds: 60})
	})
	mux.HandleFunc(remote.BatchPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(sess.Execute(body))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// When the otplay server goes away under a page computing natively, the
// run reports it, the pages move to the CPU, and the badge says why.
func TestNativeServerGoneFallsBackToCPU(t *testing.T) {
	srv := miniRemote(t, compute.NewCPU(1))
	b, err := remote.Open(context.Background(), srv.URL, remote.Options{KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	OpenBackend(PreferNative) // make sure the map exists
	backends.Lock()
	old := backends.byPref[PreferNative]
	backends.byPref[PreferNative] = BackendStatus{Backend: b, Kind: KindNative, Adapter: b.Info().Device}
	backends.Unlock()
	t.Cleanup(func() {
		backends.Lock()
		backends.byPref[PreferNative] = old
		delete(lostBackends, b)
		backends.Unlock()
	})
	told := make(chan BackendStatus, 4)
	stop := onBackendLost(func(lost compute.Backend, now BackendStatus) {
		if lost == compute.Backend(b) {
			told <- now
		}
	})
	defer stop()

	st, _ := OTSchema.DecodeQuery("n=20&m=15&eps=0.1&backend=native")
	r := newOTRun(st)
	defer r.close()
	if f := r.advance(1); f.Error != "" || f.Backend.Kind != KindNative || f.Backend.Badge() != "native: test device" {
		t.Fatalf("before the server went: %+v", f)
	}
	srv.CloseClientConnections()
	srv.Close()
	if f := r.advance(1); !strings.Contains(f.Error, "the otplay server is gone") {
		t.Fatalf("after the server went the frame says %q", f.Error)
	}
	var now BackendStatus
	select {
	case now = <-told:
	case <-time.After(5 * time.Second):
		t.Fatal("the pages were not told that the server is gone")
	}
	if badge := now.Badge(); now.Kind != KindCPU || !strings.HasPrefix(badge, "CPU (native compute stopped (the otplay server is gone") {
		t.Errorf("after the server went: kind %s, badge %q", now.Kind, badge)
	}
	if s := OpenBackend(PreferNative); s.Backend != now.Backend {
		t.Errorf("OpenBackend(native) after the loss: %+v", s)
	}
}
