package tune

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"
)

// Objective orders policies: those whose false-abort rate (point estimate) is at
// most MaxFalseAbort come first; among them the fastest detection, then the
// fewest misses, the fewest false aborts and the shortest healthy rollout.
type Objective struct {
	MaxFalseAbort float64 `json:"maxFalseAbort"`
}

// Describe states the objective as the table's header does.
func (o Objective) Describe(degradations int) string {
	s := fmt.Sprintf("false aborts ≤ %s", percent(o.MaxFalseAbort))
	if degradations == 0 {
		return s + ", then fewest false aborts, then shortest rollout"
	}
	return s + ", then fastest detection (mean over degradations of the median time to detect, a missed run counting as never), then fewest misses"
}

// Report is the summary of a sweep: one row per combination, sorted by the
// objective.
type Report struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`
	Metric   string `json:"metric"`
	Runs     int    `json:"runs"`
	// Trials is the number of runs of each case: Runs, times Windows in a
	// backtest; the rates are over them.
	Trials int `json:"trials"`
	// Windows is the number of backtest windows (0: no backtest); their t=0
	// go from WindowsFrom to WindowsTo (offsets from the scenario's t=0),
	// every WindowEvery (0: evenly spaced, --windows), each running
	// WindowLength.
	Windows      int      `json:"windows,omitempty"`
	WindowsFrom  *Time    `json:"windowsFrom,omitempty"`
	WindowsTo    *Time    `json:"windowsTo,omitempty"`
	WindowEvery  *Time    `json:"windowEvery,omitempty"`
	WindowLength *Time    `json:"windowLength,omitempty"`
	Seed         int64    `json:"seed"`
	Vary         []Vary   `json:"vary"`
	Degradations []string `json:"degradations"`
	// DegradationsAt are the degradations' start times (offsets from the update).
	DegradationsAt []Time    `json:"degradationsAt"`
	Objective      Objective `json:"objective"`
	ObjectiveText  string    `json:"objectiveText"`
	Rows           []Row     `json:"rows"`
	// Best is the index in Rows of the recommended policy, -1 when no policy
	// meets the false-abort bound.
	Best           int    `json:"best"`
	Recommendation string `json:"recommendation"`
}

// Row is one combination's results.
type Row struct {
	Rank     int               `json:"rank"`
	Label    string            `json:"label"`
	Settings map[string]string `json:"settings"`
	// Feasible: the false-abort rate is within the objective's bound.
	Feasible bool `json:"feasible"`
	// Pareto: no other policy is as good on false aborts, misses and detection
	// time and better on one of them.
	Pareto   bool          `json:"pareto"`
	Healthy  HealthyStats  `json:"healthy"`
	Degraded []DegradedRow `json:"degraded"`
	// Detect is the objective's detection time: the mean over degradations of
	// the median time to detect; nil (never) when one of them is missed in half
	// the runs or more.
	Detect *Time `json:"detect"`
	// MeanMiss is the mean of the degradations' miss rates.
	MeanMiss float64 `json:"meanMiss"`

	order int
}

// Verdicts counts the runs of a case by verdict.
type Verdicts struct {
	Promoted   int `json:"promoted"`
	Aborted    int `json:"aborted"`
	Paused     int `json:"paused"`
	Incomplete int `json:"incomplete"`
}

func (v *Verdicts) add(code string) {
	switch code {
	case "P":
		v.Promoted++
	case "A":
		v.Aborted++
	case "p":
		v.Paused++
	default:
		v.Incomplete++
	}
}

// HealthyStats are the results of the scenario as written.
type HealthyStats struct {
	Verdicts
	FalseAbort Rate `json:"falseAbort"`
	// RolloutTime is the time from the update to promotion, over promoted runs.
	RolloutTime Times `json:"rolloutTime"`
	// AbortReason is the most frequent message of the aborted runs (the
	// rollout's message, as `kubectl argo rollouts get rollout` shows it) and
	// AbortReasonCount how many of them ended with it.
	AbortReason      string `json:"abortReason,omitempty"`
	AbortReasonCount int    `json:"abortReasonCount,omitempty"`
}

// DegradedRow are the results of one degradation.
type DegradedRow struct {
	Name string `json:"name"`
	Verdicts
	// Miss is the share of runs promoted despite the degradation.
	Miss Rate `json:"miss"`
	// Detect is the time from the degradation's start to the abort, over all
	// runs, a run that was not aborted counting as never (so a p90 of never means
	// more than 10% were not caught). An abort before the degradation started
	// counts as 0.
	Detect Times `json:"detect"`
}

// Merge checks that the parts are the shards of one sweep, each once, and
// that together they hold every run.
func Merge(parts ...*Part) (*Part, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to merge")
	}
	first := parts[0]
	spec, _ := json.Marshal(first.Spec)
	merged := &Part{Format: PartFormat, Spec: first.Spec, Combos: first.Combos, Tasks: first.Tasks, Shard: Shard{K: 0, N: 1}}
	seenShard := map[int]bool{}
	owner := make([]int, first.Tasks)
	for i := range owner {
		owner[i] = -1
	}
	all := make([]Outcome, first.Tasks)
	for n, p := range parts {
		if p.Format != PartFormat {
			return nil, fmt.Errorf("part %d: not a rollsim tune partial result (format %q, want %q)", n+1, p.Format, PartFormat)
		}
		s, _ := json.Marshal(p.Spec)
		if !bytes.Equal(s, spec) || p.Combos != first.Combos || p.Tasks != first.Tasks {
			return nil, fmt.Errorf("part %d: from a different sweep than part 1 (scenario, flags or runs differ)", n+1)
		}
		if p.Shard.N != first.Shard.N {
			return nil, fmt.Errorf("part %d: shard %s of %d, but part 1 is of %d shards", n+1, p.Shard, p.Shard.N, first.Shard.N)
		}
		if seenShard[p.Shard.K] {
			return nil, fmt.Errorf("part %d: shard %s given twice", n+1, p.Shard)
		}
		seenShard[p.Shard.K] = true
		for _, o := range p.Outcomes {
			if o.Task < 0 || o.Task >= first.Tasks || !p.Shard.owns(o.Task) {
				return nil, fmt.Errorf("part %d: run %d does not belong to shard %s", n+1, o.Task, p.Shard)
			}
			if owner[o.Task] >= 0 {
				return nil, fmt.Errorf("part %d: run %d given twice", n+1, o.Task)
			}
			owner[o.Task] = n
			all[o.Task] = o
		}
	}
	var missing []string
	for k := range first.Shard.N {
		if !seenShard[k] {
			missing = append(missing, Shard{k, first.Shard.N}.String())
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shards missing: %s", strings.Join(missing, ", "))
	}
	for t, n := range owner {
		if n < 0 {
			return nil, fmt.Errorf("run %d is missing (a shard was cut short?)", t)
		}
	}
	merged.Outcomes = all
	return merged, nil
}

// Summarize turns the outcomes of a whole sweep (a Part holding every run, as
// summarizeCombo is the row of combination c: its healthy runs and each
// degradation's.
func summarizeCombo(plan *Plan, c int, combo Combination, byTask []Outcome, trials int, obj Objective) Row {
	spec := plan.Spec
	row := Row{Label: combo.Label(), Settings: map[string]string{}, order: c, Degraded: []DegradedRow{}}
	if row.Label == "" {
		row.Label = "(as written)"
	}
	for _, s := range combo {
		row.Settings[s.Key] = s.Value
	}
	// Healthy.
	var rollout []time.Duration
	reasons := map[string]int{}
	for i := range trials {
		o := byTask[plan.task(c, 0, i)]
		row.Healthy.add(o.Verdict)
		if o.Verdict == "P" && o.DecidedAt >= 0 {
			rollout = append(rollout, o.DecidedAt)
		}
		if o.Verdict == "A" {
			reasons[o.Message]++
		}
	}
	for m, n := range reasons {
		if n > row.Healthy.AbortReasonCount || n == row.Healthy.AbortReasonCount && m < row.Healthy.AbortReason {
			row.Healthy.AbortReason, row.Healthy.AbortReasonCount = m, n
		}
	}
	row.Healthy.FalseAbort = NewRate(row.Healthy.Aborted, trials)
	row.Healthy.RolloutTime = newTimes(rollout)
	// Degradations.
	var sum time.Duration
	detectNever := len(spec.Degrade) == 0
	for j, d := range spec.Degrade {
		dr := DegradedRow{Name: d.Name()}
		ttd := make([]time.Duration, 0, trials)
		for i := range trials {
			o := byTask[plan.task(c, 1+j, i)]
			dr.add(o.Verdict)
			if o.Verdict == "A" && o.DecidedAt >= 0 {
				ttd = append(ttd, max(0, o.DecidedAt-d.At))
			} else {
				ttd = append(ttd, never)
			}
		}
		dr.Miss = NewRate(dr.Promoted, trials)
		dr.Detect = newTimes(ttd)
		row.MeanMiss += dr.Miss.Rate / float64(len(spec.Degrade))
		if dr.Detect.Median == nil {
			detectNever = true
		} else {
			sum += dr.Detect.Median.Duration
		}
		row.Degraded = append(row.Degraded, dr)
	}
	if !detectNever {
		row.Detect = &Time{sum / time.Duration(len(spec.Degrade))}
	}
	row.Feasible = row.Healthy.FalseAbort.Rate <= obj.MaxFalseAbort+1e-12
	return row
}

// Run without a shard or Merge returns) into the sorted table.
func Summarize(p *Part, obj Objective) (*Report, error) {
	if len(p.Outcomes) != p.Tasks {
		return nil, fmt.Errorf("the part holds %d of %d runs: merge every shard first", len(p.Outcomes), p.Tasks)
	}
	spec := p.Spec
	plan := &Plan{Spec: spec, Combos: Combinations(spec.Vary)}
	if len(plan.Combos) != p.Combos || plan.Tasks() != p.Tasks {
		return nil, fmt.Errorf("the part's counts do not match its spec")
	}
	rep := &Report{Scenario: spec.Scenario, File: spec.File, Metric: spec.Metric, Runs: spec.Runs, Seed: spec.Seed,
		Vary: spec.Vary, Objective: obj, ObjectiveText: obj.Describe(len(spec.Degrade)), Best: -1}
	if rep.Vary == nil {
		rep.Vary = []Vary{}
	}
	rep.Degradations = []string{}
	rep.DegradationsAt = []Time{}
	for _, d := range spec.Degrade {
		rep.Degradations = append(rep.Degradations, d.Name())
		rep.DegradationsAt = append(rep.DegradationsAt, Time{d.At})
	}
	trials := plan.Trials()
	rep.Trials = trials
	if len(spec.Windows) > 0 {
		rep.Windows = len(spec.Windows)
		rep.WindowsFrom, rep.WindowsTo = &Time{spec.Windows[0]}, &Time{spec.Windows[len(spec.Windows)-1]}
		rep.WindowEvery = &Time{spec.WindowEvery}
		rep.WindowLength = &Time{spec.WindowLength}
	}
	byTask := make([]Outcome, p.Tasks)
	for _, o := range p.Outcomes {
		byTask[o.Task] = o
	}
	for c, combo := range plan.Combos {
		rep.Rows = append(rep.Rows, summarizeCombo(plan, c, combo, byTask, trials, obj))
	}
	markPareto(rep.Rows, len(spec.Degrade) > 0)
	sort.SliceStable(rep.Rows, func(i, j int) bool { return less(&rep.Rows[i], &rep.Rows[j]) })
	for i := range rep.Rows {
		rep.Rows[i].Rank = i + 1
	}
	if len(rep.Rows) > 0 && rep.Rows[0].Feasible {
		rep.Best = 0
	}
	rep.Recommendation = recommend(rep)
	return rep, nil
}

// less is the objective's order.
func less(a, b *Row) bool {
	if a.Feasible != b.Feasible {
		return a.Feasible
	}
	if x, y := orNever(a.Detect), orNever(b.Detect); x != y {
		return x < y
	}
	if a.MeanMiss != b.MeanMiss {
		return a.MeanMiss < b.MeanMiss
	}
	if a.Healthy.FalseAbort.Rate != b.Healthy.FalseAbort.Rate {
		return a.Healthy.FalseAbort.Rate < b.Healthy.FalseAbort.Rate
	}
	if x, y := orNever(a.Healthy.RolloutTime.Median), orNever(b.Healthy.RolloutTime.Median); x != y {
		return x < y
	}
	return a.order < b.order
}

// objectives are what the Pareto front trades off, all to be minimised: false
// aborts, misses and detection time; without degradations, false aborts and
// rollout time.
func objectives(r *Row, degraded bool) []float64 {
	if !degraded {
		return []float64{r.Healthy.FalseAbort.Rate, float64(orNever(r.Healthy.RolloutTime.Median))}
	}
	return []float64{r.Healthy.FalseAbort.Rate, r.MeanMiss, float64(orNever(r.Detect))}
}

func markPareto(rows []Row, degraded bool) {
	for i := range rows {
		oi := objectives(&rows[i], degraded)
		dominated := false
		for j := range rows {
			if i == j {
				continue
			}
			oj := objectives(&rows[j], degraded)
			better, worse := false, false
			for d := range oi {
				if oj[d] < oi[d] {
					better = true
				} else if oj[d] > oi[d] {
					worse = true
				}
			}
			if better && !worse {
				dominated = true
				break
			}
		}
		rows[i].Pareto = !dominated
	}
}

// recommend is the one-line recommendation.
func recommend(rep *Report) string {
	if len(rep.Rows) == 0 {
		return "No policies to compare."
	}
	if rep.Best < 0 {
		low := rep.Rows[0]
		for _, r := range rep.Rows {
			if r.Healthy.FalseAbort.Rate < low.Healthy.FalseAbort.Rate {
				low = r
			}
		}
		return fmt.Sprintf("No policy keeps false aborts at or below %s; the lowest is %s with %s. Loosen the policy (a higher failureLimit or threshold margin) or the bound (--max-false-abort).",
			percent(rep.Objective.MaxFalseAbort), low.Label, rateText(low.Healthy.FalseAbort))
	}
	r := rep.Rows[rep.Best]
	var b strings.Builder
	fmt.Fprintf(&b, "Recommended: %s: false aborts %s", r.Label, rateText(r.Healthy.FalseAbort))
	for _, d := range r.Degraded {
		fmt.Fprintf(&b, "; %s caught ", d.Name)
		if d.Detect.Median == nil {
			fmt.Fprintf(&b, "in under half the runs (missed %s)", percent(d.Miss.Rate))
			continue
		}
		fmt.Fprintf(&b, "in %s (p90 %s), missed %s", scenario.ShortDuration(d.Detect.Median.Duration), timeText(d.Detect.P90), percent(d.Miss.Rate))
	}
	if m := r.Healthy.RolloutTime.Median; m != nil {
		fmt.Fprintf(&b, "; a healthy rollout takes %s", scenario.ShortDuration(m.Duration))
	}
	b.WriteString(".")
	return b.String()
}

func percent(x float64) string {
	s := fmt.Sprintf("%.1f", 100*x)
	s = strings.TrimSuffix(s, ".0")
	return s + "%"
}

func rateText(r Rate) string {
	return fmt.Sprintf("%s (95%% CI %s–%s)", percent(r.Rate), percent(r.Low), percent(r.High))
}

func timeText(t *Time) string {
	if t == nil {
		return "never"
	}
	return scenario.ShortDuration(t.Duration)
}

// Percent formats a rate for tables: "1.5%".
func Percent(x float64) string { return percent(x) }

// Short formats a time for tables: "10m", "3m15s", "never".
func Short(t *Time) string { return timeText(t) }
