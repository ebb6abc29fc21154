package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// webviewPkgConfigEnv points pkg-config at scripts/pkgconfig when the
// system lacks webkit2gtk-4.0 (Debian 12 and newer have only 4.1), as the
// Makefile does: webview_go asks for 4.0.
func webviewPkgConfigEnv() []string {
	if exec.Command("pkg-config", "--exists", "webkit2gtk-4.0").Run() == nil {
		return nil
	}
	dir, _ := filepath.Abs("../scripts/pkgconfig")
	if old := os.Getenv("PKG_CONFIG_PATH"); old != "" {
		dir += string(os.PathListSeparator) + old
	}
	return []string{"PKG_CONFIG_PATH=" + dir}
}

// needDesktop skips (or, under OTPLAY_REQUIRE_BROWSER / CI, fails) when
// what the desktop test needs is missing: Xvfb and WebKitGTK's
// development files (scripts/install-test-deps.sh installs them on
// Debian).
func needDesktop(t *testing.T) {
	t.Helper()
	var missing []string
	for _, bin := range []string{"Xvfb", "pkg-config"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if exec.Command("pkg-config", "--exists", "webkit2gtk-4.1").Run() != nil && exec.Command("pkg-config", "--exists", "webkit2gtk-4.0").Run() != nil {
		missing = append(missing, "WebKitGTK (libwebkit2gtk-4.1-dev)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "the desktop window test needs " + strings.Join(missing, ", ") + " (scripts/install-test-deps.sh)"
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startXvfb starts a virtual X display (1280x900, 24-bit) for the test
// and returns its DISPLAY value and the file where Xvfb keeps its screen
// (-fbdir: the framebuffer as an XWD image, always current).
func startXvfb(t *testing.T) (display, screenFile string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// -displayfd 3: Xvfb picks a free display and writes its number there.
	fbdir := t.TempDir()
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1280x900x24", "-fbdir", fbdir, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { cancel(); cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if n == "" {
			t.Fatalf("Xvfb gave no display number:\n%s", logs.String())
		}
		return ":" + n, filepath.Join(fbdir, "Xvfb_screen0")
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb did not start:\n%s", logs.String())
	}
	return "", ""
}

// lineBuffer collects a process's output and lets the test wait for a
// line matching a pattern.
type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the output matches re and returns the match's
// groups.
func (l *lineBuffer) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration, exited <-chan struct{}) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(l.String()); m != nil {
			return m
		}
		select {
		case <-exited:
			t.Fatalf("otplay app exited before %q:\n%s", re, l.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v:\n%s", re, timeout, l.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drawn reports whether a screenshot holds a drawn page: many colours,
// and a good part of the screen different from its most common colour;
// it describes what it saw.
func drawn(img image.Image) (bool, string) {
	counts := map[uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[(r>>8)<<16|(g>>8)<<8|bl>>8]++
		}
	}
	total, most := 0, 0
	for _, n := range counts {
		total += n
		most = max(most, n)
	}
	other := 1 - float64(most)/float64(total)
	return len(counts) >= 32 && other >= 0.02, fmt.Sprintf("%d colours, %.1f%% of pixels differ from the most common colour", len(counts), 100*other)
}

// plotted reports whether a screenshot of /ot shows the computed plan
// view: its source points and its target's legend in the playground's
// point colours (matplotlib's tab10 blue #1f77b4 and orange #ff7f0e),
// which the page before its first result does not draw (5 blue-ish and
// no orange pixels there; 110-170 and 14-26 once computed, on a 1280x860
// window whose fold cuts the plot).
func plotted(img image.Image) (bool, string) {
	near := func(want [3]int) int {
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				px := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
				close := true
				for i := range px {
					if d := px[i] - want[i]; d < -24 || d > 24 {
						close = false
					}
				}
				if close {
					n++
				}
			}
		}
		return n
	}
	blue, orange := near([3]int{0x1f, 0x77, 0xb4}), near([3]int{0xff, 0x7f, 0x0e})
	return blue >= 40 && orange >= 5, fmt.Sprintf("%d source-blue and %d target-orange pixels", blue, orange)
}

// screenshot reads the virtual screen from Xvfb's framebuffer file, an
// XWD image (X11's xwd format: a header of 25 big-endian 32-bit fields,
// the window name, the colormap, then the rows of pixels), and writes it
// as a PNG to pngFile for a person to look at.
func screenshot(t *testing.T, screenFile, pngFile string) image.Image {
	t.Helper()
	b, err := os.ReadFile(screenFile)
	if err != nil {
		t.Fatalf("reading the screen: %v", err)
	}
	img, err := decodeXWD(b)
	if err != nil {
		t.Fatalf("decoding the screen %s: %v", screenFile, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pngFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

// decodeXWD decodes a ZPixmap XWD image of 24 or 32 bits per pixel with
// 8-bit red, green and blue masks (what Xvfb -screen WxHx24 writes).
func decodeXWD(b []byte) (image.Image, error) {
	if len(b) < 100 {
		return nil, fmt.Errorf("%d bytes, too short for an XWD header", len(b))
	}
	field := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	headerSize, version, format := field(0), field(1), field(2)
	width, height := int(field(4)), int(field(5))
	byteOrder, bitsPerPixel, bytesPerLine := field(7), int(field(11)), int(field(12))
	masks := [3]uint32{field(14), field(15), field(16)}
	ncolors := int(field(19))
	if version != 7 || format != 2 || (bitsPerPixel != 32 && bitsPerPixel != 24) {
		return nil, fmt.Errorf("XWD version %d, format %d, %d bits per pixel: want version 7, ZPixmap (2), 24 or 32 bits", version, format, bitsPerPixel)
	}
	start := int(headerSize) + 12*ncolors
	if width <= 0 || height <= 0 || start+height*bytesPerLine > len(b) {
		return nil, fmt.Errorf("XWD %dx%d with %d bytes per line does not fit %d bytes", width, height, bytesPerLine, len(b))
	}
	shift := func(m uint32) uint {
		s := uint(0)
		for m != 0 && m&1 == 0 {
			m >>= 1
			s++
		}
		return s
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	bpp := bitsPerPixel / 8
	for y := 0; y < height; y++ {
		row := b[start+y*bytesPerLine:]
		for x := 0; x < width; x++ {
			var v uint32
			px := row[x*bpp : x*bpp+bpp]
			for i := range bpp {
				if byteOrder == 0 { // LSBFirst
					v |= uint32(px[i]) << (8 * i)
				} else {
					v = v<<8 | uint32(px[i])
				}
			}
			o := img.PixOffset(x, y)
			for c, m := range masks {
				img.Pix[o+c] = uint8((v & m) >> shift(m))
			}
			img.Pix[o+3] = 255
		}
	}
	return img, nil
}

// otplay app, built with the webview tag and the playground compiled in,
// opens /ot in a WebKitGTK window on a virtual display: the server inside
// the process answers on its loopback port, the page computes on this
// machine's backend through it (native compute; the app logs the page's
// first result and its backend), a screenshot of the screen shows the
// drawn page, and Ctrl-C closes the window and stops the server. The
// screenshot is Xvfb's own framebuffer file (no screenshot tool needed);
// OTPLAY_APP_SCREENSHOT=FILE.png keeps a copy.
func TestDesktopApp(t *testing.T) {
	needDesktop(t)
	bin := buildEmbeddedOtplay(t, "webview")
	display, screenFile := startXvfb(t)

	var out lineBuffer
	// The page's backend=auto (the default) takes the app's server (this
	// machine's backend): the window has no WebGPU. The server's backend
	// is --backend auto, the default, so the app probes the adapters with
	// DISPLAY set, where the binding's uninitialised instance extras once
	// aborted it (see gpu/instance_native.go); on a machine whose only
	// adapter is lavapipe auto then takes cpu32.
	cmd := exec.Command(bin, "app", "--page", "/ot?n=40&m=30&eps=0.1")
	cmd.Dir = t.TempDir() // any folder: the playground is in the binary
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "WAYLAND_DISPLAY=")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})

	base := out.waitFor(t, regexp.MustCompile(`serving the playground at (http://127\.0\.0\.1:\d+/)`), 60*time.Second, exited)[1]
	resp, err := http.Get(base + "api/info")
	if err != nil {
		t.Fatalf("the app's server: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %sapi/info: %d", base, resp.StatusCode)
	}
	computed := out.waitFor(t, regexp.MustCompile(`otplay app: (/ot\?\S+) (computed on|failed:) (.*)`), 180*time.Second, exited)
	if computed[2] != "computed on" {
		t.Fatalf("the page failed: %s", computed[3])
	}
	if !strings.HasPrefix(computed[3], "native: ") {
		t.Errorf("the window computed on %s, want the app's native backend (native: ...)", computed[3])
	}
	t.Logf("window: %s computed on %s", computed[1], computed[3])

	// The page has drawn when it publishes its result; WebKit on a
	// software display, on a loaded machine, may take a while more to put
	// it on screen, so the screen is read until it shows the computed
	// plot (or 120 s pass).
	shot := filepath.Join(t.TempDir(), "app.png")
	var ok, plot bool
	var seen string
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		img := screenshot(t, screenFile, shot)
		ok, seen = drawn(img)
		var points string
		plot, points = plotted(img)
		seen += "; " + points
		if ok && plot {
			break
		}
	}
	t.Logf("screenshot: %s", seen)
	if !ok || !plot {
		t.Errorf("the window does not show the computed page: %s", seen)
	}
	if dst := os.Getenv("OTPLAY_APP_SCREENSHOT"); dst != "" {
		if b, err := os.ReadFile(shot); err == nil {
			os.WriteFile(dst, b, 0o644)
		}
	}

	// Ctrl-C closes the window; the server stops with it.
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("otplay app did not exit after SIGINT:\n%s", out.String())
	}
	if waitErr != nil {
		t.Errorf("otplay app: %v\n%s", waitErr, out.String())
	}
	if !strings.Contains(out.String(), "window closed, server stopped") {
		t.Errorf("otplay app did not say it stopped:\n%s", out.String())
	}
	client := http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(base + "api/info"); err == nil {
		resp.Body.Close()
		t.Errorf("the server still answers at %s after the window closed", base)
	}
}
