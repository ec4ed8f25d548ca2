package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim"
	"github.com/rollsim/rollsim/sim/scenario"
)

// A scenario of standalone Experiments (no Rollout) is reported about its
// Experiments: the verdict is theirs (sim.ExperimentsVerdict), the headline
// names the deciding Experiment, the message is its message and the tree is
// `kubectl argo rollouts get experiment`'s, one per Experiment.

// experimentsHeadline is the headline of a scenario of Experiments: the
// verdict, then the deciding Experiment and its phase, e.g. "Aborted at 3m:
// Experiment checkout-canary Failed".
func experimentsHeadline(res *sim.Result) string {
	s := Summary(res)
	if w := experimentsState(res); w != "" {
		s += ": " + w
	}
	return s
}

// experimentsState names the deciding Experiment and its phase ("Experiment
// x Failed"), or how many were Successful; an undecided one says it ran to
// until.
func experimentsState(res *sim.Result) string {
	x := sim.DecidingExperiment(res.Experiments)
	if x == nil {
		return "no Experiment was created"
	}
	phase := orDash(string(x.Status.Phase))
	s := fmt.Sprintf("Experiment %s %s", x.Name, phase)
	if res.Verdict == scenario.Promoted && len(res.Experiments) > 1 {
		s = fmt.Sprintf("%d Experiments Successful", len(res.Experiments))
	}
	if res.Verdict == scenario.Incomplete {
		at := res.Until
		if at == 0 {
			at = res.Ended
		}
		s += " at until " + scenario.ShortDuration(at)
	}
	return s
}

// tZero is what t=0 is: the update, or when the Experiments were applied.
func tZero(res *sim.Result) string {
	if res.ExperimentsOnly {
		return "when the Experiments were applied"
	}
	return "the update"
}

// GetExperiment writes what `kubectl argo rollouts get experiment` prints
// (upstream get_experiment.go): the header, then the Experiment's
// ReplicaSets, pods and AnalysisRuns.
func GetExperiment(w io.Writer, res *sim.Result, x *v1alpha1.Experiment) error {
	ctx := treeCtx{res: res, now: res.Start.Add(res.Ended)}
	phase := string(x.Status.Phase)
	fmt.Fprintf(w, "%-17s%s\n", "Name:", x.Name)
	fmt.Fprintf(w, "%-17s%s\n", "Namespace:", x.Namespace)
	fmt.Fprintf(w, "%-17s%s %s\n", "Status:", runIcon(x.Status.Phase), phase)
	if x.Status.Message != "" {
		fmt.Fprintf(w, "%-17s%s\n", "Message:", x.Status.Message)
	}
	var rss []*appsv1.ReplicaSet
	for i := range res.ReplicaSets {
		if ref := metav1.GetControllerOf(&res.ReplicaSets[i]); ref != nil && ref.UID == x.UID {
			rss = append(rss, &res.ReplicaSets[i])
		}
	}
	sort.SliceStable(rss, func(i, j int) bool { return rss[i].Name < rss[j].Name })
	var images []string
	seen := map[string]bool{}
	for _, rs := range rss {
		if rs.Status.Replicas == 0 && (rs.Spec.Replicas == nil || *rs.Spec.Replicas == 0) {
			continue
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			if !seen[c.Image] {
				seen[c.Image] = true
				images = append(images, c.Image)
			}
		}
	}
	sort.Strings(images)
	for i, img := range images {
		label := ""
		if i == 0 {
			label = "Images:"
		}
		fmt.Fprintf(w, "%-17s%s\n", label, img)
	}
	fmt.Fprintln(w)
	root := &node{name: "Σ " + x.Name, kind: "Experiment", status: strings.TrimSpace(runIcon(x.Status.Phase) + " " + phase), info: ctx.age(x.CreationTimestamp)}
	for _, rs := range rss {
		root.children = append(root.children, ctx.rsNode(rs, nil))
	}
	runs := sortedRuns(res.AnalysisRuns)
	for i := range runs {
		if ref := metav1.GetControllerOf(&runs[i]); ref != nil && ref.UID == x.UID {
			root.children = append(root.children, ctx.runNode(&runs[i]))
		}
	}
	return renderTree(w, root)
}

// objectTree is `get rollout`, or `get experiment` for each Experiment of a
// scenario without a Rollout (a blank line between them).
func objectTree(w io.Writer, res *sim.Result) error {
	if res.Rollout != nil {
		return GetRollout(w, res)
	}
	for i := range res.Experiments {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := GetExperiment(w, res, &res.Experiments[i]); err != nil {
			return err
		}
	}
	return nil
}

// textExperiments is `get experiment` for every Experiment of the run.
func textExperiments(w io.Writer, res *sim.Result) error {
	for i := range res.Experiments {
		x := &res.Experiments[i]
		fmt.Fprintf(w, "\n$ kubectl argo rollouts get experiment %s -n %s\n", x.Name, x.Namespace)
		if err := GetExperiment(w, res, x); err != nil {
			return err
		}
	}
	return nil
}
