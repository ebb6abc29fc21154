package gpu

import (
	"fmt"
	"time"
)

// Device opens are retried: under load about 1 in 10 requests for a
// device on lavapipe failed ("request device", issue 9), and one in ~30 on
// an H100 (2026-11-22), each time succeeding when asked again.
const (
	openAttempts = 5                     // tries in all
	openBackoff  = 50 * time.Millisecond // the first pause; each next one doubles (50+100+200+400 ms at most)
)

// retry calls try up to attempts times (at least once) until it succeeds,
// pausing backoff, 2*backoff, 4*backoff, ... between failures through
// sleep. It returns try's result, or an error naming the attempts and
// wrapping the last failure.
func retry[T any](attempts int, backoff time.Duration, sleep func(time.Duration), try func() (T, error)) (T, error) {
	var zero T
	var err error
	for i := range max(attempts, 1) {
		if i > 0 {
			sleep(backoff)
			backoff *= 2
		}
		var v T
		if v, err = try(); err == nil {
			return v, nil
		}
	}
	if attempts <= 1 {
		return zero, err
	}
	return zero, fmt.Errorf("%d attempts failed, the last: %w", max(attempts, 1), err)
}
