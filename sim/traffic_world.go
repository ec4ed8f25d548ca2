package sim

import "slices"

// podView is what the traffic model needs to know of a pod.
type podView struct {
	name  string
	hash  string
	ready bool
}

// podViews lists every pod of the world (Ready or not) by name, reusing buf.
func (w *world) podViews(buf []podView) []podView {
	buf = buf[:0]
	for _, pods := range w.pods {
		for _, p := range pods {
			buf = append(buf, podView{name: p.name, hash: p.hash, ready: p.ready})
		}
	}
	slices.SortFunc(buf, func(a, b podView) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return buf
}
