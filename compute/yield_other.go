//go:build !js

package compute

// yieldDue does nothing natively: only the single-threaded browser build
// must hand control back to the event loop during long work.
func yieldDue() {}
