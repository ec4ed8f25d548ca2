package traffic

import (
	"math"
	"slices"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rollsim/rollsim/promfake"
)

// Default latency of a version whose scenario gives none: histograms need
// some distribution, and this one is unremarkable for an HTTP service.
const (
	defaultP50 = 20 * time.Millisecond
	defaultP99 = 200 * time.Millisecond
)

// z99 is the standard normal's 99th percentile: for a log-normal,
// ln p99 = ln p50 + z99·σ.
const z99 = 2.3263478740408408

// versionSpec is a version's behaviour as given so far (the scenario's, then
// events merged in).
type versionSpec struct {
	errorRate *float64
	codes     map[int]float64
	p50, p99  time.Duration
}

func (v *versionSpec) merge(b *scenario.Behaviour) {
	if b == nil {
		return
	}
	if b.Codes != nil {
		// Codes given alone say it all: an earlier (or inherited) errorRate
		// no longer rescales them.
		v.codes, v.errorRate = b.Codes, nil
	}
	if b.ErrorRate != nil {
		e := *b.ErrorRate
		v.errorRate = &e
	}
	if b.Latency != nil && b.Latency.P50 != nil && b.Latency.P99 != nil {
		v.p50, v.p99 = b.Latency.P50.Duration, b.Latency.P99.Duration
	}
}

// behaviour is a version's resolved answer model.
type behaviour struct {
	codes  []codeShare // sorted by code, shares add up to 1
	p50    float64     // ms
	p99    float64     // ms
	mu     float64     // log-normal parameters of the latency in ms
	sigma  float64
	mean   float64   // mean latency, ms
	sd     float64   // its standard deviation
	bucket []float64 // probability of each latency bucket (promfake.LatencyBounds, then +Inf)
	// cond[i] is bucket[i] given that the latency is above bucket i-1's
	// bound: the success probabilities of drawing the multinomial as a chain
	// of binomials.
	cond []float64
}

type codeShare struct {
	code  int
	share float64
}

func sortedCodes(m map[int]float64) []int {
	out := make([]int, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// resolve computes the answer model of a version spec.
func (v *versionSpec) resolve() *behaviour {
	b := &behaviour{}
	codes := map[int]float64{200: 1}
	if v.codes != nil {
		codes = map[int]float64{}
		for c, s := range v.codes {
			if s > 0 {
				codes[c] = s
			}
		}
	}
	if v.errorRate != nil {
		e := *v.errorRate
		var s5, other float64
		for c, s := range codes {
			if c >= 500 {
				s5 += s
			} else {
				other += s
			}
		}
		if s5 == 0 && e > 0 {
			codes[503], s5 = e, e
		}
		if other == 0 && e < 1 {
			codes[200], other = 1-e, 1-e
		}
		for c, s := range codes {
			if c >= 500 {
				codes[c] = s * e / s5
			} else {
				codes[c] = s * (1 - e) / other
			}
		}
	}
	for _, c := range sortedCodes(codes) {
		if codes[c] > 0 {
			b.codes = append(b.codes, codeShare{c, codes[c]})
		}
	}
	b.fitLatency(v.p50, v.p99)
	return b
}

// fitLatency fits a log-normal to p50 and p99: μ = ln p50, σ = (ln p99 − ln
// p50) / z99, and tabulates the bucket probabilities with gonum's CDF.
func (b *behaviour) fitLatency(p50, p99 time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.p50, b.p99 = ms(p50), ms(p99)
	b.mu = math.Log(b.p50)
	b.sigma = (math.Log(b.p99) - b.mu) / z99
	n := len(promfake.LatencyBounds) + 1
	b.bucket = make([]float64, n)
	b.cond = make([]float64, n)
	cdf := func(x float64) float64 {
		if b.sigma == 0 {
			if x >= b.p50 {
				return 1
			}
			return 0
		}
		return distuv.LogNormal{Mu: b.mu, Sigma: b.sigma}.CDF(x)
	}
	prev := 0.0
	for i := range n {
		c := 1.0
		if i < len(promfake.LatencyBounds) {
			c = cdf(promfake.LatencyBounds[i])
		}
		b.bucket[i] = max(0, c-prev)
		if rest := 1 - prev; rest > 0 {
			b.cond[i] = min(1, b.bucket[i]/rest)
		}
		prev = c
	}
	b.cond[n-1] = 1
	s2 := b.sigma * b.sigma
	b.mean = math.Exp(b.mu + s2/2)
	b.sd = math.Sqrt(math.Expm1(s2)) * b.mean
}
