package nn

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// UpdateEMA updates an exponential moving average of the parameters,
//
//	ema = decay ema + (1 - decay) p,
//
// (Polyak and Juditsky 1992 averaging as used for diffusion models: Ho et
// al. 2020, appendix B, decay 0.9999), started from the current
// parameters on the first call. One Map per parameter array into a
// scratch array, then a swap.
func (nt *Net) UpdateEMA(decay float64) error {
	if !(decay >= 0 && decay < 1) || math.IsNaN(decay) {
		return modelErr("ema: decay = %v outside [0, 1)", decay)
	}
	ps := nt.params()
	if nt.ema == nil {
		for _, p := range ps {
			e, err := nt.b.Alloc((*p).Len())
			if err != nil {
				return err
			}
			s, err := nt.b.Alloc((*p).Len())
			if err != nil {
				nt.b.Free(e)
				return err
			}
			nt.ema = append(nt.ema, e)
			nt.emaScratch = append(nt.emaScratch, s)
			if err := nt.b.Copy(e, *p); err != nil {
				return err
			}
		}
		return nil
	}
	for i, p := range ps {
		if err := nt.b.Map(nt.emaScratch[i], compute.MapArgs{Op: compute.OpAxpby, X: nt.ema[i], Y: *p, A: decay, B: 1 - decay}); err != nil {
			return err
		}
		nt.ema[i], nt.emaScratch[i] = nt.emaScratch[i], nt.ema[i]
	}
	return nil
}

// EMAMLP reads the moving average back as a host MLP (like MLP).
func (nt *Net) EMAMLP() (*MLP, error) {
	if nt.ema == nil {
		return nil, modelErr("ema: UpdateEMA was never called")
	}
	// Temporarily view the averages as the parameters.
	ps := nt.params()
	saved := make([]compute.Array, len(ps))
	for i, p := range ps {
		saved[i] = *p
		*p = nt.ema[i]
	}
	m, err := nt.MLP()
	for i, p := range ps {
		*p = saved[i]
	}
	return m, err
}

func (nt *Net) freeEMA() {
	for _, a := range nt.ema {
		nt.b.Free(a)
	}
	for _, a := range nt.emaScratch {
		nt.b.Free(a)
	}
	nt.ema, nt.emaScratch = nil, nil
}
