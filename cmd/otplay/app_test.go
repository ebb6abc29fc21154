//go:build !webview

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Built without the webview tag, otplay app starts its server on a free
// loopback port, opens the page in the default browser (here a stand-in
// that fetches it over real HTTP), says so, and stops the server on
// Ctrl-C.
func TestAppOpensBrowser(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	savedCtx, savedOpen := appContext, openBrowser
	defer func() { appContext, openBrowser = savedCtx, savedOpen }()
	appContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	type page struct {
		url    string
		status int
		body   string
		err    error
	}
	opened := make(chan page, 1)
	openBrowser = func(url string) error {
		resp, err := http.Get(url)
		if err != nil {
			opened <- page{url: url, err: err}
			return nil
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		opened <- page{url, resp.StatusCode, string(b), nil}
		return nil
	}
	var out, errb serveSyncBuffer
	status := make(chan int, 1)
	go func() {
		status <- run([]string{"app", "--web", serveWebRoot(t), "--page", "/check?n=5"}, &out, &errb)
	}()
	var p page
	select {
	case p = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatalf("no browser opened; stdout %q stderr %q", out.String(), errb.String())
	}
	if p.err != nil || p.status != 200 || !strings.Contains(p.body, `id="backend-badge"`) {
		t.Errorf("the opened page %s: %v, status %d", p.url, p.err, p.status)
	}
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") || !strings.HasSuffix(p.url, "/check?n=5") {
		t.Errorf("opened %q, want http://127.0.0.1:PORT/check?n=5", p.url)
	}
	if !strings.Contains(out.String(), "built without the desktop window") || !strings.Contains(out.String(), "default browser") {
		t.Errorf("app did not say it opens the browser instead: %q", out.String())
	}
	cancel()
	select {
	case st := <-status:
		if st != 0 {
			t.Errorf("app exited %d; stderr %q", st, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("app did not stop")
	}
	client := http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(p.url); err == nil {
		resp.Body.Close()
		t.Errorf("the server still answers at %s after the app stopped", p.url)
	}
}

func TestAppUsage(t *testing.T) {
	var out0, errb0 bytes.Buffer
	if st := run([]string{"app", "--web", serveWebRoot(t), "--backend", "tpu"}, &out0, &errb0); st != 2 || !strings.Contains(errb0.String(), "--backend") {
		t.Errorf("app --backend tpu: status %d, stderr %q", st, errb0.String())
	}
	for _, page := range []string{"ot", "/nope", "http://example.com/ot", "/embed/nope"} {
		var out, errb bytes.Buffer
		if st := run([]string{"app", "--web", serveWebRoot(t), "--page", page}, &out, &errb); st != 2 || !strings.Contains(errb.String(), "--page") {
			t.Errorf("app --page %q: status %d, stderr %q", page, st, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if st := run([]string{"app", "-h"}, &out, &errb); st != 0 || !strings.Contains(out.String(), "webview") {
		t.Errorf("app -h: status %d", st)
	}
	if st := run([]string{"app", "--web", t.TempDir()}, &out, &errb); st != 1 || !strings.Contains(errb.String(), "make wasm") {
		t.Errorf("app without a wasm: status %d, stderr %q", st, errb.String())
	}
}
