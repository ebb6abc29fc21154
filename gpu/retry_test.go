package gpu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// retry stops at the first success, pauses with a doubling back-off between
// failures, gives up after the bound and names the last error.
func TestRetry(t *testing.T) {
	errLast := errors.New("request device on llvmpipe: out of memory")
	for _, tc := range []struct {
		attempts, fails int
		wantCalls       int
		wantSleeps      []time.Duration
		wantErr         bool
	}{
		{attempts: 5, fails: 0, wantCalls: 1},
		{attempts: 5, fails: 1, wantCalls: 2, wantSleeps: []time.Duration{10}},
		{attempts: 5, fails: 4, wantCalls: 5, wantSleeps: []time.Duration{10, 20, 40, 80}},
		{attempts: 5, fails: 99, wantCalls: 5, wantSleeps: []time.Duration{10, 20, 40, 80}, wantErr: true},
		{attempts: 1, fails: 99, wantCalls: 1, wantErr: true},
		{attempts: 0, fails: 0, wantCalls: 1}, // at least one try
	} {
		name := fmt.Sprintf("attempts=%d,fails=%d", tc.attempts, tc.fails)
		calls := 0
		var sleeps []time.Duration
		v, err := retry(tc.attempts, 10, func(d time.Duration) { sleeps = append(sleeps, d) }, func() (int, error) {
			calls++
			if calls <= tc.fails {
				if calls == tc.fails || calls == tc.attempts {
					return 0, errLast
				}
				return 0, fmt.Errorf("failure %d", calls)
			}
			return 42, nil
		})
		if calls != tc.wantCalls {
			t.Errorf("%s: %d calls, want %d", name, calls, tc.wantCalls)
		}
		if fmt.Sprint(sleeps) != fmt.Sprint(tc.wantSleeps) {
			t.Errorf("%s: pauses %v, want %v", name, sleeps, tc.wantSleeps)
		}
		if tc.wantErr {
			if err == nil || !errors.Is(err, errLast) {
				t.Errorf("%s: err = %v, want one wrapping the last failure %q", name, err, errLast)
			}
			if tc.attempts > 1 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d attempts", tc.attempts))) {
				t.Errorf("%s: err = %v, want it to name the %d attempts", name, err, tc.attempts)
			}
			continue
		}
		if err != nil || v != 42 {
			t.Errorf("%s: (%d, %v), want (42, nil)", name, v, err)
		}
	}
}

// The bound and back-off used for device opens stay under a second in all.
func TestOpenBackoffBounded(t *testing.T) {
	var total time.Duration
	retry(openAttempts, openBackoff, func(d time.Duration) { total += d }, func() (int, error) { return 0, errors.New("no") })
	if total <= 0 || total >= time.Second {
		t.Errorf("device-open pauses sum to %v, want a positive total under 1 s", total)
	}
}
