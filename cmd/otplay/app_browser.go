//go:build !webview

package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
)

// openBrowser opens url in the default browser: xdg-open on Linux and
// the BSDs, open on macOS, the URL protocol handler on Windows. Tests
// replace it.
var openBrowser = func(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	go cmd.Wait()
	return nil
}

// openWindow, in a binary built without the webview tag, opens url in the
// default browser, says so, and serves until ctx ends (Ctrl-C). The
// browser's pages log no results here.
func openWindow(ctx context.Context, url string, _ func(location, resultJSON string), stdout io.Writer) error {
	fmt.Fprintf(stdout, "otplay app: this otplay was built without the desktop window (make app builds it, with the webview tag); opening %s in your default browser. Ctrl-C stops the server.\n", url)
	if err := openBrowser(url); err != nil {
		fmt.Fprintf(stdout, "otplay app: could not start a browser (%v): open %s yourself\n", err, url)
	}
	<-ctx.Done()
	return nil
}
