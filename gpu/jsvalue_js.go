//go:build js

package gpu

import "syscall/js"

type jsValue = js.Value
