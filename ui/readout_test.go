package ui

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// numSpan is numberSpans' markup around one number.
var numSpan = regexp.MustCompile(`<span class="otplay-num">([^<]*)</span>`)

// pageHTML renders c as HTML with the read-outs' number spans unwrapped,
// so that tests find a read-out's text ("eps = 0.05") as the reader sees
// it.
func pageHTML(c app.UI) string {
	return numSpan.ReplaceAllString(app.HTMLString(c), "$1")
}

// The numbers of a read-out value, each in one span, the text unchanged;
// digits inside words stay text.
func TestNumberSpans(t *testing.T) {
	for _, c := range []struct {
		text string
		nums []string
	}{
		{"1.399e-05 / 3.2e+06", []string{"1.399e-05", "3.2e+06"}},
		{"(0.1, -0.25) at t = .5", []string{"0.1", "-0.25", ".5"}},
		{"the CPU backend is the float64 reference itself", nil},
		{"SW_2 = 7, x1 -Inf NaN", []string{"7", "-Inf", "NaN"}},
		{"16 x 16 points in 2-D", []string{"16", "16", "2"}},
		{"", nil},
		{"<P, C> = 2 & 3", []string{"2", "3"}},
	} {
		out := app.HTMLString(valueCell(c.text))
		var got []string
		for _, m := range numSpan.FindAllStringSubmatch(out, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, "|") != strings.Join(c.nums, "|") {
			t.Errorf("numberSpans(%q): numbers %q, want %q", c.text, got, c.nums)
		}
		if text := numSpan.ReplaceAllString(out, "$1"); !strings.Contains(text, `<span class="otplay-value">`+html.EscapeString(c.text)+`</span>`) {
			t.Errorf("numberSpans(%q) renders %q, want the same text", c.text, text)
		}
	}
}
