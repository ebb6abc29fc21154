package figure

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func labelled(ticks []Tick) (vals []float64, labels []string) {
	for _, t := range ticks {
		if !t.IsMinor() {
			vals = append(vals, t.Value)
			labels = append(labels, t.Label)
		}
	}
	return vals, labels
}

// The labelled ticks of LinearTicks(lo, hi, 3) are those of gonum/plot's
// DefaultTicks (the same Talbot-Lin-Hanrahan search), on a table of
// ranges and on random ones.
func TestLinearTicksMatchGonumPlot(t *testing.T) {
	ranges := [][2]float64{{0, 1}, {-1.91, 1.93}, {0, 10}, {-5, 5}, {1e-9, 3e-9}, {123456, 987654}, {-0.003, -0.0001},
		{0.5, 0.51}, {-1e8, 1e8}, {2, 1e6}, {-7.25, 0.1}, {99, 101}, {0, 520}, {1, 1000}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		a := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.IntN(16)-8))
		b := a + rng.Float64()*math.Pow(10, float64(rng.IntN(16)-8))
		if a < b {
			ranges = append(ranges, [2]float64{a, b})
		}
	}
	for _, r := range ranges {
		got, _ := labelled(LinearTicks(r[0], r[1], 3))
		var want []float64
		for _, tk := range (plot.DefaultTicks{}).Ticks(r[0], r[1]) {
			if !tk.IsMinor() {
				want = append(want, tk.Value)
			}
		}
		if len(got) != len(want) {
			t.Errorf("LinearTicks(%g, %g) labels %v, gonum/plot %v", r[0], r[1], got, want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9*math.Max(math.Abs(want[i]), r[1]-r[0]) {
				t.Errorf("LinearTicks(%g, %g) labels %v, gonum/plot %v", r[0], r[1], got, want)
				break
			}
		}
	}
}

func TestLinearTicksTable(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   int
		labels string
	}{
		{0, 1, 5, "0.00 0.25 0.50 0.75 1.00"},
		{-1.91, 1.93, 4, "−1.5 −0.5 0.5 1.5"}, // labels within the data beat a zero,
		{-2.1, 2.1, 5, "−2 −1 0 1 2"},
		{0, 520, 5, "0 100 200 300 400 500"},
		{1, 1000, 4, "100 400 700 1000"},
		{-0.0031, 0.0001, 3, "−0.003 −0.002 −0.001 0.000"},
		{1.5e-6, 9.5e-6, 4, "2×10⁻⁶ 4×10⁻⁶ 6×10⁻⁶ 8×10⁻⁶"},
		{2e7, 9e7, 4, "2×10⁷ 4×10⁷ 6×10⁷ 8×10⁷"},
		{0.5, 0.51, 3, "0.500 0.505 0.510"},
		{0, 2.5, 3, "0 1 2"},
	}
	for _, c := range cases {
		_, labels := labelled(LinearTicks(c.lo, c.hi, c.want))
		if got := strings.Join(labels, " "); got != c.labels {
			t.Errorf("LinearTicks(%g, %g, %d) = %q, want %q", c.lo, c.hi, c.want, got, c.labels)
		}
	}
	for _, bad := range [][2]float64{{1, 1}, {2, 1}, {math.NaN(), 1}, {0, math.Inf(1)}, {math.Inf(-1), 0}} {
		if tk := LinearTicks(bad[0], bad[1], 4); tk != nil {
			t.Errorf("LinearTicks(%g, %g) = %v, want none", bad[0], bad[1], tk)
		}
	}
}

func TestLogTicksTable(t *testing.T) {
	cases := []struct {
		lo, hi float64 // exponents
		want   int
		labels string
	}{
		{-6.2, -1.8, 5, "10⁻⁶ 10⁻⁵ 10⁻⁴ 10⁻³ 10⁻²"},
		{-12.3, 0.4, 4, "10⁻¹² 10⁻⁸ 10⁻⁴ 10⁰"},
		{-1.34, -0.126, 4, "5×10⁻² 10⁻¹ 2×10⁻¹ 5×10⁻¹"}, // the "1e-1.34" axis of issue 10
		{0, 3, 4, "10⁰ 10¹ 10² 10³"},
		{2.1, 2.2, 3, "130 140 150"},
	}
	for _, c := range cases {
		_, labels := labelled(LogTicks(c.lo, c.hi, c.want))
		if got := strings.Join(labels, " "); got != c.labels {
			t.Errorf("LogTicks(%g, %g, %d) = %q, want %q", c.lo, c.hi, c.want, got, c.labels)
		}
		for _, l := range labels {
			if strings.Contains(l, "e") {
				t.Errorf("LogTicks(%g, %g): label %q in e-notation", c.lo, c.hi, l)
			}
		}
	}
	// Minor ticks at 2..9 times the powers of ten, inside the range.
	for _, tk := range LogTicks(-2, 0, 3) {
		if tk.Value < -2 || tk.Value > 0 {
			t.Errorf("tick %v outside [-2, 0]", tk)
		}
	}
	if n := len(LogTicks(-2, 0, 3)); n != 3+16 {
		t.Errorf("LogTicks(-2, 0): %d ticks, want 3 labelled and 16 minor", n)
	}
}

func TestSuperscriptAndMinus(t *testing.T) {
	for k, want := range map[int]string{0: "⁰", 3: "³", -3: "⁻³", 12: "¹²", -10: "⁻¹⁰"} {
		if got := Superscript(k); got != want {
			t.Errorf("Superscript(%d) = %q, want %q", k, got, want)
		}
	}
	if got := FormatLinear([]float64{-1e-17, -0.5, 0.5}, 5, -1); strings.Join(got, " ") != "0.0 −0.5 0.5" {
		t.Errorf("FormatLinear = %q", got)
	}
}
