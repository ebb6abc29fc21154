package diffusion

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
)

// permutations calls f with every permutation of 0..n-1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// TestPairByOTBruteForce: the pairing's total squared distance is the
// minimum over all 7! permutations, and dst is a permutation of noise.
func TestPairByOTBruteForce(t *testing.T) {
	const B, d = 7, 2
	x0, noise := make([]float64, B*d), make([]float64, B*d)
	for i := range x0 {
		x0[i] = 2 * compute.NormalAt(1, uint64(i))
		noise[i] = compute.NormalAt(2, uint64(i))
	}
	dst := make([]float64, B*d)
	if err := PairByOT(dst, x0, noise, B, d, nil); err != nil {
		t.Fatal(err)
	}
	cost := func(i, j int, y []float64) float64 {
		return math.Pow(x0[i*d]-y[j*d], 2) + math.Pow(x0[i*d+1]-y[j*d+1], 2)
	}
	got := 0.0
	for i := range B {
		got += cost(i, i, dst)
		found := false
		for j := range B {
			found = found || (dst[i*d] == noise[j*d] && dst[i*d+1] == noise[j*d+1])
		}
		if !found {
			t.Fatalf("dst row %d is not a noise row", i)
		}
	}
	best, identity := math.Inf(1), 0.0
	permutations(B, func(p []int) {
		s := 0.0
		for i, j := range p {
			s += cost(i, j, noise)
		}
		best = min(best, s)
	})
	for i := range B {
		identity += cost(i, i, noise)
	}
	if math.Abs(got-best) > 1e-12 {
		t.Errorf("OT pairing cost %g, brute-force minimum %g", got, best)
	}
	t.Logf("pairing cost %.4f (independent pairing %.4f)", got, identity)
}

// TestTrainOTPairing trains on the ring with minibatch OT pairing: the
// file records the coupling and deterministic sampling reaches the data
// (MMD^2 far below the prior noise's), as the flow argument of otpair.go
// says it must.
func TestTrainOTPairing(t *testing.T) {
	b := compute.NewCPU(0)
	g := ringMixture(t, b)
	data := g.Sample(2000, 1)
	s := Linear(DefaultT)
	m, _, err := Train(b, s, data, 2000, 2, TrainSettings{Hidden: []int{64, 64}, Steps: 800, Batch: 128, LR: 3e-3, Seed: 5, OTPairing: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta[MetaCoupling] != CouplingMinibatchOT {
		t.Fatalf("meta coupling = %q", m.Meta[MetaCoupling])
	}
	model, err := NewMLP(b, m)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Free()
	checkRingSample(t, b, model, s, g, 10, "OT-paired MLP")
}
