package diffusion

import (
	"math"
	"strings"
)

// Spacing chooses the times a fixed-step sampler visits between TStart
// and TEnd.
type Spacing int

const (
	// SpacingDefault lets each sampler choose: uniform in t for DDPM,
	// DDIM and Euler-Maruyama (Ho et al. 2020; Song et al. 2021), uniform
	// in lambda for DPM-Solver++ (Lu et al. 2022, section 5 "time step
	// schedule ... logSNR"), Karras for Heun (Karras et al. 2022).
	SpacingDefault Spacing = iota
	// SpacingUniform: t_i = TStart + (TEnd - TStart) i / N.
	SpacingUniform
	// SpacingLogSNR: lambda_i uniform between lambda(TStart) and lambda(TEnd).
	SpacingLogSNR
	// SpacingKarras: the EDM noise levels of Karras et al. 2022, eq. (5),
	// rho = 7, in the variance-exploding scale sigma/alpha = exp(-lambda):
	// s_i = (s_max^(1/rho) + i/N (s_min^(1/rho) - s_max^(1/rho)))^rho,
	// with s_max, s_min the levels at TStart and TEnd.
	SpacingKarras
)

var spacingNames = [...]string{"default", "uniform", "logsnr", "karras"}

func (s Spacing) String() string {
	if s < 0 || int(s) >= len(spacingNames) {
		return "Spacing(?)"
	}
	return spacingNames[s]
}

// ParseSpacing returns the Spacing of a name.
func ParseSpacing(name string) (Spacing, error) {
	for i, n := range spacingNames {
		if strings.EqualFold(n, name) {
			return Spacing(i), nil
		}
	}
	return 0, inputErr("unknown spacing %q (valid: %s)", name, strings.Join(spacingNames[:], ", "))
}

// KarrasRho is the exponent of SpacingKarras (Karras et al. 2022, Table 1).
const KarrasRho = 7.0

// Times returns the N + 1 decreasing times t_0 = tStart > ... > t_N =
// tEnd of the spacing sp (SpacingDefault is treated as uniform).
func Times(s Schedule, sp Spacing, steps int, tStart, tEnd float64) ([]float64, error) {
	if steps < 1 {
		return nil, inputErr("steps = %d, want >= 1", steps)
	}
	if !(tStart <= 1 && tEnd > 0 && tEnd < tStart) {
		return nil, inputErr("times: want 0 < t_end < t_start <= 1, got t_start = %g, t_end = %g", tStart, tEnd)
	}
	ts := make([]float64, steps+1)
	ts[0], ts[steps] = tStart, tEnd
	n := float64(steps)
	switch sp {
	case SpacingDefault, SpacingUniform:
		for i := 1; i < steps; i++ {
			ts[i] = tStart + (tEnd-tStart)*float64(i)/n
		}
	case SpacingLogSNR:
		l0, l1 := Lambda(s, tStart), Lambda(s, tEnd)
		for i := 1; i < steps; i++ {
			ts[i] = TimeOfLambda(s, l0+(l1-l0)*float64(i)/n)
		}
	case SpacingKarras:
		smax, smin := math.Exp(-Lambda(s, tStart)), math.Exp(-Lambda(s, tEnd))
		a, b := math.Pow(smax, 1/KarrasRho), math.Pow(smin, 1/KarrasRho)
		for i := 1; i < steps; i++ {
			sig := math.Pow(a+float64(i)/n*(b-a), KarrasRho)
			ts[i] = TimeOfLambda(s, -math.Log(sig))
		}
	default:
		return nil, inputErr("unknown spacing %d", int(sp))
	}
	for i := 1; i <= steps; i++ {
		if !(ts[i] < ts[i-1]) {
			return nil, inputErr("times: %d steps between %g and %g are too many for float64 (t_%d = %g not below t_%d = %g)", steps, tStart, tEnd, i, ts[i], i-1, ts[i-1])
		}
	}
	return ts, nil
}
