// Package tune is Monte-Carlo policy tuning (`rollsim tune`): it runs a scenario
// many times, seeded, for every combination of analysis-policy values (failureLimit,
// interval, count, consecutiveErrorLimit, a condition's threshold, ...), once as
// written (the healthy case) and once per degradation of the canary, and
// summarises how often each policy aborts a healthy canary, how often it misses a
// bad one and how fast it catches it.
//
// It owns the sweep (variants, seeds, shards, parallel runs) and the statistics;
// it does not simulate (sim does) and does not render (reports does). Results do
// not depend on the parallelism or on how the sweep is sharded: run i of every case
// uses a seed derived from the base seed and i alone.
package tune

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

// Spec is what to sweep. It is written into partial results, so that shards of
// different sweeps are never merged.
type Spec struct {
	// Scenario is the scenario's name and Digest the SHA-256 of its file, to
	// check that shards ran the same input.
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	Digest   string `json:"digest,omitempty"`
	// Metric is the analysis metric whose fields are varied.
	Metric  string        `json:"metric"`
	Vary    []Vary        `json:"vary"`
	Degrade []Degradation `json:"degrade"`
	// Runs is the number of seeded runs of each case of each combination.
	Runs int   `json:"runs"`
	Seed int64 `json:"seed"`
	// Windows, for a backtest, are the offsets of each window's t=0 from the
	// scenario's (BacktestWindows); every case runs Runs times per window.
	Windows []time.Duration `json:"windows,omitempty"`
	// WindowLength is how long each window runs (its spec.until).
	WindowLength time.Duration `json:"windowLength,omitempty"`
	// WindowEvery is --every, for the table's header (0: --windows).
	WindowEvery time.Duration `json:"windowEvery,omitempty"`
	// Recordings describe spec.recorded as loaded (series, samples, span),
	// so that shards replaying different recordings are never merged.
	Recordings []string `json:"recordings,omitempty"`
}

// Vary is one --vary flag: a key and the values it takes.
type Vary struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// Keys that --vary understands, besides args.NAME.
const (
	KeyFailureLimit            = "failureLimit"
	KeyInterval                = "interval"
	KeyCount                   = "count"
	KeyConsecutiveErrorLimit   = "consecutiveErrorLimit"
	KeyInconclusiveLimit       = "inconclusiveLimit"
	KeyConsecutiveSuccessLimit = "consecutiveSuccessLimit"
	KeyInitialDelay            = "initialDelay"
	// KeyThreshold is shorthand for args.threshold: the condition's threshold is
	// an ordinary template argument, written {{args.threshold}} in the condition.
	KeyThreshold = "threshold"
	argsPrefix   = "args."
)

var intKeys = map[string]bool{
	KeyFailureLimit: true, KeyCount: true, KeyConsecutiveErrorLimit: true,
	KeyInconclusiveLimit: true, KeyConsecutiveSuccessLimit: true,
}

var durationKeys = map[string]bool{KeyInterval: true, KeyInitialDelay: true}

// KnownKeys lists the keys for help and error messages.
const KnownKeys = "failureLimit, interval, count, consecutiveErrorLimit, inconclusiveLimit, consecutiveSuccessLimit, initialDelay, threshold, args.NAME"

// ArgName is the template argument a key sets, or "" when the key is a metric
// field.
func ArgName(key string) string {
	if key == KeyThreshold {
		return "threshold"
	}
	if strings.HasPrefix(key, argsPrefix) {
		return strings.TrimPrefix(key, argsPrefix)
	}
	return ""
}

// ParseVary reads "KEY=V1,V2,...".
func ParseVary(s string) (Vary, error) {
	key, list, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" || strings.TrimSpace(list) == "" {
		return Vary{}, fmt.Errorf("want KEY=V1,V2,... (keys: %s)", KnownKeys)
	}
	v := Vary{Key: key}
	switch {
	case intKeys[key], durationKeys[key], key == KeyThreshold:
	case strings.HasPrefix(key, argsPrefix) && len(key) > len(argsPrefix):
	default:
		return Vary{}, fmt.Errorf("unknown key %q (keys: %s)", key, KnownKeys)
	}
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		val := strings.TrimSpace(raw)
		if val == "" {
			return Vary{}, fmt.Errorf("%s: empty value in %q", key, list)
		}
		switch {
		case intKeys[key]:
			n, err := strconv.ParseInt(val, 10, 32)
			if err != nil {
				return Vary{}, fmt.Errorf("%s: %q is not an integer", key, val)
			}
			if n < 0 && !(key == KeyFailureLimit || key == KeyInconclusiveLimit) {
				return Vary{}, fmt.Errorf("%s: %d must not be negative", key, n)
			}
			if n < -1 {
				return Vary{}, fmt.Errorf("%s: %d must be -1 (disabled) or more", key, n)
			}
			val = strconv.FormatInt(n, 10)
		case durationKeys[key]:
			d, err := time.ParseDuration(val)
			if err != nil {
				return Vary{}, fmt.Errorf("%s: %q is not a duration (e.g. 30s, 1m)", key, val)
			}
			if d < 0 || (key == KeyInterval && d == 0) {
				return Vary{}, fmt.Errorf("%s: %s must be positive", key, val)
			}
		}
		if seen[val] {
			return Vary{}, fmt.Errorf("%s: value %s given twice", key, val)
		}
		seen[val] = true
		v.Values = append(v.Values, val)
	}
	return v, nil
}

// Degradation is a canary that answers ErrorRate of its requests with 5xx from
// At (an offset from the update) on.
type Degradation struct {
	ErrorRate float64       `json:"errorRate"`
	At        time.Duration `json:"at"`
}

// Name is how the degradation reads in tables and flags: "errorRate=0.05" or
// "errorRate=0.05@10m".
func (d Degradation) Name() string {
	s := "errorRate=" + strconv.FormatFloat(d.ErrorRate, 'g', -1, 64)
	if d.At > 0 {
		s += "@" + scenario.ShortDuration(d.At)
	}
	return s
}

// DegradeKey is the one key --degrade understands so far.
const DegradeKey = "canary.errorRate"

// ParseDegrade reads "canary.errorRate=V1[@AT],V2[@AT],...".
func ParseDegrade(s string) ([]Degradation, error) {
	key, list, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("want %s=V1,V2,... with an optional @TIME per value, e.g. %s=0.05,0.2@10m", DegradeKey, DegradeKey)
	}
	if strings.TrimSpace(key) != DegradeKey {
		return nil, fmt.Errorf("unknown key %q (only %s can be degraded so far)", key, DegradeKey)
	}
	var out []Degradation
	for _, raw := range strings.Split(list, ",") {
		val, at, hasAt := strings.Cut(strings.TrimSpace(raw), "@")
		r, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return nil, fmt.Errorf("%s: %q is not an error rate between 0 and 1", DegradeKey, val)
		}
		d := Degradation{ErrorRate: r}
		if hasAt {
			t, err := time.ParseDuration(at)
			if err != nil || t < 0 {
				return nil, fmt.Errorf("%s: @%s is not a time after the update (e.g. @10m)", DegradeKey, at)
			}
			d.At = t
		}
		out = append(out, d)
	}
	return out, nil
}

// Shard is the part K (0-based, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX) of N of a sweep.
type Shard struct {
	K int `json:"k"`
	N int `json:"n"`
}

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return Shard{}, fmt.Errorf("want K/N with 0 <= K < N (K is 0-based, as JOB_COMPLETION_INDEX), got %q", s)
	}
	return Shard{K: k, N: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// owns reports whether task t belongs to the shard: tasks are dealt round-robin,
// so every shard gets a similar mix of cheap and costly combinations.
func (s Shard) owns(t int) bool { return s.N <= 1 || t%s.N == s.K }
