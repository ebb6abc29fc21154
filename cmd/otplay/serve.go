package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/otplay/otplay/server"
)

func init() {
	register(command{name: "serve", summary: "serve the browser playground (default http://127.0.0.1:8080)", run: runServe})
}

// serveDefaultAddr is loopback: browsers give WebGPU only to secure
// contexts, and http://127.0.0.1 and http://localhost are the secure ones
// without TLS.
const serveDefaultAddr = "127.0.0.1:8080"

// serveContext returns the context that ends the server: Ctrl-C or
// SIGTERM. Tests replace it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", `serve [--addr HOST:PORT] [--web DIR]

Serves the otplay playground: the gallery at /, the pages (/check, ...)
and their bare embed views at /embed/<page>. Pages compute in the browser,
on WebGPU where the browser has it and on the CPU (in the wasm) where it
has not; the badge on each page says which. With --native (the default)
they may also compute on this machine's GPU (or its fast CPU backend)
through the server: ?backend=native, and backend=auto takes it when the
browser has no hardware WebGPU and this machine has a GPU. Only pages of
this server on 127.0.0.1/localhost get a session.

The web root must hold app.wasm: build it with "make wasm" (GOOS=js
GOARCH=wasm go build -o web/app.wasm ./wasm); a web/app.wasm.gz beside it
is sent to browsers that accept gzip. Ctrl-C stops the server.`, stderr)
	addr := fs.String("addr", serveDefaultAddr, "listen address; keep it on 127.0.0.1 or localhost: browsers refuse WebGPU to plain-http pages of other hosts")
	web := fs.String("web", server.DefaultWebDir, "web root holding app.wasm, the icons and otplay.css")
	native := fs.Bool("native", true, "let the pages compute on this machine's backend (?backend=native; backend=auto takes it when the browser lacks hardware WebGPU and this machine has a GPU)")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	cfg := server.Config{WebDir: *web}
	if *native {
		// auto never fails: the fast CPU backend at worst. Not closed
		// here: sessions still open free their arrays on it when they time
		// out; the process's exit releases the device.
		b, note, _ := openBackend("auto")
		cfg.Remote = server.RemoteConfig{Backend: b, Hardware: server.IsHardwareGPU(b.Info())}
		if note != "" {
			note = " (" + note + ")"
		}
		fmt.Fprintf(stderr, "otplay serve: pages may compute natively (?backend=native) on %s: %s%s\n", b.Info().Name, b.Info().Device, note)
	}
	h, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "otplay serve:", err)
		return 1
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "otplay serve:", err)
		return 1
	}
	host, port, _ := net.SplitHostPort(l.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
		fmt.Fprintln(stderr, "otplay serve: note: from other machines over plain http the pages get no WebGPU (not a secure context) and compute on the CPU")
	}
	fmt.Fprintf(stdout, "otplay serve: the playground is at http://%s/ (Ctrl-C stops)\n", net.JoinHostPort(host, port))
	ctx, stop := serveContext()
	defer stop()
	if err := server.Serve(ctx, l, h); err != nil {
		fmt.Fprintln(stderr, "otplay serve:", err)
		return 1
	}
	return 0
}
