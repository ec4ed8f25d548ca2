package promfake

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// LatencyBounds are the upper bounds, in milliseconds, of the buckets of the
// request-time histograms Envoy and Istio export
// (envoy_cluster_upstream_rq_time, istio_request_duration_milliseconds):
// Envoy's default histogram buckets, which Istio keeps. A last bucket, le="+Inf",
// holds everything above.
var LatencyBounds = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// leLabel formats a bucket bound the way Envoy's Prometheus output does (C++
// stream formatting, six significant digits): 0.5, 1, 300000, 1.8e+06, +Inf.
func leLabel(b float64) string {
	if math.IsInf(b, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(b, 'g', 6, 64)
}

// Batch is what one target answered with one HTTP status code since its
// previous scrape.
type Batch struct {
	Code int
	// Count is the number of requests. With noise it is a whole number; an
	// exact (noise-free) model passes expected, fractional counts, and the
	// counters write their cumulative values rounded to integers.
	Count float64
	// Buckets splits Count by latency: Buckets[i] requests took at most
	// LatencyBounds[i] ms and more than the bound before; the last element,
	// len(LatencyBounds), took longer than every bound. Nil when the batch has
	// no latency: the histograms are left alone.
	Buckets []float64
	// LatencySum is the total time of these requests, in milliseconds.
	LatencySum float64
}

func (b *Batch) check() error {
	if b.Code < 100 || b.Code > 599 {
		return fmt.Errorf("invalid HTTP status code %d", b.Code)
	}
	if b.Count < 0 || math.IsNaN(b.Count) || math.IsInf(b.Count, 0) {
		return fmt.Errorf("invalid request count %v", b.Count)
	}
	if b.Buckets != nil && len(b.Buckets) != len(LatencyBounds)+1 {
		return fmt.Errorf("latency buckets: %d counts for %d buckets", len(b.Buckets), len(LatencyBounds)+1)
	}
	return nil
}

// counter is one cumulative series. Its value is kept exactly (it may be a
// fractional expected count) and written rounded, so that every sample is an
// integer as a real counter's would be.
type counter struct {
	ref SeriesRef
	v   float64
	// raw writes v as it is (a histogram's _sum).
	raw bool
}

func (c *counter) write(s *Store, t time.Time) error {
	v := c.v
	if !c.raw {
		v = math.Round(v)
	}
	return s.Append(c.ref, t, v)
}

// classicHistogram is a classic Prometheus histogram: <name>_bucket{le=...}
// (cumulative), <name>_sum and <name>_count.
type classicHistogram struct {
	buckets []counter // one per bound, then +Inf
	sum     counter
	count   counter
}

func newHistogram(s *Store, name string, base labels.Labels) *classicHistogram {
	h := &classicHistogram{buckets: make([]counter, len(LatencyBounds)+1), sum: counter{raw: true}}
	b := labels.NewBuilder(base)
	for i := range h.buckets {
		le := math.Inf(1)
		if i < len(LatencyBounds) {
			le = LatencyBounds[i]
		}
		b.Set(labels.MetricName, name+"_bucket")
		b.Set("le", leLabel(le))
		h.buckets[i].ref = s.Series(b.Labels())
	}
	b.Del("le")
	b.Set(labels.MetricName, name+"_sum")
	h.sum.ref = s.Series(b.Labels())
	b.Set(labels.MetricName, name+"_count")
	h.count.ref = s.Series(b.Labels())
	return h
}

// observe adds a batch's latencies (bucket i is cumulative: everything up to
// bound i).
func (h *classicHistogram) observe(b *Batch) {
	if b.Buckets == nil {
		return
	}
	cum := 0.0
	for i, n := range b.Buckets {
		cum += n
		h.buckets[i].v += cum
	}
	h.count.v += cum
	h.sum.v += b.LatencySum
}

func (h *classicHistogram) write(s *Store, t time.Time) error {
	for i := range h.buckets {
		if err := h.buckets[i].write(s, t); err != nil {
			return err
		}
	}
	if err := h.sum.write(s, t); err != nil {
		return err
	}
	return h.count.write(s, t)
}

func (h *classicHistogram) each(f func(c *counter)) {
	for i := range h.buckets {
		f(&h.buckets[i])
	}
	f(&h.sum)
	f(&h.count)
}
