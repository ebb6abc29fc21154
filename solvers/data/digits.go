package data

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sync"
)

// digitsGz is the "Optical Recognition of Handwritten Digits" set
// (Alpaydin and Kaynak 1998, UCI, CC BY 4.0) as distributed in
// scikit-learn: 1,797 rows of 64 pixels 0..16 then the label. See
// ATTRIBUTION.md beside this file.
//
//go:embed digits.csv.gz
var digitsGz []byte

// The shape of the digits set.
const (
	DigitCount  = 1797 // images
	DigitPixels = 64   // 8 x 8 pixels, row-major
	DigitSide   = 8
)

var digits struct {
	once   sync.Once
	pixels []float64 // DigitCount x DigitPixels, in [-1, 1]
	labels []int
	err    error
}

// loadDigits decodes the embedded CSV once.
func loadDigits() ([]float64, []int, error) {
	digits.once.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(digitsGz))
		if err != nil {
			digits.err = fmt.Errorf("data: embedded digits: %v", err)
			return
		}
		pts, n, d, err := ReadCSV(zr)
		if err != nil {
			digits.err = fmt.Errorf("data: embedded digits: %v", err)
			return
		}
		if n != DigitCount || d != DigitPixels+1 {
			digits.err = fmt.Errorf("data: embedded digits: %d x %d, want %d x %d", n, d, DigitCount, DigitPixels+1)
			return
		}
		px := make([]float64, 0, n*DigitPixels)
		labels := make([]int, n)
		for i := 0; i < n; i++ {
			row := pts[i*d : (i+1)*d]
			for _, v := range row[:DigitPixels] {
				px = append(px, v/8-1) // 0..16 -> [-1, 1]
			}
			labels[i] = int(row[DigitPixels])
		}
		digits.pixels, digits.labels = px, labels
	})
	return digits.pixels, digits.labels, digits.err
}

// Digits returns the whole digits set in file order: 1,797 images of 64
// pixels scaled from 0..16 to [-1, 1] (x/8 - 1), row-major, and their
// labels 0..9. The slices are fresh copies.
func Digits() (pixels []float64, labels []int, err error) {
	px, lb, err := loadDigits()
	if err != nil {
		return nil, nil, err
	}
	return append([]float64(nil), px...), append([]int(nil), lb...), nil
}

// sampleDigits draws n distinct digits (of the classes o.Class, or all)
// in the order of a seeded random permutation; n must not exceed the
// number available.
func sampleDigits(n int, o Options) (Set, error) {
	px, lb, err := loadDigits()
	if err != nil {
		return Set{}, err
	}
	var pool []int
	for i, l := range lb {
		if len(o.Class) == 0 || containsInt(o.Class, l) {
			pool = append(pool, i)
		}
	}
	if n > len(pool) {
		return Set{}, specErr("digits: n = %d exceeds the %d images available (drawn without replacement)", n, len(pool))
	}
	r := newRand(o.Seed)
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	s := Set{Name: "digits", N: n, D: DigitPixels, Points: make([]float64, 0, n*DigitPixels), Labels: make([]int, n)}
	for k, i := range pool[:n] {
		s.Points = append(s.Points, px[i*DigitPixels:(i+1)*DigitPixels]...)
		s.Labels[k] = lb[i]
	}
	return s, nil
}

func containsInt(v []int, x int) bool {
	for _, t := range v {
		if t == x {
			return true
		}
	}
	return false
}
