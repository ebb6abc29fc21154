package ui

import "strings"

// Keyboard shortcuts. Every page whose Step, Play and Pause buttons come
// from button (ids "step", "play", "pause"; "next" counts as a step) opts
// into them: button marks
// those buttons with data-key, and one document-wide keydown listener
// (installed by Routes in the browser) clicks the marked button a key
// names, if it is present and enabled:
//
//	space        Pause while playing, else Play
//	right arrow  Step
//
// Keys typed into a form field (input, select, textarea, an editable
// element) and keys with Ctrl, Alt or Meta held are left alone.
const (
	KeyPlay  = "play"
	KeyPause = "pause"
	KeyStep  = "step"
)

// keyButtons returns the data-key values a key press tries, in order: the
// first present and enabled button is clicked. Nil for keys without a
// shortcut.
func keyButtons(key string) []string {
	switch key {
	case " ", "Spacebar":
		return []string{KeyPause, KeyPlay}
	case "ArrowRight", "Right":
		return []string{KeyStep}
	}
	return nil
}

// typingInto reports whether a key press on an element with this tag name
// (upper or lower case) is text entry that the shortcuts must not steal.
func typingInto(tag string, editable bool) bool {
	switch strings.ToLower(tag) {
	case "input", "select", "textarea":
		return true
	}
	return editable
}

// shortcutKey returns the data-key of a button id, "" for other buttons.
// "next" (the next direction on /sliced) steps like "step".
func shortcutKey(id string) string {
	switch id {
	case KeyPlay, KeyPause, KeyStep:
		return id
	case "next":
		return KeyStep
	}
	return ""
}

// keyName is the key of a shortcut as the buttons' tooltips name it.
func keyName(dataKey string) string {
	if dataKey == KeyStep {
		return "right arrow"
	}
	return "space"
}
