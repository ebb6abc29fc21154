package exact

// SolveCost computes exact OT between uniform measures on n rows and m
// columns for a dense cost matrix (row-major n x m, POT's M): the plan of
// ot.emd(ones(n)/n, ones(m)/m, M), with Result.Cost = sum_ij P_ij M_ij,
// POT's emd2. As Solve, it is an assignment (Kuhn 1955, Munkres 1957; the
// O(n^3) form of Jonker and Volgenant 1987) on lcm(n, m) copies: row i is
// repeated lcm/n times and column j lcm/m times, which represents the
// same uniform measures, and the flows are merged back per original pair.
// lcm(n, m) must not exceed MaxPoints. Costs may be any finite numbers
// (negative too: an assignment is unchanged by a constant shift).
//
// Weighted marginals need the network simplex; its entry point should
// take the same (cost, n, m) plus the weights a (n) and b (m).
func SolveCost(cost []float64, n, m int) (*Result, error) {
	switch {
	case n < 1:
		return nil, badInput("n = %d: the cost matrix has no rows", n)
	case m < 1:
		return nil, badInput("m = %d: the cost matrix has no columns", m)
	case len(cost) != n*m:
		return nil, badInput("cost matrix has %d values, want n*m = %d*%d", len(cost), n, m)
	}
	if err := checkFinite("cost", cost); err != nil {
		return nil, err
	}
	g, r := n, m // g = gcd(n, m)
	for r != 0 {
		g, r = r, g%r
	}
	size := n / g * m // lcm
	if size > MaxPoints {
		return nil, badInput("exact OT between %d and %d uniform points needs an assignment of lcm = %d > %d points (use equal sizes, fewer points, or Sinkhorn with small eps)", n, m, size, MaxPoints)
	}
	rx, ry := size/n, size/m // copies of each row and each column
	big := make([]float64, size*size)
	for r := range size {
		row := cost[(r/rx)*m : (r/rx+1)*m]
		for c := range size {
			big[r*size+c] = row[c/ry]
		}
	}
	perm, total, err := Assignment(big, size)
	if err != nil {
		return nil, err
	}
	w := 1 / float64(size)
	merged := map[[2]int]float64{}
	var keys [][2]int
	for r, c := range perm {
		k := [2]int{r / rx, c / ry}
		if _, ok := merged[k]; !ok {
			keys = append(keys, k)
		}
		merged[k] += w
	}
	res := &Result{Cost: total * w}
	for _, k := range keys {
		res.Flows = append(res.Flows, Flow{I: k[0], J: k[1], Mass: merged[k]})
	}
	return res, nil
}
