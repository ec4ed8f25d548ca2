package traffic

import (
	"math"
	"math/rand/v2"
)

// binomialRand is gonum's distuv.Binomial{N: n, P: p, Src: src}.Rand()
// (gonum v0.17.0, stat/distuv/binomial.go; Copyright ©2018 The Gonum Authors,
// BSD-style license), the same arithmetic drawing the same numbers from the
// same source in the same order, so the traffic's random streams are
// unchanged (TestBinomialRandIsGonums). Two differences, for speed only: rng
// is the model's own generator over src rather than a new one per draw, and
// log-factorials of small whole numbers come from a table of math.Lgamma's own
// values.
func binomialRand(n, p float64, rng *rand.Rand) float64 {
	// NUMERICAL RECIPES IN C: THE ART OF SCIENTIFIC COMPUTING (ISBN 0-521-43108-5)
	// p. 295-6
	runif := rng.Float64
	rexp := rng.ExpFloat64

	q := p
	if q > 0.5 {
		q = 1 - q
	}
	am := n * q

	if n < 25 {
		// Use direct method.
		bnl := 0.0
		for i := 0; i < int(n); i++ {
			if runif() < q {
				bnl++
			}
		}
		if q != p {
			return n - bnl
		}
		return bnl
	}

	if am < 1 {
		// Use rejection method with Poisson proposal.
		const logM = 2.6e-2
		var bnl float64
		z := -q
		pclog := (1 + 0.5*z) * z / (1 + (1+1.0/6*z)*z) // Padé approximant of log(1 + x)
		for {
			bnl = 0.0
			t := 0.0
			for i := 0; i < int(n); i++ {
				t += rexp()
				if t >= am {
					break
				}
				bnl++
			}
			bnlc := n - bnl
			z = -bnl / n
			log1p := (1 + 0.5*z) * z / (1 + (1+1.0/6*z)*z)
			t = (bnlc+0.5)*log1p + bnl - bnlc*pclog + 1/(12*bnlc) - am + logM // Uses Stirling's expansion of log(n!)
			if rexp() >= t {
				break
			}
		}
		if q != p {
			return n - bnl
		}
		return bnl
	}

	// Use rejection method with Cauchy proposal.
	g := logFactorial(n)
	plog := math.Log(q)
	pclog := math.Log1p(-q)
	sq := math.Sqrt(2 * am * (1 - q))
	for {
		var em, y float64
		for {
			y = math.Tan(math.Pi * runif())
			em = sq*y + am
			if em >= 0 && em < n+1 {
				break
			}
		}
		em = math.Floor(em)
		lg1 := logFactorial(em)
		lg2 := logFactorial(n - em)
		t := 1.2 * sq * (1 + y*y) * math.Exp(g-lg1-lg2+em*plog+(n-em)*pclog)
		if runif() <= t {
			if q != p {
				return n - em
			}
			return em
		}
	}
}

// logFactorials[k] is math.Lgamma(k+1), for the counts of a scrape.
var logFactorials = func() []float64 {
	t := make([]float64, 1<<14)
	for k := range t {
		t[k], _ = math.Lgamma(float64(k) + 1)
	}
	return t
}()

// logFactorial is math.Lgamma(x+1) (from the table for small whole x).
func logFactorial(x float64) float64 {
	if x >= 0 && x < float64(len(logFactorials)) && x == math.Trunc(x) {
		return logFactorials[int(x)]
	}
	lg, _ := math.Lgamma(x + 1)
	return lg
}
