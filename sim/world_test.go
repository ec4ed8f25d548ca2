package sim

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Generated pod names are unique at any scale (drawn again on a collision,
// where five random characters collide for about one pod in three at 3000
// pods), deterministic for a seed, and cut like the API server's generateName.
func TestPodNamesUnique(t *testing.T) {
	gen := func() []string {
		w := &world{rng: rand.New(rand.NewPCG(1, 2))}
		var names []string
		for i := 0; i < 200000; i++ {
			names = append(names, w.podName("app-6f8474fb76"))
		}
		return names
	}
	a, b := gen(), gen()
	seen := map[string]bool{}
	for i, n := range a {
		if seen[n] {
			t.Fatalf("pod name %s twice", n)
		}
		seen[n] = true
		if n != b[i] {
			t.Fatalf("not deterministic: %s then %s", n, b[i])
		}
		if !strings.HasPrefix(n, "app-6f8474fb76-") || len(n) != len("app-6f8474fb76-")+5 {
			t.Fatalf("name %s", n)
		}
	}
	w := &world{rng: rand.New(rand.NewPCG(1, 2))}
	long := strings.Repeat("r", 70)
	if n := w.podName(long); len(n) != 63 || !strings.HasPrefix(n, long[:58]) {
		t.Fatalf("long ReplicaSet name: %s (%d characters)", n, len(n))
	}
}
