package sim

import (
	"context"
	"time"

	"github.com/prometheus/common/model"

	"github.com/rollsim/rollsim/promfake"
)

// promAPI answers the prometheus provider from the embedded Prometheus, in the
// shapes the HTTP API client would return; every address lands here.
type promAPI struct {
	engine  *promfake.Engine
	store   *promfake.Store
	queries int
	// calls, when set, records every query (benchmarks replay them).
	calls *[]queryCall
	// batch, when set, answers repeated instant queries (batch.go).
	batch *batcher
}

// queryCall is one query the providers made.
type queryCall struct {
	query   string
	at, end time.Time // end is zero for an instant query
	step    time.Duration
}

func (p *promAPI) Query(ctx context.Context, query string, ts time.Time) (model.Value, []string, error) {
	p.queries++
	if p.calls != nil {
		*p.calls = append(*p.calls, queryCall{query: query, at: ts})
	}
	if p.batch != nil {
		if v, ok := p.batch.query(ctx, query, ts); ok {
			return v, nil, nil
		}
	}
	r, err := p.engine.Instant(ctx, p.store, query, ts)
	if err != nil {
		return nil, r.Warnings, err
	}
	return promfake.ToModel(r.Value), r.Warnings, nil
}

func (p *promAPI) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Value, []string, error) {
	p.queries++
	if p.calls != nil {
		*p.calls = append(*p.calls, queryCall{query: query, at: start, end: end, step: step})
	}
	r, err := p.engine.Range(ctx, p.store, query, start, end, step)
	if err != nil {
		return nil, r.Warnings, err
	}
	return promfake.ToModel(r.Value), r.Warnings, nil
}
