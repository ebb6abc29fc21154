package play

import (
	"net/url"
	"strings"
	"testing"
)

var testSchema = Schema{
	{Name: "n", Kind: KindInt, Default: "100", Min: 1, Max: 1000},
	{Name: "eps", Kind: KindFloat, Default: "0.1", Min: 0, MinOpen: true, Max: 10},
	{Name: "mode", Kind: KindChoice, Default: "a", Choices: []string{"a", "b"}},
}

func TestSchemaCheck(t *testing.T) {
	if err := testSchema.Check(); err != nil {
		t.Fatal(err)
	}
	for _, p := range Pages() {
		if err := p.Schema.Check(); err != nil {
			t.Errorf("page %s: %v", p.Path, err)
		}
	}
	bad := []struct {
		s    Schema
		want string
	}{
		{Schema{{Name: "n", Kind: KindInt, Default: "1", Min: 0, Max: 2}, {Name: "n", Kind: KindInt, Default: "1", Min: 0, Max: 2}}, "twice"},
		{Schema{{Name: "x", Kind: KindFloat, Default: "0.10", Min: 0, Max: 1}}, "not canonical"},
		{Schema{{Name: "x", Kind: KindInt, Default: "5", Min: 0, Max: 2}}, "outside"},
		{Schema{{Kind: KindInt, Default: "1", Max: 2}}, "no name"},
		{Schema{{Name: "c", Kind: KindChoice, Default: "z", Choices: []string{"a"}}}, "want one of"},
	}
	for _, b := range bad {
		if err := b.s.Check(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Check(%v) = %v, want an error containing %q", b.s, err, b.want)
		}
	}
}

func TestDecodeEncode(t *testing.T) {
	st, err := testSchema.DecodeQuery("?n=250&eps=2e-3&mode=b&other=1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Int("n") != 250 || st.Float("eps") != 0.002 || st.String("mode") != "b" {
		t.Errorf("decoded n=%d eps=%g mode=%s", st.Int("n"), st.Float("eps"), st.String("mode"))
	}
	// Canonical, sorted, the unknown key dropped.
	if got, want := st.Encode(), "eps=0.002&mode=b&n=250"; got != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
	back, err := testSchema.DecodeQuery(st.Encode())
	if err != nil || back.Encode() != st.Encode() {
		t.Errorf("round trip: %q, %v", back.Encode(), err)
	}
	// Defaults are left out of links.
	if q := testSchema.Defaults().Encode(); q != "" {
		t.Errorf("defaults encode to %q, want empty", q)
	}
	if u := PageURL("/ot", testSchema.Defaults()); u != "/ot" {
		t.Errorf("PageURL(defaults) = %q", u)
	}
	if u := PageURL("/ot", st); u != "/ot?eps=0.002&mode=b&n=250" {
		t.Errorf("PageURL = %q", u)
	}
}

func TestDecodeBadValues(t *testing.T) {
	cases := []struct {
		query, param, want string
	}{
		{"n=abc", "n", `n = "abc": not an integer`},
		{"n=0", "n", "n = 0: outside [1, 1000]"},
		{"n=1001", "n", "outside"},
		{"n=2.5", "n", "not an integer"},
		{"eps=0", "eps", "eps = 0: outside (0, 10]"},
		{"eps=-1", "eps", "outside"},
		{"eps=NaN", "eps", "not a finite number"},
		{"eps=Inf", "eps", "not a finite number"},
		{"mode=c", "mode", `mode = "c": want one of a, b`},
	}
	for _, c := range cases {
		st, err := testSchema.DecodeQuery(c.query)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%q) error %v, want it to contain %q", c.query, err, c.want)
		}
		// The bad parameter keeps its default; the state stays valid.
		def := testSchema.Defaults()
		if st.String(c.param) != def.String(c.param) {
			t.Errorf("Decode(%q): %s = %q, want the default %q", c.query, c.param, st.String(c.param), def.String(c.param))
		}
	}
	// Two bad parameters: both named, the good one kept.
	st, err := testSchema.DecodeQuery("n=x&eps=-2&mode=b")
	if err == nil || !strings.Contains(err.Error(), "n = ") || !strings.Contains(err.Error(), "eps = ") {
		t.Errorf("two bad values: error %v", err)
	}
	if st.String("mode") != "b" {
		t.Errorf("mode = %q, want b", st.String("mode"))
	}
}

func TestWithAndValidate(t *testing.T) {
	st := testSchema.Defaults()
	st2, err := st.With("eps", "1e-1")
	if err != nil || st2.String("eps") != "0.1" {
		t.Errorf("With(eps, 1e-1) = %q, %v; want canonical 0.1", st2.String("eps"), err)
	}
	st3, err := st.With("n", "7")
	if err != nil || st3.Int("n") != 7 || st.Int("n") != 100 {
		t.Errorf("With(n, 7): new %d, old %d (must not change), %v", st3.Int("n"), st.Int("n"), err)
	}
	if _, err := st.With("n", "-3"); err == nil {
		t.Error("With(n, -3) accepted")
	}
	if _, err := st.With("zzz", "1"); err == nil || !strings.Contains(err.Error(), "zzz") {
		t.Errorf("With(zzz) = %v", err)
	}
	if err := testSchema.Validate(url.Values{"n": {"5"}, "epz": {"1"}}); err == nil || !strings.Contains(err.Error(), "epz: unknown parameter") {
		t.Errorf("Validate with a typo: %v", err)
	}
	if err := testSchema.Validate(url.Values{"n": {"5"}, "mode": {"b"}}); err != nil {
		t.Errorf("Validate good values: %v", err)
	}
}
