package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressBar draws "[#####.....] 45% 4500/10000 runs 612/s ETA 8s" on stderr,
// redrawn at most ten times a second; with mode "auto" only when stderr is a
// terminal, so logs and CI output never get it. The wall clock is read here only, for the
// display; it never reaches the simulation.
type progressBar struct {
	mu      sync.Mutex
	w       io.Writer
	unit    string // "runs", "scenarios"
	on      bool
	began   time.Time
	last    time.Time
	drawn   bool
	done    int
	total   int
	stopped bool
}

func newProgressBar(w io.Writer, mode, unit string) *progressBar {
	b := &progressBar{w: w, unit: unit, began: time.Now()}
	switch mode {
	case "always":
		b.on = true
	case "auto":
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				b.on = true
			}
		}
	}
	return b
}

func (b *progressBar) update(done, total int) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if done > b.done {
		b.done = done
	}
	b.total = total
	now := time.Now()
	if b.drawn && now.Sub(b.last) < 100*time.Millisecond && done < total {
		return
	}
	b.last = now
	b.draw(now)
}

func (b *progressBar) draw(now time.Time) {
	const width = 30
	frac := 0.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	fill := int(frac * width)
	elapsed := now.Sub(b.began).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(b.total-b.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %d/%d %s %.0f/s ETA %s   ",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), 100*frac, b.done, b.total, b.unit, rate, eta)
	b.drawn = true
}

func (b *progressBar) finish() {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn && !b.stopped {
		b.draw(time.Now())
		fmt.Fprintln(b.w)
	}
	b.stopped = true
}
