//go:build unix

package python

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

const debianPython = "/usr/bin/python3"

// TestPythonClient runs the Python client's unittest suite (solve,
// unbalanced, sliced and exact against POT; errors; sample, bridge, show)
// against a freshly built otplay.
func TestPythonClient(t *testing.T) {
	if out, err := exec.Command(debianPython, "-c", "import numpy, ot").CombinedOutput(); err != nil {
		if os.Getenv("OTPLAY_REQUIRE_PYTHON") != "1" {
			t.Skipf("%s cannot import numpy and ot (install python3-numpy python3-pot; OTPLAY_REQUIRE_PYTHON=1 makes this a failure): %v %s", debianPython, err, out)
		}
		t.Fatalf("OTPLAY_REQUIRE_PYTHON=1 but %s cannot import numpy and ot: %v %s", debianPython, err, out)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "otplay")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-o", bin, "./cmd/otplay")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/otplay: %v\n%s", err, out)
	}
	// A web root for otplay serve: the static files and a stand-in
	// app.wasm (the notebook API does not load it).
	web := filepath.Join(dir, "web")
	if err := os.Mkdir(web, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"icon.png", "icon.svg", "otplay.css"} {
		b, err := os.ReadFile(filepath.Join(root, "web", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(web, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(web, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	py := exec.Command(debianPython, "-m", "unittest", "discover", "-s", filepath.Join(root, "python", "tests"), "-v")
	py.Dir = root
	pidfile := filepath.Join(dir, "server.pid")
	py.Env = append(os.Environ(), "OTPLAY_BIN="+bin, "OTPLAY_WEB="+web, "OTPLAY_URL=", "OTPLAY_TEST_PIDFILE="+pidfile,
		"PYTHONPATH="+filepath.Join(root, "python"), "XDG_RUNTIME_DIR="+dir)
	out, err := py.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the Python client's tests failed: %v", err)
	}
	// The client started otplay serve and stopped it when Python exited.
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the client did not start a server: %v", err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		syscall.Kill(pid, syscall.SIGTERM)
		t.Errorf("the otplay serve started by the client (pid %d) outlived Python (kill 0: %v)", pid, err)
	}
}
