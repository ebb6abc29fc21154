//go:build !js

package batch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/ot"
)

// TestSolveSaysWhyNotConverged (issue 9): the solve report carries the
// float64 residual that decides converged, how it was measured, the
// backend's precision floor and the reason in words; an eps the backend
// cannot resolve is an error naming what to do, before any file is
// written.
func TestSolveSaysWhyNotConverged(t *testing.T) {
	req := NewSolveRequest()
	req.X, req.Y, req.Backend = "moons:200", "8gaussians:200", "cpu32"
	req.Eps, req.Tol, req.Scaling, req.Iters = 0.1, 1e-9, 0.5, 3000
	r, err := Solve(req, Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", js)
	for _, want := range []string{`"residual":`, `"precision":"float32"`, `"precision_floor":`, `"check":"float64 on the host`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if r.PrecisionFloor <= 0 {
		t.Errorf("floor %g", r.PrecisionFloor)
	}
	// converged is the float64 verdict whatever the build: with
	// GOEXPERIMENT=simd (make test) cpu32 sums in float32 and stalls near
	// 5e-7, above tol; a plain go build runs cpu32 through the float64
	// loops at float32 grade, which can reach tol, and then converged must
	// be true with a residual under tol.
	if r.Converged != (r.Residual <= req.Tol) {
		t.Errorf("converged %v with float64 residual %g, tol %g", r.Converged, r.Residual, req.Tol)
	}
	if !r.Converged {
		for _, want := range []string{`"converged":false`, `"status":"not converged`, "float32 rounding"} {
			if !strings.Contains(string(js), want) {
				t.Errorf("JSON lacks %s", want)
			}
		}
	}
	req.Eps, req.Backend = 1e-20, "cpu"
	if _, err := Solve(req, Options{}); !errors.Is(err, ot.ErrPrecision) || !strings.Contains(err.Error(), "--method exact") {
		t.Errorf("eps = 1e-20: %v, want ot.ErrPrecision naming the exact method", err)
	}
}
