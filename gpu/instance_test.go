//go:build !js

package gpu

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The instance is created with every field of its extras set even when
// every thread's malloc free lists hold garbage of the struct's size (the
// binding's own CreateInstance mallocs it uninitialised: with it, this
// test aborted in 5 of 6 runs). Each try runs in a child process (an
// instance is made once per process, and a garbage gles3MinorVersion
// aborts the process inside wgpu-native).
func TestInstanceOnDirtyThreads(t *testing.T) {
	if os.Getenv("OTPLAY_DIRTY_CHILD") == "1" {
		// Dirty the free lists of many OS threads, then hand the
		// threads back to the scheduler.
		var wg sync.WaitGroup
		for range 4 * runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				fillMalloc(instanceExtrasSize, 16, 0x7f)
			}()
		}
		wg.Wait()
		fillMalloc(instanceExtrasSize, 16, 0x7f)
		if _, err := Adapters(); err != nil {
			t.Skipf("no adapter: %v", err)
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for try := range 5 {
		cmd := exec.Command(exe, "-test.run", "^TestInstanceOnDirtyThreads$", "-test.v")
		cmd.Env = append(os.Environ(), "OTPLAY_DIRTY_CHILD=1", "GOMAXPROCS=8")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("try %d: the child died (%v):\n%s", try, err, tail(string(out), 1500))
		}
		if strings.Contains(string(out), "SKIP") && os.Getenv("OTPLAY_REQUIRE_GPU") == "1" {
			t.Fatalf("no adapter in the child (OTPLAY_REQUIRE_GPU=1):\n%s", out)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
