//go:build !js

package ui

// lastPublished holds what publishResult was last given outside a browser
// (component tests read it).
var lastPublished struct {
	page string
	json string
}

func publishResult(page string, v any) {
	text, err := resultJSON(v)
	if err != nil {
		text = err.Error()
	}
	lastPublished.page, lastPublished.json = page, text
}
