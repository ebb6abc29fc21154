package main

import (
	"fmt"
	"io"

	"github.com/otplay/otplay/internal/jsonout"
)

// writeJSON prints a command's --json report through jsonout (NaN and
// ±Inf as null, listed in "nonfinite", with a note on stderr) and returns
// the exit status: 0, or 1 when stdout fails.
func writeJSON(stdout, stderr io.Writer, name string, v any) int {
	nf, err := jsonout.Write(stdout, v, true)
	if err != nil {
		fmt.Fprintf(stderr, "otplay %s: %v\n", name, err)
		return 1
	}
	if note := jsonout.Note(nf); note != "" {
		fmt.Fprintf(stderr, "otplay %s: note: %s\n", name, note)
	}
	return 0
}
