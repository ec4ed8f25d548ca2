package promfake

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// The example recordings of hack/recordgen (go run ./hack/recordgen).
const (
	examplesDir     = "../testdata/recorded"
	exampleUpdateAt = "2026-11-24T10:00:00Z"
)

var virtualT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func loadFile(t *testing.T, path string, opts RecordedOptions) (*Store, RecordedSummary) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	s := NewStore()
	sum, err := LoadRecorded(s, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, sum
}

// queriesAgree runs the same queries over two stores at many times and
// compares the answers, as the HTTP API would print them.
func queriesAgree(t *testing.T, a, b *Store, queries []string, from, to time.Time, step time.Duration) {
	t.Helper()
	e := NewEngine()
	ctx := context.Background()
	for _, q := range queries {
		n := 0
		for at := from; !at.After(to); at = at.Add(step) {
			ra, errA := e.Instant(ctx, a, q, at)
			rb, errB := e.Instant(ctx, b, q, at)
			if errA != nil || errB != nil {
				t.Fatalf("%s at %s: %v / %v", q, at, errA, errB)
			}
			ja, _ := QueryDataJSON(ra.Value)
			jb, _ := QueryDataJSON(rb.Value)
			if !bytes.Equal(ja, jb) {
				t.Fatalf("%s at %s:\n%s\n%s", q, at, ja, jb)
			}
			if !strings.Contains(string(ja), `"result":[]`) {
				n++
			}
		}
		ra, err := e.Range(ctx, a, q, from, to, step)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := e.Range(ctx, b, q, from, to, step)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := QueryDataJSON(ra.Value)
		jb, _ := QueryDataJSON(rb.Value)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("range %s differs", q)
		}
		if n == 0 {
			t.Errorf("%s: never any answer", q)
		}
	}
}

// Analysis queries as the scenarios write them.
var recordedQueries = []string{
	`sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/shop/checkout/.*", envoy_response_code_class="2"}[1m])) /
	 sum(irate(envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"httproute/shop/checkout/.*"}[1m]))`,
	`sum(rate(envoy_cluster_upstream_rq{envoy_response_code=~"5.."}[2m])) / sum(rate(envoy_cluster_upstream_rq_total[2m]))`,
	`envoy_cluster_upstream_rq_total`,
	`increase(envoy_cluster_upstream_rq_xx[5m])`,
}

// The OpenMetrics and the query_range JSON form of each example answer every
// query the same, on the virtual clock, and the degrading canary shows.
func TestRecordedExamplesAgree(t *testing.T) {
	updateAt, _ := time.Parse(time.RFC3339, exampleUpdateAt)
	opts := RecordedOptions{UpdateAt: updateAt, T0: virtualT0}
	for _, name := range []string{"canary-degrades", "canary-healthy"} {
		t.Run(name, func(t *testing.T) {
			om, sumOM := loadFile(t, filepath.Join(examplesDir, name+".om"), opts)
			js, sumJS := loadFile(t, filepath.Join(examplesDir, name+".json"), opts)
			if sumOM.Format != FormatOpenMetrics || sumJS.Format != FormatJSON {
				t.Errorf("formats %s, %s", sumOM.Format, sumJS.Format)
			}
			if storeText(om) != storeText(js) {
				t.Errorf("the two forms hold different samples")
			}
			if sumOM.Series != 12 || !sumOM.Covers(updateAt.Add(-time.Hour), updateAt.Add(time.Hour)) ||
				!sumOM.VirtualMin.Equal(virtualT0.Add(-time.Hour)) || !sumOM.VirtualMax.Equal(virtualT0.Add(time.Hour)) {
				t.Errorf("summary %+v", sumOM)
			}
			queriesAgree(t, om, js, recordedQueries, virtualT0.Add(-50*time.Minute), virtualT0.Add(time.Hour), 37*time.Second)

			// The success rate 2 minutes in tells the two apart.
			e := NewEngine()
			v := vector(t, e, om, recordedQueries[0], virtualT0.Add(2*time.Minute))
			if len(v) != 1 {
				t.Fatalf("success rate: %v", v)
			}
			degraded := v[0].F < 0.97
			if degraded != (name == "canary-degrades") {
				t.Errorf("success rate at 2m: %v", v[0].F)
			}
		})
	}
}

// promtool is Debian's prometheus package: apt-get install -y prometheus.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: install it with `apt-get install -y prometheus` (Debian) to check recordings against the real tools")
	}
	return path
}

func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// A recording backfilled by promtool and dumped back with `promtool tsdb
// dump` reads into the same series as the OpenMetrics file itself.
func TestRecordedPromtoolRoundTrip(t *testing.T) {
	pt := promtool(t)
	dir := t.TempDir()

	// A recording with metadata, a histogram (le already canonical: newer
	// Prometheus normalises "1" to "1.0", older keeps it as written),
	// escapes and fractional seconds, next to a real example.
	var b strings.Builder
	b.WriteString("# HELP lat Request latency.\n# TYPE lat histogram\n# UNIT lat_seconds seconds\n")
	for i := range 600 {
		ts := 1795510800 + 15*i
		for j, le := range []string{"0.5", "1.0", "+Inf"} {
			fmt.Fprintf(&b, "lat_bucket{route=\"a\\\"b\",le=%q} %d %d.25\n", le, i*(j+1), ts)
		}
		fmt.Fprintf(&b, "lat_count{route=\"a\\\"b\"} %d %d.25\n", i*3, ts)
		fmt.Fprintf(&b, "lat_sum{route=\"a\\\"b\"} %g %d.25\n", float64(i)*0.37, ts)
	}
	b.WriteString("# TYPE temp gauge\ntemp{site=\"é\"} -1.5e-07 1795510800\ntemp{site=\"é\"} 2e+21 1795514400.5\n# EOF\n")
	example, err := os.ReadFile(filepath.Join(examplesDir, "canary-degrades.om"))
	if err != nil {
		t.Fatal(err)
	}
	for name, om := range map[string][]byte{"synthetic": []byte(b.String()), "example": example} {
		t.Run(name, func(t *testing.T) {
			omPath := filepath.Join(dir, name+".om")
			if err := os.WriteFile(omPath, om, 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, name+"-data")
			runTool(t, pt, "tsdb", "create-blocks-from", "openmetrics", omPath, db)
			// promtool 2.42's dump opens the WAL, which a backfill does
			// not write.
			if err := os.MkdirAll(filepath.Join(db, "wal"), 0o755); err != nil {
				t.Fatal(err)
			}
			dump := runTool(t, pt, "tsdb", "dump", db)

			fromOM, sumOM := loadFile(t, omPath, RecordedOptions{})
			fromDump := NewStore()
			sumDump, err := LoadRecorded(fromDump, bytes.NewReader(dump), RecordedOptions{Name: "dump"})
			if err != nil {
				t.Fatal(err)
			}
			if sumDump.Format != FormatDump || sumOM.Format != FormatOpenMetrics {
				t.Errorf("formats %s, %s", sumOM.Format, sumDump.Format)
			}
			if got, want := storeText(fromDump), storeText(fromOM); got != want {
				t.Errorf("promtool's dump reads differently:\n%.2000s\nwant\n%.2000s", got, want)
			}
			if sumOM.Samples != sumDump.Samples || sumOM.Series != sumDump.Series || sumOM.Samples < 1000 {
				t.Errorf("summaries %+v / %+v", sumOM, sumDump)
			}
			t.Logf("%s: %d series, %d samples, identical through promtool %s", name, sumOM.Series, sumOM.Samples,
				strings.Fields(string(runTool(t, pt, "--version")))[2])
		})
	}
}

// Our OpenMetrics writer produces what promtool backfills.
func TestRecordedWriterPromtool(t *testing.T) {
	pt := promtool(t)
	src := NewStore()
	ref := src.Series(labels.FromStrings("__name__", "x", "v", "a\"b\\c\nd é"))
	for i := range 100 {
		if err := src.Append(ref, time.Unix(1795510800+int64(i)*15, 0), float64(i)/3); err != nil {
			t.Fatal(err)
		}
	}
	var om bytes.Buffer
	if err := WriteOpenMetrics(&om, src); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	omPath := filepath.Join(dir, "w.om")
	if err := os.WriteFile(omPath, om.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "data")
	runTool(t, pt, "tsdb", "create-blocks-from", "openmetrics", omPath, db)
	if err := os.MkdirAll(filepath.Join(db, "wal"), 0o755); err != nil {
		t.Fatal(err)
	}
	back := NewStore()
	if _, err := LoadRecorded(back, bytes.NewReader(runTool(t, pt, "tsdb", "dump", db)), RecordedOptions{}); err != nil {
		t.Fatal(err)
	}
	if storeText(back) != storeText(src) {
		t.Errorf("through promtool:\n%.500s\nwant\n%.500s", storeText(back), storeText(src))
	}
}
