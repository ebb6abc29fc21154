package ui

import (
	"net/url"
	"strings"
	"testing"
)

func TestApplyState(t *testing.T) {
	cases := []struct {
		path, current string
		values        url.Values
		replace       bool
		want, err     string
	}{
		{"/embed/ot", "?n=50&eps=0.2", url.Values{"eps": {"0.1"}}, false, "/embed/ot?eps=0.1&n=50", ""},
		{"/embed/ot", "?n=50&eps=0.2", url.Values{"eps": {"0.1"}}, true, "/embed/ot?eps=0.1", ""},
		{"/check", "", url.Values{"n": {"64"}, "backend": {"cpu"}}, false, "/check?backend=cpu&n=64", ""},
		// A bad current value falls back to its default; the message's
		// value is applied.
		{"/embed/ot", "?n=zzz", url.Values{"m": {"10"}}, false, "/embed/ot?m=10", ""},
		{"/embed/ot", "", url.Values{"eps": {"-1"}}, false, "", "eps = -1: outside"},
		{"/embed/ot", "", url.Values{"epz": {"1"}}, false, "", "epz: unknown parameter"},
		{"/embed/nope", "", url.Values{}, false, "", "not a playground page"},
		// The embed-only parameters survive a set, and a set may change them.
		{"/embed/ot", "?n=50&autoplay=1&view=ot-plan", url.Values{"eps": {"0.1"}}, false, "/embed/ot?eps=0.1&n=50&autoplay=1&view=ot-plan", ""},
		{"/embed/ot", "?view=ot-plan", url.Values{"view": {"ot-chart"}}, true, "/embed/ot?view=ot-chart", ""},
		{"/embed/ot", "", url.Values{"view": {"x{}"}}, false, "", "want a view id"},
	}
	for _, c := range cases {
		got, err := ApplyState(c.path, c.current, c.values, c.replace)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ApplyState(%s, %q, %v) error %v, want %q", c.path, c.current, c.values, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ApplyState(%s, %q, %v, %v) = %q, %v; want %q", c.path, c.current, c.values, c.replace, got, err, c.want)
		}
	}
}
