package main

import (
	"archive/zip"
	"io"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
)

// writeGradient writes rep.Grad to path (nothing when path is empty): a
// .npz (numpy.savez's layout: one stored .npy member per part) with the
// parts x (n x d), y (m x d), a (n) and b (m), or the gradient with
// respect to x alone (n x d) to a .npy or .csv file.
func writeGradient(path string, rep *solveReport) error {
	if path == "" || rep.Grad == nil {
		return nil
	}
	g := rep.Grad
	if !strings.EqualFold(filepath.Ext(path), ".npz") {
		return data.Save(path, g.X, rep.N, rep.D)
	}
	parts := []struct {
		name  string
		vals  []float64
		shape []int
	}{{"x", g.X, []int{rep.N, rep.D}}, {"y", g.Y, []int{rep.M, rep.D}}, {"a", g.A, []int{rep.N}}, {"b", g.B, []int{rep.M}}}
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
