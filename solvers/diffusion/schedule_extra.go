package diffusion

import "math"

// Quadratic returns the quadratic DDPM schedule of the seed code
// (FastSB-OT's make_schedule "quadratic", whose continuous rate is
// beta(s) = T (beta_min + (beta_max - beta_min) s^2)), discretised like
// Linear:
//
//	beta_n = (1000/T) (1e-4 + (0.02 - 1e-4) (n-1)^2/(T-1)^2),  n = 1..T,
//
// with Ho et al. 2020's endpoints. The rate stays small for longer than
// the linear schedule's (abar_T = 1.14e-3 against 4.0e-5 at T = 1000), so
// more of the time grid is spent at low noise. (The DDIM code's "quad",
// Song, Meng and Ermon 2021, squares a linear ramp of sqrt(beta) instead;
// the seed's form is the one kept here.) T < 1 means DefaultT.
func Quadratic(T int) *Discrete {
	return rampSchedule("quadratic", T, func(frac float64) float64 { return frac * frac })
}

// Sigmoid returns the sigmoid DDPM schedule of the DDIM code (Song, Meng
// and Ermon 2021, get_beta_schedule "sigmoid") and of the seed code
// (FastSB-OT's make_schedule "sigmoid"):
//
//	beta_n = (1000/T) (1e-4 + (0.02 - 1e-4) sigmoid(-6 + 12 (n-1)/(T-1))),
//
// a rate that is flat near both ends and rises in the middle (abar_T =
// 3.97e-5 at T = 1000, close to the linear schedule's). T < 1 means
// DefaultT.
func Sigmoid(T int) *Discrete {
	return rampSchedule("sigmoid", T, func(frac float64) float64 { return 1 / (1 + math.Exp(6-12*frac)) })
}

// rampSchedule returns the discrete schedule beta_n = (1000/T) (1e-4 +
// (0.02 - 1e-4) ramp((n-1)/(T-1))) (at most 0.999), Linear's endpoints and
// scaling with another shape.
func rampSchedule(name string, T int, ramp func(float64) float64) *Discrete {
	if T < 1 {
		T = DefaultT
	}
	betas := make([]float64, T)
	scale := 1000 / float64(T)
	for i := range betas {
		frac := 0.0
		if T > 1 {
			frac = float64(i) / float64(T-1)
		}
		betas[i] = min(scale*(1e-4+ramp(frac)*(0.02-1e-4)), 0.999)
	}
	d, _ := NewDiscrete(name, betas)
	return d
}
