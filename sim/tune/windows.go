package tune

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/sim/scenario"
)

// Backtesting: with spec.recorded, a sweep can slide t=0 across the
// recording (--windows N or --every D), so that every policy meets the real
// traffic of many moments (its noise, its daily cycle, its incidents) rather
// than one. Window w replays the recording with its update at the recorded
// updateAt + Windows[w]; runs are windows × --runs, and rates are over all
// of them. The recording is loaded once and shared by every window.

// WindowSpan is where windows can go: t=0 between Earliest and Latest
// (offsets from the scenario's t=0), each run lasting Length.
type WindowSpan struct {
	Earliest, Latest, Length time.Duration
}

// BacktestWindows places the windows: n evenly spaced over the span (n=1:
// the scenario's own t=0 when it fits), or one every `every` from the
// earliest. A window needs the queries' longest window of recording before
// its t=0 and the rollout's length after it: the length of its steps when
// known, else spec.until.
func BacktestWindows(in *scenario.Input, n int, every time.Duration) ([]time.Duration, WindowSpan, error) {
	flag := "--windows"
	if every > 0 {
		flag = "--every"
	}
	rec := in.Recorded()
	if rec == nil {
		return nil, WindowSpan{}, &FlagError{flag, fmt.Errorf("%s has no spec.recorded: windows slide t=0 across a recording", in.File)}
	}
	if n < 0 || (n == 0 && every <= 0) {
		return nil, WindowSpan{}, &FlagError{flag, fmt.Errorf("want a positive number of windows or interval")}
	}
	ro := in.Rollout()
	set := in.Settings()
	length, known := in.ExpectedLength(ro)
	if !known {
		if in.Scenario.Spec.Until == nil {
			return nil, WindowSpan{}, &FlagError{flag, fmt.Errorf("how long a window runs cannot be told from the rollout's steps (an indefinite pause, actions, or blue-green): set spec.until")}
		}
		length = set.Until
	}
	if u := in.Scenario.Spec.Until; u != nil && u.Duration < length {
		length = u.Duration
	}
	before := in.MaxQueryWindow(ro)
	span := WindowSpan{
		Earliest: rec.From.Add(before).Sub(set.Start).Round(time.Second),
		Latest:   rec.To.Add(-length).Sub(set.Start).Truncate(time.Second),
		Length:   length,
	}
	if span.Earliest < rec.From.Add(before).Sub(set.Start) {
		span.Earliest += time.Second
	}
	if span.Latest < span.Earliest {
		return nil, span, &FlagError{flag, fmt.Errorf("the recordings (%s) are too short for one window: each needs %s before t=0 (the queries' windows) and %s after it (the rollout)",
			scenario.ShortDuration(rec.To.Sub(rec.From)), scenario.ShortDuration(before), scenario.ShortDuration(length))}
	}
	var out []time.Duration
	switch {
	case every > 0:
		for at := span.Earliest; at <= span.Latest; at += every {
			out = append(out, at)
		}
	case n == 1:
		at := time.Duration(0)
		if at < span.Earliest || at > span.Latest {
			at = span.Earliest
		}
		out = []time.Duration{at}
	default:
		step := (span.Latest - span.Earliest) / time.Duration(n-1)
		if step < time.Second {
			return nil, span, &FlagError{flag, fmt.Errorf("%d windows do not fit in %s of recording: at most %d", n, scenario.ShortDuration(span.Latest-span.Earliest), int((span.Latest-span.Earliest)/time.Second)+1)}
		}
		step = step.Truncate(time.Second)
		for i := range n {
			out = append(out, span.Earliest+time.Duration(i)*step)
		}
	}
	return out, span, nil
}

// window is the variant of in whose t=0 replays the recording at offset
// from the scenario's, running length.
func window(in *scenario.Input, offset, length time.Duration) *scenario.Input {
	v := in.Clone()
	st := metav1.NewTime(in.Settings().Start.Add(offset))
	v.Scenario.Spec.StartTime = &st
	v.Scenario.Spec.Until = &scenario.Duration{Duration: length}
	return v
}
