package promfake

import (
	"fmt"
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
// and cluster.<name>.upstream_rq_total into
// envoy_cluster_upstream_rq_total{envoy_cluster_name="<name>"}.
const (
	envoyRqXX        = "envoy_cluster_upstream_rq_xx"
	envoyRq          = "envoy_cluster_upstream_rq"
	envoyRqTotal     = "envoy_cluster_upstream_rq_total"
	envoyClusterName = "envoy_cluster_name"
	envoyCodeClass   = "envoy_response_code_class"
	envoyCode        = "envoy_response_code"
)

// EnvoyCluster writes the counters of one Envoy upstream cluster, e.g.
// "httproute/joel-test/backend-eg/rule/0" (Envoy Gateway names the cluster
// of an HTTPRoute rule httproute/<namespace>/<name>/rule/<index>), as a
// Prometheus scraping the Envoy proxy would store them.
//
// Per scrape it writes envoy_cluster_upstream_rq_total, then
// envoy_cluster_upstream_rq_xx for every response code class seen so far
// ("1" to "5"), then envoy_cluster_upstream_rq for every response code seen
// so far. As in Envoy, the total exists from the first scrape while a class or
// code series appears with its first request; once it exists it is written at
// every scrape, even without new requests. Values are cumulative integers.
//
// An EnvoyCluster is not safe for concurrent use.
type EnvoyCluster struct {
	s       *Store
	base    labels.Labels // target labels + envoy_cluster_name
	scraped bool
	last    int64 // time of the last scrape, ms
	total   counter
	classes []keyedCounter // sorted by key
	codes   []keyedCounter // sorted by key
}

type counter struct {
	ref SeriesRef
	n   uint64
}

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
// since the previous scrape, keyed by HTTP status code (100 to 599). t must be
// after the previous scrape (at millisecond precision); if it is not, or a
// code is out of range, Scrape returns an error and records nothing. Two
// EnvoyClusters with the same name and extra labels on one Store would write
// the same series and must not be used together.
func (c *EnvoyCluster) Scrape(t time.Time, byCode map[int]uint64) error {
	if err := checkTime(t); err != nil {
		return err
	}
	ts := t.UnixMilli()
	if c.scraped && ts <= c.last {
		return fmt.Errorf("promfake: envoy cluster %q: scrape at %d not after previous scrape at %d: %w",
			c.base.Get(envoyClusterName), ts, c.last, storage.ErrOutOfOrderSample)
	}
	codes := make([]int, 0, len(byCode))
	for code, n := range byCode {
		if code < 100 || code > 599 {
			return fmt.Errorf("promfake: envoy cluster %q: invalid HTTP status code %d", c.base.Get(envoyClusterName), code)
		}
		if n > 0 {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)

	for _, code := range codes {
		n := byCode[code]
		c.total.n += n
		c.add(&c.classes, code/100, n, envoyRqXX, envoyCodeClass)
		c.add(&c.codes, code, n, envoyRq, envoyCode)
	}

	c.scraped, c.last = true, ts
	if err := c.s.Append(c.total.ref, t, float64(c.total.n)); err != nil {
		return err
	}
	for _, set := range [][]keyedCounter{c.classes, c.codes} {
		for _, k := range set {
			if err := c.s.Append(k.ref, t, float64(k.n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// add adds n to the counter for key in the sorted set, creating its series
// (metric{label="<key>"}) on first use.
func (c *EnvoyCluster) add(set *[]keyedCounter, key int, n uint64, metric, label string) {
	i, found := slices.BinarySearchFunc(*set, key, func(k keyedCounter, key int) int { return k.key - key })
	if !found {
		ref := c.s.Series(c.labels(metric, label, strconv.Itoa(key)))
		*set = slices.Insert(*set, i, keyedCounter{key: key, counter: counter{ref: ref}})
	}
	(*set)[i].n += n
}
