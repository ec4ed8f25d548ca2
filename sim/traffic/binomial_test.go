package traffic

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// binomialRand draws what gonum's Binomial.Rand draws, leaving the source in
// the same state, over every method (direct, Poisson and Cauchy rejection),
// small and large counts, whole and fractional.
func TestBinomialRandIsGonums(t *testing.T) {
	params := rand.New(rand.NewPCG(3, 4))
	a, b := rand.NewPCG(1, 2), rand.NewPCG(1, 2)
	rng := rand.New(b)
	for i := range 200000 {
		var n float64
		switch i % 4 {
		case 0:
			n = float64(params.IntN(30))
		case 1:
			n = float64(params.IntN(2000))
		case 2:
			n = float64(params.IntN(100000))
		default:
			n = params.Float64() * 50000
		}
		p := params.Float64()
		if i%5 == 0 {
			p /= 1000
		}
		want := distuv.Binomial{N: n, P: p, Src: a}.Rand()
		got := binomialRand(n, p, rng)
		if got != want {
			t.Fatalf("draw %d: Binomial(%g, %g) = %g, gonum %g", i, n, p, got, want)
		}
		if a.Uint64() != b.Uint64() {
			t.Fatalf("draw %d: the sources differ after Binomial(%g, %g)", i, n, p)
		}
	}
}
