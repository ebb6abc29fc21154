package kernel

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// GridConvolver applies the Gaussian kernel of a regular H x W grid in the
// log domain, on a compute.Backend:
//
//	dst_p = log sum_q exp(logw_q - |p - q|^2 / eps)
//
// with pixel (i, j) at (i SpacingH, j SpacingW). It is the separable
// convolution SolveGrid iterates with (Solomon et al. 2015, "Convolutional
// Wasserstein Distances", Algorithm 1, in the log domain; see gridConv),
// exported for other solvers on grids (solvers/barycenter's convolutional
// barycenters). Exact while the kernel's smallest entry relative to a
// row's largest stays above the floor: extent^2 / eps below ~690 on float64
// backends and ~60 on float32 ones, where extent is the longer side times
// its spacing (see gridFloor). A GridConvolver is not safe for concurrent
// use; Free releases its arrays.
type GridConvolver struct {
	H, W int
	conv *gridConv
	as   *arrays
	kh   compute.Array
	kw   compute.Array
}

// NewGridConvolver builds the convolution for an H x W grid with the given
// spacings (both > 0) and eps > 0. POT's convolutional barycenters place
// the pixels of each axis at linspace(0, 1, n): spacing 1/(n-1).
func NewGridConvolver(be compute.Backend, h, w int, spacingH, spacingW, eps float64) (*GridConvolver, error) {
	switch {
	case be == nil:
		return nil, fmt.Errorf("%w: nil backend", ErrBadArgument)
	case h < 1 || w < 1 || h > MaxGridSide || w > MaxGridSide:
		return nil, fmt.Errorf("%w: grid %d x %d: sides must be in [1, %d]", ErrBadArgument, h, w, MaxGridSide)
	case !(eps > 0) || math.IsInf(eps, 0):
		return nil, fmt.Errorf("%w: eps = %g must be positive and finite", ErrBadArgument, eps)
	case !(spacingH > 0) || !(spacingW > 0) || math.IsInf(spacingH, 0) || math.IsInf(spacingW, 0):
		return nil, fmt.Errorf("%w: spacings %g, %g must be positive and finite", ErrBadArgument, spacingH, spacingW)
	}
	as := &arrays{be: be}
	conv, _ := newGridConv(be, as, h, w)
	kw, _ := as.upload(gaussMatrix(w, spacingW, eps, false))
	kh, err := as.upload(gaussMatrix(h, spacingH, eps, false))
	if err != nil {
		as.free()
		return nil, err
	}
	return &GridConvolver{H: h, W: w, conv: conv, as: as, kh: kh, kw: kw}, nil
}

// Apply writes the log-domain convolution of logw (H*W, row-major) into
// dst (H*W). dst and logw may be the same Array.
func (c *GridConvolver) Apply(dst, logw compute.Array) error {
	return c.conv.apply(dst, logw, c.kw, c.kh)
}

// Free releases the convolver's arrays; c must not be used afterwards.
func (c *GridConvolver) Free() {
	if c != nil && c.as != nil {
		c.as.free()
		c.as = nil
	}
}
