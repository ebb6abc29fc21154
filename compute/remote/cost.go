package remote

import "github.com/otplay/otplay/compute"

// The ground cost of a SoftMin or SoftMean (compute.Cost) follows the
// pairs' eps in a request frame: P (float64; 0 is |x - y|^2), the id of
// the cost matrix (0: none) and the Transposed flag (one byte).

func encodeCost(e *encoder, c compute.Cost, id func(compute.Array, string) uint32) {
	e.f64(c.P)
	e.u32(id(c.Matrix, "cost matrix"))
	e.bool(c.Transposed)
}

// cost decodes what encodeCost wrote; the backend validates it.
func (s *Session) cost(d *decoder) (compute.Cost, error) {
	c := compute.Cost{P: d.f64()}
	m, err := s.array(d, true)
	if err != nil {
		return c, err
	}
	c.Matrix = m
	c.Transposed = d.bool()
	return c, nil
}
