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

// Istio's standard HTTP metrics, as the Envoy sidecars and gateways expose
// them on :15020/stats/prometheus.
const (
	istioRequests = "istio_requests_total"
	istioDuration = "istio_request_duration_milliseconds"
)

// IstioMetricNames are the metric names an IstioProxy writes.
var IstioMetricNames = append(slices.Clone(IstioLatencyMetricNames), istioRequests)

// IstioLatencyMetricNames are the names of the duration histogram's series,
// which WithoutLatency leaves out.
var IstioLatencyMetricNames = []string{istioDuration + "_bucket", istioDuration + "_count", istioDuration + "_sum"}

// IstioLabels are the labels of Istio's standard metrics for one kind of
// traffic between a source and a destination workload, as one proxy (the
// reporter) sees it. Every request metric carries all of them; response_code
// is added per status code. Empty values are dropped on ingestion, as
// Prometheus drops them.
type IstioLabels struct {
	Reporter string // "source" (the client's proxy) or "destination" (the server's sidecar)

	SourceWorkload          string
	SourceWorkloadNamespace string
	SourcePrincipal         string
	SourceApp               string
	SourceVersion           string
	SourceCanonicalService  string
	SourceCanonicalRevision string
	SourceCluster           string

	DestinationWorkload          string
	DestinationWorkloadNamespace string
	DestinationPrincipal         string
	DestinationApp               string
	DestinationVersion           string
	DestinationService           string // FQDN: name.namespace.svc.cluster.local
	DestinationServiceName       string
	DestinationServiceNamespace  string
	DestinationCanonicalService  string
	DestinationCanonicalRevision string
	DestinationCluster           string

	RequestProtocol          string // "http"
	ResponseFlags            string // "-" when none
	ConnectionSecurityPolicy string // "mutual_tls" (destination), "unknown" (source)
	GRPCResponseStatus       string
}

// Labels returns the label set: target (the scrape's labels for the reporting
// pod, such as namespace, pod and the pod's own labels) first, overridden by
// the Istio labels.
func (l IstioLabels) Labels(target labels.Labels) labels.Labels {
	b := labels.NewBuilder(target)
	for _, kv := range [...][2]string{
		{"reporter", l.Reporter},
		{"source_workload", l.SourceWorkload},
		{"source_workload_namespace", l.SourceWorkloadNamespace},
		{"source_principal", l.SourcePrincipal},
		{"source_app", l.SourceApp},
		{"source_version", l.SourceVersion},
		{"source_canonical_service", l.SourceCanonicalService},
		{"source_canonical_revision", l.SourceCanonicalRevision},
		{"source_cluster", l.SourceCluster},
		{"destination_workload", l.DestinationWorkload},
		{"destination_workload_namespace", l.DestinationWorkloadNamespace},
		{"destination_principal", l.DestinationPrincipal},
		{"destination_app", l.DestinationApp},
		{"destination_version", l.DestinationVersion},
		{"destination_service", l.DestinationService},
		{"destination_service_name", l.DestinationServiceName},
		{"destination_service_namespace", l.DestinationServiceNamespace},
		{"destination_canonical_service", l.DestinationCanonicalService},
		{"destination_canonical_revision", l.DestinationCanonicalRevision},
		{"destination_cluster", l.DestinationCluster},
		{"request_protocol", l.RequestProtocol},
		{"response_flags", l.ResponseFlags},
		{"connection_security_policy", l.ConnectionSecurityPolicy},
		{"grpc_response_status", l.GRPCResponseStatus},
	} {
		if kv[1] == "" {
			b.Del(kv[0])
		} else {
			b.Set(kv[0], kv[1])
		}
	}
	b.Del(labels.MetricName)
	b.Del("response_code")
	return b.Labels()
}

// IstioProxy writes what one proxy reports about one IstioLabels:
// istio_requests_total and the istio_request_duration_milliseconds histogram,
// one set of series per response code. As in Istio, a response code's series
// appear with its first request and are written at every scrape afterwards.
//
// An IstioProxy is not safe for concurrent use.
type IstioProxy struct {
	s       *Store
	base    labels.Labels
	codes   []istioCode // sorted by code
	scraped bool
	stale   bool
	last    int64
	// noLatency: the duration histogram is not written (WithoutLatency).
	noLatency bool
}

// WithoutLatency makes p leave its duration histograms out: a run whose
// queries never read them saves most of the writing.
func (p *IstioProxy) WithoutLatency() *IstioProxy {
	p.noLatency = true
	return p
}

type istioCode struct {
	code     int
	created  bool
	requests counter
	duration *classicHistogram
}

// NewIstioProxy returns the writer for the series with labels base (see
// IstioLabels.Labels). No series exist before the first request.
func NewIstioProxy(s *Store, base labels.Labels) *IstioProxy {
	return &IstioProxy{s: s, base: base}
}

// Scrape records the proxy's counters at t after the batches since the
// previous scrape. t must be after the previous scrape or stale marker; on an
// error nothing is recorded.
func (p *IstioProxy) Scrape(t time.Time, batches []Batch) error {
	if err := checkTime(t); err != nil {
		return err
	}
	ts := t.UnixMilli()
	if p.scraped && ts <= p.last {
		return fmt.Errorf("promfake: istio proxy %s: scrape at %d not after previous scrape at %d: %w", p.base, ts, p.last, storage.ErrOutOfOrderSample)
	}
	for i := range batches {
		if err := batches[i].check(); err != nil {
			return fmt.Errorf("promfake: istio proxy %s: %w", p.base, err)
		}
	}
	for i := range batches {
		b := &batches[i]
		if b.Count == 0 && b.Buckets == nil {
			continue
		}
		j, found := slices.BinarySearchFunc(p.codes, b.Code, func(c istioCode, code int) int { return c.code - code })
		if !found {
			p.codes = slices.Insert(p.codes, j, istioCode{code: b.Code})
		}
		c := &p.codes[j]
		c.requests.v += b.Count
		if c.duration == nil {
			c.duration = &classicHistogram{buckets: make([]counter, len(LatencyBounds)+1), sum: counter{raw: true}}
		}
		c.duration.observe(b)
	}
	p.scraped, p.stale, p.last = true, false, ts
	for i := range p.codes {
		c := &p.codes[i]
		if !c.created {
			if math.Round(c.requests.v) < 1 {
				continue
			}
			p.create(c)
		}
		if err := c.requests.write(p.s, t); err != nil {
			return err
		}
		if p.noLatency {
			continue
		}
		if err := c.duration.write(p.s, t); err != nil {
			return err
		}
	}
	return nil
}

// create makes the series of a response code, keeping what was counted so far.
func (p *IstioProxy) create(c *istioCode) {
	b := labels.NewBuilder(p.base)
	b.Set("response_code", strconv.Itoa(c.code))
	b.Set(labels.MetricName, istioRequests)
	c.requests.ref = p.s.Series(b.Labels())
	c.created = true
	if p.noLatency {
		return
	}
	b.Del(labels.MetricName)
	h := newHistogram(p.s, istioDuration, b.Labels())
	for i := range h.buckets {
		h.buckets[i].v = c.duration.buckets[i].v
	}
	h.sum.v, h.count.v = c.duration.sum.v, c.duration.count.v
	c.duration = h
}

// Restart resets the counters to zero, as a restarted proxy (a restarted pod)
// does.
func (p *IstioProxy) Restart() {
	for i := range p.codes {
		c := &p.codes[i]
		c.requests.v = 0
		c.duration.each(func(k *counter) { k.v = 0 })
	}
}

// Stale writes a staleness marker at t on every series of the proxy, as
// Prometheus does when the pod stops being scraped (it went away).
func (p *IstioProxy) Stale(t time.Time) error {
	if p.stale || !p.scraped {
		p.stale = true
		return nil
	}
	if t.UnixMilli() <= p.last {
		return fmt.Errorf("promfake: istio proxy %s: stale marker at %d not after last scrape at %d: %w", p.base, t.UnixMilli(), p.last, storage.ErrOutOfOrderSample)
	}
	for i := range p.codes {
		c := &p.codes[i]
		if !c.created {
			continue
		}
		if err := p.s.AppendStale(c.requests.ref, t); err != nil {
			return err
		}
		if p.noLatency {
			continue
		}
		var err error
		c.duration.each(func(k *counter) {
			if err == nil {
				err = p.s.AppendStale(k.ref, t)
			}
		})
		if err != nil {
			return err
		}
	}
	p.stale, p.last = true, t.UnixMilli()
	return nil
}

// IstioState is what an IstioProxy has counted: what Restore goes back to.
type IstioState struct {
	scraped, stale bool
	last           int64
	codes          []istioCode
	durations      []classicHistogram // a copy of each code's histogram
}

// SaveState copies what the proxy has counted so far into st, reusing its
// memory.
func (p *IstioProxy) SaveState(st *IstioState) {
	st.scraped, st.stale, st.last = p.scraped, p.stale, p.last
	st.codes = append(st.codes[:0], p.codes...)
	st.durations = slices.Grow(st.durations[:0], len(p.codes))[:len(p.codes)]
	for i, c := range p.codes {
		d := &st.durations[i]
		d.buckets = append(d.buckets[:0], c.duration.buckets...)
		d.sum, d.count = c.duration.sum, c.duration.count
	}
}

// Restore sets the counters back to st, saved from this proxy by SaveState.
func (p *IstioProxy) Restore(st *IstioState) {
	p.scraped, p.stale, p.last = st.scraped, st.stale, st.last
	p.codes = append(p.codes[:0], st.codes...)
	for i := range p.codes {
		h, d := p.codes[i].duration, &st.durations[i]
		copy(h.buckets, d.buckets)
		h.sum, h.count = d.sum, d.count
	}
}
