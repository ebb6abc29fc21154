package metrics

import (
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/sliced"
)

// Quality compares a generated sample with fresh data from the target.
// Fields that could not be computed are nil (JSON: absent).
type Quality struct {
	MMD          *MMDResult `json:"-"`
	MMDValue     *float64   `json:"mmd,omitempty"`
	MMD2         *float64   `json:"mmd2,omitempty"`
	MMDBandwidth *float64   `json:"mmd_bandwidth,omitempty"`
	// SlicedW2 is SW_2 of package sliced (POT's sliced_wasserstein_distance,
	// p = 2) with SlicedProjections directions.
	SlicedW2 *float64 `json:"sliced_w2,omitempty"`
	// SinkhornDivergence is S_eps of package ot (Feydy et al. 2019) at
	// SinkhornEps.
	SinkhornDivergence *float64 `json:"sinkhorn_divergence,omitempty"`
	SinkhornEps        *float64 `json:"sinkhorn_eps,omitempty"`
	// SinkhornConverged is false when one of the three Sinkhorn solves
	// stopped at its iteration limit (the value is then approximate).
	SinkhornConverged *bool `json:"sinkhorn_converged,omitempty"`
}

// CompareSettings configure Compare; zero fields mean the defaults.
type CompareSettings struct {
	// Bandwidth of the MMD kernel (default: MedianBandwidth).
	Bandwidth float64
	// SlicedProjections is the number of directions (default 200, POT's
	// default n_projections = 50 is noisier).
	SlicedProjections int
	// Seed of the sliced directions.
	Seed uint64
	// SinkhornEps is the entropic eps of the Sinkhorn divergence in units
	// of |x - y|^2; 0 means DefaultSinkhornEpsFrac times the total variance
	// E|y - mean(y)|^2 of the data (scale-free; 0.1 for the 2-D toys,
	// whose total variance is about 2). Smaller eps brings S_eps closer to
	// W_2^2 but converges slowly between well-separated clusters (eps =
	// 0.02 took 1000+ iterations on 8gaussians).
	SinkhornEps float64
}

// Defaults of CompareSettings.
const (
	DefaultSlicedProjections = 200
	DefaultSinkhornEpsFrac   = 0.05
)

// Compare computes MMD (this package), the sliced W_2 (package sliced)
// and the Sinkhorn divergence (package ot, eps-scaling 0.5, its default
// tolerance) between the sample x (n x d) and the data y (m x d), on
// backend b.
func Compare(b compute.Backend, x []float64, n int, y []float64, m, d int, set CompareSettings) (Quality, error) {
	var q Quality
	mmd, err := MMD(b, x, n, y, m, d, set.Bandwidth)
	if err != nil {
		return q, err
	}
	q.MMD = &mmd
	q.MMDValue, q.MMD2, q.MMDBandwidth = &mmd.MMD, &mmd.MMD2, &mmd.Bandwidth
	L := set.SlicedProjections
	if L == 0 {
		L = DefaultSlicedProjections
	}
	sw, err := sliced.Distance(b, sliced.Measure{Points: x, N: n, D: d}, sliced.Measure{Points: y, N: m, D: d}, sliced.Settings{Projections: L, Seed: set.Seed})
	if err != nil {
		return q, err
	}
	q.SlicedW2 = &sw.SW
	eps := set.SinkhornEps
	if eps == 0 {
		eps = DefaultSinkhornEpsFrac * totalVariance(y, d)
	}
	v, conv, err := sinkhornDivergence(b, x, n, y, m, d, eps)
	if err != nil {
		return q, err
	}
	q.SinkhornDivergence, q.SinkhornEps, q.SinkhornConverged = &v, &eps, &conv
	return q, nil
}

// totalVariance returns E|y - mean(y)|^2 (1 if it is 0).
func totalVariance(y []float64, d int) float64 {
	m := len(y) / d
	mean := make([]float64, d)
	for i, v := range y {
		mean[i%d] += v / float64(m)
	}
	var s float64
	for i, v := range y {
		t := v - mean[i%d]
		s += t * t
	}
	s /= float64(m)
	if !(s > 0) || math.IsInf(s, 0) {
		return 1
	}
	return s
}
