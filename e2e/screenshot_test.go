package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshotsVar names the folder that keeps the tests' screenshots; where
// it is unset, no screenshot is taken.
const screenshotsVar = "OTPLAY_SCREENSHOTS"

// shot saves a screenshot of the tab's viewport as
// $OTPLAY_SCREENSHOTS/PAGE-WIDTH.png (page names the page and, after a
// hyphen, what the picture shows: "ot", "ot-map", "bridge-momentum") and
// returns its path; without the variable it does nothing and returns "".
func shot(t *testing.T, tb *tab, page string, width int64) string {
	t.Helper()
	dir := os.Getenv(screenshotsVar)
	if dir == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%d.png", page, width))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
	return p
}
