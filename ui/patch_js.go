//go:build js

package ui

import (
	"errors"
	"fmt"
	"syscall/js"
)

// readUploadedFile reads the file chosen in the <input type="file"> with
// the given id. It refuses files larger than limit bytes before reading
// them. It awaits a JavaScript promise (File.arrayBuffer), so call it from
// a goroutine (ctx.Async), never from an event handler.
func readUploadedFile(inputID string, limit int) ([]byte, string, error) {
	in := js.Global().Get("document").Call("getElementById", inputID)
	if !in.Truthy() || in.Get("files").Length() == 0 {
		return nil, "", errors.New("no file chosen")
	}
	f := in.Get("files").Index(0)
	name, size := f.Get("name").String(), f.Get("size").Int()
	if size > limit {
		return nil, name, fmt.Errorf("%s is %.1f MB: the limit is %d MB", name, float64(size)/(1<<20), limit>>20)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	var ok, fail js.Func
	ok = js.FuncOf(func(this js.Value, args []js.Value) any {
		u8 := js.Global().Get("Uint8Array").New(args[0])
		b := make([]byte, u8.Length())
		js.CopyBytesToGo(b, u8)
		done <- result{b: b}
		return nil
	})
	fail = js.FuncOf(func(this js.Value, args []js.Value) any {
		done <- result{err: fmt.Errorf("reading %s: %s", name, args[0].Call("toString").String())}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	f.Call("arrayBuffer").Call("then", ok, fail)
	r := <-done
	return r.b, name, r.err
}

// saveDataURL downloads a data: URL (the result image) as a file.
func saveDataURL(name, url string) { clickDownload(url, name) }
