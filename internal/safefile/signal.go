package safefile

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

var (
	signalOnce sync.Once
	hook       atomic.Pointer[func()]
)

// HandleSignals installs, once per process, the handler for SIGINT and
// SIGTERM: it removes the temporary files in flight (RemoveTemps) and
// exits with status 128 + the signal number. While an interrupt hook is
// set (OnInterrupt), the first SIGINT calls the hook instead.
func HandleSignals() {
	signalOnce.Do(func() {
		umask() // read the umask before other goroutines create files
		c := make(chan os.Signal, 4)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		go func() {
			for s := range c {
				if s == os.Interrupt {
					if f := hook.Swap(nil); f != nil {
						(*f)()
						continue
					}
				}
				RemoveTemps()
				code := 130
				if s == syscall.SIGTERM {
					code = 143
				}
				os.Exit(code)
			}
		}()
	})
}

// OnInterrupt sets f to run (in the signal handler's goroutine, once) on
// the next SIGINT instead of exiting; f should only tell the work to stop
// (cancel a context). It returns a function that removes the hook.
func OnInterrupt(f func()) (remove func()) {
	hook.Store(&f)
	return func() { hook.CompareAndSwap(&f, nil) }
}
