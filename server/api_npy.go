package server

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"

	"github.com/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/solvers/data"
)

// npzType is the media type of .npz answers.
const npzType = "application/x-npz"

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += k
	return k, err
}

// readNPY decodes one .npy array (github.com/sbinet/npyio): any real
// dtype numpy writes (float, int, uint, bool), either byte order, C or
// Fortran order, 1-D or 2-D, at most data.MaxElements values; returned as
// float64 in C order with its shape. Finiteness is checked by the batch
// runs, which name the parameter and the index.
func readNPY(body []byte) ([]float64, []int, error) {
	cr := &countingReader{r: bytes.NewReader(body)}
	rd, err := npyio.NewReader(cr)
	if err != nil {
		return nil, nil, fmt.Errorf("not a .npy array: %v", err)
	}
	h := rd.Header.Descr
	if len(h.Shape) < 1 || len(h.Shape) > 2 {
		return nil, nil, fmt.Errorf("npy: %d-D array %v; want 1-D or 2-D", len(h.Shape), h.Shape)
	}
	total := 1
	for i, s := range h.Shape {
		if s < 1 {
			return nil, nil, fmt.Errorf("npy: empty array, shape %v (dimension %d is %d)", h.Shape, i, s)
		}
		if s > data.MaxElements || total*s > data.MaxElements {
			return nil, nil, fmt.Errorf("npy: shape %v exceeds the limit of %d values", h.Shape, data.MaxElements)
		}
		total *= s
	}
	rt := npyio.TypeFrom(h.Type)
	if rt == nil {
		return nil, nil, fmt.Errorf("npy: dtype %q not supported (want a real number type)", h.Type)
	}
	switch rt.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Bool:
	default:
		return nil, nil, fmt.Errorf("npy: dtype %q (%v) not supported (want a real number type)", h.Type, rt)
	}
	if want := len(body) - cr.n; want != total*int(rt.Size()) {
		return nil, nil, fmt.Errorf("npy: %d data bytes for shape %v of %s (want %d)", want, h.Shape, h.Type, total*int(rt.Size()))
	}
	ptr := reflect.New(reflect.SliceOf(rt))
	if err := rd.Read(ptr.Interface()); err != nil {
		return nil, nil, fmt.Errorf("npy: %v", err)
	}
	src := ptr.Elem()
	vals := make([]float64, total)
	for i := range vals {
		v := src.Index(i)
		switch v.Kind() {
		case reflect.Float32, reflect.Float64:
			vals[i] = v.Float()
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			vals[i] = float64(v.Int())
		case reflect.Bool:
			if v.Bool() {
				vals[i] = 1
			}
		default:
			vals[i] = float64(v.Uint())
		}
	}
	if h.Fortran && len(h.Shape) == 2 {
		n, d := h.Shape[0], h.Shape[1]
		c := make([]float64, total)
		for j := 0; j < d; j++ {
			for i := 0; i < n; i++ {
				c[i*d+j] = vals[j*n+i]
			}
		}
		vals = c
	}
	return vals, append([]int(nil), h.Shape...), nil
}

// respond writes a result: JSON (the result's fields and its arrays as
// nested lists) or .npz (result.npy, the JSON text as a uint8 array, and
// one .npy per array).
func (a *api) respond(w http.ResponseWriter, format string, res any, arrays map[string]array) {
	js, err := marshalResult(res)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the result: %v", err)
		return
	}
	var buf bytes.Buffer
	switch format {
	case "npz":
		err = writeNPZ(&buf, js, arrays)
		w.Header().Set("Content-Type", npzType)
		w.Header().Set("Content-Disposition", `attachment; filename="result.npz"`)
	default:
		err = appendJSONArrays(&buf, js, arrays)
		w.Header().Set("Content-Type", "application/json")
	}
	if err != nil {
		w.Header().Del("Content-Disposition")
		writeError(w, http.StatusInternalServerError, "encoding the result: %v", err)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// marshalResult encodes a result as the CLI prints it with --json (its
// fields in their order), on one line, without escaping <, > and &.
func marshalResult(res any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// appendJSONArrays writes the JSON object js with the arrays added as
// members after its own (2-D arrays as lists of rows), in name order.
func appendJSONArrays(buf *bytes.Buffer, js []byte, arrays map[string]array) error {
	if len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
		return fmt.Errorf("result is not a JSON object")
	}
	buf.Write(js[:len(js)-1])
	sep := ","
	if len(bytes.TrimSpace(js[1:len(js)-1])) == 0 {
		sep = ""
	}
	for _, name := range sortedKeys(arrays) {
		ar := arrays[name]
		var v any = ar.vals
		if len(ar.shape) == 2 {
			rows := make([][]float64, ar.shape[0])
			for i := range rows {
				rows[i] = ar.vals[i*ar.shape[1] : (i+1)*ar.shape[1]]
			}
			v = rows
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(buf, "%s%q:", sep, name)
		buf.Write(b)
		sep = ","
	}
	buf.WriteString("}\n")
	return nil
}

// writeNPZ writes an uncompressed .npz (as numpy.savez does): result.npy
// holding the JSON text as uint8, then one .npy per array (2-D arrays
// through gonum's mat.Dense, which npyio writes with their shape). The
// entries are stored, not deflated: float data hardly compresses, and
// deflating an 8 MB plan cost more than the solve.
func writeNPZ(w io.Writer, js []byte, arrays map[string]array) error {
	zw := zip.NewWriter(w)
	entry := func(name string, v any) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<16)
		if err := npyio.Write(bw, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return bw.Flush()
	}
	if err := entry("result", js); err != nil {
		return err
	}
	for _, name := range sortedKeys(arrays) {
		ar := arrays[name]
		var v any = ar.vals
		if len(ar.shape) == 2 {
			v = mat.NewDense(ar.shape[0], ar.shape[1], ar.vals)
		}
		if err := entry(name, v); err != nil {
			return err
		}
	}
	return zw.Close()
}

func sortedKeys(m map[string]array) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
