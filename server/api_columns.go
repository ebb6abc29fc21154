package server

// columns splits an m x k array into its k columns: several target
// histograms for one solve (POT's b as a matrix; batch.SolveRequest.BColumns).
func (a array) columns() [][]float64 {
	m, k := a.shape[0], a.shape[1]
	cols := make([][]float64, k)
	for c := range cols {
		cols[c] = make([]float64, m)
		for j := range m {
			cols[c][j] = a.vals[j*k+c]
		}
	}
	return cols
}
