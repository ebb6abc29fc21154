//go:build !js

package batch

import (
	"slices"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// TestTargetDraw: the default --batch-ot target is a draw of the data set
// apart from both the --data points and the quality metrics' held-out
// points (FreshData), of the size asked; a spec with its own seed moves
// with it.
func TestTargetDraw(t *testing.T) {
	for _, spec := range []string{"moons:300", "moons:300:seed=5"} {
		set, err := data.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := FreshData(spec, set, 100)
		if err != nil {
			t.Fatal(err)
		}
		target, err := TargetDraw(spec, set, 100)
		if err != nil {
			t.Fatal(err)
		}
		if target.N != 100 || target.D != 2 {
			t.Fatalf("%s: target %d x %d, want 100 x 2", spec, target.N, target.D)
		}
		if slices.Equal(target.Points, fresh.Points) || slices.Equal(target.Points, set.Points[:200]) {
			t.Errorf("%s: the target draw repeats the held-out or the --data points", spec)
		}
	}
}
