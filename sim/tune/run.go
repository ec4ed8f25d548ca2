package tune

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/rollsim/rollsim/internal/parallel"
	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/rollsim/rollsim/sim"
)

// PartFormat identifies a partial result file.
const PartFormat = "rollsim.dev/tune-part/v1"

// Outcome is how one run ended.
type Outcome struct {
	Task int `json:"t"`
	// Verdict is the first letter of the run's verdict: P(romoted), A(borted),
	// p(aused) or I(ncomplete).
	Verdict string `json:"v"`
	// DecidedAt is the virtual time of the verdict (nanoseconds after the
	// update), -1 when there is none.
	DecidedAt time.Duration `json:"d"`
	// Message is the rollout's message when a healthy run was aborted: why a
	// policy cries wolf (a failed measurement, errors, or a spec the controller
	// rejects at run time).
	Message string `json:"m,omitempty"`
}

var verdictCodes = map[string]string{scenario.Promoted: "P", scenario.Aborted: "A", scenario.Paused: "p", scenario.Incomplete: "I"}

// Part is the outcomes of one shard of a sweep (or of all of it).
type Part struct {
	Format   string    `json:"format"`
	Spec     Spec      `json:"spec"`
	Combos   int       `json:"combinations"`
	Tasks    int       `json:"tasks"`
	Shard    Shard     `json:"shard"`
	Outcomes []Outcome `json:"outcomes"`
}

// RunSeed is the seed of run i of every case: derived from the base seed and
// the run index alone (SplitMix64), so it does not depend on the order runs are
// scheduled in, on the parallelism or on the sharding, and every policy and
// degradation sees the same traffic draws (common random numbers, which make
// the comparison between policies sharper).
func RunSeed(base int64, i int) int64 {
	z := uint64(base) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return int64((z ^ z>>31) &^ (1 << 63))
}

// SweepGCPercent is the garbage collector target the CLI sets for a sweep
// (unless GOGC is set): a run allocates ~6 MB and keeps little of it, so a
// higher target trades a few tens of MB of heap for ~20% less CPU per run
// (measured on the seed's background case: 23-27 -> 18-22 cpu-ms under load).
const SweepGCPercent = 400

// GCPercent is the garbage collector target for a sweep of in:
// SweepGCPercent, unless a large recording is kept in memory (a week of a
// busy route is ~170 MB live), where a target of 400 would let the heap
// grow to five times that; then Go's default.
func GCPercent(in *scenario.Input) int {
	if rec := in.Recorded(); rec != nil {
		n := 0
		for _, s := range rec.Summaries {
			n += s.Samples
		}
		if n > 2_000_000 { // 32 MB of samples
			return 100
		}
	}
	return SweepGCPercent
}

// RunOptions say how to run a plan.
type RunOptions struct {
	// Parallel is the number of runs at once; 0 means one per CPU.
	Parallel int
	// Shard limits the runs to one shard; the zero value runs everything.
	Shard Shard
	// Progress, when set, is called after every run with the number done and
	// the number to do, one call at a time.
	Progress func(done, total int)
}

// Run runs the plan's tasks (those of the shard) in parallel and returns their
// outcomes in task order.
func (p *Plan) Run(ctx context.Context, opts RunOptions) (*Part, error) {
	shard := opts.Shard
	if shard.N == 0 {
		shard = Shard{K: 0, N: 1}
	}
	var tasks []int
	for t := range p.Tasks() {
		if shard.owns(t) {
			tasks = append(tasks, t)
		}
	}
	workers := opts.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out, err := parallel.Run(ctx, len(tasks), workers, func(ctx context.Context, j int) (Outcome, error) {
		return p.runTask(ctx, tasks[j])
	}, opts.Progress)
	if err != nil {
		return nil, err
	}
	return &Part{Format: PartFormat, Spec: p.Spec, Combos: len(p.Combos), Tasks: p.Tasks(), Shard: shard, Outcomes: out}, nil
}

func (p *Plan) runTask(ctx context.Context, t int) (Outcome, error) {
	c, k, i := p.untask(t)
	seed := RunSeed(p.Spec.Seed, i)
	w := i / p.Spec.Runs
	res, err := sim.Run(ctx, p.inputs[c][k][w], sim.Options{Seed: &seed})
	if err != nil {
		where := ""
		if len(p.Spec.Windows) > 0 {
			where = fmt.Sprintf(", window at t=0%+s", p.Spec.Windows[w])
		}
		return Outcome{}, fmt.Errorf("%s, %s%s, run %d (seed %d): %w", p.Combos[c].Label(), p.caseName(k), where, i%p.Spec.Runs, seed, err)
	}
	o := Outcome{Task: t, Verdict: verdictCodes[res.Verdict], DecidedAt: -1}
	if res.DecidedAt != nil {
		o.DecidedAt = *res.DecidedAt
	}
	if k == 0 && res.Verdict == scenario.Aborted {
		o.Message = res.Message
	}
	return o, nil
}

func (p *Plan) caseName(k int) string {
	if k == 0 {
		return "healthy"
	}
	return "canary " + p.Spec.Degrade[k-1].Name()
}
