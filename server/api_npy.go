package server

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"

	"github.com/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/internal/jsonout"
)

// npzType is the media type of .npz answers.
const npzType = "application/x-npz"

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

// marshalResult encodes a result exactly as the CLI prints it with
// --json, on one line (internal/jsonout: the fields in their order, a
// non-finite number as null and listed under "nonfinite").
func marshalResult(res any) ([]byte, error) {
	b, _, err := jsonout.Marshal(res, false)
	return bytes.TrimRight(b, "\n"), err
}

// appendJSONArrays writes the JSON object js with the arrays added as
// members after its own (2-D arrays as lists of rows), in name order.
// Non-finite array values are written as null and listed, with those of
// js, in a last member "nonfinite" (as internal/jsonout does).
func appendJSONArrays(buf *bytes.Buffer, js []byte, arrays map[string]array) error {
	if len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
		return fmt.Errorf("result is not a JSON object")
	}
	body := js[1 : len(js)-1]
	nonfinite := map[string]string{}
	// jsonout puts "nonfinite" last: take it off, to add the arrays' own.
	if k := bytes.LastIndex(body, []byte(`"nonfinite":{`)); k >= 0 {
		if err := json.Unmarshal(body[k+len(`"nonfinite":`):], &nonfinite); err != nil {
			return fmt.Errorf("nonfinite: %w", err)
		}
		body = bytes.TrimRight(body[:k], ",")
	}
	buf.WriteByte('{')
	buf.Write(body)
	sep := ","
	if len(bytes.TrimSpace(body)) == 0 {
		sep = ""
	}
	num := func(name string, i int, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			ptr := "/" + name + "/" + strconv.Itoa(i)
			if sh := arrays[name].shape; len(sh) == 2 {
				cols := sh[1]
				ptr = "/" + name + "/" + strconv.Itoa(i/cols) + "/" + strconv.Itoa(i%cols)
			}
			nonfinite[ptr] = nonFiniteName(v)
			buf.WriteString("null")
			return
		}
		buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), v, 'g', -1, 64))
	}
	for _, name := range sortedKeys(arrays) {
		ar := arrays[name]
		fmt.Fprintf(buf, "%s%q:[", sep, name)
		sep = ","
		cols := len(ar.vals)
		if len(ar.shape) == 2 {
			cols = ar.shape[1]
		}
		for i, v := range ar.vals {
			if i > 0 {
				buf.WriteByte(',')
			}
			if len(ar.shape) == 2 && i%cols == 0 {
				buf.WriteByte('[')
			}
			num(name, i, v)
			if len(ar.shape) == 2 && i%cols == cols-1 {
				buf.WriteByte(']')
			}
		}
		buf.WriteByte(']')
	}
	if len(nonfinite) > 0 {
		b, err := json.Marshal(nonfinite) // map keys sorted
		if err != nil {
			return err
		}
		buf.WriteString(sep + `"nonfinite":`)
		buf.Write(b)
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

// nonFiniteName is "NaN", "+Inf" or "-Inf", as internal/jsonout lists them.
func nonFiniteName(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v > 0:
		return "+Inf"
	}
	return "-Inf"
}

func sortedKeys(m map[string]array) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
