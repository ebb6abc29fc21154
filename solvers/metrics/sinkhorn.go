package metrics

import "github.com/otplay/otplay/compute"

// sinkhornDivergence is a placeholder until package ot documents its
// Divergence (no doc.go yet): it reports "not available" rather than a
// number, so Quality leaves the field absent.
func sinkhornDivergence(b compute.Backend, x []float64, n int, y []float64, m, d int, eps float64) (float64, bool, error) {
	return 0, false, nil
}
