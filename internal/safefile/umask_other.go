//go:build !unix

package safefile

import "os"

// umask is 022 where the platform has none (files become 0644).
func umask() os.FileMode { return 0o022 }
