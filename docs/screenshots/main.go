// Command screenshots captures the playground pages for the README: it
// loads each page of a running `otplay serve` in headless Chromium with
// WebGPU, presses Play (or Step), waits, and saves the viewport as PNG.
//
//	otplay serve --addr 127.0.0.1:8091 &
//	go run ./docs/screenshots --url http://127.0.0.1:8091 --out docs/img
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "address of a running otplay serve")
	out := flag.String("out", "docs/img", "folder for the PNG files")
	pages := flag.String("pages", "/ot,/diffusion,/bridge,/patch", "comma-separated routes (with query)")
	wait := flag.Duration("play", 8*time.Second, "how long each page plays before the capture")
	chromium := flag.String("chromium", "/usr/lib/chromium/chromium", "Chromium binary")
	phone := flag.Bool("phone", false, "capture at phone size (390x844, mobile) into NAME-phone.png instead of 1280x800")
	flag.Parse()
	if err := run(*base, *out, strings.Split(*pages, ","), *wait, *chromium, *phone); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(base, out string, pages []string, wait time.Duration, chromium string, phone bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "otplay-shots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts, chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.UserDataDir(profile),
		chromedp.Flag("enable-unsafe-webgpu", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 800), chromedp.CombinedOutput(io.Discard))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	for _, p := range pages {
		ctx, cancelTab := chromedp.NewContext(actx)
		ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
		file := filepath.Join(out, name(p)+".png")
		var err error
		if phone {
			file = filepath.Join(out, name(p)+"-phone.png")
			err = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		} else {
			err = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
		}
		if err == nil {
			err = shoot(ctx, base+p, file, wait)
		}
		cancelTime()
		cancelTab()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fmt.Println("wrote", file)
	}
	return nil
}

func name(route string) string {
	route = strings.SplitN(route, "?", 2)[0]
	return strings.Trim(strings.ReplaceAll(route, "/", "-"), "-")
}

// press clicks the first enabled button whose text is label.
func press(label string) string {
	return fmt.Sprintf(`(() => { const b = [...document.querySelectorAll("button")].find(b => b.textContent.trim() === %q && !b.disabled); if (b) { b.click(); return true; } return false; })()`, label)
}

func shoot(ctx context.Context, url, file string, wait time.Duration) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return err
	}
	// The page publishes window.otplayResult once its first result is drawn.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(window.otplayResult && window.otplayResult.done)`,
		chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
		return fmt.Errorf("waiting for the first result: %w", err)
	}
	played, err := chromedp.Run(ctx, chromedp.Evaluate[bool](press("Play")))
	if err != nil {
		return err
	}
	time.Sleep(wait)
	if played {
		chromedp.Run(ctx, chromedp.Evaluate[bool](press("Pause")))
		time.Sleep(500 * time.Millisecond)
	}
	// The first screen as a reader sees it, unscrolled: the page puts its
	// main view there.
	time.Sleep(300 * time.Millisecond)
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(file, buf, 0o644)
}
