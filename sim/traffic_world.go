package sim

import (
	"slices"

	"github.com/rollsim/rollsim/sim/traffic"
)

// podViews lists every pod of the world (Ready or not) by name, reusing buf.
func (w *world) podViews(buf []traffic.Pod) []traffic.Pod {
	buf = buf[:0]
	for _, pods := range w.pods {
		for _, p := range pods {
			buf = append(buf, traffic.Pod{Name: p.name, Hash: p.hash, Ready: p.ready})
		}
	}
	slices.SortFunc(buf, func(a, b traffic.Pod) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return buf
}
