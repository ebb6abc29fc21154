package main

// solvePower maps --p to batch.SolveRequest.P: the default 2 is sent as 0
// (|x - y|^2, the fused fast kernels, and nothing to refuse next to
// --cost); any other value goes through for batch to check.
func solvePower(p float64) float64 {
	if p == 2 {
		return 0
	}
	return p
}
