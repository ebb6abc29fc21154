package remote

import "github.com/otplay/otplay/compute"

// The ground cost of a SoftMin or SoftMean (compute.Cost) follows the
// pairs' eps in a request frame: P (float64; 0 is |x - y|^2), the id of
// the cost matrix (0: none) and one byte of flags: bit 0 Transposed, bit 1
// Differences.

func encodeCost(e *encoder, c compute.Cost, id func(compute.Array, string) uint32) {
	e.f64(c.P)
	e.u32(id(c.Matrix, "cost matrix"))
	var flags uint8
	if c.Transposed {
		flags |= 1
	}
	if c.Differences {
		flags |= 2
	}
	e.u8(flags)
}

// cost decodes what encodeCost wrote; the backend validates it.
func (s *Session) cost(d *decoder) (compute.Cost, error) {
	c := compute.Cost{P: d.f64()}
	m, err := s.array(d, true)
	if err != nil {
		return c, err
	}
	c.Matrix = m
	flags := d.u8()
	c.Transposed, c.Differences = flags&1 != 0, flags&2 != 0
	return c, nil
}
