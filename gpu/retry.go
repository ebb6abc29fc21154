package gpu

import (
	"fmt"
	"time"
)

// Device opens are retried, for failures that pass (a driver short of
// memory while the machine is loaded). The "request device" failure seen in
// about 1 in 10 opens under load was not one: it came from heap garbage
// passed as a required limit, failed on every retry, and is fixed at its
// cause (deviceLimits).
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
