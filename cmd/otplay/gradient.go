package main

import (
	"archive/zip"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
)

// writeGradient writes rep.Grad to path (nothing when path is empty): a
// .npz (numpy.savez's layout: one stored .npy member per part) with the
// parts x (n x d), y (m x d), a (n) and b (m), or the gradient with
// respect to x alone (n x d) to a .npy or .csv file. A problem given by
// a cost matrix (--cost) has no points: its .npz holds a and b alone, and
// a .npy or .csv path is refused.
func writeGradient(path string, rep *solveReport) error {
	if path == "" || rep.Grad == nil {
		return nil
	}
	g := rep.Grad
	if err := checkGradientPath(path, g.X == nil); err != nil {
		return err
	}
	if !strings.EqualFold(filepath.Ext(path), ".npz") {
		return data.Save(path, g.X, rep.N, rep.D)
	}
	parts := []struct {
		name  string
		vals  []float64
		shape []int
	}{{"x", g.X, []int{rep.N, rep.D}}, {"y", g.Y, []int{rep.M, rep.D}}, {"a", g.A, []int{rep.N}}, {"b", g.B, []int{rep.M}}}
	if g.X == nil {
		parts = parts[2:]
	}
	return safefile.Write(path, func(w io.Writer) error {
		z := zip.NewWriter(w)
		for _, p := range parts {
			f, err := z.CreateHeader(&zip.FileHeader{Name: p.name + ".npy", Method: zip.Store})
			if err != nil {
				return err
			}
			if err := data.WriteNPY(f, p.vals, p.shape...); err != nil {
				return err
			}
		}
		return z.Close()
	})
}

// checkGradientPath refuses, before the solve, a --grad path that cannot
// hold the gradient: with a cost matrix (costMatrix) only the weights
// have a gradient, which needs a .npz.
func checkGradientPath(path string, costMatrix bool) error {
	if costMatrix && !strings.EqualFold(filepath.Ext(path), ".npz") {
		return batch.UsageError{Msg: fmt.Sprintf("--grad %s: with --cost the points have no meaning and only the weights have a gradient; write it to a .npz (parts a and b)", path)}
	}
	return nil
}
