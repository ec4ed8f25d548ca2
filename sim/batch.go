package sim

import (
	"context"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"

	"github.com/rollsim/rollsim/promfake"
	"github.com/rollsim/rollsim/sim/traffic"
)

// Batches of queries. A metric measured every interval asks the same query
// at t, t+interval, t+2·interval...; while nothing changes the traffic, one
// range query over that stretch answers all of those measurements for a
// fraction of the cost of as many instant queries. The traffic model writes
// the stretch's scrapes ahead as tentative samples (traffic.Model.Ahead);
// each step's answer is used only if, when its measurement comes, the real
// scrapes have reached exactly the ones the step read and none was dropped
// since. Otherwise the measurement runs its instant query as before, so a
// run's results are the same with or without batches.

// Batch bounds: how many steps a range query covers (it doubles while
// batches are used to their end), and how many queries are remembered.
const (
	batchFirst   = 16
	batchMost    = 128
	batchQueries = 64
)

// batcher answers repeated instant queries from range queries.
type batcher struct {
	engine  *promfake.Engine
	store   *promfake.Store
	traffic *traffic.Model // nil: the store does not change during the run
	// until is the latest time a batch starting at t may reach: before
	// anything scheduled may change the traffic, and the end of the run.
	until func(t time.Time) time.Time
	// ahead writes the scrapes up to t ahead and returns the last one
	// written; false if it cannot.
	ahead   func(t time.Time) (time.Time, bool)
	byQuery map[string]*queryBatch
	// served counts the measurements answered from batches (tests).
	served int
}

// queryBatch is one query's calls and its latest batch.
type queryBatch struct {
	last  time.Time // the previous call
	grow  int       // steps of the next batch
	start time.Time
	step  time.Duration
	epoch uint64
	steps []stepAnswer
	used  bool  // the last step was served
	reads reads // what its last batch read
}

// reads is what a query's batch read.
type reads int8

const (
	readsUnknown reads = iota // no batch yet
	readsScrapes              // scraped samples: its answers wait for the real scrapes
	readsFixed                // only samples fixed in advance, which hold whatever is scraped
)

// stepAnswer is a range query's answer at one step.
type stepAnswer struct {
	ok bool
	// scraped is the last scrape at or before the step, which the real
	// scrapes must have reached, and not passed, for the answer to hold.
	scraped time.Time
	value   model.Value
}

// query returns the answer to an instant query at ts from a batch, making
// one if the query repeats at a regular interval; ok is false when the
// caller must run the instant query itself.
func (b *batcher) query(ctx context.Context, query string, ts time.Time) (model.Value, bool) {
	qb := b.byQuery[query]
	if qb == nil {
		if len(b.byQuery) >= batchQueries {
			clear(b.byQuery)
		}
		qb = &queryBatch{grow: batchFirst}
		b.byQuery[query] = qb
	}
	prev := qb.last
	qb.last = ts
	if v, ok := b.lookup(qb, ts); ok {
		return v, true
	}
	stepwise, scalar := b.engine.Stepwise(query)
	if prev.IsZero() || !ts.After(prev) || !stepwise || !wholeMillis(ts) || !wholeMillis(prev) {
		return nil, false
	}
	if qb.used {
		qb.grow = min(2*qb.grow, batchMost)
	} else if qb.steps != nil {
		qb.grow = batchFirst
	}
	if !b.fill(ctx, qb, query, scalar, ts, ts.Sub(prev)) {
		return nil, false
	}
	return b.lookup(qb, ts)
}

// lookup returns the batch's answer at ts if it still holds.
func (b *batcher) lookup(qb *queryBatch, ts time.Time) (model.Value, bool) {
	if qb.steps == nil || ts.Before(qb.start) {
		return nil, false
	}
	d := ts.Sub(qb.start)
	i := int(d / qb.step)
	if d%qb.step != 0 || i >= len(qb.steps) {
		return nil, false
	}
	a := &qb.steps[i]
	if !a.ok {
		return nil, false
	}
	if b.traffic != nil {
		last, epoch := b.traffic.Written()
		if epoch != qb.epoch || qb.reads == readsScrapes && !last.Equal(a.scraped) {
			return nil, false
		}
	}
	qb.used = i == len(qb.steps)-1
	b.served++
	return a.value, true
}

// fill makes a batch of query from ts every step.
func (b *batcher) fill(ctx context.Context, qb *queryBatch, query string, scalar bool, ts time.Time, step time.Duration) bool {
	qb.steps, qb.used = nil, false
	end := ts.Add(time.Duration(qb.grow-1) * step)
	if u := b.until(ts); u.Before(end) {
		end = ts.Add(u.Sub(ts) / step * step)
	}
	if !end.After(ts) {
		return false
	}
	var last time.Time
	if b.traffic != nil {
		last, _ = b.traffic.Written()
		if qb.reads == readsScrapes && !b.scrapedBy(last)(ts).Equal(last) {
			// The scrape at ts comes after this measurement: so will those
			// at the next steps, which the batch would read too early.
			return false
		}
		through, ok := b.ahead(end)
		if !ok {
			return false
		}
		// Steps from the next scrape on would read it before it exists.
		if next := through.Add(b.traffic.Interval()); !next.After(end) {
			end = ts.Add((next.Sub(ts) - time.Millisecond) / step * step)
			if !end.After(ts) {
				return false
			}
		}
		last, qb.epoch = b.traffic.Written()
	}
	view := b.store.WithTentative()
	res, err := b.engine.Range(ctx, view, query, ts, end, step)
	if err != nil || len(res.Warnings) > 0 {
		return false // the instant queries will say it
	}
	qb.reads = readsFixed
	if view.ReadTentative() {
		qb.reads = readsScrapes
	}
	mat, ok := res.Value.(promql.Matrix)
	if !ok {
		return false
	}
	qb.start, qb.step = ts, step
	qb.steps = stepAnswers(mat, scalar, ts, step, int((end.Sub(ts))/step)+1, b.scrapedBy(last))
	return true
}

// scrapedBy returns, for a time, the last scrape at or before it, given the
// last real scrape (scrapes follow every interval after it).
func (b *batcher) scrapedBy(last time.Time) func(t time.Time) time.Time {
	if b.traffic == nil {
		return func(time.Time) time.Time { return time.Time{} }
	}
	iv := b.traffic.Interval()
	return func(t time.Time) time.Time {
		if t.Before(last) {
			return last
		}
		return last.Add(t.Sub(last) / iv * iv)
	}
}

// stepAnswers splits a range query's matrix into the instant answers at each
// of its n steps. A step is answered only where the instant query's answer is
// known to be the same: at most one series (an instant query's order of
// several is the engine's, a range query's is by labels) and no histograms.
// A scalar query's matrix is its one series without labels.
func stepAnswers(mat promql.Matrix, scalar bool, start time.Time, step time.Duration, n int, scrapedBy func(time.Time) time.Time) []stepAnswer {
	out := make([]stepAnswer, n)
	count := make([]int, n)
	for _, s := range mat {
		if len(s.Histograms) > 0 {
			return out
		}
		for _, p := range s.Floats {
			i := stepIndex(p.T, start, step)
			if i < 0 || i >= n {
				return make([]stepAnswer, n)
			}
			count[i]++
		}
	}
	for i := range out {
		out[i].scraped = scrapedBy(start.Add(time.Duration(i) * step))
		// A scalar has a value at every step.
		out[i].ok = count[i] <= 1 && (!scalar || count[i] == 1)
	}
	for _, s := range mat {
		for _, p := range s.Floats {
			i := stepIndex(p.T, start, step)
			switch {
			case !out[i].ok:
			case scalar:
				out[i].value = promfake.ToModel(promql.Scalar{V: p.F, T: p.T})
			default:
				out[i].value = promfake.ToModel(promql.Vector{{Metric: s.Metric, F: p.F, T: p.T}})
			}
		}
	}
	for i := range out {
		if out[i].ok && out[i].value == nil {
			out[i].value = promfake.ToModel(promql.Vector{})
		}
	}
	return out
}

// stepIndex is the step of a range query's point at t (ms).
func stepIndex(t int64, start time.Time, step time.Duration) int {
	return int((t - start.UnixMilli()) / step.Milliseconds())
}

// wholeMillis: the engine works in milliseconds, so only times it keeps
// exactly are batched.
func wholeMillis(t time.Time) bool { return t.Nanosecond()%int(time.Millisecond) == 0 }

// batchUntil is how far a batch starting at t may reach: short of the next
// event that may change the traffic, and of the run's end.
func (r *runner) batchUntil(t time.Time) time.Time {
	end := r.end
	if at, ok := r.clock.nextLoud(); ok && at.Add(-time.Millisecond).Before(end) {
		end = at.Add(-time.Millisecond)
	}
	if end.Before(t) {
		return t
	}
	return end
}

// writeAhead has the traffic model write its scrapes up to t ahead, within
// the run's bound on samples.
func (r *runner) writeAhead(t time.Time) (time.Time, bool) {
	r.syncPods()
	return r.traffic.Ahead(t, runLimits.samples-r.prom.store.NumSamples())
}

// noBatches turns batches off (tests compare runs with and without).
var noBatches = false

func (r *runner) newBatcher() *batcher {
	if noBatches {
		return nil
	}
	return &batcher{engine: r.prom.engine, store: r.prom.store, traffic: r.traffic,
		until: r.batchUntil, ahead: r.writeAhead, byQuery: map[string]*queryBatch{}}
}
