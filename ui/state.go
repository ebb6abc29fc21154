package ui

import "github.com/otplay/otplay/play"

// The URL state system lives in package play (go-app-free, shared with the
// server and the native tests); these aliases keep the views' code short.
type (
	Kind   = play.Kind
	Param  = play.Param
	Schema = play.Schema
	State  = play.State
	Tour   = play.Tour
)

// Parameter kinds (see play.Kind).
const (
	KindInt    = play.KindInt
	KindFloat  = play.KindFloat
	KindChoice = play.KindChoice
)

// PageURL returns the link to a page with its state.
func PageURL(path string, st State) string { return play.PageURL(path, st) }
