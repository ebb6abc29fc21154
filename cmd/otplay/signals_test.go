package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// otplayBinary builds the real otplay binary once per test process.
func otplayBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "otplay-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "otplay")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("building otplay: %v", binErr)
	}
	return binPath
}

// tempFiles lists the files of dir that are not in keep.
func strayFiles(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stray []string
	for _, e := range es {
		if !contains(keep, e.Name()) {
			stray = append(stray, e.Name())
		}
	}
	return stray
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestKillMidWrite starts the real binary writing a large sample file
// over an existing one, kills it while the temporary file is being
// written, and checks that the old file is whole. After SIGTERM no
// temporary file is left; after SIGKILL (which no program can catch) the
// old file is still whole. Issue 9 part 3: sample --out used to write in
// place, so a kill left a torn file and lost the old one.
func TestKillMidWrite(t *testing.T) {
	bin := otplayBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "samples.csv")
			old := []byte("0.5,0.25\n1,2\n")
			if err := os.WriteFile(out, old, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "sample", "--backend", "cpu32", "--data", "gaussian:200", "--model", "gmm",
				"--sampler", "ddim", "--steps", "1", "--n", "3000000", "--out", out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Wait for the temporary file to hold data: the write is under way.
			deadline := time.Now().Add(3 * time.Minute)
			killed := false
			for !killed && time.Now().Before(deadline) {
				select {
				case err := <-done:
					t.Fatalf("otplay finished (%v) before it could be killed mid-write; stderr %s", err, stderr.String())
				default:
				}
				for _, name := range strayFiles(t, dir, "samples.csv") {
					if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Size() > 1<<20 {
						cmd.Process.Signal(sig)
						killed = true
						break
					}
				}
				time.Sleep(time.Millisecond)
			}
			if !killed {
				cmd.Process.Kill()
				t.Fatal("no temporary file grew past 1 MiB within 3 minutes")
			}
			err := <-done
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("otplay exited with %v; want a kill by %v", err, sig)
			}
			got, rerr := os.ReadFile(out)
			if rerr != nil || !bytes.Equal(got, old) {
				t.Errorf("after %v mid-write the old file reads %d bytes (%v); want the old %d bytes whole", sig, len(got), rerr, len(old))
			}
			if sig == syscall.SIGTERM {
				if code := ee.ExitCode(); code != 143 {
					t.Errorf("exit status %d after SIGTERM, want 143; stderr %s", code, stderr.String())
				}
				if stray := strayFiles(t, dir, "samples.csv"); len(stray) > 0 {
					t.Errorf("temporary files left after SIGTERM: %v", stray)
				}
			}
		})
	}
}

// TestTruncateCtrlCWritesWhatIsDone: SIGINT during otplay truncate stops
// after the run in progress and writes the runs done (issue 11 part 6).
func TestTruncateCtrlCWritesWhatIsDone(t *testing.T) {
	bin := otplayBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "truncate", "--backend", "cpu32", "--quick", "--ttrunc", "50,20,10,5", "--out", dir, "--format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var log []string
	sent := false
	for sc.Scan() {
		log = append(log, sc.Text())
		if !sent && strings.Contains(sc.Text(), "[2/") {
			cmd.Process.Signal(os.Interrupt)
			sent = true
		}
	}
	err = cmd.Wait()
	if !sent {
		t.Fatalf("no second run reported; stderr:\n%s", strings.Join(log, "\n"))
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v after Ctrl-C, want status 130; stderr:\n%s", err, strings.Join(log, "\n"))
	}
	var rep truncateReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "truncate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk truncateReport
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	if !onDisk.Interrupted || len(onDisk.Rows) < 2 || len(onDisk.Rows) >= onDisk.Planned || onDisk.Planned != 24 {
		t.Errorf("truncate.json: interrupted %v, %d rows of %d planned; want interrupted, 2 <= rows < 24", onDisk.Interrupted, len(onDisk.Rows), onDisk.Planned)
	}
	for _, f := range []string{"truncate.md", "truncate.csv", "truncate.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written after Ctrl-C: %v", f, err)
		}
	}
	if stray := strayFiles(t, dir, "truncate.json", "truncate.md", "truncate.csv", "truncate.svg"); len(stray) > 0 {
		t.Errorf("stray files: %v", stray)
	}
}

// TestBinaryJSONThroughAPipe: the real binary's `solve --json 2>&1` into
// a pipe is one JSON object, with no progress frames (issue 11 part 6:
// 5.8 KB of carriage-return frames once broke it).
func TestBinaryJSONThroughAPipe(t *testing.T) {
	bin := otplayBinary(t)
	cmd := exec.Command(bin, "solve", "--backend", "cpu32", "--x", "moons:400", "--y", "moons:400:seed=1", "--eps", "1e-3", "--iters", "3000", "--tol", "0", "--json")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if bytes.ContainsAny(out, "\r\x1b") {
		t.Errorf("progress frames in piped output: %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil || m["iterations"] != float64(3000) {
		t.Errorf("2>&1 output is not the JSON report of 3000 iterations: %v\n%s", err, out)
	}
}
