//go:build webview

package main

/*
#cgo linux openbsd freebsd netbsd pkg-config: gtk+-3.0
#if defined(__linux__) || defined(__OpenBSD__) || defined(__FreeBSD__) || defined(__NetBSD__)
#include <gtk/gtk.h>
static int otplay_display_ok(void) { return gtk_init_check(NULL, NULL); }
#else
static int otplay_display_ok(void) { return 1; }
#endif
*/
import "C"

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"

	webview "github.com/webview/webview_go"
)

// openWindow opens url in a native window (github.com/webview/webview_go:
// WebKitGTK on Linux) and returns when the window is closed or ctx ends.
// Each page's first result goes to report. It must run on the main
// goroutine: webview_go locks it to the main thread, where GTK runs.
func openWindow(ctx context.Context, url string, report func(location, resultJSON string), stdout io.Writer) error {
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("%w: neither DISPLAY nor WAYLAND_DISPLAY is set (over ssh, use otplay serve and a browser on your side)", errNoWindow)
	}
	// webview_create returns NULL when GTK cannot open the display, and
	// webview_go then crashes on the first call: check first (GTK's
	// initialisation is idempotent).
	if C.otplay_display_ok() == 0 {
		return fmt.Errorf("%w: GTK cannot open the display %q", errNoWindow, os.Getenv("DISPLAY")+os.Getenv("WAYLAND_DISPLAY"))
	}
	w := webview.New(false)
	defer w.Destroy()
	w.SetTitle("otplay")
	w.SetSize(appWindowWidth, appWindowHeight, webview.HintNone)
	if err := w.Bind("otplayAppResult", report); err != nil {
		return err
	}
	w.Init(resultHookScript)
	w.Navigate(url)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			w.Dispatch(w.Terminate)
		case <-done:
		}
	}()
	fmt.Fprintf(stdout, "otplay app: window open on %s (close it, or Ctrl-C, to stop)\n", url)
	w.Run()
	return nil
}
