// Package jsonout writes otplay's JSON reports so that they always print.
//
// encoding/json refuses NaN and ±Inf ("json: unsupported value"), which
// once made a command fail after its work was done and its files were
// written. Write encodes like encoding/json (the same field names, tags,
// omitempty and escaping; it uses github.com/go-json-experiment/json with
// its v1 options) except that a non-finite float64 or float32 becomes
// null. When the report is a JSON object, every such value is also listed
// in a top-level member "nonfinite" that maps the value's JSON pointer
// (RFC 6901) to what it was:
//
//	{"cost": null, ..., "nonfinite": {"/cost": "+Inf"}}
//
// so a reader can tell a missing value from an infinite one. Write also
// returns that list, for a note on stderr.
package jsonout

import (
	"bytes"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// NonFinite is one value written as null: its JSON pointer and "NaN",
// "+Inf" or "-Inf".
type NonFinite struct {
	Pointer string
	Value   string
}

// Marshal encodes v (see the package comment) with an indent of two
// spaces when indent is true, and a final newline. It returns the
// non-finite values it wrote as null, in document order.
func Marshal(v any, indent bool) ([]byte, []NonFinite, error) {
	var nf []NonFinite
	null := func(enc *jsontext.Encoder, x float64) error {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return json.SkipFunc
		}
		if err := enc.WriteToken(jsontext.Null); err != nil {
			return err
		}
		// After the write, the pointer names the value just written.
		nf = append(nf, NonFinite{Pointer: string(enc.StackPointer()), Value: name(x)})
		return nil
	}
	ms := json.JoinMarshalers(
		json.MarshalToFunc(null),
		json.MarshalToFunc(func(enc *jsontext.Encoder, x float32) error { return null(enc, float64(x)) }),
	)
	var buf bytes.Buffer
	if err := json.MarshalWrite(&buf, v, jsonv1.DefaultOptionsV1(), json.WithMarshalers(ms)); err != nil {
		return nil, nil, err
	}
	out := bytes.TrimRight(buf.Bytes(), "\n")
	if len(nf) > 0 && len(out) > 1 && out[0] == '{' {
		m := make(map[string]string, len(nf))
		for _, e := range nf {
			m[e.Pointer] = e.Value
		}
		extra, err := json.Marshal(m, json.Deterministic(true))
		if err != nil {
			return nil, nil, err
		}
		body := bytes.TrimSpace(out[1 : len(out)-1])
		var b bytes.Buffer
		b.WriteByte('{')
		if len(body) > 0 {
			b.Write(body)
			b.WriteByte(',')
		}
		b.WriteString(`"nonfinite":`)
		b.Write(extra)
		b.WriteByte('}')
		out = b.Bytes()
	}
	if indent {
		val := jsontext.Value(bytes.Clone(out))
		if err := val.Indent(jsontext.WithIndent("  "), jsontext.EscapeForHTML(true)); err != nil {
			return nil, nil, err
		}
		out = val
	}
	return append(out, '\n'), nf, nil
}

// Write writes Marshal's output to w.
func Write(w io.Writer, v any, indent bool) ([]NonFinite, error) {
	b, nf, err := Marshal(v, indent)
	if err != nil {
		return nil, err
	}
	_, err = w.Write(b)
	return nf, err
}

// Note is a one-line note about nf for stderr, or "" when nf is empty.
func Note(nf []NonFinite) string {
	if len(nf) == 0 {
		return ""
	}
	parts := make([]string, len(nf))
	for i, e := range nf {
		parts[i] = e.Pointer + " = " + e.Value
	}
	sort.Strings(parts)
	const most = 8
	more := ""
	if len(parts) > most {
		more = ", ..."
		parts = parts[:most]
	}
	return "non-finite values written as JSON null: " + strings.Join(parts, ", ") + more
}

func name(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case x > 0:
		return "+Inf"
	}
	return "-Inf"
}
