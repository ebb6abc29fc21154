package main

import (
	"bytes"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		count, total int
		elapsed      time.Duration
		want         string
	}{
		{0, 100, 0, "solve [........................] 0/100"},
		{25, 100, 5 * time.Second, "solve [######..................] 25/100  5 it/s  ETA 15s"},
		{100, 100, 80 * time.Second, "solve [########################] 100/100  1.25 it/s  ETA 0s"},
		{1, 3600, time.Second, "solve [........................] 1/3600  1 it/s  ETA 59m59s"},
		{1, 7300, time.Second, "solve [........................] 1/7300  1 it/s  ETA 2h01m"},
	} {
		if got := progressLine("solve", "it", c.count, c.total, c.elapsed, ""); got != c.want {
			t.Errorf("progressLine(%d/%d, %v) = %q, want %q", c.count, c.total, c.elapsed, got, c.want)
		}
	}
}

// TestProgressOffTerminal: a bar on anything but a terminal draws nothing.
func TestProgressOffTerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "x", "it", 10)
	p.start = time.Now().Add(-time.Hour)
	for i := range 10 {
		p.Set(i, "")
	}
	p.Finish()
	if b.Len() != 0 || p.active {
		t.Errorf("a bar on a buffer wrote %q", b.String())
	}
}
