package analysis

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// Echoes. Every write of a run comes back to the controller as an informer
// event, and the real controller reconciles the run again at once. When the
// run is exactly what the last reconcile wrote, at the same instant, and no
// measurement is in flight, that reconcile finds nothing due and changes
// nothing: its answer (when to look again) is the one just computed. A
// measurement in flight is resumed on every reconcile (upstream
// runMeasurements), so such runs are always reconciled in full.

// echoes remembers, per run, the last write and its answer.
type echoes struct {
	mu   sync.Mutex
	last map[types.NamespacedName]echo
}

type echo struct {
	uid             types.UID
	resourceVersion string
	at              time.Time
	after           time.Duration
}

// lookup returns the answer to reconciling run at now if it is an echo.
func (e *echoes) lookup(key types.NamespacedName, run *v1alpha1.AnalysisRun, now time.Time) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.last[key]
	if !ok || w.resourceVersion == "" || w.uid != run.UID || w.resourceVersion != run.ResourceVersion || !w.at.Equal(now) {
		return 0, false
	}
	return w.after, true
}

// wrote records a write of run at now whose reconcile answered after, unless
// a measurement is in flight.
func (e *echoes) wrote(key types.NamespacedName, run *v1alpha1.AnalysisRun, now time.Time, after time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil || len(e.last) >= 1024 {
		e.last = map[types.NamespacedName]echo{}
	}
	if inFlight(run) {
		delete(e.last, key)
		return
	}
	e.last[key] = echo{uid: run.UID, resourceVersion: run.ResourceVersion, at: now, after: after}
}

// inFlight: a metric's last measurement is still running.
func inFlight(run *v1alpha1.AnalysisRun) bool {
	for _, res := range run.Status.MetricResults {
		if n := len(res.Measurements); n > 0 && res.Measurements[n-1].FinishedAt == nil {
			return true
		}
	}
	return false
}
