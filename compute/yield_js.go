//go:build js

package compute

import "time"

// yieldEvery is the longest the CPU backend computes in the browser before
// it lets the page's event loop run (wasm is single-threaded: a long loop
// would otherwise freeze the page, its buttons and its drawing).
const yieldEvery = 25 * time.Millisecond

var lastYield = time.Now()

// YieldDue lets long host-side loops of the solvers (an exact assignment,
// a host sort) give the browser's event loop a turn too; natively it does
// nothing.
func YieldDue() { yieldDue() }

// yieldDue gives the browser's event loop a turn once yieldEvery has
// passed since the last one: time.Sleep in a js/wasm program returns
// control to JavaScript until the timer fires.
func yieldDue() {
	if time.Since(lastYield) > yieldEvery {
		time.Sleep(time.Millisecond)
		lastYield = time.Now()
	}
}
