package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/otplay/otplay/internal/jsonout"
)

func init() {
	register(command{name: "version", summary: "print the version, commit, Go version and WebGPU binding", run: runVersion})
}

// version is otplay's version, set at build time with
// -ldflags "-X main.version=..."; otherwise the module version from the
// build information (a tag for `go install ...@vX`, "(devel)" for a build
// in the repository).
var version = "dev"

// commit is the commit built, set with -ldflags "-X main.commit=..." (the
// Makefile does) where Go's own VCS stamp is off (-buildvcs=false).
var commit = ""

// webgpuModule is the Go binding of WebGPU (wgpu-native natively).
const webgpuModule = "github.com/cogentcore/webgpu"

// versionReport is `otplay version --json`.
type versionReport struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	WebGPU   string `json:"webgpu_binding"`
}

func buildVersion() versionReport {
	r := versionReport{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, WebGPU: webgpuModule + " (version unknown)"}
	if c, ok := strings.CutSuffix(r.Commit, "+modified"); ok {
		r.Commit, r.Modified = c, true
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return r
	}
	if r.Version == "dev" && bi.Main.Version != "" {
		r.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if r.Commit == "" {
				r.Commit = s.Value
			}
		case "vcs.time":
			r.Time = s.Value
		case "vcs.modified":
			r.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		if d.Path == webgpuModule {
			m := d
			if d.Replace != nil {
				m = d.Replace
			}
			r.WebGPU = m.Path + " " + m.Version
		}
	}
	return r
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("version", `version [--json]

Prints otplay's version (the module version, or -ldflags -X main.version),
the commit it was built from (when built in a git checkout; "+modified"
when the tree had changes), the Go version and platform, and the WebGPU
binding otplay is built on (wgpu-native natively). 'otplay info' shows
the GPU adapter itself.`, stdout, stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	r := buildVersion()
	if *asJSON {
		if _, err := jsonout.Write(stdout, r, true); err != nil {
			fmt.Fprintln(stderr, "otplay version:", err)
			return 1
		}
		return 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "otplay %s", r.Version)
	if r.Commit != "" {
		c := r.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(&b, " (commit %s", c)
		if r.Modified {
			b.WriteString("+modified")
		}
		if r.Time != "" {
			b.WriteString(", " + r.Time)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, "\n%s %s, WebGPU binding %s\n", r.Go, r.Platform, r.WebGPU)
	io.WriteString(stdout, b.String())
	return 0
}
