package promfake

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// Names on an Envoy proxy's /stats/prometheus endpoint. Envoy's default tag
// extraction turns the stat cluster.<name>.upstream_rq_2xx into
// envoy_cluster_upstream_rq_xx{envoy_cluster_name="<name>",envoy_response_code_class="2"},
// cluster.<name>.upstream_rq_200 into
// envoy_cluster_upstream_rq{envoy_cluster_name="<name>",envoy_response_code="200"},
// cluster.<name>.upstream_rq_total into
// envoy_cluster_upstream_rq_total{envoy_cluster_name="<name>"}, and the
// histogram cluster.<name>.upstream_rq_time into
// envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="<name>",le="..."}
// with _sum and _count (milliseconds).
const (
	envoyRqXX        = "envoy_cluster_upstream_rq_xx"
	envoyRq          = "envoy_cluster_upstream_rq"
	envoyRqTotal     = "envoy_cluster_upstream_rq_total"
	envoyRqTime      = "envoy_cluster_upstream_rq_time"
	envoyClusterName = "envoy_cluster_name"
	envoyCodeClass   = "envoy_response_code_class"
	envoyCode        = "envoy_response_code"
)

// EnvoyMetricNames are the metric names an EnvoyCluster writes.
var EnvoyMetricNames = []string{envoyRq, envoyRqTime + "_bucket", envoyRqTime + "_count", envoyRqTime + "_sum", envoyRqTotal, envoyRqXX}

// EnvoyFamily is one family of series an EnvoyCluster writes, which a run
// whose queries never read it can leave out (EnvoyCluster.Without).
type EnvoyFamily int

const (
	EnvoyTotal   EnvoyFamily = iota // envoy_cluster_upstream_rq_total
	EnvoyClasses                    // envoy_cluster_upstream_rq_xx
	EnvoyCodes                      // envoy_cluster_upstream_rq
	EnvoyLatency                    // the envoy_cluster_upstream_rq_time histogram
)

// EnvoyFamilies are every EnvoyFamily.
var EnvoyFamilies = []EnvoyFamily{EnvoyTotal, EnvoyClasses, EnvoyCodes, EnvoyLatency}

// MetricNames are the metric names of the family's series.
func (f EnvoyFamily) MetricNames() []string {
	switch f {
	case EnvoyTotal:
		return []string{envoyRqTotal}
	case EnvoyClasses:
		return []string{envoyRqXX}
	case EnvoyCodes:
		return []string{envoyRq}
	}
	return []string{envoyRqTime + "_bucket", envoyRqTime + "_count", envoyRqTime + "_sum"}
}

// EnvoyCluster writes the counters of one Envoy upstream cluster, e.g.
// "httproute/joel-test/backend-eg/rule/0" (Envoy Gateway names the cluster
// of an HTTPRoute rule httproute/<namespace>/<name>/rule/<index>), as a
// Prometheus scraping the Envoy proxy would store them.
//
// Per scrape it writes envoy_cluster_upstream_rq_total, the
// envoy_cluster_upstream_rq_time histogram, then envoy_cluster_upstream_rq_xx
// for every response code class seen so far ("1" to "5"), then
// envoy_cluster_upstream_rq for every response code seen so far. As in Envoy,
// the total and the histogram exist from the first scrape while a class or
// code series appears with its first request; once it exists it is written at
// every scrape, even without new requests. Counter values are cumulative
// integers.
//
// An EnvoyCluster is not safe for concurrent use.
type EnvoyCluster struct {
	s       *Store
	base    labels.Labels // target labels + envoy_cluster_name
	scraped bool
	stale   bool
	last    int64 // time of the last scrape, ms
	total   counter
	time    *classicHistogram
	classes []keyedCounter // sorted by key
	codes   []keyedCounter // sorted by key
	// without are the families not written (Without), by EnvoyFamily.
	without [EnvoyLatency + 1]bool
}

// Without makes c leave family f out: its series get no samples (and its
// counts are not kept), and the other families are written as before. A run
// whose queries never read a family saves its writing; the request-time
// histogram is most of it.
func (c *EnvoyCluster) Without(f EnvoyFamily) *EnvoyCluster {
	c.without[f] = true
	return c
}

// keyedCounter is a counter whose series is created with its first whole
// request (ref < 0 before).
type keyedCounter struct {
	key int
	counter
}

// NewEnvoyCluster returns the writer for the cluster clusterName. extra are
// the target labels the scrape adds to every series (e.g. namespace, pod,
// job, instance of the Envoy proxy). A __name__ or envoy_cluster_name in extra
// is overridden.
func NewEnvoyCluster(s *Store, clusterName string, extra labels.Labels) *EnvoyCluster {
	b := labels.NewBuilder(extra)
	b.Del(labels.MetricName)
	b.Set(envoyClusterName, clusterName)
	c := &EnvoyCluster{s: s, base: b.Labels()}
	c.total.ref = s.Series(c.labels(envoyRqTotal, "", ""))
	c.time = newHistogram(s, envoyRqTime, c.base)
	return c
}

func (c *EnvoyCluster) labels(metric, name, value string) labels.Labels {
	b := labels.NewBuilder(c.base)
	b.Set(labels.MetricName, metric)
	if name != "" {
		b.Set(name, value)
	}
	return b.Labels()
}

// Scrape records the cumulative counters at time t after byCode new requests
// since the previous scrape, keyed by HTTP status code (100 to 599), without
// latencies. See ScrapeBatches.
func (c *EnvoyCluster) Scrape(t time.Time, byCode map[int]uint64) error {
	codes := make([]int, 0, len(byCode))
	for code := range byCode {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	batches := make([]Batch, 0, len(codes))
	for _, code := range codes {
		batches = append(batches, Batch{Code: code, Count: float64(byCode[code])})
	}
	return c.ScrapeBatches(t, batches)
}

// ScrapeBatches records the cumulative counters at time t after the batches
// of requests answered since the previous scrape. t must be after the
// previous scrape (at millisecond precision); if it is not, or a batch is
// invalid, it returns an error and records nothing. Two EnvoyClusters with
// the same name and extra labels on one Store would write the same series and
// must not be used together.
func (c *EnvoyCluster) ScrapeBatches(t time.Time, batches []Batch) error {
	if err := checkTime(t); err != nil {
		return err
	}
	ts := t.UnixMilli()
	if c.scraped && ts <= c.last {
		return fmt.Errorf("promfake: envoy cluster %q: scrape at %d not after previous scrape at %d: %w",
			c.base.Get(envoyClusterName), ts, c.last, storage.ErrOutOfOrderSample)
	}
	for i := range batches {
		if err := batches[i].check(); err != nil {
			return fmt.Errorf("promfake: envoy cluster %q: %w", c.base.Get(envoyClusterName), err)
		}
	}
	for i := range batches {
		b := &batches[i]
		if b.Count == 0 && b.Buckets == nil {
			continue
		}
		if !c.without[EnvoyTotal] {
			c.total.v += b.Count
		}
		if !c.without[EnvoyClasses] {
			c.add(&c.classes, b.Code/100, b.Count)
		}
		if !c.without[EnvoyCodes] {
			c.add(&c.codes, b.Code, b.Count)
		}
		if !c.without[EnvoyLatency] {
			c.time.observe(b)
		}
	}
	c.scraped, c.stale, c.last = true, false, ts
	if !c.without[EnvoyTotal] {
		if err := c.total.write(c.s, t); err != nil {
			return err
		}
	}
	if !c.without[EnvoyLatency] {
		if err := c.time.write(c.s, t); err != nil {
			return err
		}
	}
	for i, set := range [][]keyedCounter{c.classes, c.codes} {
		metric, label, f := envoyRqXX, envoyCodeClass, EnvoyClasses
		if i == 1 {
			metric, label, f = envoyRq, envoyCode, EnvoyCodes
		}
		if c.without[f] {
			continue
		}
		for j := range set {
			k := &set[j]
			if k.ref < 0 {
				if math.Round(k.v) < 1 {
					continue
				}
				k.ref = c.s.Series(c.labels(metric, label, strconv.Itoa(k.key)))
			}
			if err := k.write(c.s, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// add adds n to the counter for key in the sorted set.
func (c *EnvoyCluster) add(set *[]keyedCounter, key int, n float64) {
	i, found := slices.BinarySearchFunc(*set, key, func(k keyedCounter, key int) int { return k.key - key })
	if !found {
		*set = slices.Insert(*set, i, keyedCounter{key: key, counter: counter{ref: -1}})
	}
	(*set)[i].v += n
}

// Restart resets every counter to zero, as a restarted Envoy proxy does; the
// series keep their labels and the next scrape writes the low values, which
// PromQL's rate() reads as a counter reset.
func (c *EnvoyCluster) Restart() {
	c.each(func(k *counter) { k.v = 0 })
}

// Stale writes a staleness marker at t on every series of the cluster, as
// Prometheus does when the proxy stops being scraped. A later scrape revives
// the series.
func (c *EnvoyCluster) Stale(t time.Time) error {
	if c.stale {
		return nil
	}
	if c.scraped && t.UnixMilli() <= c.last {
		return fmt.Errorf("promfake: envoy cluster %q: stale marker at %d not after last scrape at %d: %w",
			c.base.Get(envoyClusterName), t.UnixMilli(), c.last, storage.ErrOutOfOrderSample)
	}
	var err error
	c.each(func(k *counter) {
		if err == nil && k.ref >= 0 {
			err = c.s.AppendStale(k.ref, t)
		}
	})
	c.stale, c.scraped, c.last = true, true, t.UnixMilli()
	return err
}

// each calls f for every counter of the families the cluster keeps (Without).
func (c *EnvoyCluster) each(f func(*counter)) {
	if !c.without[EnvoyTotal] {
		f(&c.total)
	}
	if !c.without[EnvoyLatency] {
		c.time.each(f)
	}
	for i, set := range [][]keyedCounter{c.classes, c.codes} {
		if c.without[EnvoyClasses+EnvoyFamily(i)] {
			continue
		}
		for j := range set {
			f(&set[j].counter)
		}
	}
}

// EnvoyState is what an EnvoyCluster has counted: what Restore goes back to.
type EnvoyState struct {
	scraped, stale bool
	last           int64
	total          counter
	time           classicHistogram
	classes, codes []keyedCounter
}

// SaveState copies what the cluster has counted so far into st, reusing
// its memory.
func (c *EnvoyCluster) SaveState(st *EnvoyState) {
	st.scraped, st.stale, st.last, st.total = c.scraped, c.stale, c.last, c.total
	if !c.without[EnvoyLatency] {
		st.time.buckets = append(st.time.buckets[:0], c.time.buckets...)
		st.time.sum, st.time.count = c.time.sum, c.time.count
	}
	st.classes = append(st.classes[:0], c.classes...)
	st.codes = append(st.codes[:0], c.codes...)
}

// Restore sets the counters back to st, taken from this cluster by State:
// scrapes after it are forgotten (their samples are the store's business,
// see Store.Discard).
func (c *EnvoyCluster) Restore(st *EnvoyState) {
	c.scraped, c.stale, c.last, c.total = st.scraped, st.stale, st.last, st.total
	if !c.without[EnvoyLatency] {
		copy(c.time.buckets, st.time.buckets)
		c.time.sum, c.time.count = st.time.sum, st.time.count
	}
	c.classes = append(c.classes[:0], st.classes...)
	c.codes = append(c.codes[:0], st.codes...)
}
