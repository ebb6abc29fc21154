//go:build js

package data

import (
	"errors"
	"io"
)

// The browser build decodes .npy data with decodePlain and reads no .npz
// (github.com/sbinet/npyio would add 0.66 MB to the wasm, 136 kB gzipped).
func (dt npyDtype) decode(raw []byte, n int) ([]float64, error) { return dt.decodePlain(raw, n) }

var errNoNPZ = errors.New("data: .npz archives are read and written by the native build only")

// ReadNPZ is not available in the browser build.
func ReadNPZ(r io.ReaderAt, size int64) (names []string, arrays map[string][]float64, shapes map[string][]int, err error) {
	return nil, nil, nil, errNoNPZ
}

// WriteNPZ is not available in the browser build.
func WriteNPZ(w io.Writer, names []string, arrays [][]float64) error { return errNoNPZ }
