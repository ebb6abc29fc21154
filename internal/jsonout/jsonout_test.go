package jsonout

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

type report struct {
	Method string             `json:"method"`
	Cost   float64            `json:"cost"`
	Tau    float64            `json:"tau,omitempty"`
	Value  *float64           `json:"value,omitempty"`
	Rows   []row              `json:"rows"`
	Map    map[string]float64 `json:"map,omitempty"`
	F32    float32            `json:"f32"`
	hidden int
}

type row struct {
	MMD *float64 `json:"mmd,omitempty"`
	X   float64  `json:"x"`
}

func TestMarshalMatchesEncodingJSONWhenFinite(t *testing.T) {
	v := 2.5
	r := report{Method: "sinkhorn<&>", Cost: 0.1, Value: &v, Rows: []row{{X: 1e-300}, {MMD: &v, X: 3}}, F32: 1.5,
		Map: map[string]float64{"z": 1, "a": 2, "m": 3, "b": -0.5}}
	for _, indent := range []bool{false, true} {
		got, nf, err := Marshal(r, indent)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		if indent {
			want, _ = json.MarshalIndent(r, "", "  ")
		} else {
			want, _ = json.Marshal(r)
		}
		if string(got) != string(want)+"\n" || nf != nil {
			t.Errorf("indent %v:\n got %s\nwant %s", indent, got, want)
		}
	}
	// nil slices and maps as encoding/json writes them.
	got, _, _ := Marshal(report{}, false)
	want, _ := json.Marshal(report{})
	if string(got) != string(want)+"\n" {
		t.Errorf("zero report:\n got %s\nwant %s", got, want)
	}
}

func TestMarshalNonFinite(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		v    any
		want string
		ptrs []string
	}{
		{"a field +Inf (--tau +Inf)", report{Method: "unbalanced", Tau: inf}, `"tau":null`, []string{"/tau"}},
		{"NaN cost", report{Cost: math.NaN()}, `"cost":null`, []string{"/cost"}},
		{"pointer in a slice", report{Rows: []row{{X: 1}, {MMD: &inf}}}, `"mmd":null`, []string{"/rows/1/mmd"}},
		{"float32 -Inf", report{F32: float32(math.Inf(-1))}, `"f32":null`, []string{"/f32"}},
		{"map value", report{Map: map[string]float64{"a": math.NaN()}}, `"a":null`, []string{"/map/a"}},
		{"top-level array", []float64{1, math.NaN()}, `[1,null]`, []string{"/1"}},
	} {
		b, nf, err := Marshal(c.v, false)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		s := string(b)
		if !strings.Contains(s, c.want) {
			t.Errorf("%s: %s lacks %s", c.name, s, c.want)
		}
		if len(nf) != len(c.ptrs) || nf[0].Pointer != c.ptrs[0] {
			t.Errorf("%s: non-finite %v, want pointers %v", c.name, nf, c.ptrs)
		}
		var back any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%s: output is not JSON: %v\n%s", c.name, err, s)
		}
		if obj, ok := back.(map[string]any); ok {
			m, _ := obj["nonfinite"].(map[string]any)
			if m[c.ptrs[0]] != nf[0].Value {
				t.Errorf("%s: nonfinite member %v, want %s: %s", c.name, obj["nonfinite"], nf[0].Value, s)
			}
		}
	}
	if n := Note([]NonFinite{{"/cost", "+Inf"}}); !strings.Contains(n, "/cost = +Inf") {
		t.Errorf("Note = %q", n)
	}
}
