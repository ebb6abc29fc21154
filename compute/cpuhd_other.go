//go:build !(goexperiment.simd && amd64)

package compute

func logits4DotVec(dst *[4][]float64, mx *[4]float64, x, xn, yt, yn, h []float64, d int, rows [4]int, inv float64) {
	panic("compute: logits4DotVec without SIMD support")
}
