package ot

import (
	"math"
	"slices"
	"testing"

	"github.com/otplay/otplay/compute"
)

// hostTestResult solves a small non-uniform problem of the given method to
// 40 iterations on the float64 CPU backend.
func hostTestResult(t *testing.T, s Settings) (*Result, Problem) {
	t.Helper()
	p := Problem{X: cloud(17, 2, 1, 1, 0), Y: cloud(13, 2, 2, 1, 0.5), N: 17, M: 13, D: 2}
	p.A, p.B = make([]float64, 17), make([]float64, 13)
	for i := range p.A {
		p.A[i] = float64(i+1) / 153 // 1 + ... + 17 = 153
	}
	for j := range p.B {
		p.B[j] = float64(13-j) / 91 // 1 + ... + 13 = 91
	}
	sv, err := NewSolver(compute.NewCPU(1), p, s)
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	if err := sv.Step(40); err != nil {
		t.Fatal(err)
	}
	res, err := sv.Result()
	if err != nil {
		t.Fatal(err)
	}
	return res, p
}

// PlanRow, PlanColumn and PlanTopKHost (host, from the potentials) equal
// the rows, columns and top entries of PlanDense and PlanTopK (a Backend)
// for every method, and PlanBinned keeps the plan's mass.
func TestPlanHostMatchesDevice(t *testing.T) {
	cpu := compute.NewCPU(1)
	for _, s := range []Settings{{Eps: 0.2}, {Eps: 0.2, TauA: 0.5, TauB: 0.5}, {Eps: 0.2, Mass: 0.4}} {
		res, p := hostTestResult(t, s)
		dense, err := res.PlanDense(cpu)
		if err != nil {
			t.Fatal(err)
		}
		rel := func(got, want float64) float64 { return math.Abs(got-want) / want }
		worst := 0.0
		for i := 0; i < p.N; i++ {
			row, err := res.PlanRow(i)
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range row {
				worst = math.Max(worst, rel(v, dense[i*p.M+j]))
			}
		}
		for j := 0; j < p.M; j++ {
			col, err := res.PlanColumn(j)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range col {
				worst = math.Max(worst, rel(v, dense[i*p.M+j]))
			}
		}
		if worst > 1e-9 {
			t.Errorf("%+v: host plan entries differ from PlanDense by %.3g relative", s, worst)
		}
		idx, val, err := res.PlanTopKHost(3)
		if err != nil {
			t.Fatal(err)
		}
		widx, wval, err := res.PlanTopK(cpu, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(idx, widx) {
			t.Errorf("%+v: PlanTopKHost columns %v, PlanTopK %v", s, idx, widx)
		}
		for k := range val {
			if rel(val[k], wval[k]) > 1e-9 {
				t.Errorf("%+v: PlanTopKHost value %d = %g, PlanTopK %g", s, k, val[k], wval[k])
			}
		}
		rows, cols := PrincipalOrder(p)
		cells, err := res.PlanBinned(rows, cols, 5, 4)
		if err != nil {
			t.Fatal(err)
		}
		sum, mass := 0.0, 0.0
		for _, v := range cells {
			sum += v
		}
		for _, v := range dense {
			mass += v
		}
		if len(cells) != 20 || rel(sum, mass) > 1e-12 {
			t.Errorf("%+v: %d cells summing to %g, want 20 summing to the plan's mass %g", s, len(cells), sum, mass)
		}
	}
}

// Misuse is an error, not a panic.
func TestPlanHostBadInput(t *testing.T) {
	res, p := hostTestResult(t, Settings{Eps: 0.2})
	if _, err := res.PlanRow(p.N); err == nil {
		t.Errorf("PlanRow(N) gave no error")
	}
	if _, err := res.PlanColumn(-1); err == nil {
		t.Errorf("PlanColumn(-1) gave no error")
	}
	if _, _, err := res.PlanTopKHost(0); err == nil {
		t.Errorf("PlanTopKHost(0) gave no error")
	}
	if _, err := res.PlanBinned([]int{0}, nil, 2, 2); err == nil {
		t.Errorf("PlanBinned with short orders gave no error")
	}
	if _, err := (&Result{}).PlanRow(0); err == nil {
		t.Errorf("PlanRow of an empty Result gave no error")
	}
}

// Points on a line through the origin at 30 degrees are listed by their
// position along it; with Y a small translate of X and a small eps the
// binned plan carries its mass on the diagonal.
func TestPrincipalOrderDiagonal(t *testing.T) {
	const n = 40
	perm := []int{}
	for i := range n {
		perm = append(perm, (i*17)%n) // a shuffle: 17 is prime to 40
	}
	x := make([]float64, 2*n)
	for k, i := range perm {
		s := float64(i) / n
		x[2*k], x[2*k+1] = s*math.Cos(math.Pi/6), s*math.Sin(math.Pi/6)
	}
	y := make([]float64, 2*n)
	for k := range x {
		y[k] = x[k] + 0.001
	}
	p := Problem{X: x, Y: y, N: n, M: n, D: 2}
	rows, cols := PrincipalOrder(p)
	for s, k := range rows {
		if perm[k] != s && perm[k] != n-1-s { // either direction of the axis
			t.Fatalf("row %d of the order is point %d at position %d", s, k, perm[k])
		}
	}
	res, err := Sinkhorn(compute.NewCPU(1), p, Settings{Eps: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	cells, err := res.PlanBinned(rows, cols, n, n)
	if err != nil {
		t.Fatal(err)
	}
	diag := 0.0
	for i := range n {
		diag += cells[i*n+i]
	}
	if diag < 0.9 {
		t.Errorf("diagonal of the sorted plan holds %.3g of the mass, want > 0.9", diag)
	}
}

// The host views follow the problem's cost: |x - y|^P and a cost matrix
// give the rows of PlanDense too.
func TestPlanHostOtherCosts(t *testing.T) {
	cpu := compute.NewCPU(1)
	x, y := cloud(9, 2, 5, 1, 0), cloud(7, 2, 6, 1, 0.3)
	cm := make([]float64, 9*7)
	for i := range 9 {
		for j := range 7 {
			cm[i*7+j] = math.Abs(x[2*i]-y[2*j]) + 0.5*math.Abs(x[2*i+1]-y[2*j+1]) // an L1-like cost, no power of |x - y|
		}
	}
	for name, p := range map[string]Problem{
		"P=1":    {X: x, Y: y, N: 9, M: 7, D: 2, P: 1},
		"matrix": {N: 9, M: 7, Cost: cm},
	} {
		res, err := Sinkhorn(cpu, p, Settings{Eps: 0.3})
		if err != nil {
			t.Fatal(name, err)
		}
		dense, err := res.PlanDense(cpu)
		if err != nil {
			t.Fatal(name, err)
		}
		for i := range 9 {
			row, err := res.PlanRow(i)
			if err != nil {
				t.Fatal(name, err)
			}
			for j, v := range row {
				if math.Abs(v-dense[i*7+j]) > 1e-9*dense[i*7+j] {
					t.Fatalf("%s: row %d entry %d = %g, PlanDense %g", name, i, j, v, dense[i*7+j])
				}
			}
		}
		rows, cols := PrincipalOrder(p)
		if cells, err := res.PlanBinned(rows, cols, 3, 3); err != nil || len(cells) != 9 {
			t.Errorf("%s: binned plan %v, %v", name, cells, err)
		}
	}
}
