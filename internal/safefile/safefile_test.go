package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(p, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "new\n" {
		t.Errorf("content %q, want %q", got, "new\n")
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after replacing a 0640 file, want it kept", st.Mode().Perm())
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v, want only out.csv", names)
	}
}

func TestWriteNewFileHasUmaskMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no umask on Windows")
	}
	p := filepath.Join(t.TempDir(), "plan.npy")
	if err := WriteFile(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if want := 0o666 &^ umask(); st.Mode().Perm() != want {
		t.Errorf("new file mode %v, want %v (0666 minus umask %v); os.CreateTemp alone gives 0600", st.Mode().Perm(), want, umask())
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "samples.npy")
	os.WriteFile(p, []byte("precious"), 0o644)
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "half a fi")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write returned %v, want the writer's error", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "precious" {
		t.Errorf("old file now %q; a failed write must leave it whole", got)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v after a failed write, want no temp file", names)
	}
}

func TestWriteViaKeepsExtension(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "img.png")
	var seen string
	err := WriteVia(p, func(tmp string) error {
		seen = tmp
		return os.WriteFile(tmp, []byte("png"), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(seen) != ".png" || filepath.Dir(seen) != dir || !strings.HasPrefix(filepath.Base(seen), ".img.tmp") {
		t.Errorf("temp name %q: want .img.tmp*.png in %s", seen, dir)
	}
}

func TestConcurrentWritersUseUniqueTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Repeat(fmt.Sprintf("%d\n", i), 10000)
			errs[i] = WriteFile(p, []byte(body))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 10000 {
		t.Fatalf("%d lines, want 10000 from one writer", len(lines))
	}
	for _, l := range lines {
		if l != lines[0] {
			t.Fatalf("file mixes writers %q and %q", lines[0], l)
		}
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v, want only out.csv", names)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "nope", "out.csv"), "does not exist"},
		{filepath.Join(file, "out.csv"), "is not a folder"},
		{dir, "is a folder"},
		{"/proc/out.csv", "cannot write in folder"},
		{"", "empty output path"},
	} {
		err := Check(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%q) = %v, want an error with %q", c.path, err, c.want)
		}
	}
	if err := Check(filepath.Join(dir, "ok.csv")); err != nil {
		t.Errorf("Check on a writable folder: %v", err)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("Check left files behind: %v", names)
	}
	if err := CheckExt(filepath.Join(dir, "a.txt"), ".csv", ".npy"); err == nil || !strings.Contains(err.Error(), ".csv, .npy") {
		t.Errorf("CheckExt(.txt) = %v, want the known extensions named", err)
	}
	if err := CheckExt(filepath.Join(dir, "a.NPY"), ".csv", ".npy"); err != nil {
		t.Errorf("CheckExt(.NPY) = %v", err)
	}
	if err := CheckDir(filepath.Join(dir, "new")); err != nil {
		t.Errorf("CheckDir of a missing folder with a writable parent: %v", err)
	}
	if err := CheckDir(file); err == nil {
		t.Error("CheckDir of a file: no error")
	}
}

func TestRemoveTempsStopsCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	os.WriteFile(p, []byte("old"), 0o644)
	defer func() { mu.Lock(); stopped = false; mu.Unlock() }()
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "new")
		if removed := RemoveTemps(); len(removed) != 1 {
			t.Errorf("RemoveTemps removed %v, want the one temp in flight", removed)
		}
		return nil
	})
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("write after RemoveTemps: %v, want ErrInterrupted", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "old" {
		t.Errorf("file %q, want the old one", got)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("folder holds %v", names)
	}
}
