package traffic

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rollsim/rollsim/sim/scenario"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/rollsim/rollsim/promfake"
)

// Where the clients' requests come from in the Istio mesh: the ingress
// gateway, whose proxy reports reporter="source".
const (
	gatewayWorkload  = "istio-ingressgateway"
	gatewayNamespace = "istio-system"
	gatewayPod       = "istio-ingressgateway-6c7b8d9f5d-x2k9q"
	meshCluster      = "Kubernetes"
)

// istioSeries writes Istio's standard metrics for the rollout's pods:
// reporter="destination" from each pod's sidecar (carrying the pod's labels,
// rollouts_pod_template_hash included, as Prometheus' kubernetes-pods job
// adds them) and reporter="source" from the ingress gateway.
type istioSeries struct {
	store     *promfake.Store
	namespace string
	// podLabels are the pod template's labels as target labels (sanitized
	// names), without the hash.
	podLabels labels.Labels
	dest      [2]promfake.IstioLabels // per version, reporter="destination"
	pods      map[string]*podProxy    // by pod name
	sources   map[string]*promfake.IstioProxy
	sourceBat map[string][]promfake.Batch // this scrape's, by source key
	gateway   labels.Labels               // the gateway pod's target labels

	// Blue-green preview traffic: requests to the preview service's host,
	// reported by the preview pods' sidecars under that destination_service.
	previewHost string
	previewPods map[string]*podProxy // by pod name
	noLatency   bool                 // Model.LeaveOut
}

// proxy is a new proxy's writer.
func (s *istioSeries) proxy(base labels.Labels) *promfake.IstioProxy {
	p := promfake.NewIstioProxy(s.store, base)
	if s.noLatency {
		p.WithoutLatency()
	}
	return p
}

// withService is l for requests addressed to host (name.namespace.svc...).
func withService(l promfake.IstioLabels, host string) promfake.IstioLabels {
	parts := strings.Split(host, ".")
	l.DestinationService, l.DestinationServiceName = host, parts[0]
	if len(parts) > 1 {
		l.DestinationServiceNamespace = parts[1]
	}
	return l
}

type podProxy struct {
	proxy   *promfake.IstioProxy
	version int
	seen    bool
}

// newIstioSeries derives the labels Istio would report for the rollout.
func newIstioSeries(in *scenario.Input, store *promfake.Store) *istioSeries {
	ro := in.Rollout()
	ns := ro.Namespace
	tmpl := *in.PodTemplate(ro)
	podLabels := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range tmpl.Labels {
		podLabels.Set(sanitizeLabelName(k), v)
	}
	l := func(keys ...string) string {
		for _, k := range keys {
			if v := tmpl.Labels[k]; v != "" {
				return v
			}
		}
		return ""
	}
	sa := tmpl.Spec.ServiceAccountName
	if sa == "" {
		sa = tmpl.Spec.DeprecatedServiceAccount
	}
	if sa == "" {
		sa = "default"
	}
	// Istio names the workload after the pod's owner with the ReplicaSet's
	// hash suffix cut off: the Rollout's name.
	workload := ro.Name
	app := l("app", "app.kubernetes.io/name")
	canonical := l("service.istio.io/canonical-name", "app.kubernetes.io/name", "app")
	if canonical == "" {
		canonical = workload
	}
	revision := l("service.istio.io/canonical-revision", "app.kubernetes.io/version", "version")
	if revision == "" {
		revision = "latest"
	}
	version := l("version", "app.kubernetes.io/version")
	if version == "" {
		version = "unknown"
	}
	if app == "" {
		app = "unknown"
	}
	hosts := [2]string{in.Scenario.Spec.Traffic.Route, in.Scenario.Spec.Traffic.Route}
	if c := ro.Spec.Strategy.Canary; c != nil && c.TrafficRouting != nil && c.TrafficRouting.Istio != nil &&
		c.TrafficRouting.Istio.DestinationRule == nil && c.CanaryService != "" {
		// Host-level splitting: the canary's requests go to its own service.
		hosts[canaryVersion] = fmt.Sprintf("%s.%s.svc.cluster.local", c.CanaryService, ns)
	}
	s := &istioSeries{
		store:       store,
		namespace:   ns,
		podLabels:   podLabels.Labels(),
		pods:        map[string]*podProxy{},
		previewPods: map[string]*podProxy{},
		sources:     map[string]*promfake.IstioProxy{},
		sourceBat:   map[string][]promfake.Batch{},
		gateway: labels.FromStrings("app", gatewayWorkload, "istio", "ingressgateway", "job", "kubernetes-pods",
			"namespace", gatewayNamespace, "pod", gatewayPod),
	}
	for v := range s.dest {
		host := hosts[v]
		parts := strings.Split(host, ".")
		svcNS := ns
		if len(parts) > 1 {
			svcNS = parts[1]
		}
		s.dest[v] = promfake.IstioLabels{
			Reporter:                     "destination",
			SourceWorkload:               gatewayWorkload,
			SourceWorkloadNamespace:      gatewayNamespace,
			SourcePrincipal:              "spiffe://cluster.local/ns/" + gatewayNamespace + "/sa/istio-ingressgateway-service-account",
			SourceApp:                    gatewayWorkload,
			SourceVersion:                "unknown",
			SourceCanonicalService:       gatewayWorkload,
			SourceCanonicalRevision:      "latest",
			SourceCluster:                meshCluster,
			DestinationWorkload:          workload,
			DestinationWorkloadNamespace: ns,
			DestinationPrincipal:         fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/%s", ns, sa),
			DestinationApp:               app,
			DestinationVersion:           version,
			DestinationService:           host,
			DestinationServiceName:       parts[0],
			DestinationServiceNamespace:  svcNS,
			DestinationCanonicalService:  canonical,
			DestinationCanonicalRevision: revision,
			DestinationCluster:           meshCluster,
			RequestProtocol:              "http",
			ResponseFlags:                "-",
			ConnectionSecurityPolicy:     "mutual_tls",
		}
	}
	if p := in.Scenario.Spec.Traffic.Preview; p != nil && p.RPS != nil && *p.RPS > 0 {
		s.previewHost = p.Route
		if bg := ro.Spec.Strategy.BlueGreen; s.previewHost == "" && bg != nil {
			s.previewHost = fmt.Sprintf("%s.%s.svc.cluster.local", bg.PreviewService, ns)
		}
	}
	return s
}

// sanitizeLabelName maps a Kubernetes label name to a Prometheus label name
// as service discovery does: every character outside [a-zA-Z0-9_] becomes _.
func sanitizeLabelName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0) {
			b[i] = '_'
		}
	}
	return string(b)
}

// sourceLabels are what the gateway's proxy reports for requests to version
// v: the destination's labels as it learnt them, reporter="source", and its
// own connection view.
func (s *istioSeries) sourceLabels(v int, flags string) labels.Labels {
	return s.sourceLabelsFor(s.dest[v], flags)
}

func (s *istioSeries) sourceLabelsFor(l promfake.IstioLabels, flags string) labels.Labels {
	l.Reporter = "source"
	l.ConnectionSecurityPolicy = "unknown"
	if flags != "" {
		// No endpoint answered: the gateway knows only the service.
		l.ResponseFlags = flags
		l.DestinationWorkload, l.DestinationWorkloadNamespace, l.DestinationPrincipal = "unknown", "unknown", "unknown"
		l.DestinationApp, l.DestinationVersion = "unknown", "unknown"
		l.DestinationCanonicalService, l.DestinationCanonicalRevision = "unknown", "latest"
	}
	return l.Labels(s.gateway)
}

func (s *istioSeries) addSource(key labels.Labels, batches []promfake.Batch) {
	k := key.String()
	if _, ok := s.sources[k]; !ok {
		s.sources[k] = s.proxy(key)
	}
	s.sourceBat[k] = append(s.sourceBat[k], batches...)
}

// scrape writes one scrape: every pod's sidecar (stale markers for pods that
// went away), then the gateway.
func (s *istioSeries) scrape(t *Model, now time.Time, mean float64, share [2]float64, ready [2]int, pods []Pod) error {
	for k := range s.sourceBat {
		s.sourceBat[k] = s.sourceBat[k][:0]
	}
	for v := range share {
		if m := mean * share[v]; m > 0 && ready[v] == 0 {
			s.addSource(s.sourceLabels(v, "UH"), t.unavailable(m, nil))
		}
	}
	for _, p := range pods {
		v := t.versionOf(p.Hash)
		pp := s.pods[p.Name]
		if pp == nil {
			pp = &podProxy{proxy: s.proxy(s.dest[v].Labels(s.target(p))), version: v}
			s.pods[p.Name] = pp
		}
		pp.seen = true
		var batches []promfake.Batch
		if p.Ready && share[v] > 0 {
			batches = t.draw(mean*share[v]/float64(ready[v]), t.models[v], nil)
			s.addSource(s.sourceLabels(v, ""), batches)
		}
		if p.Ready && v == canaryVersion && t.mirror > 0 {
			// Mirrored copies reach the canary's sidecar, which reports them
			// (reporter="destination"); the gateway does not count the shadow
			// requests it sends.
			batches = t.draw(mean*t.mirror/float64(ready[v]), t.models[v], batches)
		}
		if err := pp.proxy.Scrape(now, batches); err != nil {
			return err
		}
	}
	if err := sweepStale(s.pods, now); err != nil {
		return err
	}
	if err := s.scrapePreview(t, now, pods); err != nil {
		return err
	}
	for _, k := range sortedKeys(s.sources) {
		if err := s.sources[k].Scrape(now, mergeBatches(s.sourceBat[k])); err != nil {
			return err
		}
	}
	return nil
}

// target are the labels Prometheus' kubernetes-pods job gives pod p.
func (s *istioSeries) target(p Pod) labels.Labels {
	target := labels.NewBuilder(s.podLabels)
	target.Set("rollouts_pod_template_hash", p.Hash)
	target.Set("namespace", s.namespace)
	target.Set("pod", p.Name)
	target.Set("job", "kubernetes-pods")
	return target.Labels()
}

// sweepStale marks the series of pods not seen in this scrape stale (as
// Prometheus does when a target goes away) and forgets them.
func sweepStale(pods map[string]*podProxy, now time.Time) error {
	for _, name := range sortedKeys(pods) {
		pp := pods[name]
		if !pp.seen {
			if err := pp.proxy.Stale(now); err != nil {
				return err
			}
			delete(pods, name)
			continue
		}
		pp.seen = false
	}
	return nil
}

// scrapePreview writes the preview service's requests since the last scrape:
// spread over the Ready pods the preview selector picks, answered as their
// version answers, or 503 from the gateway when none is Ready.
func (s *istioSeries) scrapePreview(t *Model, now time.Time, pods []Pod) error {
	if s.previewHost == "" || t.previewHash == "" {
		return sweepStale(s.previewPods, now)
	}
	mean := t.previewRPS * t.interval.Seconds()
	v := t.versionOf(t.previewHash)
	ready := 0
	for _, p := range pods {
		if p.Ready && p.Hash == t.previewHash {
			ready++
		}
	}
	if ready == 0 {
		s.addSource(s.sourceLabelsFor(withService(s.dest[v], s.previewHost), "UH"), t.unavailable(mean, nil))
		return sweepStale(s.previewPods, now)
	}
	for _, p := range pods {
		if !p.Ready || p.Hash != t.previewHash {
			continue
		}
		pp := s.previewPods[p.Name]
		if pp == nil {
			pp = &podProxy{proxy: s.proxy(withService(s.dest[v], s.previewHost).Labels(s.target(p))), version: v}
			s.previewPods[p.Name] = pp
		}
		pp.seen = true
		batches := t.draw(mean/float64(ready), t.models[v], nil)
		s.addSource(s.sourceLabelsFor(withService(s.dest[v], s.previewHost), ""), batches)
		if err := pp.proxy.Scrape(now, batches); err != nil {
			return err
		}
	}
	return sweepStale(s.previewPods, now)
}

func (s *istioSeries) restartPods(v int) {
	for _, name := range sortedKeys(s.pods) {
		if pp := s.pods[name]; pp.version == v {
			pp.proxy.Restart()
		}
	}
	for _, name := range sortedKeys(s.previewPods) {
		if pp := s.previewPods[name]; pp.version == v {
			pp.proxy.Restart()
		}
	}
}

func (s *istioSeries) restartGateway() {
	for _, k := range sortedKeys(s.sources) {
		s.sources[k].Restart()
	}
}

// mergeBatches adds up batches of the same status code (in place).
func mergeBatches(bs []promfake.Batch) []promfake.Batch {
	if len(bs) < 2 {
		return bs
	}
	slices.SortStableFunc(bs, func(a, b promfake.Batch) int { return a.Code - b.Code })
	out := bs[:1]
	out[0].Buckets = slices.Clone(out[0].Buckets)
	for _, b := range bs[1:] {
		last := &out[len(out)-1]
		if b.Code != last.Code {
			b.Buckets = slices.Clone(b.Buckets)
			out = append(out, b)
			continue
		}
		last.Count += b.Count
		last.LatencySum += b.LatencySum
		for i := range last.Buckets {
			last.Buckets[i] += b.Buckets[i]
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
