//go:build !js

package data

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/sbinet/npyio/npy"
	"github.com/sbinet/npyio/npz"
)

// decode is decodeNPYIO natively (decodePlain in the browser build).
func (dt npyDtype) decode(raw []byte, n int) ([]float64, error) { return dt.decodeNPYIO(raw, n) }

// decodeNPYIO turns n raw values into float64 through npyio, which reads the
// dtype in its byte order. It is handed a canonical header for a flat
// array (the real header was checked above).
func (dt npyDtype) decodeNPYIO(raw []byte, n int) ([]float64, error) {
	descr := fmt.Sprintf("%c%c%d", dt.order, dt.kind, dt.size)
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }\n", descr, n)
	var pre bytes.Buffer
	pre.WriteString(npyMagic)
	pre.Write([]byte{1, 0, byte(len(hdr)), byte(len(hdr) >> 8)})
	pre.WriteString(hdr)
	rd, err := npy.NewReader(io.MultiReader(&pre, bytes.NewReader(raw)))
	if err != nil {
		return nil, specErr("npy: %v", err)
	}
	out := make([]float64, n)
	switch descr[1:] {
	case "f8":
		v := make([]float64, n)
		err = rd.Read(&v)
		copy(out, v)
	case "f4":
		v := make([]float32, n)
		err = rd.Read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "i4":
		v := make([]int32, n)
		err = rd.Read(&v)
		for i, x := range v {
			out[i] = float64(x)
		}
	case "i8":
		v := make([]int64, n)
		err = rd.Read(&v)
		for i, x := range v {
			if x > 1<<53 || x < -(1<<53) {
				return nil, errInexactInt(x, i)
			}
			out[i] = float64(x)
		}
	}
	if err != nil {
		return nil, specErr("npy: %v", err)
	}
	return out, nil
}

// ReadNPZ reads the arrays of a NumPy .npz archive (numpy.savez or
// savez_compressed) of size bytes, each as ReadNPY does, keyed by name
// without the ".npy" suffix, in archive order (names).
func ReadNPZ(r io.ReaderAt, size int64) (names []string, arrays map[string][]float64, shapes map[string][]int, err error) {
	z, err := npz.NewReader(r, size)
	if err != nil {
		return nil, nil, nil, specErr("npz: not a .npz (zip) archive: %v", err)
	}
	keys := z.Keys()
	if len(keys) == 0 {
		return nil, nil, nil, specErr("npz: the archive holds no arrays")
	}
	if len(keys) > 64 {
		return nil, nil, nil, specErr("npz: %d arrays; at most 64 are read", len(keys))
	}
	arrays, shapes = map[string][]float64{}, map[string][]int{}
	total := 0
	for _, k := range keys {
		rc, err := z.Open(k)
		if err != nil {
			return nil, nil, nil, specErr("npz: %v", err)
		}
		v, sh, err := readNPY(rc, -1)
		rc.Close()
		name := strings.TrimSuffix(k, ".npy")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("array %q: %w", name, err)
		}
		if total += len(v); total > MaxElements {
			return nil, nil, nil, specErr("npz: more than %d values in all", MaxElements)
		}
		names = append(names, name)
		arrays[name], shapes[name] = v, sh
	}
	return names, arrays, shapes, nil
}

// WriteNPZ writes arrays as an uncompressed .npz archive (numpy.savez):
// one 1-D float64 array per name, as npyio writes them.
func WriteNPZ(w io.Writer, names []string, arrays [][]float64) error {
	if len(names) != len(arrays) {
		return fmt.Errorf("%w: WriteNPZ: %d names for %d arrays", ErrBadSpec, len(names), len(arrays))
	}
	z := npz.NewWriter(w)
	for i, n := range names {
		if err := z.Write(n, arrays[i]); err != nil {
			z.Close()
			return err
		}
	}
	return z.Close()
}
