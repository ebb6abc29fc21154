package server

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/solvers/data"
)

// TestAPISolveCost: a cost matrix sent as a .npy part or as JSON rows,
// and --p sent as "p", give the cost and plan of batch.Solve (the CLI's
// path) bit for bit, and the entropic cost POT 0.8.2 gives for the same M
// and weights (the first case of solvers/ot/testdata/pot_cost_ref.json,
// sinkhorn_log with reg 0.2). A file name for "cost" is refused.
func TestAPISolveCost(t *testing.T) {
	srv := newAPIServer(t, NewAPI(APIConfig{}))
	raw, err := os.ReadFile("../solvers/ot/testdata/pot_cost_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			N, M    int
			C, A, B []float64
			Value   float64 `json:"cost"`
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	c := ref.Cases[0]
	m := data.Set{Points: c.C, N: c.N, D: c.M}
	req := batch.NewSolveRequest()
	req.Eps, req.Backend, req.Plan, req.Tol, req.Iters = 0.2, "cpu", true, 1e-13, 100000
	req.CostSet, req.AWeights, req.BWeights = &m, c.A, c.B
	want, err := batch.Solve(req, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(want.Cost-c.Value) > 1e-9*c.Value {
		t.Errorf("batch cost %.15g, POT %.15g", want.Cost, c.Value)
	}
	params := `{"eps": 0.2, "backend": "cpu", "plan": true, "tol": 1e-13, "iters": 100000}`
	res, arrays := readNPZ(t, postMultipart(t, context.Background(), srv.URL+APIPrefix+"solve?format=npz", params,
		map[string][]byte{"cost": npyBytes(t, m.Points, m.N, m.D), "a": npyBytes(t, c.A, c.N), "b": npyBytes(t, c.B, c.M)}))
	if res["cost"] != want.Cost || res["n"] != 9.0 || res["m"] != 7.0 {
		t.Errorf("API (.npy part) %v, batch cost %v", res, want.Cost)
	}
	if p := arrays["plan"]; len(p) != 63 || p[10] != want.Plan[10] {
		t.Errorf("API plan %d values, plan[10] %v; batch %v", len(p), p, want.Plan[10])
	}
	rows := make([][]float64, m.N)
	for i := range rows {
		rows[i] = m.Point(i)
	}
	body, _ := json.Marshal(map[string]any{"cost": rows, "a": c.A, "b": c.B, "eps": 0.2, "backend": "cpu", "tol": 1e-13, "iters": 100000})
	resp := postJSON(t, srv.URL+APIPrefix+"solve", string(body))
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct{ Cost float64 }
	if err := json.Unmarshal(raw, &got); err != nil || resp.StatusCode != 200 || got.Cost != want.Cost {
		t.Errorf("API (JSON rows): status %d, cost %v, want %v: %.300s", resp.StatusCode, got.Cost, want.Cost, raw)
	}

	// --p as "p": the CLI's numbers.
	req = batch.NewSolveRequest()
	req.X, req.Y, req.P, req.Eps, req.Backend = "moons:40:seed=1", "8gaussians:30:seed=2", 1, 0.1, "cpu"
	wantP, err := batch.Solve(req, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp = postJSON(t, srv.URL+APIPrefix+"solve", `{"x": "moons:40:seed=1", "y": "8gaussians:30:seed=2", "p": 1, "eps": 0.1, "backend": "cpu"}`)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(raw, &got); err != nil || resp.StatusCode != 200 || got.Cost != wantP.Cost {
		t.Errorf("API p = 1: status %d, cost %v, want %v: %.300s", resp.StatusCode, got.Cost, wantP.Cost, raw)
	}

	for _, c := range []struct{ body, want string }{
		{`{"cost": "/etc/M.npy"}`, "reads no files"},
		{`{"cost": [1, 2, 3]}`, "2-D n x m matrix"},
		{`{"cost": [[1, 2], [3, 4]], "x": "moons:10"}`, "--cost replaces the points"},
	} {
		resp := postJSON(t, srv.URL+APIPrefix+"solve", c.body)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(raw), c.want) {
			t.Errorf("%s: status %d, %s; want 400 naming %q", c.body, resp.StatusCode, raw, c.want)
		}
	}
}
