package tune

import (
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Rate is a proportion with its 95% Wilson score interval.
type Rate struct {
	Count int     `json:"count"`
	N     int     `json:"n"`
	Rate  float64 `json:"rate"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// z95 is the standard normal quantile for a two-sided 95% interval (1.95996...).
var z95 = distuv.UnitNormal.Quantile(0.975)

// NewRate is count out of n with its Wilson interval. The Wilson interval,
// unlike the normal approximation, stays inside [0, 1] and is not empty at 0 or n:
// 0 aborts in 200 runs gives [0, 1.9%], which is what "never seen" means.
func NewRate(count, n int) Rate {
	r := Rate{Count: count, N: n}
	if n == 0 {
		r.High = 1
		return r
	}
	nf := float64(n)
	p := float64(count) / nf
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	r.Rate = p
	r.Low = max(0, center-half)
	r.High = min(1, center+half)
	if count == 0 {
		r.Low = 0
	}
	if count == n {
		r.High = 1
	}
	return r
}

// Time is a virtual duration in reports: "3m10s" in JSON, null for never.
type Time struct{ time.Duration }

// MarshalJSON writes the duration string.
func (t Time) MarshalJSON() ([]byte, error) { return []byte(`"` + t.Duration.String() + `"`), nil }

// Times are the median and 90th percentile of a set of durations; nil means
// never (a run that was not caught counts as never being caught).
type Times struct {
	N      int   `json:"n"`
	Median *Time `json:"median"`
	P90    *Time `json:"p90"`
}

// never stands for an infinite time among finite ones.
const never = time.Duration(math.MaxInt64)

// newTimes computes the empirical quantiles (gonum's Empirical: the smallest
// observed value whose share of observations at or below it reaches p) of the
// durations, in which never is infinite.
func newTimes(ds []time.Duration) Times {
	t := Times{N: len(ds)}
	if len(ds) == 0 {
		return t
	}
	x := make([]float64, len(ds))
	for i, d := range ds {
		x[i] = float64(d)
		if d == never {
			x[i] = math.Inf(1)
		}
	}
	slices.Sort(x)
	q := func(p float64) *Time {
		v := stat.Quantile(p, stat.Empirical, x, nil)
		if math.IsInf(v, 1) {
			return nil
		}
		return &Time{time.Duration(v)}
	}
	t.Median, t.P90 = q(0.5), q(0.9)
	return t
}

// orNever turns a nil time into never, for comparisons.
func orNever(t *Time) time.Duration {
	if t == nil {
		return never
	}
	return t.Duration
}
