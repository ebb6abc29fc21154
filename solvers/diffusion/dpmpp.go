package diffusion

import (
	"math"
)

// phi1, phi2, phi3 are the integrals of the DPM-Solver++ derivation (see
// the package documentation, section DPM-Solver++).
//
// The phi functions are evaluated by their series for h < 0.1 (no
// cancellation).
func phi1(h float64) float64 { return -math.Expm1(-h) }

func phi2(h float64) float64 {
	if math.Abs(h) < 0.1 {
		return expTail(h, 2)
	}
	return h + math.Expm1(-h)
}

func phi3(h float64) float64 {
	if math.Abs(h) < 0.1 {
		return -expTail(h, 3)
	}
	return h*h/2 - h - math.Expm1(-h)
}

// expTail returns sum_{k >= from} (-h)^k / k!, summed to float64
// precision (|h| < 0.1: 14 terms reach 1e-30 relative).
func expTail(h float64, from int) float64 {
	t := 1.0
	for k := 1; k <= from; k++ {
		t *= -h / float64(k)
	}
	s := 0.0
	for k := from; k < from+16; k++ {
		s += t
		t *= -h / float64(k+1)
	}
	return s
}

// dpmMultistep runs DPM-Solver++ 2M (order 2) or 3M (order 3).
func (r *run) dpmMultistep(order int) error {
	ts, err := r.times(SpacingLogSNR)
	if err != nil {
		return err
	}
	hist, err := r.allocN(order) // hist[0] newest
	if err != nil {
		return err
	}
	lam := make([]float64, len(ts))
	for i, t := range ts {
		lam[i] = Lambda(r.s, t)
	}
	for i := 0; i+1 < len(ts); i++ {
		// rotate: the oldest buffer receives the new evaluation
		last := hist[len(hist)-1]
		copy(hist[1:], hist[:len(hist)-1])
		hist[0] = last
		at, an := At(r.s, ts[i]), At(r.s, ts[i+1])
		if err := r.dn.eval(hist[0], r.x, at); err != nil {
			return err
		}
		h := lam[i+1] - lam[i]
		ratio := an.Sigma / at.Sigma
		p1 := an.Alpha * phi1(h)
		var terms []term
		switch k := min(order, i+1); k {
		case 1:
			terms = []term{{ratio, r.x}, {p1, hist[0]}}
		case 2:
			rr := (lam[i] - lam[i-1]) / h
			terms = []term{{ratio, r.x}, {p1 * (1 + 1/(2*rr)), hist[0]}, {-p1 / (2 * rr), hist[1]}}
		case 3:
			h0, h1 := lam[i]-lam[i-1], lam[i-1]-lam[i-2]
			p2, p3 := an.Alpha*phi2(h), an.Alpha*phi3(h)
			q := (p2*h0 + 2*p3) / (h0 + h1)
			terms = []term{{ratio, r.x},
				{p1 + p2/h0 + q/h0, hist[0]},
				{-p2/h0 - q/h0 - q/h1, hist[1]},
				{q / h1, hist[2]}}
		}
		if err := r.lin(r.xn, terms...); err != nil {
			return err
		}
		r.advance()
		if err := r.report(ts[i], ts[i+1], hist[0]); err != nil {
			return err
		}
	}
	return nil
}

// dpm2S runs DPM-Solver++(2S): per step a first-order step to the
// lambda-midpoint, an evaluation there, and the update with it (2 NFE).
func (r *run) dpm2S() error {
	ts, err := r.times(SpacingLogSNR)
	if err != nil {
		return err
	}
	arrs, err := r.allocN(3)
	if err != nil {
		return err
	}
	den, dmid, u := arrs[0], arrs[1], arrs[2]
	for i := 0; i+1 < len(ts); i++ {
		at, an := At(r.s, ts[i]), At(r.s, ts[i+1])
		ls, lt := at.Lambda(), an.Lambda()
		h := lt - ls
		tm := TimeOfLambda(r.s, ls+h/2)
		am := At(r.s, tm)
		if err := r.dn.eval(den, r.x, at); err != nil {
			return err
		}
		if err := r.lin(u, term{am.Sigma / at.Sigma, r.x}, term{am.Alpha * phi1(h/2), den}); err != nil {
			return err
		}
		if err := r.dn.eval(dmid, u, am); err != nil {
			return err
		}
		if err := r.lin(r.xn, term{an.Sigma / at.Sigma, r.x}, term{an.Alpha * phi1(h), dmid}); err != nil {
			return err
		}
		r.advance()
		if err := r.report(ts[i], ts[i+1], den); err != nil {
			return err
		}
	}
	return nil
}
