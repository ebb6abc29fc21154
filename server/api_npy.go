package server

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
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
