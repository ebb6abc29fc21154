package play

import (
	"context"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

func TestParseOTCSV(t *testing.T) {
	good := map[string][]float64{
		"x,y\n1,2\n3.5,-4e-1\n":      {1, 2, 3.5, -0.4},
		"1,2,extra\n\n# note\n3,4\n": {1, 2, 3, 4},
		"1;2\n3;4\n":                 {1, 2, 3, 4},
		"1\t2\n3\t4\n":               {1, 2, 3, 4},
		" 1, 2\r\n3 ,4\r\n":          {1, 2, 3, 4},
		"\"x\",\"y\"\n\"5\",\"6\"\n": {5, 6},
	}
	for text, want := range good {
		pts, n, err := ParseOTCSV(text)
		if err != nil || n != len(want)/2 || len(pts) != len(want) {
			t.Errorf("%q: %v, %d points, %v", text, pts, n, err)
			continue
		}
		for i := range want {
			if pts[i] != want[i] {
				t.Errorf("%q: %v, want %v", text, pts, want)
				break
			}
		}
	}
	bad := map[string]string{
		"":                                     "no points",
		"x,y\n":                                "no points",
		"1,2\n3\n":                             "line 2: 1 field",
		"1,2\nfoo,3\n":                         `line 2: "foo", "3" are not two numbers`,
		"1,2\n3,NaN\n":                         "line 2: coordinates must be finite",
		"1,2\n3,+Inf\n":                        "must be finite",
		"1,2\n\"3,4\n":                         "line 2",
		strings.Repeat("1,2\n", MaxOTPoints+1): "more than 2048 points",
		strings.Repeat("1.00000000000000000001,2\n", 12000): "bytes: at most",
	}
	for text, want := range bad {
		if _, _, err := ParseOTCSV(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: error %v, want it to say %q", text, err, want)
		}
	}
}

// An uploaded cloud replaces the URL's data set in the problem.
func TestOTRunWithUpload(t *testing.T) {
	o := otOf(t, "n=10&m=12&eps=0.5&backend=cpu")
	pts, n, err := ParseOTCSV("0,0\n1,0\n0,1\n")
	if err != nil {
		t.Fatal(err)
	}
	o.Clouds[0] = &Cloud{Name: "tri.csv", Points: pts, N: n}
	r := startOT(t, o, compute.NewCPU(1))
	defer r.Close()
	if r.prob.N != 3 || r.prob.M != 12 || r.prob.X[2] != 1 {
		t.Fatalf("problem with an uploaded x: N %d, M %d, X %v", r.prob.N, r.prob.M, r.prob.X)
	}
	if f, err := r.Step(context.Background(), 50, false); err != nil || !(f.Cost > 0) {
		t.Errorf("frame: %+v, %v", f, err)
	}
}
