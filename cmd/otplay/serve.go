package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/otplay/otplay/server"
	webroot "github.com/otplay/otplay/web"
)

func init() {
	register(command{name: "serve", summary: "serve the browser playground (default http://127.0.0.1:8080)", run: runServe})
}

// serveDefaultAddr is loopback: browsers give WebGPU only to secure
// contexts, and http://127.0.0.1 and http://localhost are the secure ones
// without TLS.
const serveDefaultAddr = "127.0.0.1:8080"

// serveContext returns the context that ends the server: Ctrl-C or
// SIGTERM (main leaves these two signals to serve and app). Tests replace
// it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("serve", `serve [--addr HOST:PORT] [--web DIR] [--allow-host NAME,...]

Serves the otplay playground: the gallery at /, the pages (/check, ...)
and their bare embed views at /embed/<page>. Pages compute in the browser,
on WebGPU where the browser has it and on the CPU (in the wasm) where it
has not; the badge on each page says which. With --native (the default)
they may also compute on this machine's GPU (or its fast CPU backend)
through the server: ?backend=native, and backend=auto takes it when the
browser has no WebGPU, or only a software adapter while this machine has a
GPU. Only pages of this server on 127.0.0.1/localhost get a session.

The playground is built into the binary by "make build". A binary from a
plain "go build" or "go install" has no playground in it: it serves the
notebook API only, unless --web DIR names a web root holding app.wasm
(make wasm writes web/app.wasm; a web/app.wasm.gz beside it is sent to
browsers that accept gzip).

The server answers only requests addressed to it by one of its own
addresses (localhost, 127.0.0.1, [::1] and, for a non-loopback --addr, the
addresses it listens on): a Host check that stops DNS rebinding.
--allow-host adds names. Ctrl-C stops the server.`, stdout, stderr)
	addr := fs.String("addr", serveDefaultAddr, "listen address; keep it on 127.0.0.1 or localhost: browsers refuse WebGPU to plain-http pages of other hosts, and other machines can reach any other address")
	web := fs.String("web", "", "web root holding app.wasm, the icons and otplay.css (development: --web web); empty: the playground built into the binary")
	native := fs.Bool("native", true, "let the pages compute on this machine's backend (?backend=native; backend=auto takes it when the browser has no WebGPU, or only a software adapter while this machine has a GPU)")
	allow := fs.String("allow-host", "", "comma-separated extra host names (with or without :PORT) the server answers to, for a non-loopback --addr reached by name")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	cfg := server.Config{WebDir: *web, APIWithoutPlayground: true}
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
	if *web == "" && !webroot.HasPlayground {
		fmt.Fprintln(stderr, "otplay serve: this binary was built without the playground (make build puts it in, or pass --web DIR with an app.wasm): serving the notebook API ("+server.APIPrefix+") only")
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "otplay serve:", err)
		return 1
	}
	var extra []string
	for _, name := range strings.Split(*allow, ",") {
		if name = strings.TrimSpace(name); name != "" {
			extra = append(extra, name)
		}
	}
	urls := server.ListenURLs(l.Addr())
	if !server.IsLoopback(l.Addr()) {
		remote := urls
		if len(urls) > 1 {
			remote = urls[1:] // urls[0] is the loopback URL
		}
		fmt.Fprintf(stderr, "otplay serve: warning: listening on %s, which is not loopback: other machines can reach the playground at %s\n", l.Addr(), strings.Join(remote, ", "))
		fmt.Fprintln(stderr, "otplay serve: note: from other machines over plain http the pages get no WebGPU (not a secure context) and compute on the CPU")
	}
	if *web == "" && !webroot.HasPlayground {
		fmt.Fprintf(stdout, "otplay serve: the notebook API is at %s%s (Ctrl-C stops)\n", urls[0], strings.TrimPrefix(server.APIPrefix, "/"))
	} else {
		fmt.Fprintf(stdout, "otplay serve: the playground is at %s (Ctrl-C stops)\n", urls[0])
	}
	ctx, stop := serveContext()
	defer stop()
	if err := server.Serve(ctx, l, h, extra...); err != nil {
		fmt.Fprintln(stderr, "otplay serve:", err)
		return 1
	}
	return 0
}
