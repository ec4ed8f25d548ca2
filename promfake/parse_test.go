package promfake

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// scriptEval is one `eval` of an upstream test script, with the series its
// section loaded.
type scriptEval struct {
	where      string
	store      *Store
	query      string
	start, end time.Time
	step       time.Duration // 0: instant
}

var (
	evalRe = regexp.MustCompile(`^eval(?:_\w+)?\s+(?:instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.+)$`)
	loadRe = regexp.MustCompile(`^load\s+(\S+)$`)
)

// loadScripts reads the upstream promqltest scripts (upstreamScripts):
// their load sections (float series; others are skipped) and evals.
// floatScripts are the upstream engine's test scripts that use float samples
// only (the store holds no native histograms).
var floatScripts = []string{"aggregators", "at_modifier", "collision", "duration_expression", "functions",
	"limit", "literals", "name_label_dropping", "operators", "range_queries", "selectors", "staleness",
	"subquery", "trig_functions"}

// upstreamScripts finds floatScripts in the prometheus module this module
// builds with (promql/promqltest/testdata, Apache License 2.0), so that they
// are read where `go mod download` put them rather than copied here.
func upstreamScripts() ([]string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/prometheus/prometheus").Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m github.com/prometheus/prometheus: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "promql", "promqltest", "testdata")
	var files []string
	for _, n := range floatScripts {
		f := filepath.Join(dir, n+".test")
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func loadScripts(t *testing.T) []scriptEval {
	t.Helper()
	files, err := upstreamScripts()
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	epoch := time.Unix(0, 0).UTC()
	dur := func(s string) time.Duration {
		d, err := model.ParseDuration(s)
		if err != nil {
			t.Fatalf("duration %q: %v", s, err)
		}
		return time.Duration(d)
	}
	var evals []scriptEval
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		store := NewStore()
		var interval time.Duration // > 0 inside a load block
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			trimmed := strings.TrimSpace(line)
			if interval > 0 && line != trimmed && trimmed != "" {
				_ = LoadSeriesNotation(store, trimmed, "", epoch, interval) // histograms: skipped
				continue
			}
			interval = 0
			switch {
			case trimmed == "clear":
				store = NewStore()
			case loadRe.MatchString(trimmed):
				interval = dur(loadRe.FindStringSubmatch(trimmed)[1])
			case evalRe.MatchString(trimmed):
				m := evalRe.FindStringSubmatch(trimmed)
				ev := scriptEval{where: fmt.Sprintf("%s:%d", filepath.Base(f), n), store: store, query: m[5]}
				if m[1] != "" {
					ev.start = epoch.Add(dur(m[1]))
					ev.end = ev.start
				} else {
					ev.start, ev.end, ev.step = epoch.Add(dur(m[2])), epoch.Add(dur(m[3])), dur(m[4])
				}
				evals = append(evals, ev)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return evals
}

// answer runs an eval and prints everything a caller could see.
func (ev scriptEval) answer(e *Engine, shift time.Duration) string {
	ctx := context.Background()
	var res Result
	var err error
	if ev.step == 0 {
		res, err = e.Instant(ctx, ev.store, ev.query, ev.start.Add(shift))
	} else {
		res, err = e.Range(ctx, ev.store, ev.query, ev.start.Add(shift), ev.end.Add(shift), ev.step)
	}
	if v, ok := res.Value.(promql.Vector); ok && !strings.Contains(ev.query, "sort") {
		// The engine orders an instant vector by map iteration, unless
		// sorted: compare as promqltest does, unordered.
		v = slices.Clone(v)
		slices.SortFunc(v, func(a, b promql.Sample) int { return labels.Compare(a.Metric, b.Metric) })
		res.Value = v
	}
	return answerString(res, err)
}

func answerString(res Result, err error) string {
	var b strings.Builder
	if res.Value != nil {
		b.WriteString(res.Value.String())
	}
	fmt.Fprintf(&b, "\nwarnings %q\ninfos %q\nerr %v", res.Warnings, res.Infos, err)
	return b.String()
}

// bareEngine is an Engine without the parse cache: the upstream parser,
// a fresh tree for every query.
func bareEngine() *Engine {
	return &Engine{ng: promql.NewEngine(engineOpts(nil)), parser: newParseCache()}
}

// TestParseCacheUpstreamScripts evaluates every query of the upstream
// engine's own test scripts through the caching engine and through the
// upstream parser, and requires identical answers: first evaluation (a
// miss), second (a hit on a tree copied from the cache), at a second time
// and, for instants, as a range query, so that anything an evaluation left
// on a shared node would show.
func TestParseCacheUpstreamScripts(t *testing.T) {
	evals := loadScripts(t)
	if len(evals) < 1000 {
		t.Fatalf("only %d evals loaded", len(evals))
	}
	cached := NewEngine()
	bare := bareEngine()
	shifts := []time.Duration{0, 0, 37 * time.Second, -5 * time.Minute}
	for _, ev := range evals {
		for _, shift := range shifts {
			want, got := ev.answer(bare, shift), ev.answer(cached, shift)
			if got != want {
				t.Errorf("%s shift %s: %s\ncached engine:\n%s\nupstream parser:\n%s", ev.where, shift, ev.query, got, want)
			}
		}
		if ev.step == 0 {
			r := ev
			r.end, r.step = r.start.Add(10*time.Minute), time.Minute
			if got, want := r.answer(cached, 0), r.answer(bare, 0); got != want {
				t.Errorf("%s as range: %s\ncached engine:\n%s\nupstream parser:\n%s", ev.where, ev.query, got, want)
			}
		}
	}
	// The cache still holds pristine trees: what a fresh parse prints.
	n := 0
	for q, el := range cached.parser.entries {
		p := el.Value.(*parsed)
		if p.err != nil {
			continue
		}
		fresh, err := parser.NewParser(parser.Options{}).ParseExpr(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got, want := p.expr.String(), fresh.String(); got != want {
			t.Errorf("cached tree of %s changed: %s, want %s", q, got, want)
		}
		n++
	}
	t.Logf("%d evals, %d cached trees checked", len(evals), n)
}

// TestCopyExprIsDeep copies the tree of every script query and requires an
// equal tree that shares nothing with the original but label matchers and
// function definitions.
func TestCopyExprIsDeep(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	seen := map[string]bool{}
	checked := 0
	for _, ev := range loadScripts(t) {
		if seen[ev.query] {
			continue
		}
		seen[ev.query] = true
		orig, err := p.ParseExpr(ev.query)
		if err != nil {
			continue
		}
		// Preprocessed trees hold StepInvariantExpr and resolved fields too.
		if pre, err := promql.PreprocessExpr(orig, ev.start, ev.end, ev.step); err == nil {
			orig = pre
		}
		cp, ok := copyExpr(orig)
		if !ok {
			t.Fatalf("%s: copyExpr does not know a node of it", ev.query)
		}
		if !strings.Contains(strings.ToLower(ev.query), "nan") && !reflect.DeepEqual(cp, orig) { // NaN != NaN
			t.Errorf("%s: copy differs: %s", ev.query, cp)
		}
		if cp.String() != orig.String() {
			t.Errorf("%s: copy prints %s", ev.query, cp)
		}
		if path := shared(reflect.ValueOf(cp), reflect.ValueOf(orig), "expr"); path != "" {
			t.Errorf("%s: the copy shares %s", ev.query, path)
		}
		checked++
	}
	if checked < 500 {
		t.Fatalf("only %d queries checked", checked)
	}
}

var (
	matcherType  = reflect.TypeFor[*labels.Matcher]()
	functionType = reflect.TypeFor[*parser.Function]()
)

// shared returns the path of the first pointer or slice array a and b
// share, other than matchers and functions, or "".
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() || a.Type() == matcherType || a.Type() == functionType {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path + " (" + a.Type().String() + ")"
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 || b.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path + " (" + a.Type().String() + ")"
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// TestParseCacheShareMatchers: a cache hit reuses the compiled matchers.
func TestParseCacheShareMatchers(t *testing.T) {
	c := newParseCache()
	q := `sum(rate(x{a=~"b.*c"}[5m]))`
	e1, err := c.ParseExpr(q)
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := c.ParseExpr(q)
	m1, m2 := parser.ExtractSelectors(e1)[0], parser.ExtractSelectors(e2)[0]
	if &m1[0] == &m2[0] {
		t.Error("the matcher slices are shared")
	}
	if m1[0] != m2[0] {
		t.Error("the matchers are not shared")
	}
}

// TestParseCacheBounded: the cache keeps at most parseCacheEntries queries,
// the most recently used, and no long ones.
func TestParseCacheBounded(t *testing.T) {
	c := newParseCache()
	for i := range parseCacheEntries + 100 {
		if _, err := c.ParseExpr(fmt.Sprintf("x%d", i)); err != nil {
			t.Fatal(err)
		}
		_, _ = c.ParseExpr("x0") // kept hot
	}
	if got := c.lru.Len(); got != parseCacheEntries || len(c.entries) != parseCacheEntries {
		t.Fatalf("%d entries (%d in the map), want %d", got, len(c.entries), parseCacheEntries)
	}
	if _, ok := c.entries["x0"]; !ok {
		t.Error("the most used query was evicted")
	}
	if _, ok := c.entries["x1"]; ok {
		t.Error("the least recently used query was kept")
	}
	long := "x + " + strings.Repeat(" ", parseCacheMaxQuery) + "1"
	if _, err := c.ParseExpr(long); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.entries[long]; ok {
		t.Error("a long query was cached")
	}
}

// TestParseCacheConcurrent parses and evaluates the same queries from many
// goroutines (run with -race).
func TestParseCacheConcurrent(t *testing.T) {
	s := seedStore(t, 10*time.Minute, steady(85, 15))
	e := NewEngine()
	queries := []string{seedQuery, `sum by (envoy_response_code, envoy_cluster_name) (rate(envoy_cluster_upstream_rq[1m]))`, `max_over_time(envoy_cluster_upstream_rq_total[5m:30s] @ end())`}
	want := make([]string, len(queries))
	for i, q := range queries {
		want[i] = answerString(e.Instant(context.Background(), s, q, t0.Add(5*time.Minute)))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := (g + i) % len(queries)
				if got := answerString(e.Instant(context.Background(), s, queries[k], t0.Add(5*time.Minute))); got != want[k] {
					t.Errorf("%s: %s, want %s", queries[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}
