//go:build unix

package safefile

import (
	"os"
	"sync"
	"syscall"
)

var umaskOnce = sync.OnceValue(func() os.FileMode {
	// syscall.Umask both sets and returns the mask; set it back at once.
	// Done once, early, before other goroutines create files.
	m := syscall.Umask(0o22)
	syscall.Umask(m)
	return os.FileMode(m)
})

func umask() os.FileMode { return umaskOnce() }
