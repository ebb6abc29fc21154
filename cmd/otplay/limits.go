package main

import (
	"fmt"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/nn"
)

// Limits named up front: every command refuses a flag beyond them before
// it allocates anything, with the limit and the flag in the message.
const (
	// maxSteps bounds sampler and bridge steps (--steps): a time grid of
	// that many entries, and far more steps than any sampler needs (the
	// discrete DDPM chain has 1000).
	maxSteps = 100_000
	// maxTrainSteps bounds train --steps (and truncate --train-steps).
	maxTrainSteps = 10_000_000
	// maxBenchN bounds bench --sizes: N = M points, N^2 pairs per call
	// (2^20 points: 1.1e12 pairs, a quarter second on an H100).
	maxBenchN = 1 << 20
	// maxModelParams bounds the parameters of an MLP that train writes,
	// so that sample can read every model train writes: a model file holds
	// each weight as JSON text of at most 25 bytes, and nn.Read accepts
	// files up to nn.MaxFileBytes (256 MiB).
	maxModelParams = nn.MaxFileBytes / 25
)

// checkPoints refuses n points of dimension d beyond the data limits:
// at most data.MaxPoints points and data.MaxElements values.
func checkPoints(flag string, n, d int) error {
	switch {
	case n < 1 || n > data.MaxPoints:
		return fmt.Errorf("%s = %d: want 1 .. %d points", flag, n, data.MaxPoints)
	case d > 0 && n > data.MaxElements/d:
		return fmt.Errorf("%s = %d: %d points of dimension %d exceed the limit of %d values", flag, n, n, d, data.MaxElements)
	}
	return nil
}

// checkSteps refuses steps outside [1, limit].
func checkSteps(flag string, steps, limit int) error {
	if steps < 1 || steps > limit {
		return fmt.Errorf("%s = %d: want 1 .. %d", flag, steps, limit)
	}
	return nil
}

// mlpParams counts the weights and biases of an MLP with layer widths
// in+cond, hidden..., out.
func mlpParams(in, cond int, hidden []int, out int) int {
	w := append(append([]int{in + cond}, hidden...), out)
	p := 0
	for i := 0; i+1 < len(w); i++ {
		p += w[i]*w[i+1] + w[i+1]
	}
	return p
}
