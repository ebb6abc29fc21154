//go:build !amd64

package compute

// hasAsm is false: the assembly loops are amd64's (cpuasm.go).
var hasAsm = false

func expSumAVX2(v []float64, shift float64) float64 { panic("compute: no assembly loops") }

func expShiftAVX2(w, v []float64, shift float64) { panic("compute: no assembly loops") }

func logits4x2AVX2(buf *float64, stride int, mv *[16]float64, xr *[8]float64, y0, y1, h []float64, ninv float64) {
	panic("compute: no assembly loops")
}

func softMin4x2AVX2(s *[16]float64, xr *[48]float64, y0, y1, h []float64, ninv float64) {
	panic("compute: no assembly loops")
}

func softMinRow32AVX2(out *[16]float32, x0, x1 float32, y0, y1, h []float32) {
	panic("compute: no assembly loops")
}

func logits4DotAVX2(buf *float64, stride int, mv *[16]float64, x *[4]*float64, d int, xn *[4]float64, yt, yn, h []float64, inv float64) {
	panic("compute: no assembly loops")
}

func bound2AVX2(ub []float64, low *[4]float64, x0, x1 float64, bs []float64, ninv float64) {
	panic("compute: no assembly loops")
}

func logits4SoAAVX2(buf *float64, stride int, mv *[16]float64, x *[4]*float64, d int, ys []float64, mb int, ninv float64) {
	panic("compute: no assembly loops")
}

func logitsDenseAVX2(dst, c, h []float64, inv float64, mv *[4]float64) {
	panic("compute: no assembly loops")
}

func logitsDense32AVX2(dst []float64, c []float32, h []float64, inv float64, mv *[4]float64) {
	panic("compute: no assembly loops")
}
