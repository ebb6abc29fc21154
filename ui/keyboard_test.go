package ui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestKeyButtons(t *testing.T) {
	cases := map[string][]string{
		" ":          {KeyPause, KeyPlay},
		"Spacebar":   {KeyPause, KeyPlay},
		"ArrowRight": {KeyStep},
		"Right":      {KeyStep},
		"ArrowLeft":  nil,
		"Enter":      nil,
		"s":          nil,
	}
	for key, want := range cases {
		if got := keyButtons(key); !reflect.DeepEqual(got, want) {
			t.Errorf("keyButtons(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestTypingInto(t *testing.T) {
	for _, c := range []struct {
		tag      string
		editable bool
		want     bool
	}{
		{"INPUT", false, true}, {"select", false, true}, {"TEXTAREA", false, true},
		{"DIV", true, true}, {"BODY", false, false}, {"BUTTON", false, false}, {"", false, false},
	} {
		if got := typingInto(c.tag, c.editable); got != c.want {
			t.Errorf("typingInto(%q, %v) = %v, want %v", c.tag, c.editable, got, c.want)
		}
	}
}

// The Step, Play and Pause buttons carry data-key (the shortcuts' opt-in)
// and say their key in the tooltip; other buttons carry nothing.
func TestButtonShortcutMarks(t *testing.T) {
	html := func(ui app.UI) string {
		var b strings.Builder
		app.PrintHTML(&b, ui)
		return b.String()
	}
	for id, want := range map[string]string{"step": `data-key="step"`, "play": `data-key="play"`, "pause": `data-key="pause"`, "next": `data-key="step"`} {
		got := html(button(id, "X", false, nil))
		if !strings.Contains(got, want) || !strings.Contains(got, "(key: ") {
			t.Errorf("button %s: %s, want %s and the key in the title", id, got, want)
		}
	}
	if got := html(button("reset", "Reset", false, nil)); strings.Contains(got, "data-key") {
		t.Errorf("reset button marked for a shortcut: %s", got)
	}
}
