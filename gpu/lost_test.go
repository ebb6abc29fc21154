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

// TestLostBeforeReadback: once the device is lost, Read (whose read-back
// buffer is kept between calls) and Wait report ErrDeviceLost before
// touching the device or that buffer (here there is neither).
func TestLostBeforeReadback(t *testing.T) {
	d := &Device{lostC: make(chan struct{})}
	d.markLost("test")
	if _, err := d.Read(&Buffer{words: 8}, 0, 4); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Read after loss: %v, want ErrDeviceLost", err)
	}
	if err := d.Wait(); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Wait after loss: %v, want ErrDeviceLost", err)
	}
	if d.staging != nil {
		t.Error("Read after loss created a read-back buffer")
	}
}
