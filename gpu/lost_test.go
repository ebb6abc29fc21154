package gpu

import (
	"errors"
	"strings"
	"testing"
)

// TestLostChan: the channel is open while the device is usable and is
// closed, once, by the first loss, with Lost saying why (a second loss
// neither panics nor changes the reason).
func TestLostChan(t *testing.T) {
	d := &Device{lostC: make(chan struct{})}
	select {
	case <-d.LostChan():
		t.Fatal("LostChan closed before any loss")
	default:
	}
	d.markLost("test: first")
	d.markLost("test: second")
	select {
	case <-d.LostChan():
	default:
		t.Fatal("LostChan still open after markLost")
	}
	if err := d.Lost(); !errors.Is(err, ErrDeviceLost) || !strings.Contains(err.Error(), "first") {
		t.Errorf("Lost() = %v, want ErrDeviceLost with the first reason", err)
	}
}
