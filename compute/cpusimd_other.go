//go:build !(goexperiment.simd && amd64)

package compute

// simdSoftMin is false: built without GOEXPERIMENT=simd or not on amd64,
// the fast path stays scalar.
var simdSoftMin = false

// clearUpperBits does nothing: without GOEXPERIMENT=simd the runtime
// leaves no dirty upper vector state (see cpusimd_amd64.go).
func clearUpperBits() {}

func softMinRow32SIMD(out *[16]float32, x0, x1 float32, y0, y1, h []float32) {
	panic("compute: softMinRow32SIMD without SIMD support")
}

func expShift4(w, v []float64, shift float64) {
	panic("compute: expShift4 without SIMD support")
}

// simd64 is false: the float64 fast path stays scalar.
var simd64 = false

func sumExp4(v []float64, shift float64) float64 {
	panic("compute: sumExp4 without SIMD support")
}

func logits4x2Vec(dst *[4][]float64, mx *[4]float64, x, y0, y1, h []float64, rows [4]int, inv float64) {
	panic("compute: logits4x2Vec without SIMD support")
}

func logits4Vec(dst *[4][]float64, mx *[4]float64, x, y, h []float64, d int, rows [4]int, inv float64) {
	panic("compute: logits4Vec without SIMD support")
}
