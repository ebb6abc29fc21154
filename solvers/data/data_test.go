package data

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, spec string) Set {
	t.Helper()
	s, err := Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	if s.N*s.D != len(s.Points) {
		t.Fatalf("Parse(%q): %d points of dimension %d but %d values", spec, s.N, s.D, len(s.Points))
	}
	if s.Labels != nil && len(s.Labels) != s.N {
		t.Fatalf("Parse(%q): %d labels for %d points", spec, len(s.Labels), s.N)
	}
	for i, v := range s.Points {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("Parse(%q): value %d is %v", spec, i, v)
		}
	}
	return s
}

// moments returns the per-coordinate mean and standard deviation.
func moments(s Set) (mean, std []float64) {
	mean = make([]float64, s.D)
	std = make([]float64, s.D)
	for i := 0; i < s.N; i++ {
		for k, v := range s.Point(i) {
			mean[k] += v
		}
	}
	for k := range mean {
		mean[k] /= float64(s.N)
	}
	for i := 0; i < s.N; i++ {
		for k, v := range s.Point(i) {
			std[k] += (v - mean[k]) * (v - mean[k])
		}
	}
	for k := range std {
		std[k] = math.Sqrt(std[k] / float64(s.N))
	}
	return mean, std
}

func TestEveryToyIsSeededAndUnitScale(t *testing.T) {
	for _, name := range Names() {
		if name == "digits" {
			continue
		}
		spec := name + ":2000:seed=7"
		a := mustParse(t, spec)
		b := mustParse(t, spec)
		if !slices.Equal(a.Points, b.Points) || !slices.Equal(a.Labels, b.Labels) {
			t.Errorf("%s: two draws with seed 7 differ", name)
		}
		c := mustParse(t, name+":2000:seed=8")
		if slices.Equal(a.Points, c.Points) {
			t.Errorf("%s: seeds 7 and 8 give the same points", name)
		}
		if a.N != 2000 || a.D != 2 || a.Name != name {
			t.Errorf("%s: got %s with %d x %d, want 2000 x 2", name, a.Name, a.N, a.D)
		}
		// Documented scale: roughly [-2, 2]^2, per-coordinate std near 1.
		mean, std := moments(a)
		for k := range mean {
			if math.Abs(mean[k]) > 0.6 || std[k] < 0.3 || std[k] > 1.4 {
				t.Errorf("%s: coordinate %d mean %.3f std %.3f, want |mean| < 0.6 and std in [0.3, 1.4]", name, k, mean[k], std[k])
			}
		}
		for i, v := range a.Points {
			if math.Abs(v) > 4 {
				t.Errorf("%s: value %d = %g outside [-4, 4]", name, i, v)
				break
			}
		}
		if def := mustParse(t, name); def.N != DefaultN {
			t.Errorf("%s: default n = %d, want %d", name, def.N, DefaultN)
		}
	}
}

// meanRadiusByLabel returns the mean |x| of the points of each label.
func meanRadiusByLabel(s Set, labels int) []float64 {
	r := make([]float64, labels)
	cnt := make([]float64, labels)
	for i := 0; i < s.N; i++ {
		p := s.Point(i)
		r[s.Labels[i]] += math.Hypot(p[0], p[1])
		cnt[s.Labels[i]]++
	}
	for k := range r {
		r[k] /= cnt[k]
	}
	return r
}

func TestToyGeometry(t *testing.T) {
	// circles: radii 1.5 and 0.75 (make_circles times 3/2), noise 0.12.
	c := mustParse(t, "circles:4000:seed=1")
	if r := meanRadiusByLabel(c, 2); math.Abs(r[0]-1.5) > 0.02 || math.Abs(r[1]-0.75) > 0.02 {
		t.Errorf("circles: mean radii %v, want [1.5 0.75]", r)
	}
	// rings: radii 1.5, 1.125, 0.75, 0.375.
	rg := mustParse(t, "rings:4000:seed=1")
	for k, want := range []float64{1.5, 1.125, 0.75, 0.375} {
		if r := meanRadiusByLabel(rg, 4)[k]; math.Abs(r-want) > 0.02 {
			t.Errorf("rings: ring %d mean radius %.4f, want %g", k, r, want)
		}
	}
	// 8gaussians: each cluster's mean sits at radius 4/1.414/2 = 1.4144.
	g := mustParse(t, "8gaussians:8000:seed=2")
	sum := make([][2]float64, 8)
	cnt := make([]float64, 8)
	for i := 0; i < g.N; i++ {
		sum[g.Labels[i]][0] += g.Point(i)[0]
		sum[g.Labels[i]][1] += g.Point(i)[1]
		cnt[g.Labels[i]]++
	}
	for k := range sum {
		if r := math.Hypot(sum[k][0]/cnt[k], sum[k][1]/cnt[k]); math.Abs(r-4/1.414/2) > 0.03 {
			t.Errorf("8gaussians: centre %d at radius %.4f, want %.4f", k, r, 4/1.414/2)
		}
	}
	// 25gaussians: every point within 5 std (0.0884) of a grid node 2k/2.828.
	g25 := mustParse(t, "25gaussians:2000:seed=3")
	for i := 0; i < g25.N; i++ {
		p := g25.Point(i)
		l := g25.Labels[i]
		cx, cy := 2*float64(l/5-2)/2.828, 2*float64(l%5-2)/2.828
		if math.Hypot(p[0]-cx, p[1]-cy) > 5*0.05/2.828*math.Sqrt2 {
			t.Fatalf("25gaussians: point %d %v is far from its centre (%g, %g)", i, p, cx, cy)
		}
	}
	// checkerboard: floor(x) + floor(y) even on every point, inside [-2, 2)^2.
	cb := mustParse(t, "checkerboard:3000:seed=4")
	for i := 0; i < cb.N; i++ {
		p := cb.Point(i)
		if int(math.Floor(p[0])+math.Floor(p[1]))%2 != 0 || p[0] < -2 || p[0] >= 2 || p[1] < -2 || p[1] >= 2 {
			t.Fatalf("checkerboard: point %d %v on a light square or off the board", i, p)
		}
	}
	// moons: the outer moon (label 0) lies above the inner one on average.
	m := mustParse(t, "moons:2000:seed=5")
	var y0, y1 float64
	for i := 0; i < m.N; i++ {
		if m.Labels[i] == 0 {
			y0 += m.Point(i)[1]
		} else {
			y1 += m.Point(i)[1]
		}
	}
	if y0 <= y1 {
		t.Errorf("moons: outer moon mean y %g below the inner %g", y0/1000, y1/1000)
	}
	// scale=2 gives FFJORD's numbers: exactly twice the default.
	m2 := mustParse(t, "moons:2000:seed=5:scale=2")
	for i := range m.Points {
		if m2.Points[i] != 2*m.Points[i] {
			t.Fatalf("moons scale=2: value %d = %g, want %g", i, m2.Points[i], 2*m.Points[i])
		}
	}
}

func TestGaussianAndUniformInAnyDimension(t *testing.T) {
	g := mustParse(t, "gaussian:20000:d=5:seed=1")
	if g.D != 5 || g.N != 20000 {
		t.Fatalf("gaussian:20000:d=5 gave %d x %d", g.N, g.D)
	}
	mean, std := moments(g)
	for k := range mean {
		// Standard error of the mean 1/sqrt(20000) = 0.007; of the std 0.005.
		if math.Abs(mean[k]) > 0.03 || math.Abs(std[k]-1) > 0.03 {
			t.Errorf("gaussian d=5: coordinate %d mean %.4f std %.4f, want 0 and 1", k, mean[k], std[k])
		}
	}
	u := mustParse(t, "uniform:20000:d=3:seed=2")
	_, std = moments(u)
	for k, s := range std {
		if math.Abs(s-1/math.Sqrt(3)) > 0.01 {
			t.Errorf("uniform d=3: coordinate %d std %.4f, want 1/sqrt(3) = 0.5774", k, s)
		}
	}
	for i, v := range u.Points {
		if v < -1 || v >= 1 {
			t.Fatalf("uniform: value %d = %g outside [-1, 1)", i, v)
		}
	}
}

func TestDigits(t *testing.T) {
	px, labels, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	if len(px) != DigitCount*DigitPixels || len(labels) != DigitCount {
		t.Fatalf("Digits: %d pixels, %d labels", len(px), len(labels))
	}
	// Class counts of scikit-learn's load_digits.
	want := []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}
	got := make([]int, 10)
	for _, l := range labels {
		got[l]++
	}
	if !slices.Equal(got, want) {
		t.Errorf("digit counts %v, want %v", got, want)
	}
	// The first image of load_digits starts 0, 0, 5, 13, 9, 1 -> x/8 - 1.
	for k, v := range []float64{0, 0, 5, 13, 9, 1} {
		if px[k] != v/8-1 {
			t.Errorf("pixel %d of image 0 = %g, want %g", k, px[k], v/8-1)
		}
	}
	if labels[0] != 0 {
		t.Errorf("label of image 0 = %d, want 0", labels[0])
	}
	for i, v := range px {
		if v < -1 || v > 1 {
			t.Fatalf("pixel %d = %g outside [-1, 1]", i, v)
		}
	}

	s := mustParse(t, "digits:500:seed=2")
	if s.N != 500 || s.D != 64 {
		t.Fatalf("digits:500 gave %d x %d", s.N, s.D)
	}
	all := mustParse(t, "digits")
	if all.N != DigitCount {
		t.Errorf("digits with no n gave %d images, want %d", all.N, DigitCount)
	}
	threes := mustParse(t, "digits:100:class=3+8:seed=1")
	for i, l := range threes.Labels {
		if l != 3 && l != 8 {
			t.Fatalf("class=3+8: image %d has label %d", i, l)
		}
	}
	// Each sampled image is one of the set with its own label.
	for i := 0; i < 5; i++ {
		found := false
		for j := 0; j < DigitCount && !found; j++ {
			found = slices.Equal(s.Point(i), px[j*64:(j+1)*64]) && labels[j] == s.Labels[i]
		}
		if !found {
			t.Errorf("digits sample %d is not an image of the set", i)
		}
	}
	if _, err := Parse("digits:1798"); err == nil || !strings.Contains(err.Error(), "1797") {
		t.Errorf("digits:1798: error %v, want one naming the 1797 images", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"", "empty data spec"},
		{"moonz:10", `unknown data set "moonz" (valid: 25gaussians, 8gaussians, checkerboard, circles, digits, gaussian, moons`},
		{"moons:0", "n = 0 outside [1, 4194304]"},
		{"moons:-3", "n = -3 outside"},
		{"moons:99999999", "n = 99999999 outside [1, 4194304]"},
		{"moons:ten", `number of points "ten" is not an integer`},
		{"moons:10:seed", `"seed" is not key=value`},
		{"moons:10:seed=-1", `seed = "-1"`},
		{"moons:10:color=red", `unknown key "color"`},
		{"moons:10:d=3", "moons: has dimension 2; d = 3 is not an option"},
		{"gaussian:10:d=0", "d = \"0\": must be >= 1"},
		{"gaussian:10:d=5000", "d = 5000 outside [1, 4096]"},
		{"gaussian:4000000:d=100", "n*d = 4000000*100 exceeds"},
		{"moons:10:scale=nan", "scale"},
		{"moons:10:class=3", "class selects digits only"},
		{"digits:10:class=12", "digits are 0..9"},
		{"moons:10:seed=1:seed=2", `key "seed" given twice`},
		{"nothere.csv", "no such file"},
	}
	for _, c := range cases {
		_, err := Parse(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", c.spec, err, c.want)
		}
		if err != nil && c.spec != "nothere.csv" && !errors.Is(err, ErrBadSpec) {
			t.Errorf("Parse(%q) error %v does not wrap ErrBadSpec", c.spec, err)
		}
	}
}

func TestNamesAndAbout(t *testing.T) {
	want := []string{"25gaussians", "8gaussians", "checkerboard", "circles", "digits", "gaussian", "moons", "pinwheel", "rings", "spirals", "swissroll", "uniform"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		if About(n) == "" {
			t.Errorf("About(%q) is empty", n)
		}
	}
	if Dim("digits", Options{}) != 64 || Dim("gaussian", Options{D: 7}) != 7 || Dim("moons", Options{}) != 2 || Dim("nope", Options{}) != 0 {
		t.Error("Dim gives wrong dimensions")
	}
}
