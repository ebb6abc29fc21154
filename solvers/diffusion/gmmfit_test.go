package diffusion

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// FitTiedGMM recovers the eight centres of 8gaussians (each fitted mean
// within 0.05 of one label's sample mean, weights about 1/8) and their
// common std (within 1% of the pooled within-label spread, the MLE given
// the labels).
func TestFitTiedGMMEightGaussians(t *testing.T) {
	s, err := data.Generate("8gaussians", 2000, data.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	f, err := FitTiedGMM(s.Points, s.N, 2, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Weights) != 8 || len(f.Means) != 16 || len(f.Stds()) != 8 {
		t.Fatalf("sizes %d %d %d", len(f.Weights), len(f.Means), len(f.Stds()))
	}
	// The centres of 8gaussians sit on one circle; each fitted mean must
	// be near one point of the data's label means.
	labelMean := map[int][2]float64{}
	count := map[int]float64{}
	for i, l := range s.Labels {
		m := labelMean[l]
		m[0] += s.Points[2*i]
		m[1] += s.Points[2*i+1]
		labelMean[l] = m
		count[l]++
	}
	used := map[int]bool{}
	for j := range 8 {
		bestL, bestD := -1, math.Inf(1)
		for l, m := range labelMean {
			dx, dy := f.Means[2*j]-m[0]/count[l], f.Means[2*j+1]-m[1]/count[l]
			if d := math.Hypot(dx, dy); d < bestD {
				bestL, bestD = l, d
			}
		}
		if bestD > 0.05 || used[bestL] {
			t.Errorf("mean %d (%.3f, %.3f): nearest label centre %d at %.3f (used twice: %v)", j, f.Means[2*j], f.Means[2*j+1], bestL, bestD, used[bestL])
		}
		used[bestL] = true
		if math.Abs(f.Weights[j]-0.125) > 0.03 {
			t.Errorf("weight %d = %.3f, want about 1/8", j, f.Weights[j])
		}
	}
	// The pooled within-label spread is the closed-form MLE of s given
	// the labels; EM's soft assignment of well-separated clusters agrees.
	sq := 0.0
	for i, l := range s.Labels {
		m := labelMean[l]
		dx, dy := s.Points[2*i]-m[0]/count[l], s.Points[2*i+1]-m[1]/count[l]
		sq += dx*dx + dy*dy
	}
	want := math.Sqrt(sq / float64(2*s.N))
	if math.Abs(f.Std-want) > 0.01*want {
		t.Errorf("std %.5f, want the pooled within-cluster %.5f", f.Std, want)
	}
}

// With one component EM's fixed point is the closed form: the sample
// mean, s^2 the mean squared deviation per coordinate, and
// log-likelihood -n d/2 (log(2 pi s^2) + 1).
func TestFitTiedGMMOneComponentClosedForm(t *testing.T) {
	s, err := data.Generate("moons", 300, data.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	f, err := FitTiedGMM(s.Points, s.N, 2, 1, 9)
	if err != nil {
		t.Fatal(err)
	}
	var mx, my float64
	for i := range s.N {
		mx += s.Points[2*i]
		my += s.Points[2*i+1]
	}
	mx, my = mx/float64(s.N), my/float64(s.N)
	sq := 0.0
	for i := range s.N {
		dx, dy := s.Points[2*i]-mx, s.Points[2*i+1]-my
		sq += dx*dx + dy*dy
	}
	v := sq / float64(2*s.N)
	if math.Abs(f.Means[0]-mx) > 1e-12 || math.Abs(f.Means[1]-my) > 1e-12 {
		t.Errorf("mean (%g, %g), want (%g, %g)", f.Means[0], f.Means[1], mx, my)
	}
	if math.Abs(f.Std-math.Sqrt(v)) > 1e-12 {
		t.Errorf("std %.15g, want %.15g", f.Std, math.Sqrt(v))
	}
	ll := -float64(s.N) * (math.Log(2*math.Pi*v) + 1)
	if math.Abs(f.LogLikelihood-ll) > 1e-9*math.Abs(ll) {
		t.Errorf("log-likelihood %.12g, want %.12g", f.LogLikelihood, ll)
	}
	if f.Weights[0] != 1 {
		t.Errorf("weight %g, want 1", f.Weights[0])
	}
}

func TestFitTiedGMMBadInput(t *testing.T) {
	for _, c := range []struct {
		x       []float64
		n, d, k int
	}{
		{[]float64{1, 2}, 1, 2, 0},
		{[]float64{1, 2, 3}, 1, 2, 1},
		{nil, 0, 2, 1},
	} {
		if _, err := FitTiedGMM(c.x, c.n, c.d, c.k, 1); !errors.Is(err, ErrBadInput) {
			t.Errorf("FitTiedGMM(%d values, n=%d, d=%d, k=%d) error %v, want ErrBadInput", len(c.x), c.n, c.d, c.k, err)
		}
	}
	if _, err := FitTiedGMM([]float64{1, math.NaN()}, 1, 2, 1, 1); err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("NaN input: error %v", err)
	}
}

// An independent reference: numpy and scipy (Debian's /usr/bin/python3)
// evaluate the fitted mixture's log-likelihood with
// scipy.stats.multivariate_normal and logsumexp (it must agree with the
// fit's to 1e-10 relative, converged or not), and take one EM step
// (Bishop 2006, (9.23)-(9.26) with the pooled isotropic variance) from
// the fitted parameters. A converged fit (8gaussians, K = 8) must be an
// EM fixed point: the step moves weights, means and s by less than 1e-6.
func TestFitTiedGMMAgainstScipy(t *testing.T) {
	for _, c := range []struct {
		data string
		k    int
	}{{"8gaussians", 8}, {"circles", 5}} {
		t.Run(c.data, func(t *testing.T) { checkFitAgainstScipy(t, c.data, c.k) })
	}
}

func checkFitAgainstScipy(t *testing.T, set string, k int) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy, scipy.stats, scipy.special").Run(); err != nil {
		if os.Getenv("OTPLAY_REQUIRE_GPU") == "1" || os.Getenv("OTPLAY_REQUIRE_PYTHON") == "1" {
			t.Fatalf("numpy and scipy not importable by %s (python3-numpy python3-scipy): %v", py, err)
		}
		t.Skipf("numpy and scipy not importable by %s (install python3-numpy python3-scipy): %v", py, err)
	}
	s, err := data.Generate(set, 400, data.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	f, err := FitTiedGMM(s.Points, s.N, 2, k, 2)
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{"x": s.Points, "w": f.Weights, "mu": f.Means, "s": f.Std})
	if err != nil {
		t.Fatal(err)
	}
	script := `import json, sys
import numpy as np
from scipy.stats import multivariate_normal
from scipy.special import logsumexp
p = json.load(sys.stdin)
x = np.array(p["x"]).reshape(-1, 2); w = np.array(p["w"]); mu = np.array(p["mu"]).reshape(-1, 2); s = p["s"]
logp = np.stack([np.log(w[k]) + multivariate_normal(mu[k], s * s * np.eye(2)).logpdf(x) for k in range(len(w))], axis=1)
ll = logsumexp(logp, axis=1)
r = np.exp(logp - ll[:, None])
nk = r.sum(axis=0)
mu2 = (r.T @ x) / nk[:, None]
d2 = ((x[:, None, :] - mu2[None, :, :]) ** 2).sum(axis=2)
s2 = np.sqrt((r * d2).sum() / x.size)
print(json.dumps({"ll": float(ll.sum()), "w": (nk / len(x)).tolist(), "mu": mu2.ravel().tolist(), "s": float(s2)}))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python reference: %v\n%s", err, out)
	}
	var ref struct {
		LL float64   `json:"ll"`
		W  []float64 `json:"w"`
		Mu []float64 `json:"mu"`
		S  float64   `json:"s"`
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("python reference output %q: %v", out, err)
	}
	if math.Abs(ref.LL-f.LogLikelihood) > 1e-10*math.Abs(ref.LL) {
		t.Errorf("log-likelihood %.12g, scipy %.12g", f.LogLikelihood, ref.LL)
	}
	t.Logf("%s K=%d: %d EM steps, converged %v, log-likelihood %.9g", set, k, f.Iterations, f.Converged, f.LogLikelihood)
	if !f.Converged {
		if f.Iterations != GMMFitMaxIterations {
			t.Errorf("not converged after %d steps, want %d", f.Iterations, GMMFitMaxIterations)
		}
		return
	}
	for j := range f.Weights {
		if math.Abs(ref.W[j]-f.Weights[j]) > 1e-6 {
			t.Errorf("weight %d: %.9g, after one more EM step %.9g", j, f.Weights[j], ref.W[j])
		}
	}
	for j := range f.Means {
		if math.Abs(ref.Mu[j]-f.Means[j]) > 1e-6 {
			t.Errorf("mean %d: %.9g, after one more EM step %.9g", j, f.Means[j], ref.Mu[j])
		}
	}
	if math.Abs(ref.S-f.Std) > 1e-6 {
		t.Errorf("std %.9g, after one more EM step %.9g", f.Std, ref.S)
	}
}
