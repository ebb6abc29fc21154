package play

import (
	"net/url"
	"testing"
)

// FuzzDecodeQuery feeds arbitrary query strings to every page's URL-state
// parser. Whatever the input: Decode does not panic; the state it returns
// is valid (every value accepted by its parameter, in canonical form);
// Encode of that state decodes, without error, to the same state; and a
// query that Validate accepts decodes without error. The seed corpus is
// in testdata/fuzz/FuzzDecodeQuery (run: go test ./play -run '^$' -fuzz
// FuzzDecodeQuery -fuzztime 60s).
func FuzzDecodeQuery(f *testing.F) {
	for _, s := range []string{
		"", "?", "n=512&eps=0.1", "eps=-1", "eps=NaN", "eps=Inf", "eps=1e-400", "n=1e3", "n=%zz",
		"method=partial&mass=0.5", "x=moons&x=circles", "epz=1", "n=9007199254740993", "eps=0x1p-3",
		"steps=+5", "n= 12 ", "a=1;b=2", "tau=1e6&method=unbalanced", "view=ot-plan&autoplay=1",
	} {
		f.Add(s)
	}
	pages := Pages()
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range pages {
			st, err := p.Schema.DecodeQuery(raw)
			for _, prm := range p.Schema {
				v := st.String(prm.Name)
				c, cerr := prm.Canonical(v)
				if cerr != nil || c != v {
					t.Fatalf("%s: DecodeQuery(%q) left %s = %q (canonical %q, %v)", p.Path, raw, prm.Name, v, c, cerr)
				}
			}
			enc := st.Encode()
			back, berr := p.Schema.DecodeQuery(enc)
			if berr != nil || back.Encode() != enc {
				t.Fatalf("%s: %q encodes to %q, which decodes to %q, %v", p.Path, raw, enc, back.Encode(), berr)
			}
			if q, perr := url.ParseQuery(raw); perr == nil && p.Schema.Validate(q) == nil && err != nil {
				t.Fatalf("%s: Validate accepts %q but Decode says %v", p.Path, raw, err)
			}
		}
	})
}
