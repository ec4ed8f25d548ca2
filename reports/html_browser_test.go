package reports_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/reports"
	"github.com/rollsim/rollsim/sim"
)

// TestHTMLRendersInChromium renders an HTML report in headless Chromium and
// takes a screenshot: the page must paint the verdict badge and the chart's
// measurement colours. Set ROLLSIM_SCREENSHOT_DIR to keep the PNG. Skipped
// when no Chromium is installed (CI installs Debian's chromium).
func TestHTMLRendersInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium on PATH (apt-get install -y chromium)")
	}
	in, err := scenario.Load("../scenarios/inline-analysis-abort.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), in, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := reports.HTML(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1100,900", "--screenshot="+shot, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("ROLLSIM_SCREENSHOT_DIR"); d != "" {
		raw, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(d, "inline-analysis-abort.png"), raw, 0o644)
	}
	// The Aborted badge and the Failed measurement are #cf222e; the success
	// threshold is #1a7f37.
	if n := count(img, 0xcf, 0x22, 0x2e); n < 200 {
		t.Errorf("only %d red pixels: the verdict badge or the failed measurement did not paint", n)
	}
	if n := count(img, 0x1a, 0x7f, 0x37); n < 20 {
		t.Errorf("only %d green pixels: the threshold line did not paint", n)
	}
}

func count(img image.Image, r, g, b uint8) int {
	n := 0
	bounds := img.Bounds()
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d > -12 && d < 12
	}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if near(cr, r) && near(cg, g) && near(cb, b) {
				n++
			}
		}
	}
	return n
}
