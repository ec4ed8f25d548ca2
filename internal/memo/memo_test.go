package memo

import "testing"

// Answers are computed once, and the memory stays within Max.
func TestBounded(t *testing.T) {
	calls := 0
	square := func(k int) int { calls++; return k * k }
	b := Bounded[int, int]{Max: 3}
	for range 2 {
		for k := range 3 {
			if got := b.Get(k, square); got != k*k {
				t.Fatalf("Get(%d) = %d", k, got)
			}
		}
	}
	if calls != 3 {
		t.Errorf("%d computations for 3 keys asked twice, want 3", calls)
	}
	b.Get(3, square)
	if len(b.m) > 3 {
		t.Errorf("%d answers kept, more than Max 3", len(b.m))
	}
}
