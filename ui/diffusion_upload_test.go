package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

func TestSetPointUpload(t *testing.T) {
	good := "x,y\n0,1\n2,3\n4,5\n"
	if err := SetPointUpload("/diffusion:data", "pts.csv", []byte(good), 10); err != nil {
		t.Fatal(err)
	}
	st := mustDecodeTestState(t, DiffusionSchema, "data=upload&n=2")
	d, err := parseDiffusion(st)
	if err != nil {
		t.Fatal(err)
	}
	x, n, err := d.Points()
	if err != nil || n != 2 || len(x) != 4 || x[3] != 3 {
		t.Errorf("upload, first 2 points: %v %d %v", x, n, err)
	}
	for _, c := range []struct{ name, file, want string }{
		{"three.csv", "1,2,3\n4,5,6\n", "3 columns"},
		{"bad.csv", "1,2\n3,oops\n", "line 2"},
		{"many.csv", strings.Repeat("1,2\n", 11), "11 points"},
		{"empty.csv", "", "empty.csv"},
		{"big.csv", strings.Repeat("x", MaxPointUploadBytes+1), "limit"},
	} {
		err := SetPointUpload("/diffusion:data", c.name, []byte(c.file), 10)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: %v, want an error naming it with %q", c.name, err, c.want)
		}
	}
	if err := SetPointUpload("/bridge:x", "pts.npy", []byte("not npy"), 10); !errors.Is(err, data.ErrBadSpec) {
		t.Errorf("bad .npy: %v", err)
	}
	var buf bytes.Buffer
	data.WriteNPY(&buf, []float64{1, 2, 3, 4, 5, 6}, 3, 2)
	v := pointUploadVersion()
	if err := SetPointUpload("/bridge:x", "pts.npy", buf.Bytes(), 10); err != nil || pointUploadVersion() != v+1 {
		t.Fatalf(".npy: %v, version %d -> %d", err, v, pointUploadVersion())
	}
	bst := mustDecodeTestState(t, BridgeSchema, "x=upload&particles=50&seed=1")
	p, err := BridgeParticles(bst)
	if err != nil || len(p) != 100 {
		t.Fatalf("particles from the upload: %d values, %v", len(p), err)
	}
	for i := 0; i < 50; i++ {
		if a, b := p[2*i], p[2*i+1]; b != a+1 || (a != 1 && a != 3 && a != 5) {
			t.Fatalf("particle %d = (%g, %g) is not an uploaded point", i, a, b)
		}
	}
	prob, err := BridgeProblem(bst)
	if err != nil || prob.N != 3 {
		t.Errorf("bridge problem from the upload: N %d, %v", prob.N, err)
	}
	pointUploads.Lock()
	delete(pointUploads.sets, "/bridge:y")
	pointUploads.Unlock()
	bst, _ = BridgeSchema.DecodeQuery("y=upload")
	if _, err := BridgeProblem(bst); err == nil || !strings.Contains(err.Error(), "y = upload") {
		t.Errorf("missing upload: %v", err)
	}
}

// mustDecodeTestState decodes a query that the schema must accept (a refused
// value would silently run its default).
func mustDecodeTestState(t testing.TB, s Schema, q string) State {
	t.Helper()
	st, err := s.DecodeQuery(q)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	return st
}
