package promfake

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Clones share the original's samples, and appends to one (to shared series
// and to new ones, from several goroutines at once) are seen by it alone.
func TestStoreClone(t *testing.T) {
	s := NewStore()
	a := s.Series(labels.FromStrings("__name__", "m", "s", "a"))
	// 300 samples: one full block and a partial one.
	for i := range 300 {
		if err := s.Append(a, t0.Add(time.Duration(i)*time.Second), float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	const n = 4
	clones := make([]*Store, n)
	for i := range clones {
		clones[i] = s.Clone()
	}
	var wg sync.WaitGroup
	for i, c := range clones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := c.Series(labels.FromStrings("__name__", "m", "s", "a"))
			mine := c.Series(labels.FromStrings("__name__", "m", "s", fmt.Sprint("own", i)))
			for j := range 300 {
				at := t0.Add(time.Duration(300+j) * time.Second)
				if err := c.Append(ref, at, float64(1000*(i+1)+j)); err != nil {
					t.Error(err)
					return
				}
				if err := c.Append(mine, at, float64(j)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// The original goes on too.
	if err := s.Append(a, t0.Add(300*time.Second), -1); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	q, _ := s.Querier(math.MinInt64, math.MaxInt64)
	lsets, data := selectAll(t, q, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"))
	if len(lsets) != 1 || len(data[0]) != 301 || data[0][299].v != 299 || data[0][300].v != -1 {
		t.Fatalf("original changed: %d series, %d samples", len(lsets), len(data[0]))
	}
	if s.NumSamples() != 301 {
		t.Fatalf("original NumSamples = %d, want 301", s.NumSamples())
	}
	for i, c := range clones {
		q, _ := c.Querier(math.MinInt64, math.MaxInt64)
		lsets, data := selectAll(t, q, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"))
		if len(lsets) != 2 {
			t.Fatalf("clone %d: %d series, want its own and the shared one", i, len(lsets))
		}
		shared := data[0] // s="a" sorts before s="own..."
		if len(shared) != 600 || shared[299].v != 299 || shared[300].v != float64(1000*(i+1)) || shared[599].v != float64(1000*(i+1)+299) {
			t.Fatalf("clone %d: shared series has %d samples, [300]=%v", i, len(shared), shared[300].v)
		}
		if c.NumSamples() != 900 {
			t.Fatalf("clone %d: NumSamples = %d, want 900", i, c.NumSamples())
		}
	}
}
