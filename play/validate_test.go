package play

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

// The /validate model runs the quick suite on the CPU without a browser:
// every check passes, progress names check k of N in order before each,
// and the state round-trips through the URL.
func TestValidateModel(t *testing.T) {
	st, err := ValidateSchema.DecodeQuery("backend=cpu")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseValidate(st)
	if err != nil || v.Full || v.Suite() != "quick" {
		t.Fatalf("parsed %+v, %v", v, err)
	}
	if back, err := v.State(); err != nil || back.Encode() != st.Encode() {
		t.Fatalf("state %q, want %q (%v)", back.Encode(), st.Encode(), err)
	}
	var seen []Progress
	run, err := v.Start(context.Background(), compute.NewCPU(0), func(p Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 0, false)
	if err != nil || !f.Finished() {
		t.Fatalf("frame %+v, %v", f, err)
	}
	if len(f.Checks) < 20 || f.Failed != 0 {
		t.Fatalf("%d checks, %d failed", len(f.Checks), f.Failed)
	}
	if len(seen) != len(f.Checks) {
		t.Fatalf("%d progress reports for %d checks", len(seen), len(f.Checks))
	}
	for i, p := range seen {
		want := CheckProgress("quick", i+1, len(f.Checks), f.Checks[i].Op+" "+f.Checks[i].Case)
		if p != want || !strings.Contains(p.Phase, "quick conformance suite") || !strings.Contains(p.Phase, fmt.Sprintf("check %d of %d: ", i+1, len(f.Checks))) {
			t.Fatalf("progress %d = %+v, want %+v", i, p, want)
		}
	}
}
