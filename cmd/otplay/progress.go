package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progressBar draws "label [####....] count/total  rate/s  ETA" on a
// terminal, redrawn in place at most ten times a second. On anything
// else (a file, a pipe, a test's buffer) it draws nothing, so no carriage
// returns end up in logs or in JSON read from 2>&1.
type progressBar struct {
	w      io.Writer
	label  string
	unit   string
	total  int
	start  time.Time
	last   time.Time
	drawn  bool
	active bool
}

// isTerminal reports whether w is a terminal (golang.org/x/term).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a bar over total steps of unit (e.g. "it") on w,
// active only when w is a terminal.
func newProgress(w io.Writer, label, unit string, total int) *progressBar {
	return &progressBar{w: w, label: label, unit: unit, total: total, start: time.Now(), active: isTerminal(w)}
}

// Set shows count of total done, with an optional note (a residual, a
// loss) after the ETA.
func (p *progressBar) Set(count int, note string) {
	if p == nil || !p.active {
		return
	}
	now := time.Now()
	if p.drawn && now.Sub(p.last) < 100*time.Millisecond && count < p.total {
		return
	}
	if !p.drawn && now.Sub(p.start) < 500*time.Millisecond {
		return // short runs draw nothing
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+progressLine(p.label, p.unit, count, p.total, now.Sub(p.start), note)+"\x1b[K")
	p.drawn = true
}

// Finish ends the bar's line (if one was drawn).
func (p *progressBar) Finish() {
	if p != nil && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// progressLine renders one bar: count of total, the rate per second and
// the time left at that rate.
func progressLine(label, unit string, count, total int, elapsed time.Duration, note string) string {
	const width = 24
	count = max(0, min(count, total))
	done := 0
	if total > 0 {
		done = count * width / total
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s%s] %d/%d", label, strings.Repeat("#", done), strings.Repeat(".", width-done), count, total)
	secs := elapsed.Seconds()
	if secs > 0 && count > 0 {
		rate := float64(count) / secs
		left := time.Duration(float64(total-count) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  %.3g %s/s  ETA %s", rate, unit, formatETA(left))
	}
	if note != "" {
		b.WriteString("  " + note)
	}
	return b.String()
}

// formatETA prints a duration as 1h02m, 3m05s or 7s.
func formatETA(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}
