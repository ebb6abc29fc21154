package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	webroot "github.com/otplay/otplay/web"
)

// serveWebRoot writes a web root with a stand-in app.wasm and the
// repository's static files.
func serveWebRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"icon.png", "icon.svg", "otplay.css"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "web", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveSyncBuffer is a bytes.Buffer safe for the server goroutine writing
// while the test reads.
type serveSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *serveSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *serveSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeUsage(t *testing.T) {
	var out, errb bytes.Buffer
	// Help goes to stdout (otplay serve -h | less), nothing to stderr.
	if st := run([]string{"serve", "-h"}, &out, &errb); st != 0 || !strings.Contains(out.String(), "-addr") || !strings.Contains(out.String(), "make wasm") || errb.Len() != 0 {
		t.Errorf("serve -h: status %d, stdout:\n%s\nstderr:\n%s", st, out.String(), errb.String())
	}
	errb.Reset()
	if st := run([]string{"serve", "extra"}, &out, &errb); st != 2 {
		t.Errorf("serve extra: status %d, want 2", st)
	}
	if st := run([]string{"serve", "--bogus"}, &out, &errb); st != 2 {
		t.Errorf("serve --bogus: status %d, want 2", st)
	}
}

func TestServeErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if st := run([]string{"serve", "--web", t.TempDir()}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "make wasm") {
		t.Errorf("web root without app.wasm: status %d, stderr %q", st, errb.String())
	}
	errb.Reset()
	if st := run([]string{"serve", "--web", serveWebRoot(t), "--addr", "127.0.0.1:99999"}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "otplay serve:") {
		t.Errorf("bad address: status %d, stderr %q", st, errb.String())
	}
}

func TestServeRunsUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	saved := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer func() { serveContext = saved }()

	var out, errb serveSyncBuffer
	status := make(chan int, 1)
	go func() {
		status <- run([]string{"serve", "--addr", "127.0.0.1:0", "--web", serveWebRoot(t)}, &out, &errb)
	}()

	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		base = urlRE.FindString(out.String())
	}
	if base == "" {
		cancel()
		t.Fatalf("no URL printed; stdout %q stderr %q", out.String(), errb.String())
	}
	// /api/info lists every page; their order follows registration (file
	// order), so only membership is checked.
	for path, want := range map[string]string{"check": `id="backend-badge"`, "api/info": `"/check"`} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET /%s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case st := <-status:
		if st != 0 {
			t.Errorf("serve exited %d after stop; stderr %q", st, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// A non-loopback --addr (":0": every interface) is said plainly on stderr
// with the real addresses; the loopback URL is printed for the browser.
func TestServeNonLoopbackSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	saved := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer func() { serveContext = saved }()

	var out, errb serveSyncBuffer
	status := make(chan int, 1)
	go func() {
		status <- run([]string{"serve", "--addr", ":0", "--web", serveWebRoot(t)}, &out, &errb)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:(\d+)/`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m = urlRE.FindStringSubmatch(out.String())
	}
	cancel()
	if st := <-status; st != 0 || m == nil {
		t.Fatalf("serve --addr :0: status %d, stdout %q, stderr %q", st, out.String(), errb.String())
	}
	warn := errb.String()
	if !strings.Contains(warn, "not loopback") || !strings.Contains(warn, "other machines can reach") || !strings.Contains(warn, ":"+m[1]) {
		t.Errorf("serve --addr :0 did not say plainly where it listens: %q", warn)
	}
	// A loopback address gets no warning.
	out2, errb2 := &serveSyncBuffer{}, &serveSyncBuffer{}
	ctx2, cancel2 := context.WithCancel(context.Background())
	serveContext = func() (context.Context, context.CancelFunc) { return ctx2, cancel2 }
	go func() {
		status <- run([]string{"serve", "--addr", "127.0.0.1:0", "--web", serveWebRoot(t)}, out2, errb2)
	}()
	for deadline := time.Now().Add(10 * time.Second); !urlRE.MatchString(out2.String()) && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	cancel2()
	<-status
	if strings.Contains(errb2.String(), "not loopback") {
		t.Errorf("loopback serve warned: %q", errb2.String())
	}
}

// A binary built without the playground serves the notebook API alone
// and says so.
func TestServeWithoutPlayground(t *testing.T) {
	if webroot.HasPlayground {
		t.Skip("built with the playground tag")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	saved := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer func() { serveContext = saved }()
	var out, errb serveSyncBuffer
	status := make(chan int, 1)
	go func() { status <- run([]string{"serve", "--addr", "127.0.0.1:0"}, &out, &errb) }()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		base = urlRE.FindString(out.String())
	}
	if base == "" {
		cancel()
		t.Fatalf("no URL printed; stdout %q stderr %q", out.String(), errb.String())
	}
	for path, want := range map[string]int{"api/v1/": 200, "api/info": 200, "ot": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	if st := <-status; st != 0 {
		t.Errorf("serve exited %d", st)
	}
	if !strings.Contains(errb.String(), "built without the playground") || !strings.Contains(errb.String(), "notebook API") {
		t.Errorf("serve did not say it serves the API only: %q", errb.String())
	}
}
