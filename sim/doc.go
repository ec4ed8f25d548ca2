// Package sim runs a scenario: the virtual clock and its event queue, the parts
// of a cluster the Argo controllers rely on (the ReplicaSet controller and the
// kubelet, in world.go), scripted providers and human actions, the run loop
// that wakes the engine's reconcilers, the verdict, the Result that reports
// render, and the check of a scenario's expectations. A run's Prometheus is a
// clone of the scenario's recordings (spec.recorded) with the run's own series
// added; a metric measured at a regular interval is answered from range
// queries over scrapes written ahead (batch.go), with the results of one
// instant query per measurement; the series no query can select are not
// written (reads.go). The world writes pods' API objects before anyone reads
// pods, not as they happen (world.go), with the same result.
//
// What it does not own: the scenario file and its validation (sim/scenario),
// the traffic model and the series it writes (sim/traffic), the API backends
// (sim/kube), and every Argo rule (engine). Time is virtual throughout; the
// same scenario and seed give the same Result.
package sim
