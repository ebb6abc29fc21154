package play

import (
	"math/rand/v2"

	"github.com/otplay/otplay/solvers/data"
)

// FirstTwo returns (coordinate 0, coordinate 1) of the first max points of
// a row-major cloud of dimension d, for a 2-D figure; a 1-D cloud is drawn
// on the line y = 0.
func FirstTwo(v []float64, d, max int) []float64 {
	n := min(len(v)/d, max)
	out := make([]float64, 0, 2*n)
	for i := 0; i < n; i++ {
		y := 0.0
		if d > 1 {
			y = v[i*d+1]
		}
		out = append(out, v[i*d], y)
	}
	return out
}

// Coord is coordinate k of point i of a row-major cloud of dimension d (0
// beyond d).
func Coord(pts []float64, d, i, k int) float64 {
	if k >= d {
		return 0
	}
	return pts[i*d+k]
}

// PointRows returns n points of dimension d as rows [x0, x1, ...] (for
// JSON exports), sharing pts's memory.
func PointRows(pts []float64, n, d int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = pts[i*d : (i+1)*d : (i+1)*d]
	}
	return rows
}

// millis is a duration in milliseconds, as the frames' TimingsMS hold it.
func millis(ns int64) float64 { return float64(ns) / 1e6 }

// ResamplePoints draws k points of s uniformly with replacement (PCG of
// seed): new particles from an uploaded cloud.
func ResamplePoints(s data.Set, k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x757031)) // "up1"
	out := make([]float64, 0, 2*k)
	for i := 0; i < k; i++ {
		j := rng.IntN(s.N)
		out = append(out, s.Points[2*j], s.Points[2*j+1])
	}
	return out
}
