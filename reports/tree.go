package reports

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
	"github.com/rollsim/rollsim/sim"
)

// GetRollout writes what `kubectl argo rollouts get rollout` prints at the end of
// the run: the header block and the tree of revisions, ReplicaSets, pods and runs.
func GetRollout(w io.Writer, res *sim.Result) error {
	info := rolloutInfo(res)
	ro := res.Rollout
	fmt.Fprintf(w, "%-17s%s\n", "Name:", info.Name)
	fmt.Fprintf(w, "%-17s%s\n", "Namespace:", info.Namespace)
	fmt.Fprintf(w, "%-17s%s %s\n", "Status:", rolloutIcon(info.Status), info.Status)
	if info.Message != "" {
		fmt.Fprintf(w, "%-17s%s\n", "Message:", info.Message)
	}
	fmt.Fprintf(w, "%-17s%s\n", "Strategy:", info.Strategy)
	if ro.Spec.Strategy.Canary != nil {
		fmt.Fprintf(w, "%-17s%s\n", "  Step:", info.Step)
		fmt.Fprintf(w, "%-17s%s\n", "  SetWeight:", info.SetWeight)
		fmt.Fprintf(w, "%-17s%s\n", "  ActualWeight:", info.ActualWeight)
	}
	for i, img := range info.Images {
		label := ""
		if i == 0 {
			label = "Images:"
		}
		fmt.Fprintf(w, "%-17s%s\n", label, imageLine(img))
	}
	if len(info.Images) == 0 {
		fmt.Fprintf(w, "%-17s\n", "Images:")
	}
	fmt.Fprintf(w, "Replicas:\n")
	fmt.Fprintf(w, "%-17s%d\n", "  Desired:", info.Replicas.Desired)
	fmt.Fprintf(w, "%-17s%d\n", "  Current:", info.Replicas.Current)
	fmt.Fprintf(w, "%-17s%d\n", "  Updated:", info.Replicas.Updated)
	fmt.Fprintf(w, "%-17s%d\n", "  Ready:", info.Replicas.Ready)
	fmt.Fprintf(w, "%-17s%d\n\n", "  Available:", info.Replicas.Available)
	return tree(w, res)
}

func rolloutIcon(phase string) string {
	switch phase {
	case "Progressing":
		return "◌"
	case "Paused":
		return "॥"
	case "Healthy":
		return "✔"
	case "Degraded":
		return "✖"
	}
	return "?"
}

func runIcon(phase v1alpha1.AnalysisPhase) string {
	switch phase {
	case v1alpha1.AnalysisPhaseSuccessful:
		return "✔"
	case v1alpha1.AnalysisPhaseInconclusive:
		return "?"
	case v1alpha1.AnalysisPhaseFailed:
		return "✖"
	case v1alpha1.AnalysisPhaseError:
		return "⚠"
	case v1alpha1.AnalysisPhaseRunning:
		return "◌"
	}
	return "◷"
}

type node struct {
	name, kind, status, info string
	created                  time.Time
	children                 []*node
}

func (res treeCtx) age(t metav1.Time) string {
	return duration.HumanDuration(res.now.Sub(t.Time))
}

type treeCtx struct {
	res  *sim.Result
	pods []corev1.Pod
	now  time.Time
}

func tree(w io.Writer, res *sim.Result) error {
	pods, err := res.Pods()
	if err != nil {
		return err
	}
	ctx := treeCtx{res: res, pods: pods, now: res.Start.Add(res.Ended)}
	ro := res.Rollout
	root := &node{name: "⟳ " + ro.Name, kind: "Rollout", status: rolloutIcon(string(ro.Status.Phase)) + " " + string(ro.Status.Phase), info: ctx.age(ro.CreationTimestamp)}

	revisions := map[int]*node{}
	revision := func(annotations map[string]string) *node {
		n, _ := strconv.Atoi(annotations["rollout.argoproj.io/revision"])
		if revisions[n] == nil {
			revisions[n] = &node{name: fmt.Sprintf("# revision:%d", n)}
		}
		return revisions[n]
	}
	rss := append([]appsv1.ReplicaSet(nil), res.ReplicaSets...)
	sort.Slice(rss, func(i, j int) bool { return rss[i].CreationTimestamp.Before(&rss[j].CreationTimestamp) })
	for i := range rss {
		rs := &rss[i]
		rev := revision(rs.Annotations)
		info := rsTags(ro, rs)
		if d := scaleDownDelay(rs, ctx.now); d != "" {
			info = append(info, "delay:"+d)
		}
		rev.children = append(rev.children, ctx.rsNode(rs, info))
	}
	runs := sortedRuns(res.AnalysisRuns)
	for i := range runs {
		run := &runs[i]
		rev := revision(run.Annotations)
		rev.children = append(rev.children, ctx.runNode(run))
	}
	var revs []int
	for n := range revisions {
		revs = append(revs, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(revs)))
	for _, n := range revs {
		root.children = append(root.children, revisions[n])
	}
	return renderTree(w, root)
}

// rsNode is a ReplicaSet and its pods.
func (ctx treeCtx) rsNode(rs *appsv1.ReplicaSet, info []string) *node {
	rsNode := &node{name: "⧉ " + rs.Name, kind: "ReplicaSet", status: rsStatus(rs), info: strings.Join(info, ","), created: rs.CreationTimestamp.Time}
	rsNode.status += "\t" + ctx.age(rs.CreationTimestamp)
	for _, p := range podsOf(ctx.pods, rs) {
		ready, total := 0, len(p.Spec.Containers)
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Ready {
				ready++
			}
		}
		rsNode.children = append(rsNode.children, &node{
			name: "□ " + p.Name, kind: "Pod", status: podStatus(p) + "\t" + ctx.age(p.CreationTimestamp),
			info: fmt.Sprintf("ready:%d/%d", ready, total),
		})
	}
	return rsNode
}

// sortedRuns orders runs as the CLI's tree does: oldest first, then by name.
func sortedRuns(in []v1alpha1.AnalysisRun) []v1alpha1.AnalysisRun {
	runs := append([]v1alpha1.AnalysisRun(nil), in...)
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name > b.Name
	})
	return runs
}

// runNode is an AnalysisRun and its Jobs.
func (ctx treeCtx) runNode(run *v1alpha1.AnalysisRun) *node {
	runNode := &node{
		name: "α " + run.Name, kind: "AnalysisRun",
		status: runIcon(run.Status.Phase) + " " + string(run.Status.Phase) + "\t" + ctx.age(run.CreationTimestamp),
		info:   runCounts(run),
	}
	for j := range ctx.res.Jobs {
		job := &ctx.res.Jobs[j]
		if ref := metav1.GetControllerOf(job); ref == nil || ref.UID != run.UID {
			continue
		}
		runNode.children = append(runNode.children, &node{
			name: "⊞ " + job.Name, kind: "Job", status: jobStatus(job) + "\t" + ctx.age(job.CreationTimestamp),
		})
	}
	return runNode
}

// renderTree writes a tree as the CLI does: NAME, KIND, STATUS, AGE, INFO.
func renderTree(w io.Writer, root *node) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tKIND\tSTATUS\tAGE\tINFO\n")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", root.name, root.kind, root.status, root.info)
	var walk func(n *node, prefix string)
	walk = func(n *node, prefix string) {
		for i, c := range n.children {
			last := i == len(n.children)-1
			branch, cont := "├──", "│  "
			if last {
				branch, cont = "└──", "   "
			}
			if c.kind == "" {
				fmt.Fprintf(tw, "%s%s%s\t\t\t\t\n", prefix, branch, c.name)
			} else {
				fmt.Fprintf(tw, "%s%s%s\t%s\t%s\t%s\n", prefix, branch, c.name, c.kind, c.status, c.info)
			}
			walk(c, prefix+cont)
		}
	}
	walk(root, "")
	return tw.Flush()
}

func rsStatus(rs *appsv1.ReplicaSet) string {
	desired := int32(0)
	if rs.Spec.Replicas != nil {
		desired = *rs.Spec.Replicas
	}
	switch {
	case desired == 0:
		return "• ScaledDown"
	case rs.Status.AvailableReplicas < desired:
		return "◌ Progressing"
	}
	return "✔ Healthy"
}

func podStatus(p *corev1.Pod) string {
	switch p.Status.Phase {
	case corev1.PodRunning:
		for _, cs := range p.Status.ContainerStatuses {
			if !cs.Ready {
				return "◌ Running"
			}
		}
		return "✔ Running"
	case corev1.PodPending:
		return "◌ ContainerCreating"
	}
	return "◌ " + string(p.Status.Phase)
}

func podsOf(pods []corev1.Pod, rs *appsv1.ReplicaSet) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range pods {
		if ref := metav1.GetControllerOf(&pods[i]); ref != nil && ref.UID == rs.UID {
			out = append(out, &pods[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreationTimestamp.Equal(&out[j].CreationTimestamp) {
			return out[i].CreationTimestamp.Before(&out[j].CreationTimestamp)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// runCounts is the INFO column of a run: measurement counters summed over metrics.
func runCounts(run *v1alpha1.AnalysisRun) string {
	var ok, failed, inconclusive, errs int32
	for _, mr := range run.Status.MetricResults {
		ok += mr.Successful
		failed += mr.Failed
		inconclusive += mr.Inconclusive
		errs += mr.Error
	}
	var parts []string
	for _, p := range []struct {
		icon string
		n    int32
	}{{"✔", ok}, {"✖", failed}, {"?", inconclusive}, {"⚠", errs}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.icon, p.n))
		}
	}
	return strings.Join(parts, ",")
}

func jobStatus(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return "✔ Successful"
		case batchv1.JobFailed:
			return "✖ Failed"
		}
	}
	return "◌ Running"
}
