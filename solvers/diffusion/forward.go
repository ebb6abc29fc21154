package diffusion

import "github.com/otplay/otplay/compute"

// Forward samples the forward process q(x_t | x_0) = N(alpha_t x_0,
// sigma_t^2 I) (Ho et al. 2020, eq. (4)): dst = alpha x0 + sigma z, with z
// the Philox normals of seed at counters [offset, offset + len). noise is
// a scratch array of the same length (it holds z on return); dst, x0 and
// noise must be three different arrays.
func Forward(b compute.Backend, dst, x0, noise compute.Array, at Time, seed, offset uint64) error {
	if dst == nil || x0 == nil || noise == nil || dst.Len() != x0.Len() || noise.Len() != x0.Len() {
		return inputErr("forward: dst, x0 and noise must have equal lengths (%d, %d, %d)", lenOf(dst), lenOf(x0), lenOf(noise))
	}
	if dst == x0 || dst == noise || x0 == noise {
		return inputErr("forward: dst, x0 and noise must be different arrays")
	}
	if !(at.Alpha >= 0) || !(at.Sigma >= 0) {
		return inputErr("forward: alpha = %g and sigma = %g must be >= 0", at.Alpha, at.Sigma)
	}
	if err := b.Normal(noise, seed, offset); err != nil {
		return err
	}
	return b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: x0, Y: noise, A: at.Alpha, B: at.Sigma})
}

// InitialNoise fills x with the standard normals of seed at counters
// [0, len(x)): the prior sample x_1 ~ N(0, I) every sampler starts from.
// Samplers draw their own noise at counters past (step + 1) * len(x), so
// the two never overlap.
func InitialNoise(b compute.Backend, x compute.Array, seed uint64) error {
	return b.Normal(x, seed, 0)
}
