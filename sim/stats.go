package sim

import "math"

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959964

// meanCI is the mean of xs with a 95% normal-approximation interval,
// mean ± 1.96·sd/√n, clipped to [0, 1] (xs are success rates). With one
// value the interval is the value itself.
func meanCI(xs []float64) (mean, lo, hi float64) {
	mean, sd := meanSD(xs)
	half := z95 * sd / math.Sqrt(float64(len(xs)))
	return mean, max(mean-half, 0), min(mean+half, 1)
}

// meanSD is the mean and the sample standard deviation (n−1) of xs.
func meanSD(xs []float64) (mean, sd float64) {
	n := float64(len(xs))
	if n == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if n < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// PairedTest is a two-sided paired t-test of A against B over users.
type PairedTest struct {
	Method   string  `json:"method"`
	A        string  `json:"a"`
	B        string  `json:"b"`
	Users    int     `json:"users"`
	MeanDiff float64 `json:"mean_diff"` // mean over users of A − B
	Low      float64 `json:"low"`       // 95% interval of the mean difference
	High     float64 `json:"high"`
	T        float64 `json:"t"`
	DF       int     `json:"df"`
	P        float64 `json:"p_value"`
}

// pairedT tests whether the mean of a[i] − b[i] is zero.
func pairedT(a, b []float64) PairedTest {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	mean, sd := meanSD(d)
	n := len(d)
	res := PairedTest{Method: "paired t-test, two-sided", Users: n, MeanDiff: mean, Low: mean, High: mean, DF: n - 1, P: 1}
	if n < 2 {
		return res
	}
	se := sd / math.Sqrt(float64(n))
	if se == 0 {
		if mean != 0 {
			res.P = 0
			res.T = math.Copysign(math.Inf(1), mean)
		}
		return res
	}
	res.T = mean / se
	res.P = studentTwoSided(res.T, float64(res.DF))
	q := studentQuantile(0.975, float64(res.DF))
	res.Low, res.High = mean-q*se, mean+q*se
	return res
}

// studentTwoSided is P(|T| ≥ |t|) for Student's t with df degrees of
// freedom: the regularised incomplete beta I_{df/(df+t²)}(df/2, 1/2).
func studentTwoSided(t, df float64) float64 {
	return incBeta(df/2, 0.5, df/(df+t*t))
}

// studentQuantile is the p-quantile (p > 0.5) of Student's t, by
// bisection on the two-sided tail.
func studentQuantile(p, df float64) float64 {
	lo, hi := 0.0, 1000.0
	for range 100 {
		mid := (lo + hi) / 2
		if 1-studentTwoSided(mid, df)/2 < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// incBeta is the regularised incomplete beta function I_x(a, b), by its
// continued fraction (Numerical Recipes, 6.4), using the symmetry
// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
func incBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(a, b, x) / a
	}
	return 1 - front*betaFraction(b, a, 1-x)/b
}

// betaFraction evaluates the continued fraction of incBeta by Lentz's
// method.
func betaFraction(a, b, x float64) float64 {
	const tiny, eps = 1e-300, 1e-14
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1.0; m <= 300; m++ {
		for _, num := range []float64{
			m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m)),
			-(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1)),
		} {
			d = 1 + num*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + num/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			h *= d * c
		}
		if math.Abs(d*c-1) < eps {
			break
		}
	}
	return h
}
