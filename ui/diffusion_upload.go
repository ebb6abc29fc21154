package ui

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/data"
)

// Point clouds uploaded on /diffusion, /bridge and /truncate: a data
// parameter whose value is "upload" takes its points from a file the user
// chose (CSV with two columns and an optional header, or a NumPy .npy of
// shape (n, 2), read by package data). Uploads live in the page's memory
// only: a link with data=upload restores everything but the file.

// MaxPointUploadBytes bounds an uploaded point file; larger files are
// refused before they are read.
const MaxPointUploadBytes = 8 << 20

// uploadChoice is the data-set value that names an uploaded cloud.
const uploadChoice = play.UploadChoice

// pointSets are the data sets of /diffusion, /bridge and /truncate: the
// 2-D toys and an upload.
var pointSets = play.PointSets

var pointUploads struct {
	sync.Mutex
	sets map[string]data.Set // by key: "<page path>:<parameter>"
	gen  int                 // counts uploads (cache keys of models fitted to an upload)
}

// pointUploadVersion counts the uploads so far: caches of models trained
// on data=upload include it in their key.
func pointUploadVersion() int {
	pointUploads.Lock()
	defer pointUploads.Unlock()
	return pointUploads.gen
}

// SetPointUpload parses an uploaded point file (name decides the format:
// ".npy" is NumPy, anything else CSV) and keeps it for the parameter
// key ("/diffusion:data", "/bridge:x", "/bridge:y"). It refuses, naming
// the file: files over MaxPointUploadBytes, unreadable ones (package
// data's errors say where), other dimensions than 2, more than
// maxPoints points.
func SetPointUpload(key, name string, file []byte, maxPoints int) error {
	if len(file) > MaxPointUploadBytes {
		return fmt.Errorf("%s is %.1f MB: the limit is %d MB", name, float64(len(file))/(1<<20), MaxPointUploadBytes>>20)
	}
	var pts []float64
	var n, d int
	var err error
	if strings.HasSuffix(strings.ToLower(name), ".npy") {
		var shape []int
		pts, shape, err = data.ReadNPY(bytes.NewReader(file))
		if err == nil {
			if len(shape) != 2 {
				err = fmt.Errorf("shape %v: want (n, 2)", shape)
			} else {
				n, d = shape[0], shape[1]
			}
		}
	} else {
		pts, n, d, err = data.ReadCSV(bytes.NewReader(file))
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case d != 2:
		return fmt.Errorf("%s: %d columns, want 2 (the page's points are 2-D)", name, d)
	case n < 1 || n > maxPoints:
		return fmt.Errorf("%s: %d points, want 1 to %d", name, n, maxPoints)
	}
	pointUploads.Lock()
	defer pointUploads.Unlock()
	if pointUploads.sets == nil {
		pointUploads.sets = map[string]data.Set{}
	}
	pointUploads.sets[key] = data.Set{Name: name, Points: pts, N: n, D: 2}
	pointUploads.gen++
	return nil
}

// pointSet returns the cloud of a data parameter: data.Generate(name, n,
// seed), or for "upload" the uploaded points of key (at most n of them,
// the first ones).
func pointSet(key, name string, n int, seed uint64) (data.Set, error) {
	if name != uploadChoice {
		return data.Generate(name, n, data.Options{Seed: seed})
	}
	pointUploads.Lock()
	s, ok := pointUploads.sets[key]
	pointUploads.Unlock()
	if !ok {
		return data.Set{}, fmt.Errorf("%s = upload: choose a CSV or .npy file of 2-D points first (uploads are not part of the URL)", key[strings.Index(key, ":")+1:])
	}
	if s.N > n {
		s.Points, s.N = s.Points[:2*n], n
	}
	return s, nil
}

// uploadedPoints returns the points uploaded for key (n x 2, row-major),
// nil when there are none.
func uploadedPoints(key string) []float64 {
	pointUploads.Lock()
	defer pointUploads.Unlock()
	if s, ok := pointUploads.sets[key]; ok {
		return s.Points
	}
	return nil
}

// pointUploadField is a file input for a point cloud; onChange is a
// page method that calls handlePointUpload (go-app keeps the first handler
// it bound to an element, so the handler must read the page's current
// state through the page pointer at event time).
func pointUploadField(id, label string, onChange app.EventHandler) app.UI {
	return app.Label().Body(
		app.Text(label+" "),
		app.Input().ID(id).Type("file").Accept(".csv,.txt,.npy").OnChange(onChange),
	)
}

// handlePointUpload reads the file of input id in the background and
// keeps it for key; then it navigates to st with param = upload (or calls
// rerun when st has it already: same URL, new file). A refused file is
// reported through setErr.
func handlePointUpload(ctx app.Context, id, key, param string, maxPoints int, st State, path string, rerun func(app.Context), setErr func(string)) {
	setErr("")
	ctx.Async(func() {
		file, name, err := readUploadedFile(id, MaxPointUploadBytes)
		if err == nil {
			err = SetPointUpload(key, name, file, maxPoints)
		}
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				setErr("Upload refused: " + err.Error())
				return
			}
			next, _ := st.With(param, uploadChoice)
			if next.Encode() == st.Encode() {
				rerun(ctx)
				return
			}
			ctx.Navigate(PageURL(path, next))
		})
	})
}
