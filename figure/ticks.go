package figure

import (
	"math"
	"strconv"
	"strings"
)

// Tick is one mark on an axis: its position in plotted units (log10 of the
// data on a log axis) and its label; an empty label is a minor tick.
type Tick struct {
	Value float64
	Label string
}

// IsMinor reports whether the tick has no label.
func (t Tick) IsMinor() bool { return t.Label == "" }

// NiceNumbers are the step mantissas of the tick search in order of
// preference, and the weights of its four scores, as in Talbot, Lin and
// Hanrahan (2010), "An Extension of Wilkinson's Algorithm for Positioning
// Tick Labels on Axes", IEEE TVCG 16(6), doi:10.1109/TVCG.2010.130,
// section 4 (the values gonum.org/v1/plot's DefaultTicks uses).
var NiceNumbers = []float64{1, 5, 2, 2.5, 4, 3}

const (
	weightSimplicity = 0.25
	weightCoverage   = 0.2
	weightDensity    = 0.5
	weightLegibility = 0.05
)

// LinearTicks returns about want labelled ticks inside [lo, hi] at a nice
// step (1, 2, 2.5, 3, 4 or 5 times a power of ten), chosen by the
// extended Wilkinson search of Talbot, Lin and Hanrahan (2010, eq. 1: the
// weighted sum of simplicity, coverage, density and legibility, with the
// labels kept within the data range and legibility 1), the same labels as
// gonum.org/v1/plot's DefaultTicks gives for want = 3; then unlabelled
// minor ticks between them. A degenerate, reversed or non-finite range
// gives no ticks.
func LinearTicks(lo, hi float64, want int) []Tick {
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || want < 2 {
		return nil
	}
	values, step, q, mag, ok := wilkinsonSearch(lo, hi, want)
	if !ok || len(values) < 2 {
		return nil
	}
	delta := step * math.Pow10(mag)
	labels := FormatLinear(values, q, mag)
	ticks := make([]Tick, 0, 4*len(values))
	for i, v := range values {
		if math.Abs(v) < 1e-9*delta {
			v = 0
		}
		ticks = append(ticks, Tick{Value: v, Label: labels[i]})
	}
	// Minor ticks between the labels (as gonum's DefaultTicks places them).
	var minor float64
	switch step {
	case 1, 2.5:
		minor = delta / 5
	case 2, 3, 4, 5:
		minor = delta / step
	default:
		minor = delta / 2
	}
	for k := math.Ceil((lo - values[0]) / minor); ; k++ {
		v := values[0] + k*minor
		if v > hi {
			break
		}
		near := false
		for _, t := range values {
			if math.Abs(t-v) < minor/2 {
				near = true
				break
			}
		}
		if !near {
			ticks = append(ticks, Tick{Value: v})
		}
	}
	return ticks
}

// wilkinsonSearch is the search of Talbot, Lin and Hanrahan (2010,
// Algorithm 1), with labels constrained to [dmin, dmax]: it returns the
// labels, the step as skip*q, the nice number q and the step's power of
// ten.
func wilkinsonSearch(dmin, dmax float64, want int) (values []float64, step, q float64, mag int, ok bool) {
	const eps = 100 * 2.0 / (1 << 53)
	if dmax-dmin < eps {
		return nil, 0, 0, 0, false
	}
	score := func(s, c, d, l float64) float64 {
		return weightSimplicity*s + weightCoverage*c + weightDensity*d + weightLegibility*l
	}
	nQ := float64(len(NiceNumbers))
	best := -2.0
	var bestN, bestMag int
	var bestMin, bestStep, bestQ float64
	for skip := 1; ; skip++ {
		stop := false
		for qi, qq := range NiceNumbers {
			// Simplicity: earlier nice numbers and smaller skips are
			// simpler; a labelling that includes 0 gets a bonus of 1.
			sMax := 1 - float64(qi)/(nQ-1) - float64(skip) + 1
			if score(sMax, 1, 1, 1) < best {
				stop = true
				break
			}
			for have := 2; ; have++ {
				dMax := 1.0 // the best density have labels can score
				if have >= want {
					dMax = 2 - float64(have-1)/float64(want-1)
				}
				if score(sMax, 1, dMax, 1) < best {
					break
				}
				delta := (dmax - dmin) / float64(have+1) / float64(skip) / qq
				for m := int(math.Ceil(math.Log10(delta))); m < 309; m++ {
					st := float64(skip) * qq * math.Pow10(m)
					// Coverage: how close the labels' span comes to the data's.
					span := st * float64(have-1)
					cMax := 1.0
					if r := dmax - dmin; span > r {
						h := 0.5 * (span - r)
						cMax = 1 - h*h/(0.01*r*r)
					}
					if score(sMax, cMax, dMax, 1) < best {
						break
					}
					frac := st / float64(skip)
					first := (math.Floor(dmax/st) - float64(have-1)) * float64(skip)
					last := math.Ceil(dmax/st) * float64(skip)
					for start := first; start <= last && start != start-1; start++ {
						lmin := start * frac
						lmax := lmin + span
						if lmin < dmin || dmax < lmax {
							continue // labels within the data
						}
						s := 1 - float64(qi)/(nQ-1) - float64(skip)
						if r := math.Mod(lmin, st); (r < eps || st-r < eps) && lmin <= 0 && 0 <= lmax {
							s++
						}
						r := 0.1 * (dmax - dmin)
						c := 1 - 0.5*((dmax-lmax)*(dmax-lmax)+(dmin-lmin)*(dmin-lmin))/(r*r)
						rho := float64(have-1) / (lmax - lmin)
						rhot := float64(want-1) / (math.Max(lmax, dmax) - math.Min(dmin, lmin))
						d := 2 - rhot/rho
						if rho/rhot >= 1 {
							d = 2 - rho/rhot
						}
						if sc := score(s, c, d, 1); sc > best {
							best, bestN, bestMin, bestStep, bestQ, bestMag = sc, have, lmin, float64(skip)*qq, qq, m
						}
					}
				}
			}
		}
		if stop {
			break
		}
	}
	if best == -2 {
		return nil, 0, 0, 0, false
	}
	values = make([]float64, bestN)
	d := bestStep * math.Pow10(bestMag)
	for i := range values {
		values[i] = bestMin + float64(i)*d
	}
	return values, bestStep, bestQ, bestMag, true
}

// FormatLinear labels tick values whose step is a multiple of q times
// 10^mag: fixed-point with as many decimals as the step needs while the
// values lie within [1e-4, 1e6) in magnitude, m×10ᵏ otherwise, each value
// in full (shortest round-trip form) where that would repeat a label;
// negative values take a true minus sign (U+2212).
func FormatLinear(values []float64, q float64, mag int) []string {
	top := 0.0
	for _, v := range values {
		top = math.Max(top, math.Abs(v))
	}
	decimals := max(0, -mag)
	if q != math.Trunc(q) {
		decimals++
	}
	out := make([]string, len(values))
	sci := top >= 1e6 || (top > 0 && top < 1e-4) || decimals > 6
	for i, v := range values {
		if math.Abs(v) < 1e-12*math.Max(top, 1e-300) {
			v = 0
		}
		if sci && v != 0 {
			k := int(math.Floor(math.Log10(top)))
			m := v / math.Pow10(k)
			md := max(0, k-mag)
			if q != math.Trunc(q) {
				md++
			}
			out[i] = minus(strconv.FormatFloat(m, 'f', min(md, 6), 64)) + "×10" + Superscript(k)
			continue
		}
		out[i] = minus(strconv.FormatFloat(v, 'f', decimals, 64))
	}
	// A step far below the values' magnitude (1e9 + 1e-7 k) can round
	// neighbours to one label: then write each value in full.
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			for k, v := range values {
				out[k] = fullLabel(v)
			}
			break
		}
	}
	return out
}

// fullLabel writes v in its shortest round-trip form, m×10ᵏ beyond
// [1e-4, 1e6) in magnitude.
func fullLabel(v float64) string {
	if a := math.Abs(v); a == 0 || (a >= 1e-4 && a < 1e6) {
		return minus(strconv.FormatFloat(v, 'f', -1, 64))
	}
	m, e, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e")
	k, _ := strconv.Atoi(e)
	return minus(m) + "×10" + Superscript(k)
}

// minus swaps a leading hyphen for the minus sign and drops the sign of
// zero.
func minus(s string) string {
	if !strings.HasPrefix(s, "-") {
		return s
	}
	if strings.Trim(s[1:], "0.") == "" {
		return s[1:]
	}
	return "−" + s[1:]
}

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

// Superscript writes an integer in superscript digits ("⁻³").
func Superscript(k int) string {
	var b strings.Builder
	if k < 0 {
		b.WriteRune('⁻')
		k = -k
	}
	for _, c := range strconv.Itoa(k) {
		b.WriteRune(superDigits[c-'0'])
	}
	return b.String()
}

// LogTicks returns ticks for a log10 axis showing [lo, hi] in plotted
// units (exponents): labels 10ᵏ at integer k, every s-th decade so that
// about want are labelled, with unlabelled ticks at 2..9 times each power
// while fewer than seven decades show; a range inside one decade is
// labelled at 1, 2 and 5 times its powers instead (m×10ᵏ), and a range
// narrower than that falls back to LinearTicks of the data values.
func LogTicks(lo, hi float64, want int) []Tick {
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || want < 2 {
		return nil
	}
	var ticks []Tick
	k0, k1 := int(math.Ceil(lo-1e-9)), int(math.Floor(hi+1e-9))
	decades := k1 - k0 + 1
	if decades >= 2 {
		s := max(1, int(math.Ceil(float64(decades)/float64(want))))
		for k := k0; k <= k1; k++ {
			if k%s == 0 {
				ticks = append(ticks, Tick{Value: float64(k), Label: "10" + Superscript(k)})
			}
		}
		if len(ticks) < 2 { // s larger than the labelled decades: label the ends
			ticks = []Tick{{Value: float64(k0), Label: "10" + Superscript(k0)}, {Value: float64(k1), Label: "10" + Superscript(k1)}}
		}
		if hi-lo < 7 {
			for k := k0 - 1; k <= k1; k++ {
				for m := 2; m <= 9; m++ {
					if v := float64(k) + math.Log10(float64(m)); v >= lo && v <= hi {
						ticks = append(ticks, Tick{Value: v})
					}
				}
			}
		}
		for k := k0; k <= k1; k++ { // unlabelled decades stay as minor ticks
			if k%s != 0 {
				ticks = append(ticks, Tick{Value: float64(k)})
			}
		}
		return ticks
	}
	// Within about one decade: 1, 2 and 5 times the powers in range.
	for k := int(math.Floor(lo)); k <= int(math.Ceil(hi)); k++ {
		for _, m := range []float64{1, 2, 5} {
			if v := float64(k) + math.Log10(m); v >= lo-1e-12 && v <= hi+1e-12 {
				label := "10" + Superscript(k)
				if m != 1 {
					label = strconv.Itoa(int(m)) + "×10" + Superscript(k)
				}
				ticks = append(ticks, Tick{Value: v, Label: label})
			}
		}
	}
	if len(ticks) >= 2 {
		return ticks
	}
	// Narrower: nice steps of the data values, placed at their logarithms.
	lin := LinearTicks(math.Pow(10, lo), math.Pow(10, hi), want)
	out := lin[:0]
	for _, t := range lin {
		if t.Value > 0 {
			t.Value = math.Log10(t.Value)
			out = append(out, t)
		}
	}
	return out
}
