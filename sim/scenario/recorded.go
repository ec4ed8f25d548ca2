package scenario

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/promfake"
)

// Recording is one entry of spec.recorded: series exported from a real
// Prometheus, replayed with the recorded update instant at t=0.
type Recording struct {
	// File is the recording, relative to the scenario file: OpenMetrics
	// (backfill style, with timestamps), the JSON of a query or query_range
	// answer, or `promtool tsdb dump` output; gzipped when it ends in .gz.
	File string `json:"file"`
	// UpdateAt is the recorded instant that becomes t=0 (RFC 3339).
	UpdateAt string `json:"updateAt"`
	// Format overrides the detection: openmetrics, json or promtool-dump.
	Format string `json:"format,omitempty"`
}

// Recorded is the scenario's recordings, loaded once (when the file is
// loaded) into one store that every run shares read-only: a run clones it
// (promfake.Store.Clone, which shares the samples) and writes its synthetic
// series into the clone. Variants of the input (Clone) share it too.
type Recorded struct {
	Store     *promfake.Store
	Summaries []promfake.RecordedSummary
	// T0 is the virtual time every recording's updateAt was shifted to (the
	// scenario's start when loaded); From and To the virtual span of all the
	// recorded samples.
	T0, From, To time.Time
	// UpdateAt are the recordings' parsed updateAt, in spec order.
	UpdateAt []time.Time

	key string // the spec.recorded it was loaded for
}

// Recorded is the loaded recordings, nil without spec.recorded.
func (in *Input) Recorded() *Recorded { return in.recorded }

// SyntheticTraffic reports whether the traffic model writes series: always
// without spec.recorded; with it only when spec.traffic is given (or a
// variant sets it, as `rollsim tune --degrade` does), and then only the
// canary's share (CanaryOnly).
func (in *Input) SyntheticTraffic() bool { return in.recorded == nil || in.trafficGiven }

// CanaryOnly reports whether the traffic model writes only the requests the
// canary answers: with a recording, which stands for the traffic the stable
// served, spec.traffic describes the canary's requests added on top.
func (in *Input) CanaryOnly() bool { return in.recorded != nil && in.trafficGiven }

func trafficGiven(tr *Traffic) bool { return !reflect.ValueOf(*tr).IsZero() }

// recordedFormats maps spec.recorded[].format values to the loader's.
var recordedFormats = map[string]promfake.RecordedFormat{
	"":              promfake.FormatAuto,
	"openmetrics":   promfake.FormatOpenMetrics,
	"json":          promfake.FormatJSON,
	"promtool-dump": promfake.FormatDump,
}

// loadRecorded reads spec.recorded into a store, once: a revalidated
// variant with the same recordings and start keeps the loaded store.
func (in *Input) loadRecorded(bad func(fieldPath, format string, args ...any) error) error {
	recs := in.Scenario.Spec.Recorded
	if len(recs) == 0 {
		in.recorded = nil
		return nil
	}
	start := in.Settings().Start
	key := fmt.Sprintf("%+v", recs)
	if in.recorded != nil && in.recorded.key == key {
		return nil
	}
	rec := &Recorded{Store: promfake.NewStore(), T0: start, key: key}
	dir := filepath.Dir(in.File)
	for i, r := range recs {
		p := fmt.Sprintf("spec.recorded[%d]", i)
		if r.File == "" {
			return bad(p+".file", "required: the recording, relative to this file (OpenMetrics, query_range JSON or promtool tsdb dump)")
		}
		format, ok := recordedFormats[r.Format]
		if !ok {
			return bad(p+".format", "unknown format %q (want openmetrics, json or promtool-dump; leave it out to detect it)", r.Format)
		}
		if r.UpdateAt == "" {
			return bad(p+".updateAt", "required: the recorded time of the update, which becomes t=0 (RFC 3339, e.g. \"2026-11-24T10:00:00Z\")")
		}
		at, err := time.Parse(time.RFC3339Nano, r.UpdateAt)
		if err != nil {
			return bad(p+".updateAt", "%q is not an RFC 3339 time such as \"2026-11-24T10:00:00Z\"", r.UpdateAt)
		}
		at = at.UTC()
		path := r.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return bad(p+".file", "%v", err)
		}
		var r io.Reader = f
		if strings.HasSuffix(path, ".gz") {
			// Streamed: a week's export need not be unpacked first.
			zr, err := gzip.NewReader(f)
			if err != nil {
				f.Close()
				return bad(p+".file", "%s: %v", path, err)
			}
			r = zr
		}
		sum, err := promfake.LoadRecorded(rec.Store, r, promfake.RecordedOptions{Name: path, Format: format, UpdateAt: at, T0: start})
		f.Close()
		if err != nil {
			if errors.Is(err, storage.ErrOutOfOrderSample) {
				return bad(p+".file", "%v (an earlier recording holds the same series at later times: recordings of the same series must follow each other)", err)
			}
			return bad(p+".file", "%v", err)
		}
		if at.Before(sum.MinTime) || at.After(sum.MaxTime) {
			return bad(p+".updateAt", "%s is outside the recording, which runs from %s to %s", at.Format(time.RFC3339), sum.MinTime.Format(time.RFC3339), sum.MaxTime.Format(time.RFC3339))
		}
		if i == 0 || sum.VirtualMin.Before(rec.From) {
			rec.From = sum.VirtualMin
		}
		if i == 0 || sum.VirtualMax.After(rec.To) {
			rec.To = sum.VirtualMax
		}
		rec.Summaries = append(rec.Summaries, sum)
		rec.UpdateAt = append(rec.UpdateAt, at)
	}
	in.recorded = rec
	return nil
}

// RecordedAt is the recorded instant that t=0 of this input replays: the
// first recording's updateAt, moved by as much as spec.startTime was moved
// since the recordings were loaded (a backtest window).
func (in *Input) RecordedAt() time.Time {
	rec := in.recorded
	return rec.UpdateAt[0].Add(in.Settings().Start.Sub(rec.T0))
}

// checkRecordedCoverage requires the recordings to hold every sample the
// analyses can read: from the largest window of the templates' queries
// before t=0 to the rollout's expected end (spec.until when it cannot be
// told, e.g. an indefinite pause; without spec.until the run stops where the
// recordings end, undecided if it gets there, with a timeline entry).
func (in *Input) checkRecordedCoverage(ro *v1alpha1.Rollout, bad func(fieldPath, format string, args ...any) error) error {
	rec := in.recorded
	if rec == nil {
		return nil
	}
	set := in.Settings()
	window := in.MaxQueryWindow(ro)
	need := set.Start.Add(-window)
	recAt := func(t time.Time) string { return rec.UpdateAt[0].Add(t.Sub(rec.T0)).Format(time.RFC3339) }
	if need.Before(rec.From) {
		return bad("spec.recorded", "the analyses' queries read up to %s before t=0 (%s), but the recordings start at %s: record from %s or earlier",
			window, recAt(set.Start), recAt(rec.From), recAt(need))
	}
	// Without spec.until the run stops at the recording's end (Settings):
	// only a rollout whose steps are known to take longer is refused then.
	length, known := in.ExpectedLength(ro)
	end, what := time.Duration(0), ""
	if in.Scenario.Spec.Until != nil {
		end, what = set.Until, "spec.until"
	}
	if known && (what == "" || length < end) {
		end, what = length, "the rollout's steps take"
	}
	if what != "" && set.Start.Add(end).After(rec.To) {
		field := "spec.recorded"
		hint := fmt.Sprintf("record until %s or later", recAt(set.Start.Add(end)))
		if what == "spec.until" {
			field = "spec.until"
			hint = fmt.Sprintf("set spec.until to at most %s, or %s", ShortDuration(rec.To.Sub(set.Start)), hint)
		}
		return bad(field, "the recordings end at t=%s (%s), before the rollout's end at t=%s (%s %s): the analyses would read nothing; %s",
			ShortDuration(rec.To.Sub(set.Start)), recAt(rec.To), ShortDuration(end), what, ShortDuration(end), hint)
	}
	return nil
}

var argRef = regexp.MustCompile(`\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}`)

// checkRecordedMetrics requires every metric a template's query selects by
// name to be in a recording, or written by spec.series or the traffic
// model: otherwise each measurement would read nothing.
func (in *Input) checkRecordedMetrics(ro *v1alpha1.Rollout) error {
	rec := in.recorded
	if rec == nil {
		return nil
	}
	have := map[string]bool{}
	for _, s := range rec.Summaries {
		for _, n := range s.MetricNames {
			have[n] = true
		}
	}
	for _, s := range in.Scenario.Spec.Series {
		if lset, _, err := promfake.ParseSeriesNotation(s.Series, s.Values); err == nil {
			have[lset.Get(labels.MetricName)] = true
		}
	}
	if in.SyntheticTraffic() {
		for n := range generatedMetrics() {
			have[n] = true
		}
	}
	resolve := in.argResolver(ro)
	for _, o := range in.Objects {
		var spec *v1alpha1.AnalysisTemplateSpec
		var what string
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			spec, what = &t.Spec, "AnalysisTemplate "+t.Name
		case *v1alpha1.ClusterAnalysisTemplate:
			spec, what = &t.Spec, "ClusterAnalysisTemplate "+t.Name
		default:
			continue
		}
		for i, m := range spec.Metrics {
			p := m.Provider.Prometheus
			if p == nil {
				continue
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(resolve(spec, p.Query))
			if err != nil {
				continue // lint reports it; the measurement is an Error
			}
			var missing string
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok || missing != "" {
					return nil
				}
				name := vs.Name
				for _, lm := range vs.LabelMatchers {
					if lm.Name == labels.MetricName && lm.Type == labels.MatchEqual {
						name = lm.Value
					}
				}
				if name != "" && !have[name] {
					missing = name
				}
				return nil
			})
			if missing != "" {
				names := slices.Sorted(maps.Keys(have))
				return in.origins[o].Errorf(what, fmt.Sprintf("spec.metrics[%d].provider.prometheus.query", i),
					"selects %s, which neither spec.recorded nor spec.series holds (they hold %s): every measurement would read no data; record it too",
					missing, strings.Join(names, ", "))
			}
		}
	}
	return nil
}

// argResolver substitutes {{args.NAME}} in a template's query with the
// Rollout's values, else the template's; unknown references stay.
func (in *Input) argResolver(ro *v1alpha1.Rollout) func(t *v1alpha1.AnalysisTemplateSpec, q string) string {
	values := map[string]string{}
	if ro != nil {
		for _, a := range rolloutAnalyses(ro) {
			for _, arg := range a.Args {
				if arg.Value != "" {
					values[arg.Name] = arg.Value
				}
			}
		}
	}
	return func(t *v1alpha1.AnalysisTemplateSpec, q string) string {
		local := map[string]string{}
		for _, a := range t.Args {
			if a.Value != nil {
				local[a.Name] = *a.Value
			}
		}
		return argRef.ReplaceAllStringFunc(q, func(s string) string {
			name := argRef.FindStringSubmatch(s)[1]
			if v, ok := values[name]; ok {
				return v
			}
			if v, ok := local[name]; ok {
				return v
			}
			return s
		})
	}
}

// MaxQueryWindow is the longest time before an evaluation that the
// Prometheus queries of the templates can read: the largest range (plus
// offset) of a range selector or subquery, and the 5m lookback of instant
// selectors. Arguments are resolved from the templates' values and the
// Rollout's; a query that still does not parse is skipped (lint reports it).
func (in *Input) MaxQueryWindow(ro *v1alpha1.Rollout) time.Duration {
	resolve := in.argResolver(ro)
	var window time.Duration
	for _, t := range in.templateSpecs() {
		for _, m := range t.Metrics {
			if p := m.Provider.Prometheus; p != nil {
				window = max(window, queryWindow(resolve(t, p.Query)))
			}
		}
	}
	return window
}

const lookback = 5 * time.Minute

func queryWindow(q string) time.Duration {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	if err != nil {
		return 0
	}
	var w time.Duration
	var walk func(n parser.Node, extra time.Duration)
	walk = func(n parser.Node, extra time.Duration) {
		switch x := n.(type) {
		case *parser.MatrixSelector:
			off := time.Duration(0)
			if vs, ok := x.VectorSelector.(*parser.VectorSelector); ok {
				off = vs.OriginalOffset
			}
			w = max(w, extra+x.Range+off)
			return
		case *parser.VectorSelector:
			w = max(w, extra+lookback+x.OriginalOffset)
			return
		case *parser.SubqueryExpr:
			walk(x.Expr, extra+x.Range+x.OriginalOffset)
			return
		}
		for _, c := range parser.Children(n) {
			walk(c, extra)
		}
	}
	walk(expr, 0)
	return w
}

// templateSpecs are the AnalysisTemplates and ClusterAnalysisTemplates.
func (in *Input) templateSpecs() []*v1alpha1.AnalysisTemplateSpec {
	var out []*v1alpha1.AnalysisTemplateSpec
	for _, o := range in.Objects {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			out = append(out, &t.Spec)
		case *v1alpha1.ClusterAnalysisTemplate:
			out = append(out, &t.Spec)
		}
	}
	return out
}

func rolloutAnalyses(ro *v1alpha1.Rollout) []*v1alpha1.RolloutAnalysis {
	var out []*v1alpha1.RolloutAnalysis
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		out = append(out, bg.PrePromotionAnalysis, bg.PostPromotionAnalysis)
	}
	if c := ro.Spec.Strategy.Canary; c != nil {
		if c.Analysis != nil {
			out = append(out, &c.Analysis.RolloutAnalysis)
		}
		for i := range c.Steps {
			out = append(out, c.Steps[i].Analysis)
		}
	}
	return slices.DeleteFunc(out, func(a *v1alpha1.RolloutAnalysis) bool { return a == nil })
}

// ExpectedLength is how long a canary's steps take when nothing fails:
// timed pauses, inline analyses (initialDelay + count × interval of their
// slowest metric) and experiments with a duration, plus pod readiness per
// step. It reports false when that cannot be told (an indefinite pause, an
// analysis without a count, a blue-green rollout, scripted actions).
func (in *Input) ExpectedLength(ro *v1alpha1.Rollout) (time.Duration, bool) {
	c := ro.Spec.Strategy.Canary
	if c == nil || len(in.Scenario.Spec.Actions) > 0 {
		return 0, false
	}
	set := in.Settings()
	byName := map[string]*v1alpha1.AnalysisTemplateSpec{}
	for _, o := range in.Objects {
		switch t := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			byName["ns/"+t.Name] = &t.Spec
		case *v1alpha1.ClusterAnalysisTemplate:
			byName["cluster/"+t.Name] = &t.Spec
		}
	}
	total := set.PodReadyAfter
	for _, st := range c.Steps {
		total += set.PodReadyAfter
		switch {
		case st.Pause != nil:
			s := st.Pause.DurationSeconds()
			if s <= 0 {
				return 0, false
			}
			total += time.Duration(s) * time.Second
		case st.Analysis != nil:
			var longest time.Duration
			for _, ref := range st.Analysis.Templates {
				k := "ns/" + ref.TemplateName
				if ref.ClusterScope != nil && *ref.ClusterScope {
					k = "cluster/" + ref.TemplateName
				}
				t := byName[k]
				if t == nil {
					return 0, false
				}
				for _, m := range t.Metrics {
					d, ok := metricLength(m)
					if !ok {
						return 0, false
					}
					longest = max(longest, d)
				}
			}
			total += longest
		case st.Experiment != nil:
			d, err := st.Experiment.Duration.Duration()
			if err != nil {
				return 0, false
			}
			total += d
		}
	}
	return total, true
}

func metricLength(m v1alpha1.Metric) (time.Duration, bool) {
	count := 1
	if m.Count != nil {
		if m.Count.Type != intstr.Int {
			return 0, false
		}
		count = int(m.Count.IntVal)
	} else if m.Interval != "" {
		return 0, false // measures until stopped
	}
	var interval, delay time.Duration
	var err error
	if m.Interval != "" {
		if interval, err = m.Interval.Duration(); err != nil {
			return 0, false
		}
	}
	if m.InitialDelay != "" {
		if delay, err = m.InitialDelay.Duration(); err != nil {
			return 0, false
		}
	}
	if count < 1 {
		return 0, false
	}
	return delay + time.Duration(count-1)*interval, true
}

// recordedRoute is the route of the recording's Envoy series when they hold
// one: the envoy_cluster_name of envoy_cluster_upstream_rq_total without its
// "/rule/N" suffix.
func (r *Recorded) recordedRoute() string {
	q, _ := r.Store.Querier(math.MinInt64, math.MaxInt64)
	names, _, _ := q.LabelValues(context.Background(), "envoy_cluster_name", nil,
		labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, "envoy_cluster_upstream_rq_total"))
	routes := map[string]bool{}
	for _, n := range names {
		if i := strings.LastIndex(n, "/rule/"); i > 0 {
			n = n[:i]
		}
		routes[n] = true
	}
	if len(routes) != 1 {
		return ""
	}
	for r := range routes {
		return r
	}
	return ""
}

// recordedRate is the route's recorded request rate over the hour (or what
// the recordings hold of it) before t=0.
func (in *Input) recordedRate(route string) (float64, error) {
	rec := in.recorded
	start := in.Settings().Start
	w := min(time.Hour, start.Sub(rec.From)).Truncate(time.Second)
	if w < time.Minute {
		return 0, fmt.Errorf("the recordings hold less than a minute before t=0")
	}
	q := fmt.Sprintf(`sum(rate(envoy_cluster_upstream_rq_total{envoy_cluster_name=~"%s/rule/.*"}[%ds]))`, regexp.QuoteMeta(route), int(w.Seconds()))
	res, err := promfake.Shared().Instant(context.Background(), rec.Store, q, start)
	if err != nil {
		return 0, err
	}
	if v, ok := res.Value.(promql.Vector); ok && len(v) == 1 && v[0].F > 0 {
		return v[0].F, nil
	}
	return 0, fmt.Errorf("the recordings hold no envoy_cluster_upstream_rq_total of route %s in the %s before t=0", route, ShortDuration(w))
}
