package traffic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/prometheus/prometheus/model/labels"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rollsim/rollsim/promfake"
)

// Pod is what the traffic model needs to know of a pod.
type Pod struct {
	Name  string
	Hash  string // pod-template hash
	Ready bool
}

// SetStableHash names the stable revision's pod-template hash: its pods answer
// with the stable behaviour, every other pod with the canary's.
func (t *Model) SetStableHash(hash string) {
	if hash != t.stableHash {
		t.discard()
		t.stableHash = hash
		t.readyKnown = false
	}
}

// SetPods tells the model every pod of the world, Ready or not, sorted by
// name: the scrapes from now on split requests over them. The model keeps a
// copy; a caller need only call it when its pods changed.
func (t *Model) SetPods(pods []Pod) {
	if slices.Equal(pods, t.pods) {
		return
	}
	t.discard()
	t.pods = append(t.pods[:0], pods...)
	t.readyKnown = false
}

// SetCanaryWeight sets the traffic router's canary weight in percent; a
// negative weight means no router: requests follow Ready pods.
func (t *Model) SetCanaryWeight(w int32) {
	share := -1.0
	if w >= 0 {
		share = float64(w) / 100
	}
	t.setShares(share, 0)
}

// setShares is where the router's split changes: scrapes written ahead
// with the old one are dropped.
func (t *Model) setShares(canary, mirror float64) {
	if canary != t.canaryShare || mirror != t.mirror {
		t.discard()
		t.canaryShare, t.mirror = canary, mirror
	}
}

// SetRouting applies what the router's objects say (RoutingOf): the canary's
// share, mirrored requests, and a header route, which sends the scenario's
// traffic.headerShare of the requests to the canary whatever the weights.
func (t *Model) SetRouting(r Routing) {
	share := r.Canary
	if r.Header && t.headerShare > 0 {
		share = t.headerShare + (1-t.headerShare)*share
	}
	t.setShares(share, r.Mirror)
}

// CanaryOnly makes the model write only the requests the canary answers:
// with a recording, which stands for what the stable served, the canary's
// share of the rate is added on top of it (the recorded requests are not
// thinned by the canary's weight).
func (t *Model) CanaryOnly(on bool) {
	if on != t.canaryOnly {
		t.discard()
		t.canaryOnly = on
	}
}

// SetPreviewHash says which pods the blue-green preview service selects.
func (t *Model) SetPreviewHash(hash string) {
	if hash != t.previewHash {
		t.discard()
		t.previewHash = hash
	}
}

// Versions of the service, as indices into per-version arrays.
const (
	stableVersion = 0
	canaryVersion = 1
)

var versionNames = [2]string{"stable", "canary"}

// Model turns the scenario's load into what the exporters would count: at
// every scrape, the requests since the previous scrape, split between the
// versions (by the traffic router's weight, or by Ready pods as kube-proxy
// spreads them), answered with each version's status codes and latencies,
// added to the cumulative counters and histograms that Prometheus scrapes.
type Model struct {
	mesh  string
	store *promfake.Store
	src   *rand.PCG
	rng   *rand.Rand // over src
	// lat and latRng draw latencies; latency is false when no query reads
	// them (LeaveOut).
	lat      *rand.PCG
	latRng   *rand.Rand
	latency  bool
	noise    bool
	rate     *rateSchedule
	interval time.Duration
	specs    [2]versionSpec
	models   [2]*behaviour
	last     time.Time // previous scrape; zero before the first

	stableHash string // SetStableHash
	// pods are the world's (SetPods); ready counts the Ready ones of each
	// version, if readyKnown.
	pods       []Pod
	ready      [2]int
	readyKnown bool
	// canaryShare, when >= 0, is the share of requests the traffic router sends
	// to the canary; otherwise traffic follows Ready pods, as kube-proxy
	// spreads it. mirror is the share copied to the canary besides.
	canaryShare float64 // SetCanaryWeight, SetRouting
	mirror      float64
	// headerShare is the share of requests a header route matches.
	headerShare float64
	canaryOnly  bool // CanaryOnly

	envoy *promfake.EnvoyCluster
	istio *istioSeries

	// Blue-green preview traffic: requests to the preview service, answered by the
	// pods of previewHash (the preview selector), counted on their own route.
	preview     *promfake.EnvoyCluster
	previewRPS  float64
	previewHash string

	batches []promfake.Batch // scratch
	ahead   ahead            // scrapes written ahead (ahead.go)
}

// New builds the traffic model of a scenario, writing into store. It
// also loads spec.series, whose samples are fixed in advance.
func New(in *scenario.Input, set scenario.Settings, store *promfake.Store) *Model {
	tr := in.Scenario.Spec.Traffic
	src := rand.NewPCG(uint64(set.Seed), 0x74726166666963) // "traffic"
	lat := rand.NewPCG(uint64(set.Seed), 0x6c6174656e6379) // "latency"
	t := &Model{
		mesh:        tr.Mesh,
		store:       store,
		src:         src,
		rng:         rand.New(src),
		lat:         lat,
		latRng:      rand.New(lat),
		latency:     true,
		noise:       tr.Noise != "none",
		rate:        newRateSchedule(&tr, set.Start),
		interval:    set.Scrape,
		canaryShare: -1,
	}
	if tr.HeaderShare != nil {
		t.headerShare = *tr.HeaderShare
	}
	t.specs[stableVersion] = versionSpec{p50: defaultP50, p99: defaultP99}
	t.specs[stableVersion].merge(&tr.Stable)
	// The canary behaves like the stable unless told otherwise.
	t.specs[canaryVersion] = t.specs[stableVersion]
	t.specs[canaryVersion].merge(&tr.Canary)
	for v := range t.specs {
		t.models[v] = t.specs[v].resolve()
	}
	switch tr.Mesh {
	case "istio":
		t.istio = newIstioSeries(in, store)
		if p := tr.Preview; p != nil && p.RPS != nil && *p.RPS > 0 {
			t.previewRPS = *p.RPS
		}
	default:
		t.envoy = promfake.NewEnvoyCluster(store, tr.Route+"/rule/0", labels.EmptyLabels())
		if p := tr.Preview; p != nil && p.RPS != nil && *p.RPS > 0 {
			route := p.Route
			if route == "" {
				route = tr.Route + "-preview"
			}
			t.preview = promfake.NewEnvoyCluster(store, route+"/rule/0", labels.EmptyLabels())
			t.previewRPS = *p.RPS
		}
	}
	return t
}

// LeaveOut makes the model write only the series a run may read: a family
// of series none of whose metric names read accepts is left out. Requests
// are drawn as they would be with it, so the other series are the same
// sample for sample; latencies are not drawn at all when no histogram is
// written. Call it before the first scrape.
func (t *Model) LeaveOut(read func(metric string) bool) {
	anyRead := func(names []string) bool {
		return slices.ContainsFunc(names, read)
	}
	latency := false
	for _, f := range promfake.EnvoyFamilies {
		if anyRead(f.MetricNames()) {
			latency = latency || f == promfake.EnvoyLatency && (t.envoy != nil || t.preview != nil)
			continue
		}
		for _, c := range []*promfake.EnvoyCluster{t.envoy, t.preview} {
			if c != nil {
				c.Without(f)
			}
		}
	}
	if t.istio != nil {
		if anyRead(promfake.IstioLatencyMetricNames) {
			latency = true
		} else {
			t.istio.noLatency = true
		}
	}
	t.latency = latency
}

// LoadSeries writes spec.series into the store (validated on load).
func LoadSeries(in *scenario.Input, set scenario.Settings, store *promfake.Store) error {
	for i, s := range in.Scenario.Spec.Series {
		interval := promfake.DefaultNotationInterval
		if s.Interval != nil {
			interval = s.Interval.Duration
		}
		start := set.Start
		if s.Start != nil {
			start = start.Add(s.Start.Duration)
		}
		if err := promfake.LoadSeriesNotation(store, s.Series, s.Values, start, interval); err != nil {
			return in.ScenarioDoc.Errorf("Scenario "+in.Scenario.Metadata.Name, fmt.Sprintf("spec.series[%d]", i), "%v", err)
		}
	}
	return nil
}

// Apply changes the versions' behaviour (the rate follows its schedule) and
// describes the event for the timeline.
func (t *Model) Apply(ev *scenario.TrafficEvent) string {
	t.discard()
	var what []string
	if ev.RPS != nil {
		if ev.Over != nil {
			what = append(what, fmt.Sprintf("rps ramps to %g over %s", *ev.RPS, ev.Over.Duration))
		} else {
			what = append(what, fmt.Sprintf("rps %g", *ev.RPS))
		}
	}
	for v, b := range [2]*scenario.Behaviour{ev.Stable, ev.Canary} {
		if b == nil {
			continue
		}
		t.specs[v].merge(b)
		t.models[v] = t.specs[v].resolve()
		what = append(what, versionNames[v]+" "+t.models[v].describe())
	}
	if ev.Restart != "" {
		t.restart(ev.Restart)
		what = append(what, "restart "+ev.Restart)
	}
	return strings.Join(what, ", ")
}

// describe summarizes an answer model: "errorRate 0.25" or the codes, and
// the latency.
func (b *behaviour) describe() string {
	var s strings.Builder
	if len(b.codes) <= 2 && (len(b.codes) == 1 || b.codes[0].code == 200 && b.codes[1].code == 503) {
		e := 0.0
		if len(b.codes) == 2 {
			e = b.codes[1].share
		} else if b.codes[0].code >= 500 {
			e = 1
		}
		fmt.Fprintf(&s, "errorRate %g", e)
	} else {
		s.WriteString("codes {")
		for i, c := range b.codes {
			if i > 0 {
				s.WriteString(", ")
			}
			fmt.Fprintf(&s, "%d: %g", c.code, c.share)
		}
		s.WriteString("}")
	}
	fmt.Fprintf(&s, ", latency p50 %gms p99 %gms", b.p50, b.p99)
	return s.String()
}

func (t *Model) restart(what string) {
	switch what {
	case "gateway":
		if t.envoy != nil {
			t.envoy.Restart()
		}
		if t.istio != nil {
			t.istio.restartGateway()
		}
	case "stable", "canary":
		if t.istio != nil {
			v := stableVersion
			if what == "canary" {
				v = canaryVersion
			}
			t.istio.restartPods(v)
		}
	}
}

// versionOf tells the stable pods from the others.
func (t *Model) versionOf(hash string) int {
	if hash == t.stableHash {
		return stableVersion
	}
	return canaryVersion
}

// split returns the share of requests each version gets and its Ready pods.
func (t *Model) split() (share [2]float64, ready [2]int) {
	if !t.readyKnown {
		t.ready = [2]int{}
		for _, p := range t.pods {
			if p.Ready {
				t.ready[t.versionOf(p.Hash)]++
			}
		}
		t.readyKnown = true
	}
	ready = t.ready
	if t.canaryShare >= 0 {
		c := t.canaryShare
		return [2]float64{1 - c, c}, ready
	}
	total := ready[0] + ready[1]
	if total == 0 {
		return share, ready
	}
	c := float64(ready[canaryVersion]) / float64(total)
	return [2]float64{1 - c, c}, ready
}

// Scrape records one scrape at now: the requests since the previous scrape,
// split over the pods (SetPods). A scrape written ahead for now is confirmed
// instead.
func (t *Model) Scrape(now time.Time) error {
	if t.confirm(now) {
		return nil
	}
	t.discard()
	return t.scrape(now)
}

func (t *Model) scrape(now time.Time) error {
	from := t.last
	if from.IsZero() {
		from = now.Add(-t.interval)
	}
	t.last = now
	mean := t.rate.requests(from, now)
	share, ready := t.split()
	if t.canaryOnly {
		share[stableVersion] = 0
	}
	if t.istio != nil {
		return t.istio.scrape(t, now, mean, share, ready, t.pods)
	}
	batches := t.batches[:0]
	for v := range share {
		m := mean * share[v]
		if m <= 0 {
			continue
		}
		if ready[v] == 0 {
			// Weighted to a version without endpoints: the proxy answers
			// 503 (no healthy upstream) at once.
			batches = t.unavailable(m, batches)
			continue
		}
		batches = t.draw(m, t.models[v], batches)
	}
	if t.mirror > 0 && ready[canaryVersion] > 0 {
		// Mirrored copies: answered by the canary, counted on the route's
		// clusters like any request (their answers are dropped).
		batches = t.draw(mean*t.mirror, t.models[canaryVersion], batches)
	}
	t.batches = batches
	if err := t.envoy.ScrapeBatches(now, batches); err != nil {
		return err
	}
	return t.scrapePreview(now, now.Sub(from))
}

// scrapePreview records the preview service's requests, if it has any traffic.
func (t *Model) scrapePreview(now time.Time, d time.Duration) error {
	if t.preview == nil || t.previewHash == "" {
		return nil
	}
	ready := 0
	for _, p := range t.pods {
		if p.Ready && p.Hash == t.previewHash {
			ready++
		}
	}
	mean := t.previewRPS * d.Seconds()
	var batches []promfake.Batch
	if ready == 0 {
		batches = t.unavailable(mean, nil)
	} else {
		batches = t.draw(mean, t.models[t.versionOf(t.previewHash)], nil)
	}
	return t.preview.ScrapeBatches(now, batches)
}

// draw appends the requests of one interval with mean expected requests
// answered by b: with noise, a Poisson count split over status codes by a
// multinomial draw (a chain of binomials), then over latency buckets the same
// way with a latency sum drawn from its normal approximation; without, the
// expected values. Latencies come from a stream of their own, so that
// leaving them out (LeaveOut) changes no count.
func (t *Model) draw(mean float64, b *behaviour, out []promfake.Batch) []promfake.Batch {
	if mean <= 0 {
		return out
	}
	if !t.noise {
		for _, c := range b.codes {
			n := mean * c.share
			bt := promfake.Batch{Code: c.code, Count: n}
			if t.latency {
				bt.Buckets = make([]float64, len(b.bucket))
				for i, p := range b.bucket {
					bt.Buckets[i] = n * p
				}
				bt.LatencySum = n * b.mean
			}
			out = append(out, bt)
		}
		return out
	}
	rem := distuv.Poisson{Lambda: mean, Src: t.src}.Rand()
	restShare := 1.0
	for i, c := range b.codes {
		k := rem
		if i < len(b.codes)-1 {
			k = binomial(rem, c.share/restShare, t.rng)
		}
		rem -= k
		restShare -= c.share
		if k <= 0 {
			continue
		}
		bt := promfake.Batch{Code: c.code, Count: k}
		if t.latency {
			bt.Buckets, bt.LatencySum = t.latencies(k, b)
		}
		out = append(out, bt)
	}
	return out
}

// latencies splits k requests answered by b over the latency buckets and
// draws their total time.
func (t *Model) latencies(k float64, b *behaviour) ([]float64, float64) {
	nb := len(b.bucket)
	bk := make([]float64, nb)
	left := k
	for j := range bk {
		if left <= 0 {
			break
		}
		x := left
		if j < nb-1 {
			x = binomial(left, b.cond[j], t.latRng)
		}
		bk[j] = x
		left -= x
	}
	sum := k*b.mean + math.Sqrt(k)*b.sd*t.latRng.NormFloat64()
	return bk, max(0, sum)
}

// unavailable appends requests answered 503 by the proxy itself, in well
// under a millisecond.
func (t *Model) unavailable(mean float64, out []promfake.Batch) []promfake.Batch {
	n := mean
	if t.noise {
		n = distuv.Poisson{Lambda: mean, Src: t.src}.Rand()
	}
	if n <= 0 {
		return out
	}
	bt := promfake.Batch{Code: 503, Count: n}
	if t.latency {
		bt.Buckets = make([]float64, len(promfake.LatencyBounds)+1)
		bt.Buckets[0] = n
		bt.LatencySum = 0.1 * n
	}
	return append(out, bt)
}

// binomial draws Binomial(n, p) from rng.
func binomial(n, p float64, rng *rand.Rand) float64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	}
	return binomialRand(n, p, rng)
}
