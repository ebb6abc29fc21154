package server

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/gromov"
)

// TestAPISolveGromov: method "gromov" with cx sent as JSON rows gives
// batch.Solve's GW objective (the CLI's path) for a 2-D cloud against a
// 3-D one; a file name for cx is refused.
func TestAPISolveGromov(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{}))
	xs, _ := data.Parse("moons:12:seed=1")
	c1 := gromov.SquaredEuclidean(xs.Points, 12, 2)
	for i := range c1 {
		c1[i] = 1.5 * c1[i] // not the default, so cx must arrive
	}
	req := batch.NewSolveRequest()
	req.X, req.Y, req.Method, req.Eps, req.Backend = "moons:12:seed=1", "gaussian:9:d=3:seed=2", "gromov", 2, "cpu"
	req.CXSet = &data.Set{Points: c1, N: 12, D: 12}
	want, err := batch.Solve(req, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, 12)
	for i := range rows {
		rows[i] = c1[i*12 : (i+1)*12]
	}
	body, _ := json.Marshal(map[string]any{"x": req.X, "y": req.Y, "method": "gromov", "eps": 2, "backend": "cpu", "cx": rows})
	resp := postJSON(t, srv.URL+APIPrefix+"solve", string(body))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Objective  float64
		Iterations int
	}
	if err := json.Unmarshal(raw, &got); err != nil || resp.StatusCode != 200 || got.Objective != want.Objective || got.Iterations != want.Iterations {
		t.Errorf("API gromov: status %d, objective %v (%d outer), want %v (%d): %.300s", resp.StatusCode, got.Objective, got.Iterations, want.Objective, want.Iterations, raw)
	}
	resp = postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:12", "y": "moons:9", "method": "gromov", "cx": "/etc/C.npy"}`)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "reads no files") {
		t.Errorf("cx as a file name: status %d, %s; want 400", resp.StatusCode, raw)
	}
}
