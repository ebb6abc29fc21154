//go:build !(goexperiment.simd && amd64)

package compute

// simdSoftMin is false: built without GOEXPERIMENT=simd or not on amd64,
// the fast path stays scalar.
var simdSoftMin = false

// clearUpperBits does nothing: without GOEXPERIMENT=simd the runtime
// leaves no dirty upper vector state (see cpusimd_amd64.go).
func clearUpperBits() {}

func softMin2DSIMD(c *CPU, out []float64, xs, ys, h []float64, m int, outk float64) {
	panic("compute: softMin2DSIMD without SIMD support")
}
