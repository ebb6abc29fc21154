//go:build !js

package compute

// yieldDue does nothing natively: only the single-threaded browser build
// must hand control back to the event loop during long work.
func yieldDue() {}

// YieldDue lets long host-side loops of the solvers give the browser's
// event loop a turn; natively it does nothing.
func YieldDue() {}
