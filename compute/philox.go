package compute

import "math"

// Philox4x32 computes the Philox4x32-10 block function of Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), for the
// counter ctr and key. The WGSL twin in shaders/philox.wgsl computes the
// same bits, so a seeded stream is identical on every backend.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	const (
		m0 = 0xD2511F53
		m1 = 0xCD9E8D57
		w0 = 0x9E3779B9
		w1 = 0xBB67AE85
	)
	for r := 0; r < 10; r++ {
		p0 := uint64(m0) * uint64(ctr[0])
		p1 := uint64(m1) * uint64(ctr[2])
		hi0, lo0 := uint32(p0>>32), uint32(p0)
		hi1, lo1 := uint32(p1>>32), uint32(p1)
		ctr = [4]uint32{hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0}
		key[0] += w0
		key[1] += w1
	}
	return ctr
}

// philoxBlock returns the Philox block of element counter c under seed.
func philoxBlock(seed, c uint64) [4]uint32 {
	return Philox4x32([4]uint32{uint32(c), uint32(c >> 32), 0, 0}, [2]uint32{uint32(seed), uint32(seed >> 32)})
}

// UniformAt returns the uniform variate in [0, 1) of counter c: the top
// 24 bits of the block's first word times 2^-24 (exact in float32).
func UniformAt(seed, c uint64) float64 {
	b := philoxBlock(seed, c)
	return float64(b[0]>>8) * (1.0 / (1 << 24))
}

// NormalAt returns the standard normal variate of counter c, by
// Box-Muller on the block's first two words:
//
//	u1 = (w0>>8 + 1) 2^-24 in (0, 1], u2 = (w1>>8) 2^-24
//	z  = sqrt(-2 log u1) cos(2 pi u2)
func NormalAt(seed, c uint64) float64 {
	b := philoxBlock(seed, c)
	u1 := float64((b[0]>>8)+1) * (1.0 / (1 << 24))
	u2 := float64(b[1]>>8) * (1.0 / (1 << 24))
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
