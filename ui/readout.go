package ui

import (
	"html"
	"regexp"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// numberPattern matches a number as the read-outs print it: an optional
// sign, digits with an optional fraction, an optional exponent
// ("1.399e-05", "-0.25", "3e+06"), and the special values ±Inf and NaN.
var numberPattern = regexp.MustCompile(`[-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN`)

// numberSpans writes text as HTML, each number in a span of class
// otplay-num, which otplay.css keeps on one line: a browser may otherwise
// break "1.399e-05" after its exponent's hyphen. Digits that end a word
// ("float64", "SW_2") stay text. The text content is unchanged (tests and
// copy read it whole).
func numberSpans(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range numberPattern.FindAllStringIndex(text, -1) {
		if m[0] > 0 && partOfWord(text[m[0]-1]) {
			continue // the 64 of "float64", the 2 of "SW_2"
		}
		b.WriteString(html.EscapeString(text[last:m[0]]))
		b.WriteString(`<span class="otplay-num">`)
		b.WriteString(html.EscapeString(text[m[0]:m[1]]))
		b.WriteString(`</span>`)
		last = m[1]
	}
	b.WriteString(html.EscapeString(text[last:]))
	return b.String()
}

// partOfWord reports whether a number after byte b is part of a word or
// of a longer token rather than a number of its own.
func partOfWord(b byte) bool {
	return b == '_' || b == '.' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// valueCell is a read-out table's value cell: text with its numbers kept
// whole (numberSpans), as one raw span of class otplay-value (go-app's
// own nodes would do, but its HTML encoder indents each child on a line
// of its own, which the server's pre-rendered page would show as spaces
// around every number).
func valueCell(text string) app.HTMLTd {
	return app.Td().Body(app.Raw(`<span class="otplay-value">` + numberSpans(text) + `</span>`))
}

// resultRow is a read-out row: the quantity's name, then its value.
func resultRow(k, v string) app.UI {
	return app.Tr().Body(app.Th().Text(k), valueCell(v))
}
