// Package safefile writes output files so that nothing is lost: a file is
// either its old self or the complete new one, never a torn mix.
//
// Every command of otplay writes its outputs through Write (or WriteVia
// for libraries that write to a path themselves):
//
//  1. Check, called before any long work, makes sure the destination can
//     be written: its folder exists and is a writable directory, the path
//     is not itself a directory, and (with CheckExt) its extension is one
//     the command knows. A typo in --out costs no minutes of work.
//  2. The data go to a temporary file with a unique name in the same
//     folder (".NAME.tmpRANDOM.EXT", so two runs never share one and the
//     rename stays on one file system); the file is synced to disk.
//  3. The temporary file gets its final mode: the mode of the file it
//     replaces, or 0666 minus the process's umask for a new file (the
//     mode os.Create would give; os.CreateTemp alone gives 0600).
//  4. It is renamed over the destination (atomic on POSIX file systems)
//     and the folder is synced, so the new name survives a crash.
//
// A temporary file is removed when its write fails. The temporary files in
// flight are also removed on SIGINT and SIGTERM once HandleSignals is
// installed (cmd/otplay does so in main): the handler removes them and
// exits with status 128 + the signal number (130, 143). A command that
// wants Ctrl-C to stop its work and still write what it has (otplay
// truncate) sets an interrupt hook with OnInterrupt: the first SIGINT then
// calls the hook instead of exiting; a second SIGINT, or SIGTERM, exits.
// A SIGKILL cannot be caught: the destination is then still whole (the
// old file or nothing), and a stray ".NAME.tmp*" file may remain.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// ErrInterrupted is returned by a write whose temporary file was removed
// by the signal handler before it could be renamed into place.
var ErrInterrupted = errors.New("safefile: interrupted by a signal")

// Check reports whether path can be written by Write: its folder exists,
// is a directory and accepts a new file (checked by creating and removing
// a temporary file there), and path is not a directory. Errors name the
// path and say what is wrong.
func Check(path string) error {
	if path == "" {
		return errors.New("empty output path")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: folder %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("%s: %s is not a folder", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; want a file name", path)
	}
	f, err := os.CreateTemp(dir, ".otplay-check-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write in folder %s: %w", path, dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// CheckExt is Check plus the extension of path, compared without case
// with exts (each with its dot, e.g. ".csv").
func CheckExt(path string, exts ...string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if !slices.Contains(exts, ext) {
		return fmt.Errorf("%s: want a file name ending in %s", path, strings.Join(exts, ", "))
	}
	return Check(path)
}

// CheckDir reports whether dir is, or can be made as, a writable folder:
// an existing folder must accept a new file; a missing one needs an
// existing writable parent.
func CheckDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return Check(dir)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	return Check(filepath.Join(dir, "x"))
}

// unwrapPath drops the *PathError wrapper (whose path is the random
// temporary name) and keeps the cause.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Write writes path by calling write with a temporary file in the same
// folder, then syncs it, gives it its final mode and renames it over path.
// On any error the temporary file is removed and path is untouched.
func Write(path string, write func(w io.Writer) error) error {
	return WriteVia(path, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// WriteFile is Write for a byte slice.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteVia is Write for code that writes to a file name itself (an image
// encoder choosing its format by extension): write receives the name of
// an empty temporary file with the same extension as path, in the same
// folder, and must leave the data there.
func WriteVia(path string, write func(tmp string) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	f, err := os.CreateTemp(dir, "."+stem+".tmp*"+ext)
	if err != nil {
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	tmp := f.Name()
	f.Close()
	if !track(tmp) {
		os.Remove(tmp)
		return ErrInterrupted
	}
	defer untrack(tmp)
	fail := func(err error) error {
		os.Remove(tmp)
		if errors.Is(err, ErrInterrupted) || interrupted() {
			return ErrInterrupted
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		return fail(err)
	}
	if err := syncFile(tmp); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, modeFor(path)); err != nil {
		return fail(err)
	}
	if err := commit(tmp, path); err != nil {
		return fail(err)
	}
	syncDir(dir)
	return nil
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable. Errors are ignored: some file
// systems refuse to sync a folder, and the rename has happened anyway.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// modeFor is the mode of the file at path if there is one, else 0666
// minus the umask.
func modeFor(path string) os.FileMode {
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		return st.Mode().Perm()
	}
	return 0o666 &^ umask()
}

// The temporary files in flight, removed by RemoveTemps.
var (
	mu      sync.Mutex
	temps   = map[string]bool{}
	stopped bool
)

func track(tmp string) bool {
	mu.Lock()
	defer mu.Unlock()
	if stopped {
		return false
	}
	temps[tmp] = true
	return true
}

func untrack(tmp string) {
	mu.Lock()
	delete(temps, tmp)
	mu.Unlock()
}

func interrupted() bool {
	mu.Lock()
	defer mu.Unlock()
	return stopped
}

// commit renames tmp to path unless RemoveTemps has run.
func commit(tmp, path string) error {
	mu.Lock()
	defer mu.Unlock()
	if stopped {
		return ErrInterrupted
	}
	return os.Rename(tmp, path)
}

// RemoveTemps removes every temporary file in flight; writes that have
// not yet been renamed into place then fail with ErrInterrupted, and later
// writes are refused. It returns the names removed. The signal handler
// calls it before exiting.
func RemoveTemps() []string {
	mu.Lock()
	defer mu.Unlock()
	stopped = true
	var removed []string
	for t := range temps {
		if os.Remove(t) == nil {
			removed = append(removed, t)
		}
		delete(temps, t)
	}
	return removed
}
