package server

import (
	"io"
	"testing"
)

// BenchmarkWriteNPZPlan: encoding a 1000 x 1000 plan (8 MB) as .npz.
func BenchmarkWriteNPZPlan(b *testing.B) {
	plan := make([]float64, 1000*1000)
	for i := range plan {
		plan[i] = float64(i) * 1e-7
	}
	arrays := map[string]array{"plan": {vals: plan, shape: []int{1000, 1000}}}
	b.SetBytes(8 * 1000 * 1000)
	for b.Loop() {
		if err := writeNPZ(io.Discard, []byte(`{"cost": 1}`), arrays); err != nil {
			b.Fatal(err)
		}
	}
}
