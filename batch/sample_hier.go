//go:build !js

package batch

import (
	"math"
	"strconv"
	"strings"

	"github.com/otplay/otplay/solvers/diffusion"
)

// SampleHierarchical is otplay sample's ATLAS hierarchical sampler
// (embedded in SampleRequest): after every sampler step the batch is
// smoothed by the Schrodinger-bridge step of the seed's
// AdvancedHierarchicalDiffusionSampler (diffusion.HierarchicalSmooth).
type SampleHierarchical struct {
	// Hierarchical turns the smoothing on (--hierarchical).
	Hierarchical bool `json:"hierarchical,omitempty"`
	// HierarchicalEps is the kernel bandwidth epsilon
	// (--hierarchical-eps; 0: diffusion.DefaultHierarchicalBandwidth, the
	// seed's 0.01).
	HierarchicalEps float64 `json:"hierarchical_eps,omitempty"`
	// HierarchicalScales lists the kernel's scale factors, comma-separated
	// (--hierarchical-scales; empty: the seed's choice by batch size).
	HierarchicalScales string `json:"hierarchical_scales,omitempty"`
	// HierarchicalBarycentric weighs the map by g_j, the plan's
	// barycentric projection, instead of the seed's f_j g_j
	// (--hierarchical-barycentric).
	HierarchicalBarycentric bool `json:"hierarchical_barycentric,omitempty"`
	// HierarchicalAveraged solves the symmetric Sinkhorn problem by the
	// averaged iteration (one kernel pass per iteration, converges where
	// the seed's alternating one does not; --hierarchical-averaged).
	HierarchicalAveraged bool `json:"hierarchical_averaged,omitempty"`
}

// SampleHierarchicalResult reports the smoothing (embedded in
// SampleResult).
type SampleHierarchicalResult struct {
	// HierarchicalIterations counts its Sinkhorn iterations, all steps
	// together.
	HierarchicalIterations int `json:"hierarchical_iterations,omitempty"`
}

// settings checks h and returns the diffusion settings it stands for.
func (h SampleHierarchical) settings(sampler diffusion.Sampler) (diffusion.HierarchicalSettings, error) {
	var out diffusion.HierarchicalSettings
	switch {
	case !h.Hierarchical && (h.HierarchicalEps != 0 || h.HierarchicalScales != "" || h.HierarchicalBarycentric || h.HierarchicalAveraged):
		return out, usage("--hierarchical-eps/-scales/-barycentric/-averaged: turn the smoothing on with --hierarchical")
	case math.IsNaN(h.HierarchicalEps) || h.HierarchicalEps < 0 || math.IsInf(h.HierarchicalEps, 0):
		return out, usage("--hierarchical-eps %g: want a bandwidth > 0 (0: the seed's %g)", h.HierarchicalEps, diffusion.DefaultHierarchicalBandwidth)
	case h.Hierarchical && sampler == diffusion.ODEAdaptive:
		return out, usage("--hierarchical: the adaptive sampler has no fixed steps to smooth after; pick a fixed-step sampler")
	}
	out = diffusion.HierarchicalSettings{On: h.Hierarchical, Bandwidth: h.HierarchicalEps, Barycentric: h.HierarchicalBarycentric, Averaged: h.HierarchicalAveraged}
	if h.HierarchicalScales != "" {
		for _, f := range strings.Split(h.HierarchicalScales, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return out, usage("--hierarchical-scales %q: want positive numbers separated by commas, e.g. 0.5,1,2", h.HierarchicalScales)
			}
			out.Scales = append(out.Scales, v)
		}
	}
	return out, nil
}
