package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// allowDownloads makes the browser save downloads into a fresh directory
// under their own names (the download attribute), and restores the
// default at the end of the test.
func allowDownloads(t *testing.T, tb *tab) string {
	t.Helper()
	dir := t.TempDir()
	set := func(behavior browser.SetDownloadBehaviorBehavior, path string) error {
		_, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: behavior, DownloadPath: path})
		return err
	}
	if err := set(browser.SetDownloadBehaviorBehaviorAllow, dir); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	t.Cleanup(func() { set(browser.SetDownloadBehaviorBehaviorDefault, "") })
	return dir
}

// waitFile waits until the browser has finished writing the file (it
// writes a .crdownload first and renames it) and returns its contents.
func waitFile(t *testing.T, tb *tab, path string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			names := []string{}
			for _, e := range entries {
				names = append(names, e.Name())
			}
			status := eval[string](t, tb, `(document.getElementById("export-status") || {}).textContent || ""`)
			t.Fatalf("no download %s within %v (directory holds %v; page says %q)\nconsole:\n%s", filepath.Base(path), timeout, names, status, tb.console())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Export on /ot and /sliced produces files: the plan view as a PNG, the
// plan as CSV (every entry of a small problem) and the whole state as
// JSON, downloaded by the browser into a directory.
func TestExportDownloads(t *testing.T) {
	tb := newTab(t)
	dir := allowDownloads(t, tb)

	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?n=30&m=20&eps=0.1&backend=cpu"))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	click(t, tb, "step")
	waitOT(t, tb, "f.iteration === 1", 20*time.Second)

	click(t, tb, "export-ot-plan")
	png := waitFile(t, tb, filepath.Join(dir, "ot-plan.png"), 10*time.Second)
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		t.Errorf("ot-plan.png: %d bytes, starts %q", len(png), png[:min(8, len(png))])
	}
	click(t, tb, "export-plan-csv")
	rows, err := csv.NewReader(bytes.NewReader(waitFile(t, tb, filepath.Join(dir, "ot-plan.csv"), 10*time.Second))).ReadAll()
	if err != nil || len(rows) != 1+30*20 {
		t.Errorf("ot-plan.csv: %d rows, %v (want the header and 600 entries)", len(rows), err)
	}
	click(t, tb, "export-json")
	var ote ui.OTExport
	if err := json.Unmarshal(waitFile(t, tb, filepath.Join(dir, "ot.json"), 10*time.Second), &ote); err != nil {
		t.Fatalf("ot.json: %v", err)
	}
	if ote.Iteration != 1 || len(ote.F) != 30 || ote.Plan.Format != "dense" {
		t.Errorf("ot.json: iteration %d, %d potentials, plan %s", ote.Iteration, len(ote.F), ote.Plan.Format)
	}
	if s := eval[string](t, tb, `document.getElementById("export-status").dataset.file`); s != "ot.json" {
		t.Errorf("export status names %q, want ot.json", s)
	}

	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.SlicedPath+"?n=50&m=40&L=30&backend=cpu"))
	poll[bool](t, tb, `(() => { const r = window.otplayResult; return !!r && r.page === "/sliced" && r.done; })()`, 40*time.Second)
	click(t, tb, "export-json")
	var se ui.SlicedExport
	if err := json.Unmarshal(waitFile(t, tb, filepath.Join(dir, "sliced.json"), 10*time.Second), &se); err != nil {
		t.Fatalf("sliced.json: %v", err)
	}
	sw := eval[float64](t, tb, `window.otplayResult.sw`)
	if se.L != 30 || len(se.X) != 50 || se.SW != sw || len(se.Shown.Mass) == 0 {
		t.Errorf("sliced.json: L %d, %d points, SW %g (page %g), %d plan entries", se.L, len(se.X), se.SW, sw, len(se.Shown.Mass))
	}
	click(t, tb, "export-sliced-curve")
	if png := waitFile(t, tb, filepath.Join(dir, "sliced-curve.png"), 10*time.Second); !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("sliced-curve.png is not a PNG")
	}
	tb.checkConsole(t)
}
